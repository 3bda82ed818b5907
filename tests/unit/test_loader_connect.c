/* SPDX-License-Identifier: MIT */
/* Connect, reset, sync and chip detection against the scripted mock port. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "espload/err.h"
#include "espload/loader.h"
#include "mock_port.h"

struct evlog {
    int ids[512];
    int64_t a[512];
    size_t n;
    char last_str[512];
};

static void on_event(void *user, const struct el_event *ev)
{
    struct evlog *e = user;
    if (e->n < 512) {
        e->ids[e->n] = ev->id;
        e->a[e->n] = ev->a;
        e->n++;
    }
    assert_non_null(ev->text);
    if (ev->str)
        snprintf(e->last_str, sizeof(e->last_str), "%s", ev->str);
}

static size_t count(const struct evlog *e, int id)
{
    size_t n = 0;
    for (size_t i = 0; i < e->n; i++)
        n += e->ids[i] == id;
    return n;
}

/* The line log with consecutive waits summed ("W10 W10 W30" -> "W50"): a hold that watches
 * the boot text sleeps in slices. */
static const char *lines(struct mock_port *m)
{
    static char out[8192];
    const char *in = mock_port_lines_log(m);
    size_t o = 0;
    unsigned acc = 0;
    bool have = false;
    while (*in) {
        const char *sp = strchr(in, ' ');
        size_t len = sp ? (size_t)(sp - in) : strlen(in);
        if (in[0] == 'W') {
            acc += (unsigned)strtoul(in + 1, NULL, 10);
            have = true;
        } else {
            if (have)
                o += (size_t)snprintf(out + o, sizeof(out) - o, "%sW%u", o ? " " : "", acc);
            have = false;
            acc = 0;
            o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%.*s", o ? " " : "", (int)len, in);
        }
        in += len;
        while (*in == ' ')
            in++;
    }
    if (have)
        snprintf(out + o, sizeof(out) - o, "%sW%u", o ? " " : "", acc);
    return out;
}

static void t_connect_rom_auto_fallback(void **state)
{
    (void)state;
    struct mock_port *m = mock_port_new();
    struct mock_dev dev;
    mock_dev_init(&dev, 4096);
    dev.secinfo = 0; /* ROM: 0x14 answered with repeated "invalid message" of another op */
    mock_dev_attach(m, &dev);
    static const char banner[] = "ets Jun  8 2016 00:22:57\r\n\r\nrst:0x1 (POWERON_RESET),boot:0x3 "
                                 "(DOWNLOAD_BOOT(UART0/UART1/SDIO_REI_REO_V2))\r\nwaiting for "
                                 "download\r\n";
    mock_port_queue_on_reset(m, banner, sizeof(banner) - 1);
    struct el_loader *l;
    assert_int_equal(el_loader_new(&l, mock_port_port(m)), EL_OK);
    struct evlog ev = {0};
    el_loader_set_event_cb(l, on_event, &ev);
    struct el_connect_opts o;
    el_connect_opts_init(&o);
    assert_int_equal(el_loader_connect(l, &o), EL_OK);
    assert_non_null(el_loader_chip(l));
    assert_int_equal(el_loader_chip(l)->id, EL_CHIP_ESP32);
    assert_false(el_loader_is_stub(l));
    assert_int_equal(el_loader_boot_mode(l), 3);
    assert_int_equal(count(&ev, EL_EV_DETECTING_CHIP), 1);
    assert_int_equal(count(&ev, EL_EV_DETECT_FALLBACK), 0);
    assert_int_equal(count(&ev, EL_EV_CHIP_DETECTED), 1);
    assert_int_equal(count(&ev, EL_EV_CONNECT_DOT), 0);
    /* no reconnect: exactly one SYNC, then the magic register, which names an ESP32: its
     * ROM lacks 0x14, so none is sent */
    assert_int_equal(mock_port_tx_count_op(m, 0x08), 1);
    assert_int_equal(mock_port_tx_count_op(m, 0x0a), 1);
    assert_int_equal(mock_port_tx_count_op(m, 0x14), 0);
    /* asked explicitly, 0x14 gets the ROM's repeated "invalid message" replies of another
     * op: unsupported, and they are drained */
    struct el_security_info si;
    assert_int_equal(el_loader_security_info(l, &si), EL_E_UNSUPPORTED);
    assert_int_equal(mock_port_tx_count_op(m, 0x14), 1);
    /* the first strategy on POSIX is UnixTightReset(0.05): both lines at once; the IO0 hold
     * ends early once the chip says it waits for download (strapping pins latched) */
    static const char seq[] = "U0,0 U1,1 U0,1 W100 U1,0 W10 U0,0 D0";
    assert_memory_equal(lines(m), seq, sizeof(seq) - 1);
    /* the loader keeps working after the drained error replies */
    uint32_t v;
    assert_int_equal(el_loader_read_reg(l, 0x40001000, &v), EL_OK);
    assert_int_equal(v, 0x00F01D83);
    el_loader_free(l);
    mock_port_free(m);
    mock_dev_release(&dev);
}

