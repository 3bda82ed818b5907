/* SPDX-License-Identifier: MIT */
/* The stub's inflater and Adler-32 against zlib and libdeflate, with random input splits
 * and corrupted streams. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <libdeflate.h>
#include <zlib.h>

#include "stub_inflate.h"

static uint32_t rng_state = 0x12345678u;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

/* Inflates comp in random-sized chunks (max_chunk bytes at most, at least 1). Returns the
 * final status; output goes to out (cap), *out_len its length, *consumed the input used. */
static int inflate_chunks(const uint8_t *comp, size_t comp_len, uint32_t max_chunk, uint8_t *out,
                          size_t cap, size_t *out_len, size_t *consumed)
{
    static struct stub_inflate st;
    static uint8_t window[STUB_INF_WINDOW];
    size_t pos = 0, n_out = 0;
    int r = STUB_INF_NEED_INPUT;
    stub_inflate_init(&st, window);
    st.out_max = rnd() % 3 == 0 ? 1 + rnd() % 1000 : 0; /* bounded work per call */
    for (;;) {
        uint32_t chunk = max_chunk <= 1 ? 1 : 1 + rnd() % max_chunk;
        if (chunk > comp_len - pos)
            chunk = (uint32_t)(comp_len - pos);
        uint32_t used = 0, start = 0;
        r = stub_inflate_run(&st, comp + pos, chunk, &used, &start);
        assert_true(used <= chunk);
        pos += used;
        uint32_t produced = st.pos - start;
        if (st.out_max)
            assert_true(produced <= st.out_max);
        if (r == STUB_INF_OUT_LIMIT)
            assert_int_equal(produced, st.out_max);
        if (produced > 0) {
            if (n_out + produced > cap)
                return -100; /* more output than expected */
            memcpy(out + n_out, window + start, produced);
            n_out += produced;
        }
        if (r < 0 || r == STUB_INF_DONE)
            break;
        if (r == STUB_INF_NEED_INPUT && pos >= comp_len)
            break; /* stream truncated */
        if (r == STUB_INF_NEED_INPUT)
            assert_int_equal(used, chunk);
    }
    *out_len = n_out;
    *consumed = pos;
    return r;
}

static uint8_t *make_data(size_t len, int kind)
{
    uint8_t *d = malloc(len + 1);
    assert_non_null(d);
    static const char *words[] = {"flash ", "stub ",  "esp32 ",  "0xC0 ",   "write ",
                                  "\n",     "block ", "sector ", "inflate "};
    size_t i = 0;
    switch (kind) {
    case 0: /* random: incompressible */
        for (i = 0; i < len; i++)
            d[i] = (uint8_t)rnd();
        break;
    case 1: /* text-like */
        while (i < len) {
            const char *w = words[rnd() % 9];
            for (size_t k = 0; w[k] && i < len; k++)
                d[i++] = (uint8_t)w[k];
        }
        break;
    case 2: /* firmware-like: 0xFF padding, runs, some random */
        for (i = 0; i < len; i++) {
            uint32_t r = rnd() % 100;
            d[i] = r < 40 ? 0xFF : r < 60 ? (uint8_t)(i >> 8) : (uint8_t)rnd();
        }
        break;
    default: /* long repeats at far distances (exercise the whole 32 KiB window) */
        for (i = 0; i < len; i++)
            d[i] = i < 30000 ? (uint8_t)rnd() : d[i - 30000 + (rnd() % 3 == 0 ? 1 : 0)];
        break;
    }
    return d;
}

/* Source files of this repository as "real" data. */
static uint8_t *real_data(size_t *len)
{
    const char *src = getenv("EL_SRCDIR");
    char path[1024];
    static const char *files[] = {"stub/core/stub_core.c", "stub/core/stub_inflate.c",
                                  "CMakeLists.txt", "stub/core/stub_md5.c"};
    size_t cap = 1 << 20, n = 0;
    uint8_t *d = malloc(cap);
    assert_non_null(d);
    for (size_t f = 0; f < 4; f++) {
        snprintf(path, sizeof(path), "%s/%s", src ? src : ".", files[f]);
        FILE *fp = fopen(path, "rb");
        if (!fp)
            continue;
        n += fread(d + n, 1, cap - n, fp);
        fclose(fp);
    }
    if (n < 1000) { /* source tree not found: fall back to text-like data */
        free(d);
        *len = 200000;
        return make_data(*len, 1);
    }
    *len = n;
    return d;
}

