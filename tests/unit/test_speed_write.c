/* SPDX-License-Identifier: MIT */
/* Speed features against the in-process virtual ESP32 (timing model off: no timing
 * assertions): skip-unchanged, changed sectors, --no-skip, blank detection (stub and ROM),
 * default baud with fallback on a bridge that cannot make the rate, compressor choice. */
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
#include "espload/loader.h"
#include "espload/port.h"
#include "loader/port_bridge.h"
#include "port/port_int.h"

const struct eli_port_ops *const test_force_sim_backend = &eli_sim_ops;

struct sess {
    struct el_port *p;
    struct el_loader *l;
    int baud_failed;
    int compressed;           /* EL_EV_COMPRESSED events */
    int64_t comp_raw, comp_z; /* their a and b */
    int progress_ends;        /* progress reports with block == blocks */
    uint32_t last_block;      /* of the previous report */
    bool progress_backwards;  /* a report's block went down */
    uint32_t blocks;          /* blocks of the last report */
};

static void on_event(void *user, const struct el_event *ev)
{
    struct sess *s = user;
    if (ev->id == EL_EV_BAUD_FAILED)
        s->baud_failed++;
    if (ev->id == EL_EV_COMPRESSED) {
        s->compressed++;
        s->comp_raw = ev->a;
        s->comp_z = ev->b;
    }
}

static void on_progress(void *user, const struct el_progress *p)
{
    struct sess *s = user;
    if (p->op != EL_PROG_WRITE)
        return;
    if (p->block < s->last_block)
        s->progress_backwards = true;
    s->last_block = p->block;
    s->blocks = p->blocks;
    if (p->block == p->blocks)
        s->progress_ends++;
}

static void reset_counts(struct sess *s)
{
    s->compressed = 0;
    s->comp_raw = s->comp_z = 0;
    s->progress_ends = 0;
    s->last_block = 0;
    s->progress_backwards = false;
    s->blocks = 0;
}

static void open_sess(struct sess *s, const char *url, uint16_t vid, uint16_t pid,
                      unsigned max_baud, bool stub)
{
    memset(s, 0, sizeof(*s));
    struct el_port *inner = NULL;
    char err[256];
    if (el_port_open(&inner, url, NULL, err, sizeof(err)) != EL_OK)
        fail_msg("cannot open %s: %s", url, err);
    assert_int_equal(el_port_open_bridge(&s->p, inner, vid, pid, max_baud), EL_OK);
    assert_int_equal(el_loader_new(&s->l, s->p), EL_OK);
    el_loader_set_event_cb(s->l, on_event, s);
    el_loader_set_progress_cb(s->l, on_progress, s);
    struct el_connect_opts o;
    el_connect_opts_init(&o);
    assert_int_equal(el_loader_connect(s->l, &o), EL_OK);
    if (stub)
        assert_int_equal(el_loader_run_stub(s->l, NULL), EL_OK);
}

static void close_sess(struct sess *s)
{
    el_loader_free(s->l);
    el_port_close(s->p);
}

static uint8_t *image(size_t n, unsigned seed)
{
    uint8_t *p = malloc(n);
    uint32_t x = seed * 2654435761u + 7;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = (i / 32) % 3 ? (uint8_t)(x >> 16) : (uint8_t)(i >> 5);
    }
    return p;
}

static const uint8_t *flash_of(struct sess *s)
{
    size_t n;
    return elsim_flash(el_port_sim_device(s->p), &n);
}

static void write_fast(struct sess *s, uint32_t addr, const uint8_t *d, size_t n, bool skip,
                       struct el_write_result *r)
{
    struct el_write_opts o;
    el_write_opts_init_fast(&o);
    if (!skip)
        o.skip_unchanged = o.diff_sectors = false;
    int rc = el_flash_write(s->l, addr, d, n, &o, r);
    if (rc != EL_OK)
        fail_msg("write: %s", el_loader_errmsg(s->l));
    assert_true(r->verified);
    assert_memory_equal(flash_of(s) + addr, d, n);
}

