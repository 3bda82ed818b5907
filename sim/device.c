/* SPDX-License-Identifier: MIT */
/*
 * The device core: clock, UART queues in both directions, baud handling, modem lines and
 * reset circuit, timed events, and dispatch of host bytes to whatever runs on the chip.
 */
#include "elsim_int.h"
#include "espload/proto.h"

#include <stdlib.h>
#include <string.h>

#define BAUD_TOLERANCE_PERMILLE 25     /* a UART copes with about 2.5 % rate error */
#define LOOP_LINE_US            40000u /* "invalid header" lines ~40 ms apart */
#define LOOP_LINES              8u
#define CSUM_WDT_US             300000u

uint64_t eli_sim_byte_us(uint32_t baud)
{
    if (!baud)
        baud = 115200;
    return (10000000ull + baud - 1) / baud; /* 10 bits per byte (8N1) */
}

static bool baud_mismatch(uint32_t a, uint32_t b)
{
    if (!a || !b)
        return false;
    uint64_t diff = a > b ? a - b : b - a;
    return diff * 1000u > (uint64_t)b * BAUD_TOLERANCE_PERMILLE;
}

/* What a UART sampling at the wrong rate makes of a byte: deterministic, rate dependent. */
static uint8_t garble(uint8_t b, uint32_t sent_baud, uint32_t rx_baud)
{
    uint32_t h = (sent_baud * 2654435761u) ^ (rx_baud * 40503u);
    uint8_t g = (uint8_t)((b * 167u + (h >> 13)) ^ (h >> 5));
    if (g == b)
        g ^= 0x5A;
    return g;
}

/* A USB-UART bridge that cannot make the host's rate (option max-baud) puts garbage on the
 * wire in both directions. */
static bool bridge_too_fast(const struct elsim *d, uint32_t host_baud)
{
    return d->cfg.max_baud && host_baud > d->cfg.max_baud;
}

static uint32_t banner_baud(const struct elsim *d)
{
    /* The ROM prints at 115200 with a 40 MHz crystal; its divider is fixed, so a 26 MHz
     * crystal gives 74880. */
    return (uint32_t)(115200ull * d->cfg.crystal_mhz / 40u);
}

void eli_sim_schedule(struct elsim *d, enum elsim_event ev, uint64_t t)
{
    d->ev[ev] = t;
}

static void cancel_all(struct elsim *d)
{
    for (int i = 0; i < ELSIM_EV_COUNT; i++)
        d->ev[i] = UINT64_MAX;
}

void eli_sim_emit(struct elsim *d, const uint8_t *buf, size_t len, uint64_t t)
{
    if (d->state == ELSIM_ST_GONE)
        return;
    eli_tr_bytes(d, true, buf, len, t);
    for (size_t i = 0; i < len; i++) {
        uint64_t start = t > d->tx_free ? t : d->tx_free;
        uint64_t done = d->cfg.timing ? start + eli_sim_byte_us(d->baud) : start;
        d->tx_free = done;
        d->st.bytes_out++;
        if (d->out_len >= ELSIM_OUT_CAP)
            continue; /* nobody reads: the host's buffer overflows */
        size_t pos = (d->out_head + d->out_len) % ELSIM_OUT_CAP;
        d->out[pos].b = buf[i];
        d->out[pos].t = done + (d->cfg.timing ? d->cfg.usb_latency_us : 0);
        d->out[pos].baud = d->baud;
        d->out_len++;
    }
}

void eli_sim_emit_str(struct elsim *d, const char *s, uint64_t t)
{
    eli_sim_emit(d, (const uint8_t *)s, strlen(s), t);
}

void eli_sim_send_frame(struct elsim *d, const uint8_t *pkt, size_t len, uint64_t t)
{
    uint8_t stackbuf[256];
    size_t cap = el_slip_max_encoded(len);
    uint8_t *enc = cap <= sizeof(stackbuf) ? stackbuf : malloc(cap);
    if (!enc)
        return;
    size_t n = el_slip_encode(pkt, len, enc, cap);
    eli_sim_emit(d, enc, n, t);
    d->st.frames_out++;
    if (enc != stackbuf)
        free(enc);
}

