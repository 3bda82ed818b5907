/* SPDX-License-Identifier: MIT */
/* macOS: speed_t is the numeric rate, so cfgetospeed() reports any rate. */
#include "net_int.h"

#include <termios.h>

unsigned eli_simnet_pty_baud(int master_fd)
{
    struct termios t;

    if (tcgetattr(master_fd, &t) != 0)
        return 0;
    return (unsigned)cfgetospeed(&t);
}
