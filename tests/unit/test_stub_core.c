/* SPDX-License-Identifier: MIT */
/*
 * The stub core behind a fake HAL: reply bytes of every command (golden vectors), flash
 * writes (plain and deflated) with just-in-time erase, blank-sector skipping and 64 KiB
 * block-erase decisions, READ_FLASH with ACK flow control, error statuses, garbage input.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <md5.h>
#include <zlib.h>

#include "espload/slip.h"
#include "stub_core_int.h"

#define FLASH_SIZE (2u << 20)

struct fake {
    uint8_t *flash;
    uint8_t *tx;
    size_t tx_len, tx_cap;
    unsigned n_erase_sector, n_erase_block, n_erase_chip, n_program, n_read, n_unlock;
    int fail_program, fail_read, fail_unlock;
    uint32_t regs[16];
    uint32_t baud_new, baud_old;
    size_t tx_len_at_baud;
    int baud_calls;
    uint32_t run_entry;
    int run_calls;
    uint8_t ram[0x4000];
    uint32_t delays;
    uint8_t secinfo[20];
    int secinfo_len;
    /* background erase: erases started, and how many flash_busy queries stay busy */
    unsigned n_erase_start, busy_left, waits;
    uint32_t erase_lo, erase_hi; /* lowest/highest+1 address erased in the background */
    size_t tx_len_at_first_program;
    int programmed;
    /* poll hook: bytes to inject into the core while it works */
    struct stub_core *core;
    const uint8_t *inject;
    size_t inject_len;
    int polls;
};

static uint32_t rng_state = 0xBADC0DEu;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static void f_tx(void *ctx, const uint8_t *buf, size_t len)
{
    struct fake *f = ctx;
    if (f->tx_len + len > f->tx_cap) {
        f->tx_cap = (f->tx_len + len) * 2;
        f->tx = realloc(f->tx, f->tx_cap);
        assert_non_null(f->tx);
    }
    memcpy(f->tx + f->tx_len, buf, len);
    f->tx_len += len;
}
static void f_baud(void *ctx, uint32_t n, uint32_t o)
{
    struct fake *f = ctx;
    f->baud_new = n;
    f->baud_old = o;
    f->baud_calls++;
    f->tx_len_at_baud = f->tx_len;
}
/* A HAL operation waits until a background erase is done. */
static void f_wait(struct fake *f)
{
    if (f->busy_left > 0) {
        f->busy_left = 0;
        f->waits++;
    }
}
static int f_read(void *ctx, uint32_t addr, uint8_t *buf, uint32_t len)
{
    struct fake *f = ctx;
    f_wait(f);
    f->n_read++;
    if (f->fail_read || addr > FLASH_SIZE || len > FLASH_SIZE - addr)
        return -1;
    memcpy(buf, f->flash + addr, len);
    return 0;
}
static int f_program(void *ctx, uint32_t addr, const uint8_t *buf, uint32_t len)
{
    struct fake *f = ctx;
    f_wait(f);
    if (!f->programmed++)
        f->tx_len_at_first_program = f->tx_len;
    f->n_program++;
    assert_true(len > 0 && len <= 256);
    assert_int_equal(addr / 256, (addr + len - 1) / 256); /* never crosses a page */
    if (f->fail_program || addr > FLASH_SIZE || len > FLASH_SIZE - addr)
        return -1;
    for (uint32_t i = 0; i < len; i++)
        f->flash[addr + i] &= buf[i]; /* NOR: bits only clear */
    return 0;
}
static int f_erase_sector(void *ctx, uint32_t addr)
{
    struct fake *f = ctx;
    f_wait(f);
    f->n_erase_sector++;
    assert_int_equal(addr % 4096, 0);
    if (addr >= FLASH_SIZE)
        return -1;
    memset(f->flash + addr, 0xFF, 4096);
    return 0;
}
static int f_erase_block(void *ctx, uint32_t addr)
{
    struct fake *f = ctx;
    f_wait(f);
    f->n_erase_block++;
    assert_int_equal(addr % 65536, 0);
    if (addr >= FLASH_SIZE)
        return -1;
    memset(f->flash + addr, 0xFF, 65536);
    return 0;
}
static int f_erase_chip(void *ctx)
{
    struct fake *f = ctx;
    f->n_erase_chip++;
    memset(f->flash, 0xFF, FLASH_SIZE);
    return 0;
}
#define F_BUSY_POLLS 3u /* flash_busy reports busy this many times after an erase start */
static int f_erase_start(void *ctx, uint32_t addr, int block64)
{
    struct fake *f = ctx;
    uint32_t n = block64 ? 65536u : 4096u;
    f_wait(f); /* like the others, it waits for the flash first */
    assert_int_equal(addr % n, 0);
    if (addr >= FLASH_SIZE)
        return -1;
    f->n_erase_start++;
    if (f->n_erase_start == 1 || addr < f->erase_lo)
        f->erase_lo = addr;
    if (addr + n > f->erase_hi)
        f->erase_hi = addr + n;
    memset(f->flash + addr, 0xFF, n);
    f->busy_left = F_BUSY_POLLS;
    return 0;
}
static int f_busy(void *ctx)
{
    struct fake *f = ctx;
    if (f->busy_left == 0)
        return 0;
    f->busy_left--;
    return 1;
}
static uint32_t f_read_reg(void *ctx, uint32_t addr)
{
    struct fake *f = ctx;
    return f->regs[(addr >> 2) & 15];
}
static void f_write_reg(void *ctx, uint32_t addr, uint32_t v)
{
    struct fake *f = ctx;
    f->regs[(addr >> 2) & 15] = v;
}
static int f_mem_write(void *ctx, uint32_t addr, const uint8_t *buf, uint32_t len)
{
    struct fake *f = ctx;
    if (addr < 0x1000 || addr - 0x1000 + len > sizeof(f->ram))
        return -1;
    memcpy(f->ram + addr - 0x1000, buf, len);
    return 0;
}
static void f_run(void *ctx, uint32_t entry)
{
    struct fake *f = ctx;
    f->run_entry = entry;
    f->run_calls++;
}
static void f_delay(void *ctx, uint32_t us)
{
    struct fake *f = ctx;
    f->delays += us;
}
static void f_poll(void *ctx)
{
    struct fake *f = ctx;
    f->polls++;
    if (f->inject_len > 0) { /* deliver a few bytes per poll, like a UART FIFO */
        size_t n = f->inject_len < 300 ? f->inject_len : 300;
        const uint8_t *p = f->inject;
        f->inject += n;
        f->inject_len -= n;
        stub_core_rx(f->core, p, n);
    }
}
static int f_unlock(void *ctx)
{
    struct fake *f = ctx;
    f->n_unlock++;
    return f->fail_unlock ? -1 : 0;
}
static int f_secinfo(void *ctx, uint8_t *out, uint32_t cap)
{
    struct fake *f = ctx;
    if (f->secinfo_len > 0)
        memcpy(out, f->secinfo, (size_t)f->secinfo_len);
    (void)cap;
    return f->secinfo_len;
}

