/* SPDX-License-Identifier: MIT */
/* Chunked zopfli (zlib and the stub's inflater take it back), background compression jobs
 * (result, cancel, matching), the rule that decides whether a write waits for a job, and a
 * write to the virtual ESP32 that uses a job. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include "elsim.h"
#include "espload/err.h"
#include "espload/flash.h"
#include "espload/loader.h"
#include "espload/port.h"
#include "port/port_int.h"
#include "stub_inflate.h"

const struct eli_port_ops *const cz_force_sim_backend = &eli_sim_ops;

#define CZ_CHUNK 0x10000u /* the compressor's chunk size */

static uint32_t cz_rng = 0x2468ace1u;
static uint32_t cz_rnd(void)
{
    cz_rng ^= cz_rng << 13;
    cz_rng ^= cz_rng >> 17;
    cz_rng ^= cz_rng << 5;
    return cz_rng;
}

/* kind 0 random (incompressible), 1 zeros, 2 code-like (repeated words, varied operands) */
static uint8_t *cz_data(size_t len, int kind)
{
    uint8_t *d = malloc(len ? len : 1);
    assert_non_null(d);
    for (size_t i = 0; i < len; i++) {
        switch (kind) {
        case 0:
            d[i] = (uint8_t)cz_rnd();
            break;
        case 1:
            d[i] = 0;
            break;
        default:
            if (i % 4 == 0 && cz_rnd() % 3 == 0) {
                uint32_t w = 0x00c1a000u | (cz_rnd() % 64) << 4 | (cz_rnd() % 16);
                for (size_t k = 0; k < 4 && i + k < len; k++)
                    d[i + k] = (uint8_t)(w >> (8 * k));
                i += 3;
            } else {
                d[i] = (uint8_t)("\x36\x41\x00\x0c\x02\x1d\xf0\x91"[cz_rnd() % 8]);
            }
        }
    }
    return d;
}

/* zlib's inflate gives back exactly d */
static void cz_check_zlib(const uint8_t *z, size_t zn, const uint8_t *d, size_t n)
{
    uLongf cap = (uLongf)(n + 16);
    uint8_t *back = malloc(cap);
    assert_non_null(back);
    assert_int_equal(uncompress(back, &cap, z, (uLong)zn), Z_OK);
    assert_int_equal(cap, n);
    if (n)
        assert_memory_equal(back, d, n);
    free(back);
}

/* the stub's inflater gives back exactly d (fed in uneven pieces, window consumed) */
static void cz_check_stub(const uint8_t *z, size_t zn, const uint8_t *d, size_t n)
{
    static struct stub_inflate st;
    static uint8_t window[STUB_INF_WINDOW];
    stub_inflate_init(&st, window);
    size_t pos = 0, got = 0;
    int r;
    for (;;) {
        uint32_t piece = 1 + cz_rnd() % 3000;
        if (piece > zn - pos)
            piece = (uint32_t)(zn - pos);
        uint32_t used = 0, start = 0;
        r = stub_inflate_run(&st, z + pos, piece, &used, &start);
        pos += used;
        uint32_t produced = st.pos - start;
        assert_true(got + produced <= n);
        if (produced)
            assert_memory_equal(window + start, d + got, produced);
        got += produced;
        if (r < 0 || r == STUB_INF_DONE)
            break;
        if (r == STUB_INF_NEED_INPUT && pos >= zn)
            break;
    }
    assert_int_equal(r, STUB_INF_DONE);
    assert_int_equal(got, n);
    assert_int_equal(pos, zn);
}

static void cz_roundtrip(size_t n, int kind)
{
    uint8_t *d = cz_data(n, kind);
    uint8_t *z = NULL;
    size_t zn = 0;
    assert_int_equal(el_compress(EL_COMP_ZOPFLI, d, n, &z, &zn), EL_OK);
    assert_non_null(z);
    cz_check_zlib(z, zn, d, n);
    cz_check_stub(z, zn, d, n);
    free(z);
    free(d);
}

