/* SPDX-License-Identifier: MIT */
#ifndef EL_PORT_PORT_INT_H
#define EL_PORT_PORT_INT_H
/*
 * Backend interface behind struct el_port. port.c picks a backend from the name, allocates
 * struct el_port and calls ops->open; each backend keeps its own state in p->impl.
 * Only the files in src/port include this. OS #ifdefs are allowed only in *_posix.c / *_win32.c /
 * *_linux.c / *_darwin.c files.
 */
#include "espload/port.h"

struct eli_port_ops {
    const char *kind; /* "serial", "socket", "rfc2217", "sim" */
    /* target: the part after the scheme ("host:port", "esp32?flash=...") or the device name */
    int (*open)(struct el_port *p, const char *target, const struct el_port_cfg *cfg);
    void (*close)(struct el_port *p);
    int (*read)(struct el_port *p, void *buf, size_t len, unsigned timeout_ms);
    int (*write)(struct el_port *p, const void *buf, size_t len, unsigned timeout_ms);
    int (*flush_input)(struct el_port *p);
    int (*drain)(struct el_port *p);                       /* may be NULL */
    int (*set_baud)(struct el_port *p, unsigned baud);     /* NULL: unsupported */
    int (*set_lines)(struct el_port *p, int dtr, int rts); /* NULL: no modem lines */
    void (*sleep_ms)(struct el_port *p, unsigned ms);      /* NULL: real sleep */
    int (*usb_ids)(const struct el_port *p, uint16_t *vid, uint16_t *pid); /* may be NULL */
    void *(*sim_device)(struct el_port *p);                                /* may be NULL */
};

struct el_port {
    const struct eli_port_ops *ops;
    void *impl;
    char *name;
    unsigned baud;
    char errmsg[256];
};

/* Sets p->errmsg (printf-style) and returns code. */
int eli_port_fail(struct el_port *p, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

extern const struct eli_port_ops eli_serial_ops;  /* serial_posix.c or serial_win32.c */
extern const struct eli_port_ops eli_socket_ops;  /* socket.c */
extern const struct eli_port_ops eli_rfc2217_ops; /* rfc2217.c */
extern const struct eli_port_ops eli_sim_ops;     /* sim.c (in-process virtual device) */

#endif
