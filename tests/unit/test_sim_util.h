/* SPDX-License-Identifier: MIT */
/* Helpers for the virtual-device unit tests: hand-built requests, SLIP-decoded replies. */
#ifndef TEST_SIM_UTIL_H
#define TEST_SIM_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "elsim.h"
#include "espload/bytes.h"
#include "espload/proto.h"
#include "espload/slip.h"

#define ST_MAX_FRAMES 64
#define ST_FRAME_CAP  0x5000

struct st_frames {
    size_t n;
    size_t len[ST_MAX_FRAMES];
    uint8_t *f[ST_MAX_FRAMES];
    char text[8192]; /* bytes outside frames (boot messages) */
    size_t text_len;
};

static inline void st_frames_free(struct st_frames *fr)
{
    for (size_t i = 0; i < fr->n; i++)
        free(fr->f[i]);
    memset(fr, 0, sizeof(*fr));
}

/* Creates a device: chip plus NULL-terminated key/value pairs. */
static inline struct elsim *st_new(const char *chip, ...)
{
    char err[256];
    struct elsim_cfg *cfg = elsim_cfg_new(chip);
    assert_non_null(cfg);
    va_list ap;
    va_start(ap, chip);
    for (;;) {
        const char *k = va_arg(ap, const char *);
        if (!k)
            break;
        const char *v = va_arg(ap, const char *);
        if (elsim_cfg_set(cfg, k, v, err, sizeof(err)) != 0)
            fail_msg("option %s=%s: %s", k, v, err);
    }
    va_end(ap);
    struct elsim *d = elsim_new(cfg, err, sizeof(err));
    elsim_cfg_free(cfg);
    if (!d)
        fail_msg("elsim_new: %s", err);
    return d;
}

/* Reads everything the device has sent by now (after advancing by adv_us), splitting SLIP
 * frames from plain text. */
static inline void st_collect(struct elsim *d, uint64_t adv_us, struct st_frames *fr)
{
    static uint8_t buf[1 << 16];
    memset(fr, 0, sizeof(*fr));
    elsim_advance(d, adv_us);
    uint8_t *cur = malloc(ST_FRAME_CAP);
    size_t cl = 0;
    int in = 0, esc = 0;
    size_t n;
    while ((n = elsim_host_read(d, buf, sizeof(buf))) > 0) {
        for (size_t i = 0; i < n; i++) {
            uint8_t b = buf[i];
            if (!in) {
                if (b == 0xC0) {
                    in = 1;
                    cl = 0;
                } else if (fr->text_len + 1 < sizeof(fr->text)) {
                    fr->text[fr->text_len++] = (char)b;
                }
                continue;
            }
            if (b == 0xC0) {
                if (cl == 0)
                    continue;
                if (fr->n < ST_MAX_FRAMES) {
                    fr->f[fr->n] = malloc(cl);
                    memcpy(fr->f[fr->n], cur, cl);
                    fr->len[fr->n++] = cl;
                }
                in = 0;
                continue;
            }
            if (esc) {
                b = b == 0xDC ? 0xC0 : 0xDB;
                esc = 0;
            } else if (b == 0xDB) {
                esc = 1;
                continue;
            }
            if (cl < ST_FRAME_CAP)
                cur[cl++] = b;
        }
    }
    fr->text[fr->text_len] = '\0';
    free(cur);
}

static inline void st_drain(struct elsim *d)
{
    struct st_frames fr;
    st_collect(d, 0, &fr);
    st_frames_free(&fr);
}

/* Sends a raw (unframed) packet, SLIP-encoded, at baud. */
static inline void st_send_raw(struct elsim *d, const uint8_t *pkt, size_t len, uint32_t baud)
{
    size_t cap = el_slip_max_encoded(len);
    uint8_t *enc = malloc(cap);
    size_t n = el_slip_encode(pkt, len, enc, cap);
    elsim_host_write(d, enc, n, baud);
    free(enc);
}

static inline void st_cmd_baud(struct elsim *d, uint8_t op, const uint8_t *data, size_t len,
                               uint32_t chk, uint32_t baud)
{
    uint8_t *pkt = malloc(8 + len);
    pkt[0] = 0;
    pkt[1] = op;
    el_put_le16(pkt + 2, (uint16_t)len);
    el_put_le32(pkt + 4, chk);
    if (len)
        memcpy(pkt + 8, data, len);
    st_send_raw(d, pkt, 8 + len, baud);
    free(pkt);
}

static inline void st_cmd(struct elsim *d, uint8_t op, const uint8_t *data, size_t len,
                          uint32_t chk)
{
    st_cmd_baud(d, op, data, len, chk, 115200);
}

static inline void st_cmd_words(struct elsim *d, uint8_t op, int n, ...)
{
    uint8_t data[64];
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        el_put_le32(data + 4 * i, va_arg(ap, uint32_t));
    va_end(ap);
    st_cmd(d, op, data, (size_t)n * 4, 0);
}

/* Sends a *_DATA command with the 16-byte header and the right checksum. */
static inline void st_data(struct elsim *d, uint8_t op, const uint8_t *payload, uint32_t len,
                           uint32_t seq)
{
    uint8_t *buf = malloc(16 + len);
    el_put_le32(buf, len);
    el_put_le32(buf + 4, seq);
    el_put_le32(buf + 8, 0);
    el_put_le32(buf + 12, 0);
    memcpy(buf + 16, payload, len);
    st_cmd(d, op, buf, 16 + len, el_checksum(payload, len, EL_CHECKSUM_SEED));
    free(buf);
}

/* One command, one expected reply frame (the last one received); returns its status byte
 * (ROM: 4 status bytes) and fills value. */
static inline int st_rom_status(const struct st_frames *fr, size_t i, uint8_t op, uint32_t *value)
{
    assert_true(fr->n > i);
    const uint8_t *f = fr->f[i];
    assert_true(fr->len[i] >= 12);
    assert_int_equal(f[0], 1);
    assert_int_equal(f[1], op);
    if (value)
        *value = el_get_le32(f + 4);
    size_t n = fr->len[i];
    return f[n - 4] ? (f[n - 4] << 8 | f[n - 3]) : 0;
}

/* Resets into download mode through DTR/RTS like esptool's classic reset with the given
 * IO0 hold after EN rises. */
static inline void st_reset_download(struct elsim *d, unsigned hold_ms)
{
    elsim_set_lines(d, false, true); /* IO0 high, EN low */
    elsim_advance(d, 100000);
    elsim_set_lines(d, true, false); /* IO0 low, EN high */
    elsim_advance(d, (uint64_t)hold_ms * 1000u);
    elsim_set_lines(d, false, false);
}

/* Sync + drain: a device in ROM download mode ready for commands */
static inline struct elsim *st_rom(const char *chip)
{
    struct elsim *d = st_new(chip, "r0-wdt-ms", "0", NULL);
    st_reset_download(d, 50);
    st_drain(d);
    return d;
}

#endif