static void cz_roundtrip_sizes(void **state)
{
    (void)state;
    static const size_t tiny[] = {0, 1, 2, 3, 5, 17, 300};
    for (size_t i = 0; i < sizeof(tiny) / sizeof(tiny[0]); i++)
        for (int k = 0; k < 3; k++)
            cz_roundtrip(tiny[i], k);
    /* around the chunk boundaries: one byte short, exact, one over, several chunks */
    static const size_t big[] = {CZ_CHUNK - 1, CZ_CHUNK, CZ_CHUNK + 1, 3 * CZ_CHUNK + 7};
    for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++)
        for (int k = 0; k < 3; k++)
            cz_roundtrip(big[i], k);
}

/* matches that reach back across a chunk boundary: the second chunk repeats the first */
static void cz_roundtrip_cross_window(void **state)
{
    (void)state;
    size_t n = 2 * CZ_CHUNK + 5000;
    uint8_t *d = cz_data(n, 0);
    for (size_t i = CZ_CHUNK - 20000; i < n; i++)
        d[i] = d[i - 20000];
    uint8_t *z = NULL;
    size_t zn = 0;
    assert_int_equal(el_compress(EL_COMP_ZOPFLI, d, n, &z, &zn), EL_OK);
    assert_true(zn < n / 2); /* the window carried over: only ~20000 random bytes */
    cz_check_zlib(z, zn, d, n);
    cz_check_stub(z, zn, d, n);
    free(z);
    free(d);
}

/* smaller than zlib level 9 on code: this test program's own machine code */
static void cz_beats_zlib9(void **state)
{
    (void)state;
    FILE *f = fopen("/proc/self/exe", "rb");
    if (!f)
        skip();
    size_t cap = 3 * CZ_CHUNK + 12345;
    uint8_t *d = malloc(cap);
    assert_non_null(d);
    size_t n = fread(d, 1, cap, f);
    fclose(f);
    assert_true(n > CZ_CHUNK);
    uint8_t *z9 = NULL, *zz = NULL;
    size_t n9 = 0, nz = 0;
    assert_int_equal(el_compress(EL_COMP_ZLIB9, d, n, &z9, &n9), EL_OK);
    assert_int_equal(el_compress(EL_COMP_ZOPFLI, d, n, &zz, &nz), EL_OK);
    cz_check_zlib(zz, nz, d, n);
    assert_true(nz <= n9);
    free(z9);
    free(zz);
    /* and on synthetic code-like data */
    uint8_t *c = cz_data(2 * CZ_CHUNK + 99, 2);
    assert_int_equal(el_compress(EL_COMP_ZLIB9, c, 2 * CZ_CHUNK + 99, &z9, &n9), EL_OK);
    assert_int_equal(el_compress(EL_COMP_ZOPFLI, c, 2 * CZ_CHUNK + 99, &zz, &nz), EL_OK);
    assert_true(nz <= n9);
    free(z9);
    free(zz);
    free(c);
    free(d);
}

