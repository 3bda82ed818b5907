/* SPDX-License-Identifier: MIT */
/* Linux system calls and entry point for stub/tests/qemu_driver.c: native (libc), RISC-V
 * and Xtensa (raw syscalls, for qemu user mode). */
#include <stdint.h>

long drv_read(void *buf, unsigned long len);
long drv_write(const void *buf, unsigned long len);
void drv_exit(int code);
void drv_main(void);

#if defined(__riscv)
static long sys3(long nr, long a, long b, long c)
{
    register long a0 __asm__("a0") = a;
    register long a1 __asm__("a1") = b;
    register long a2 __asm__("a2") = c;
    register long a7 __asm__("a7") = nr;
    __asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a7) : "memory");
    return a0;
}
#define NR_READ  63
#define NR_WRITE 64
#define NR_EXIT  93
#elif defined(__XTENSA__)
static long sys3(long nr, long a, long b, long c)
{
    register long a2 __asm__("a2") = nr;
    register long a6 __asm__("a6") = a;
    register long a3 __asm__("a3") = b;
    register long a4 __asm__("a4") = c;
    __asm__ volatile("syscall" : "+r"(a2) : "r"(a6), "r"(a3), "r"(a4) : "memory");
    return a2;
}
#define NR_READ  12
#define NR_WRITE 13
#define NR_EXIT  118
#endif

#if defined(__riscv) || defined(__XTENSA__)
long drv_read(void *buf, unsigned long len)
{
    return sys3(NR_READ, 0, (long)buf, (long)len);
}
long drv_write(const void *buf, unsigned long len)
{
    return sys3(NR_WRITE, 1, (long)buf, (long)len);
}
void drv_exit(int code)
{
    sys3(NR_EXIT, code, 0, 0);
    for (;;) {
    }
}
#else
#include <stdlib.h>
#include <unistd.h>
long drv_read(void *buf, unsigned long len)
{
    return (long)read(0, buf, len);
}
long drv_write(const void *buf, unsigned long len)
{
    return (long)write(1, buf, len);
}
void drv_exit(int code)
{
    exit(code);
}
int main(void)
{
    drv_main();
    return 0;
}
#endif
