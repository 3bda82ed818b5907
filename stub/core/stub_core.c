/* SPDX-License-Identifier: MIT */
/*
 * The flasher-stub protocol engine: SLIP framing, command dispatch, erase-ahead in the
 * background (stub_core_idle) with a just-in-time fallback and blank-sector skipping,
 * streaming inflate, READ_FLASH flow control and MD5. A second policy reproduces esptool's
 * legacy stub for the virtual device (stub_core_set_policy).
 * Replies follow esptool's stubs: header (0x01, op, len, value), optional payload, then
 * two status bytes: the stub error code (0 = ok) and 0.
 * Portable C without libc: the same file is cross-compiled for the chips.
 */
#include "stub_core_int.h"

#define OP_FLASH_BEGIN       0x02
#define OP_FLASH_DATA        0x03
#define OP_FLASH_END         0x04
#define OP_MEM_BEGIN         0x05
#define OP_MEM_END           0x06
#define OP_MEM_DATA          0x07
#define OP_SYNC              0x08
#define OP_WRITE_REG         0x09
#define OP_READ_REG          0x0A
#define OP_SPI_SET_PARAMS    0x0B
#define OP_SPI_ATTACH        0x0D
#define OP_CHANGE_BAUDRATE   0x0F
#define OP_FLASH_DEFL_BEGIN  0x10
#define OP_FLASH_DEFL_DATA   0x11
#define OP_FLASH_DEFL_END    0x12
#define OP_SPI_FLASH_MD5     0x13
#define OP_GET_SECURITY_INFO 0x14
#define OP_ERASE_FLASH       0xD0
#define OP_ERASE_REGION      0xD1
#define OP_READ_FLASH        0xD2
#define OP_RUN_USER_CODE     0xD3

/* stub status codes (first status byte) */
#define ST_OK              0x00
#define ST_BAD_DATA_LEN    0xC0
#define ST_BAD_CHECKSUM    0xC1
#define ST_BAD_BLOCKSIZE   0xC2
#define ST_FAILED_SPI_OP   0xC4
#define ST_FAILED_UNLOCK   0xC5
#define ST_NOT_IN_FLASH    0xC6
#define ST_INFLATE         0xC7
#define ST_NOT_ENOUGH_DATA 0xC8
#define ST_TOO_MUCH_DATA   0xC9
#define ST_NOT_IMPLEMENTED 0xFF

#define SLIP_END     0xC0
#define SLIP_ESC     0xDB
#define SLIP_ESC_END 0xDC
#define SLIP_ESC_ESC 0xDD

static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void poll_hal(struct stub_core *c)
{
    if (c->hal.poll)
        c->hal.poll(c->hal.ctx);
}

/* ---------------------------------------------------------------- SLIP transmit */

static void tx_flush(struct stub_core *c)
{
    if (c->tx_len > 0) {
        c->hal.uart_tx(c->hal.ctx, c->tx, c->tx_len);
        c->tx_len = 0;
    }
}

static void tx_raw(struct stub_core *c, uint8_t b)
{
    if (c->tx_len >= STUB_TX_BUF)
        tx_flush(c);
    c->tx[c->tx_len++] = b;
}

static void tx_data(struct stub_core *c, const uint8_t *p, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        uint8_t b = p[i];
        if (b == SLIP_END) {
            tx_raw(c, SLIP_ESC);
            tx_raw(c, SLIP_ESC_END);
        } else if (b == SLIP_ESC) {
            tx_raw(c, SLIP_ESC);
            tx_raw(c, SLIP_ESC_ESC);
        } else {
            tx_raw(c, b);
        }
    }
}

static void tx_begin(struct stub_core *c)
{
    tx_raw(c, SLIP_END);
}

static void tx_end(struct stub_core *c)
{
    tx_raw(c, SLIP_END);
    tx_flush(c);
}

static void send_raw_frame(struct stub_core *c, const uint8_t *p, uint32_t n)
{
    tx_begin(c);
    tx_data(c, p, n);
    tx_end(c);
}

static void reply(struct stub_core *c, uint8_t op, uint32_t value, const uint8_t *payload,
                  uint32_t plen, uint8_t status, uint8_t err)
{
    uint8_t hdr[8], st[2] = {status, err};
    hdr[0] = 1;
    hdr[1] = op;
    hdr[2] = (uint8_t)(plen + 2);
    hdr[3] = (uint8_t)((plen + 2) >> 8);
    put_le32(hdr + 4, value);
    tx_begin(c);
    tx_data(c, hdr, 8);
    if (plen > 0)
        tx_data(c, payload, plen);
    tx_data(c, st, 2);
    tx_end(c);
}

void stub_core_greet(struct stub_core *c)
{
    static const uint8_t ohai[4] = {'O', 'H', 'A', 'I'};
    send_raw_frame(c, ohai, 4);
}

