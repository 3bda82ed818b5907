/* SPDX-License-Identifier: MIT */
/*
 * Connect (reset + banner + SYNC), chip detection, security info, baud change and the
 * --after actions (esptool loader.py connect/_connect_attempt/sync, cmds.py detect_chip).
 */
#include "loader/loader_int.h"

#include "espload/bytes.h"
#include "espload/err.h"
#include "espload/port.h"
#include "espload/proto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BANNER_CAP        2048
#define BANNER_IDLE_MS    20u
#define HUNG_WAIT_MS      600u /* for the watchdog reset of a chip that hung after EN */
#define HUNG_SLICE_MS     10u
#define ESP32_RTCCALICFG1 0x3FF5F06Cu

void el_connect_opts_init(struct el_connect_opts *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof(*o));
    o->before = EL_BEFORE_DEFAULT_RESET;
    o->attempts = 7;
    o->chip = EL_CHIP_UNKNOWN;
    o->sync_tries = 5;
}

int eli_sync(struct el_loader *l, bool *stub_detected)
{
    uint8_t d[EL_SYNC_DATA_LEN];
    el_sync_data(d);
    uint32_t v = 0;
    *stub_detected = false;
    l->junk_fails = true;
    int rc = eli_command(l, EL_OP_SYNC, d, sizeof(d), 0, true, l->tuning.sync_timeout_ms, &v, NULL,
                         NULL);
    l->junk_fails = false;
    if (rc != EL_OK)
        return rc;
    /* ROM loaders answer with a non-zero value, stubs with 0; 7 more replies follow */
    bool stub = v == 0;
    for (int i = 0; i < 7; i++) {
        rc = eli_wait_reply(l, -1, l->tuning.timeout_ms, &v, NULL, NULL);
        if (rc != EL_OK)
            return rc;
        stub = stub && v == 0;
    }
    *stub_detected = stub;
    return EL_OK;
}

/* Finds "boot:0x<hex>" and a following "waiting for download" in the banner. */
static void parse_banner(const uint8_t *b, size_t n, int *mode, bool *download)
{
    *mode = -1;
    *download = false;
    for (size_t i = 0; i + 7 <= n; i++) {
        if (memcmp(b + i, "boot:0x", 7) != 0)
            continue;
        size_t j = i + 7;
        unsigned v = 0;
        size_t digits = 0;
        while (j < n && digits < 8) {
            uint8_t c = b[j];
            int h = (c >= '0' && c <= '9')   ? c - '0'
                    : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                    : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                             : -1;
            if (h < 0)
                break;
            v = v * 16 + (unsigned)h;
            j++;
            digits++;
        }
        if (!digits)
            continue;
        *mode = (int)v;
        static const char wd[] = "waiting for download";
        for (size_t k = j; k + sizeof(wd) - 1 <= n; k++) {
            if (memcmp(b + k, wd, sizeof(wd) - 1) == 0) {
                *download = true;
                break;
            }
        }
        /* esptool's regex takes the first boot: match */
        return;
    }
}

static void printable(char *out, size_t cap, const uint8_t *b, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 1 < cap; i++) {
        uint8_t c = b[i];
        if (c == '\r')
            continue;
        out[o++] = (c == '\n' || (c >= 0x20 && c < 0x7F)) ? (char)c : '.';
    }
    out[o] = '\0';
}

/* Hint from the ESP32 strapping value of the banner (GPIO_STRAP bits: 5 MTDI, 4 GPIO0,
 * 3 GPIO2, 2 GPIO4, 1 MTDO, 0 GPIO5). Download mode needs GPIO0 and GPIO2 low. */
static void boot_mode_hint(struct el_loader *l, int mode)
{
    bool gpio0 = mode & 0x10, gpio2 = mode & 0x08;
    if (gpio0)
        eli_hint(l,
                 "GPIO0 was high when the chip left reset (strapping 0x%02x = boot from SPI "
                 "flash): the DTR/RTS auto-reset circuit did not pull it low. Hold the BOOT "
                 "button while pressing EN/RESET, or check the reset circuit and --before",
                 (unsigned)mode);
    else if (gpio2)
        eli_hint(l,
                 "GPIO0 was low but GPIO2 was high at reset (strapping 0x%02x): something on "
                 "GPIO2 pulls it up; download mode needs GPIO2 low or floating",
                 (unsigned)mode);
    else
        eli_hint(l,
                 "the strapping value 0x%02x is not a UART download mode; check GPIO0, "
                 "GPIO2 and the boot button",
                 (unsigned)mode);
}

