/* SPDX-License-Identifier: MIT */
/* Process entry for the qemu user-mode stub driver: the kernel's stack, no libc. */
#if defined(__riscv)
    .text
    .global _start
_start:
    call    drv_main
1:  j       1b
#elif defined(__XTENSA__)
    .text
    .literal_position
    .align 4
    .global _start
_start:
    movi    a0, 0
    call0   drv_main
1:  j       1b
#endif