static void t_connect_same_op_unsupported(void **state)
{
    (void)state;
    struct mock_port *m = mock_port_new();
    struct mock_dev dev;
    mock_dev_init(&dev, 4096);
    dev.secinfo = 2; /* same opcode, status 01 05 */
    mock_dev_attach(m, &dev);
    struct el_loader *l;
    assert_int_equal(el_loader_new(&l, mock_port_port(m)), EL_OK);
    struct el_connect_opts o;
    el_connect_opts_init(&o);
    o.before = EL_BEFORE_NO_RESET;
    assert_int_equal(el_loader_connect(l, &o), EL_OK);
    assert_int_equal(el_loader_chip(l)->id, EL_CHIP_ESP32);
    struct el_security_info si;
    assert_int_equal(el_loader_security_info(l, &si), EL_E_UNSUPPORTED);
    el_loader_free(l);
    mock_port_free(m);
    mock_dev_release(&dev);
}

static void t_connect_secinfo_detects_s3(void **state)
{
    (void)state;
    struct mock_port *m = mock_port_new();
    struct mock_dev dev;
    mock_dev_init(&dev, 4096);
    dev.secinfo = 1;
    dev.secinfo_chip_id = 9;
    dev.magic = 0x9;
    mock_dev_attach(m, &dev);
    struct el_loader *l;
    assert_int_equal(el_loader_new(&l, mock_port_port(m)), EL_OK);
    struct el_connect_opts o;
    el_connect_opts_init(&o);
    o.before = EL_BEFORE_NO_RESET;
    assert_int_equal(el_loader_connect(l, &o), EL_OK);
    assert_int_equal(el_loader_chip(l)->id, EL_CHIP_ESP32S3);
    /* the magic register first (one read), then the chip id, which decides */
    assert_int_equal(mock_port_tx_count_op(m, 0x0a), 1);
    assert_int_equal(mock_port_tx_count_op(m, 0x14), 1);
    assert_true(mock_port_tx_find_op(m, 0x14, 0) > mock_port_tx_find_op(m, 0x0a, 0));
    /* now an explicit wrong --chip */
    o.chip = EL_CHIP_ESP32;
    assert_int_equal(el_loader_connect(l, &o), EL_E_CHIP);
    assert_string_equal(el_loader_errmsg(l),
                        "This chip is ESP32-S3, not ESP32. Wrong --chip argument?");
    assert_null(el_loader_chip(l));
    el_loader_free(l);
    mock_port_free(m);
    mock_dev_release(&dev);
}