/* Text received between SYNC tries, scanned for a boot from flash. */
struct late_boot {
    uint8_t b[BANNER_CAP];
    size_t n;
};

/* True once the chip has been seen booting from flash after the reset (a watchdog reset
 * that latched the strapping pins again, as on revision-0 ESP32s): it has left the ROM
 * loader, so further SYNC tries of this attempt cannot succeed. */
static bool booted_from_flash(struct el_loader *l, struct late_boot *lb, bool noisy)
{
    size_t k = l->junk_len < sizeof(lb->b) - lb->n ? l->junk_len : sizeof(lb->b) - lb->n;
    memcpy(lb->b + lb->n, l->junk, k);
    lb->n += k;
    /* text ended the last SYNC wait: take the rest of it (it may trickle in over a network
     * port) before the next try flushes the input */
    lb->n += eli_read_raw(l, lb->b + lb->n, sizeof(lb->b) - lb->n, noisy ? BANNER_IDLE_MS : 0);
    static const char rst[] = "rst:0x", fb[] = "FLASH_BOOT";
    for (size_t i = 0; i + sizeof(rst) - 1 <= lb->n; i++) {
        if (memcmp(lb->b + i, rst, sizeof(rst) - 1) != 0)
            continue;
        /* the banner line: up to its end */
        size_t e = i;
        while (e < lb->n && lb->b[e] != '\n')
            e++;
        for (size_t j = i; j + sizeof(fb) - 1 <= e; j++) {
            if (memcmp(lb->b + j, fb, sizeof(fb) - 1) == 0) {
                int mode;
                bool dl;
                parse_banner(lb->b + i, e - i, &mode, &dl);
                l->boot_mode = mode;
                l->banner_download = false;
                char text[BANNER_CAP + 1];
                printable(text, sizeof(text), lb->b + i, e - i);
                eli_event(l, EL_EV_BOOT_BANNER, mode, 0, 0, text);
                return true;
            }
        }
    }
    if (lb->n == sizeof(lb->b)) { /* keep the tail: a banner may straddle */
        memmove(lb->b, lb->b + lb->n / 2, lb->n - lb->n / 2);
        lb->n -= lb->n / 2;
    }
    return false;
}

/* True when the banner ends with a download-mode boot line that "waiting for download" did
 * not follow: the chip stopped right after printing it. A revision-0 ESP32 does that after
 * an EN reset until a spurious watchdog reset (esptool#136); the watchdog then latches IO0,
 * which a short reset has already released, so the chip boots from flash. */
static bool hung_after_reset(const uint8_t *b, size_t n)
{
    static const char rst[] = "rst:0x", dl[] = "DOWNLOAD";
    size_t last = n;
    for (size_t i = 0; i + sizeof(rst) - 1 <= n; i++)
        if (memcmp(b + i, rst, sizeof(rst) - 1) == 0)
            last = i;
    if (last == n)
        return false;
    size_t e = last;
    while (e < n && b[e] != '\n')
        e++;
    if (e == n)
        return false; /* the line is not complete */
    for (size_t k = e; k < n; k++)
        if (b[k] != '\r' && b[k] != '\n' && b[k] != ' ')
            return false; /* more text came after it */
    for (size_t j = last; j + sizeof(dl) - 1 <= e; j++)
        if (memcmp(b + j, dl, sizeof(dl) - 1) == 0)
            return true;
    return false;
}