struct t {
    struct fake f;
    struct stub_core *core;
    void *mem;
    size_t rd; /* read position in f.tx */
};

static struct t *t_new(int with_optional)
{
    struct t *t = calloc(1, sizeof(*t));
    assert_non_null(t);
    t->f.flash = malloc(FLASH_SIZE);
    memset(t->f.flash, 0xFF, FLASH_SIZE);
    struct stub_hal hal = {
        .ctx = &t->f,
        .uart_tx = f_tx,
        .set_baud = f_baud,
        .flash_read = f_read,
        .flash_program = f_program,
        .flash_erase_sector = f_erase_sector,
        .flash_erase_block = f_erase_block,
        .flash_erase_chip = f_erase_chip,
        .read_reg = f_read_reg,
        .write_reg = f_write_reg,
        .mem_write = f_mem_write,
        .run = f_run,
        .delay_us = f_delay,
    };
    if (with_optional) {
        hal.poll = f_poll;
        hal.flash_unlock = f_unlock;
        hal.security_info = f_secinfo;
    }
    if (with_optional > 1) {
        hal.flash_erase_start = f_erase_start;
        hal.flash_busy = f_busy;
    }
    t->mem = aligned_alloc(8, (stub_core_size() + 7) & ~(size_t)7);
    assert_non_null(t->mem);
    memset(t->mem, 0xA5, stub_core_size()); /* init must not rely on zeroed memory */
    t->core = stub_core_init(t->mem, &hal, FLASH_SIZE);
    t->f.core = t->core;
    return t;
}

static void t_free(struct t *t)
{
    free(t->f.flash);
    free(t->f.tx);
    free(t->mem);
    free(t);
}

/* SLIP-encodes a request and feeds it in random pieces. */
static void feed_frame(struct t *t, const uint8_t *pkt, size_t n)
{
    size_t cap = el_slip_max_encoded(n);
    uint8_t *enc = malloc(cap);
    size_t m = el_slip_encode(pkt, n, enc, cap);
    assert_true(m > 0);
    for (size_t pos = 0; pos < m;) {
        size_t k = 1 + rnd() % 700;
        if (k > m - pos)
            k = m - pos;
        stub_core_rx(t->core, enc + pos, k);
        pos += k;
    }
    free(enc);
}

