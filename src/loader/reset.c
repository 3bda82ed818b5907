/* SPDX-License-Identifier: MIT */
/*
 * Reset strategies (esptool reset.py): DTR drives GPIO0 and RTS drives EN through the
 * usual two-transistor auto-program circuit; "asserted" (true) = pin pulled low.
 */
#include "loader/loader_int.h"

#include "espload/err.h"
#include "espload/port.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool name_eq(const char *a, const char *b)
{
    /* underscores and dashes are the same (v4 and v5 spellings) */
    for (; *a && *b; a++, b++) {
        char x = *a == '_' ? '-' : (char)tolower((unsigned char)*a);
        char y = *b == '_' ? '-' : (char)tolower((unsigned char)*b);
        if (x != y)
            return false;
    }
    return *a == *b;
}

static const char *const before_names[] = {"default-reset", "usb-reset", "no-reset",
                                           "no-reset-no-sync"};
static const char *const after_names[] = {"hard-reset", "soft-reset", "no-reset", "no-reset-stub",
                                          "watchdog-reset"};

int el_before_parse(const char *s, enum el_before *out)
{
    if (!s || !out)
        return EL_E_ARG;
    for (size_t i = 0; i < sizeof(before_names) / sizeof(before_names[0]); i++) {
        if (name_eq(s, before_names[i])) {
            *out = (enum el_before)i;
            return EL_OK;
        }
    }
    return EL_E_ARG;
}

int el_after_parse(const char *s, enum el_after *out)
{
    if (!s || !out)
        return EL_E_ARG;
    for (size_t i = 0; i < sizeof(after_names) / sizeof(after_names[0]); i++) {
        if (name_eq(s, after_names[i])) {
            *out = (enum el_after)i;
            return EL_OK;
        }
    }
    return EL_E_ARG;
}

const char *el_before_name(enum el_before b)
{
    return (unsigned)b < sizeof(before_names) / sizeof(before_names[0]) ? before_names[b] : "?";
}

const char *el_after_name(enum el_after a)
{
    return (unsigned)a < sizeof(after_names) / sizeof(after_names[0]) ? after_names[a] : "?";
}

/* ---------------------------------------------------------------------------------- */

static int parse_bit(const char *p, const char **end, bool *v)
{
    if (*p == '0' || *p == '1') {
        *v = *p == '1';
        *end = p + 1;
        return 0;
    }
    /* esptool passes the argument to Python: True/False work there too */
    if (strncmp(p, "True", 4) == 0 || strncmp(p, "False", 5) == 0) {
        *v = *p == 'T';
        *end = p + (*v ? 4 : 5);
        return 0;
    }
    return -1;
}

static int parse_wait(const char *p, const char *stop, unsigned *ms)
{
    /* positive decimal number of seconds, e.g. 0.1, 1, .05 */
    unsigned long ip = 0, frac = 0, scale = 1;
    bool any = false, dot = false;
    for (; p < stop; p++) {
        if (*p == '.' && !dot) {
            dot = true;
            continue;
        }
        if (!isdigit((unsigned char)*p))
            return -1;
        any = true;
        if (!dot) {
            ip = ip * 10 + (unsigned long)(*p - '0');
            if (ip > 3600)
                return -1;
        } else if (scale < 1000000) {
            frac = frac * 10 + (unsigned long)(*p - '0');
            scale *= 10;
        }
    }
    if (!any)
        return -1;
    /* round to the nearest millisecond */
    unsigned long f_ms = (frac * 1000 + scale / 2) / scale;
    *ms = (unsigned)(ip * 1000 + f_ms);
    return 0;
}