static void t_wrong_boot_mode(void **state)
{
    (void)state;
    struct mock_port *m = mock_port_new(); /* nothing answers SYNC */
    static const char banner[] = "ets Jun  8 2016 00:22:57\r\n\r\nrst:0x1 (POWERON_RESET),"
                                 "boot:0x13 (SPI_FAST_FLASH_BOOT)\r\nconfigsip: 0, SPIWP:0xee\r\n";
    mock_port_queue_on_reset(m, banner, sizeof(banner) - 1);
    struct el_loader *l;
    assert_int_equal(el_loader_new(&l, mock_port_port(m)), EL_OK);
    struct evlog ev = {0};
    el_loader_set_event_cb(l, on_event, &ev);
    struct el_connect_opts o;
    el_connect_opts_init(&o);
    o.attempts = 2;
    assert_int_equal(el_loader_connect(l, &o), EL_E_CONNECT);
    assert_string_equal(el_loader_errmsg(l), "Wrong boot mode detected (0x13)! The chip needs to "
                                             "be in download mode.");
    assert_non_null(strstr(el_loader_errhint(l), "GPIO0 was high"));
    assert_int_equal(el_loader_boot_mode(l), 0x13);
    assert_int_equal(count(&ev, EL_EV_CONNECT_DOT), 10); /* 5 SYNCs per attempt */
    assert_int_equal(count(&ev, EL_EV_CONNECT_ATTEMPT), 2);
    assert_int_equal(count(&ev, EL_EV_CONNECT_FAILED), 1);
    assert_int_equal(mock_port_tx_count_op(m, 0x08), 10);
    /* second attempt uses UnixTightReset(0.55) */
    assert_non_null(strstr(lines(m), "U1,0 W550 U0,0"));
    el_loader_free(l);
    mock_port_free(m);
}

static void t_download_mode_no_sync(void **state)
{
    (void)state;
    struct mock_port *m = mock_port_new();
    static const char banner[] = "rst:0x1 (POWERON_RESET),boot:0x3 (DOWNLOAD_BOOT(UART0/UART1/"
                                 "SDIO_REI_REO_V2))\r\nwaiting for download\r\n";
    mock_port_queue_on_reset(m, banner, sizeof(banner) - 1);
    struct el_loader *l;
    assert_int_equal(el_loader_new(&l, mock_port_port(m)), EL_OK);
    struct el_connect_opts o;
    el_connect_opts_init(&o);
    o.attempts = 1;
    assert_int_equal(el_loader_connect(l, &o), EL_E_CONNECT);
    assert_string_equal(el_loader_errmsg(l),
                        "Download mode successfully detected, but getting no sync reply: The "
                        "serial TX path seems to be down.");
    el_loader_free(l);
    mock_port_free(m);
}

static void t_silence(void **state)
{
    (void)state;
    struct mock_port *m = mock_port_new();
    struct el_loader *l;
    assert_int_equal(el_loader_new(&l, mock_port_port(m)), EL_OK);
    struct el_connect_opts o;
    el_connect_opts_init(&o);
    o.attempts = 3;
    assert_int_equal(el_loader_connect(l, &o), EL_E_CONNECT);
    assert_string_equal(el_loader_errmsg(l), "No serial data received.");
    assert_non_null(strstr(el_loader_errhint(l), "cable"));
    assert_int_equal(el_loader_boot_mode(l), -1);
    /* rotation: UnixTight 0.05, UnixTight 0.55, Classic 0.05 */
    assert_non_null(strstr(lines(m), "D0 R1 D0 W100 D1 R0 D1 W50 D0"));
    el_loader_free(l);
    mock_port_free(m);
}

static void t_stub_detected_by_sync(void **state)
{
    (void)state;
    struct mock_port *m = mock_port_new();
    struct mock_dev dev;
    mock_dev_init(&dev, 4096);
    dev.stub = true;
    mock_dev_attach(m, &dev);
    struct el_loader *l;
    assert_int_equal(el_loader_new(&l, mock_port_port(m)), EL_OK);
    struct evlog ev = {0};
    el_loader_set_event_cb(l, on_event, &ev);
    struct el_connect_opts o;
    el_connect_opts_init(&o);
    o.chip = EL_CHIP_ESP32;
    assert_int_equal(el_loader_connect(l, &o), EL_OK);
    assert_true(el_loader_is_stub(l));
    assert_int_equal(count(&ev, EL_EV_STUB_ALREADY_RUNNING), 1);
    assert_string_equal(el_loader_stub_origin(l), "already running");
    /* run_stub is then a no-op */
    mock_port_tx_clear(m);
    assert_int_equal(el_loader_run_stub(l, NULL), EL_OK);
    assert_int_equal(mock_port_tx_count(m), 0);
    el_loader_free(l);
    mock_port_free(m);
    mock_dev_release(&dev);
}