static int connect_attempt(struct el_loader *l, enum el_before before, int attempt,
                           const struct el_reset_step *steps, size_t n_steps, const char *strategy,
                           bool watch, bool *stub_detected)
{
    l->boot_mode = -1;
    l->banner_download = false;
    bool any_data = false, hung = false;
    if (before != EL_BEFORE_NO_RESET) {
        eli_flush_input(l);
        eli_event(l, EL_EV_CONNECT_ATTEMPT, attempt, 0, 0, strategy);
        uint8_t banner[BANNER_CAP];
        size_t n = 0;
        int rc = watch ? eli_reset_run_watch(l, steps, n_steps, banner, sizeof(banner), &n)
                       : el_reset_run(l->port, steps, n_steps);
        if (rc != EL_OK && rc != EL_E_UNSUPPORTED)
            return eli_fail(l, rc, "reset failed: %s", el_port_errmsg(l->port));
        if (n < sizeof(banner))
            n += eli_read_raw(l, banner + n, sizeof(banner) - n, BANNER_IDLE_MS);
        if (n) {
            any_data = true;
            int mode;
            bool dl;
            parse_banner(banner, n, &mode, &dl);
            l->boot_mode = mode;
            l->banner_download = dl;
            char text[BANNER_CAP + 1];
            printable(text, sizeof(text), banner, n);
            eli_event(l, EL_EV_BOOT_BANNER, mode, dl, 0, text);
            hung = !dl && hung_after_reset(banner, n);
        }
    }
    int last = EL_E_TIMEOUT;
    unsigned tries = l->copts.sync_tries ? l->copts.sync_tries : 5;
    if (hung) {
        /* one SYNC try (in case the text was incomplete), then wait for the chip's own
         * watchdog reset rather than SYNC tries it cannot answer */
        eli_event(l, EL_EV_DEBUG, 0, 0, 0,
                  "the chip stopped after its download-mode boot line: one SYNC try, then "
                  "waiting for its watchdog reset");
        tries = 1;
    }
    struct late_boot *lb = before != EL_BEFORE_NO_RESET ? calloc(1, sizeof(*lb)) : NULL;
    bool noisy = false;
    for (unsigned i = 0; i < tries; i++) {
        if (lb && i > 0 && booted_from_flash(l, lb, noisy)) {
            any_data = true;
            break;
        }
        eli_flush_input(l);
        int rc = eli_sync(l, stub_detected);
        if (rc == EL_OK || rc == EL_E_IO) {
            free(lb);
            return rc;
        }
        noisy = strstr(l->errmsg, "noise") || strstr(l->errmsg, "content");
        if (noisy)
            any_data = true;
        last = rc;
        eli_event(l, EL_EV_CONNECT_DOT, attempt, i + 1, 0, NULL);
        if (i + 1 < tries) /* the next attempt resets anyway */
            el_port_sleep_ms(l->port, 50);
    }
    bool flash_boot = false;
    for (unsigned waited = 0; hung && lb && waited < HUNG_WAIT_MS; waited += HUNG_SLICE_MS) {
        if (booted_from_flash(l, lb, false)) {
            flash_boot = any_data = true;
            break;
        }
        el_port_sleep_ms(l->port, HUNG_SLICE_MS);
    }
    free(lb);
    if (hung && !flash_boot && l->boot_mode >= 0) {
        eli_fail(l, EL_E_CONNECT,
                 "The chip stopped after its boot line (boot:0x%x, download mode) and did not "
                 "answer SYNC.",
                 (unsigned)l->boot_mode);
        eli_hint(l, "a revision-0 ESP32 hangs after a short EN reset until its watchdog fires: "
                    "the longer reset of the next attempt holds GPIO0 low past it (a 1-10 uF "
                    "capacitor from EN to GND also helps)");
        return EL_E_CONNECT;
    }
    if (l->boot_mode >= 0) {
        if (l->banner_download) {
            eli_fail(l, EL_E_CONNECT,
                     "Download mode successfully detected, but getting no sync reply: The "
                     "serial TX path seems to be down.");
            eli_hint(l, "the chip is waiting for download but does not hear us: check the "
                        "host TX -> chip RX (U0RXD) wire, the adapter and the baud rate");
        } else {
            eli_fail(l, EL_E_CONNECT,
                     "Wrong boot mode detected (0x%x)! The chip needs to be in download mode.",
                     (unsigned)l->boot_mode);
            boot_mode_hint(l, l->boot_mode);
        }
        return EL_E_CONNECT;
    }
    if (!any_data) {
        eli_fail(l, EL_E_CONNECT, "No serial data received.");
        eli_hint(l, "nothing came back from the chip: check the cable (data, not charge-only), "
                    "the port name, the USB driver and that the board is powered");
    } else {
        char tmp[sizeof(l->errmsg)];
        snprintf(tmp, sizeof(tmp), "%s", l->errmsg);
        eli_fail(l, EL_E_CONNECT, "%s", tmp);
        eli_hint(l, "data arrives but no valid reply: check the baud rate and that the chip "
                    "is in download mode (hold BOOT, press EN)");
    }
    (void)last;
    return EL_E_CONNECT;
}

