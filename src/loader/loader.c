/* SPDX-License-Identifier: MIT */
/*
 * Loader context, error/event plumbing, the SLIP frame reader and the command layer
 * (request/response matching as esptool's ESPLoader.command/check_command).
 */
#include "loader/loader_int.h"

#include "espload/bytes.h"
#include "espload/err.h"
#include "espload/port.h"
#include "espload/proto.h"
#include "elsim.h"
#include "port/port_os.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int el_loader_new(struct el_loader **out, struct el_port *port)
{
    if (!out)
        return EL_E_ARG;
    *out = NULL;
    if (!port)
        return EL_E_ARG;
    struct el_loader *l = calloc(1, sizeof(*l));
    if (!l)
        return EL_E_NOMEM;
    l->port = port;
    l->boot_mode = -1;
    el_slip_dec_init(&l->dec, l->frame, sizeof(l->frame));
    el_connect_opts_init(&l->copts);
    el_tuning_init(&l->tuning);
    *out = l;
    return EL_OK;
}

void el_loader_free(struct el_loader *l)
{
    if (!l)
        return;
    free(l->reset_seq);
    free(l->hard_reset_seq);
    free(l->stub_dir);
    for (size_t i = 0; i < l->n_roots; i++)
        free(l->roots[i]);
    el_stub_image_free(l->loaded_stub);
    free(l);
}

void el_loader_set_event_cb(struct el_loader *l, el_event_cb cb, void *user)
{
    l->ev_cb = cb;
    l->ev_user = user;
}

void el_loader_set_progress_cb(struct el_loader *l, el_progress_cb cb, void *user)
{
    l->prog_cb = cb;
    l->prog_user = user;
}

void el_loader_set_trace_cb(struct el_loader *l, el_trace_cb cb, void *user)
{
    l->trace_cb = cb;
    l->trace_user = user;
}

const char *el_loader_errmsg(const struct el_loader *l)
{
    return l ? l->errmsg : "";
}

const char *el_loader_errhint(const struct el_loader *l)
{
    return l ? l->errhint : "";
}

struct el_port *el_loader_port(const struct el_loader *l)
{
    return l ? l->port : NULL;
}

unsigned el_loader_last_status(const struct el_loader *l)
{
    return l ? l->last_status : 0;
}

const struct el_chip *el_loader_chip(const struct el_loader *l)
{
    return l && l->connected ? l->chip : NULL;
}

int el_loader_boot_mode(const struct el_loader *l)
{
    return l ? l->boot_mode : -1;
}

bool el_loader_is_stub(const struct el_loader *l)
{
    return l && l->stub;
}

unsigned el_loader_baud(const struct el_loader *l)
{
    return l ? el_port_get_baud(l->port) : 0;
}

uint32_t el_flash_params_size(const struct el_loader *l)
{
    return l ? l->flash_size_set : 0;
}

unsigned el_timeout_per_mb_in(unsigned ms_per_mb, uint64_t size, unsigned floor_ms, unsigned cap_ms)
{
    uint64_t t = (uint64_t)ms_per_mb * size / 1000000u;
    if (t < floor_ms)
        t = floor_ms;
    if (t > cap_ms)
        t = cap_ms;
    return (unsigned)t;
}

unsigned el_timeout_per_mb(unsigned ms_per_mb, uint64_t size)
{
    return el_timeout_per_mb_in(ms_per_mb, size, EL_DEFAULT_TIMEOUT_MS, EL_MAX_TIMEOUT_MS);
}

unsigned eli_timeout_per_mb(const struct el_loader *l, unsigned ms_per_mb, uint64_t size)
{
    return el_timeout_per_mb_in(ms_per_mb, size, l->tuning.timeout_ms, l->tuning.max_timeout_ms);
}