/* a job: same bytes as el_compress on the padded data, progress to the end, take once */
static void cz_job_result(void **state)
{
    (void)state;
    size_t n = 2 * CZ_CHUNK + 5; /* padded to +8 with 0xFF */
    uint8_t *d = cz_data(n, 2);
    uint8_t *p = malloc(n + 3);
    memcpy(p, d, n);
    memset(p + n, 0xFF, 3);
    struct el_compress_job *j = NULL;
    assert_int_equal(el_compress_job_start(d, n, EL_COMP_ZOPFLI, 2, &j), EL_OK);
    assert_int_equal(el_compress_job_compressor(j), EL_COMP_ZOPFLI);
    assert_true(el_compress_job_matches(j, d, n));
    assert_true(el_compress_job_matches(j, p, n + 3));
    assert_false(el_compress_job_matches(j, d, n - 1));
    d[100] ^= 1;
    assert_false(el_compress_job_matches(j, d, n));
    d[100] ^= 1;
    int rc;
    while ((rc = el_compress_job_wait(j, 1000)) == EL_E_TIMEOUT)
        ;
    assert_int_equal(rc, EL_OK);
    struct el_compress_progress pr;
    el_compress_job_progress(j, &pr);
    assert_true(pr.finished);
    assert_int_equal(pr.error, EL_OK);
    assert_int_equal(pr.total, n + 3);
    assert_int_equal(pr.done, n + 3);
    uint8_t *z = NULL, *z2 = NULL;
    size_t zn = 0, zn2 = 0;
    assert_int_equal(el_compress_job_take(j, &z, &zn), EL_OK);
    assert_int_equal(zn, pr.out_len);
    assert_int_equal(el_compress_job_take(j, &z2, &zn2), EL_E_ARG); /* only once */
    assert_null(z2);
    el_compress_job_free(j);
    cz_check_zlib(z, zn, p, n + 3);
    /* one thread gives the same stream as two */
    assert_int_equal(el_compress(EL_COMP_ZOPFLI, p, n + 3, &z2, &zn2), EL_OK);
    assert_int_equal(zn2, zn);
    assert_memory_equal(z2, z, zn);
    free(z2);
    free(z);

    /* other compressors run whole: identical to el_compress */
    assert_int_equal(el_compress_job_start(d, n, EL_COMP_LIBDEFLATE12, 0, &j), EL_OK);
    while (el_compress_job_wait(j, 1000) == EL_E_TIMEOUT)
        ;
    assert_int_equal(el_compress_job_take(j, &z, &zn), EL_OK);
    el_compress_job_free(j);
    assert_int_equal(el_compress(EL_COMP_LIBDEFLATE12, p, n + 3, &z2, &zn2), EL_OK);
    assert_int_equal(zn, zn2);
    assert_memory_equal(z, z2, zn);
    free(z);
    free(z2);

    assert_int_equal(el_compress_job_start(d, n, EL_COMP_AUTO, 0, &j), EL_E_ARG);
    assert_null(j);
    assert_int_equal(el_compress_job_start(NULL, 5, EL_COMP_ZOPFLI, 0, &j), EL_E_ARG);
    free(p);
    free(d);
}

/* cancelling stops the workers after the chunk each one holds; free joins and frees all */
static void cz_job_cancel(void **state)
{
    (void)state;
    size_t n = 40 * CZ_CHUNK;
    uint8_t *d = cz_data(n, 2);
    struct el_compress_job *j = NULL;
    assert_int_equal(el_compress_job_start(d, n, EL_COMP_ZOPFLI, 2, &j), EL_OK);
    free(d); /* the job has its own copy */
    uint8_t *z = (uint8_t *)1;
    size_t zn = 1;
    assert_int_equal(el_compress_job_take(j, &z, &zn), EL_E_TIMEOUT);
    assert_null(z);
    assert_int_equal(zn, 0);
    el_compress_job_cancel(j);
    int rc;
    while ((rc = el_compress_job_wait(j, 1000)) == EL_E_TIMEOUT)
        ;
    struct el_compress_progress pr;
    el_compress_job_progress(j, &pr);
    assert_true(pr.finished);
    assert_int_equal(pr.error, EL_E_INTERRUPTED);
    assert_true(pr.done <= 4 * CZ_CHUNK); /* at most the chunks in hand (and a few more) */
    assert_int_equal(el_compress_job_take(j, &z, &zn), EL_E_INTERRUPTED);
    el_compress_job_free(j);

    /* freeing a running job cancels it */
    d = cz_data(n, 0);
    assert_int_equal(el_compress_job_start(d, n, EL_COMP_ZOPFLI, 0, &j), EL_OK);
    el_compress_job_free(j);
    el_compress_job_free(NULL);
    free(d);
}