static int security_info_raw(struct el_loader *l, struct el_security_info *si)
{
    memset(si, 0, sizeof(*si));
    const uint8_t *p;
    size_t n;
    int rc = eli_check(l, "get security info", EL_OP_GET_SECURITY_INFO, NULL, 0, 0,
                       l->tuning.timeout_ms, NULL, &p, &n);
    if (rc == EL_E_DEVICE) {
        unsigned st = l->last_status;
        if (st == 0x0105u || st == 0xFF00u || st == 0xC300u) {
            if (st == 0x0105u) {
                /* the ROM repeats its invalid-message reply; drop the copies */
                uint8_t junk[14 * 8];
                el_port_sleep_ms(l->port, 200);
                (void)eli_read_raw(l, junk, sizeof(junk), 1);
                eli_flush_input(l);
            }
            return eli_fail(l, EL_E_UNSUPPORTED,
                            "GET_SECURITY_INFO is not supported by this loader");
        }
        return rc;
    }
    if (rc != EL_OK)
        return rc;
    if (n < 12)
        return eli_fail(l, EL_E_PROTO, "security info reply too short (%zu bytes)", n);
    si->flags = el_get_le32(p);
    si->flash_crypt_cnt = p[4];
    memcpy(si->key_purposes, p + 5, 7);
    if (n >= 20) {
        si->has_chip_id = true;
        si->chip_id = el_get_le32(p + 12);
        si->api_version = el_get_le32(p + 16);
    }
    return EL_OK;
}

int el_loader_security_info(struct el_loader *l, struct el_security_info *out)
{
    if (!l || !out)
        return EL_E_ARG;
    memset(out, 0, sizeof(*out));
    eli_clear_error(l);
    return security_info_raw(l, out);
}

static int detect_chip(struct el_loader *l, enum el_chip_id want)
{
    const struct el_chip *found = NULL;
    const struct el_chip *wanted = want != EL_CHIP_UNKNOWN ? el_chip_by_id(want) : NULL;
    if (!wanted)
        eli_event(l, EL_EV_DETECTING_CHIP, 0, 0, 0, NULL);
    uint32_t magic = 0;
    bool have_magic = false;
    if (!wanted) {
        /* the magic register first: a chip whose ROM lacks GET_SECURITY_INFO (ESP32) is
         * known by it at once, sparing the ROM's repeated error replies to 0x14 */
        int rc = el_loader_read_reg(l, EL_CHIP_MAGIC_REG, &magic);
        if (rc == EL_OK) {
            have_magic = true;
            const struct el_chip *m = el_chip_by_magic(magic);
            if (m && !m->has_security_info)
                found = m;
        } else if (rc == EL_E_IO || l->panicked) {
            return rc;
        }
    }
    /* GET_SECURITY_INFO where the ROM may have it (auto, or a chip that has it); an
     * explicit ESP32 never gets it: its ROM lacks 0x14 */
    if (!found && (!wanted || wanted->has_security_info)) {
        struct el_security_info si;
        int rc = security_info_raw(l, &si);
        if (rc == EL_OK && si.has_chip_id)
            found = el_chip_by_image_id((uint16_t)si.chip_id);
        else if (rc == EL_E_UNSUPPORTED && !wanted)
            eli_event(l, EL_EV_DETECT_FALLBACK, 0, 0, 0, NULL);
        else if (rc == EL_E_IO || l->panicked)
            return rc;
    }
    if (!found && !have_magic) {
        int rc = el_loader_read_reg(l, EL_CHIP_MAGIC_REG, &magic);
        if (rc != EL_OK)
            return rc;
        have_magic = true;
    }
    if (!found && have_magic)
        found = el_chip_by_magic(magic);
    if (!wanted) {
        if (!found)
            return eli_fail(l, EL_E_CHIP,
                            "Unexpected chip magic value 0x%08x. Failed to autodetect chip "
                            "type.",
                            magic);
        l->chip = found;
        eli_event(l, EL_EV_CHIP_DETECTED, found->id, 0, 0, found->display);
        return EL_OK;
    }
    if (found && found != wanted) {
        eli_fail(l, EL_E_CHIP, "This chip is %s, not %s. Wrong --chip argument?", found->display,
                 wanted->display);
        eli_hint(l, "use --chip %s (or --chip auto)", found->name);
        return EL_E_CHIP;
    }
    if (!found && have_magic)
        eli_event(l, EL_EV_CHIP_UNKNOWN_MAGIC, magic, 0, 0, wanted->display);
    l->chip = wanted;
    return EL_OK;
}

