/* SPDX-License-Identifier: MIT */
/*
 * sim://CHIP?KEY=VALUE&...: the virtual device in-process. The port owns the device and
 * its clock: reads return bytes whose modelled time has come, advancing the virtual clock
 * (never sleeping) up to the timeout; sleeps advance the clock. With the device's timing
 * model off, commands are answered instantly.
 */
#include "port_int.h"
#include "elsim.h"
#include "espload/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sim_port {
    struct elsim *dev;
    bool dtr, rts;
};

static int fail(struct el_port *p, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct el_port *p, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->errmsg, sizeof(p->errmsg), fmt, ap);
    va_end(ap);
    return code;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Copies s[0..n) into out, decoding %XX and '+'. Returns -1 if it does not fit. */
static int pct_decode(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%' && i + 2 < n + 0 && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            c = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else if (c == '+') {
            c = ' ';
        }
        if (o + 1 >= cap)
            return -1;
        out[o++] = c;
    }
    out[o] = '\0';
    return 0;
}

static int sim_open(struct el_port *p, const char *target, const struct el_port_cfg *cfg)
{
    char chip[32], key[64], val[1100], err[256];
    const char *q = strchr(target, '?');
    size_t clen = q ? (size_t)(q - target) : strlen(target);
    while (clen && target[clen - 1] == '/')
        clen--;
    if (clen == 0) {
        snprintf(chip, sizeof(chip), "esp32");
    } else if (pct_decode(target, clen, chip, sizeof(chip))) {
        return fail(p, EL_E_ARG, "cannot open 'sim://%s': chip name too long", target);
    }
    struct elsim_cfg *sc = elsim_cfg_new(chip);
    if (!sc)
        return fail(p, EL_E_ARG,
                    "cannot open 'sim://%s': unknown chip '%s'; use sim://esp32 or "
                    "another modelled chip",
                    target, chip);
    const char *s = q ? q + 1 : "";
    while (*s) {
        const char *amp = strchr(s, '&');
        size_t n = amp ? (size_t)(amp - s) : strlen(s);
        if (n) {
            const char *eq = memchr(s, '=', n);
            size_t kn = eq ? (size_t)(eq - s) : n;
            const char *v = eq ? eq + 1 : "";
            size_t vn = eq ? n - kn - 1 : 0;
            if (pct_decode(s, kn, key, sizeof(key)) || pct_decode(v, vn, val, sizeof(val))) {
                elsim_cfg_free(sc);
                return fail(p, EL_E_ARG, "cannot open 'sim://%s': option too long", target);
            }
            if (elsim_cfg_set(sc, key, eq ? val : "1", err, sizeof(err))) {
                elsim_cfg_free(sc);
                return fail(p, EL_E_ARG, "cannot open 'sim://%s': %s", target, err);
            }
        }
        s += n;
        if (*s == '&')
            s++;
    }
    struct sim_port *sp = calloc(1, sizeof(*sp));
    if (!sp) {
        elsim_cfg_free(sc);
        return fail(p, EL_E_NOMEM, "cannot open 'sim://%s': out of memory", target);
    }
    sp->dev = elsim_new(sc, err, sizeof(err));
    elsim_cfg_free(sc);
    if (!sp->dev) {
        free(sp);
        return fail(p, EL_E_PORT, "cannot open 'sim://%s': %s", target, err);
    }
    p->impl = sp;
    p->baud = (cfg && cfg->baud) ? cfg->baud : 115200;
    elsim_set_host_baud(sp->dev, p->baud);
    return EL_OK;
}

static void sim_close(struct el_port *p)
{
    struct sim_port *sp = p->impl;
    if (!sp)
        return;
    elsim_free(sp->dev);
    free(sp);
    p->impl = NULL;
}

static int gone(struct el_port *p)
{
    return fail(p, EL_E_IO, "device disconnected (the virtual device vanished); reconnect it");
}

