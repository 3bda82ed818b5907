/* SPDX-License-Identifier: MIT */
/* Used when no cross-compiled stub is available: no built-in stubs. */
#include "espload/stub.h"

const struct el_stub_image *el_builtin_stub(enum el_chip_id chip)
{
    (void)chip;
    return 0;
}