static struct el_compress_progress cz_prog(size_t total, size_t done, size_t out_done,
                                           double elapsed_s)
{
    struct el_compress_progress p;
    memset(&p, 0, sizeof(p));
    p.total = total;
    p.done = done;
    p.out_done = out_done;
    p.elapsed_s = elapsed_s;
    return p;
}

static void cz_choose_rule(void **state)
{
    (void)state;
    double w = -1;
    /* finished: used only when smaller than the fast choice */
    struct el_compress_progress p = cz_prog(1000000, 1000000, 600000, 3);
    p.finished = true;
    p.out_len = 600000;
    assert_int_equal(el_compress_job_choose(&p, 610000, 115200, &w), EL_JOB_USE);
    assert_true(w == 0);
    assert_int_equal(el_compress_job_choose(&p, 600000, 115200, &w), EL_JOB_SKIP);
    p.error = EL_E_INTERRUPTED;
    assert_int_equal(el_compress_job_choose(&p, 610000, 115200, &w), EL_JOB_SKIP);

    /* half done in 1 s (1 s left), ratio 0.6 -> 600000 vs fast 610000: 10000 bytes save
     * 0.868 s at 115200 (< 1 s left: skip) and 1.0 s at 100000 baud (just above: skip, as
     * equal is not a gain), 1.736 s at 57600 (wait up to that) */
    p = cz_prog(1000000, 500000, 300000, 1.0);
    assert_int_equal(el_compress_job_choose(&p, 610000, 115200, &w), EL_JOB_SKIP);
    assert_true(w == 0);
    assert_int_equal(el_compress_job_choose(&p, 610000, 100000, &w), EL_JOB_SKIP);
    assert_int_equal(el_compress_job_choose(&p, 610000, 57600, &w), EL_JOB_WAIT);
    assert_true(w > 1.73 && w < 1.74);
    /* nearly done: worth a short wait even at a high baud */
    p = cz_prog(1000000, 990000, 594000, 3.0); /* 0.03 s left; 1000 bytes: 0.0109 s at 921600 */
    assert_int_equal(el_compress_job_choose(&p, 601000, 921600, &w), EL_JOB_SKIP);
    assert_int_equal(el_compress_job_choose(&p, 601000, 230400, &w), EL_JOB_WAIT);
    /* the estimate is no better than the fast choice */
    p = cz_prog(1000000, 500000, 310000, 0.1);
    assert_int_equal(el_compress_job_choose(&p, 610000, 9600, &w), EL_JOB_SKIP);
    /* nothing finished yet: no rate to go by */
    p = cz_prog(1000000, 0, 0, 2.0);
    assert_int_equal(el_compress_job_choose(&p, 610000, 9600, &w), EL_JOB_SKIP);
    assert_int_equal(el_compress_job_choose(NULL, 610000, 9600, NULL), EL_JOB_SKIP);
}