static void t_socket_no_lines(void **state)
{
    (void)state;
    struct mock_port *m = mock_port_new();
    mock_port_set_has_lines(m, false);
    mock_port_set_kind(m, "socket");
    struct mock_dev dev;
    mock_dev_init(&dev, 4096);
    mock_dev_attach(m, &dev);
    struct el_loader *l;
    assert_int_equal(el_loader_new(&l, mock_port_port(m)), EL_OK);
    struct evlog ev = {0};
    el_loader_set_event_cb(l, on_event, &ev);
    struct el_connect_opts o;
    el_connect_opts_init(&o);
    o.chip = EL_CHIP_ESP32;
    assert_int_equal(el_loader_connect(l, &o), EL_OK);
    assert_int_equal(count(&ev, EL_EV_RESET_UNAVAILABLE), 1);
    assert_string_equal(mock_port_lines_log(m), "");
    el_loader_free(l);
    mock_port_free(m);
    mock_dev_release(&dev);
}

static void t_panic_in_junk(void **state)
{
    (void)state;
    struct mock_port *m = mock_port_new();
    static const char junk[] = "Guru Meditation Error: Core  0 panic'ed (LoadProhibited). "
                               "Exception was unhandled.\r\n";
    mock_port_queue_raw(m, junk, sizeof(junk) - 1);
    struct el_loader *l;
    assert_int_equal(el_loader_new(&l, mock_port_port(m)), EL_OK);
    struct evlog ev = {0};
    el_loader_set_event_cb(l, on_event, &ev);
    struct el_connect_opts o;
    el_connect_opts_init(&o);
    o.before = EL_BEFORE_NO_RESET_NO_SYNC; /* straight to READ_REG for detection */
    assert_int_equal(el_loader_connect(l, &o), EL_E_DEVICE);
    assert_int_equal(count(&ev, EL_EV_PANIC), 1);
    assert_non_null(strstr(el_loader_errmsg(l), "Guru Meditation Error"));
    el_loader_free(l);
    mock_port_free(m);
}

/* A chip printing its boot log while we SYNC: the first SYNC's answer starts with junk. As
 * esptool's reader, the try fails at the junk (no waiting it out), the next SYNC syncs. */
struct junky {
    int syncs;
};
static void junk_then_sync(struct mock_port *m, const uint8_t *frame, size_t len, void *user)
{
    struct junky *j = user;
    if (len < 2 || frame[1] != 0x08)
        return;
    if (j->syncs++ == 0) {
        static const char text[] = "ets Jun  8 2016 00:22:57\r\n\r\nrst:0x10 (RTCWDT_RTC_RESET)";
        mock_port_queue_raw(m, text, sizeof(text) - 1);
    }
    static const uint8_t st[4] = {0, 0, 0, 0};
    for (int i = 0; i < 8; i++)
        mock_port_queue_reply(m, 0x08, 0x20120707, st, sizeof(st));
}

static void t_sync_fails_at_junk(void **state)
{
    (void)state;
    struct mock_port *m = mock_port_new();
    struct junky j = {0};
    mock_port_set_responder(m, junk_then_sync, &j);
    struct el_loader *l;
    assert_int_equal(el_loader_new(&l, mock_port_port(m)), EL_OK);
    struct evlog ev = {0};
    el_loader_set_event_cb(l, on_event, &ev);
    struct el_connect_opts o;
    el_connect_opts_init(&o);
    o.before = EL_BEFORE_NO_RESET;
    o.chip = EL_CHIP_ESP32;
    o.attempts = 1;
    /* detection after the sync is not answered by this responder: only the SYNCs matter */
    (void)el_loader_connect(l, &o);
    assert_int_equal(j.syncs, 2);
    assert_int_equal(count(&ev, EL_EV_CONNECT_DOT), 1);
    assert_int_equal(count(&ev, EL_EV_CONNECTED), 1);
    el_loader_free(l);
    mock_port_free(m);
}