/* ---------------------------------------------------------------- flash helpers */

static int flash_read(struct stub_core *c, uint32_t addr, uint8_t *buf, uint32_t len)
{
    return c->hal.flash_read(c->hal.ctx, addr, buf, len);
}

/* 1 if the 4 KiB sector at addr is all 0xFF, 0 if not, -1 on a read error. */
static int sector_blank(struct stub_core *c, uint32_t addr)
{
    for (uint32_t off = 0; off < STUB_SECTOR; off += STUB_READ_CHUNK) {
        if (flash_read(c, addr + off, c->scratch, STUB_READ_CHUNK) != 0)
            return -1;
        uint8_t all = 0xFF;
        for (uint32_t i = 0; i < STUB_READ_CHUNK; i++)
            all &= c->scratch[i];
        if (all != 0xFF)
            return 0;
        poll_hal(c);
    }
    return 1;
}

/* Waits until a background erase is done (no-op without hal.flash_busy). 0 if idle. */
static int flash_wait_idle(struct stub_core *c)
{
    if (!c->hal.flash_busy)
        return 0;
    for (uint32_t n = 0; n < STUB_BUSY_WAIT_MAX; n++) {
        if (!c->hal.flash_busy(c->hal.ctx))
            return 0;
        if (c->hal.delay_us)
            c->hal.delay_us(c->hal.ctx, STUB_BUSY_POLL_US);
        else
            poll_hal(c);
    }
    return -1;
}

/* Erases one sector (block64 = 0) or one aligned 64 KiB block: waits for completion, or
 * with async only starts it (the next flash operation waits). 0 if ok. */
static int erase_unit(struct stub_core *c, uint32_t addr, int block64, int async)
{
    void *hc = c->hal.ctx;
    if (async)
        return c->hal.flash_erase_start(hc, addr, block64);
    return block64 ? c->hal.flash_erase_block(hc, addr) : c->hal.flash_erase_sector(hc, addr);
}

/* Prepares the flash at *next for writing, up to end (both sector aligned), one erase at a
 * time: sectors that already read as all 0xFF are left alone; an aligned 64 KiB block with
 * enough dirty sectors is erased with one block erase, otherwise its dirty sectors are
 * recorded in *mask and erased by this and the following calls. Advances *next past a
 * sector or block once it is prepared. With async the erase is only started. Returns a
 * stub status. */
static uint8_t erase_step(struct stub_core *c, uint32_t *next, uint32_t end, uint32_t *mask,
                          int async)
{
    uint32_t addr = *next;
    if (*mask == 0 && (addr & (STUB_BLOCK64 - 1)) == 0 && end - addr >= STUB_BLOCK64 &&
        c->hal.flash_erase_block) {
        uint32_t dirty = 0, m = 0, i;
        for (i = 0; i < STUB_BLOCK64 / STUB_SECTOR && dirty < STUB_BLOCK_ERASE_MIN_DIRTY; i++) {
            int r = sector_blank(c, addr + i * STUB_SECTOR);
            if (r < 0)
                return ST_FAILED_SPI_OP;
            if (r == 0) {
                dirty++;
                m |= 1u << i;
            }
        }
        if (dirty >= STUB_BLOCK_ERASE_MIN_DIRTY) {
            if (erase_unit(c, addr, 1, async) != 0)
                return ST_FAILED_SPI_OP;
            m = 0;
        }
        if (m == 0) {
            *next = addr + STUB_BLOCK64;
            poll_hal(c);
            return ST_OK;
        }
        *mask = m;
    }
    if (*mask != 0) { /* addr is the block; erase its lowest dirty sector */
        uint32_t i = 0;
        while ((*mask & (1u << i)) == 0)
            i++;
        *mask &= ~(1u << i);
        if (erase_unit(c, addr + i * STUB_SECTOR, 0, async) != 0)
            return ST_FAILED_SPI_OP;
        if (*mask == 0)
            *next = addr + STUB_BLOCK64;
    } else {
        int r = sector_blank(c, addr);
        if (r < 0)
            return ST_FAILED_SPI_OP;
        if (r == 0 && erase_unit(c, addr, 0, async) != 0)
            return ST_FAILED_SPI_OP;
        *next = addr + STUB_SECTOR;
    }
    poll_hal(c);
    return ST_OK;
}

/* esptool's legacy stub (start_next_erase): the next sector, or a 64 KiB block when aligned
 * and at least 16 sectors remain, with no blank check; started in the background when the
 * HAL can, and nothing is done while the flash is still busy. */