void el_tuning_init(struct el_tuning *t)
{
    if (!t)
        return;
    memset(t, 0, sizeof(*t));
    t->timeout_ms = EL_DEFAULT_TIMEOUT_MS;
    t->chip_erase_timeout_ms = EL_CHIP_ERASE_TIMEOUT_MS;
    t->max_timeout_ms = EL_MAX_TIMEOUT_MS;
    t->sync_timeout_ms = EL_SYNC_TIMEOUT_MS;
    t->md5_ms_per_mb = EL_MD5_MS_PER_MB;
    t->erase_region_ms_per_mb = EL_ERASE_REGION_MS_PER_MB;
    t->erase_write_ms_per_mb = EL_ERASE_WRITE_MS_PER_MB;
    t->mem_end_rom_timeout_ms = EL_MEM_END_ROM_TIMEOUT_MS;
    t->serial_write_timeout_ms = EL_SERIAL_WRITE_TIMEOUT_MS;
    t->write_block_attempts = EL_WRITE_BLOCK_ATTEMPTS;
    t->hard_reset_sequence = NULL;
}

int el_loader_set_tuning(struct el_loader *l, const struct el_tuning *t)
{
    if (!l || !t)
        return EL_E_ARG;
    eli_clear_error(l);
    static const char *const names[] = {"timeout",
                                        "chip_erase_timeout",
                                        "max_timeout",
                                        "sync_timeout",
                                        "md5_timeout_per_mb",
                                        "erase_region_timeout_per_mb",
                                        "erase_write_timeout_per_mb",
                                        "mem_end_rom_timeout",
                                        "serial_write_timeout",
                                        "write_block_attempts"};
    const unsigned vals[] = {t->timeout_ms,
                             t->chip_erase_timeout_ms,
                             t->max_timeout_ms,
                             t->sync_timeout_ms,
                             t->md5_ms_per_mb,
                             t->erase_region_ms_per_mb,
                             t->erase_write_ms_per_mb,
                             t->mem_end_rom_timeout_ms,
                             t->serial_write_timeout_ms,
                             t->write_block_attempts};
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
        if (vals[i] == 0)
            return eli_fail(l, EL_E_ARG, "%s must be greater than 0", names[i]);
    char *seq = NULL;
    if (t->hard_reset_sequence) {
        struct el_reset_step steps[EL_RESET_MAX_STEPS];
        size_t n;
        char err[200];
        if (el_reset_parse(t->hard_reset_sequence, steps, EL_RESET_MAX_STEPS, &n, err,
                           sizeof(err)) != EL_OK)
            return eli_fail(l, EL_E_ARG, "custom hard reset sequence: %s", err);
        seq = strdup(t->hard_reset_sequence);
        if (!seq)
            return eli_fail(l, EL_E_NOMEM, "out of memory");
    }
    free(l->hard_reset_seq);
    l->hard_reset_seq = seq;
    l->tuning = *t;
    l->tuning.hard_reset_sequence = seq;
    return EL_OK;
}

const struct el_tuning *el_loader_tuning(const struct el_loader *l)
{
    return l ? &l->tuning : NULL;
}

/* ---------------------------------------------------------------------------------- */