static void t_device_error_and_timeout(void **state)
{
    (void)state;
    struct mock_port *m = mock_port_new();
    struct mock_dev dev;
    mock_dev_init(&dev, 4096);
    mock_dev_attach(m, &dev);
    struct el_loader *l;
    assert_int_equal(el_loader_new(&l, mock_port_port(m)), EL_OK);
    struct el_connect_opts o;
    el_connect_opts_init(&o);
    o.before = EL_BEFORE_NO_RESET;
    o.chip = EL_CHIP_ESP32;
    assert_int_equal(el_loader_connect(l, &o), EL_OK);
    dev.fail_op = 0x0b;
    dev.fail_status[0] = 0x01;
    dev.fail_status[1] = 0x07;
    assert_int_equal(el_flash_set_params(l, 4 << 20), EL_E_DEVICE);
    assert_int_equal(el_loader_last_status(l), 0x0107);
    assert_string_equal(el_loader_errmsg(l),
                        "Failed to set SPI params (result was 01070000: checksum error)");
    /* a reply that never comes */
    dev.fail_op = 0x0b;
    dev.drop_op_count = 1;
    uint64_t t0 = mock_port_clock_ms(m);
    assert_int_equal(el_flash_set_params(l, 4 << 20), EL_E_TIMEOUT);
    assert_true(mock_port_clock_ms(m) - t0 >= 3000);
    assert_non_null(strstr(el_loader_errmsg(l), "Timed out"));
    el_loader_free(l);
    mock_port_free(m);
    mock_dev_release(&dev);
}

static void t_chip_info_esp32(void **state)
{
    (void)state;
    struct mock_port *m = mock_port_new();
    struct mock_dev dev;
    mock_dev_init(&dev, 4096);
    mock_dev_attach(m, &dev);
    /* the seed board: package 1, revision 0, MAC 30:ae:a4:80:55:e0, 40 MHz crystal */
    mock_dev_set_reg(&dev, 0x3FF5A004, 0xA48055E0);
    mock_dev_set_reg(&dev, 0x3FF5A008, 0x000030AE);
    mock_dev_set_reg(&dev, 0x3FF5A00C, 1u << 9);
    mock_dev_set_reg(&dev, 0x3FF40014, 40000000 / 115200); /* CLKDIV */
    struct el_loader *l;
    assert_int_equal(el_loader_new(&l, mock_port_port(m)), EL_OK);
    struct el_connect_opts o;
    el_connect_opts_init(&o);
    o.before = EL_BEFORE_NO_RESET;
    o.chip = EL_CHIP_ESP32;
    assert_int_equal(el_loader_connect(l, &o), EL_OK);
    struct el_chip_info ci;
    assert_int_equal(el_loader_chip_info(l, &ci), EL_OK);
    assert_string_equal(ci.description[EL_STYLE_V4], "ESP32-D0WDQ5 (revision v0.0)");
    assert_string_equal(ci.features[EL_STYLE_V4], "WiFi, BT, Dual Core, Coding Scheme None");
    assert_string_equal(ci.features[EL_STYLE_V5],
                        "Wi-Fi, BT, Dual Core + LP Core, Coding Scheme None");
    assert_string_equal(ci.mac_str, "30:ae:a4:80:55:e0");
    assert_int_equal(ci.crystal_mhz, 40);
    assert_false(ci.secure_boot);
    assert_false(ci.flash_encryption);
    el_loader_free(l);
    mock_port_free(m);
    mock_dev_release(&dev);
}

