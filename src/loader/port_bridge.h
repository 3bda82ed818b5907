/* SPDX-License-Identifier: MIT */
#ifndef EL_LOADER_PORT_BRIDGE_H
#define EL_LOADER_PORT_BRIDGE_H
/*
 * A port wrapped as if behind a USB-UART bridge, for benchmarks and tests: it reports the
 * bridge's USB ids (so the default-baud logic can be exercised on sim:// and network
 * endpoints), counts bytes each way, and can model a bridge that cannot produce rates
 * above max_baud: asking for more leaves the wire at the previous rate, so the bytes are
 * garbled exactly like on a bridge whose divider cannot reach the rate.
 * The wrapper owns the inner port (closing it closes both).
 */
#include "port/port_int.h"

struct el_bridge_stats {
    uint64_t tx_bytes, rx_bytes; /* bytes written to / read from the inner port */
    unsigned wire_baud;          /* the rate the inner port really runs at */
};

/* vid = pid = 0: no USB ids. max_baud = 0: every rate works. *out NULL on failure. */
int el_port_open_bridge(struct el_port **out, struct el_port *inner, uint16_t vid, uint16_t pid,
                        unsigned max_baud);
/* Counters of a bridge port (zeros for other ports). */
void el_port_bridge_stats(const struct el_port *p, struct el_bridge_stats *st);
/* Clears the byte counters. */
void el_port_bridge_reset_stats(struct el_port *p);

#endif
