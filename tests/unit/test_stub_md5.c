/* SPDX-License-Identifier: MIT */
/* The stub's MD5 against libmd: RFC 1321 vectors, many lengths, random update splits. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <md5.h>

#include "stub_md5.h"

static uint32_t rng_state = 0xC0FFEEu;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static void ref_md5(const uint8_t *d, size_t n, uint8_t out[16])
{
    MD5_CTX c;
    MD5Init(&c);
    MD5Update(&c, d, n);
    MD5Final(out, &c);
}

static void stub_md5_split(const uint8_t *d, size_t n, uint8_t out[16], int random_split)
{
    struct stub_md5 c;
    stub_md5_init(&c);
    size_t pos = 0;
    while (pos < n) {
        size_t k = random_split ? 1 + rnd() % 200 : n - pos;
        if (k > n - pos)
            k = n - pos;
        stub_md5_update(&c, d + pos, (uint32_t)k);
        pos += k;
    }
    stub_md5_final(&c, out);
}

static void test_stub_md5_rfc_vectors(void **state)
{
    (void)state;
    static const struct {
        const char *msg, *hex;
    } v[] = {
        {"", "d41d8cd98f00b204e9800998ecf8427e"},
        {"a", "0cc175b9c0f1b6a831c399e269772661"},
        {"abc", "900150983cd24fb0d6963f7d28e17f72"},
        {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
        {"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
        {"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
         "57edf4a22be3c955ac49da2e2107b67a"},
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        uint8_t dig[16];
        char hex[33];
        stub_md5_split((const uint8_t *)v[i].msg, strlen(v[i].msg), dig, 0);
        for (int k = 0; k < 16; k++)
            snprintf(hex + 2 * k, 3, "%02x", dig[k]);
        assert_string_equal(hex, v[i].hex);
    }
}

static void test_stub_md5_lengths(void **state)
{
    (void)state;
    size_t max = 70000;
    uint8_t *d = malloc(max);
    for (size_t i = 0; i < max; i++)
        d[i] = (uint8_t)rnd();
    uint8_t a[16], b[16];
    for (size_t n = 0; n <= 300; n++) { /* every length around the 55/56/64 boundaries */
        ref_md5(d, n, a);
        stub_md5_split(d, n, b, (int)(n & 1));
        assert_memory_equal(a, b, 16);
    }
    for (int t = 0; t < 300; t++) { /* fuzzed lengths, contents and splits */
        size_t n = rnd() % max;
        for (size_t k = 0; k < 16; k++)
            d[rnd() % max] = (uint8_t)rnd();
        ref_md5(d, n, a);
        stub_md5_split(d, n, b, 1);
        assert_memory_equal(a, b, 16);
    }
    memset(d, 0xFF, max); /* erased flash */
    ref_md5(d, max, a);
    stub_md5_split(d, max, b, 0);
    assert_memory_equal(a, b, 16);
    free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stub_md5_rfc_vectors),
        cmocka_unit_test(test_stub_md5_lengths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
