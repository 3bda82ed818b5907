/* SPDX-License-Identifier: MIT */
/* ESP32-C3 stub entry: interrupts off, own stack, never returns to the ROM. */
    .section .text.entry, "ax"
    .align 2
    /* identification, right before the entry point: the virtual device runs its model
     * of this stub only for code that carries it (docs/SIMULATOR.md) */
    .ascii  "espload-stub-id\0"
    .align  2
    .global stub_entry
    .type stub_entry, @function
stub_entry:
    csrci   mstatus, 8          /* clear MIE */
    la      sp, _stack_top
    call    stub_main
1:  j       1b
    .size stub_entry, . - stub_entry