int el_reset_parse(const char *s, struct el_reset_step *steps, size_t cap, size_t *n_out, char *err,
                   size_t errlen)
{
    if (n_out)
        *n_out = 0;
    if (err && errlen)
        err[0] = '\0';
    if (!s || !steps || !n_out)
        return EL_E_ARG;
    size_t n = 0;
    const char *p = s;
    for (;;) {
        const char *bar = strchr(p, '|');
        const char *stop = bar ? bar : p + strlen(p);
        int len = (int)(stop - p);
        struct el_reset_step st = {0};
        const char *end = NULL;
        bool ok = false;
        if (len >= 1) {
            switch (*p) {
            case 'D':
                st.op = EL_RST_DTR;
                ok = parse_bit(p + 1, &end, &st.dtr) == 0 && end == stop;
                break;
            case 'R':
                st.op = EL_RST_RTS;
                ok = parse_bit(p + 1, &end, &st.rts) == 0 && end == stop;
                break;
            case 'U':
                st.op = EL_RST_BOTH;
                ok = parse_bit(p + 1, &end, &st.dtr) == 0 && *end == ',' &&
                     parse_bit(end + 1, &end, &st.rts) == 0 && end == stop;
                break;
            case 'W':
                st.op = EL_RST_WAIT;
                ok = parse_wait(p + 1, stop, &st.wait_ms) == 0;
                break;
            default:
                break;
            }
        }
        if (!ok) {
            if (err && errlen)
                snprintf(err, errlen,
                         "Invalid \"custom_reset_sequence\" option format: bad command '%.*s' "
                         "(expected D0/D1, R0/R1, U<dtr>,<rts> or W<seconds>, separated by '|')",
                         len > 40 ? 40 : len, p);
            return EL_E_ARG;
        }
        if (n >= cap) {
            if (err && errlen)
                snprintf(err, errlen, "reset sequence has more than %zu steps", cap);
            return EL_E_ARG;
        }
        steps[n++] = st;
        if (!bar)
            break;
        p = bar + 1;
    }
    *n_out = n;
    return EL_OK;
}

int el_reset_run(struct el_port *p, const struct el_reset_step *steps, size_t n)
{
    if (!p || (n && !steps))
        return EL_E_ARG;
    bool dtr = false; /* last DTR value we set, for the DTR re-write after RTS */
    bool dtr_known = false;
    for (size_t i = 0; i < n; i++) {
        int rc = EL_OK;
        switch (steps[i].op) {
        case EL_RST_DTR:
            rc = el_port_set_lines(p, steps[i].dtr, -1);
            dtr = steps[i].dtr;
            dtr_known = true;
            break;
        case EL_RST_RTS:
            rc = el_port_set_lines(p, -1, steps[i].rts);
            /* Windows usbser.sys only propagates DTR with an RTS change: re-write DTR */
            if (rc == EL_OK && dtr_known)
                rc = el_port_set_lines(p, dtr, -1);
            break;
        case EL_RST_BOTH:
            rc = el_port_set_lines(p, steps[i].dtr, steps[i].rts);
            dtr = steps[i].dtr;
            dtr_known = true;
            break;
        case EL_RST_WAIT:
            el_port_sleep_ms(p, steps[i].wait_ms);
            break;
        default:
            return EL_E_ARG;
        }
        if (rc != EL_OK)
            return rc;
    }
    return EL_OK;
}

/* Finds pat in b[0..n) at or after from; returns its offset or n. */
static size_t find(const uint8_t *b, size_t n, size_t from, const char *pat)
{
    size_t m = strlen(pat);
    for (size_t i = from; i + m <= n; i++)
        if (memcmp(b + i, pat, m) == 0)
            return i;
    return n;
}

bool eli_banner_waiting(const uint8_t *b, size_t n)
{
    size_t i = find(b, n, 0, "boot:0x");
    return i < n && find(b, n, i, "waiting for download") < n;
}

#define WATCH_SLICE_MS 10u