static uint8_t legacy_erase_next(struct stub_core *c, int wait)
{
    if (c->fw_erase_next >= c->fw_erase_end)
        return ST_OK;
    int async = c->hal.flash_erase_start && c->hal.flash_busy;
    if (async && !wait && c->hal.flash_busy(c->hal.ctx))
        return ST_OK;
    uint32_t addr = c->fw_erase_next;
    if (c->policy == STUB_POLICY_ESP_FLASHER && !c->fw_dirty_seen) {
        /* esp-flasher-stub: a sector that reads blank is skipped, until the first one that
         * does not; from then on everything is erased without reading */
        if (async)
            flash_wait_idle(c);
        int r = sector_blank(c, addr);
        if (r < 0)
            return ST_FAILED_SPI_OP;
        if (r == 1) {
            c->fw_erase_next = addr + STUB_SECTOR;
            return ST_OK;
        }
        c->fw_dirty_seen = 1;
    }
    int block = (addr & (STUB_BLOCK64 - 1)) == 0 && c->fw_erase_end - addr >= STUB_BLOCK64 &&
                c->hal.flash_erase_block;
    if (erase_unit(c, addr, block, async) != 0)
        return ST_FAILED_SPI_OP;
    c->fw_erase_next = addr + (block ? STUB_BLOCK64 : STUB_SECTOR);
    poll_hal(c);
    return ST_OK;
}

static uint8_t unlock(struct stub_core *c)
{
    if (c->hal.flash_unlock && c->hal.flash_unlock(c->hal.ctx) != 0)
        return ST_FAILED_UNLOCK;
    return ST_OK;
}

/* Erase-ahead (espload policy): if a write is active, sectors of its region remain to be
 * prepared and the flash is idle, checks the next sector or 64 KiB block and starts its
 * erase in the background. Returns 1 if it did a step. */
static int erase_ahead(struct stub_core *c)
{
    if (c->policy != STUB_POLICY_ESPLOAD || !c->fw_active || c->fw_error != ST_OK || c->rd_active ||
        c->fw_erase_next >= c->fw_erase_end ||
        c->fw_erase_next - (c->fw_next & ~(STUB_SECTOR - 1)) >= STUB_ERASE_AHEAD_MAX ||
        !c->hal.flash_erase_start || !c->hal.flash_busy || c->hal.flash_busy(c->hal.ctx))
        return 0;
    uint8_t st = erase_step(c, &c->fw_erase_next, c->fw_erase_end, &c->fw_erase_mask, 1);
    if (st != ST_OK && c->fw_error == ST_OK)
        c->fw_error = st; /* reported with the next data block, like a failed write */
    return 1;
}

/* Non-zero while a background erase runs (0 without the HAL members). */
static int flash_busy(struct stub_core *c)
{
    return c->hal.flash_busy && c->hal.flash_busy(c->hal.ctx);
}

/* Writes len bytes at c->fw_next, erasing just in time what erase-ahead has not prepared
 * yet. Skips all-0xFF page pieces (programming 0xFF changes nothing on NOR flash); the
 * esptool policy programs everything, like esptool's stub. Returns a stub status. */
static uint8_t write_bytes(struct stub_core *c, const uint8_t *data, uint32_t len)
{
    uint32_t addr = c->fw_next, end = addr + len;
    int legacy = c->policy != STUB_POLICY_ESPLOAD;
    if (legacy) {
        /* like esptool's stub: up to and including the sector the write ends in */
        while (c->fw_erase_next < c->fw_erase_end &&
               c->fw_erase_next <= (end & ~(STUB_SECTOR - 1))) {
            uint8_t st = legacy_erase_next(c, 1);
            if (st != ST_OK)
                return st;
        }
    } else {
        while (c->fw_erase_next < end && c->fw_erase_next < c->fw_erase_end) {
            uint8_t st = erase_step(c, &c->fw_erase_next, c->fw_erase_end, &c->fw_erase_mask, 0);
            if (st != ST_OK)
                return st;
        }
    }
    while (len > 0) {
        uint32_t n = STUB_PAGE - (addr & (STUB_PAGE - 1));
        if (n > len)
            n = len;
        uint8_t all = 0xFF;
        for (uint32_t i = 0; i < n && !legacy; i++)
            all &= data[i];
        if (legacy || all != 0xFF) {
            if (c->hal.flash_program(c->hal.ctx, addr, data, n) != 0)
                return ST_FAILED_SPI_OP;
            poll_hal(c);
        }
        addr += n;
        data += n;
        len -= n;
    }
    return ST_OK;
}

/* Consumes decompressed or raw output: trims to what FLASH_BEGIN announced. */
static void fw_output(struct stub_core *c, const uint8_t *data, uint32_t len)
{
    if (len > c->fw_remaining) {
        if (c->fw_deflate) { /* the stream holds more than announced */
            c->fw_error = ST_TOO_MUCH_DATA;
            return;
        }
        len = c->fw_remaining; /* last uncompressed block is padded */
    }
    if (len == 0)
        return;
    uint8_t st = write_bytes(c, data, len);
    if (st != ST_OK && c->fw_error == ST_OK)
        c->fw_error = st;
    c->fw_next += len;
    c->fw_remaining -= len;
}

