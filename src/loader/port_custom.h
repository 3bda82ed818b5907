/* SPDX-License-Identifier: MIT */
#ifndef EL_LOADER_PORT_CUSTOM_H
#define EL_LOADER_PORT_CUSTOM_H
/*
 * Ports with caller-supplied operations, for tests (the scripted mock port in tests/lib)
 * and for embedding the loader on a transport the library does not know. The ops table
 * (src/port/port_int.h) must outlive the port; impl is stored in p->impl; ops->open is not
 * called; el_port_close() calls ops->close (if any) and frees the port.
 */
#include "port/port_int.h"

/* Creates a port on ops/impl named name, at baud (0 = 115200). *out NULL on failure. */
int el_port_open_custom(struct el_port **out, const struct eli_port_ops *ops, void *impl,
                        const char *name, unsigned baud);

#endif