/* The chip comes out of reset: strapping pins are latched and the ROM starts. */
static void chip_start(struct elsim *d, uint8_t cause, uint64_t t)
{
    eli_rom_free(d);
    eli_stub_free(d);
    cancel_all(d);
    d->rst_cause = cause;
    d->baud = banner_baud(d);
    d->busy_until = t;
    d->fifo_fill = 0;
    d->attached = false;
    d->wel = false;
    d->rom_flash_size = 2u << 20;
    d->strap_download = !d->io0;
    if (d->strap_download) {
        eli_boot_banner(d, true, t);
        eli_rom_enter(d);
        d->state = ELSIM_ST_ROM;
    } else {
        eli_boot_banner(d, false, t);
        eli_boot_flash(d, t);
    }
}

void eli_sim_restart(struct elsim *d, uint8_t cause, uint64_t t)
{
    chip_start(d, cause, t);
}

void eli_sim_set_busy(struct elsim *d, uint64_t t)
{
    if (t <= d->busy_until)
        return;
    d->busy_until = t;
    if (d->state != ELSIM_ST_ROM)
        return;
    /* bytes already on their way that arrive while the ROM is busy: the RX FIFO keeps the
     * first 128, the rest are lost */
    unsigned kept = 0;
    for (size_t i = 0; i < d->in_len; i++) {
        struct elsim_in *in = &d->in[(d->in_head + i) % ELSIM_IN_CAP];
        if (in->t >= t)
            break;
        if (in->lost)
            continue;
        if (kept < ELSIM_ROM_FIFO)
            kept++;
        else
            in->lost = true;
    }
    d->fifo_fill = kept;
}

void eli_sim_reboot(struct elsim *d, uint8_t cause, uint64_t t)
{
    /* software reset: straps stay latched from the last chip reset */
    bool io0 = d->io0;
    d->io0 = !d->strap_download;
    chip_start(d, cause, t);
    d->io0 = io0;
}

static void fire_event(struct elsim *d, enum elsim_event ev, uint64_t t)
{
    d->ev[ev] = UINT64_MAX;
    switch (ev) {
    case ELSIM_EV_BOOT:
        if (d->en_was_low && d->cfg.r0_wdt_ms > 0 && d->r0_quirk) {
            /* Revision-0 ESP32 (esptool's "esp32r0" workaround, esptool#136): after an EN
             * reset the chip hangs until a spurious RTC watchdog reset, which latches the
             * strapping pins again. Only a host that still holds IO0 low then gets
             * download mode. */
            d->en_was_low = false;
            d->state = ELSIM_ST_BOOT;
            d->r0_hung = true;
            /* the ROM gets as far as the reset line, then hangs (seed board log) */
            d->rst_cause = 0x01;
            d->baud = banner_baud(d);
            d->strap_download = !d->io0;
            eli_boot_banner_rst(d, d->strap_download, t);
            eli_sim_schedule(d, ELSIM_EV_WDT, t + (uint64_t)d->cfg.r0_wdt_ms * 1000u);
            return;
        }
        d->en_was_low = false;
        chip_start(d, 0x01, t);
        break;
    case ELSIM_EV_WDT:
        d->r0_hung = false;
        chip_start(d, 0x10, t);
        break;
    case ELSIM_EV_LOOPLINE:
        eli_sim_emit_str(d, d->loop_text, t);
        if (++d->loop_lines < LOOP_LINES)
            eli_sim_schedule(d, ELSIM_EV_LOOPLINE, t + LOOP_LINE_US);
        else
            eli_sim_schedule(d, ELSIM_EV_WDT, t + LOOP_LINE_US / 4);
        break;
    case ELSIM_EV_GREET:
        if (eli_stub_start(d, t)) {
            d->state = ELSIM_ST_APP; /* code we cannot run: quiet */
        }
        break;
    default:
        break;
    }
}

/* Starts the "invalid header" style boot loop: a line now and every 40 ms, then a
 * watchdog reset that starts over. */
void eli_boot_loop(struct elsim *d, const char *line, uint64_t t)
{
    snprintf(d->loop_text, sizeof(d->loop_text), "%s", line);
    d->loop_lines = 0;
    d->state = ELSIM_ST_BOOT;
    eli_sim_schedule(d, ELSIM_EV_LOOPLINE, t);
}

/* A fatal ROM boot error: message, then a watchdog reset after a while. */
void eli_boot_fatal(struct elsim *d, const char *msg, uint64_t t)
{
    eli_sim_emit_str(d, msg, t);
    d->state = ELSIM_ST_BOOT;
    eli_sim_schedule(d, ELSIM_EV_WDT, t + CSUM_WDT_US);
}

/* Observes a host byte as delivered (after faults/garbling): transcript, counters and
 * frame-level faults. Returns false if the byte must not reach the consumer. */
