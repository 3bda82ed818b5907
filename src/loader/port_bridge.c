/* SPDX-License-Identifier: MIT */
#include "loader/port_bridge.h"
#include "loader/port_custom.h"

#include "espload/err.h"

#include <stdlib.h>
#include <string.h>

struct bridge {
    struct eli_port_ops ops; /* per instance: the kind is the inner port's */
    struct el_port *inner;
    uint16_t vid, pid;
    unsigned max_baud;
    struct el_bridge_stats st;
};

static struct bridge *br(const struct el_port *p)
{
    return p->impl;
}

static void b_close(struct el_port *p)
{
    struct bridge *b = br(p);
    if (!b)
        return;
    el_port_close(b->inner);
    free(b);
    p->impl = NULL;
}

static int b_read(struct el_port *p, void *buf, size_t len, unsigned timeout_ms)
{
    struct bridge *b = br(p);
    int n = el_port_read(b->inner, buf, len, timeout_ms);
    if (n > 0)
        b->st.rx_bytes += (uint64_t)n;
    else if (n < 0)
        eli_port_fail(p, n, "%s", el_port_errmsg(b->inner));
    return n;
}

static int b_write(struct el_port *p, const void *buf, size_t len, unsigned timeout_ms)
{
    struct bridge *b = br(p);
    int rc = el_port_write(b->inner, buf, len, timeout_ms);
    if (rc == EL_OK)
        b->st.tx_bytes += len;
    else
        eli_port_fail(p, rc, "%s", el_port_errmsg(b->inner));
    return rc;
}

static int b_flush_input(struct el_port *p)
{
    return el_port_flush_input(br(p)->inner);
}

static int b_drain(struct el_port *p)
{
    return el_port_drain(br(p)->inner);
}

static int b_set_baud(struct el_port *p, unsigned baud)
{
    struct bridge *b = br(p);
    if (b->max_baud && baud > b->max_baud)
        return EL_OK; /* accepted, but the wire stays at the old rate */
    int rc = el_port_set_baud(b->inner, baud);
    if (rc != EL_OK)
        return eli_port_fail(p, rc, "%s", el_port_errmsg(b->inner));
    b->st.wire_baud = baud;
    return EL_OK;
}

static int b_set_lines(struct el_port *p, int dtr, int rts)
{
    return el_port_set_lines(br(p)->inner, dtr, rts);
}

static void b_sleep_ms(struct el_port *p, unsigned ms)
{
    el_port_sleep_ms(br(p)->inner, ms);
}

static int b_usb_ids(const struct el_port *p, uint16_t *vid, uint16_t *pid)
{
    const struct bridge *b = br(p);
    if (!b->vid && !b->pid)
        return el_port_usb_ids(b->inner, vid, pid);
    *vid = b->vid;
    *pid = b->pid;
    return EL_OK;
}

static void *b_sim_device(struct el_port *p)
{
    return el_port_sim_device(br(p)->inner);
}

int el_port_open_bridge(struct el_port **out, struct el_port *inner, uint16_t vid, uint16_t pid,
                        unsigned max_baud)
{
    if (!out)
        return EL_E_ARG;
    *out = NULL;
    if (!inner)
        return EL_E_ARG;
    struct bridge *b = calloc(1, sizeof(*b));
    if (!b)
        return EL_E_NOMEM;
    b->ops = (struct eli_port_ops){
        .kind = el_port_kind(inner),
        .close = b_close,
        .read = b_read,
        .write = b_write,
        .flush_input = b_flush_input,
        .drain = b_drain,
        .set_baud = b_set_baud,
        .set_lines = el_port_has_lines(inner) ? b_set_lines : NULL,
        .sleep_ms = b_sleep_ms,
        .usb_ids = b_usb_ids,
        .sim_device = b_sim_device,
    };
    b->inner = inner;
    b->vid = vid;
    b->pid = pid;
    b->max_baud = max_baud;
    b->st.wire_baud = el_port_get_baud(inner);
    int rc = el_port_open_custom(out, &b->ops, b, el_port_name(inner), el_port_get_baud(inner));
    if (rc != EL_OK)
        free(b);
    return rc;
}

void el_port_bridge_stats(const struct el_port *p, struct el_bridge_stats *st)
{
    memset(st, 0, sizeof(*st));
    if (p && p->ops && p->ops->close == b_close && p->impl)
        *st = br(p)->st;
}

void el_port_bridge_reset_stats(struct el_port *p)
{
    if (p && p->ops && p->ops->close == b_close && p->impl) {
        br(p)->st.tx_bytes = 0;
        br(p)->st.rx_bytes = 0;
    }
}