static void send_cmd(struct t *t, uint8_t op, const uint8_t *data, size_t len, uint32_t chk)
{
    uint8_t *pkt = malloc(8 + len);
    pkt[0] = 0;
    pkt[1] = op;
    pkt[2] = (uint8_t)len;
    pkt[3] = (uint8_t)(len >> 8);
    pkt[4] = (uint8_t)chk;
    pkt[5] = (uint8_t)(chk >> 8);
    pkt[6] = (uint8_t)(chk >> 16);
    pkt[7] = (uint8_t)(chk >> 24);
    if (len)
        memcpy(pkt + 8, data, len);
    feed_frame(t, pkt, 8 + len);
    free(pkt);
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void send_words(struct t *t, uint8_t op, const uint32_t *w, size_t nw)
{
    uint8_t buf[64];
    for (size_t i = 0; i < nw; i++)
        put32(buf + 4 * i, w[i]);
    send_cmd(t, op, buf, 4 * nw, 0);
}

/* Next frame sent by the stub; returns its length (0 if none). */
static size_t next_frame(struct t *t, uint8_t *out, size_t cap)
{
    struct el_slip_dec d;
    el_slip_dec_init(&d, out, cap);
    while (t->rd < t->f.tx_len) {
        enum el_slip_event ev = el_slip_dec_feed(&d, t->f.tx[t->rd++]);
        assert_true(ev == EL_SLIP_NONE || ev == EL_SLIP_FRAME);
        if (ev == EL_SLIP_FRAME)
            return d.len;
    }
    return 0;
}

/* Expects a 10-byte reply (no payload) for op with the given status. */
static void expect_status(struct t *t, uint8_t op, uint8_t status, uint8_t err)
{
    uint8_t fr[64];
    size_t n = next_frame(t, fr, sizeof(fr));
    assert_int_equal(n, 10);
    uint8_t want[10] = {0x01, op, 0x02, 0x00, 0, 0, 0, 0, status, err};
    assert_memory_equal(fr, want, 10);
}

static void expect_no_more(struct t *t)
{
    assert_int_equal(t->rd, t->f.tx_len);
}

static uint8_t xor_sum(const uint8_t *d, size_t n)
{
    uint8_t x = 0xEF;
    for (size_t i = 0; i < n; i++)
        x ^= d[i];
    return x;
}

static void send_data(struct t *t, uint8_t op, const uint8_t *payload, size_t n, uint32_t seq)
{
    uint8_t *buf = malloc(16 + n);
    put32(buf, (uint32_t)n);
    put32(buf + 4, seq);
    put32(buf + 8, 0);
    put32(buf + 12, 0);
    memcpy(buf + 16, payload, n);
    send_cmd(t, op, buf, 16 + n, xor_sum(payload, n));
    free(buf);
}

/* ------------------------------------------------------------------ golden replies */

static void test_stub_core_greeting_and_sync(void **state)
{
    (void)state;
    struct t *t = t_new(0);
    stub_core_greet(t->core);
    static const uint8_t ohai[] = {0xC0, 'O', 'H', 'A', 'I', 0xC0};
    assert_int_equal(t->f.tx_len, sizeof(ohai));
    assert_memory_equal(t->f.tx, ohai, sizeof(ohai));
    t->rd = t->f.tx_len;

    uint8_t sync[36] = {0x07, 0x07, 0x12, 0x20};
    memset(sync + 4, 0x55, 32);
    send_cmd(t, 0x08, sync, 36, 0);
    /* eight identical frames, value 0 (esptool's "stub already running" test) */
    static const uint8_t golden[] = {0xC0, 0x01, 0x08, 0x02, 0x00, 0x00,
                                     0x00, 0x00, 0x00, 0x00, 0x00, 0xC0};
    assert_int_equal(t->f.tx_len - t->rd, 8 * sizeof(golden));
    for (int i = 0; i < 8; i++)
        assert_memory_equal(t->f.tx + t->rd + i * sizeof(golden), golden, sizeof(golden));
    t->rd = t->f.tx_len;
    send_cmd(t, 0x08, sync, 35, 0);
    expect_status(t, 0x08, 0xC0, 0);
    expect_no_more(t);
    t_free(t);
}

static void test_stub_core_registers(void **state)
{
    (void)state;
    struct t *t = t_new(0);
    t->f.regs[1] = 0xC0DBC0DB; /* reply bytes needing SLIP escapes */
    uint32_t a = 0x3FF40004;
    send_words(t, 0x0A, &a, 1);
    static const uint8_t golden[] = {0xC0, 0x01, 0x0A, 0x02, 0x00, 0xDB, 0xDD, 0xDB,
                                     0xDC, 0xDB, 0xDD, 0xDB, 0xDC, 0x00, 0x00, 0xC0};
    assert_int_equal(t->f.tx_len, sizeof(golden));
    assert_memory_equal(t->f.tx, golden, sizeof(golden));
    t->rd = t->f.tx_len;
    send_cmd(t, 0x0A, (const uint8_t *)"\0\0", 2, 0);
    expect_status(t, 0x0A, 0xC0, 0);

    /* WRITE_REG: two entries, a masked one and a delayed one */
    t->f.regs[2] = 0xFFFF0000;
    uint32_t w[8] = {0x3FF40008, 0x000012FF, 0x0000FFFF, 0, 0x3FF4000C, 0x55, 0xFFFFFFFF, 250};
    send_words(t, 0x09, w, 8);
    expect_status(t, 0x09, 0, 0);
    assert_int_equal(t->f.regs[2], 0xFFFF12FF);
    assert_int_equal(t->f.regs[3], 0x55);
    assert_int_equal(t->f.delays, 250);
    send_cmd(t, 0x09, (const uint8_t *)w, 12, 0);
    expect_status(t, 0x09, 0xC0, 0);
    expect_no_more(t);
    t_free(t);
}

static void test_stub_core_misc_commands(void **state)
{
    (void)state;
    struct t *t = t_new(0);
    /* unknown opcode, READ_FLASH_SLOW and GET_SECURITY_INFO without support: FF 00 */
    send_cmd(t, 0x55, NULL, 0, 0);
    expect_status(t, 0x55, 0xFF, 0);
    uint32_t slow[2] = {0, 64};
    send_words(t, 0x0E, slow, 2);
    expect_status(t, 0x0E, 0xFF, 0);
    send_cmd(t, 0x14, NULL, 0, 0);
    expect_status(t, 0x14, 0xFF, 0);

    /* SPI_SET_PARAMS stores the size; SPI_ATTACH takes 4 bytes */
    uint32_t p[6] = {0, 4u << 20, 0x10000, 0x1000, 0x100, 0xFFFF};
    send_words(t, 0x0B, p, 6);
    expect_status(t, 0x0B, 0, 0);
    assert_int_equal(t->core->flash_size, 4u << 20);
    send_words(t, 0x0B, p, 5);
    expect_status(t, 0x0B, 0xC0, 0);
    uint32_t att[2] = {0, 0};
    send_words(t, 0x0D, att, 1);
    expect_status(t, 0x0D, 0, 0);
    send_words(t, 0x0D, att, 2);
    expect_status(t, 0x0D, 0xC0, 0);

    /* CHANGE_BAUDRATE: the reply leaves before the switch */
    uint32_t b[2] = {921600, 115200};
    send_words(t, 0x0F, b, 2);
    assert_int_equal(t->f.baud_calls, 1);
    assert_int_equal(t->f.baud_new, 921600);
    assert_int_equal(t->f.baud_old, 115200);
    assert_int_equal(t->f.tx_len_at_baud, t->f.tx_len);
    expect_status(t, 0x0F, 0, 0);
    send_words(t, 0x0F, b, 1);
    expect_status(t, 0x0F, 0xC0, 0);
    assert_int_equal(t->f.baud_calls, 1);

    /* RUN_USER_CODE: no reply */
    send_cmd(t, 0xD3, NULL, 0, 0);
    assert_int_equal(t->f.run_calls, 1);
    assert_int_equal(t->f.run_entry, 0);
    expect_no_more(t);

    /* a frame whose length field disagrees with its size */
    uint8_t bad[12] = {0x00, 0x0A, 0x08, 0x00, 0, 0, 0, 0, 1, 2, 3, 4};
    feed_frame(t, bad, sizeof(bad));
    expect_status(t, 0x0A, 0xC0, 0);
    /* replies (direction 1) and runts are ignored */
    uint8_t resp[10] = {0x01, 0x08, 0x02, 0, 0, 0, 0, 0, 0, 0};
    feed_frame(t, resp, sizeof(resp));
    feed_frame(t, resp, 5);
    expect_no_more(t);
    t_free(t);
}

static void test_stub_core_security_info(void **state)
{
    (void)state;
    struct t *t = t_new(1);
    t->f.secinfo_len = 0; /* HAL says: none on this chip */
    send_cmd(t, 0x14, NULL, 0, 0);
    expect_status(t, 0x14, 0xFF, 0);
    for (int i = 0; i < 20; i++)
        t->f.secinfo[i] = (uint8_t)(i + 1);
    t->f.secinfo_len = 20;
    send_cmd(t, 0x14, NULL, 0, 0);
    uint8_t fr[64];
    assert_int_equal(next_frame(t, fr, sizeof(fr)), 8 + 22);
    assert_int_equal(fr[2], 22);
    assert_memory_equal(fr + 8, t->f.secinfo, 20);
    assert_int_equal(fr[28], 0);
    assert_int_equal(fr[29], 0);
    t_free(t);
}

static void test_stub_core_md5(void **state)
{
    (void)state;
    struct t *t = t_new(1);
    for (uint32_t i = 0; i < FLASH_SIZE; i++)
        t->f.flash[i] = (uint8_t)rnd();
    uint32_t cases[][2] = {{0, 0}, {0x1000, 0x1000}, {3, 12345}, {0x10000, 0x40000}};
    for (size_t c = 0; c < 4; c++) {
        uint32_t w[4] = {cases[c][0], cases[c][1], 0, 0};
        send_words(t, 0x13, w, 4);
        uint8_t fr[64], want[16];
        MD5_CTX m;
        MD5Init(&m);
        MD5Update(&m, t->f.flash + cases[c][0], cases[c][1]);
        MD5Final(want, &m);
        assert_int_equal(next_frame(t, fr, sizeof(fr)), 8 + 18);
        static const uint8_t hdr[8] = {0x01, 0x13, 0x12, 0x00, 0, 0, 0, 0};
        assert_memory_equal(fr, hdr, 8);
        assert_memory_equal(fr + 8, want, 16);
        assert_int_equal(fr[24], 0);
        assert_int_equal(fr[25], 0);
    }
    uint32_t w[4] = {FLASH_SIZE - 16, 32, 0, 0}; /* past the end: read error */
    send_words(t, 0x13, w, 4);
    expect_status(t, 0x13, 0xC4, 0);
    send_words(t, 0x13, w, 3);
    expect_status(t, 0x13, 0xC0, 0);
    expect_no_more(t);
    t_free(t);
}

/* ------------------------------------------------------------------ flash writes */

static void flash_begin(struct t *t, uint8_t op, uint32_t size, uint32_t blocks, uint32_t bs,
                        uint32_t offset, int five_words)
{
    uint32_t w[5] = {size, blocks, bs, offset, 0};
    send_words(t, op, w, five_words ? 5 : 4);
}

static void write_plain(struct t *t, uint32_t offset, const uint8_t *data, uint32_t len)
{
    uint32_t bs = 0x4000, blocks = (len + bs - 1) / bs;
    flash_begin(t, 0x02, len, blocks, bs, offset, 0);
    expect_status(t, 0x02, 0, 0);
    uint8_t *blk = malloc(bs);
    for (uint32_t i = 0; i < blocks; i++) {
        uint32_t n = len - i * bs < bs ? len - i * bs : bs;
        memset(blk, 0xFF, bs); /* esptool pads the last block */
        memcpy(blk, data + i * bs, n);
        send_data(t, 0x03, blk, bs, i);
        expect_status(t, 0x03, 0, 0);
    }
    free(blk);
    uint32_t stay = 1;
    send_words(t, 0x04, &stay, 1);
    expect_status(t, 0x04, 0, 0);
}

static void test_stub_core_flash_plain_blank_chip(void **state)
{
    (void)state;
    struct t *t = t_new(1);
    uint32_t len = 200000;
    uint8_t *d = malloc(len);
    for (uint32_t i = 0; i < len; i++)
        d[i] = (uint8_t)rnd();
    write_plain(t, 0x10000, d, len);
    assert_memory_equal(t->f.flash + 0x10000, d, len);
    /* blank flash: nothing erased at all */
    assert_int_equal(t->f.n_erase_sector, 0);
    assert_int_equal(t->f.n_erase_block, 0);
    assert_true(t->f.n_unlock >= 1);
    assert_int_equal(t->f.flash[0x10000 + len], 0xFF); /* padding not written */
    expect_no_more(t);
    free(d);
    t_free(t);
}

static void test_stub_core_flash_plain_dirty_chip(void **state)
{
    (void)state;
    struct t *t = t_new(1);
    memset(t->f.flash, 0x00, FLASH_SIZE); /* every sector holds data */
    uint32_t len = 0x25000 + 100, off = 0x3000;
    uint8_t *d = malloc(len);
    for (uint32_t i = 0; i < len; i++)
        d[i] = (uint8_t)rnd();
    write_plain(t, off, d, len);
    assert_memory_equal(t->f.flash + off, d, len);
    /* [0x3000,0x10000): 13 sectors; [0x10000,0x20000): one block;
     * [0x20000,0x29000) (end 0x28064 rounded up) is not a whole block: 9 sectors */
    assert_int_equal(t->f.n_erase_block, 1);
    assert_int_equal(t->f.n_erase_sector, 13 + 9);
    assert_int_equal(t->f.flash[off - 1], 0x00);   /* before the region: untouched */
    assert_int_equal(t->f.flash[off + len], 0xFF); /* rest of the last sector erased */
    assert_int_equal(t->f.flash[0x29000], 0x00);   /* next sector untouched */
    free(d);
    t_free(t);
}

/* A 64 KiB block with only a few dirty sectors: erase just those sectors. */
static void test_stub_core_block_erase_decision(void **state)
{
    (void)state;
    for (unsigned dirty = 0; dirty <= 16; dirty++) {
        struct t *t = t_new(1);
        for (unsigned s = 0; s < dirty; s++)
            t->f.flash[0x20000 + s * 0x1000 * (16 / (dirty ? dirty : 1)) + 17] = 0x12;
        uint32_t len = 0x10000;
        uint8_t *d = malloc(len);
        memset(d, 0x5A, len);
        write_plain(t, 0x20000, d, len);
        assert_memory_equal(t->f.flash + 0x20000, d, len);
        if (dirty >= STUB_BLOCK_ERASE_MIN_DIRTY) {
            assert_int_equal(t->f.n_erase_block, 1);
            assert_int_equal(t->f.n_erase_sector, 0);
        } else {
            assert_int_equal(t->f.n_erase_block, 0);
            assert_int_equal(t->f.n_erase_sector, dirty);
        }
        free(d);
        t_free(t);
    }
}

static void test_stub_core_erase_region_and_chip(void **state)
{
    (void)state;
    struct t *t = t_new(1);
    memset(t->f.flash, 0x11, FLASH_SIZE);
    memset(t->f.flash + 0x40000, 0xFF, 0x10000); /* one blank block inside the region */
    uint32_t w[2] = {0x2F000, 0x32000};          /* 0x2F000 .. 0x61000 */
    send_words(t, 0xD1, w, 2);
    expect_status(t, 0xD1, 0, 0);
    for (uint32_t a = 0x2F000; a < 0x61000; a++)
        assert_int_equal(t->f.flash[a], 0xFF);
    assert_int_equal(t->f.flash[0x2EFFF], 0x11);
    assert_int_equal(t->f.flash[0x61000], 0x11);
    /* 0x2F000: 1 sector; 0x30000: block; 0x40000: blank, skipped; 0x50000: block;
     * 0x60000: 1 sector */
    assert_int_equal(t->f.n_erase_block, 2);
    assert_int_equal(t->f.n_erase_sector, 2);
    uint32_t bad[2] = {0x1001, 0x1000};
    send_words(t, 0xD1, bad, 2);
    expect_status(t, 0xD1, 0xC0, 0);
    bad[0] = 0x1000;
    bad[1] = 0x800;
    send_words(t, 0xD1, bad, 2);
    expect_status(t, 0xD1, 0xC0, 0);
    send_cmd(t, 0xD0, NULL, 0, 0);
    expect_status(t, 0xD0, 0, 0);
    assert_int_equal(t->f.n_erase_chip, 1);
    t->f.fail_unlock = 1;
    send_cmd(t, 0xD0, NULL, 0, 0);
    expect_status(t, 0xD0, 0xC5, 0);
    expect_no_more(t);
    t_free(t);
}

static size_t zcompress(const uint8_t *d, size_t n, uint8_t **out)
{
    uLongf clen = compressBound(n);
    *out = malloc(clen);
    assert_int_equal(compress2(*out, &clen, d, n, 9), Z_OK);
    return clen;
}

/* esptool's compressed write: begin(uncompressed size, compressed blocks), blocks of
 * 0x4000 compressed bytes (last one short), then FLASH_DEFL_END. Returns the status of
 * the first failing reply (0 if none). */
static uint8_t write_deflated(struct t *t, uint32_t offset, const uint8_t *comp, size_t clen,
                              uint32_t size, int five_words)
{
    uint32_t bs = 0x4000, blocks = (uint32_t)((clen + bs - 1) / bs);
    uint8_t fr[64], first_err = 0;
    flash_begin(t, 0x10, size, blocks, bs, offset, five_words);
    expect_status(t, 0x10, 0, 0);
    for (uint32_t i = 0; i < blocks; i++) {
        size_t n = clen - i * bs < bs ? clen - i * bs : bs;
        send_data(t, 0x11, comp + i * bs, n, i);
        assert_int_equal(next_frame(t, fr, sizeof(fr)), 10);
        assert_int_equal(fr[1], 0x11);
        if (fr[8] && !first_err)
            first_err = fr[8];
    }
    uint32_t stay = 1;
    send_words(t, 0x12, &stay, 1);
    assert_int_equal(next_frame(t, fr, sizeof(fr)), 10);
    assert_int_equal(fr[1], 0x12);
    if (fr[8] && !first_err)
        first_err = fr[8];
    return first_err;
}

static void test_stub_core_flash_deflate(void **state)
{
    (void)state;
    struct t *t = t_new(1);
    uint32_t len = 300000;
    uint8_t *d = malloc(len), *comp;
    for (uint32_t i = 0; i < len; i++)
        d[i] = (i % 3000) < 1000 ? 0xFF : (uint8_t)(rnd() % 7);
    size_t clen = zcompress(d, len, &comp);
    memset(t->f.flash, 0x00, FLASH_SIZE);
    assert_int_equal(write_deflated(t, 0x1000, comp, clen, len, 1), 0);
    assert_memory_equal(t->f.flash + 0x1000, d, len);
    assert_true(t->f.polls > 0);
    /* again over the same data: every sector is dirty -> block erases where aligned */
    unsigned blocks_before = t->f.n_erase_block;
    assert_int_equal(write_deflated(t, 0x1000, comp, clen, len, 0), 0);
    assert_memory_equal(t->f.flash + 0x1000, d, len);
    assert_true(t->f.n_erase_block > blocks_before);
    expect_no_more(t);
    free(comp);
    free(d);
    t_free(t);
}

static void test_stub_core_deflate_errors(void **state)
{
    (void)state;
    uint32_t len = 100000;
    uint8_t *d = malloc(len), *comp;
    for (uint32_t i = 0; i < len; i++)
        d[i] = (uint8_t)(rnd() % 16);
    size_t clen = zcompress(d, len, &comp);

    /* announced size smaller than the stream: too much data */
    struct t *t = t_new(1);
    assert_int_equal(write_deflated(t, 0, comp, clen, len - 1000, 0), 0xC9);
    t_free(t);
    /* announced size larger: not enough data */
    t = t_new(1);
    assert_int_equal(write_deflated(t, 0, comp, clen, len + 1000, 0), 0xC8);
    t_free(t);
    /* damaged Adler-32 trailer: inflate error */
    t = t_new(1);
    comp[clen - 2] ^= 0x40;
    assert_int_equal(write_deflated(t, 0, comp, clen, len, 0), 0xC7);
    comp[clen - 2] ^= 0x40;
    t_free(t);
    /* random corruption never ends in success with wrong flash contents */
    for (int k = 0; k < 40; k++) {
        t = t_new(1);
        uint8_t *bad = malloc(clen);
        memcpy(bad, comp, clen);
        for (int j = 0; j < 1 + k % 5; j++)
            bad[rnd() % clen] ^= (uint8_t)(1 + rnd() % 255);
        uint8_t st = write_deflated(t, 0, bad, clen, len, 0);
        if (st == 0)
            assert_memory_equal(t->f.flash, d, len);
        else
            assert_true(st == 0xC7 || st == 0xC8 || st == 0xC9);
        free(bad);
        t_free(t);
    }
    free(comp);
    free(d);
}

static void test_stub_core_flash_errors(void **state)
{
    (void)state;
    struct t *t = t_new(1);
    uint8_t blk[64];
    memset(blk, 0x42, sizeof(blk));
    /* data before begin */
    send_data(t, 0x03, blk, sizeof(blk), 0);
    expect_status(t, 0x03, 0xC6, 0);
    uint32_t stay = 1;
    send_words(t, 0x04, &stay, 1);
    expect_status(t, 0x04, 0xC6, 0);
    /* bad begin: length, block size, encrypted flag */
    uint32_t w[5] = {0x1000, 1, 0x4000, 0, 0};
    send_words(t, 0x02, w, 3);
    expect_status(t, 0x02, 0xC0, 0);
    w[2] = 0x4001;
    send_words(t, 0x02, w, 4);
    expect_status(t, 0x02, 0xC2, 0);
    w[2] = 0x4000;
    w[4] = 1;
    send_words(t, 0x02, w, 5);
    expect_status(t, 0x02, 0xFF, 0);
    /* good begin, then a block with a bad checksum, a bad length word, the wrong op */
    w[4] = 0;
    send_words(t, 0x02, w, 5);
    expect_status(t, 0x02, 0, 0);
    uint8_t pkt[16 + 64];
    put32(pkt, 64);
    put32(pkt + 4, 0);
    put32(pkt + 8, 0);
    put32(pkt + 12, 0);
    memcpy(pkt + 16, blk, 64);
    send_cmd(t, 0x03, pkt, sizeof(pkt), xor_sum(blk, 64) ^ 1);
    expect_status(t, 0x03, 0xC1, 0);
    put32(pkt, 63);
    send_cmd(t, 0x03, pkt, sizeof(pkt), xor_sum(blk, 64));
    expect_status(t, 0x03, 0xC0, 0);
    send_data(t, 0x11, blk, 64, 0);
    expect_status(t, 0x11, 0xC6, 0);
    assert_int_equal(t->f.n_program, 0);
    /* end before all data arrived */
    send_words(t, 0x04, &stay, 1);
    expect_status(t, 0x04, 0xC8, 0);
    /* the remaining 64 blocks... then a program failure is reported on the next block */
    for (int i = 0; i < 63; i++) {
        send_data(t, 0x03, blk, 64, (uint32_t)i);
        expect_status(t, 0x03, 0, 0);
    }
    t->f.fail_program = 1;
    send_data(t, 0x03, blk, 64, 63);
    expect_status(t, 0x03, 0, 0); /* acknowledged on receipt */
    send_words(t, 0x04, &stay, 1);
    expect_status(t, 0x04, 0xC4, 0);
    /* oversized frame: C0 EE like esptool's stub */
    size_t big = STUB_FRAME_CAP + 100;
    uint8_t *huge = calloc(1, big);
    huge[1] = 0x03;
    feed_frame(t, huge, big);
    expect_status(t, 0x03, 0xC0, 0xEE);
    free(huge);
    /* FLASH_END(0): reply, then reboot */
    t->f.fail_program = 0;
    w[0] = 0;
    send_words(t, 0x02, w, 4);
    expect_status(t, 0x02, 0, 0);
    uint32_t reboot = 0;
    send_words(t, 0x04, &reboot, 1);
    expect_status(t, 0x04, 0, 0);
    assert_int_equal(t->f.run_calls, 1);
    assert_int_equal(t->f.run_entry, 0);
    expect_no_more(t);
    t_free(t);
}

static void test_stub_core_mem(void **state)
{
    (void)state;
    struct t *t = t_new(0);
    uint8_t code[100];
    for (int i = 0; i < 100; i++)
        code[i] = (uint8_t)(i * 3);
    uint32_t b[4] = {100, 1, 0x1800, 0x1100};
    send_words(t, 0x05, b, 4);
    expect_status(t, 0x05, 0, 0);
    send_data(t, 0x07, code, 60, 0);
    expect_status(t, 0x07, 0, 0);
    uint32_t e[2] = {0, 0x1100};
    send_words(t, 0x06, e, 2);
    expect_status(t, 0x06, 0xC8, 0); /* 40 bytes missing */
    assert_int_equal(t->f.run_calls, 0);
    send_words(t, 0x05, b, 4);
    expect_status(t, 0x05, 0, 0);
    send_data(t, 0x07, code, 100, 0);
    expect_status(t, 0x07, 0, 0);
    send_data(t, 0x07, code, 4, 1);
    expect_status(t, 0x07, 0xC9, 0);
    send_words(t, 0x06, e, 2);
    expect_status(t, 0x06, 0, 0);
    assert_int_equal(t->f.run_calls, 1);
    assert_int_equal(t->f.run_entry, 0x1100);
    assert_memory_equal(t->f.ram + 0x100, code, 100);
    send_data(t, 0x07, code, 4, 0);
    expect_status(t, 0x07, 0xC6, 0);
    expect_no_more(t);
    t_free(t);
}

/* ------------------------------------------------------------------ READ_FLASH */

static void ack(struct t *t, uint32_t n)
{
    uint8_t a[4];
    put32(a, n);
    feed_frame(t, a, 4);
}

static void test_stub_core_read_flash(void **state)
{
    (void)state;
    struct t *t = t_new(1);
    for (uint32_t i = 0; i < FLASH_SIZE; i++)
        t->f.flash[i] = (uint8_t)rnd();
    uint32_t cases[][4] = {
        {0x1234, 10000, 0x1000, 64},  /* esptool: one packet in flight */
        {0, 0x3000, 0x1000, 0x2000},  /* two packets in flight */
        {0x100, 0, 0x1000, 64},       /* nothing to read: MD5 only */
        {0x40000, 0x1000, 0x1000, 0}, /* 0 in flight treated as one packet */
        {0x8000, 777, 100, 1000000},  /* everything at once */
    };
    uint8_t *fr = malloc(0x5000);
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        uint32_t addr = cases[c][0], len = cases[c][1], pkt = cases[c][2];
        uint32_t inflight = cases[c][3] ? cases[c][3] : 1;
        send_words(t, 0xD2, cases[c], 4);
        expect_status(t, 0xD2, 0, 0);
        uint32_t got = 0, acked = 0;
        uint8_t *data = malloc(len + 1);
        while (got < len) {
            size_t n = next_frame(t, fr, 0x5000);
            if (n == 0) { /* stub waits for an ACK */
                assert_true(got - acked >= inflight || got == len);
                acked = got;
                ack(t, acked);
                continue;
            }
            assert_int_equal(n, len - got < pkt ? len - got : pkt);
            memcpy(data + got, fr, n);
            got += (uint32_t)n;
            assert_true(got - acked <= inflight + pkt);
        }
        if (acked < got)
            ack(t, got);
        size_t n = next_frame(t, fr, 0x5000);
        assert_int_equal(n, 16);
        uint8_t want[16];
        MD5_CTX m;
        MD5Init(&m);
        MD5Update(&m, t->f.flash + addr, len);
        MD5Final(want, &m);
        assert_memory_equal(fr, want, 16);
        assert_memory_equal(data, t->f.flash + addr, len);
        free(data);
        expect_no_more(t);
        /* back to commands */
        uint32_t a = 0;
        send_words(t, 0x0A, &a, 1);
        assert_int_equal(next_frame(t, fr, 64), 10);
    }
    /* the host gives up mid-way: a non-ACK frame ends the transfer with the MD5 */
    uint32_t r[4] = {0, 0x4000, 0x1000, 64};
    send_words(t, 0xD2, r, 4);
    expect_status(t, 0xD2, 0, 0);
    assert_int_equal(next_frame(t, fr, 0x5000), 0x1000);
    feed_frame(t, (const uint8_t *)"xy", 2);
    assert_int_equal(next_frame(t, fr, 0x5000), 16);
    expect_no_more(t);
    /* bad packet size */
    r[2] = 0;
    send_words(t, 0xD2, r, 4);
    expect_status(t, 0xD2, 0xC0, 0);
    free(fr);
    t_free(t);
}