static void t_describe_variants(void **state)
{
    (void)state;
    struct el_chip_info ci;
    uint32_t ef[7] = {0};
    /* package 0, rev bits b0 (word3 bit15) + b1 (word5 bit20) + b2 (APB date bit31) = v3 */
    ef[3] = (1u << 15) | (1u << 13); /* rated, not low: 240MHz */
    ef[4] = 5u << 8;                 /* ADC vref */
    ef[5] = (1u << 20) | (1u << 24); /* minor 1 */
    el_esp32_describe(ef, 0x80000000u, 0, 0, &ci);
    assert_string_equal(ci.description[EL_STYLE_V4], "ESP32-D0WDQ6-V3 (revision v3.1)");
    assert_string_equal(
        ci.features[EL_STYLE_V4],
        "WiFi, BT, Dual Core, 240MHz, VRef calibration in efuse, Coding Scheme None");
    assert_int_equal(ci.crystal_mhz, 0);
    /* package 5 rev 1, single-core bit has no effect on PICO naming; BT disabled */
    memset(ef, 0, sizeof(ef));
    ef[3] = (5u << 9) | (1u << 15) | 2u;
    ef[6] = 1;
    el_esp32_describe(ef, 0, 0, 0, &ci);
    assert_string_equal(ci.description[EL_STYLE_V5], "ESP32-PICO-D4 (revision v1.0)");
    assert_string_equal(ci.features[EL_STYLE_V5],
                        "Wi-Fi, Dual Core + LP Core, Embedded Flash, Coding Scheme 3/4");
    /* package bit 3 from word3 bit 2: 8 = unknown */
    memset(ef, 0, sizeof(ef));
    ef[3] = 1u << 2;
    el_esp32_describe(ef, 0, 0, 0, &ci);
    assert_string_equal(ci.name[EL_STYLE_V4], "unknown ESP32");
    assert_string_equal(ci.name[EL_STYLE_V5], "Unknown ESP32");
    /* security: ABS_DONE_0, FLASH_CRYPT_CNT = 1 (odd) */
    memset(ef, 0, sizeof(ef));
    ef[0] = 1u << 20;
    ef[6] = 1u << 4;
    el_esp32_describe(ef, 0, 0, 0, &ci);
    assert_true(ci.secure_boot);
    assert_true(ci.flash_encryption);
    ef[0] = 3u << 20; /* even popcount: off */
    el_esp32_describe(ef, 0, 0, 0, &ci);
    assert_false(ci.flash_encryption);
    /* 26 MHz crystal */
    memset(ef, 0, sizeof(ef));
    el_esp32_describe(ef, 0, 26000000 / 115200, 115200, &ci);
    assert_int_equal(ci.crystal_mhz, 26);
}

