/* SPDX-License-Identifier: MIT */
/* The library against the in-process virtual ESP32 (sim://): ROM and stub paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "elsim.h"
#include "espload/err.h"
#include "espload/loader.h"
#include "espload/port.h"
#include "port/port_int.h"

/* port.c refers to the sim backend weakly; take its address so the linker pulls sim.o out
 * of the static library */
const struct eli_port_ops *const test_force_sim_backend = &eli_sim_ops;

static struct el_port *open_sim(const char *url)
{
    struct el_port *p = NULL;
    char err[256];
    int rc = el_port_open(&p, url, NULL, err, sizeof(err));
    if (rc != EL_OK)
        fail_msg("cannot open %s: %s", url, err);
    return p;
}

static uint8_t *pattern(size_t n, unsigned seed)
{
    uint8_t *p = malloc(n);
    uint32_t x = seed + 1;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = (i / 128) % 3 ? (uint8_t)(x >> 16) : (uint8_t)i;
    }
    return p;
}

static void check_flash(struct el_port *p, uint32_t addr, const uint8_t *d, size_t n)
{
    size_t size;
    const uint8_t *fl = elsim_flash(el_port_sim_device(p), &size);
    assert_non_null(fl);
    assert_true(addr + n <= size);
    assert_memory_equal(fl + addr, d, n);
}

static void t_rom_connect_info_write(void **state)
{
    (void)state;
    struct el_port *p = open_sim("sim://esp32");
    struct el_loader *l;
    assert_int_equal(el_loader_new(&l, p), EL_OK);
    struct el_connect_opts o;
    el_connect_opts_init(&o);
    int rc = el_loader_connect(l, &o);
    if (rc != EL_OK)
        fail_msg("connect: %s", el_loader_errmsg(l));
    assert_int_equal(el_loader_chip(l)->id, EL_CHIP_ESP32);
    assert_false(el_loader_is_stub(l));
    struct el_chip_info ci;
    assert_int_equal(el_loader_chip_info(l, &ci), EL_OK);
    assert_string_equal(ci.description[EL_STYLE_V4], "ESP32-D0WDQ5 (revision v0.0)");
    assert_string_equal(ci.mac_str, "30:ae:a4:80:55:e0");
    assert_int_equal(ci.crystal_mhz, 40);
    uint32_t id;
    assert_int_equal(el_flash_read_id(l, &id), EL_OK);
    assert_int_equal(el_flash_size_from_id(id), 4u << 20);
    /* ROM write, compressed and not, unaligned start */
    uint8_t *d = pattern(9000, 1);
    struct el_write_opts wo;
    el_write_opts_init(&wo);
    wo.compress = 1;
    struct el_write_result r;
    rc = el_flash_write(l, 0x10100, d, 9000, &wo, &r);
    if (rc != EL_OK)
        fail_msg("write: %s", el_loader_errmsg(l));
    assert_true(r.verified);
    check_flash(p, 0x10100, d, 9000);
    wo.compress = 0;
    assert_int_equal(el_flash_write(l, 0x20000, d, 5000, &wo, &r), EL_OK);
    check_flash(p, 0x20000, d, 5000);
    uint8_t back[300];
    assert_int_equal(el_flash_read(l, 0x10100, back, sizeof(back)), EL_OK);
    assert_memory_equal(back, d, sizeof(back));
    assert_int_equal(el_flash_erase_region(l, 0x20000, 0x1000), EL_OK);
    size_t size;
    const uint8_t *fl = elsim_flash(el_port_sim_device(p), &size);
    assert_int_equal(fl[0x20000], 0xFF);
    assert_int_equal(fl[0x20FFF], 0xFF);
    assert_int_equal(fl[0x21000], d[0x1000]);
    free(d);
    el_loader_free(l);
    el_port_close(p);
}

/* Connection events of one connect: attempts, SYNC dots per attempt, flash-boot banners. */
struct conn_log {
    int attempts;
    int dots[8];
    int flash_boot_banners; /* boots from flash seen between SYNC tries */
};

static void on_conn_event(void *user, const struct el_event *ev)
{
    struct conn_log *c = user;
    if (ev->id == EL_EV_CONNECT_ATTEMPT && c->attempts < 8)
        c->attempts++;
    else if (ev->id == EL_EV_CONNECT_DOT && c->attempts > 0)
        c->dots[c->attempts - 1]++;
    else if (ev->id == EL_EV_BOOT_BANNER && ev->a == 0x13 && c->attempts > 0 &&
             c->dots[c->attempts - 1] > 0)
        c->flash_boot_banners++; /* seen between SYNC tries */
}