/* ------------------------------------------------------------------ robustness */

/* While a block is being written the next one arrives through the poll hook (as on the
 * chip, where the HAL drains the UART during flash work); both are handled in order. */
static void test_stub_core_reentrant_rx(void **state)
{
    (void)state;
    struct t *t = t_new(1);
    memset(t->f.flash, 0, FLASH_SIZE); /* erases take polls */
    uint32_t w[4] = {0x8000, 2, 0x4000, 0x8000};
    send_words(t, 0x02, w, 4);
    expect_status(t, 0x02, 0, 0);
    uint8_t *b1 = malloc(0x4000), *b2 = malloc(0x4000 + 16), *enc = malloc(0x8100);
    memset(b1, 0x11, 0x4000);
    memset(b2 + 16, 0x22, 0x4000);
    put32(b2, 0x4000);
    put32(b2 + 4, 1);
    put32(b2 + 8, 0);
    put32(b2 + 12, 0);
    uint8_t pkt[8 + 16 + 0x4000];
    pkt[0] = 0;
    pkt[1] = 0x03;
    pkt[2] = 0x10;
    pkt[3] = 0x40;
    put32(pkt + 4, xor_sum(b2 + 16, 0x4000));
    memcpy(pkt + 8, b2, 16 + 0x4000);
    size_t m = el_slip_encode(pkt, sizeof(pkt), enc, 0x8100);
    t->f.inject = enc;
    t->f.inject_len = m;
    send_data(t, 0x03, b1, 0x4000, 0);
    /* most of block 1 arrived while block 0 was written; the rest comes now */
    assert_true(t->f.inject_len < m / 2);
    stub_core_rx(t->core, t->f.inject, t->f.inject_len);
    t->f.inject_len = 0;
    expect_status(t, 0x03, 0, 0);
    expect_status(t, 0x03, 0, 0);
    uint32_t stay = 1;
    send_words(t, 0x04, &stay, 1);
    expect_status(t, 0x04, 0, 0);
    for (uint32_t i = 0; i < 0x4000; i++) {
        assert_int_equal(t->f.flash[0x8000 + i], 0x11);
        assert_int_equal(t->f.flash[0xC000 + i], 0x22);
    }
    free(b1);
    free(b2);
    free(enc);
    t_free(t);
}

