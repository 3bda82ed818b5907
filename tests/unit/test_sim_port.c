/* SPDX-License-Identifier: MIT */
/* The sim:// port backend: URL options, virtual-clock reads, lines, sleeps, disconnects. */
#include "test_sim_util.h"

#include "espload/err.h"
#include "port/port_int.h"

static struct el_port *open_sim(const char *target, int *rc)
{
    struct el_port *p = calloc(1, sizeof(*p));
    p->ops = &eli_sim_ops;
    struct el_port_cfg cfg = {.baud = 115200};
    *rc = eli_sim_ops.open(p, target, &cfg);
    if (*rc) {
        return p; /* caller inspects errmsg */
    }
    return p;
}

static void close_sim(struct el_port *p)
{
    if (p->impl)
        eli_sim_ops.close(p);
    free(p);
}

static void test_sim_port__url_options(void **state)
{
    (void)state;
    int rc;
    struct el_port *p = open_sim("esp32?flash-size=2MB&mac=aa%3Abb:cc:dd:ee:ff&r0-wdt-ms=0", &rc);
    assert_int_equal(rc, EL_OK);
    struct elsim *d = eli_sim_ops.sim_device(p);
    assert_non_null(d);
    size_t sz;
    elsim_flash(d, &sz);
    assert_int_equal(sz, 2u << 20);
    close_sim(p);

    static const char *bad[] = {"esp99", "esp32?flash-size=7MB", "esp32?nosuch=1",
                                "esp32?fault=drop@"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        p = open_sim(bad[i], &rc);
        assert_int_equal(rc, EL_E_ARG);
        assert_non_null(strstr(p->errmsg, "cannot open"));
        close_sim(p);
    }
    /* empty chip = esp32, flag without value = on */
    p = open_sim("?timing", &rc);
    assert_int_equal(rc, EL_OK);
    close_sim(p);
}

/* usb=VID:PID: the port reports the bridge's ids (the client picks its baud from them) */
static void test_sim_port__usb_ids(void **state)
{
    (void)state;
    int rc;
    uint16_t vid = 1, pid = 1;
    struct el_port *p = open_sim("esp32?usb=10c4:EA60", &rc);
    assert_int_equal(rc, EL_OK);
    assert_int_equal(el_port_usb_ids(p, &vid, &pid), EL_OK);
    assert_int_equal(vid, 0x10C4);
    assert_int_equal(pid, 0xEA60);
    assert_false(el_port_is_usb_jtag(p));
    close_sim(p);
    p = open_sim("esp32?usb=303a:1001", &rc);
    assert_int_equal(rc, EL_OK);
    assert_true(el_port_is_usb_jtag(p));
    close_sim(p);
    /* no usb option: no ids, like a plain UART */
    p = open_sim("esp32", &rc);
    assert_int_equal(rc, EL_OK);
    assert_int_equal(el_port_usb_ids(p, &vid, &pid), EL_E_UNSUPPORTED);
    assert_int_equal(vid, 0);
    assert_int_equal(pid, 0);
    close_sim(p);
    static const char *bad[] = {
        "esp32?usb=10c4",        "esp32?usb=zz:1",      "esp32?usb=10000:1", "esp32?usb=10c4:ea60x",
        "esp32?usb=10c4:ea60:1", "esp32?max-baud=fast", "esp32?max-baud=-1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        p = open_sim(bad[i], &rc);
        assert_int_equal(rc, EL_E_ARG);
        close_sim(p);
    }
}

