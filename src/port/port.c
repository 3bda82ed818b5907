/* SPDX-License-Identifier: MIT */
/*
 * Port dispatcher: picks a backend from the port name and forwards the public calls to its
 * ops table. Backends report failures through eli_port_fail(); this file adds the
 * "cannot open '<name>': " prefix for open failures.
 */
#include "port_int.h"
#include "port_os.h"

#include "espload/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int eli_port_fail(struct el_port *p, int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(p->errmsg, sizeof p->errmsg, fmt, ap);
    va_end(ap);
    return code;
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (!err || !errlen)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

struct scheme {
    const char *prefix;
    const struct eli_port_ops *ops;
};

/* Returns the backend for name and points *target at the part it must open. NULL with
 * *target NULL for an unknown scheme. */
static const struct eli_port_ops *pick_backend(const char *name, const char **target)
{
    const struct scheme schemes[] = {
        {"socket://", &eli_socket_ops},
        {"rfc2217://", &eli_rfc2217_ops},
        {"sim://", &eli_sim_ops},
    };
    const char *sep;

    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
        size_t n = strlen(schemes[i].prefix);
        if (strncasecmp(name, schemes[i].prefix, n) == 0) {
            *target = name + n;
            return schemes[i].ops;
        }
    }
    sep = strstr(name, "://");
    if (sep) {
        *target = NULL;
        return NULL;
    }
    *target = name;
    return &eli_serial_ops;
}

int el_port_open(struct el_port **out, const char *name, const struct el_port_cfg *cfg, char *err,
                 size_t errlen)
{
    const struct eli_port_ops *ops;
    struct el_port_cfg c = {0};
    struct el_port *p;
    const char *target = NULL;
    int rc;

    if (out)
        *out = NULL;
    set_err(err, errlen, "%s", "");
    if (!out || !name || !*name) {
        set_err(err, errlen,
                "cannot open '': no port name given; pass --port (e.g. /dev/ttyUSB0, COM3, "
                "socket://host:port)");
        return EL_E_ARG;
    }
    ops = pick_backend(name, &target);
    if (!ops) {
        set_err(err, errlen,
                "cannot open '%s': unknown port scheme; use a device name, socket://host:port, "
                "rfc2217://host:port or sim://chip",
                name);
        return EL_E_ARG;
    }
    if (cfg)
        c = *cfg;
    if (!c.baud)
        c.baud = 115200;
    p = calloc(1, sizeof *p);
    if (!p || !(p->name = strdup(name))) {
        free(p);
        set_err(err, errlen, "cannot open '%s': out of memory", name);
        return EL_E_NOMEM;
    }
    p->ops = ops;
    p->baud = c.baud;
    rc = ops->open(p, target, &c);
    if (rc != EL_OK) {
        if (rc > 0)
            rc = EL_E_IO;
        set_err(err, errlen, "cannot open '%s': %s", name,
                p->errmsg[0] ? p->errmsg : el_strerror(rc));
        free(p->name);
        free(p);
        return rc;
    }
    p->errmsg[0] = '\0';
    *out = p;
    return EL_OK;
}

void el_port_close(struct el_port *p)
{
    if (!p)
        return;
    p->ops->close(p);
    free(p->name);
    free(p);
}

int el_port_read(struct el_port *p, void *buf, size_t len, unsigned timeout_ms)
{
    if (!p || (!buf && len))
        return EL_E_ARG;
    if (!len)
        return 0;
    if (len > (size_t)0x7fffffff)
        len = 0x7fffffff;
    return p->ops->read(p, buf, len, timeout_ms);
}

int el_port_write(struct el_port *p, const void *buf, size_t len, unsigned timeout_ms)
{
    if (!p || (!buf && len))
        return EL_E_ARG;
    if (!len)
        return EL_OK;
    return p->ops->write(p, buf, len, timeout_ms);
}

int el_port_flush_input(struct el_port *p)
{
    if (!p)
        return EL_E_ARG;
    return p->ops->flush_input(p);
}

int el_port_drain(struct el_port *p)
{
    if (!p)
        return EL_E_ARG;
    return p->ops->drain ? p->ops->drain(p) : EL_OK;
}

int el_port_set_baud(struct el_port *p, unsigned baud)
{
    int rc;

    if (!p)
        return EL_E_ARG;
    if (!baud)
        return eli_port_fail(p, EL_E_ARG, "baud rate 0 is not valid");
    if (!p->ops->set_baud)
        return eli_port_fail(p, EL_E_UNSUPPORTED, "%s ports have no baud rate to change",
                             p->ops->kind);
    rc = p->ops->set_baud(p, baud);
    if (rc == EL_OK)
        p->baud = baud;
    return rc;
}