static void test_stub_core_garbage(void **state)
{
    (void)state;
    struct t *t = t_new(1);
    uint8_t buf[4096];
    for (int round = 0; round < 300; round++) {
        size_t n = 1 + rnd() % sizeof(buf);
        for (size_t i = 0; i < n; i++) {
            uint32_t r = rnd() % 16;
            buf[i] = r == 0 ? 0xC0 : r == 1 ? 0xDB : r == 2 ? 0x00 : (uint8_t)rnd();
        }
        if (round % 3 == 0) { /* plausible headers with random ops */
            buf[0] = 0xC0;
            if (n > 3) {
                buf[1] = 0;
                buf[2] = (uint8_t)rnd();
            }
        }
        stub_core_rx(t->core, buf, n);
        /* leave READ_FLASH if garbage started one */
        if (t->core->rd_active)
            feed_frame(t, (const uint8_t *)"stop", 3);
    }
    /* still answers after resynchronising on 0xC0 */
    const uint8_t resync[2] = {0xC0, 0xC0};
    stub_core_rx(t->core, resync, 2);
    t->rd = t->f.tx_len;
    uint32_t a = 0;
    send_words(t, 0x0A, &a, 1);
    uint8_t fr[64];
    assert_int_equal(next_frame(t, fr, sizeof(fr)), 10);
    assert_int_equal(fr[1], 0x0A);
    assert_int_equal(fr[8], 0);
    /* bad SLIP escape drops the frame */
    const uint8_t bad[] = {0xC0, 0x00, 0x0A, 0x04, 0x00, 0xDB, 0x01, 0, 0, 0, 0, 0, 0, 0, 0xC0};
    stub_core_rx(t->core, bad, sizeof(bad));
    expect_no_more(t);
    t_free(t);
}