int el_loader_connect(struct el_loader *l, const struct el_connect_opts *o)
{
    if (!l)
        return EL_E_ARG;
    struct el_connect_opts def;
    if (!o) {
        el_connect_opts_init(&def);
        o = &def;
    }
    eli_clear_error(l);
    /* keep the options for a reconnect (baud fallback) */
    if (o != &l->copts) {
        free(l->reset_seq);
        l->reset_seq = o->reset_sequence ? strdup(o->reset_sequence) : NULL;
        l->copts = *o;
        l->copts.reset_sequence = l->reset_seq;
    }
    l->connected = false;
    l->stub = false;
    l->chip = NULL;
    l->flash_attached = false;
    l->flash_size_set = 0;
    l->flash_begun = false;
    l->stub_origin[0] = '\0';

    enum el_before before = o->before;
    if (before == EL_BEFORE_NO_RESET_NO_SYNC) {
        /* nothing sent; a loader is assumed to be listening (esptool's pass-through mode) */
        if (o->chip != EL_CHIP_UNKNOWN) {
            l->chip = el_chip_by_id(o->chip);
        } else {
            int rc = detect_chip(l, EL_CHIP_UNKNOWN);
            if (rc != EL_OK)
                return rc;
        }
        l->connected = true;
        l->rom_baud = el_port_get_baud(l->port);
        eli_event(l, EL_EV_CONNECTED, 0, 0, 0, NULL);
        return EL_OK;
    }

    /* the reset sequence(s) */
    struct el_reset_step seqs[4][EL_RESET_MAX_STEPS];
    size_t seq_n[4] = {0};
    char names[4][40];
    bool watch[4] = {false, false, false, false}; /* the strategy's IO0 hold may end early */
    size_t n_strat = 0;
    if (before == EL_BEFORE_DEFAULT_RESET || before == EL_BEFORE_USB_RESET) {
        if (!el_port_has_lines(l->port)) {
            eli_event(l, EL_EV_RESET_UNAVAILABLE, 0, 0, 0, el_port_kind(l->port));
            before = EL_BEFORE_NO_RESET;
        }
    }
    if (before == EL_BEFORE_DEFAULT_RESET || before == EL_BEFORE_USB_RESET) {
        if (o->reset_sequence) {
            char err[200];
            int rc = el_reset_parse(o->reset_sequence, seqs[0], EL_RESET_MAX_STEPS, &seq_n[0], err,
                                    sizeof(err));
            if (rc != EL_OK)
                return eli_fail(l, EL_E_ARG, "%s", err);
            snprintf(names[0], sizeof(names[0]), "CustomReset");
            n_strat = 1;
        } else {
            struct el_reset_strategy st[4];
            bool usb = before == EL_BEFORE_USB_RESET || el_port_is_usb_jtag(l->port);
#ifdef _WIN32
            bool posix = false;
#else
            bool posix = true;
#endif
            bool rfc = strcmp(el_port_kind(l->port), "rfc2217") == 0;
            n_strat = el_reset_rotation(usb, posix, rfc, o->reset_delay_ms, st, 4);
            for (size_t i = 0; i < n_strat; i++) {
                if (o->reset_delay_set)
                    st[i].delay_ms = o->reset_delay_ms; /* 0 included (esptool's reset_delay) */
                el_reset_steps(&st[i], seqs[i], EL_RESET_MAX_STEPS, &seq_n[i]);
                el_reset_name(&st[i], names[i], sizeof(names[i]));
                watch[i] = st[i].kind == EL_RESET_CLASSIC || st[i].kind == EL_RESET_UNIX_TIGHT;
            }
        }
    }

    eli_event(l, EL_EV_CONNECTING, 0, 0, 0, NULL);
    bool stub_detected = false;
    int rc = EL_E_CONNECT;
    for (int attempt = 0; o->attempts <= 0 || attempt < o->attempts; attempt++) {
        size_t k = n_strat ? (size_t)attempt % n_strat : 0;
        rc = connect_attempt(l, before, attempt + 1, seqs[k], seq_n[k], n_strat ? names[k] : "",
                             watch[k], &stub_detected);
        if (rc == EL_OK || rc == EL_E_IO || rc == EL_E_ARG)
            break;
    }
    if (rc != EL_OK) {
        if (rc != EL_E_IO && rc != EL_E_ARG)
            rc = EL_E_CONNECT;
        eli_event(l, EL_EV_CONNECT_FAILED, 0, 0, 0, l->errmsg);
        return rc;
    }
    eli_clear_error(l);
    l->rom_baud = el_port_get_baud(l->port);
    eli_event(l, EL_EV_CONNECTED, stub_detected, 0, 0, NULL);
    if (stub_detected) {
        l->stub = true;
        snprintf(l->stub_origin, sizeof(l->stub_origin), "already running");
        eli_event(l, EL_EV_STUB_ALREADY_RUNNING, 0, 0, 0, NULL);
    }
    rc = detect_chip(l, o->chip);
    if (rc != EL_OK)
        return rc;
    l->connected = true;
    return EL_OK;
}