static void test_sim_port__reset_sync_read(void **state)
{
    (void)state;
    int rc;
    struct el_port *p = open_sim("esp32?r0-wdt-ms=0", &rc);
    assert_int_equal(rc, EL_OK);
    uint8_t buf[4096];
    /* power-on boot log is there at once */
    int n = eli_sim_ops.read(p, buf, sizeof(buf) - 1, 100);
    assert_true(n > 0);
    buf[n] = 0;
    assert_non_null(strstr((char *)buf, "boot:0x13"));
    eli_sim_ops.flush_input(p);
    /* esptool UnixTightReset: U1,1|U0,1|W0.1|U1,0|W0.05|U0,0 */
    eli_sim_ops.set_lines(p, 1, 1);
    eli_sim_ops.set_lines(p, 0, 1);
    eli_sim_ops.sleep_ms(p, 100);
    eli_sim_ops.set_lines(p, 1, 0);
    eli_sim_ops.sleep_ms(p, 50);
    eli_sim_ops.set_lines(p, 0, 0);
    n = eli_sim_ops.read(p, buf, sizeof(buf) - 1, 100);
    assert_true(n > 0);
    buf[n] = 0;
    assert_non_null(strstr((char *)buf, "waiting for download"));
    /* nothing more: a read times out in virtual time, instantly */
    struct elsim *d = eli_sim_ops.sim_device(p);
    uint64_t t0 = elsim_now_us(d);
    assert_int_equal(eli_sim_ops.read(p, buf, sizeof(buf), 3000), 0);
    assert_int_equal(elsim_now_us(d) - t0, 3000000);
    /* READ_REG through the port */
    uint8_t pkt[12] = {0x00, 0x0A, 0x04, 0x00, 0, 0, 0, 0, 0x00, 0x10, 0x00, 0x40};
    uint8_t enc[32];
    size_t en = el_slip_encode(pkt, sizeof(pkt), enc, sizeof(enc));
    assert_int_equal(eli_sim_ops.write(p, enc, en, 1000), EL_OK);
    n = eli_sim_ops.read(p, buf, sizeof(buf), 100);
    static const uint8_t want[] = {0xC0, 0x01, 0x0A, 0x04, 0x00, 0x83, 0x1D,
                                   0xF0, 0x00, 0x00, 0x00, 0x00, 0x00, 0xC0};
    assert_int_equal(n, sizeof(want));
    assert_memory_equal(buf, want, sizeof(want));
    close_sim(p);
}

static void test_sim_port__timing_reads_wait_in_virtual_time(void **state)
{
    (void)state;
    int rc;
    struct el_port *p = open_sim("esp32?timing=1&r0-wdt-ms=0", &rc);
    assert_int_equal(rc, EL_OK);
    struct elsim *d = eli_sim_ops.sim_device(p);
    uint8_t buf[4096];
    size_t got = 0;
    int n;
    /* erased flash: "invalid header" every 40 ms; a 10 ms timeout finds the first gap */
    for (int i = 0; i < 1000 && (n = eli_sim_ops.read(p, buf, sizeof(buf), 10)) > 0; i++)
        got += (size_t)n;
    assert_true(got > 100); /* boot log, delivered at 115200 over ~20 ms */
    uint8_t pkt[12] = {0x00, 0x0A, 0x04, 0x00, 0, 0, 0, 0, 0x00, 0x10, 0x00, 0x40};
    uint8_t enc[32];
    size_t en = el_slip_encode(pkt, sizeof(pkt), enc, sizeof(enc));
    eli_sim_ops.set_lines(p, 0, 1);
    eli_sim_ops.sleep_ms(p, 100);
    eli_sim_ops.set_lines(p, 1, 0);
    eli_sim_ops.sleep_ms(p, 50);
    eli_sim_ops.set_lines(p, 0, 0);
    eli_sim_ops.sleep_ms(p, 100);
    eli_sim_ops.flush_input(p);
    uint64_t t0 = elsim_now_us(d);
    assert_int_equal(eli_sim_ops.write(p, enc, en, 1000), EL_OK);
    assert_true(elsim_now_us(d) - t0 >= 14 * 86); /* write took its wire time */
    got = 0;
    while (got < 14 && (n = eli_sim_ops.read(p, buf + got, sizeof(buf) - got, 100)) > 0)
        got += (size_t)n;
    assert_int_equal(got, 14);
    assert_int_equal(buf[1], 0x01);
    close_sim(p);
}

static void test_sim_port__vanish(void **state)
{
    (void)state;
    int rc;
    struct el_port *p = open_sim("esp32?fault=vanish@3", &rc);
    assert_int_equal(rc, EL_OK);
    uint8_t junk[8] = {0};
    eli_sim_ops.write(p, junk, sizeof(junk), 100);
    uint8_t buf[16];
    assert_int_equal(eli_sim_ops.read(p, buf, sizeof(buf), 100), EL_E_IO);
    assert_non_null(strstr(p->errmsg, "disconnected"));
    assert_int_equal(eli_sim_ops.write(p, junk, 1, 100), EL_E_IO);
    close_sim(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sim_port__url_options),
        cmocka_unit_test(test_sim_port__usb_ids),
        cmocka_unit_test(test_sim_port__reset_sync_read),
        cmocka_unit_test(test_sim_port__timing_reads_wait_in_virtual_time),
        cmocka_unit_test(test_sim_port__vanish),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