int eli_reset_run_watch(struct el_loader *l, const struct el_reset_step *steps, size_t n,
                        uint8_t *buf, size_t cap, size_t *got)
{
    *got = 0;
    if (!l || (n && !steps) || !buf)
        return EL_E_ARG;
    struct el_port *p = l->port;
    bool dtr = false, rts = false, dtr_known = false, rts_known = false;
    for (size_t i = 0; i < n; i++) {
        const struct el_reset_step *st = &steps[i];
        if (st->op != EL_RST_WAIT) {
            int rc = el_reset_run(p, st, 1);
            if (rc != EL_OK)
                return rc;
            if (st->op == EL_RST_RTS || st->op == EL_RST_BOTH) {
                rts = st->rts;
                rts_known = true;
            }
            if (st->op == EL_RST_DTR || st->op == EL_RST_BOTH) {
                dtr = st->dtr;
                dtr_known = true;
            }
            /* Windows: the RTS step re-writes DTR with its last value (el_reset_run does
             * that only within one call) */
            if (st->op == EL_RST_RTS && dtr_known) {
                rc = el_port_set_lines(p, dtr, -1);
                if (rc != EL_OK)
                    return rc;
            }
            continue;
        }
        /* out of reset (EN released) with IO0 held low: the hold only has to last until
         * the chip has latched its strapping pins, which "waiting for download" proves */
        bool watch = dtr_known && rts_known && dtr && !rts;
        if (!watch) {
            el_port_sleep_ms(p, st->wait_ms);
            continue;
        }
        for (unsigned waited = 0; waited < st->wait_ms;) {
            unsigned slice =
                st->wait_ms - waited < WATCH_SLICE_MS ? st->wait_ms - waited : WATCH_SLICE_MS;
            el_port_sleep_ms(p, slice);
            waited += slice;
            if (*got < cap)
                *got += eli_read_raw(l, buf + *got, cap - *got, 0);
            if (eli_banner_waiting(buf, *got))
                break;
        }
    }
    return EL_OK;
}

static void add(struct el_reset_step *s, size_t cap, size_t *n, enum el_reset_op op, bool dtr,
                bool rts, unsigned ms)
{
    if (*n < cap)
        s[*n] = (struct el_reset_step){.op = op, .dtr = dtr, .rts = rts, .wait_ms = ms};
    (*n)++;
}

int el_reset_steps(const struct el_reset_strategy *st, struct el_reset_step *s, size_t cap,
                   size_t *n_out)
{
    if (!st || !s || !n_out)
        return EL_E_ARG;
    size_t n = 0;
    switch (st->kind) {
    case EL_RESET_CLASSIC:
        add(s, cap, &n, EL_RST_DTR, false, false, 0); /* IO0 high */
        add(s, cap, &n, EL_RST_RTS, false, true, 0);  /* EN low: in reset */
        add(s, cap, &n, EL_RST_WAIT, false, false, 100);
        add(s, cap, &n, EL_RST_DTR, true, false, 0);  /* IO0 low */
        add(s, cap, &n, EL_RST_RTS, false, false, 0); /* EN high: out of reset */
        add(s, cap, &n, EL_RST_WAIT, false, false, st->delay_ms);
        add(s, cap, &n, EL_RST_DTR, false, false, 0); /* IO0 high, done */
        break;
    case EL_RESET_UNIX_TIGHT:
        add(s, cap, &n, EL_RST_BOTH, false, false, 0);
        add(s, cap, &n, EL_RST_BOTH, true, true, 0);
        add(s, cap, &n, EL_RST_BOTH, false, true, 0); /* IO0 high, EN low */
        add(s, cap, &n, EL_RST_WAIT, false, false, 100);
        add(s, cap, &n, EL_RST_BOTH, true, false, 0); /* IO0 low, EN high */
        add(s, cap, &n, EL_RST_WAIT, false, false, st->delay_ms);
        add(s, cap, &n, EL_RST_BOTH, false, false, 0);
        add(s, cap, &n, EL_RST_DTR, false, false, 0);
        break;
    case EL_RESET_USB_JTAG:
        add(s, cap, &n, EL_RST_RTS, false, false, 0);
        add(s, cap, &n, EL_RST_DTR, false, false, 0); /* idle */
        add(s, cap, &n, EL_RST_WAIT, false, false, 100);
        add(s, cap, &n, EL_RST_DTR, true, false, 0); /* IO0 */
        add(s, cap, &n, EL_RST_RTS, false, false, 0);
        add(s, cap, &n, EL_RST_WAIT, false, false, 100);
        add(s, cap, &n, EL_RST_RTS, false, true, 0); /* reset via (1,1) */
        add(s, cap, &n, EL_RST_DTR, false, false, 0);
        add(s, cap, &n, EL_RST_RTS, false, true, 0);
        add(s, cap, &n, EL_RST_WAIT, false, false, 100);
        add(s, cap, &n, EL_RST_DTR, false, false, 0);
        add(s, cap, &n, EL_RST_RTS, false, false, 0); /* out of reset */
        break;
    default:
        return EL_E_ARG;
    }
    if (n > cap)
        return EL_E_SIZE;
    *n_out = n;
    return EL_OK;
}

