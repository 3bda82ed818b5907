/* SPDX-License-Identifier: MIT */
/*
 * macOS specifics of serial ports: arbitrary baud rates through IOSSIOSPEED. USB ids and the
 * holder of a busy port would need IOKit and libproc; they are reported as unknown.
 */
#include "port_os.h"

#include "espload/err.h"

#include <IOKit/serial/ioss.h>
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

int eli_serial_os_set_custom_baud(struct el_port *p, int fd, unsigned baud)
{
    speed_t speed = (speed_t)baud;

    if (ioctl(fd, IOSSIOSPEED, &speed) != 0)
        return eli_port_fail(p, EL_E_UNSUPPORTED,
                             "the serial driver refuses %u baud (%s); pick a standard rate such "
                             "as 115200, 460800 or 921600",
                             baud, strerror(errno));
    return EL_OK;
}

int eli_serial_os_usb_ids(const char *path, uint16_t *vid, uint16_t *pid)
{
    *vid = *pid = 0;
    return EL_E_UNSUPPORTED;
}

void eli_serial_os_find_holder(const char *path, int skip_fd, char *out, size_t outlen)
{
    if (outlen)
        out[0] = '\0';
}