static void fw_flush_window(struct stub_core *c)
{
    uint32_t pos = c->inf.pos;
    if (pos > c->fw_win_flushed)
        fw_output(c, c->window + c->fw_win_flushed, pos - c->fw_win_flushed);
    c->fw_win_flushed = pos >= STUB_INF_WINDOW ? 0 : pos;
}

static void fw_deflate_data(struct stub_core *c, const uint8_t *data, uint32_t len)
{
    if (c->fw_inflate_done) {
        if (len > 0)
            c->fw_error = ST_TOO_MUCH_DATA;
        return;
    }
    c->fw_compressed_remaining =
        len > c->fw_compressed_remaining ? 0 : c->fw_compressed_remaining - len;
    int legacy = c->policy != STUB_POLICY_ESPLOAD;
    int erase_due = legacy;
    for (;;) {
        uint32_t used = 0, start = 0;
        if (erase_due) {
            /* esptool's stub starts one erase before each decompression call (which runs
             * until its input is used up or its 32 KiB output buffer is full) */
            uint8_t st = legacy_erase_next(c, 0);
            if (st != ST_OK && c->fw_error == ST_OK)
                c->fw_error = st;
            erase_due = 0;
        }
        int r = stub_inflate_run(&c->inf, data, len, &used, &start);
        data += used;
        len -= used;
        /* batches are written when the flash is free; while an erase runs the output
         * collects in the window (up to 32 KiB) and decompression goes on meanwhile */
        if (r == STUB_INF_WINDOW_FULL || r == STUB_INF_DONE ||
            (!legacy && c->inf.pos - c->fw_win_flushed >= STUB_WRITE_BATCH && !flash_busy(c)))
            fw_flush_window(c);
        if (c->fw_error != ST_OK)
            return;
        if (r == STUB_INF_WINDOW_FULL || r == STUB_INF_OUT_LIMIT) {
            erase_due = legacy && r == STUB_INF_WINDOW_FULL;
            poll_hal(c);
            continue;
        }
        if (r == STUB_INF_DONE) {
            c->fw_inflate_done = 1;
            if (len > 0)
                c->fw_error = ST_TOO_MUCH_DATA;
            else if (c->fw_remaining > 0)
                c->fw_error = ST_NOT_ENOUGH_DATA;
            return;
        }
        if (r < 0)
            c->fw_error = ST_INFLATE;
        return; /* STUB_INF_NEED_INPUT: all input used; output stays batched */
    }
}

static uint8_t fw_begin(struct stub_core *c, const uint8_t *d, uint32_t dlen, int deflate)
{
    if (dlen != 16 && dlen != 20)
        return ST_BAD_DATA_LEN;
    uint32_t total = get_le32(d), blocks = get_le32(d + 4), block_size = get_le32(d + 8);
    uint32_t offset = get_le32(d + 12);
    if (block_size > STUB_MAX_BLOCK)
        return ST_BAD_BLOCKSIZE;
    if (dlen == 20 && get_le32(d + 16) != 0)
        return ST_NOT_IMPLEMENTED; /* encrypted writes need the chip's flash encryption */
    if (total > 0xFFFFFFFFu - STUB_SECTOR - offset)
        return ST_BAD_DATA_LEN;
    c->fw_active = 0;
    uint8_t st = unlock(c);
    if (st != ST_OK)
        return st;
    c->fw_active = 1;
    c->fw_deflate = (uint8_t)deflate;
    c->fw_inflate_done = 0;
    c->fw_error = ST_OK;
    c->fw_next = offset;
    c->fw_remaining = total;
    c->fw_erase_next = offset & ~(STUB_SECTOR - 1);
    c->fw_erase_end =
        total == 0 ? c->fw_erase_next : (offset + total + STUB_SECTOR - 1) & ~(STUB_SECTOR - 1);
    c->fw_erase_mask = 0;
    c->fw_dirty_seen = 0;
    c->fw_compressed_remaining = blocks * block_size;
    c->fw_win_flushed = 0;
    if (deflate) {
        stub_inflate_init(&c->inf, c->window);
        c->inf.out_max = STUB_INFLATE_STEP;
    }
    return ST_OK;
}

static uint8_t fw_end(struct stub_core *c)
{
    if (!c->fw_active)
        return ST_NOT_IN_FLASH;
    if (flash_wait_idle(c) != 0) /* no erase may still run when the host moves on */
        return ST_FAILED_SPI_OP;
    if (c->fw_error != ST_OK) { /* the most specific cause first */
        c->fw_active = 0;
        return c->fw_error;
    }
    if (c->fw_remaining > 0)
        return ST_NOT_ENOUGH_DATA;
    if (c->fw_deflate && !c->fw_inflate_done)
        return ST_NOT_ENOUGH_DATA; /* output complete but the Adler-32 trailer is missing */
    c->fw_active = 0;
    return ST_OK;
}

