/* SPDX-License-Identifier: MIT */
/*
 * Linux: the pty master reports the slave's termios; TCGETS2 gives the rate as a number, so
 * rates set with BOTHER (e.g. 1234567) are seen too. No <termios.h> here: it clashes with the
 * kernel's struct termios2.
 */
#include "net_int.h"

#include <asm/ioctls.h>
#include <asm/termbits.h>

int ioctl(int fd, unsigned long request, ...);

unsigned eli_simnet_pty_baud(int master_fd)
{
    struct termios2 t;

    if (ioctl(master_fd, TCGETS2, &t) != 0)
        return 0;
    return (unsigned)t.c_ospeed;
}
