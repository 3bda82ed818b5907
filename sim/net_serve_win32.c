/* SPDX-License-Identifier: MIT */
/* The network/pty endpoints are POSIX-only; in-process sim:// works everywhere. */
#include "elsim_serve.h"

#include <stdio.h>

int elsim_serve(struct elsim *dev, const struct elsim_serve_cfg *cfg, char *err, size_t errlen)
{
    if (err && errlen)
        snprintf(err, errlen,
                 "the TCP/RFC 2217/pty endpoints are not available on Windows; "
                 "use --port sim://esp32 or run espload-sim on Linux or macOS");
    return -1;
}
