/* SPDX-License-Identifier: MIT */
#ifndef ESPLOAD_PORT_H
#define ESPLOAD_PORT_H
/*
 * Byte transports to a chip. A port is opened from a name or URL:
 *   /dev/ttyUSB0, COM39, \\.\COM39    serial port (POSIX termios or Win32)
 *   socket://host:port                raw TCP (no modem lines, no baud change)
 *   rfc2217://host:port[?opts]        RFC 2217 (baud and DTR/RTS over the network)
 *   sim://esp32?flash=f.bin&...       the in-process virtual device (sim/)
 * Ports are not thread-safe; one owner at a time. The library never prints: failures
 * leave a one-line detail in el_port_errmsg() (or in the err buffer of el_port_open).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct el_port;

struct el_port_cfg {
    unsigned baud; /* initial baud (0 = 115200) */
    bool no_lock;  /* skip the advisory exclusive lock */
};

/* Opens a port. On failure *out is NULL, err holds "cannot open '<name>': <cause>; <fix>"
 * and the return is EL_E_PORT (missing, busy, forbidden), EL_E_ARG (bad URL) or EL_E_IO. */
int el_port_open(struct el_port **out, const char *name, const struct el_port_cfg *cfg, char *err,
                 size_t errlen);
/* Closes and frees; NULL is fine. */
void el_port_close(struct el_port *p);

/* Reads up to len bytes; returns as soon as at least one byte is there, or 0 after
 * timeout_ms with nothing; negative EL_E_* on failure (e.g. EL_E_IO: device vanished). */
int el_port_read(struct el_port *p, void *buf, size_t len, unsigned timeout_ms);
/* Writes all len bytes; returns EL_OK or a negative EL_E_* (EL_E_TIMEOUT if stuck). */
int el_port_write(struct el_port *p, const void *buf, size_t len, unsigned timeout_ms);
/* Discards buffered input. */
int el_port_flush_input(struct el_port *p);
/* Waits until written bytes have left (tcdrain); no-op where meaningless. */
int el_port_drain(struct el_port *p);

/* Changes the host-side baud. EL_E_UNSUPPORTED on socket://. */
int el_port_set_baud(struct el_port *p, unsigned baud);
unsigned el_port_get_baud(const struct el_port *p);

/* Modem lines: true = asserted (pin driven low on the usual auto-program circuit).
 * A value of -1 leaves that line unchanged. EL_E_UNSUPPORTED when the port has no lines. */
int el_port_set_lines(struct el_port *p, int dtr, int rts);
bool el_port_has_lines(const struct el_port *p);

/* Sleeps; on sim:// this advances the virtual device's clock instead of real time. All
 * reset sequences and retry delays must go through this. */
void el_port_sleep_ms(struct el_port *p, unsigned ms);

/* "serial", "socket", "rfc2217" or "sim" */
const char *el_port_kind(const struct el_port *p);
/* The name the port was opened with. */
const char *el_port_name(const struct el_port *p);
/* USB vendor and product id of a serial port's bridge, where the OS tells; EL_E_UNSUPPORTED
 * otherwise. */
int el_port_usb_ids(const struct el_port *p, uint16_t *vid, uint16_t *pid);
/* True for Espressif's USB-Serial/JTAG (303A:1001). */
bool el_port_is_usb_jtag(const struct el_port *p);
/* Detail of the last failure on this port. Never NULL. */
const char *el_port_errmsg(const struct el_port *p);

/* Candidate serial ports for --port auto-detection, USB serial devices first. *names_out is
 * a NULL-terminated array the caller frees with el_port_list_free(). */
int el_port_list(char ***names_out, size_t *n_out);
void el_port_list_free(char **names);

/* The virtual device behind a sim:// port (struct elsim *), else NULL. For tests and
 * for the simulator's own observability. */
void *el_port_sim_device(struct el_port *p);

#ifdef __cplusplus
}
#endif
#endif
