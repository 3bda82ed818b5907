/* SPDX-License-Identifier: MIT */
/*
 * Linux specifics of serial ports: arbitrary baud rates through termios2/BOTHER, the USB
 * VID:PID of a tty from sysfs, and the process holding a busy port from /proc/<pid>/fd.
 * This file cannot include <termios.h>: the kernel's struct termios2 lives in
 * <asm/termbits.h>, which clashes with the libc header.
 */
#include "port_os.h"

#include "espload/err.h"

#include <asm/ioctls.h>
#include <asm/termbits.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int ioctl(int fd, unsigned long request, ...);

int eli_serial_os_set_custom_baud(struct el_port *p, int fd, unsigned baud)
{
    struct termios2 t;

    if (ioctl(fd, TCGETS2, &t) != 0)
        return eli_port_fail(p, EL_E_IO, "cannot read serial settings: %s", strerror(errno));
    t.c_cflag &= ~(tcflag_t)CBAUD;
    t.c_cflag |= BOTHER;
    t.c_cflag &= ~(tcflag_t)(CBAUD << IBSHIFT);
    t.c_cflag |= BOTHER << IBSHIFT;
    t.c_ispeed = baud;
    t.c_ospeed = baud;
    if (ioctl(fd, TCSETS2, &t) != 0)
        return eli_port_fail(p, EL_E_UNSUPPORTED,
                             "the serial driver refuses %u baud (%s); pick a standard rate such "
                             "as 115200, 460800 or 921600",
                             baud, strerror(errno));
    if (ioctl(fd, TCGETS2, &t) != 0)
        return eli_port_fail(p, EL_E_IO, "cannot read serial settings: %s", strerror(errno));
    if (t.c_ospeed != baud)
        return eli_port_fail(p, EL_E_UNSUPPORTED,
                             "the serial driver set %u baud instead of %u; pick a standard rate",
                             (unsigned)t.c_ospeed, baud);
    return EL_OK;
}

static int read_hex_file(const char *path, unsigned *out)
{
    FILE *f = fopen(path, "r");
    int ok;

    if (!f)
        return -1;
    ok = fscanf(f, "%x", out) == 1;
    fclose(f);
    return ok ? 0 : -1;
}

int eli_serial_os_usb_ids(const char *path, uint16_t *vid, uint16_t *pid)
{
    char real[PATH_MAX], sys[PATH_MAX + 64], dev[PATH_MAX];
    const char *base;

    *vid = *pid = 0;
    if (!realpath(path, real))
        return EL_E_UNSUPPORTED;
    base = strrchr(real, '/');
    base = base ? base + 1 : real;
    snprintf(sys, sizeof sys, "/sys/class/tty/%s/device", base);
    if (!realpath(sys, dev))
        return EL_E_UNSUPPORTED;
    /* walk up from the tty's device towards the USB device that has idVendor/idProduct */
    for (int depth = 0; depth < 8; depth++) {
        unsigned v, d;
        char *slash;

        snprintf(sys, sizeof sys, "%s/idVendor", dev);
        if (read_hex_file(sys, &v) == 0) {
            snprintf(sys, sizeof sys, "%s/idProduct", dev);
            if (read_hex_file(sys, &d) != 0)
                return EL_E_UNSUPPORTED;
            *vid = (uint16_t)v;
            *pid = (uint16_t)d;
            return EL_OK;
        }
        slash = strrchr(dev, '/');
        if (!slash || slash == dev)
            break;
        *slash = '\0';
    }
    return EL_E_UNSUPPORTED;
}

static void append_holder(char *out, size_t outlen, long pid)
{
    char path[64], comm[64] = "?";
    size_t used = strlen(out);
    FILE *f;

    snprintf(path, sizeof path, "/proc/%ld/comm", pid);
    f = fopen(path, "r");
    if (f) {
        if (fgets(comm, sizeof comm, f))
            comm[strcspn(comm, "\n")] = '\0';
        fclose(f);
    }
    if (used < outlen)
        snprintf(out + used, outlen - used, "%spid %ld (%s)", used ? ", " : "", pid, comm);
}

void eli_serial_os_find_holder(const char *path, int skip_fd, char *out, size_t outlen)
{
    struct stat target, st;
    DIR *proc;
    struct dirent *de;
    long self = (long)getpid();
    int found = 0;

    if (!outlen)
        return;
    out[0] = '\0';
    if (stat(path, &target) != 0 || !S_ISCHR(target.st_mode))
        return;
    proc = opendir("/proc");
    if (!proc)
        return;
    while ((de = readdir(proc)) && found < 4) {
        char fddir[64];
        DIR *fds;
        struct dirent *fe;
        long pid;

        if (!isdigit((unsigned char)de->d_name[0]))
            continue;
        pid = strtol(de->d_name, NULL, 10);
        snprintf(fddir, sizeof fddir, "/proc/%ld/fd", pid);
        fds = opendir(fddir);
        if (!fds)
            continue;
        while ((fe = readdir(fds))) {
            char link[400];
            if (!isdigit((unsigned char)fe->d_name[0]))
                continue;
            if (pid == self && atoi(fe->d_name) == skip_fd)
                continue;
            snprintf(link, sizeof link, "%s/%s", fddir, fe->d_name);
            if (stat(link, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == target.st_rdev) {
                append_holder(out, outlen, pid);
                found++;
                break;
            }
        }
        closedir(fds);
    }
    closedir(proc);
}
