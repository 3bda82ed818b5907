/* SPDX-License-Identifier: MIT */
/*
 * Runs the stub core over a recorded host session, freestanding: built natively and with
 * the stub cross compilers (run under qemu user mode), so the cross-compiled core can be
 * compared byte for byte with the host build (tests/extra/stub-cross.sh).
 * stdin: the bytes a host sends; stdout: the bytes the stub sends, then the raw MD5 of
 * the whole simulated flash. The flash is a 1 MiB NOR model with pseudo-random initial
 * contents (some sectors blank).
 */
#include <stddef.h>
#include <stdint.h>

#include "stub_core_int.h"
#include "stub_md5.h"

#define FLASH_SIZE (1u << 20)

long drv_read(void *buf, unsigned long len);
long drv_write(const void *buf, unsigned long len);
void drv_exit(int code);
void drv_main(void);

static uint8_t flash[FLASH_SIZE];
static uint8_t input[4u << 20];
static uint8_t core_mem[sizeof(struct stub_core)] __attribute__((aligned(8)));
static uint8_t outbuf[4096];
static unsigned long outlen;
static uint32_t regs[64];

static void out_flush(void)
{
    unsigned long off = 0;
    while (off < outlen) {
        long n = drv_write(outbuf + off, outlen - off);
        if (n <= 0)
            drv_exit(3);
        off += (unsigned long)n;
    }
    outlen = 0;
}

static void d_tx(void *ctx, const uint8_t *buf, size_t len)
{
    (void)ctx;
    for (size_t i = 0; i < len; i++) {
        if (outlen == sizeof(outbuf))
            out_flush();
        outbuf[outlen++] = buf[i];
    }
}

static int in_range(uint32_t addr, uint32_t len)
{
    return addr < FLASH_SIZE && len <= FLASH_SIZE - addr;
}

static int d_read(void *ctx, uint32_t addr, uint8_t *buf, uint32_t len)
{
    (void)ctx;
    if (!in_range(addr, len))
        return -1;
    for (uint32_t i = 0; i < len; i++)
        buf[i] = flash[addr + i];
    return 0;
}

static int d_program(void *ctx, uint32_t addr, const uint8_t *buf, uint32_t len)
{
    (void)ctx;
    if (!in_range(addr, len) || len > 256 || (addr >> 8) != ((addr + len - 1) >> 8))
        return -1;
    for (uint32_t i = 0; i < len; i++)
        flash[addr + i] &= buf[i];
    return 0;
}

static int erase(uint32_t addr, uint32_t size)
{
    if ((addr & (size - 1)) || !in_range(addr, size))
        return -1;
    for (uint32_t i = 0; i < size; i++)
        flash[addr + i] = 0xFF;
    return 0;
}

static int d_erase_sector(void *ctx, uint32_t addr)
{
    (void)ctx;
    return erase(addr, 0x1000);
}

static int d_erase_block(void *ctx, uint32_t addr)
{
    (void)ctx;
    return erase(addr, 0x10000);
}

static int d_erase_chip(void *ctx)
{
    (void)ctx;
    return erase(0, FLASH_SIZE);
}

static uint32_t d_read_reg(void *ctx, uint32_t addr)
{
    (void)ctx;
    return regs[(addr >> 2) & 63] ^ addr;
}

static void d_write_reg(void *ctx, uint32_t addr, uint32_t v)
{
    (void)ctx;
    regs[(addr >> 2) & 63] = v ^ addr;
}

void drv_main(void)
{
    uint32_t x = 0x9E3779B9u;
    for (uint32_t i = 0; i < FLASH_SIZE; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        /* every third 4 KiB sector starts blank */
        flash[i] = ((i >> 12) % 3 == 0) ? 0xFF : (uint8_t)x;
    }
    unsigned long n = 0;
    for (;;) {
        long r = drv_read(input + n, sizeof(input) - n);
        if (r < 0)
            drv_exit(2);
        if (r == 0)
            break;
        n += (unsigned long)r;
    }
    static const struct stub_hal hal = {
        .uart_tx = d_tx,
        .flash_read = d_read,
        .flash_program = d_program,
        .flash_erase_sector = d_erase_sector,
        .flash_erase_block = d_erase_block,
        .flash_erase_chip = d_erase_chip,
        .read_reg = d_read_reg,
        .write_reg = d_write_reg,
    };
    struct stub_core *core = stub_core_init(core_mem, &hal, FLASH_SIZE);
    stub_core_greet(core);
    /* feed in varying chunk sizes */
    for (unsigned long pos = 0, k = 0; pos < n; k++) {
        unsigned long c = 1 + (k * 7919u) % 1500u;
        if (c > n - pos)
            c = n - pos;
        stub_core_rx(core, input + pos, c);
        pos += c;
    }
    struct stub_md5 m;
    uint8_t dig[16];
    stub_md5_init(&m);
    stub_md5_update(&m, flash, FLASH_SIZE);
    stub_md5_final(&m, dig);
    d_tx(0, dig, 16);
    out_flush();
    drv_exit(0);
}
