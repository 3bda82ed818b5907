/* SPDX-License-Identifier: MIT */
/*
 * Writes a host session for stub/tests/qemu_driver.c to stdout (SLIP-framed requests,
 * READ_FLASH ACKs included) and, to the file named by argv[1], the reply frames a correct
 * stub must send for the MD5 checks in it, one hex line each.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <md5.h>
#include <zlib.h>

static FILE *expect;
static uint32_t rng = 12345;

static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static void slip(FILE *f, const uint8_t *p, size_t n)
{
    fputc(0xC0, f);
    for (size_t i = 0; i < n; i++) {
        if (p[i] == 0xC0) {
            fputc(0xDB, f);
            fputc(0xDC, f);
        } else if (p[i] == 0xDB) {
            fputc(0xDB, f);
            fputc(0xDD, f);
        } else {
            fputc(p[i], f);
        }
    }
    fputc(0xC0, f);
}

static void slip_hex(const uint8_t *p, size_t n)
{
    fprintf(expect, "c0");
    for (size_t i = 0; i < n; i++) {
        if (p[i] == 0xC0)
            fprintf(expect, "dbdc");
        else if (p[i] == 0xDB)
            fprintf(expect, "dbdd");
        else
            fprintf(expect, "%02x", p[i]);
    }
    fprintf(expect, "c0\n");
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void cmd(uint8_t op, const uint8_t *d, size_t n, uint32_t chk)
{
    uint8_t *p = malloc(8 + n);
    p[0] = 0;
    p[1] = op;
    p[2] = (uint8_t)n;
    p[3] = (uint8_t)(n >> 8);
    put32(p + 4, chk);
    memcpy(p + 8, d, n);
    slip(stdout, p, 8 + n);
    free(p);
}

static void words(uint8_t op, int n, const uint32_t *w)
{
    uint8_t b[64];
    for (int i = 0; i < n; i++)
        put32(b + 4 * i, w[i]);
    cmd(op, b, 4 * (size_t)n, 0);
}

static void data_cmd(uint8_t op, const uint8_t *d, size_t n, uint32_t seq, int bad_checksum)
{
    uint8_t *b = malloc(16 + n), x = 0xEF;
    put32(b, (uint32_t)n);
    put32(b + 4, seq);
    put32(b + 8, 0);
    put32(b + 12, 0);
    memcpy(b + 16, d, n);
    for (size_t i = 0; i < n; i++)
        x ^= d[i];
    cmd(op, b, 16 + n, (uint32_t)(x ^ (bad_checksum ? 1 : 0)));
    free(b);
}

static void md5_check(uint32_t addr, const uint8_t *want_data, uint32_t len)
{
    uint32_t w[4] = {addr, len, 0, 0};
    words(0x13, 4, w);
    uint8_t r[26] = {0x01, 0x13, 0x12, 0x00, 0, 0, 0, 0};
    MD5_CTX m;
    MD5Init(&m);
    MD5Update(&m, want_data, len);
    MD5Final(r + 8, &m);
    slip_hex(r, 26);
}

int main(int argc, char **argv)
{
    if (argc != 2 || !(expect = fopen(argv[1], "w")))
        return 2;
    uint8_t sync[36] = {0x07, 0x07, 0x12, 0x20};
    memset(sync + 4, 0x55, 32);
    cmd(0x08, sync, 36, 0);
    uint32_t r1[1] = {0x3FF40014};
    words(0x0A, 1, r1);
    uint32_t wr[8] = {0x3FF40020, 0x1234, 0xFFFF, 0, 0x3FF40024, 0xA5A5A5A5, 0xFFFFFFFF, 0};
    words(0x09, 8, wr);
    words(0x0A, 1, wr);
    uint32_t sp[6] = {0, 1u << 20, 0x10000, 0x1000, 0x100, 0xFFFF};
    words(0x0B, 6, sp);

    /* compressed write of firmware-like data at 0x10000 */
    uint32_t n1 = 300000;
    uint8_t *d1 = malloc(n1);
    for (uint32_t i = 0; i < n1; i++) {
        uint32_t r = rnd() % 100;
        d1[i] = r < 35 ? 0xFF : r < 60 ? (uint8_t)(i >> 7) : (uint8_t)rnd();
    }
    uLongf clen = compressBound(n1);
    uint8_t *c1 = malloc(clen);
    compress2(c1, &clen, d1, n1, 9);
    uint32_t blocks = (uint32_t)((clen + 0x3FFF) / 0x4000);
    uint32_t b1[5] = {n1, blocks, 0x4000, 0x10000, 0};
    words(0x10, 5, b1);
    for (uint32_t i = 0; i < blocks; i++) {
        size_t n = clen - i * 0x4000u < 0x4000 ? clen - i * 0x4000u : 0x4000;
        data_cmd(0x11, c1 + i * 0x4000u, n, i, 0);
    }
    uint32_t stay = 1;
    words(0x12, 1, &stay);
    md5_check(0x10000, d1, n1);

    /* plain write at an unaligned offset, last block padded */
    uint32_t n2 = 40000;
    uint8_t *d2 = malloc(0x4000 * 3);
    memset(d2, 0xFF, 0x4000 * 3);
    for (uint32_t i = 0; i < n2; i++)
        d2[i] = (uint8_t)(rnd() >> 3);
    uint32_t b2[4] = {n2, 3, 0x4000, 0x3100};
    words(0x02, 4, b2);
    for (uint32_t i = 0; i < 3; i++)
        data_cmd(0x03, d2 + i * 0x4000u, 0x4000, i, 0);
    words(0x04, 1, &stay);
    md5_check(0x3100, d2, n2);

    /* erase a region; then it reads as 0xFF */
    uint32_t er[2] = {0x80000, 0x21000};
    words(0xD1, 2, er);
    uint8_t *ff = malloc(0x21000);
    memset(ff, 0xFF, 0x21000);
    md5_check(0x80000, ff, 0x21000);

    /* READ_FLASH of the compressed write with ACKs */
    uint32_t rf[4] = {0x10000, 0x2800, 0x1000, 64};
    words(0xD2, 4, rf);
    for (uint32_t a = 0x1000; a <= 0x3000; a += 0x1000) {
        uint8_t ack[4];
        put32(ack, a > 0x2800 ? 0x2800 : a);
        slip(stdout, ack, 4);
    }
    uint8_t dig[16];
    MD5_CTX m;
    MD5Init(&m);
    MD5Update(&m, d1, 0x2800);
    MD5Final(dig, &m);
    slip_hex(dig, 16);

    /* errors: data without begin, bad checksum, unknown op, corrupted stream, garbage */
    data_cmd(0x03, d2, 64, 0, 0);
    uint32_t b3[4] = {64, 1, 0x4000, 0xC0000};
    words(0x02, 4, b3);
    data_cmd(0x03, d2, 64, 0, 1);
    cmd(0x77, NULL, 0, 0);
    c1[100] ^= 0x55;
    uint32_t b4[4] = {n1, blocks, 0x4000, 0x40000};
    words(0x10, 4, b4);
    for (uint32_t i = 0; i < blocks; i++) {
        size_t n = clen - i * 0x4000u < 0x4000 ? clen - i * 0x4000u : 0x4000;
        data_cmd(0x11, c1 + i * 0x4000u, n, i, 0);
    }
    words(0x12, 1, &stay);
    for (int i = 0; i < 3000; i++)
        putchar((int)(rnd() & 0xFF));
    uint32_t baud[2] = {921600, 115200};
    words(0x0F, 2, baud);
    cmd(0x08, sync, 36, 0);
    free(d1);
    free(c1);
    free(d2);
    free(ff);
    return fclose(expect) == 0 ? 0 : 1;
}