static void check_roundtrip(const uint8_t *data, size_t len, const uint8_t *comp, size_t clen,
                            uint32_t max_chunk)
{
    uint8_t *out = malloc(len + 1);
    size_t out_len = 0, consumed = 0;
    int r = inflate_chunks(comp, clen, max_chunk, out, len + 1, &out_len, &consumed);
    assert_int_equal(r, STUB_INF_DONE);
    assert_int_equal(out_len, len);
    assert_int_equal(consumed, clen);
    assert_memory_equal(out, data, len);
    free(out);
}

static void test_stub_inflate_zlib_levels(void **state)
{
    (void)state;
    static const size_t sizes[] = {0, 1, 100, 4096, 70000, 300000};
    for (int kind = 0; kind < 4; kind++) {
        for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
            size_t len = sizes[s];
            uint8_t *data = make_data(len, kind);
            uLongf clen = compressBound(len);
            uint8_t *comp = malloc(clen);
            for (int level = 0; level <= 9; level++) {
                clen = compressBound(len);
                assert_int_equal(compress2(comp, &clen, data, len, level), Z_OK);
                check_roundtrip(data, len, comp, clen, 1 + rnd() % 20000);
            }
            free(comp);
            free(data);
        }
    }
}

static void test_stub_inflate_libdeflate_levels(void **state)
{
    (void)state;
    for (int kind = 0; kind < 4; kind++) {
        size_t len = 150000;
        uint8_t *data = make_data(len, kind);
        size_t cap = len + len / 10 + 1000;
        uint8_t *comp = malloc(cap);
        for (int level = 1; level <= 12; level++) {
            struct libdeflate_compressor *c = libdeflate_alloc_compressor(level);
            assert_non_null(c);
            size_t clen = libdeflate_zlib_compress(c, data, len, comp, cap);
            assert_true(clen > 0);
            libdeflate_free_compressor(c);
            check_roundtrip(data, len, comp, clen, 1 + rnd() % 5000);
        }
        free(comp);
        free(data);
    }
}

static void test_stub_inflate_real_data_splits(void **state)
{
    (void)state;
    size_t len = 0;
    uint8_t *data = real_data(&len);
    uLongf clen = compressBound(len);
    uint8_t *comp = malloc(clen);
    for (int level = 1; level <= 9; level++) {
        clen = compressBound(len);
        assert_int_equal(compress2(comp, &clen, data, len, level), Z_OK);
        /* 1-byte feeding, small chunks and esptool's 16 KiB blocks */
        check_roundtrip(data, len, comp, clen, 1);
        check_roundtrip(data, len, comp, clen, 7);
        check_roundtrip(data, len, comp, clen, 0x4000);
    }
    free(comp);
    free(data);
}

static void test_stub_inflate_trailing_garbage(void **state)
{
    (void)state;
    size_t len = 5000;
    uint8_t *data = make_data(len, 1);
    uLongf clen = compressBound(len) + 16;
    uint8_t *comp = malloc(clen);
    assert_int_equal(compress2(comp, &clen, data, len, 9), Z_OK);
    memcpy(comp + clen, "GARBAGE!", 8);
    uint8_t *out = malloc(len);
    size_t out_len, consumed;
    int r = inflate_chunks(comp, clen + 8, 3, out, len, &out_len, &consumed);
    assert_int_equal(r, STUB_INF_DONE);
    assert_int_equal(consumed, clen); /* nothing past the Adler-32 trailer is taken */
    assert_int_equal(out_len, len);
    free(out);
    free(comp);
    free(data);
}