static uint8_t md5_region(struct stub_core *c, uint32_t addr, uint32_t len, uint8_t digest[16])
{
    stub_md5_init(&c->md5);
    while (len > 0) {
        uint32_t n = len < STUB_READ_CHUNK ? len : STUB_READ_CHUNK;
        if (flash_read(c, addr, c->scratch, n) != 0)
            return ST_FAILED_SPI_OP;
        stub_md5_update(&c->md5, c->scratch, n);
        addr += n;
        len -= n;
        poll_hal(c);
    }
    stub_md5_final(&c->md5, digest);
    return ST_OK;
}

/* ---------------------------------------------------------------- READ_FLASH */

static void rd_finish(struct stub_core *c)
{
    uint8_t digest[16];
    stub_md5_final(&c->md5, digest);
    send_raw_frame(c, digest, 16);
    c->rd_active = 0;
}

/* Sends data packets while the unacknowledged byte count allows it. */
static void rd_pump(struct stub_core *c)
{
    while (c->rd_sent < c->rd_len && c->rd_sent - c->rd_acked < c->rd_inflight) {
        uint32_t n = c->rd_len - c->rd_sent;
        if (n > c->rd_packet)
            n = c->rd_packet;
        tx_begin(c);
        for (uint32_t off = 0; off < n;) {
            uint32_t k = n - off < STUB_READ_CHUNK ? n - off : STUB_READ_CHUNK;
            if (flash_read(c, c->rd_addr, c->scratch, k) != 0) {
                /* a short packet makes the host report corrupt data */
                tx_end(c);
                rd_finish(c);
                return;
            }
            stub_md5_update(&c->md5, c->scratch, k);
            tx_data(c, c->scratch, k);
            c->rd_addr += k;
            off += k;
            poll_hal(c);
        }
        tx_end(c);
        c->rd_sent += n;
    }
    if (c->rd_acked >= c->rd_len)
        rd_finish(c);
}

static void rd_ack(struct stub_core *c, const uint8_t *f, uint32_t n)
{
    if (n != 4) { /* not an ACK: the host gave up; end like esptool's stub does */
        rd_finish(c);
        return;
    }
    uint32_t acked = get_le32(f);
    if (acked > c->rd_sent) {
        rd_finish(c);
        return;
    }
    c->rd_acked = acked;
    rd_pump(c);
}

/* ---------------------------------------------------------------- commands */

static int checksum_ok(const uint8_t *d, uint32_t n, uint32_t expected)
{
    uint32_t x = 0xEF;
    for (uint32_t i = 0; i < n; i++)
        x ^= d[i];
    return x == expected;
}

/* Common checks of FLASH_DATA / FLASH_DEFL_DATA / MEM_DATA: returns a status. */
static uint8_t check_data(const uint8_t *d, uint32_t dlen, uint32_t checksum)
{
    if (dlen < 16 || get_le32(d) != dlen - 16)
        return ST_BAD_DATA_LEN;
    if (!checksum_ok(d + 16, dlen - 16, checksum))
        return ST_BAD_CHECKSUM;
    return ST_OK;
}

/* ERASE_REGION as esptool's legacy stub does it: no blank check; sectors up to a 64 KiB
 * boundary, 64 KiB blocks while more than 64 KiB remain, then sectors. Its own status
 * codes for a misaligned address (0x32) or size (0x33), a failed unlock (0x34) or erase
 * (0x35..0x37). */
static uint8_t legacy_erase_region(struct stub_core *c, uint32_t addr, uint32_t len)
{
    void *hc = c->hal.ctx;
    if (addr % STUB_SECTOR != 0)
        return 0x32;
    if (len % STUB_SECTOR != 0)
        return 0x33;
    if (unlock(c) != ST_OK)
        return 0x34;
    while (len > 0 && addr % STUB_BLOCK64 != 0) {
        if (c->hal.flash_erase_sector(hc, addr) != 0)
            return 0x35;
        addr += STUB_SECTOR;
        len -= STUB_SECTOR;
        poll_hal(c);
    }
    while (len > STUB_BLOCK64 && c->hal.flash_erase_block) {
        if (c->hal.flash_erase_block(hc, addr) != 0)
            return 0x36;
        addr += STUB_BLOCK64;
        len -= STUB_BLOCK64;
        poll_hal(c);
    }
    while (len > 0) {
        if (c->hal.flash_erase_sector(hc, addr) != 0)
            return 0x37;
        addr += STUB_SECTOR;
        len -= STUB_SECTOR;
        poll_hal(c);
    }
    return ST_OK;
}

