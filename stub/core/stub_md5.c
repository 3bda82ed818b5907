/* SPDX-License-Identifier: MIT */
/* MD5 as specified in RFC 1321, written for small code size. */
#include "stub_md5.h"

/* K[i] = floor(abs(sin(i + 1)) * 2^32) */
static const uint32_t md5_k[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391};
/* per-round rotate amounts, 4 per round */
static const uint8_t md5_r[16] = {7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21};

static uint32_t rol(uint32_t x, uint32_t c)
{
    return (x << c) | (x >> (32u - c));
}

static void md5_block(uint32_t st[4], const uint8_t *p)
{
    uint32_t m[16];
    uint32_t a = st[0], b = st[1], c = st[2], d = st[3];
    for (uint32_t i = 0; i < 16; i++)
        m[i] = (uint32_t)p[4 * i] | ((uint32_t)p[4 * i + 1] << 8) | ((uint32_t)p[4 * i + 2] << 16) |
               ((uint32_t)p[4 * i + 3] << 24);
    for (uint32_t i = 0; i < 64; i++) {
        uint32_t f, g, round = i >> 4;
        if (round == 0) {
            f = (b & c) | (~b & d);
            g = i;
        } else if (round == 1) {
            f = (d & b) | (~d & c);
            g = (5 * i + 1) & 15;
        } else if (round == 2) {
            f = b ^ c ^ d;
            g = (3 * i + 5) & 15;
        } else {
            f = c ^ (b | ~d);
            g = (7 * i) & 15;
        }
        uint32_t t = d;
        d = c;
        c = b;
        b = b + rol(a + f + md5_k[i] + m[g], md5_r[(round << 2) | (i & 3)]);
        a = t;
    }
    st[0] += a;
    st[1] += b;
    st[2] += c;
    st[3] += d;
}

void stub_md5_init(struct stub_md5 *ctx)
{
    ctx->state[0] = 0x67452301;
    ctx->state[1] = 0xefcdab89;
    ctx->state[2] = 0x98badcfe;
    ctx->state[3] = 0x10325476;
    ctx->count_lo = 0;
    ctx->count_hi = 0;
}

void stub_md5_update(struct stub_md5 *ctx, const uint8_t *data, uint32_t len)
{
    uint32_t have = ctx->count_lo & 63u;
    uint32_t lo = ctx->count_lo + len;
    if (lo < ctx->count_lo)
        ctx->count_hi++;
    ctx->count_lo = lo;
    if (have != 0) {
        uint32_t n = 64u - have;
        if (n > len)
            n = len;
        for (uint32_t i = 0; i < n; i++)
            ctx->block[have + i] = data[i];
        data += n;
        len -= n;
        if (have + n < 64)
            return;
        md5_block(ctx->state, ctx->block);
    }
    while (len >= 64) {
        md5_block(ctx->state, data);
        data += 64;
        len -= 64;
    }
    for (uint32_t i = 0; i < len; i++)
        ctx->block[i] = data[i];
}

void stub_md5_final(struct stub_md5 *ctx, uint8_t digest[16])
{
    uint32_t have = ctx->count_lo & 63u;
    uint32_t bits_lo = ctx->count_lo << 3, bits_hi = (ctx->count_hi << 3) | (ctx->count_lo >> 29);
    ctx->block[have++] = 0x80;
    if (have > 56) {
        while (have < 64)
            ctx->block[have++] = 0;
        md5_block(ctx->state, ctx->block);
        have = 0;
    }
    while (have < 56)
        ctx->block[have++] = 0;
    for (uint32_t i = 0; i < 4; i++) {
        ctx->block[56 + i] = (uint8_t)(bits_lo >> (8 * i));
        ctx->block[60 + i] = (uint8_t)(bits_hi >> (8 * i));
    }
    md5_block(ctx->state, ctx->block);
    for (uint32_t i = 0; i < 16; i++)
        digest[i] = (uint8_t)(ctx->state[i >> 2] >> (8 * (i & 3)));
}
