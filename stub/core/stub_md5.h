/* SPDX-License-Identifier: MIT */
#ifndef ESPLOAD_STUB_MD5_H
#define ESPLOAD_STUB_MD5_H
/* MD5 (RFC 1321) for the flasher stub: no libc, no allocation. */
#include <stdint.h>

struct stub_md5 {
    uint32_t state[4];
    uint32_t count_lo, count_hi; /* message length in bytes */
    uint8_t block[64];
};

void stub_md5_init(struct stub_md5 *ctx);
void stub_md5_update(struct stub_md5 *ctx, const uint8_t *data, uint32_t len);
void stub_md5_final(struct stub_md5 *ctx, uint8_t digest[16]);

#endif