/* Revisions of the chips after the ESP32, from eFuse words where esptool reads them. */
static void t_rev_later_chips(void **state)
{
    (void)state;
    uint32_t base, extra, w[6];
    size_t n;
    unsigned maj, min;
    assert_false(el_chip_rev_words(EL_CHIP_ESP32, 0x3FF5A000, &base, &n, &extra));
    /* ESP32-S2 v1.0 (hi bit of minor in word 3 bit 20, low bits in word 4 bits 4..6) */
    assert_true(el_chip_rev_words(EL_CHIP_ESP32S2, 0x3F41A000, &base, &n, &extra));
    assert_int_equal(base, 0x3F41A044);
    assert_int_equal(n, 6);
    memset(w, 0, sizeof(w));
    w[3] = 1u << 18;
    w[4] = 0u << 4;
    el_chip_rev_decode(EL_CHIP_ESP32S2, w, 0, &maj, &min);
    assert_int_equal(maj, 1);
    assert_int_equal(min, 0);
    w[3] |= 1u << 20;
    w[4] = 2u << 4;
    el_chip_rev_decode(EL_CHIP_ESP32S2, w, 0, &maj, &min);
    assert_int_equal(min, 10);
    /* ESP32-S3 v0.2; and v0.0 with block version 1.1 whose major field means something else */
    assert_true(el_chip_rev_words(EL_CHIP_ESP32S3, 0x60007000, &base, &n, &extra));
    assert_int_equal(extra, 0x60007000 + 0x5C + 16);
    memset(w, 0, sizeof(w));
    w[3] = 2u << 18;
    el_chip_rev_decode(EL_CHIP_ESP32S3, w, 0, &maj, &min);
    assert_int_equal(maj, 0);
    assert_int_equal(min, 2);
    memset(w, 0, sizeof(w));
    w[5] = 1u << 24;
    el_chip_rev_decode(EL_CHIP_ESP32S3, w, 0, &maj, &min);
    assert_int_equal(maj, 1);
    w[3] = 1u << 24; /* block version minor 1 */
    el_chip_rev_decode(EL_CHIP_ESP32S3, w, 1, &maj, &min);
    assert_int_equal(maj, 0);
    /* ESP32-C3 v0.4 */
    memset(w, 0, sizeof(w));
    w[3] = 4u << 18;
    el_chip_rev_decode(EL_CHIP_ESP32C3, w, 0, &maj, &min);
    assert_int_equal(min, 4);
    /* ESP32-C6 v0.1, ESP32-H2 v0.1 */
    memset(w, 0, sizeof(w));
    w[3] = 1u << 18;
    el_chip_rev_decode(EL_CHIP_ESP32C6, w, 0, &maj, &min);
    assert_int_equal(maj, 0);
    assert_int_equal(min, 1);
    w[3] = (1u << 18) | (1u << 21);
    el_chip_rev_decode(EL_CHIP_ESP32H2, w, 0, &maj, &min);
    assert_int_equal(maj, 1);
    assert_int_equal(min, 1);
    /* ESP32-S2: package name and features from flash/PSRAM capabilities and BLK2 version */
    struct el_chip_info ci;
    memset(&ci, 0, sizeof(ci));
    memset(w, 0, sizeof(w));
    el_esp32s2_describe(w, 0, &ci);
    assert_string_equal(ci.description[EL_STYLE_V4], "ESP32-S2 (revision v0.0)");
    assert_string_equal(ci.features[EL_STYLE_V4], "WiFi, No Embedded Flash, No Embedded PSRAM, No "
                                                  "calibration in BLK2 of efuse");
    w[3] = (2u << 21) | (1u << 28); /* 4 MB flash, 2 MB PSRAM in the package */
    ci.rev_minor = 1;
    el_esp32s2_describe(w, 2u << 4, &ci);
    assert_string_equal(ci.description[EL_STYLE_V4], "ESP32-S2FNR2 (revision v0.1)");
    assert_non_null(strstr(ci.features[EL_STYLE_V4], "Embedded Flash 4MB, Embedded PSRAM 2MB"));
    assert_non_null(strstr(ci.features[EL_STYLE_V5], "calibration in BLK2 of eFuse V2"));
    assert_non_null(strstr(ci.features[EL_STYLE_V5], "Wi-Fi, Single Core, 240MHz"));
    /* ESP32-C2 v1.1 from BLOCK2 word 1 */
    assert_true(el_chip_rev_words(EL_CHIP_ESP32C2, 0x60008800, &base, &n, &extra));
    assert_int_equal(base, 0x60008840);
    assert_int_equal(n, 2);
    memset(w, 0, sizeof(w));
    w[1] = (1u << 20) | (1u << 16);
    el_chip_rev_decode(EL_CHIP_ESP32C2, w, 0, &maj, &min);
    assert_int_equal(maj, 1);
    assert_int_equal(min, 1);
}

/* A download-mode boot line and then silence (a revision-0 ESP32 after an EN reset): one
 * SYNC try, a bounded wait for the watchdog reset, then the attempt ends with its own
 * message. */