static void t_speed_skip_unchanged_and_one_sector(void **state)
{
    (void)state;
    for (int stub = 1; stub >= 0; stub--) {
        struct sess s;
        open_sess(&s, "sim://esp32", 0, 0, 0, stub);
        size_t n = 0x50000 + 0x800; /* 5 blocks and a half sector */
        uint8_t *d = image(n, 1);
        struct el_write_result r;
        write_fast(&s, 0x10000, d, n, true, &r);
        assert_false(r.skipped);
        assert_int_equal(r.sectors_written, (n + 0xFFF) / 0x1000);
        /* identical: one MD5, nothing sent */
        write_fast(&s, 0x10000, d, n, true, &r);
        assert_true(r.skipped);
        assert_int_equal(r.md5_queries, 1);
        assert_int_equal(r.wire_len, 0);
        assert_int_equal(r.regions, 0);
        /* one sector changed: whole + 6 blocks + 16 sectors of the differing block */
        d[0x23456] ^= 0x5A;
        write_fast(&s, 0x10000, d, n, true, &r);
        assert_false(r.skipped);
        assert_int_equal(r.sectors_written, 1);
        assert_int_equal(r.regions, 1);
        assert_int_equal(r.md5_queries, 1 + 6 + 16);
        assert_true(r.wire_len <= 0x1000);
        /* --no-skip: everything again, no planning MD5 */
        write_fast(&s, 0x10000, d, n, false, &r);
        assert_int_equal(r.sectors_written, (n + 0xFFF) / 0x1000);
        assert_int_equal(r.md5_queries, 0);
        assert_int_equal(r.regions, 1);
        free(d);
        close_sess(&s);
    }
}

static void t_speed_all_sectors_changed_stops_descending(void **state)
{
    (void)state;
    struct sess s;
    open_sess(&s, "sim://esp32", 0, 0, 0, true);
    size_t n = 0x40000;
    uint8_t *a = image(n, 2), *b = image(n, 3);
    struct el_write_result r;
    write_fast(&s, 0x100000, a, n, true, &r);
    write_fast(&s, 0x100000, b, n, true, &r);
    /* whole + 4 blocks + the sectors of the first block only */
    assert_int_equal(r.md5_queries, 1 + 4 + 16);
    assert_int_equal(r.sectors_written, n / 0x1000);
    free(a);
    free(b);
    close_sess(&s);
}

static void t_speed_blank_sectors_not_written(void **state)
{
    (void)state;
    for (int stub = 1; stub >= 0; stub--) {
        struct sess s;
        open_sess(&s, "sim://esp32", 0, 0, 0, stub);
        assert_int_equal(el_flash_set_params(s.l, 4u << 20), EL_OK); /* ROM: beyond 2 MB */
        size_t n = 0x30000;
        uint8_t *d = image(n, 4);
        memset(d + 0x8000, 0xFF, 0x3000); /* three erased sectors inside the data */
        memset(d + n - 0x2000, 0xFF, 0x2000);
        struct elsim_stats st0, st1;
        elsim_get_stats(el_port_sim_device(s.p), &st0);
        struct el_write_result r;
        reset_counts(&s);
        write_fast(&s, 0x200000, d, n, true, &r);
        elsim_get_stats(el_port_sim_device(s.p), &st1);
        /* two runs, one compression summary with the real totals, one progress sequence */
        assert_int_equal(s.compressed, 1);
        assert_int_equal(s.comp_raw, (int64_t)r.sectors_written * 0x1000);
        assert_int_equal(r.written, (size_t)r.sectors_written * 0x1000);
        assert_int_equal(s.comp_z, (int64_t)r.wire_len);
        assert_true(r.compressed);
        assert_int_equal(s.progress_ends, 1);
        assert_false(s.progress_backwards);
        assert_int_equal(s.last_block, s.blocks);
        assert_int_equal(r.md5_queries, 1); /* the device region is blank: one MD5 tells */
        assert_int_equal(r.sectors_written, n / 0x1000 - 5);
        assert_int_equal(r.regions, 2);
        if (!stub) /* the ROM erases what FLASH_DEFL_BEGIN names: only the written sectors */
            assert_int_equal(st1.flash_bytes_erased - st0.flash_bytes_erased,
                             (uint64_t)r.sectors_written * 0x1000);
        free(d);
        close_sess(&s);
    }
}

