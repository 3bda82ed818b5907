/* SPDX-License-Identifier: MIT */
/*
 * The ROM serial loader (ESP32 ROM behaviour; the later chips' ROMs share it with the
 * differences noted inline). Requests arrive as SLIP frames; every reply carries 4 status
 * bytes (status, error, 0, 0). The ROM is synchronous: it answers a command only after
 * doing it, and while it works only the UART RX FIFO holds incoming bytes.
 * Facts: esptool loader.py / targets/esp32.py and serial-protocol.rst (PROTOCOL.md §1-11).
 */
#include "elsim_int.h"
#include "espload/bytes.h"
#include "espload/proto.h"

#include <md5.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define ROM_CMD_US        100u    /* command decode + reply set-up by the ROM CPU */
#define ROM_MD5_US_PER_MB 300000u /* ROM SPI read + MD5 of 1 MB */
#define ROM_INFLATE_US_KB 200u    /* ROM inflate per KiB of output */
#define ROM_MAX_BLOCK     0x1800u /* the ROM receive buffer in this model */
#define ROM_SYNC_REPLIES  8
#define ROM_BAD_REPLIES   8 /* "invalid message" replies of the older ROMs (esptool loader.py) */

struct reply {
    uint8_t op;
    bool set_value; /* READ_REG / SYNC: the value field changes */
    uint32_t value;
    const uint8_t *payload;
    size_t plen;
    uint8_t status, err;
};

/* Builds a reply the way the ESP32 ROM leaves it (ECO3 ROM under QEMU, docs/CONFORMANCE.md
 * D2/D9): the value field holds the last READ_REG result (or SYNC's value) in every reply;
 * the error byte of a reply without payload keeps the last error code even when the status
 * is 0; the two bytes after the status are never written, so they hold whatever an earlier
 * reply (an MD5's hex digits, flash data) left in the reply buffer. Clients must look at
 * the status byte only. */
static void send_reply(struct elsim *d, const struct reply *r, uint64_t t)
{
    uint8_t pkt[8 + ELSIM_ROM_RBUF];
    uint8_t *rb = d->rom_rbuf;
    if (r->plen + 4 > ELSIM_ROM_RBUF)
        return;
    if (r->set_value)
        d->rom_value = r->value;
    d->rom_op = r->op;
    if (r->status)
        d->rom_err = r->err;
    if (r->plen)
        memmove(rb, r->payload, r->plen);
    rb[r->plen] = r->status;
    /* MD5 and READ_FLASH_SLOW replies carry 00 00 on success (seen); the others the
     * last error */
    rb[r->plen + 1] = r->status || !r->plen ? d->rom_err : 0;
    pkt[0] = 0x01;
    pkt[1] = r->op;
    el_put_le16(pkt + 2, (uint16_t)(r->plen + 4));
    el_put_le32(pkt + 4, d->rom_value);
    memcpy(pkt + 8, rb, r->plen + 4);
    eli_sim_send_frame(d, pkt, 12 + r->plen, t);
}

static void reply_ok(struct elsim *d, uint8_t op, uint64_t t)
{
    struct reply r = {.op = op};
    send_reply(d, &r, t);
}

static void reply_err(struct elsim *d, uint8_t op, uint8_t err, uint64_t t)
{
    struct reply r = {.op = op, .status = 1, .err = err};
    send_reply(d, &r, t);
}

/* How many times the ROM sends its "invalid message" reply. The ESP32 ECO3 ROM (revision 3,
 * "Jul 29 2019", under QEMU) sends it once; esptool's loader says the reply comes 8 times
 * (its drain reads 8 x 14 bytes), which the model keeps for the older ESP32 ROM ("Jun 8
 * 2016", revisions 0-2) and the later chips, where no capture contradicts it. */
static int bad_replies(const struct elsim *d)
{
    return d->chip->id == EL_CHIP_ESP32 && d->rev_major >= 3 ? 1 : ROM_BAD_REPLIES;
}

/* The ROM's answer to an opcode it does not implement, or to a frame whose direction byte is
 * not 0: "invalid message" (status 1, error 0x05) in a reply that repeats the previous
 * reply's opcode and value (seen with the ECO3 ROM: after READ_REG 0x40001000, opcode 0x14
 * gives 01 0a 04 00 83 1d f0 00 01 05 ..). The opcode field thus differs from the request,
 * which is how esptool recognises an unsupported command. */