static void t_hung_after_reset(void **state)
{
    (void)state;
    struct mock_port *m = mock_port_new(); /* nothing answers SYNC */
    static const char banner[] = "ets Jun  8 2016 00:22:57\r\n\r\nrst:0x1 (POWERON_RESET),"
                                 "boot:0x3 (DOWNLOAD_BOOT(UART0/UART1/SDIO_REI_REO_V2))\r\n";
    mock_port_queue_on_reset(m, banner, sizeof(banner) - 1);
    struct el_loader *l;
    assert_int_equal(el_loader_new(&l, mock_port_port(m)), EL_OK);
    struct evlog ev = {0};
    el_loader_set_event_cb(l, on_event, &ev);
    struct el_connect_opts o;
    el_connect_opts_init(&o);
    o.attempts = 2;
    uint64_t t0 = mock_port_clock_ms(m);
    assert_int_equal(el_loader_connect(l, &o), EL_E_CONNECT);
    assert_int_equal(mock_port_tx_count_op(m, 0x08), 2); /* one SYNC per attempt */
    assert_int_equal(count(&ev, EL_EV_CONNECT_DOT), 2);
    assert_non_null(strstr(el_loader_errmsg(l), "stopped after its boot line"));
    assert_non_null(strstr(el_loader_errhint(l), "revision-0"));
    /* no "waiting for download": the IO0 holds last their full time */
    assert_non_null(strstr(lines(m), "U1,0 W50 U0,0"));
    assert_non_null(strstr(lines(m), "U1,0 W550 U0,0"));
    /* bounded: two resets, two SYNC timeouts and two watchdog waits */
    assert_true(mock_port_clock_ms(m) - t0 < 2 * (100 + 550 + 100 + 100 + 600 + 100));
    el_loader_free(l);
    mock_port_free(m);
}

/* The same banner from a chip that does answer: the one SYNC try connects. */
static void t_hung_banner_but_answers(void **state)
{
    (void)state;
    struct mock_port *m = mock_port_new();
    struct mock_dev dev;
    mock_dev_init(&dev, 4096);
    mock_dev_attach(m, &dev);
    static const char banner[] = "rst:0x1 (POWERON_RESET),boot:0x3 (DOWNLOAD_BOOT(UART0/UART1/"
                                 "SDIO_REI_REO_V2))\r\n";
    mock_port_queue_on_reset(m, banner, sizeof(banner) - 1);
    struct el_loader *l;
    assert_int_equal(el_loader_new(&l, mock_port_port(m)), EL_OK);
    struct el_connect_opts o;
    el_connect_opts_init(&o);
    o.attempts = 1;
    assert_int_equal(el_loader_connect(l, &o), EL_OK);
    assert_int_equal(mock_port_tx_count_op(m, 0x08), 1);
    el_loader_free(l);
    mock_port_free(m);
    mock_dev_release(&dev);
}

/* Text after the boot line (not "waiting for download"): no hang assumed, all SYNC tries. */
static void t_boot_line_then_text_not_hung(void **state)
{
    (void)state;
    struct mock_port *m = mock_port_new();
    static const char banner[] = "rst:0x1 (POWERON_RESET),boot:0x3 (DOWNLOAD_BOOT(UART0/UART1/"
                                 "SDIO_REI_REO_V2))\r\nsomething else\r\n";
    mock_port_queue_on_reset(m, banner, sizeof(banner) - 1);
    struct el_loader *l;
    assert_int_equal(el_loader_new(&l, mock_port_port(m)), EL_OK);
    struct el_connect_opts o;
    el_connect_opts_init(&o);
    o.attempts = 1;
    assert_int_equal(el_loader_connect(l, &o), EL_E_CONNECT);
    assert_int_equal(mock_port_tx_count_op(m, 0x08), o.sync_tries);
    el_loader_free(l);
    mock_port_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_connect_rom_auto_fallback),
        cmocka_unit_test(t_connect_same_op_unsupported),
        cmocka_unit_test(t_connect_secinfo_detects_s3),
        cmocka_unit_test(t_wrong_boot_mode),
        cmocka_unit_test(t_download_mode_no_sync),
        cmocka_unit_test(t_silence),
        cmocka_unit_test(t_hung_after_reset),
        cmocka_unit_test(t_hung_banner_but_answers),
        cmocka_unit_test(t_boot_line_then_text_not_hung),
        cmocka_unit_test(t_stub_detected_by_sync),
        cmocka_unit_test(t_socket_no_lines),
        cmocka_unit_test(t_panic_in_junk),
        cmocka_unit_test(t_device_error_and_timeout),
        cmocka_unit_test(t_chip_info_esp32),
        cmocka_unit_test(t_describe_variants),
        cmocka_unit_test(t_rev_later_chips),
        cmocka_unit_test(t_sync_fails_at_junk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