static void handle_request(struct stub_core *c, uint8_t op, const uint8_t *d, uint32_t dlen,
                           uint32_t checksum)
{
    void *hc = c->hal.ctx;
    uint8_t st = ST_OK;
    uint32_t value = 0;

    switch (op) {
    case OP_SYNC:
        if (dlen != 36) {
            st = ST_BAD_DATA_LEN;
            break;
        }
        /* like the ROM: eight replies; value 0 tells esptool a stub is running */
        for (int i = 0; i < 7; i++)
            reply(c, op, 0, 0, 0, ST_OK, 0);
        break;

    case OP_READ_REG:
        if (dlen != 4)
            st = ST_BAD_DATA_LEN;
        else if (c->hal.read_reg)
            value = c->hal.read_reg(hc, get_le32(d));
        break;

    case OP_WRITE_REG:
        if (dlen % 16 != 0) {
            st = ST_BAD_DATA_LEN;
            break;
        }
        for (uint32_t i = 0; i < dlen; i += 16) {
            uint32_t addr = get_le32(d + i), v = get_le32(d + i + 4);
            uint32_t mask = get_le32(d + i + 8), delay = get_le32(d + i + 12);
            if (delay && c->hal.delay_us)
                c->hal.delay_us(hc, delay);
            v &= mask;
            if (mask != 0xFFFFFFFFu && c->hal.read_reg)
                v |= c->hal.read_reg(hc, addr) & ~mask;
            if (c->hal.write_reg)
                c->hal.write_reg(hc, addr, v);
        }
        break;

    case OP_SPI_SET_PARAMS:
        if (dlen != 24)
            st = ST_BAD_DATA_LEN;
        else
            c->flash_size = get_le32(d + 4);
        break;

    case OP_SPI_ATTACH:
        /* flash is attached at start-up; the stub takes 4 bytes (the ROM 8) */
        if (dlen != 4)
            st = ST_BAD_DATA_LEN;
        break;

    case OP_CHANGE_BAUDRATE:
        if (dlen != 8) {
            st = ST_BAD_DATA_LEN;
            break;
        }
        reply(c, op, 0, 0, 0, ST_OK, 0); /* at the old rate, then switch */
        if (c->hal.set_baud)
            c->hal.set_baud(hc, get_le32(d), get_le32(d + 4));
        return;

    case OP_FLASH_BEGIN:
    case OP_FLASH_DEFL_BEGIN:
        st = fw_begin(c, d, dlen, op == OP_FLASH_DEFL_BEGIN);
        break;

    case OP_FLASH_DATA:
    case OP_FLASH_DEFL_DATA: {
        if (!c->fw_active || c->fw_deflate != (op == OP_FLASH_DEFL_DATA)) {
            st = ST_NOT_IN_FLASH;
        } else {
            st = c->fw_error; /* an earlier block's write failed */
            uint8_t chk = check_data(d, dlen, checksum);
            if (chk != ST_OK)
                st = chk;
        }
        /* acknowledge on receipt; the write runs while the host sends the next block */
        reply(c, op, 0, 0, 0, st, 0);
        if (st != ST_OK)
            return;
        /* like esptool's stub: an erase started now runs while this block is checked and
         * decompressed */
        erase_ahead(c);
        if (op == OP_FLASH_DATA)
            fw_output(c, d + 16, dlen - 16);
        else
            fw_deflate_data(c, d + 16, dlen - 16);
        return;
    }

    case OP_FLASH_END:
    case OP_FLASH_DEFL_END:
        if (dlen != 4) {
            st = ST_BAD_DATA_LEN;
            break;
        }
        st = fw_end(c);
        reply(c, op, 0, 0, 0, st, 0);
        if (st == ST_OK && get_le32(d) == 0 && c->hal.run)
            c->hal.run(hc, 0); /* 0 = reboot into the flashed application */
        return;

    case OP_MEM_BEGIN:
        if (dlen != 16) {
            st = ST_BAD_DATA_LEN;
            break;
        }
        if (!c->hal.mem_write) {
            st = ST_NOT_IMPLEMENTED;
            break;
        }
        c->mem_active = 1;
        c->mem_remaining = get_le32(d);
        c->mem_addr = get_le32(d + 12);
        break;

    case OP_MEM_DATA:
        if (!c->mem_active) {
            st = ST_NOT_IN_FLASH;
            break;
        }
        st = check_data(d, dlen, checksum);
        if (st != ST_OK)
            break;
        if (dlen - 16 > c->mem_remaining) {
            st = ST_TOO_MUCH_DATA;
            break;
        }
        if (c->hal.mem_write(hc, c->mem_addr, d + 16, dlen - 16) != 0) {
            st = ST_FAILED_SPI_OP;
            break;
        }
        c->mem_addr += dlen - 16;
        c->mem_remaining -= dlen - 16;
        break;

    case OP_MEM_END: {
        if (dlen != 8) {
            st = ST_BAD_DATA_LEN;
            break;
        }
        if (!c->mem_active) {
            st = ST_NOT_IN_FLASH;
            break;
        }
        st = c->mem_remaining > 0 ? ST_NOT_ENOUGH_DATA : ST_OK;
        c->mem_active = 0;
        c->mem_remaining = 0;
        uint32_t entry = get_le32(d + 4);
        reply(c, op, 0, 0, 0, st, 0);
        if (st == ST_OK && entry != 0 && c->hal.run)
            c->hal.run(hc, entry);
        return;
    }

    case OP_SPI_FLASH_MD5: {
        uint8_t digest[16];
        if (dlen != 16) {
            st = ST_BAD_DATA_LEN;
            break;
        }
        uint32_t addr = get_le32(d), size = get_le32(d + 4);
        if (size > 0xFFFFFFFFu - addr) {
            st = ST_BAD_DATA_LEN;
            break;
        }
        st = md5_region(c, addr, size, digest);
        if (st == ST_OK) {
            reply(c, op, 0, digest, 16, ST_OK, 0);
            return;
        }
        break;
    }

    case OP_GET_SECURITY_INFO: {
        uint8_t info[32];
        if (dlen != 0) {
            st = ST_BAD_DATA_LEN;
            break;
        }
        int n = c->hal.security_info ? c->hal.security_info(hc, info, sizeof(info)) : 0;
        if (n == 0 || n > (int)sizeof(info)) {
            st = ST_NOT_IMPLEMENTED;
        } else if (n < 0) {
            st = ST_FAILED_SPI_OP;
        } else {
            reply(c, op, 0, info, (uint32_t)n, ST_OK, 0);
            return;
        }
        break;
    }

    case OP_ERASE_FLASH:
        if (dlen != 0) {
            st = ST_BAD_DATA_LEN;
            break;
        }
        st = unlock(c);
        if (st != ST_OK)
            break;
        if (!c->hal.flash_erase_chip)
            st = ST_NOT_IMPLEMENTED;
        else if (c->hal.flash_erase_chip(hc) != 0)
            st = ST_FAILED_SPI_OP;
        break;

    case OP_ERASE_REGION: {
        if (dlen != 8) {
            st = ST_BAD_DATA_LEN;
            break;
        }
        uint32_t addr = get_le32(d), size = get_le32(d + 4);
        if (c->policy != STUB_POLICY_ESPLOAD) {
            st = legacy_erase_region(c, addr, size);
            break;
        }
        if ((addr | size) & (STUB_SECTOR - 1) || size > 0xFFFFFFFFu - addr) {
            st = ST_BAD_DATA_LEN;
            break;
        }
        st = unlock(c);
        uint32_t next = addr, mask = 0;
        while (st == ST_OK && next < addr + size)
            st = erase_step(c, &next, addr + size, &mask, 0);
        break;
    }

    case OP_READ_FLASH: {
        if (dlen != 16) {
            st = ST_BAD_DATA_LEN;
            break;
        }
        uint32_t addr = get_le32(d), len = get_le32(d + 4);
        uint32_t packet = get_le32(d + 8), inflight = get_le32(d + 12);
        if (packet == 0 || packet > STUB_READ_PKT_MAX || len > 0xFFFFFFFFu - addr) {
            st = ST_BAD_DATA_LEN;
            break;
        }
        reply(c, op, 0, 0, 0, ST_OK, 0);
        if (c->policy != STUB_POLICY_ESPLOAD && packet > STUB_LEGACY_READ_PKT_MAX)
            return; /* esptool's stub: larger than its buffer, nothing is sent */
        c->rd_active = 1;
        c->rd_addr = addr;
        c->rd_len = len;
        c->rd_sent = 0;
        c->rd_acked = 0;
        c->rd_packet = packet;
        c->rd_inflight = inflight == 0 ? 1 : inflight; /* bytes, as esptool's stub counts */
        stub_md5_init(&c->md5);
        rd_pump(c);
        return;
    }

    case OP_RUN_USER_CODE: /* no reply */
        if (c->hal.run)
            c->hal.run(hc, 0);
        return;

    default:
        st = ST_NOT_IMPLEMENTED;
        break;
    }
    reply(c, op, value, 0, 0, st, 0);
}

