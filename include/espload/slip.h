/* SPDX-License-Identifier: MIT */
#ifndef ESPLOAD_SLIP_H
#define ESPLOAD_SLIP_H
/*
 * SLIP framing (RFC 1055 as used by the Espressif loaders): frames are delimited by 0xC0,
 * 0xC0 inside is sent as DB DC and 0xDB as DB DD. This is a pure codec: it never touches a
 * port, allocates nothing, and is safe on any input.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EL_SLIP_END     0xC0
#define EL_SLIP_ESC     0xDB
#define EL_SLIP_ESC_END 0xDC
#define EL_SLIP_ESC_ESC 0xDD

/* Worst-case encoded size of a len-byte payload including both delimiters. */
static inline size_t el_slip_max_encoded(size_t len)
{
    return 2 * len + 2;
}

/* Encodes payload into out (with both 0xC0 delimiters). Returns bytes written, or 0 if
 * cap is too small. */
size_t el_slip_encode(const uint8_t *payload, size_t len, uint8_t *out, size_t cap);

enum el_slip_event {
    EL_SLIP_NONE = 0,   /* byte consumed, nothing complete */
    EL_SLIP_FRAME,      /* a complete non-empty frame is in buf[0..len) */
    EL_SLIP_NOISE,      /* a byte outside any frame (not 0xC0) was seen */
    EL_SLIP_BAD_ESCAPE, /* DB followed by something else; frame dropped */
    EL_SLIP_OVERFLOW    /* frame longer than the buffer; frame dropped */
};

/* Incremental decoder. The caller owns buf (cap bytes) and must consume a frame
 * (EL_SLIP_FRAME) before feeding the next byte. */
struct el_slip_dec {
    uint8_t *buf;
    size_t cap;
    size_t len;
    bool in_frame;
    bool escape;
    bool overflow;
};

void el_slip_dec_init(struct el_slip_dec *d, uint8_t *buf, size_t cap);
/* Resets to "between frames" (drops any partial frame). */
void el_slip_dec_reset(struct el_slip_dec *d);
/* Feeds one byte; returns what happened. */
enum el_slip_event el_slip_dec_feed(struct el_slip_dec *d, uint8_t byte);

#ifdef __cplusplus
}
#endif
#endif