int eli_reconnect(struct el_loader *l)
{
    bool had_stub = l->stub;
    struct el_connect_opts o = l->copts;
    if (o.chip == EL_CHIP_UNKNOWN && l->chip)
        o.chip = l->chip->id;
    if (o.before == EL_BEFORE_NO_RESET_NO_SYNC)
        o.before = EL_BEFORE_NO_RESET;
    l->copts.chip = o.chip;
    int rc = el_loader_connect(l, &l->copts);
    if (rc != EL_OK)
        return rc;
    if (had_stub && !l->stub) {
        rc = el_loader_run_stub(l, NULL);
        if (rc == EL_E_UNSUPPORTED)
            rc = EL_OK;
    }
    return rc;
}

/* ---------------------------------------------------------------------------------- */

int el_loader_change_baud(struct el_loader *l, unsigned baud)
{
    if (!l || !baud)
        return EL_E_ARG;
    if (!l->connected)
        return eli_fail(l, EL_E_ARG, "not connected");
    eli_clear_error(l);
    unsigned cur = el_port_get_baud(l->port);
    if (baud == cur)
        return EL_OK;
    /* can the host side change at all? (socket:// cannot) */
    int rc = el_port_set_baud(l->port, cur);
    if (rc == EL_E_UNSUPPORTED)
        return eli_fail(l, EL_E_UNSUPPORTED, "this port (%s) cannot change its baud rate",
                        el_port_kind(l->port));
    uint32_t sent = baud;
    if (!l->stub && l->chip && l->chip->id == EL_CHIP_ESP32) {
        /* ESP32 ROM: the ROM computes the divider from its own (drifting) idea of the clock,
         * so send a value scaled the same way (esp32.py change_baud) */
        uint32_t cal = 0, efuse4 = 0;
        if (el_loader_read_reg(l, ESP32_RTCCALICFG1, &cal) == EL_OK &&
            el_loader_read_reg(l, 0x3FF5A010u, &efuse4) == EL_OK) {
            double rom_freq =
                (double)((cal >> 7) & 0x1FFFFFFu) * 15625.0 * (double)(efuse4 & 0xFFu) / 40.0;
            double valid = rom_freq > 33e6 ? 40e6 : 26e6;
            if (rom_freq > 0)
                sent = (uint32_t)((double)baud * rom_freq / valid);
        }
    }
    uint8_t d[8];
    el_put_le32(d, sent);
    el_put_le32(d + 4, l->stub ? cur : 0);
    eli_event(l, EL_EV_BAUD_CHANGING, baud, 0, 0, NULL);
    rc = eli_command(l, EL_OP_CHANGE_BAUDRATE, d, 8, 0, true, l->tuning.timeout_ms, NULL, NULL,
                     NULL);
    if (rc != EL_OK)
        return rc;
    eli_event(l, EL_EV_BAUD_CHANGED, baud, 0, 0, NULL);
    rc = el_port_set_baud(l->port, baud);
    if (rc != EL_OK)
        return eli_fail(l, rc, "cannot set the port to %u baud: %s", baud, el_port_errmsg(l->port));
    el_port_sleep_ms(l->port, 50);
    eli_flush_input(l);
    /* prove the new rate with a round trip */
    uint32_t v;
    rc = el_loader_read_reg(l, EL_CHIP_MAGIC_REG, &v);
    if (rc == EL_OK)
        return EL_OK;
    if (rc == EL_E_IO)
        return rc;
    unsigned fallback = 115200;
    eli_event(l, EL_EV_BAUD_FAILED, baud, fallback, 0, NULL);
    el_port_set_baud(l->port, fallback);
    eli_flush_input(l);
    rc = eli_reconnect(l);
    if (rc != EL_OK)
        return rc;
    return EL_OK;
}