static void reply_invalid(struct elsim *d, uint64_t t)
{
    struct reply r = {.op = d->rom_op, .status = 1, .err = EL_ROM_ERR_INVALID_MSG};
    for (int i = 0, n = bad_replies(d); i < n; i++)
        send_reply(d, &r, t);
}

static uint64_t proc(const struct elsim *d, uint64_t us)
{
    return d->cfg.timing ? us : 0;
}

static void end_sessions(struct elsim *d)
{
    d->fl.active = false;
    d->mem.active = false;
    if (d->zs) {
        inflateEnd((z_stream *)d->zs);
        free(d->zs);
        d->zs = NULL;
    }
}

void eli_rom_free(struct elsim *d)
{
    end_sessions(d);
    free(d->inflate_buf);
    d->inflate_buf = NULL;
}

void eli_rom_enter(struct elsim *d)
{
    el_slip_dec_init(&d->slip, d->frame, ELSIM_ROM_MAX_FRAME);
    end_sessions(d);
    d->rom_op = 0;
    d->rom_value = 0;
    d->rom_err = 0;
    memset(d->rom_rbuf, 0, sizeof(d->rom_rbuf));
    d->rom_locked = false;
    d->mem_entry = 0;
}

/* flash access as the ROM sees it: limited to its configured flash size (2 MB default) */
static bool rom_range_ok(const struct elsim *d, uint32_t addr, uint32_t len)
{
    uint32_t lim = d->rom_flash_size < d->flash_size ? d->rom_flash_size : d->flash_size;
    return addr <= lim && len <= lim - addr;
}

/* Checks the 16-byte data header + checksum of *_DATA commands like the ESP32 ROM (seen
 * with the ECO3 ROM under QEMU): the size word may be smaller than the data (only that many
 * bytes count), a sequence number other than the expected one is refused with 0x05 and
 * changes nothing, and the block is counted (the expected sequence number advances) before
 * its checksum is checked: a block with a bad checksum (0x07) is lost, a resend of it is
 * refused 0x05 and the next block lands where the lost one should have. Returns 0 or an
 * error code. */
static int check_data(const uint8_t *data, size_t len, uint32_t chk, struct elsim_rom_session *s,
                      const uint8_t **payload, uint32_t *plen)
{
    if (len < EL_DATA_HDR_LEN)
        return EL_ROM_ERR_INVALID_MSG;
    uint32_t sz = el_get_le32(data);
    uint32_t seq = el_get_le32(data + 4);
    if (sz > len - EL_DATA_HDR_LEN)
        return EL_ROM_ERR_INVALID_MSG;
    if (!s->active)
        return EL_ROM_ERR_INVALID_PARAM;
    if (seq != s->next_seq)
        return EL_ROM_ERR_INVALID_MSG;
    s->next_seq++;
    *payload = data + EL_DATA_HDR_LEN;
    *plen = sz;
    if (el_checksum(*payload, sz, EL_CHECKSUM_SEED) != (uint8_t)chk)
        return EL_ROM_ERR_CHECKSUM;
    if (sz > s->block_size)
        return EL_ROM_ERR_INVALID_PARAM;
    return 0;
}

/* Programs data at the session offset and verifies it like the ROM (read back). */
static int rom_program(struct elsim *d, const uint8_t *buf, uint32_t len, uint64_t *us)
{
    uint64_t t = 0;
    *us = 0;
    uint32_t addr = d->fl.offset;
    if (!rom_range_ok(d, addr, len))
        return EL_ROM_ERR_FLASH_WRITE;
    if (d->attached) {
        eli_flash_program(d, addr, buf, len, &t);
        *us = t;
        if (memcmp(d->flash + addr, buf, len) != 0)
            return EL_ROM_ERR_FLASH_WRITE; /* read-back mismatch (protected, not erased) */
    }
    d->fl.offset += len;
    d->fl.written += len;
    return 0;
}