static void handle_frame(struct stub_core *c, const uint8_t *f, uint32_t n)
{
    if (c->rd_active) {
        rd_ack(c, f, n);
        return;
    }
    if (n > STUB_FRAME_CAP) {
        /* longer than any valid request: answer like esptool's stub (C0 EE) */
        if (f[0] == 0)
            reply(c, f[1], 0, 0, 0, ST_BAD_DATA_LEN, 0xEE);
        return;
    }
    if (n < 8 || f[0] != 0)
        return; /* not a request: ignore */
    uint8_t op = f[1];
    uint32_t dlen = (uint32_t)f[2] | ((uint32_t)f[3] << 8);
    if (dlen != n - 8) {
        reply(c, op, 0, 0, 0, ST_BAD_DATA_LEN, 0);
        return;
    }
    if (dlen > STUB_MAX_BLOCK + 16) {
        reply(c, op, 0, 0, 0, ST_BAD_DATA_LEN, 0xEE);
        return;
    }
    handle_request(c, op, f + 8, dlen, get_le32(f + 4));
}

/* ---------------------------------------------------------------- SLIP receive */

static void pump(struct stub_core *c)
{
    if (c->busy)
        return; /* called from inside the HAL's poll hook: the outer loop handles it */
    c->busy = 1;
    while (c->queue_len > 0) {
        uint8_t idx = c->queue[0];
        c->queue[0] = c->queue[1];
        c->queue_len--;
        c->buf_state[idx] = STUB_BUF_BUSY;
        handle_frame(c, c->rx[idx], c->frame_len[idx]);
        c->buf_state[idx] = STUB_BUF_FREE;
    }
    c->busy = 0;
}

