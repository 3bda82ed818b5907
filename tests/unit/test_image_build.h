/* SPDX-License-Identifier: MIT */
/* Test helper: builds ESP32-family images from segments (header, extended header, segments,
 * checksum at the 16-byte boundary, optional SHA-256), independent of the library code. */
#ifndef TEST_IMG_BUILD_H
#define TEST_IMG_BUILD_H
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sha2.h>

struct tseg {
    uint32_t addr;
    const uint8_t *data; /* NULL: filled with a counter pattern */
    uint32_t len;
};
struct timg {
    uint8_t mode, size_freq;
    uint16_t chip_id;
    uint16_t min_rev_full, max_rev_full;
    int digest;
};

static inline size_t timg_build(const struct timg *h, const struct tseg *s, size_t n, uint8_t *out,
                                size_t cap)
{
    size_t p = 24;
    uint8_t ck = 0xEF;
    memset(out, 0, cap);
    out[0] = 0xE9;
    out[1] = (uint8_t)n;
    out[2] = h->mode;
    out[3] = h->size_freq;
    out[4] = 0x00;
    out[5] = 0x00;
    out[6] = 0x08;
    out[7] = 0x40;
    out[8] = 0xEE;
    out[12] = (uint8_t)h->chip_id;
    out[13] = (uint8_t)(h->chip_id >> 8);
    out[15] = (uint8_t)h->min_rev_full;
    out[16] = (uint8_t)(h->min_rev_full >> 8);
    out[17] = (uint8_t)h->max_rev_full;
    out[18] = (uint8_t)(h->max_rev_full >> 8);
    out[23] = h->digest ? 1 : 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t *q = out + p;
        q[0] = (uint8_t)s[i].addr;
        q[1] = (uint8_t)(s[i].addr >> 8);
        q[2] = (uint8_t)(s[i].addr >> 16);
        q[3] = (uint8_t)(s[i].addr >> 24);
        q[4] = (uint8_t)s[i].len;
        q[5] = (uint8_t)(s[i].len >> 8);
        q[6] = (uint8_t)(s[i].len >> 16);
        q[7] = (uint8_t)(s[i].len >> 24);
        for (uint32_t k = 0; k < s[i].len; k++) {
            q[8 + k] = s[i].data ? s[i].data[k] : (uint8_t)(k * 7 + i);
            ck ^= q[8 + k];
        }
        p += 8 + s[i].len;
    }
    p += 15 - p % 16;
    out[p++] = ck;
    if (h->digest) {
        SHA2_CTX c;
        SHA256Init(&c);
        SHA256Update(&c, out, p);
        SHA256Final(out + p, &c);
        p += 32;
    }
    return p;
}
#endif