unsigned el_port_get_baud(const struct el_port *p)
{
    return p ? p->baud : 0;
}

int el_port_set_lines(struct el_port *p, int dtr, int rts)
{
    if (!p)
        return EL_E_ARG;
    if (!p->ops->set_lines)
        return eli_port_fail(p, EL_E_UNSUPPORTED,
                             "%s ports have no DTR/RTS lines; reset the chip by hand",
                             p->ops->kind);
    return p->ops->set_lines(p, dtr < 0 ? -1 : dtr != 0, rts < 0 ? -1 : rts != 0);
}

bool el_port_has_lines(const struct el_port *p)
{
    struct el_port *mp = (struct el_port *)p;

    if (!p || !p->ops->set_lines)
        return false;
    /* set_lines(p, -1, -1) is a side-effect-free probe in every backend: EL_OK when the
     * port has working modem lines, EL_E_UNSUPPORTED otherwise (e.g. a pty). */
    return mp->ops->set_lines(mp, -1, -1) == EL_OK;
}

void el_port_sleep_ms(struct el_port *p, unsigned ms)
{
    if (p && p->ops->sleep_ms) {
        p->ops->sleep_ms(p, ms);
        return;
    }
    eli_port_real_sleep_ms(ms);
}

const char *el_port_kind(const struct el_port *p)
{
    return p ? p->ops->kind : "";
}

const char *el_port_name(const struct el_port *p)
{
    return p ? p->name : "";
}

int el_port_usb_ids(const struct el_port *p, uint16_t *vid, uint16_t *pid)
{
    if (vid)
        *vid = 0;
    if (pid)
        *pid = 0;
    if (!p || !vid || !pid)
        return EL_E_ARG;
    if (!p->ops->usb_ids)
        return EL_E_UNSUPPORTED;
    return p->ops->usb_ids(p, vid, pid);
}

bool el_port_is_usb_jtag(const struct el_port *p)
{
    uint16_t vid, pid;

    return el_port_usb_ids(p, &vid, &pid) == EL_OK && vid == 0x303a && pid == 0x1001;
}

const char *el_port_errmsg(const struct el_port *p)
{
    return p ? p->errmsg : "no port";
}

void *el_port_sim_device(struct el_port *p)
{
    if (!p || !p->ops->sim_device)
        return NULL;
    return p->ops->sim_device(p);
}

/* Splits "host:port" or "[v6]:port" into host and port strings. */
int eli_net_split_hostport(struct el_port *p, const char *hostport, char *host, size_t hostlen,
                           char *port, size_t portlen)
{
    const char *colon;
    size_t hl;

    if (hostport[0] == '[') {
        const char *end = strchr(hostport, ']');
        if (!end || end[1] != ':')
            goto bad;
        hl = (size_t)(end - hostport - 1);
        hostport++;
        colon = end + 1;
    } else {
        colon = strrchr(hostport, ':');
        if (!colon)
            goto bad;
        hl = (size_t)(colon - hostport);
    }
    if (hl == 0 || hl >= hostlen || strlen(colon + 1) == 0 || strlen(colon + 1) >= portlen ||
        strspn(colon + 1, "0123456789") != strlen(colon + 1) || atol(colon + 1) <= 0 ||
        atol(colon + 1) > 65535)
        goto bad;
    memcpy(host, hostport, hl);
    host[hl] = '\0';
    strcpy(port, colon + 1);
    return EL_OK;
bad:
    return eli_port_fail(p, EL_E_ARG, "'%s' is not host:port; write e.g. socket://127.0.0.1:5555",
                         hostport);
}

void el_port_list_free(char **names)
{
    if (!names)
        return;
    for (char **n = names; *n; n++)
        free(*n);
    free(names);
}

void eli_port_list_text(char *out, size_t outlen)
{
    char **names = NULL;
    size_t n = 0, used = 0;

    if (!outlen)
        return;
    out[0] = '\0';
    if (el_port_list(&names, &n) != EL_OK || n == 0) {
        snprintf(out, outlen, "none found");
        el_port_list_free(names);
        return;
    }
    for (size_t i = 0; i < n && used < outlen; i++) {
        int w = snprintf(out + used, outlen - used, "%s%s", i ? ", " : "", names[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    el_port_list_free(names);
}