/* ------------------------------------------------------------------ erase-ahead */

/* Runs the main loop's idle work until there is none; returns the number of steps. */
static unsigned idle_all(struct t *t)
{
    unsigned n = 0;
    for (unsigned i = 0; i < 10000; i++) {
        int busy = t->f.busy_left > 0;
        if (stub_core_idle(t->core))
            n++;
        else if (!busy)
            break; /* nothing to do although the flash is idle */
    }
    return n;
}

static void test_stub_core_erase_ahead(void **state)
{
    (void)state;
    struct t *t = t_new(2);
    memset(t->f.flash, 0x00, FLASH_SIZE);
    /* blank islands: the sector 0x15000 and the whole block 0x20000 */
    memset(t->f.flash + 0x15000, 0xFF, 0x1000);
    memset(t->f.flash + 0x20000, 0xFF, 0x10000);
    assert_int_equal(stub_core_idle(t->core), 0); /* no write: nothing to do */
    /* region [0x13000, 0x34000): 0x20800 bytes from 0x13000 */
    const uint32_t off = 0x13000, size = 0x20800, rend = 0x34000;
    uint32_t w[4] = {size, (size + 0x3FFF) / 0x4000, 0x4000, off};
    send_words(t, 0x02, w, 4);
    expect_status(t, 0x02, 0, 0);
    unsigned steps = idle_all(t);
    assert_true(steps > 0);
    /* only inside the announced region and at most STUB_ERASE_AHEAD_MAX ahead of the
     * write position; blank sectors skipped: 0x13000-0x1FFFF has 13 sectors, one blank ->
     * 12 erases; block 0x20000 blank; 0x30000-0x32FFF: 3 sectors (no full block left) */
    assert_true(t->f.erase_lo >= off);
    assert_true(t->f.erase_hi <= off + STUB_ERASE_AHEAD_MAX);
    assert_int_equal(t->f.n_erase_start, 12 + 3);
    for (uint32_t a = off; a < off + STUB_ERASE_AHEAD_MAX; a++)
        assert_int_equal(t->f.flash[a], 0xFF);
    assert_int_equal(t->f.flash[off - 1], 0x00);
    assert_int_equal(t->f.flash[off + STUB_ERASE_AHEAD_MAX], 0x00);
    assert_int_equal(t->f.n_erase_sector + t->f.n_erase_block, 0); /* nothing waited for */
    assert_int_equal(stub_core_idle(t->core), 0);
    /* the data: correct content; the last sector is prepared as the write gets there */
    uint8_t *img = malloc(size);
    for (uint32_t i = 0; i < size; i++)
        img[i] = (uint8_t)(rnd() | 1);
    for (uint32_t i = 0; i * 0x4000 < size; i++) {
        uint32_t n = size - i * 0x4000 < 0x4000 ? size - i * 0x4000 : 0x4000;
        send_data(t, 0x03, img + i * 0x4000, n, i);
        expect_status(t, 0x03, 0, 0);
        idle_all(t);
    }
    uint32_t end[1] = {1};
    send_words(t, 0x04, end, 1);
    expect_status(t, 0x04, 0, 0);
    assert_memory_equal(t->f.flash + off, img, size);
    for (uint32_t a = off + size; a < rend; a++)
        assert_int_equal(t->f.flash[a], 0xFF); /* the rest of the last sector */
    assert_int_equal(t->f.flash[rend], 0x00);
    assert_int_equal(t->f.n_erase_start + t->f.n_erase_sector + t->f.n_erase_block, 16);
    free(img);
    t_free(t);
}