static int begin_flash(struct elsim *d, const uint8_t *data, size_t len, bool deflate, uint64_t *us)
{
    *us = 0;
    /* The ESP32 ROM takes exactly 4 words (seen under QEMU with the ECO3 ROM: a fifth word
     * is refused with 0x05); later ROMs also take the fifth "encrypted" word esptool sends
     * them. */
    if (len != 16 && (len != 20 || d->chip->id == EL_CHIP_ESP32))
        return EL_ROM_ERR_INVALID_MSG;
    uint32_t size = el_get_le32(data);
    uint32_t blocks = el_get_le32(data + 4);
    uint32_t bsize = el_get_le32(data + 8);
    uint32_t offset = el_get_le32(data + 12);
    if (bsize == 0 && (size || blocks))
        return EL_ROM_ERR_INVALID_PARAM;
    if (bsize > ROM_MAX_BLOCK)
        return EL_ROM_ERR_INVALID_PARAM;
    if (!rom_range_ok(d, offset, size))
        return EL_ROM_ERR_INVALID_PARAM;
    end_sessions(d);
    /* the ROM erases the whole area up front (sector granularity) */
    if (size && d->attached) {
        uint64_t t;
        if (eli_flash_erase(d, offset, size, &t))
            return EL_ROM_ERR_INVALID_PARAM;
        *us = t;
    }
    d->fl = (struct elsim_rom_session){.active = true,
                                       .deflate = deflate,
                                       .offset = offset,
                                       .size = size,
                                       .num_blocks = blocks,
                                       .block_size = bsize};
    if (deflate) {
        z_stream *zs = calloc(1, sizeof(*zs));
        if (!d->inflate_buf)
            d->inflate_buf = malloc(0x10000);
        if (!zs || !d->inflate_buf || inflateInit(zs) != Z_OK) {
            free(zs);
            d->fl.active = false;
            return EL_ROM_ERR_MALLOC;
        }
        d->zs = zs;
    }
    return 0;
}

static int defl_data(struct elsim *d, const uint8_t *payload, uint32_t plen, uint64_t *us)
{
    z_stream *zs = (z_stream *)d->zs;
    uint64_t total = 0;
    *us = 0;
    if (!zs)
        return EL_ROM_ERR_DEFLATE_PARAM;
    zs->next_in = (Bytef *)payload;
    zs->avail_in = plen;
    for (;;) {
        zs->next_out = d->inflate_buf;
        zs->avail_out = 0x10000;
        int zr = inflate(zs, Z_NO_FLUSH);
        uint32_t n = 0x10000 - zs->avail_out;
        if (n) {
            if (d->fl.written + n > d->fl.size)
                return EL_ROM_ERR_DEFLATE; /* more data than FLASH_DEFL_BEGIN announced */
            uint64_t t;
            int e = rom_program(d, d->inflate_buf, n, &t);
            total += t + (uint64_t)ROM_INFLATE_US_KB * n / 1024u;
            if (e)
                return e;
        }
        if (zr == Z_STREAM_END)
            break;
        if (zr == Z_DATA_ERROR)
            return strstr(zs->msg ? zs->msg : "", "data check") ? EL_ROM_ERR_DEFLATE_ADLER
                                                                : EL_ROM_ERR_DEFLATE;
        if (zr != Z_OK && zr != Z_BUF_ERROR)
            return EL_ROM_ERR_DEFLATE;
        if (zs->avail_in == 0 && zs->avail_out != 0)
            break;
    }
    *us = total;
    return 0;
}