static void t_speed_default_baud_and_fallback(void **state)
{
    (void)state;
    unsigned chosen;
    struct sess s;
    /* CP2102 that makes 921600: switched and proved */
    open_sess(&s, "sim://esp32", 0x10C4, 0xEA60, 0, true);
    assert_int_equal(el_loader_auto_baud(s.l, 0, &chosen), EL_OK);
    assert_int_equal(chosen, 921600);
    assert_int_equal(el_loader_baud(s.l), 921600);
    assert_int_equal(s.baud_failed, 0);
    close_sess(&s);
    /* a bridge that cannot make it: round trip fails, reset and reconnect at 115200 with
     * the stub uploaded again */
    open_sess(&s, "sim://esp32", 0x10C4, 0xEA60, 460800, true);
    assert_int_equal(el_loader_auto_baud(s.l, 0, &chosen), EL_OK);
    assert_int_equal(chosen, 921600);
    assert_int_equal(s.baud_failed, 1);
    assert_int_equal(el_loader_baud(s.l), 115200);
    assert_true(el_loader_is_stub(s.l));
    uint32_t v;
    assert_int_equal(el_loader_read_reg(s.l, 0x40001000, &v), EL_OK);
    assert_int_equal(v, 0x00F01D83);
    uint8_t *d = image(0x3000, 5);
    struct el_write_result r;
    write_fast(&s, 0x10000, d, 0x3000, true, &r);
    free(d);
    close_sess(&s);
    /* unknown bridge and no USB ids: the rate stays */
    open_sess(&s, "sim://esp32", 0x1234, 0x5678, 0, false);
    assert_int_equal(el_loader_auto_baud(s.l, 0, &chosen), EL_OK);
    assert_int_equal(chosen, 0);
    assert_int_equal(el_loader_baud(s.l), 115200);
    close_sess(&s);
    open_sess(&s, "sim://esp32", 0, 0, 0, false);
    assert_int_equal(el_loader_auto_baud(s.l, 0, &chosen), EL_OK);
    assert_int_equal(chosen, 0);
    /* an explicit --baud is honoured (ROM: scaled CHANGE_BAUDRATE) */
    assert_int_equal(el_loader_auto_baud(s.l, 460800, &chosen), EL_OK);
    assert_int_equal(el_loader_baud(s.l), 460800);
    assert_int_equal(el_loader_read_reg(s.l, 0x40001000, &v), EL_OK);
    close_sess(&s);
}

static void t_speed_compressor_choice(void **state)
{
    (void)state;
    /* pure rule: least host + wire time */
    struct el_comp_measure m[2] = {{EL_COMP_LIBDEFLATE6, 30e6, 0.62},
                                   {EL_COMP_LIBDEFLATE12, 3e6, 0.60}};
    /* 1 MB: 12 costs 0.30 s more and saves 20 KB: 1.7 s at 115200, 0.02 s at 10 Mbaud */
    assert_int_equal(el_compress_pick(m, 2, 1000000, 115200), EL_COMP_LIBDEFLATE12);
    assert_int_equal(el_compress_pick(m, 2, 1000000, 10000000), EL_COMP_LIBDEFLATE6);
    assert_int_equal(el_compress_pick(NULL, 0, 1000000, 115200), EL_COMP_LIBDEFLATE6);
    /* measured on this host */
    size_t n = 256 * 1024;
    uint8_t *d = image(n, 6);
    struct el_comp_measure mm[3];
    size_t nm = 0;
    enum el_compressor slow = el_compress_measure(d, n, 300, mm, &nm);
    assert_true(nm >= 2);
    assert_int_equal(slow, el_compress_pick(mm, nm, n, 300));
    /* wire-bound: never the fast, larger libdeflate 6 */
    assert_int_equal(mm[0].c, EL_COMP_LIBDEFLATE6);
    assert_int_not_equal(slow, EL_COMP_LIBDEFLATE6);
    enum el_compressor fast = el_compress_measure(d, n, 4000000000u, mm, &nm);
    assert_int_equal(fast, el_compress_pick(mm, nm, n, 4000000000u));
    /* every choice is a zlib stream with Adler-32 the device inflates */
    for (int c = EL_COMP_ZLIB9; c <= EL_COMP_LIBDEFLATE6; c++) {
        if (c == EL_COMP_AUTO || c == EL_COMP_ZOPFLI)
            continue;
        uint8_t *z;
        size_t zn;
        assert_int_equal(el_compress((enum el_compressor)c, d, n, &z, &zn), EL_OK);
        uLongf back_n = (uLongf)n;
        uint8_t *back = malloc(n);
        assert_int_equal(uncompress(back, &back_n, z, (uLong)zn), Z_OK);
        assert_int_equal(back_n, n);
        assert_memory_equal(back, d, n);
        free(back);
        free(z);
    }
    free(d);
}