static void test_stub_inflate_bad_adler_and_header(void **state)
{
    (void)state;
    size_t len = 20000, out_len, consumed;
    uint8_t *data = make_data(len, 2);
    uLongf clen = compressBound(len);
    uint8_t *comp = malloc(clen), *out = malloc(len);
    assert_int_equal(compress2(comp, &clen, data, len, 6), Z_OK);
    comp[clen - 1] ^= 0x01;
    assert_int_equal(inflate_chunks(comp, clen, 100, out, len, &out_len, &consumed),
                     STUB_INF_ERR_ADLER);
    comp[clen - 1] ^= 0x01;
    comp[0] = 0x79; /* CINFO 7 but method 9 */
    assert_int_equal(inflate_chunks(comp, clen, 100, out, len, &out_len, &consumed),
                     STUB_INF_ERR_HEADER);
    comp[0] = 0x78;
    comp[1] ^= 0x01; /* FCHECK no longer a multiple of 31 */
    assert_int_equal(inflate_chunks(comp, clen, 100, out, len, &out_len, &consumed),
                     STUB_INF_ERR_HEADER);
    /* raw deflate (no zlib header) is refused */
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    assert_int_equal(deflateInit2(&zs, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
    zs.next_in = data;
    zs.avail_in = (uInt)len;
    zs.next_out = comp;
    zs.avail_out = (uInt)compressBound(len);
    assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
    size_t rawlen = zs.total_out;
    deflateEnd(&zs);
    int r = inflate_chunks(comp, rawlen, 100, out, len, &out_len, &consumed);
    assert_true(r < 0 || r == STUB_INF_NEED_INPUT);
    free(out);
    free(comp);
    free(data);
}

/* Random corruption: never a crash, never "done" with wrong output; nearly always an error. */
static void test_stub_inflate_corrupted(void **state)
{
    (void)state;
    size_t len = 40000, detected = 0, trials = 0;
    for (int kind = 1; kind < 4; kind++) {
        uint8_t *data = make_data(len, kind);
        uLongf clen = compressBound(len);
        uint8_t *comp = malloc(clen), *bad = malloc(clen), *out = malloc(len + 70000);
        assert_int_equal(compress2(comp, &clen, data, len, 9), Z_OK);
        for (int t = 0; t < 300; t++) {
            memcpy(bad, comp, clen);
            size_t blen = clen;
            int mode = t % 4;
            if (mode == 0) {
                bad[rnd() % clen] ^= (uint8_t)(1u << (rnd() % 8));
            } else if (mode == 1) {
                for (int k = 0; k < 8; k++)
                    bad[rnd() % clen] = (uint8_t)rnd();
            } else if (mode == 2) {
                blen = rnd() % clen; /* truncated */
            } else {
                size_t at = 2 + rnd() % (clen - 2);
                for (size_t k = at; k < clen && k < at + 64; k++)
                    bad[k] = (uint8_t)rnd();
            }
            size_t out_len = 0, consumed = 0;
            int r =
                inflate_chunks(bad, blen, 1 + rnd() % 3000, out, len + 70000, &out_len, &consumed);
            trials++;
            if (r == STUB_INF_DONE) {
                /* only possible when the damage hit ignored bits */
                assert_int_equal(out_len, len);
                assert_memory_equal(out, data, len);
            } else {
                detected++;
            }
        }
        free(out);
        free(bad);
        free(comp);
        free(data);
    }
    assert_true(detected * 100 >= trials * 95);
}

/* Fully random input must never crash or loop. */
static void test_stub_inflate_garbage(void **state)
{
    (void)state;
    uint8_t buf[4096], out[1 << 16];
    for (int t = 0; t < 2000; t++) {
        size_t n = 1 + rnd() % sizeof(buf);
        for (size_t i = 0; i < n; i++)
            buf[i] = (uint8_t)rnd();
        if (t & 1) { /* valid header, garbage body */
            buf[0] = 0x78;
            buf[1] = 0xDA;
        }
        size_t out_len = 0, consumed = 0;
        int r = inflate_chunks(buf, n, 1 + rnd() % 512, out, sizeof(out), &out_len, &consumed);
        assert_true(r != STUB_INF_DONE || consumed <= n);
    }
}

static void test_stub_inflate_adler32(void **state)
{
    (void)state;
    uint8_t *d = make_data(100000, 0);
    for (int t = 0; t < 200; t++) {
        size_t off = rnd() % 50000, n = rnd() % 50000;
        if (t < 20)
            n = (size_t)t;
        uint32_t a = (uint32_t)adler32(1, d + off, (uInt)n);
        assert_int_equal(stub_adler32(1, d + off, (uint32_t)n), a);
    }
    memset(d, 0xFF, 100000); /* worst case for the deferred modulo */
    assert_int_equal(stub_adler32(1, d, 100000), (uint32_t)adler32(1, d, 100000));
    free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stub_inflate_zlib_levels),
        cmocka_unit_test(test_stub_inflate_libdeflate_levels),
        cmocka_unit_test(test_stub_inflate_real_data_splits),
        cmocka_unit_test(test_stub_inflate_trailing_garbage),
        cmocka_unit_test(test_stub_inflate_bad_adler_and_header),
        cmocka_unit_test(test_stub_inflate_corrupted),
        cmocka_unit_test(test_stub_inflate_garbage),
        cmocka_unit_test(test_stub_inflate_adler32),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
