/* SPDX-License-Identifier: MIT */
/*
 * socket://host:port — raw TCP to a serial server (espload-sim --tcp, ser2net in raw mode,
 * an ESP-based bridge). Bytes pass unchanged; there are no modem lines and no baud rate,
 * so the chip cannot be reset from here.
 */
#include "port_int.h"
#include "port_os.h"

#include "espload/err.h"

#include <stdlib.h>
#include <string.h>

#define SOCK_CONNECT_TIMEOUT_MS 5000u

struct sock_port {
    intptr_t s;
};

static struct sock_port *sp(const struct el_port *p)
{
    return p->impl;
}

/* Copies target without a trailing "/" or "?options"; only "?logging=..." (which the
 * pyserial URL form accepts) is tolerated and ignored. */
static int parse_target(struct el_port *p, const char *target, char *hostport, size_t len)
{
    const char *q = strchr(target, '?');
    size_t n = q ? (size_t)(q - target) : strlen(target);

    if (n && target[n - 1] == '/')
        n--;
    if (n == 0 || n >= len)
        return eli_port_fail(p, EL_E_ARG,
                             "'%s' is not host:port; write e.g. "
                             "socket://127.0.0.1:5555",
                             target);
    if (q && strncmp(q + 1, "logging=", 8) != 0)
        return eli_port_fail(p, EL_E_ARG, "unknown socket:// option '%s'; none are supported",
                             q + 1);
    memcpy(hostport, target, n);
    hostport[n] = '\0';
    return EL_OK;
}

static int sock_open(struct el_port *p, const char *target, const struct el_port_cfg *cfg)
{
    char hostport[300];
    struct sock_port *s;
    int rc;

    rc = parse_target(p, target, hostport, sizeof hostport);
    if (rc)
        return rc;
    s = calloc(1, sizeof *s);
    if (!s)
        return eli_port_fail(p, EL_E_NOMEM, "out of memory");
    rc = eli_net_connect(p, hostport, SOCK_CONNECT_TIMEOUT_MS, &s->s);
    if (rc) {
        free(s);
        return rc;
    }
    p->impl = s;
    return EL_OK;
}

static void sock_close(struct el_port *p)
{
    struct sock_port *s = sp(p);

    if (!s)
        return;
    eli_net_close(s->s);
    free(s);
    p->impl = NULL;
}

static int sock_read(struct el_port *p, void *buf, size_t len, unsigned timeout_ms)
{
    return eli_net_read(p, sp(p)->s, buf, len, timeout_ms);
}

static int sock_write(struct el_port *p, const void *buf, size_t len, unsigned timeout_ms)
{
    return eli_net_write(p, sp(p)->s, buf, len, timeout_ms);
}

/* Drops whatever has already arrived (what is still in flight will come later). */
static int sock_flush_input(struct el_port *p)
{
    uint8_t junk[512];
    int n;

    do
        n = eli_net_read(p, sp(p)->s, junk, sizeof junk, 0);
    while (n > 0);
    return n < 0 ? n : EL_OK;
}

const struct eli_port_ops eli_socket_ops = {
    .kind = "socket",
    .open = sock_open,
    .close = sock_close,
    .read = sock_read,
    .write = sock_write,
    .flush_input = sock_flush_input,
};