/* READ_FLASH requests and ACKs the host sent (trace of TX frames). */
struct rdlog {
    uint32_t req_packet, req_inflight;
    int requests;
    uint32_t acks[64];
    size_t n_acks;
};

static void on_trace_read(void *user, enum el_trace_dir dir, const uint8_t *d, size_t n)
{
    struct rdlog *r = user;
    if (dir != EL_TRACE_TX)
        return;
    if (n == 8 + 16 && d[0] == 0x00 && d[1] == 0xD2) {
        r->requests++;
        r->req_packet =
            (uint32_t)d[16] | (uint32_t)d[17] << 8 | (uint32_t)d[18] << 16 | (uint32_t)d[19] << 24;
        r->req_inflight =
            (uint32_t)d[20] | (uint32_t)d[21] << 8 | (uint32_t)d[22] << 16 | (uint32_t)d[23] << 24;
    } else if (n == 4 && r->n_acks < 64) {
        r->acks[r->n_acks++] =
            (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 | (uint32_t)d[3] << 24;
    }
}

/* The stub's READ_FLASH with several packets in flight: they arrive back to back, each is
 * acknowledged with the running byte count, the data and its MD5 check out. */
static void t_speed_read_window(void **state)
{
    (void)state;
    struct sess s;
    open_sess(&s, "sim://esp32", 0, 0, 0, true);
    size_t n = 0x9000 + 0x123;
    uint8_t *d = image(n, 9);
    write_fast(&s, 0x40000, d, n, false, &(struct el_write_result){0});
    struct rdlog rl = {0};
    el_loader_set_trace_cb(s.l, on_trace_read, &rl);
    uint8_t *b = calloc(1, n);
    assert_int_equal(el_flash_read(s.l, 0x40000, b, n), EL_OK);
    assert_memory_equal(b, d, n);
    assert_int_equal(rl.requests, 1);
    assert_int_equal(rl.req_packet, 0x1000);
    /* enough in flight to cover a round trip: at least 4 packets, counted in bytes */
    assert_true(rl.req_inflight >= 4 * rl.req_packet);
    assert_true(rl.req_inflight <= 0x10000);
    assert_int_equal(rl.n_acks, (n + 0xFFF) / 0x1000);
    for (size_t i = 0; i < rl.n_acks; i++)
        assert_int_equal(rl.acks[i], i + 1 < rl.n_acks ? (i + 1) * 0x1000 : n);
    /* the loader keeps working after the read (the digest frame was consumed) */
    uint8_t md5[16];
    assert_int_equal(el_flash_md5(s.l, 0x40000, (uint32_t)n, md5), EL_OK);
    free(b);
    free(d);
    close_sess(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_speed_skip_unchanged_and_one_sector),
        cmocka_unit_test(t_speed_all_sectors_changed_stops_descending),
        cmocka_unit_test(t_speed_blank_sectors_not_written),
        cmocka_unit_test(t_speed_default_baud_and_fallback),
        cmocka_unit_test(t_speed_compressor_choice),
        cmocka_unit_test(t_speed_read_window),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