/* Erase-ahead over part of the region, then the data overtakes it: the rest is erased
 * just in time, content correct, and a block's ACK never waits for a running erase. */
static void test_stub_core_erase_ahead_ack(void **state)
{
    (void)state;
    struct t *t = t_new(2);
    memset(t->f.flash, 0x5A, FLASH_SIZE);
    const uint32_t off = 0x40000, size = 0x20000;
    uint32_t w[4] = {size, size / 0x4000, 0x4000, off};
    send_words(t, 0x02, w, 4);
    expect_status(t, 0x02, 0, 0);
    assert_int_equal(stub_core_idle(t->core), 1); /* starts the first block erase */
    assert_int_equal(t->f.n_erase_start, 1);
    assert_true(t->f.busy_left > 0);
    assert_int_equal(stub_core_idle(t->core), 0); /* flash busy: nothing */
    assert_int_equal(t->f.waits, 0);
    /* a block arrives while the erase runs: ACKed before anything waits for the flash */
    uint8_t blk[0x4000];
    memset(blk, 0x11, sizeof(blk));
    size_t tx0 = t->f.tx_len;
    t->f.busy_left = 1000;
    send_data(t, 0x03, blk, sizeof(blk), 0);
    assert_true(t->f.tx_len_at_first_program > tx0); /* the ACK went out first */
    assert_int_equal(t->f.waits, 1);
    expect_status(t, 0x03, 0, 0);
    for (uint32_t i = 1; i < size / 0x4000; i++) {
        send_data(t, 0x03, blk, sizeof(blk), i);
        expect_status(t, 0x03, 0, 0);
    }
    uint32_t end[1] = {1};
    send_words(t, 0x04, end, 1);
    expect_status(t, 0x04, 0, 0);
    for (uint32_t a = off; a < off + size; a++)
        assert_int_equal(t->f.flash[a], 0x11);
    assert_int_equal(t->f.flash[off + size], 0x5A);
    assert_int_equal(t->f.n_erase_start + t->f.n_erase_block, 2); /* two 64 KiB blocks */
    t_free(t);
}