static bool observe(struct elsim *d, uint8_t b, uint64_t t)
{
    d->frame_done = false;
    enum el_slip_event ev = el_slip_dec_feed(&d->tr_in, b);
    if (ev != EL_SLIP_FRAME)
        return true;
    const uint8_t *f = d->tr_in.buf;
    size_t n = d->tr_in.len;
    d->st.frames_in++;
    eli_tr_frame(d, false, f, n, t);
    d->frame_done = true;
    d->frame_done_op = n >= 8 && f[0] == 0x00 ? f[1] : -1;
    d->frame_done_len = n;
    if (n < 8 || f[0] != 0x00)
        return true;
    if (d->state != ELSIM_ST_ROM && d->state != ELSIM_ST_STUB)
        return true;
    uint8_t op = f[1];
    d->op_count[op]++;
    struct elsim_fault *fault = eli_fault_on_frame(d, op);
    if (!fault)
        return true;
    if (fault->kind == ELSIM_FAULT_RESET) {
        eli_tr_note(d, "fault reset", t);
        /* EN-style reset in the middle of the command: the command is never executed */
        d->io0 = true;
        chip_start(d, 0x01, t);
        d->io0 = !(d->dtr && !d->rts);
        return false;
    }
    eli_tr_note(d, "fault status", t);
    d->pending_status = fault->code >= 0 ? fault->code : -2;
    return true;
}

static void consume(struct elsim *d, const struct elsim_in *in, uint64_t t)
{
    if (in->lost) {
        d->st.bytes_lost++;
        return;
    }
    d->st.bytes_in++;
    if (d->state == ELSIM_ST_GONE || d->state == ELSIM_ST_STALL)
        return;
    if (d->state == ELSIM_ST_ROM && !d->rom_locked && in->baud != d->baud &&
        (in->baud == 115200 || in->baud == 9600 || in->baud == 57600 || in->baud == 74880 ||
         in->baud == 230400 || in->baud == 460800 || in->baud == 921600 || in->baud == 19200 ||
         in->baud == 38400)) {
        /* ROM autobaud: it measures the host's rate (SYNC preamble) and follows it */
        d->baud = in->baud;
    }
    int v = in->b;
    if (baud_mismatch(in->baud, d->baud))
        v = garble(in->b, in->baud, d->baud);
    else if (bridge_too_fast(d, in->baud))
        v = garble(in->b, in->baud, d->cfg.max_baud);
    v = eli_fault_on_byte(d, (uint8_t)v);
    if (v < 0 || d->state == ELSIM_ST_GONE || d->state == ELSIM_ST_STALL)
        return;
    if (!observe(d, (uint8_t)v, t))
        return;
    switch (d->state) {
    case ELSIM_ST_ROM:
        eli_rom_rx(d, (uint8_t)v, t);
        break;
    case ELSIM_ST_STUB:
        eli_stub_rx(d, (uint8_t)v, t);
        break;
    default:
        break; /* in reset, booting, or running an application that ignores the UART */
    }
}

static void run_until(struct elsim *d, uint64_t target)
{
    for (;;) {
        uint64_t t_in = UINT64_MAX;
        if (d->in_len) {
            const struct elsim_in *in = &d->in[d->in_head];
            t_in = in->t;
            if (!in->lost && (d->state == ELSIM_ST_ROM || d->state == ELSIM_ST_STUB) &&
                d->busy_until > t_in)
                t_in = d->busy_until;
        }
        uint64_t t_ev = UINT64_MAX;
        int which = -1;
        for (int i = 0; i < ELSIM_EV_COUNT; i++)
            if (d->ev[i] < t_ev) {
                t_ev = d->ev[i];
                which = i;
            }
        uint64_t t = t_in < t_ev ? t_in : t_ev;
        if (t == UINT64_MAX || t > target)
            break;
        if (t > d->now)
            d->now = t;
        if (which >= 0 && t_ev <= t_in) {
            fire_event(d, (enum elsim_event)which, t);
            continue;
        }
        struct elsim_in in = d->in[d->in_head];
        d->in_head = (d->in_head + 1) % ELSIM_IN_CAP;
        d->in_len--;
        consume(d, &in, t);
    }
    if (target > d->now)
        d->now = target;
}

/* ------------------------------------------------------------------ public API */