int el_loader_auto_baud(struct el_loader *l, unsigned requested, unsigned *chosen)
{
    if (chosen)
        *chosen = 0;
    if (!l)
        return EL_E_ARG;
    if (!l->connected)
        return eli_fail(l, EL_E_ARG, "not connected");
    unsigned want = requested;
    if (!want) {
        uint16_t vid, pid;
        if (el_port_usb_ids(l->port, &vid, &pid) != EL_OK)
            return EL_OK; /* no USB ids: keep the rate */
        want = el_baud_for_usb(vid, pid);
        if (!want || (vid == 0x303A && pid == 0x1001))
            return EL_OK; /* unknown bridge, or USB-Serial/JTAG where the rate is virtual */
    }
    if (want <= el_port_get_baud(l->port))
        return EL_OK;
    if (chosen)
        *chosen = want;
    int rc = el_loader_change_baud(l, want);
    if (rc == EL_E_UNSUPPORTED && !requested) {
        eli_clear_error(l);
        return EL_OK;
    }
    return rc;
}

unsigned el_baud_for_usb(uint16_t vid, uint16_t pid)
{
    static const struct {
        uint16_t vid, pid;
        unsigned baud;
    } t[] = {
        {0x10C4, 0xEA60, 921600}, /* Silicon Labs CP210x */
        {0x10C4, 0xEA70, 921600}, /* CP2105 */
        {0x10C4, 0xEA71, 921600}, /* CP2108 */
        {0x1A86, 0x7523, 460800}, /* WCH CH340: unreliable above 460800 on many boards */
        {0x1A86, 0x55D4, 921600}, /* WCH CH9102 */
        {0x1A86, 0x55D3, 921600}, /* WCH CH343 */
        {0x0403, 0x6001, 921600}, /* FTDI FT232R */
        {0x0403, 0x6010, 921600}, /* FT2232 */
        {0x0403, 0x6011, 921600}, /* FT4232 */
        {0x0403, 0x6014, 921600}, /* FT232H */
        {0x0403, 0x6015, 921600}, /* FT-X */
        {0x303A, 0x1001, 921600}, /* Espressif USB-Serial/JTAG (baud is virtual) */
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        if (t[i].vid == vid && t[i].pid == pid)
            return t[i].baud;
    return 0;
}

/* ---------------------------------------------------------------------------------- */

static int flash_begin_end(struct el_loader *l, uint32_t end_flag)
{
    uint8_t d[16] = {0};
    el_put_le32(d + 8, l->stub ? EL_STUB_FLASH_BLOCK : EL_ROM_FLASH_BLOCK);
    int rc = eli_check(l, "enter Flash download mode", EL_OP_FLASH_BEGIN, d, 16, 0,
                       l->tuning.timeout_ms, NULL, NULL, NULL);
    if (rc != EL_OK)
        return rc;
    uint8_t e[4];
    el_put_le32(e, end_flag);
    return eli_check(l, "leave Flash mode", EL_OP_FLASH_END, e, 4, 0, l->tuning.timeout_ms, NULL,
                     NULL, NULL);
}

int el_loader_run_app(struct el_loader *l)
{
    if (!l)
        return EL_E_ARG;
    eli_clear_error(l);
    /* FLASH_BEGIN(0, 0) then FLASH_END(1): the ROM replies and runs the user code */
    int rc = flash_begin_end(l, 1);
    if (rc == EL_E_TIMEOUT && !l->stub)
        rc = EL_OK; /* the reply may be lost while the ROM leaves */
    return rc;
}

int el_flash_finish(struct el_loader *l, bool reboot)
{
    if (!l)
        return EL_E_ARG;
    eli_clear_error(l);
    if (!l->stub && !reboot)
        return EL_OK; /* FLASH_END would make the ROM leave the loader */
    return flash_begin_end(l, reboot ? 0 : 1);
}

int el_loader_after(struct el_loader *l, enum el_after after)
{
    if (!l)
        return EL_E_ARG;
    eli_clear_error(l);
    bool usb = el_port_is_usb_jtag(l->port);
    switch (after) {
    case EL_AFTER_WATCHDOG_RESET:
        eli_event(l, EL_EV_WATCHDOG_UNSUPPORTED, 0, 0, 0, l->chip ? l->chip->display : "this chip");
        /* fall through */
    case EL_AFTER_HARD_RESET:
        eli_event(l, EL_EV_HARD_RESET, 0, 0, 0, NULL);
        if (!el_port_has_lines(l->port))
            return EL_OK;
        if (l->hard_reset_seq) {
            /* the tuning's custom sequence (checked by el_loader_set_tuning) */
            struct el_reset_step steps[EL_RESET_MAX_STEPS];
            size_t n = 0;
            char err[200];
            if (el_reset_parse(l->hard_reset_seq, steps, EL_RESET_MAX_STEPS, &n, err,
                               sizeof(err)) != EL_OK)
                return eli_fail(l, EL_E_ARG, "custom hard reset sequence: %s", err);
            eli_event(l, EL_EV_DEBUG, 0, 0, 0, "hard reset with the custom sequence");
            return el_reset_run(l->port, steps, n);
        }
        return el_reset_hard(l->port, usb);
    case EL_AFTER_SOFT_RESET:
        if (l->stub) {
            eli_event(l, EL_EV_SOFT_RESET_UNSUPPORTED, 0, 0, 0, NULL);
            return EL_OK;
        }
        eli_event(l, EL_EV_SOFT_RESET, 0, 0, 0, NULL);
        return el_loader_run_app(l);
    case EL_AFTER_NO_RESET:
        eli_event(l, EL_EV_STAY_BOOTLOADER, 0, 0, 0, NULL);
        if (l->stub) {
            /* leave the stub for the ROM loader (esptool soft_reset(True)) */
            int rc = flash_begin_end(l, 0);
            if (rc == EL_OK)
                l->stub = false;
            return rc;
        }
        return EL_OK;
    case EL_AFTER_NO_RESET_STUB:
        eli_event(l, EL_EV_STAY_STUB, 0, 0, 0, NULL);
        return EL_OK;
    default:
        return EL_E_ARG;
    }
}