/* esptool's legacy stub: every sector erased (blank or not), 0xFF pages programmed, no
 * idle erase-ahead, and its ERASE_REGION status codes. */
static void test_stub_core_esptool_policy(void **state)
{
    (void)state;
    for (int legacy = 0; legacy < 2; legacy++) {
        struct t *t = t_new(2);
        if (legacy)
            stub_core_set_policy(t->core, STUB_POLICY_ESPTOOL);
        uint32_t w[4] = {0x2000, 1, 0x4000, 0x10000};
        send_words(t, 0x02, w, 4);
        expect_status(t, 0x02, 0, 0);
        assert_int_equal(stub_core_idle(t->core), 0 + !legacy * 1);
        uint8_t blk[0x2000];
        memset(blk, 0xFF, sizeof(blk));
        send_data(t, 0x03, blk, sizeof(blk), 0);
        expect_status(t, 0x03, 0, 0);
        uint32_t end[1] = {1};
        send_words(t, 0x04, end, 1);
        expect_status(t, 0x04, 0, 0);
        unsigned erases = t->f.n_erase_start + t->f.n_erase_sector + t->f.n_erase_block;
        assert_int_equal(erases, legacy ? 2 : 0);
        assert_int_equal(t->f.n_program, legacy ? 0x2000 / 256 : 0);
        uint32_t er[2] = {0x1001, 0x1000};
        send_words(t, 0xD1, er, 2);
        expect_status(t, 0xD1, legacy ? 0x32 : 0xC0, 0);
        t_free(t);
    }
    /* deflated, legacy: 64 KiB block erases when aligned with 16 sectors left, sectors
     * otherwise, blank or not */
    struct t *t = t_new(2);
    stub_core_set_policy(t->core, STUB_POLICY_ESPTOOL);
    const uint32_t size = 0x13000;
    uint8_t *img = malloc(size);
    for (uint32_t i = 0; i < size; i++)
        img[i] = (uint8_t)(i * 7 + (i >> 9));
    uLongf zlen = compressBound(size);
    uint8_t *z = malloc(zlen);
    assert_int_equal(compress2(z, &zlen, img, size, 9), Z_OK);
    uint32_t nb = (uint32_t)((zlen + 0x3FFF) / 0x4000);
    uint32_t w[4] = {size, nb, 0x4000, 0x20000};
    send_words(t, 0x10, w, 4);
    expect_status(t, 0x10, 0, 0);
    for (uint32_t i = 0; i < nb; i++) {
        uint32_t n = (uint32_t)(zlen - i * 0x4000 < 0x4000 ? zlen - i * 0x4000 : 0x4000);
        send_data(t, 0x11, z + i * 0x4000, n, i);
        expect_status(t, 0x11, 0, 0);
    }
    uint32_t end[1] = {1};
    send_words(t, 0x12, end, 1);
    expect_status(t, 0x12, 0, 0);
    assert_memory_equal(t->f.flash + 0x20000, img, size);
    /* one 64 KiB block + 3 sectors, counted over background and waited erases */
    assert_int_equal(t->f.n_erase_start + t->f.n_erase_sector + t->f.n_erase_block, 4);
    free(z);
    free(img);
    t_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stub_core_greeting_and_sync),
        cmocka_unit_test(test_stub_core_registers),
        cmocka_unit_test(test_stub_core_misc_commands),
        cmocka_unit_test(test_stub_core_security_info),
        cmocka_unit_test(test_stub_core_md5),
        cmocka_unit_test(test_stub_core_flash_plain_blank_chip),
        cmocka_unit_test(test_stub_core_flash_plain_dirty_chip),
        cmocka_unit_test(test_stub_core_block_erase_decision),
        cmocka_unit_test(test_stub_core_erase_region_and_chip),
        cmocka_unit_test(test_stub_core_flash_deflate),
        cmocka_unit_test(test_stub_core_deflate_errors),
        cmocka_unit_test(test_stub_core_flash_errors),
        cmocka_unit_test(test_stub_core_mem),
        cmocka_unit_test(test_stub_core_read_flash),
        cmocka_unit_test(test_stub_core_reentrant_rx),
        cmocka_unit_test(test_stub_core_garbage),
        cmocka_unit_test(test_stub_core_erase_ahead),
        cmocka_unit_test(test_stub_core_erase_ahead_ack),
        cmocka_unit_test(test_stub_core_esptool_policy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