static void frame_start(struct stub_core *c)
{
    c->rx_in_frame = 1;
    c->rx_escape = 0;
    c->rx_bad = 0;
    c->rx_len = 0;
    c->rx_fill = -1;
    for (int i = 0; i < 2; i++) {
        if (c->buf_state[i] == STUB_BUF_FREE) {
            c->rx_fill = i;
            c->buf_state[i] = STUB_BUF_FILLING;
            break;
        }
    }
}

static void frame_end(struct stub_core *c)
{
    int i = c->rx_fill;
    c->rx_in_frame = 0;
    if (i < 0)
        return; /* no free buffer: the frame is dropped */
    if (c->rx_len == 0 || c->rx_bad) {
        c->buf_state[i] = STUB_BUF_FREE;
    } else {
        c->frame_len[i] = c->rx_len;
        c->buf_state[i] = STUB_BUF_QUEUED;
        c->queue[c->queue_len++] = (uint8_t)i;
    }
    c->rx_fill = -1;
}

static void rx_byte(struct stub_core *c, uint8_t b)
{
    if (b == SLIP_END) {
        if (!c->rx_in_frame) {
            frame_start(c);
        } else if (c->rx_len == 0) {
            c->rx_escape = 0; /* C0 C0: end of nothing, start of the next frame */
            c->rx_bad = 0;
        } else {
            frame_end(c);
            pump(c);
        }
        return;
    }
    if (!c->rx_in_frame)
        return; /* noise between frames */
    if (c->rx_escape) {
        c->rx_escape = 0;
        if (b == SLIP_ESC_END)
            b = SLIP_END;
        else if (b == SLIP_ESC_ESC)
            b = SLIP_ESC;
        else
            c->rx_bad = 1; /* invalid escape: drop the frame */
    } else if (b == SLIP_ESC) {
        c->rx_escape = 1;
        return;
    }
    if (c->rx_fill >= 0 && c->rx_len < STUB_FRAME_CAP)
        c->rx[c->rx_fill][c->rx_len] = b;
    if (c->rx_len <= STUB_FRAME_CAP)
        c->rx_len++; /* STUB_FRAME_CAP + 1 marks an overflowed frame */
}

void stub_core_rx(struct stub_core *c, const uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++)
        rx_byte(c, buf[i]);
}

/* ---------------------------------------------------------------- background work */

int stub_core_idle(struct stub_core *c)
{
    if (c->busy)
        return 0; /* inside frame handling (e.g. from a HAL wait): never here */
    if (c->queue_len > 0) {
        pump(c);
        return 1;
    }
    c->busy = 1; /* frames completed meanwhile are queued, not handled inside */
    int did = erase_ahead(c);
    c->busy = 0;
    pump(c);
    return did;
}

void stub_core_set_policy(struct stub_core *c, enum stub_policy policy)
{
    c->policy = (uint8_t)policy;
}

/* ---------------------------------------------------------------- setup */

size_t stub_core_size(void)
{
    return sizeof(struct stub_core);
}

struct stub_core *stub_core_init(void *mem, const struct stub_hal *hal, uint32_t flash_size)
{
    struct stub_core *c = (struct stub_core *)mem;
    uint8_t *p = (uint8_t *)mem;
    /* the large buffers need no clearing */
    for (size_t i = 0; i < (size_t)((uint8_t *)c->scratch - p); i++)
        p[i] = 0;
    c->hal = *hal;
    c->flash_size = flash_size;
    c->rx_fill = -1;
    return c;
}