int eli_fail(struct el_loader *l, int code, const char *fmt, ...)
{
    /* formatted aside first: callers may quote the previous message (l->errmsg) */
    char buf[sizeof(l->errmsg)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    memcpy(l->errmsg, buf, sizeof(buf));
    l->errhint[0] = '\0';
    return code;
}

void eli_hint(struct el_loader *l, const char *fmt, ...)
{
    char buf[sizeof(l->errhint)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    memcpy(l->errhint, buf, sizeof(buf));
}

void eli_clear_error(struct el_loader *l)
{
    l->errmsg[0] = '\0';
    l->errhint[0] = '\0';
    l->last_status = 0;
    l->panicked = false;
}

static void event_text(char *buf, size_t n, enum el_event_id id, int64_t a, int64_t b,
                       const char *s)
{
    const char *str = s ? s : "";
    switch (id) {
    case EL_EV_RESET_UNAVAILABLE:
        snprintf(buf, n,
                 "Note: It's not possible to reset the chip over a %s port. Automatic "
                 "resetting to bootloader has been disabled, reset the chip manually.",
                 str);
        break;
    case EL_EV_CONNECTING:
        snprintf(buf, n, "Connecting...");
        break;
    case EL_EV_CONNECT_ATTEMPT:
        snprintf(buf, n, "connect attempt %lld (%s)", (long long)a, str);
        break;
    case EL_EV_CONNECT_DOT:
        snprintf(buf, n, ".");
        break;
    case EL_EV_BOOT_BANNER:
        snprintf(buf, n, "boot output: %s", str);
        break;
    case EL_EV_CONNECTED:
        snprintf(buf, n, "connected%s", a ? " (stub already running)" : "");
        break;
    case EL_EV_CONNECT_FAILED:
        snprintf(buf, n, "Failed to connect: %s", str);
        break;
    case EL_EV_STUB_ALREADY_RUNNING:
        snprintf(buf, n, "Stub is already running. No upload is necessary.");
        break;
    case EL_EV_PANIC:
        snprintf(buf, n, "the chip crashed: %s", str);
        break;
    case EL_EV_DETECTING_CHIP:
        snprintf(buf, n, "Detecting chip type...");
        break;
    case EL_EV_DETECT_FALLBACK:
        snprintf(buf, n, "Unsupported detection protocol, using the chip magic value");
        break;
    case EL_EV_CHIP_DETECTED:
        snprintf(buf, n, "%s", str);
        break;
    case EL_EV_CHIP_UNKNOWN_MAGIC:
        snprintf(buf, n, "WARNING: Unrecognised chip magic value 0x%08llx", (long long)a);
        break;
    case EL_EV_UNSUPPORTED_CMD:
        snprintf(buf, n, "command 0x%02llx is not supported by this loader", (long long)a);
        break;
    case EL_EV_STUB_NONE:
        snprintf(buf, n, "no flasher stub available for %s; using the ROM loader (slower)", str);
        break;
    case EL_EV_STUB_SOURCE:
        snprintf(buf, n, "flasher stub: %s", str);
        break;
    case EL_EV_STUB_UPLOADING:
        snprintf(buf, n, "Uploading stub...");
        break;
    case EL_EV_STUB_RUNNING:
        snprintf(buf, n, "Running stub...");
        break;
    case EL_EV_STUB_STARTED:
        snprintf(buf, n, "Stub running...");
        break;
    case EL_EV_BAUD_CHANGING:
        snprintf(buf, n, "Changing baud rate to %lld", (long long)a);
        break;
    case EL_EV_BAUD_CHANGED:
        snprintf(buf, n, "Changed.");
        break;
    case EL_EV_BAUD_FAILED:
        snprintf(buf, n, "WARNING: %lld baud does not work on this link; continuing at %lld baud",
                 (long long)a, (long long)b);
        break;
    case EL_EV_SPI_ATTACH:
        if (b == 1)
            snprintf(buf, n, "Attaching flash from eFuses' SPI pads configuration (%s)...", str);
        else if (b == 2)
            snprintf(buf, n, "Configuring SPI flash mode (0x%llx)...", (long long)a);
        else
            snprintf(buf, n, "Enabling default SPI flash mode...");
        break;
    case EL_EV_FLASH_SET_PARAMS:
        snprintf(buf, n, "Configuring flash size...");
        break;
    case EL_EV_COMPRESSED:
        snprintf(buf, n, "Compressed %lld bytes to %lld...", (long long)a, (long long)b);
        break;
    case EL_EV_COMPRESS_NOT_USEFUL:
        snprintf(buf, n, "Compressed size %lld is not smaller than %lld, writing uncompressed",
                 (long long)b, (long long)a);
        break;
    case EL_EV_ROM_ERASING:
        snprintf(buf, n, "Erasing flash...");
        break;
    case EL_EV_ROM_ERASE_TOOK:
        snprintf(buf, n, "Took %.2fs to erase flash block", (double)a / 1000.0);
        break;
    case EL_EV_ALREADY_IN_FLASH:
        snprintf(buf, n, "Data at 0x%08llx (%lld bytes) already in flash, skipping write.",
                 (long long)a, (long long)b);
        break;
    case EL_EV_CHANGED_SECTORS:
        snprintf(buf, n, "%lld of %lld sectors changed", (long long)a, (long long)b);
        break;
    case EL_EV_VERIFYING:
        snprintf(buf, n, "Verifying written data...");
        break;
    case EL_EV_VERIFIED:
        snprintf(buf, n, "Hash of data verified.");
        break;
    case EL_EV_BLOCK_RETRY:
        snprintf(buf, n, "Block write failed, retrying (seq %lld, attempt %lld)", (long long)a,
                 (long long)b);
        break;
    case EL_EV_HARD_RESET:
        snprintf(buf, n, "Hard resetting via RTS pin...");
        break;
    case EL_EV_SOFT_RESET:
        snprintf(buf, n, "Soft resetting...");
        break;
    case EL_EV_STAY_BOOTLOADER:
        snprintf(buf, n, "Staying in bootloader.");
        break;
    case EL_EV_STAY_STUB:
        snprintf(buf, n, "Staying in flasher stub.");
        break;
    case EL_EV_SOFT_RESET_UNSUPPORTED:
        snprintf(buf, n, "Soft resetting is currently only supported on ESP8266");
        break;
    case EL_EV_WATCHDOG_UNSUPPORTED:
        snprintf(buf, n,
                 "Note: Watchdog reset is not supported on %s, attempting classic hard reset "
                 "instead.",
                 str);
        break;
    case EL_EV_WARNING:
    case EL_EV_NOTE:
    case EL_EV_DEBUG:
    default:
        snprintf(buf, n, "%s", str);
        break;
    }
}

void eli_event(struct el_loader *l, enum el_event_id id, int64_t a, int64_t b, int64_t c,
               const char *str)
{
    if (!l->ev_cb)
        return;
    char text[640];
    event_text(text, sizeof(text), id, a, b, str);
    struct el_event ev = {.id = id, .a = a, .b = b, .c = c, .str = str, .text = text};
    l->ev_cb(l->ev_user, &ev);
}

void eli_progress(struct el_loader *l, const struct el_progress *p)
{
    if (l->prog_cb)
        l->prog_cb(l->prog_user, p);
}

/* ---------------------------------------------------------------------------------- */
/* wire                                                                                 */

int eli_send_frame(struct el_loader *l, const uint8_t *payload, size_t len)
{
    size_t n = el_slip_encode(payload, len, l->tx, sizeof(l->tx));
    if (n == 0)
        return eli_fail(l, EL_E_ARG, "frame of %zu bytes is too large", len);
    if (l->trace_cb)
        l->trace_cb(l->trace_user, EL_TRACE_TX, payload, len);
    int rc = el_port_write(l->port, l->tx, n, l->tuning.serial_write_timeout_ms);
    if (rc < 0)
        return eli_fail(l, rc, "serial write failed: %s", el_port_errmsg(l->port));
    return EL_OK;
}

static void junk_flush_trace(struct el_loader *l)
{
    if (l->junk_len && l->trace_cb)
        l->trace_cb(l->trace_user, EL_TRACE_RX_RAW, l->junk, l->junk_len);
    l->junk_len = 0;
}

/* Looks for a panic report in the junk; returns true (and fails) if one is there. */
static bool junk_panic(struct el_loader *l)
{
    static const char *const marks[] = {"Guru Meditation Error", "Fatal exception"};
    l->junk[l->junk_len] = '\0';
    for (size_t m = 0; m < sizeof(marks) / sizeof(marks[0]); m++) {
        const char *hit = NULL;
        size_t ml = strlen(marks[m]);
        for (size_t i = 0; i + ml <= l->junk_len; i++) {
            if (memcmp(l->junk + i, marks[m], ml) == 0) {
                hit = (const char *)l->junk + i;
                break;
            }
        }
        if (!hit)
            continue;
        /* wait for the rest of the line when it is still arriving */
        char line[160];
        size_t k = 0;
        while (hit[k] && hit[k] != '\r' && hit[k] != '\n' && k + 1 < sizeof(line)) {
            line[k] = (hit[k] >= 0x20 && hit[k] < 0x7F) ? hit[k] : '?';
            k++;
        }
        line[k] = '\0';
        l->panicked = true;
        eli_event(l, EL_EV_PANIC, 0, 0, 0, line);
        eli_fail(l, EL_E_DEVICE, "The chip crashed: %s", line);
        eli_hint(l, "the code running on the chip panicked; it is not in the serial "
                    "bootloader (check the boot mode and reset wiring)");
        return true;
    }
    return false;
}

static void junk_add(struct el_loader *l, uint8_t b)
{
    if (l->junk_len >= ELI_JUNK_KEEP) {
        if (l->trace_cb)
            l->trace_cb(l->trace_user, EL_TRACE_RX_RAW, l->junk, ELI_JUNK_KEEP / 2);
        memmove(l->junk, l->junk + ELI_JUNK_KEEP / 2, l->junk_len - ELI_JUNK_KEEP / 2);
        l->junk_len -= ELI_JUNK_KEEP / 2;
    }
    l->junk[l->junk_len++] = b;
    l->junk_total++;
}

/* The port's clock: the virtual device's on sim://, else the host's monotonic clock. */
static uint64_t port_now_ms(struct el_loader *l)
{
    struct elsim *dev = el_port_sim_device(l->port);
    return dev ? elsim_now_us(dev) / 1000u : eli_port_now_ms();
}

int eli_read_frame(struct el_loader *l, unsigned timeout_ms, const uint8_t **frame, size_t *len)
{
    *frame = NULL;
    *len = 0;
    bool junk_seen = false;
    /* bytes outside frames (boot loops, application output) do not extend the wait: only
     * a frame in progress does, like esptool's reader that gives up on a bad packet head */
    uint64_t deadline = port_now_ms(l) + timeout_ms;
    for (;;) {
        if (l->rx_pos >= l->rx_len) {
            if (junk_seen && !l->dec.in_frame && port_now_ms(l) >= deadline) {
                bool panic = junk_panic(l);
                junk_flush_trace(l);
                if (panic)
                    return EL_E_DEVICE;
                return eli_fail(l, EL_E_TIMEOUT,
                                "Timed out waiting for packet header: only serial noise "
                                "received (possible noise, wrong baud rate or the chip "
                                "is not in download mode)");
            }
            int n = el_port_read(l->port, l->rx, sizeof(l->rx), timeout_ms);
            if (n < 0)
                return eli_fail(l, n, "serial read failed: %s", el_port_errmsg(l->port));
            if (n == 0) {
                bool panic = junk_panic(l);
                junk_flush_trace(l);
                if (panic)
                    return EL_E_DEVICE;
                if (l->dec.in_frame && l->dec.len > 0)
                    return eli_fail(l, EL_E_TIMEOUT,
                                    "Timed out waiting for packet content: serial data stream "
                                    "stopped (possible serial noise or corruption)");
                if (junk_seen)
                    return eli_fail(l, EL_E_TIMEOUT,
                                    "Timed out waiting for packet header: only serial noise "
                                    "received (possible noise, wrong baud rate or the chip "
                                    "is not in download mode)");
                return eli_fail(l, EL_E_TIMEOUT,
                                "Timed out waiting for packet header: no serial data received");
            }
            l->rx_len = (size_t)n;
            l->rx_pos = 0;
        }
        while (l->rx_pos < l->rx_len) {
            uint8_t b = l->rx[l->rx_pos++];
            enum el_slip_event ev = el_slip_dec_feed(&l->dec, b);
            if (ev == EL_SLIP_FRAME) {
                bool panic = junk_panic(l);
                junk_flush_trace(l);
                l->junk_total = 0;
                if (panic) {
                    el_slip_dec_reset(&l->dec);
                    return EL_E_DEVICE;
                }
                *frame = l->dec.buf;
                *len = l->dec.len;
                if (l->trace_cb)
                    l->trace_cb(l->trace_user, EL_TRACE_RX, *frame, *len);
                return EL_OK;
            }
            if (ev == EL_SLIP_NOISE) {
                junk_seen = true;
                junk_add(l, b);
                if (l->junk_fails) {
                    /* esptool's reader: junk where a packet should start fails the try (a
                     * boot-looping chip must not keep a SYNC waiting); what is already
                     * buffered is kept for the panic check and the trace */
                    while (l->rx_pos < l->rx_len && !l->dec.in_frame)
                        junk_add(l, l->rx[l->rx_pos++]);
                    bool panic = junk_panic(l);
                    junk_flush_trace(l);
                    if (panic)
                        return EL_E_DEVICE;
                    return eli_fail(l, EL_E_TIMEOUT,
                                    "Invalid head of packet (0x%02X): only serial noise received "
                                    "(possible noise, wrong baud rate or the chip is not in "
                                    "download mode)",
                                    b);
                }
                if (b == '\n' && junk_panic(l)) {
                    junk_flush_trace(l);
                    return EL_E_DEVICE;
                }
                if (l->junk_total > ELI_JUNK_LIMIT) {
                    junk_flush_trace(l);
                    l->junk_total = 0;
                    return eli_fail(l, EL_E_PROTO,
                                    "Invalid head of packet: too much data outside frames "
                                    "(possible serial noise, wrong baud rate or the chip is "
                                    "running its application)");
                }
            }
            /* BAD_ESCAPE / OVERFLOW: the frame is dropped; wait for the next one */
        }
    }
}

void eli_flush_input(struct el_loader *l)
{
    l->rx_len = l->rx_pos = 0;
    l->junk_len = 0;
    l->junk_total = 0;
    el_slip_dec_reset(&l->dec);
    (void)el_port_flush_input(l->port);
}

size_t eli_read_raw(struct el_loader *l, uint8_t *buf, size_t cap, unsigned timeout_ms)
{
    size_t got = 0;
    /* buffered bytes first */
    while (l->rx_pos < l->rx_len && got < cap)
        buf[got++] = l->rx[l->rx_pos++];
    while (got < cap) {
        int n = el_port_read(l->port, buf + got, cap - got, timeout_ms);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    if (got && l->trace_cb)
        l->trace_cb(l->trace_user, EL_TRACE_RX_RAW, buf, got);
    return got;
}

/* ---------------------------------------------------------------------------------- */
/* commands                                                                             */

size_t eli_status_len(const struct el_loader *l)
{
    if (l->stub)
        return 2;
    return l->chip && l->chip->rom_status_len ? l->chip->rom_status_len : 4;
}

/* The ROM repeats its "invalid message" reply several times: wait a little, read what
 * is there with a short timeout and drop it (esptool v5 drain_input_buffer). */
/* The ESP32 ROM answers an unknown command with its error reply up to 8 times, back to
 * back: read until the line has been quiet for DRAIN_IDLE_MS (a USB bridge may hold bytes
 * up to 16 ms), at most DRAIN_MAX_MS, then drop it all. */
#define DRAIN_IDLE_MS 30u
#define DRAIN_MAX_MS  200u
static void drain_invalid_replies(struct el_loader *l)
{
    uint8_t junk[14 * 8];
    uint64_t t0 = eli_port_now_ms();
    while (eli_port_now_ms() - t0 < DRAIN_MAX_MS &&
           eli_read_raw(l, junk, sizeof(junk), DRAIN_IDLE_MS) > 0) {
    }
    eli_flush_input(l);
}

int eli_wait_reply(struct el_loader *l, int op, unsigned timeout_ms, uint32_t *value,
                   const uint8_t **rdata, size_t *rlen)
{
    for (int retry = 0; retry < 100; retry++) {
        const uint8_t *f;
        size_t n;
        int rc = eli_read_frame(l, timeout_ms, &f, &n);
        if (rc != EL_OK)
            return rc;
        struct el_resp r;
        if (n < EL_HDR_LEN || el_resp_parse(f, n, &r) != EL_OK) {
            /* short, not a response, or length field beyond the frame */
            if (n >= EL_HDR_LEN && f[0] == 0x01) {
                r.op = f[1];
                r.value = el_get_le32(f + 4);
                r.data = f + EL_HDR_LEN;
                r.len = (uint16_t)(n - EL_HDR_LEN);
            } else {
                continue;
            }
        }
        size_t dlen = n - EL_HDR_LEN; /* trust the frame, not the length field */
        if (op < 0 || r.op == (uint8_t)op) {
            memcpy(l->reply, f + EL_HDR_LEN, dlen);
            l->reply_len = dlen;
            if (value)
                *value = r.value;
            if (rdata)
                *rdata = l->reply;
            if (rlen)
                *rlen = dlen;
            return EL_OK;
        }
        if (dlen >= 2 && r.data[0] != 0 && r.data[1] == EL_ROM_ERR_INVALID_MSG) {
            drain_invalid_replies(l);
            eli_event(l, EL_EV_UNSUPPORTED_CMD, op, 0, 0, NULL);
            l->last_status = 0x100u | EL_ROM_ERR_INVALID_MSG;
            return eli_fail(l, EL_E_UNSUPPORTED, "Invalid (unsupported) command 0x%02X", op);
        }
    }
    return eli_fail(l, EL_E_PROTO, "Response doesn't match request");
}

int eli_command(struct el_loader *l, uint8_t op, const uint8_t *data, size_t len, uint32_t chk,
                bool want_reply, unsigned timeout_ms, uint32_t *value, const uint8_t **rdata,
                size_t *rlen)
{
    if (value)
        *value = 0;
    if (rdata)
        *rdata = NULL;
    if (rlen)
        *rlen = 0;
    if (len > ELI_MAX_DATA)
        return eli_fail(l, EL_E_ARG, "command data too long (%zu bytes)", len);
    if (timeout_ms > l->tuning.max_timeout_ms)
        timeout_ms = l->tuning.max_timeout_ms;
    int n = el_req_build(l->pkt, sizeof(l->pkt), op, data, (uint16_t)len, chk);
    if (n < 0)
        return eli_fail(l, EL_E_ARG, "cannot build command 0x%02x", op);
    int rc = eli_send_frame(l, l->pkt, (size_t)n);
    if (rc != EL_OK || !want_reply)
        return rc;
    return eli_wait_reply(l, op, timeout_ms, value, rdata, rlen);
}

static void hexify(char *out, size_t cap, const uint8_t *b, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 3 <= cap; i++)
        o += (size_t)snprintf(out + o, cap - o, "%02x", b[i]);
    if (o < cap)
        out[o] = '\0';
}

int eli_check(struct el_loader *l, const char *what, uint8_t op, const uint8_t *data, size_t len,
              uint32_t chk, unsigned timeout_ms, uint32_t *value, const uint8_t **payload,
              size_t *plen)
{
    if (payload)
        *payload = NULL;
    if (plen)
        *plen = 0;
    const uint8_t *rd;
    size_t rl;
    uint32_t v;
    int rc = eli_command(l, op, data, len, chk, true, timeout_ms, &v, &rd, &rl);
    if (value)
        *value = v;
    if (rc != EL_OK) {
        if (rc == EL_E_TIMEOUT || rc == EL_E_PROTO) {
            char tmp[sizeof(l->errmsg)];
            snprintf(tmp, sizeof(tmp), "%s", l->errmsg);
            eli_fail(l, rc, "Failed to %s: %s", what, tmp);
        }
        return rc;
    }
    size_t sl = eli_status_len(l);
    if (rl < sl) {
        /* a short reply: take what is there (v5 reports data[0:2]) */
        if (rl >= 2 && rd[0] != 0) {
            sl = rl;
        } else if (rl < 2) {
            return eli_fail(l, EL_E_PROTO, "Failed to %s: Didn't get enough status bytes", what);
        } else {
            sl = rl;
        }
    }
    const uint8_t *st = rd + rl - sl;
    if (st[0] != 0) {
        l->last_status = ((unsigned)st[0] << 8) | st[1];
        const char *meaning = NULL;
        if (st[0] == 1)
            meaning = el_rom_err_str(st[1]);
        if (!meaning)
            meaning = el_stub_err_str(st[0]);
        char hex[16];
        hexify(hex, sizeof(hex), st, sl);
        return eli_fail(l, EL_E_DEVICE, "Failed to %s (result was %s: %s)", what, hex,
                        meaning ? meaning : "Unknown result");
    }
    if (payload)
        *payload = rd;
    if (plen)
        *plen = rl - sl;
    return EL_OK;
}

int el_loader_command(struct el_loader *l, uint8_t op, const uint8_t *data, size_t len,
                      uint32_t checksum, unsigned timeout_ms, uint32_t *value,
                      const uint8_t **payload, size_t *payload_len)
{
    if (!l)
        return EL_E_ARG;
    eli_clear_error(l);
    char what[40];
    const char *name = el_op_name(op);
    snprintf(what, sizeof(what), "run command %s", name ? name : "?");
    return eli_check(l, what, op, data, len, checksum,
                     timeout_ms ? timeout_ms : l->tuning.timeout_ms, value, payload, payload_len);
}

int el_loader_read_reg(struct el_loader *l, uint32_t addr, uint32_t *value)
{
    if (!l || !value)
        return EL_E_ARG;
    *value = 0;
    uint8_t d[4];
    el_put_le32(d, addr);
    const uint8_t *rd;
    size_t rl;
    uint32_t v;
    int rc = eli_command(l, EL_OP_READ_REG, d, 4, 0, true, l->tuning.timeout_ms, &v, &rd, &rl);
    if (rc != EL_OK)
        return rc;
    /* esptool read_reg: only data[0] != 0 is a failure (works for 2 and 4 status bytes) */
    if (rl >= 1 && rd[0] != 0) {
        l->last_status = ((unsigned)rd[0] << 8) | (rl >= 2 ? rd[1] : 0);
        const char *m = rd[0] == 1 && rl >= 2 ? el_rom_err_str(rd[1]) : el_stub_err_str(rd[0]);
        return eli_fail(l, EL_E_DEVICE,
                        "Failed to read register address %08x (result was %04x: %s)", addr,
                        l->last_status, m ? m : "Unknown result");
    }
    *value = v;
    return EL_OK;
}

/* UART_DATE_REG per chip (esptool targets: ESP32/S2 0x60000078, S3 0x60000080, C-series
 * and H2 0x6000007C). */
static uint32_t uart_date_reg(const struct el_loader *l)
{
    switch (l->chip ? l->chip->id : EL_CHIP_ESP32) {
    case EL_CHIP_ESP32S3:
        return 0x60000080u;
    case EL_CHIP_ESP32C3:
    case EL_CHIP_ESP32C6:
    case EL_CHIP_ESP32H2:
    case EL_CHIP_ESP32C2:
        return 0x6000007Cu;
    default:
        return 0x60000078u;
    }
}

int el_loader_write_reg(struct el_loader *l, uint32_t addr, uint32_t value, uint32_t mask,
                        uint32_t delay_us)
{
    if (!l)
        return EL_E_ARG;
    uint8_t d[32];
    size_t n = 16;
    el_put_le32(d, addr);
    el_put_le32(d + 4, value);
    el_put_le32(d + 8, mask);
    el_put_le32(d + 12, 0);
    if (delay_us) {
        /* esptool: a second, harmless write to UART_DATE_REG carries the delay */
        el_put_le32(d + 16, uart_date_reg(l));
        el_put_le32(d + 20, 0);
        el_put_le32(d + 24, 0);
        el_put_le32(d + 28, delay_us);
        n = 32;
    }
    char what[64];
    snprintf(what, sizeof(what), "write target memory");
    return eli_check(l, what, EL_OP_WRITE_REG, d, n, 0, l->tuning.timeout_ms, NULL, NULL, NULL);
}