const char *el_reset_name(const struct el_reset_strategy *s, char *buf, size_t len)
{
    if (!buf || !len)
        return "";
    unsigned d = s ? s->delay_ms : 0;
    switch (s ? s->kind : 0) {
    case EL_RESET_CLASSIC:
        snprintf(buf, len, "ClassicReset(%u.%03u)", d / 1000, d % 1000);
        break;
    case EL_RESET_UNIX_TIGHT:
        snprintf(buf, len, "UnixTightReset(%u.%03u)", d / 1000, d % 1000);
        break;
    case EL_RESET_USB_JTAG:
        snprintf(buf, len, "USBJTAGSerialReset");
        break;
    case EL_RESET_CUSTOM:
        snprintf(buf, len, "CustomReset");
        break;
    default:
        snprintf(buf, len, "?");
        break;
    }
    /* trim trailing zeros of the seconds: 0.050 -> 0.05, 0.550 -> 0.55 */
    char *open = strchr(buf, '(');
    char *close = open ? strchr(open, ')') : NULL;
    if (open && close) {
        char *q = close - 1;
        while (q > open && *q == '0' && *(q - 1) != '.')
            q--;
        memmove(q + 1, close, strlen(close) + 1);
    }
    return buf;
}

size_t el_reset_rotation(bool usb_jtag, bool posix, bool rfc2217, unsigned reset_delay_ms,
                         struct el_reset_strategy *out, size_t cap)
{
    struct el_reset_strategy tmp[4];
    size_t n = 0;
    unsigned d1 = reset_delay_ms ? reset_delay_ms : 50;
    unsigned d2 = reset_delay_ms ? reset_delay_ms : 550;
    if (usb_jtag) {
        tmp[n++] = (struct el_reset_strategy){EL_RESET_USB_JTAG, 0};
    } else if (posix && !rfc2217) {
        tmp[n++] = (struct el_reset_strategy){EL_RESET_UNIX_TIGHT, d1};
        tmp[n++] = (struct el_reset_strategy){EL_RESET_UNIX_TIGHT, d2};
        tmp[n++] = (struct el_reset_strategy){EL_RESET_CLASSIC, d1};
        tmp[n++] = (struct el_reset_strategy){EL_RESET_CLASSIC, d2};
    } else {
        tmp[n++] = (struct el_reset_strategy){EL_RESET_CLASSIC, d1};
        tmp[n++] = (struct el_reset_strategy){EL_RESET_CLASSIC, d2};
    }
    size_t k = n < cap ? n : cap;
    if (out)
        memcpy(out, tmp, k * sizeof(*out));
    return k;
}

int el_reset_hard(struct el_port *p, bool usb_jtag)
{
    struct el_reset_step s[3] = {
        {.op = EL_RST_RTS, .rts = true},
        {.op = EL_RST_WAIT, .wait_ms = usb_jtag ? 200u : 100u},
        {.op = EL_RST_RTS, .rts = false},
    };
    int rc = el_reset_run(p, s, 3);
    if (rc == EL_OK && usb_jtag)
        el_port_sleep_ms(p, 200);
    return rc;
}