/* The seed's revision-0 ESP32 hangs after the first (short) reset and its watchdog reset
 * then boots from flash: the first attempt must end when that boot is seen, not after all
 * its SYNC tries; the second (long) reset connects. */
static void t_rev0_first_attempt_ends_at_flash_boot(void **state)
{
    (void)state;
    struct el_port *p = open_sim("sim://esp32?timing=1");
    struct el_loader *l;
    assert_int_equal(el_loader_new(&l, p), EL_OK);
    struct conn_log c = {0};
    el_loader_set_event_cb(l, on_conn_event, &c);
    struct el_connect_opts o;
    el_connect_opts_init(&o);
    int rc = el_loader_connect(l, &o);
    if (rc != EL_OK)
        fail_msg("connect: %s", el_loader_errmsg(l));
    assert_int_equal(c.attempts, 2);
    assert_int_equal(c.flash_boot_banners, 1);
    assert_true(c.dots[0] >= 1);
    assert_true(c.dots[0] < (int)o.sync_tries);
    el_loader_free(l);
    el_port_close(p);
    /* without the quirk the first attempt connects */
    p = open_sim("sim://esp32?timing=1&r0-wdt-ms=0");
    assert_int_equal(el_loader_new(&l, p), EL_OK);
    memset(&c, 0, sizeof(c));
    el_loader_set_event_cb(l, on_conn_event, &c);
    assert_int_equal(el_loader_connect(l, &o), EL_OK);
    assert_int_equal(c.attempts, 1);
    assert_int_equal(c.flash_boot_banners, 0);
    el_loader_free(l);
    el_port_close(p);
}

static void t_stub_write_read(void **state)
{
    (void)state;
    struct el_port *p = open_sim("sim://esp32");
    struct el_loader *l;
    assert_int_equal(el_loader_new(&l, p), EL_OK);
    struct el_connect_opts o;
    el_connect_opts_init(&o);
    o.chip = EL_CHIP_ESP32;
    assert_int_equal(el_loader_connect(l, &o), EL_OK);
    /* any uploaded image runs the device's stub core */
    static uint8_t text[64];
    struct el_stub_image img = {.origin = "test",
                                .entry = 0x400BE000,
                                .text_start = 0x400BE000,
                                .text = text,
                                .text_len = sizeof(text),
                                .bss_start = 0x3FFCC000};
    int rc = el_loader_run_stub(l, &img);
    if (rc != EL_OK)
        fail_msg("run_stub: %s", el_loader_errmsg(l));
    assert_true(el_loader_is_stub(l));
    rc = el_loader_change_baud(l, 460800);
    if (rc != EL_OK)
        fail_msg("baud: %s", el_loader_errmsg(l));
    assert_int_equal(el_loader_baud(l), 460800);
    size_t n = 0x25000;
    uint8_t *d = pattern(n, 2);
    struct el_write_result r;
    rc = el_flash_write(l, 0x10000, d, n, NULL, &r);
    if (rc != EL_OK)
        fail_msg("write: %s", el_loader_errmsg(l));
    assert_true(r.compressed);
    assert_true(r.verified);
    check_flash(p, 0x10000, d, n);
    uint8_t *back = malloc(n);
    rc = el_flash_read(l, 0x10000, back, n);
    if (rc != EL_OK)
        fail_msg("read: %s", el_loader_errmsg(l));
    assert_memory_equal(back, d, n);
    /* diff: two sectors changed */
    d[0x3000] ^= 0xFF;
    d[0x24000] ^= 0x01;
    struct el_write_opts wo;
    el_write_opts_init(&wo);
    wo.diff_sectors = true;
    assert_int_equal(el_flash_write(l, 0x10000, d, n, &wo, &r), EL_OK);
    assert_int_equal(r.sectors_written, 2);
    check_flash(p, 0x10000, d, n);
    assert_int_equal(el_flash_erase_region(l, 0x10000, 0x1000), EL_OK);
    size_t size;
    const uint8_t *fl = elsim_flash(el_port_sim_device(p), &size);
    assert_int_equal(fl[0x10000], 0xFF);
    assert_int_equal(el_flash_finish(l, false), EL_OK);
    assert_int_equal(el_loader_after(l, EL_AFTER_HARD_RESET), EL_OK);
    free(back);
    free(d);
    el_loader_free(l);
    el_port_close(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_rom_connect_info_write),
        cmocka_unit_test(t_stub_write_read),
        cmocka_unit_test(t_rev0_first_attempt_ends_at_flash_boot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
