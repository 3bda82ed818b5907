/* SPDX-License-Identifier: MIT */
/*
 * ESP32 stub entry, jumped to by the ROM loader after MEM_END. The stub is call0-ABI
 * code and never returns to the ROM, so it first masks interrupts, turns off window
 * overflow exceptions (PS.WOE) and marks only the current register window as live
 * (WindowStart = 1 << WindowBase), then runs on its own stack.
 * WindowBase/WindowStart (special registers 72/73) are encoded by hand: the LX106
 * assembler has no windowed-register option.
 */
    .section .text.entry, "ax"
    .literal_position
    .align 4
    /* identification, right before the entry point: the virtual device runs its model
     * of this stub only for code that carries it (docs/SIMULATOR.md) */
    .ascii  "espload-stub-id\0"
    .align  4
    .global stub_entry
    .type stub_entry, @function
stub_entry:
    movi    a2, 0x0F            /* PS: INTLEVEL 15, EXCM 0, UM 0, WOE 0 */
    wsr.ps  a2
    rsync
    .byte   0x20, 0x48, 0x03    /* rsr a2, windowbase */
    movi    a3, 1
    ssl     a2
    sll     a3, a3
    .byte   0x30, 0x49, 0x13    /* wsr a3, windowstart */
    rsync
    movi    a1, _stack_top
    movi    a0, 0
    call0   stub_main
1:  j       1b
    .size stub_entry, . - stub_entry