/* a write through the virtual device's stub (its inflater) takes a finished job's stream */
static void cz_sim_write_with_job(void **state)
{
    (void)state;
    struct el_port *p = NULL;
    char err[256];
    assert_int_equal(el_port_open(&p, "sim://esp32", NULL, err, sizeof(err)), EL_OK);
    struct el_loader *l;
    assert_int_equal(el_loader_new(&l, p), EL_OK);
    struct el_connect_opts o;
    el_connect_opts_init(&o);
    o.chip = EL_CHIP_ESP32;
    assert_int_equal(el_loader_connect(l, &o), EL_OK);
    static uint8_t text[64];
    struct el_stub_image img = {.origin = "test",
                                .entry = 0x400BE000,
                                .text_start = 0x400BE000,
                                .text = text,
                                .text_len = sizeof(text),
                                .bss_start = 0x3FFCC000};
    assert_int_equal(el_loader_run_stub(l, &img), EL_OK);
    size_t n = 2 * CZ_CHUNK + 1234 + 2; /* not a multiple of 4 */
    uint8_t *d = cz_data(n, 2);
    struct el_compress_job *j = NULL, *other = NULL;
    assert_int_equal(el_compress_job_start(d, n, EL_COMP_ZOPFLI, 0, &j), EL_OK);
    assert_int_equal(el_compress_job_start(d, 100, EL_COMP_ZOPFLI, 0, &other), EL_OK);
    while (el_compress_job_wait(j, 1000) == EL_E_TIMEOUT)
        ;
    struct el_compress_progress pr;
    el_compress_job_progress(j, &pr);
    struct el_compress_job *jobs[2] = {other, j};
    struct el_write_opts wo;
    el_write_opts_init(&wo);
    wo.compress = 1;
    wo.compressor = EL_COMP_ZOPFLI; /* asked for: always the job's */
    wo.jobs = jobs;
    wo.n_jobs = 2;
    struct el_write_result r;
    int rc = el_flash_write(l, 0x10000, d, n, &wo, &r);
    if (rc != EL_OK)
        fail_msg("write: %s", el_loader_errmsg(l));
    assert_true(r.verified);
    assert_true(r.compressed);
    assert_int_equal(r.compressor, EL_COMP_ZOPFLI);
    assert_int_equal(r.wire_len, pr.out_len);
    size_t size;
    const uint8_t *fl = elsim_flash(el_port_sim_device(p), &size);
    assert_memory_equal(fl + 0x10000, d, n);

    /* AUTO on real code (this program) at a slow baud: the finished job is smaller than
     * libdeflate's output, so it is taken */
    FILE *f = fopen("/proc/self/exe", "rb");
    if (f) {
        size_t cap = 3 * CZ_CHUNK, en;
        uint8_t *e = malloc(cap);
        en = fread(e, 1, cap, f);
        fclose(f);
        struct el_compress_job *ej = NULL;
        assert_int_equal(el_compress_job_start(e, en, EL_COMP_ZOPFLI, 0, &ej), EL_OK);
        while (el_compress_job_wait(ej, 1000) == EL_E_TIMEOUT)
            ;
        struct el_compress_job *ejs[1] = {ej};
        wo.compressor = EL_COMP_AUTO;
        wo.jobs = ejs;
        wo.n_jobs = 1;
        assert_int_equal(el_flash_write(l, 0x40000, e, en, &wo, &r), EL_OK);
        assert_int_equal(r.compressor, EL_COMP_ZOPFLI);
        assert_true(r.verified);
        fl = elsim_flash(el_port_sim_device(p), &size);
        assert_memory_equal(fl + 0x40000, e, en);
        el_compress_job_free(ej);
        free(e);
        wo.jobs = jobs;
        wo.n_jobs = 2;
    }

    /* an explicit other compressor ignores the job */
    d[7] ^= 0x55;
    wo.compressor = EL_COMP_LIBDEFLATE6;
    el_compress_job_free(j);
    assert_int_equal(el_compress_job_start(d, n, EL_COMP_ZOPFLI, 0, &j), EL_OK);
    jobs[1] = j;
    assert_int_equal(el_flash_write(l, 0x10000, d, n, &wo, &r), EL_OK);
    assert_int_equal(r.compressor, EL_COMP_LIBDEFLATE6);
    fl = elsim_flash(el_port_sim_device(p), &size);
    assert_memory_equal(fl + 0x10000, d, n);
    el_compress_job_free(j);
    el_compress_job_free(other);
    free(d);
    el_loader_free(l);
    el_port_close(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cz_roundtrip_sizes),    cmocka_unit_test(cz_roundtrip_cross_window),
        cmocka_unit_test(cz_beats_zlib9),        cmocka_unit_test(cz_job_result),
        cmocka_unit_test(cz_job_cancel),         cmocka_unit_test(cz_choose_rule),
        cmocka_unit_test(cz_sim_write_with_job),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