static int sim_read(struct el_port *p, void *buf, size_t len, unsigned timeout_ms)
{
    struct sim_port *sp = p->impl;
    if (elsim_gone(sp->dev))
        return gone(p);
    if (len == 0)
        return 0;
    if (len > 0x7FFFFFFF)
        len = 0x7FFFFFFF;
    size_t n = elsim_host_read(sp->dev, buf, len);
    if (n)
        return (int)n;
    uint64_t deadline = elsim_now_us(sp->dev) + (uint64_t)timeout_ms * 1000u;
    for (;;) {
        uint64_t now = elsim_now_us(sp->dev);
        uint64_t next = elsim_next_output_us(sp->dev);
        if (next <= now)
            next = now;
        if (next > deadline)
            next = deadline;
        elsim_advance(sp->dev, next - now);
        if (elsim_gone(sp->dev))
            return gone(p);
        n = elsim_host_read(sp->dev, buf, len);
        if (n)
            return (int)n;
        if (elsim_now_us(sp->dev) >= deadline)
            return 0;
        if (next == now) /* something due now produced nothing: step on */
            elsim_advance(sp->dev, 1);
    }
}

static int sim_write(struct el_port *p, const void *buf, size_t len, unsigned timeout_ms)
{
    struct sim_port *sp = p->impl;
    (void)timeout_ms;
    if (elsim_gone(sp->dev))
        return gone(p);
    elsim_host_write(sp->dev, buf, len, p->baud);
    /* the write returns when the bytes have left (wire time, with the timing model on) */
    uint64_t done = elsim_host_write_done_us(sp->dev);
    uint64_t now = elsim_now_us(sp->dev);
    if (done > now)
        elsim_advance(sp->dev, done - now);
    return elsim_gone(sp->dev) ? gone(p) : EL_OK;
}

static int sim_flush_input(struct el_port *p)
{
    struct sim_port *sp = p->impl;
    uint8_t tmp[256];
    while (elsim_host_read(sp->dev, tmp, sizeof(tmp)) > 0)
        ;
    return EL_OK;
}

static int sim_drain(struct el_port *p)
{
    (void)p;
    return EL_OK;
}

static int sim_set_baud(struct el_port *p, unsigned baud)
{
    struct sim_port *sp = p->impl;
    if (!baud)
        return fail(p, EL_E_ARG, "baud rate 0 is not valid");
    p->baud = baud;
    elsim_set_host_baud(sp->dev, baud);
    return EL_OK;
}

static int sim_set_lines(struct el_port *p, int dtr, int rts)
{
    struct sim_port *sp = p->impl;
    if (dtr >= 0)
        sp->dtr = dtr != 0;
    if (rts >= 0)
        sp->rts = rts != 0;
    elsim_set_lines(sp->dev, sp->dtr, sp->rts);
    return EL_OK;
}

static void sim_sleep_ms(struct el_port *p, unsigned ms)
{
    struct sim_port *sp = p->impl;
    elsim_advance(sp->dev, (uint64_t)ms * 1000u);
}

/* the modelled USB-UART bridge (option usb=VID:PID); none: like a plain UART */
static int sim_usb_ids(const struct el_port *p, uint16_t *vid, uint16_t *pid)
{
    const struct sim_port *sp = p->impl;
    if (!sp || elsim_usb_ids(sp->dev, vid, pid) != 0)
        return EL_E_UNSUPPORTED;
    return EL_OK;
}

static void *sim_device(struct el_port *p)
{
    struct sim_port *sp = p->impl;
    return sp ? sp->dev : NULL;
}

const struct eli_port_ops eli_sim_ops = {
    .kind = "sim",
    .open = sim_open,
    .close = sim_close,
    .read = sim_read,
    .write = sim_write,
    .flush_input = sim_flush_input,
    .drain = sim_drain,
    .set_baud = sim_set_baud,
    .set_lines = sim_set_lines,
    .sleep_ms = sim_sleep_ms,
    .usb_ids = sim_usb_ids,
    .sim_device = sim_device,
};
