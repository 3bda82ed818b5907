/* SPDX-License-Identifier: MIT */
#ifndef EL_PORT_PORT_OS_H
#define EL_PORT_PORT_OS_H
/*
 * Operating-system services used by the port backends. Each function is implemented once per
 * platform in a file whose suffix names it (clock_posix.c / clock_win32.c, net_posix.c /
 * net_win32.c, serial_linux.c / serial_darwin.c, list_*.c), so port.c, socket.c and rfc2217.c
 * stay free of #ifdefs.
 */
#include "port_int.h"

#include <stdint.h>

/* --- time (clock_*.c) --- */
/* Monotonic milliseconds since an arbitrary origin. */
uint64_t eli_port_now_ms(void);
/* Sleeps in real time. */
void eli_port_real_sleep_ms(unsigned ms);

/* --- TCP (net_*.c). A socket handle is an intptr_t; -1 means none. --- */
/* Splits "host:port" or "[v6]:port" (port.c); EL_E_ARG with a message when malformed. */
int eli_net_split_hostport(struct el_port *p, const char *hostport, char *host, size_t hostlen,
                           char *port, size_t portlen);
/* Connects to "host:port" ("[v6addr]:port" also works) within timeout_ms and sets TCP_NODELAY.
 * Failures set p->errmsg to "<cause>; <fix>" and return EL_E_ARG (malformed), EL_E_PORT
 * (refused, unknown host, unreachable) or EL_E_TIMEOUT. */
int eli_net_connect(struct el_port *p, const char *hostport, unsigned timeout_ms, intptr_t *sock);
/* Reads what is there (at least 1 byte) within timeout_ms; 0 on timeout; EL_E_IO when the
 * peer has closed the connection or on error. */
int eli_net_read(struct el_port *p, intptr_t sock, void *buf, size_t len, unsigned timeout_ms);
/* Writes all bytes or fails (EL_E_TIMEOUT, EL_E_IO). */
int eli_net_write(struct el_port *p, intptr_t sock, const void *buf, size_t len,
                  unsigned timeout_ms);
void eli_net_close(intptr_t sock);

/* --- serial helpers specific to one OS (serial_linux.c, serial_darwin.c) --- */
/* Sets a baud rate that has no Bxxx constant on an open, already configured tty. */
int eli_serial_os_set_custom_baud(struct el_port *p, int fd, unsigned baud);
/* USB vendor/product id of the bridge behind a tty path; EL_E_UNSUPPORTED if unknown. */
int eli_serial_os_usb_ids(const char *path, uint16_t *vid, uint16_t *pid);
/* Describes the processes (other than our own descriptor skip_fd) that hold the device at
 * path open, e.g. "pid 1234 (minicom)"; writes "" when none can be found. */
void eli_serial_os_find_holder(const char *path, int skip_fd, char *out, size_t outlen);

/* --- enumeration: el_port_list() lives in list_*.c; this helper in port.c --- */
/* Formats the candidate port names as "a, b, c" (or "none found") into out. */
void eli_port_list_text(char *out, size_t outlen);

#endif
