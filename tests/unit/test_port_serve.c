/* SPDX-License-Identifier: MIT */
/* elsim_serve() (the simulator's TCP and RFC 2217 endpoints) driven by the port layer's own
 * socket:// and rfc2217:// clients, in one process (server on a thread). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "elsim.h"
#include "elsim_serve.h"
#include "espload/err.h"
#include "espload/port.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct served {
    struct elsim *dev;
    struct elsim_serve_cfg cfg;
    volatile sig_atomic_t stop;
    char url[128];
    volatile int ready;
    int rc;
    char err[256];
};

static void on_ready(void *ctx, const char *name)
{
    struct served *s = ctx;

    snprintf(s->url, sizeof s->url, "%s", name);
    s->ready = 1;
}

static void *serve_main(void *arg)
{
    struct served *s = arg;

    s->rc = elsim_serve(s->dev, &s->cfg, s->err, sizeof s->err);
    return NULL;
}

static void start(struct served *s, pthread_t *th, bool rfc, bool download)
{
    struct elsim_cfg *cfg = elsim_cfg_new("esp32");
    char err[256];

    memset(s, 0, sizeof *s);
    assert_non_null(cfg);
    assert_int_equal(elsim_cfg_set(cfg, "revision", "1", err, sizeof err), 0);
    s->dev = elsim_new(cfg, err, sizeof err);
    elsim_cfg_free(cfg);
    assert_non_null(s->dev);
    if (download) { /* BOOT held through a reset */
        elsim_set_lines(s->dev, false, true);
        elsim_advance(s->dev, 100000);
        elsim_set_lines(s->dev, true, false);
        elsim_advance(s->dev, 100000);
        elsim_set_lines(s->dev, false, false);
        elsim_advance(s->dev, 10000);
    }
    if (rfc)
        s->cfg.rfc2217 = "127.0.0.1:0";
    else
        s->cfg.tcp = "127.0.0.1:0";
    s->cfg.stop = &s->stop;
    s->cfg.on_ready = on_ready;
    s->cfg.ctx = s;
    assert_int_equal(pthread_create(th, NULL, serve_main, s), 0);
    for (int i = 0; i < 500 && !s->ready; i++)
        usleep(10000);
    assert_true(s->ready);
}

static void stop(struct served *s, pthread_t th)
{
    s->stop = 1;
    pthread_join(th, NULL);
    assert_int_equal(s->rc, 0);
}

static const uint8_t sync_frame[] = {
    0xc0, 0x00, 0x08, 0x24, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x07, 0x12, 0x20, 0x55, 0x55, 0x55,
    0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55,
    0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0xc0};

/* Sends SYNC and counts SYNC replies (frames starting c0 01 08) within about a second. */
static int sync_replies(struct el_port *p)
{
    uint8_t buf[2048];
    size_t got = 0;
    int n = 0;

    assert_int_equal(el_port_flush_input(p), EL_OK);
    assert_int_equal(el_port_write(p, sync_frame, sizeof sync_frame, 1000), EL_OK);
    for (int i = 0; i < 20 && got < sizeof buf; i++) {
        int r = el_port_read(p, buf + got, sizeof buf - got, 50);
        assert_true(r >= 0);
        got += (size_t)r;
    }
    for (size_t i = 0; i + 2 < got; i++)
        if (buf[i] == 0xc0 && buf[i + 1] == 0x01 && buf[i + 2] == 0x08)
            n++;
    return n;
}

static void portserve_tcp_sync(void **state)
{
    struct served s;
    pthread_t th;
    struct el_port *p;
    char err[256];
    struct elsim_stats st;

    start(&s, &th, false, true);
    assert_non_null(strstr(s.url, "socket://127.0.0.1:"));
    assert_int_equal(el_port_open(&p, s.url, NULL, err, sizeof err), EL_OK);
    assert_int_equal(sync_replies(p), 8);
    el_port_close(p);
    /* the next client is served too */
    assert_int_equal(el_port_open(&p, s.url, NULL, err, sizeof err), EL_OK);
    assert_int_equal(sync_replies(p), 8);
    el_port_close(p);
    stop(&s, th);
    elsim_get_stats(s.dev, &st);
    assert_true(st.bytes_in >= 2 * sizeof sync_frame);
    elsim_free(s.dev);
}

static void portserve_rfc2217_reset(void **state)
{
    struct served s;
    pthread_t th;
    struct el_port *p;
    char err[256];

    /* boots from flash: no answer until the client resets it into download mode */
    start(&s, &th, true, false);
    assert_non_null(strstr(s.url, "rfc2217://127.0.0.1:"));
    assert_int_equal(el_port_open(&p, s.url, NULL, err, sizeof err), EL_OK);
    assert_true(el_port_has_lines(p));
    assert_int_equal(sync_replies(p), 0);
    /* classic reset: EN low, then IO0 low while EN rises */
    assert_int_equal(el_port_set_lines(p, 0, 1), EL_OK);
    el_port_sleep_ms(p, 100);
    assert_int_equal(el_port_set_lines(p, 1, 0), EL_OK);
    el_port_sleep_ms(p, 50);
    assert_int_equal(el_port_set_lines(p, 0, -1), EL_OK);
    el_port_sleep_ms(p, 100);
    assert_int_equal(sync_replies(p), 8);
    /* data bytes 0xFF cross the Telnet layer once each (doubled on the wire, undoubled by the
     * server): counted below; the ROM drops the bad frame and keeps answering */
    assert_int_equal(el_port_write(p, "\xc0\xff\xff\xc0", 4, 1000), EL_OK);
    assert_int_equal(sync_replies(p), 8);
    el_port_close(p);
    stop(&s, th);
    assert_string_equal(elsim_state_name(s.dev), "rom");
    {
        struct elsim_stats st;
        elsim_get_stats(s.dev, &st);
        assert_int_equal(st.bytes_in, 3 * sizeof sync_frame + 4);
    }
    elsim_free(s.dev);
}

static void portserve_bad_address(void **state)
{
    struct elsim_cfg *cfg = elsim_cfg_new("esp32");
    struct elsim_serve_cfg sc = {.tcp = "127.0.0.1"};
    struct elsim *dev;
    char err[256];

    dev = elsim_new(cfg, err, sizeof err);
    elsim_cfg_free(cfg);
    assert_non_null(dev);
    assert_int_equal(elsim_serve(dev, &sc, err, sizeof err), -1);
    assert_non_null(strstr(err, "not host:port"));
    sc.tcp = NULL;
    assert_int_equal(elsim_serve(dev, &sc, err, sizeof err), -1);
    assert_non_null(strstr(err, "no endpoint"));
    elsim_free(dev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(portserve_tcp_sync),
        cmocka_unit_test(portserve_rfc2217_reset),
        cmocka_unit_test(portserve_bad_address),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