static void md5_hex(const uint8_t *buf, uint32_t len, char out[33])
{
    MD5_CTX ctx;
    uint8_t dig[16];
    MD5Init(&ctx);
    MD5Update(&ctx, buf, len);
    MD5Final(dig, &ctx);
    for (int i = 0; i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", dig[i]);
}

static uint8_t default_fault_err(uint8_t op)
{
    switch (op) {
    case EL_OP_FLASH_DATA:
        return EL_ROM_ERR_FLASH_WRITE;
    case EL_OP_FLASH_DEFL_DATA:
        return EL_ROM_ERR_DEFLATE;
    case EL_OP_SPI_FLASH_MD5:
    case EL_OP_READ_FLASH_SLOW:
        return EL_ROM_ERR_FLASH_READ;
    case EL_OP_MEM_DATA:
        return EL_ROM_ERR_CHECKSUM;
    default:
        return EL_ROM_ERR_RESULT;
    }
}

static bool op_supported(const struct elsim *d, uint8_t op)
{
    if (op >= EL_OP_FLASH_BEGIN && op <= EL_OP_SPI_FLASH_MD5 && op != 0x0C) {
        if (op == EL_OP_READ_FLASH_SLOW)
            return d->chip->id == EL_CHIP_ESP32; /* later ROMs dropped it */
        return true;
    }
    if (op == EL_OP_GET_SECURITY_INFO)
        return d->chip->has_security_info;
    return false;
}

static void handle(struct elsim *d, const uint8_t *f, size_t n, uint64_t t)
{
    if (n < EL_HDR_LEN)
        return; /* too short for a header: ignored (the real ROM is erratic here, D12) */
    uint8_t op = f[1];
    uint16_t len = el_get_le16(f + 2);
    uint32_t chk = el_get_le32(f + 4);
    const uint8_t *data = f + EL_HDR_LEN;
    uint64_t us = 0;
    int pend = d->pending_status;
    d->pending_status = -1;

    /* a response sent to the chip (direction 1, D10) is an invalid message like an
     * unknown opcode */
    if (f[0] != 0x00 || !op_supported(d, op)) {
        reply_invalid(d, t + proc(d, ROM_CMD_US));
        d->st.round_trips++;
        return;
    }
    /* READ_REG and SPI_FLASH_MD5 take their words from the receive buffer whatever the
     * length field and the data say (D6); missing words read as 0 here */
    uint8_t words[16];
    if (op == EL_OP_READ_REG || op == EL_OP_SPI_FLASH_MD5) {
        size_t got = n - EL_HDR_LEN;
        memset(words, 0, sizeof(words));
        memcpy(words, data, got < sizeof(words) ? got : sizeof(words));
        data = words;
        len = sizeof(words);
    } else if ((size_t)len + EL_HDR_LEN != n) {
        reply_err(d, op, EL_ROM_ERR_INVALID_MSG, t + proc(d, ROM_CMD_US));
        d->st.round_trips++;
        return;
    }
    if (pend != -1) {
        uint8_t code = pend >= 0 ? (uint8_t)pend : default_fault_err(op);
        reply_err(d, op, code, t + proc(d, ROM_CMD_US));
        d->st.round_trips++;
        return;
    }
    d->st.round_trips++;
    int e = 0;
    switch (op) {
    case EL_OP_SYNC: {
        uint8_t want[EL_SYNC_DATA_LEN];
        el_sync_data(want);
        if (len != EL_SYNC_DATA_LEN || memcmp(data, want, EL_SYNC_DATA_LEN) != 0) {
            e = EL_ROM_ERR_INVALID_MSG;
            break;
        }
        d->rom_locked = true;
        struct reply r = {.op = op, .set_value = true, .value = EL_ROM_SYNC_VALUE};
        for (int i = 0; i < ROM_SYNC_REPLIES; i++)
            send_reply(d, &r, t + proc(d, ROM_CMD_US));
        return;
    }
    case EL_OP_READ_REG: {
        uint32_t addr = el_get_le32(data);
        uint32_t v = eli_reg_read(d, addr);
        struct reply r = {.op = op, .set_value = true, .value = v};
        send_reply(d, &r, t + proc(d, ROM_CMD_US));
        return;
    }
    case EL_OP_WRITE_REG: {
        if (len == 0 || len % 16) {
            e = EL_ROM_ERR_INVALID_MSG;
            break;
        }
        for (size_t i = 0; i < len; i += 16) {
            uint32_t addr = el_get_le32(data + i);
            uint32_t val = el_get_le32(data + i + 4);
            uint32_t mask = el_get_le32(data + i + 8);
            uint32_t delay = el_get_le32(data + i + 12);
            if (mask != 0xFFFFFFFFu)
                val = (eli_reg_read(d, addr) & ~mask) | (val & mask);
            if (mask)
                eli_reg_write(d, addr, val);
            us += delay;
        }
        break;
    }
    case EL_OP_SPI_SET_PARAMS:
        if (len != 24) {
            e = EL_ROM_ERR_INVALID_MSG;
            break;
        }
        d->rom_flash_size = el_get_le32(data + 4);
        break;
    case EL_OP_SPI_ATTACH:
        /* the ROM takes 8 bytes (pin config + a reserved word); esptool pads for the ROM */
        if (len != 8 && len != 4) {
            e = EL_ROM_ERR_INVALID_MSG;
            break;
        }
        d->attached = true;
        break;
    case EL_OP_FLASH_BEGIN:
    case EL_OP_FLASH_DEFL_BEGIN:
        e = begin_flash(d, data, len, op == EL_OP_FLASH_DEFL_BEGIN, &us);
        break;
    case EL_OP_FLASH_DATA:
    case EL_OP_FLASH_DEFL_DATA: {
        const uint8_t *payload;
        uint32_t plen;
        bool defl = op == EL_OP_FLASH_DEFL_DATA;
        if (d->fl.active && d->fl.deflate != defl) {
            e = EL_ROM_ERR_INVALID_PARAM;
            break;
        }
        e = check_data(data, len, chk, &d->fl, &payload, &plen);
        if (e)
            break;
        e = defl ? defl_data(d, payload, plen, &us) : rom_program(d, payload, plen, &us);
        break;
    }
    case EL_OP_FLASH_END:
    case EL_OP_FLASH_DEFL_END: {
        if (len != 4) {
            e = EL_ROM_ERR_INVALID_MSG;
            break;
        }
        uint32_t stay = el_get_le32(data);
        end_sessions(d);
        uint64_t tr = t + proc(d, ROM_CMD_US);
        reply_ok(d, op, tr);
        eli_sim_set_busy(d, tr);
        /* the ROM leaves the loader: 0 = reboot (software reset), else run user code */
        if (stay == 0)
            eli_sim_reboot(d, 0x0C, tr);
        else {
            d->attached = true;
            eli_boot_flash(d, tr);
        }
        return;
    }
    case EL_OP_MEM_BEGIN: {
        if (len != 16) {
            e = EL_ROM_ERR_INVALID_MSG;
            break;
        }
        uint32_t size = el_get_le32(data);
        uint32_t blocks = el_get_le32(data + 4);
        uint32_t bsize = el_get_le32(data + 8);
        uint32_t addr = el_get_le32(data + 12);
        /* the ESP32 ROM checks neither address nor size (D8: its own data area
         * 0x3FFE0000 is accepted); data outside the modelled RAM is dropped. The later
         * chips' ROMs are modelled stricter (not verified). */
        bool esp32 = d->chip->id == EL_CHIP_ESP32;
        int rc = esp32 ? 0 : eli_ram_check(d, addr, size);
        if (rc == -2 || (rc == -1 && size == 0)) {
            e = EL_ROM_ERR_RAM_ADDR;
            break;
        }
        if (rc) {
            e = EL_ROM_ERR_RAM_SIZE;
            break;
        }
        if (bsize == 0 || bsize > 0x1800u) {
            e = EL_ROM_ERR_INVALID_PARAM;
            break;
        }
        d->mem = (struct elsim_rom_session){.active = true,
                                            .offset = addr,
                                            .size = size,
                                            .num_blocks = blocks,
                                            .block_size = bsize};
        break;
    }
    case EL_OP_MEM_DATA: {
        const uint8_t *payload;
        uint32_t plen;
        e = check_data(data, len, chk, &d->mem, &payload, &plen);
        if (e)
            break;
        if (d->chip->id != EL_CHIP_ESP32 && d->mem.written + plen > d->mem.size) {
            e = EL_ROM_ERR_RAM_SIZE;
            break;
        }
        eli_ram_write(d, d->mem.offset, payload, plen);
        d->mem.offset += plen;
        d->mem.written += plen;
        break;
    }
    case EL_OP_MEM_END: {
        if (len != 8) {
            e = EL_ROM_ERR_INVALID_MSG;
            break;
        }
        uint32_t flag = el_get_le32(data);
        uint32_t entry = el_get_le32(data + 4);
        d->mem.active = false;
        uint64_t tr = t + proc(d, ROM_CMD_US);
        reply_ok(d, op, tr);
        eli_sim_set_busy(d, tr);
        if (flag == 0) {
            /* the ROM jumps to the entry point: uploaded code runs */
            d->mem_entry = entry;
            d->state = ELSIM_ST_APP;
            eli_sim_schedule(d, ELSIM_EV_GREET, tr + proc(d, 2000));
        }
        return;
    }
    case EL_OP_SPI_FLASH_MD5: {
        uint32_t addr = el_get_le32(data);
        uint32_t size = el_get_le32(data + 4);
        if (!rom_range_ok(d, addr, size)) {
            e = EL_ROM_ERR_FLASH_READ;
            break;
        }
        char hex[33];
        if (d->attached) {
            md5_hex(d->flash + addr, size, hex);
        } else {
            uint8_t *ff = malloc(size ? size : 1);
            if (!ff) {
                e = EL_ROM_ERR_MALLOC;
                break;
            }
            memset(ff, 0xFF, size);
            md5_hex(ff, size, hex);
            free(ff);
        }
        us = (uint64_t)ROM_MD5_US_PER_MB * size / (1u << 20);
        struct reply r = {.op = op, .payload = (const uint8_t *)hex, .plen = 32};
        uint64_t tr = t + proc(d, ROM_CMD_US + us);
        send_reply(d, &r, tr);
        eli_sim_set_busy(d, tr);
        return;
    }
    case EL_OP_READ_FLASH_SLOW: {
        if (len != 8) {
            e = EL_ROM_ERR_INVALID_MSG;
            break;
        }
        uint32_t addr = el_get_le32(data);
        uint32_t rlen = el_get_le32(data + 4);
        /* The ROM always reads and sends 64 bytes (D7: a length of 16 gives 64 bytes of
         * flash); a length above 64 is refused after the read: the 64 bytes come with
         * status 01 0A. */
        uint32_t want = rlen < EL_READ_SLOW_BLOCK ? rlen : EL_READ_SLOW_BLOCK;
        if (!rom_range_ok(d, addr, want)) {
            e = EL_ROM_ERR_FLASH_READ;
            break;
        }
        uint8_t buf[EL_READ_SLOW_BLOCK];
        uint32_t avail = addr < d->flash_size ? d->flash_size - addr : 0;
        uint32_t n_rd = avail < EL_READ_SLOW_BLOCK ? avail : EL_READ_SLOW_BLOCK;
        memset(buf, 0xFF, sizeof(buf));
        if (d->attached)
            memcpy(buf, d->flash + addr, n_rd);
        struct reply r = {.op = op, .payload = buf, .plen = sizeof(buf)};
        if (rlen > EL_READ_SLOW_BLOCK) {
            r.status = 1;
            r.err = EL_ROM_ERR_FLASH_READ_LEN;
        }
        send_reply(d, &r, t + proc(d, ROM_CMD_US));
        return;
    }
    case EL_OP_CHANGE_BAUDRATE: {
        if (len != 8) {
            e = EL_ROM_ERR_INVALID_MSG;
            break;
        }
        uint32_t nb = el_get_le32(data);
        if (nb == 0) {
            e = EL_ROM_ERR_INVALID_PARAM;
            break;
        }
        uint64_t tr = t + proc(d, ROM_CMD_US);
        reply_ok(d, op, tr); /* at the old rate */
        eli_sim_set_busy(d, tr);
        uint64_t actual = nb;
        if (d->chip->id == EL_CHIP_ESP32) {
            /* the ESP32 ROM sets its divider from its own (calibrated, imprecise) idea of
             * its clock: the real rate is nb * crystal / rom_clock (esptool esp32.py
             * change_baud compensates by scaling the value it sends) */
            uint64_t rc = eli_rom_clock_hz(d);
            if (rc)
                actual = (uint64_t)nb * d->cfg.crystal_mhz * 1000000u / rc;
        }
        d->baud = (uint32_t)(actual ? actual : nb);
        d->rom_locked = true;
        char note[48];
        snprintf(note, sizeof(note), "baud changed to %u", (unsigned)d->baud);
        eli_tr_note(d, note, tr);
        return;
    }
    case EL_OP_GET_SECURITY_INFO: {
        uint8_t info[20];
        memset(info, 0, sizeof(info));
        uint32_t flags = d->cfg.secure_boot ? 1u : 0u;
        el_put_le32(info, flags);
        info[4] = d->cfg.flash_crypt ? 1 : 0;
        el_put_le32(info + 12, d->chip->image_chip_id);
        el_put_le32(info + 16, 0);
        struct reply r = {.op = op, .payload = info, .plen = d->chip->security_info_len};
        send_reply(d, &r, t + proc(d, ROM_CMD_US));
        return;
    }
    default:
        e = EL_ROM_ERR_INVALID_MSG;
        break;
    }
    uint64_t tr = t + proc(d, ROM_CMD_US + us);
    if (e)
        reply_err(d, op, (uint8_t)e, tr);
    else
        reply_ok(d, op, tr);
    eli_sim_set_busy(d, tr);
}

void eli_rom_rx(struct elsim *d, uint8_t b, uint64_t t)
{
    enum el_slip_event ev = el_slip_dec_feed(&d->slip, b);
    if (ev != EL_SLIP_FRAME)
        return; /* noise, bad escapes and oversized frames are dropped silently */
    handle(d, d->slip.buf, d->slip.len, t);
}