struct elsim *elsim_new(const struct elsim_cfg *cfg, char *err, size_t errlen)
{
    char dummy[8];
    if (!err || !errlen) {
        err = dummy;
        errlen = sizeof(dummy);
    }
    err[0] = '\0';
    if (!cfg || !cfg->chip) {
        snprintf(err, errlen, "no device configuration given");
        return NULL;
    }
    struct elsim *d = calloc(1, sizeof(*d));
    if (!d) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    d->cfg = *cfg;
    for (size_t i = 0; i < d->cfg.n_faults; i++)
        d->cfg.faults[i].fired = false;
    d->chip = cfg->chip;
    if (!d->cfg.jedec_set) {
        d->cfg.jedec_id = 0xC84000u; /* GigaDevice GD25Qxx; capacity from the size */
    }
    d->in = calloc(ELSIM_IN_CAP, sizeof(*d->in));
    d->out = calloc(ELSIM_OUT_CAP, sizeof(*d->out));
    d->frame = malloc(ELSIM_STUB_MAX_FRAME);
    d->tr_in_buf = malloc(ELSIM_STUB_MAX_FRAME);
    d->tr_out_buf = malloc(ELSIM_STUB_MAX_FRAME);
    if (!d->in || !d->out || !d->frame || !d->tr_in_buf || !d->tr_out_buf) {
        snprintf(err, errlen, "out of memory");
        elsim_free(d);
        return NULL;
    }
    el_slip_dec_init(&d->tr_in, d->tr_in_buf, ELSIM_STUB_MAX_FRAME);
    el_slip_dec_init(&d->tr_out, d->tr_out_buf, ELSIM_STUB_MAX_FRAME);
    if (eli_flash_init(d, err, errlen)) {
        elsim_free(d);
        return NULL;
    }
    if (!d->cfg.jedec_set) {
        unsigned cap = 0;
        while ((1u << cap) < d->flash_size)
            cap++;
        d->cfg.jedec_id |= cap; /* 4 MB -> 0x16 */
    }
    eli_regs_init(d);
    d->r0_quirk = d->chip->id == EL_CHIP_ESP32 && d->rev_major == 0;
    if (d->cfg.r0_wdt_ms < 0)
        d->cfg.r0_wdt_ms = d->r0_quirk ? 300 : 0;
    if (d->cfg.transcript_path[0] && eli_tr_open(d)) {
        snprintf(err, errlen, "cannot open transcript file '%s'", d->cfg.transcript_path);
        elsim_free(d);
        return NULL;
    }
    cancel_all(d);
    d->host_baud = 115200;
    d->en = true;
    d->io0 = true;
    d->pending_status = -1;
    /* power-on: the chip boots from flash */
    chip_start(d, 0x01, 0);
    return d;
}

void elsim_free(struct elsim *dev)
{
    if (!dev)
        return;
    if (dev->flash)
        eli_flash_save(dev);
    eli_rom_free(dev);
    eli_stub_free(dev);
    eli_tr_close(dev);
    eli_ram_free(dev);
    free(dev->flash);
    free(dev->in);
    free(dev->out);
    free(dev->frame);
    free(dev->tr_in_buf);
    free(dev->tr_out_buf);
    free(dev);
}

void elsim_host_write(struct elsim *dev, const uint8_t *buf, size_t len, uint32_t host_baud)
{
    if (!dev || !buf)
        return;
    if (!host_baud)
        host_baud = 115200;
    dev->host_baud = host_baud;
    for (size_t i = 0; i < len; i++) {
        uint64_t start = dev->now > dev->rx_free ? dev->now : dev->rx_free;
        uint64_t t = dev->cfg.timing ? start + eli_sim_byte_us(host_baud) : start;
        dev->rx_free = t;
        if (dev->in_len >= ELSIM_IN_CAP) {
            dev->st.bytes_lost++;
            continue;
        }
        size_t pos = (dev->in_head + dev->in_len) % ELSIM_IN_CAP;
        dev->in[pos].b = buf[i];
        dev->in[pos].t = t;
        dev->in[pos].baud = host_baud;
        dev->in[pos].lost = false;
        if (dev->state == ELSIM_ST_ROM && t < dev->busy_until) {
            if (dev->fifo_fill < ELSIM_ROM_FIFO)
                dev->fifo_fill++;
            else
                dev->in[pos].lost = true;
        }
        dev->in_len++;
    }
    run_until(dev, dev->now);
}

uint64_t elsim_host_write_done_us(const struct elsim *dev)
{
    if (!dev)
        return 0;
    return dev->rx_free > dev->now ? dev->rx_free : dev->now;
}

void elsim_set_host_baud(struct elsim *dev, uint32_t host_baud)
{
    if (dev && host_baud)
        dev->host_baud = host_baud;
}

