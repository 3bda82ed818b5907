/* SPDX-License-Identifier: MIT */
#include "loader/port_custom.h"

#include "espload/err.h"

#include <stdlib.h>
#include <string.h>

int el_port_open_custom(struct el_port **out, const struct eli_port_ops *ops, void *impl,
                        const char *name, unsigned baud)
{
    if (!out)
        return EL_E_ARG;
    *out = NULL;
    if (!ops || !ops->read || !ops->write)
        return EL_E_ARG;
    struct el_port *p = calloc(1, sizeof(*p));
    if (!p)
        return EL_E_NOMEM;
    p->name = strdup(name ? name : "custom");
    if (!p->name) {
        free(p);
        return EL_E_NOMEM;
    }
    p->ops = ops;
    p->impl = impl;
    p->baud = baud ? baud : 115200;
    *out = p;
    return EL_OK;
}