size_t elsim_host_read(struct elsim *dev, uint8_t *buf, size_t cap)
{
    size_t n = 0;
    if (!dev || !buf)
        return 0;
    run_until(dev, dev->now);
    if (dev->state == ELSIM_ST_GONE)
        return 0;
    while (n < cap && dev->out_len && dev->out[dev->out_head].t <= dev->now) {
        const struct elsim_out *o = &dev->out[dev->out_head];
        uint8_t b = o->b;
        if (baud_mismatch(o->baud, dev->host_baud))
            b = garble(b, o->baud, dev->host_baud);
        else if (bridge_too_fast(dev, dev->host_baud))
            b = garble(b, dev->host_baud, dev->cfg.max_baud);
        buf[n++] = b;
        dev->out_head = (dev->out_head + 1) % ELSIM_OUT_CAP;
        dev->out_len--;
    }
    return n;
}

uint64_t elsim_next_output_us(const struct elsim *dev)
{
    if (!dev || dev->state == ELSIM_ST_GONE)
        return UINT64_MAX;
    uint64_t t = dev->out_len ? dev->out[dev->out_head].t : UINT64_MAX;
    /* pending work that will produce output also counts as a wake-up point */
    for (int i = 0; i < ELSIM_EV_COUNT; i++)
        if (dev->ev[i] < t)
            t = dev->ev[i];
    if (dev->in_len) {
        uint64_t ti = dev->in[dev->in_head].t;
        if (dev->busy_until > ti)
            ti = dev->busy_until;
        if (ti < t)
            t = ti;
    }
    return t;
}

void elsim_set_lines(struct elsim *dev, bool dtr, bool rts)
{
    if (!dev)
        return;
    run_until(dev, dev->now);
    dev->dtr = dtr;
    dev->rts = rts;
    /* two-transistor auto-program circuit (esptool reset.py): DTR asserted alone pulls IO0
     * low, RTS asserted alone pulls EN low, equal states leave both high */
    bool en = !(rts && !dtr);
    bool io0 = !(dtr && !rts);
    dev->io0 = io0;
    if (en == dev->en)
        return;
    dev->en = en;
    if (dev->state == ELSIM_ST_GONE)
        return;
    if (!en) {
        eli_rom_free(dev);
        eli_stub_free(dev);
        cancel_all(dev);
        dev->state = ELSIM_ST_RESET;
        dev->en_was_low = true;
        eli_tr_note(dev, "EN low", dev->now);
    } else {
        eli_tr_note(dev, "EN high", dev->now);
        eli_sim_schedule(dev, ELSIM_EV_BOOT, dev->now + dev->cfg.en_delay_us);
    }
}

uint64_t elsim_now_us(const struct elsim *dev)
{
    return dev ? dev->now : 0;
}

void elsim_advance(struct elsim *dev, uint64_t us)
{
    if (!dev)
        return;
    uint64_t target = dev->now + us;
    if (target < dev->now)
        target = UINT64_MAX - 1;
    run_until(dev, target);
}

void elsim_get_stats(const struct elsim *dev, struct elsim_stats *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof(*out));
    if (!dev)
        return;
    *out = dev->st;
    out->modelled_us = dev->now;
    out->baud = dev->baud;
}

const uint8_t *elsim_flash(const struct elsim *dev, size_t *size_out)
{
    if (size_out)
        *size_out = dev ? dev->flash_size : 0;
    return dev ? dev->flash : NULL;
}

int elsim_flash_save(struct elsim *dev)
{
    return dev ? eli_flash_save(dev) : -1;
}

const char *elsim_state_name(const struct elsim *dev)
{
    if (!dev)
        return "reset";
    switch (dev->state) {
    case ELSIM_ST_ROM:
        return "rom";
    case ELSIM_ST_STUB:
        return "stub";
    case ELSIM_ST_APP:
        return "app";
    case ELSIM_ST_BOOT:
        return "boot";
    case ELSIM_ST_STALL:
        return "stalled";
    case ELSIM_ST_GONE:
        return "gone";
    default:
        return "reset";
    }
}

int elsim_usb_ids(const struct elsim *dev, uint16_t *vid, uint16_t *pid)
{
    if (vid)
        *vid = 0;
    if (pid)
        *pid = 0;
    if (!dev || !dev->cfg.usb_set)
        return -1;
    if (vid)
        *vid = dev->cfg.usb_vid;
    if (pid)
        *pid = dev->cfg.usb_pid;
    return 0;
}

bool elsim_gone(const struct elsim *dev)
{
    return dev && dev->state == ELSIM_ST_GONE;
}
