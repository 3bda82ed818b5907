/* SPDX-License-Identifier: MIT */
/*
 * Serial ports on POSIX systems (termios). Raw 8N1, no flow control, non-blocking fd with
 * poll() for timeouts; reads fill an internal buffer with one syscall. Exclusive access through
 * flock(LOCK_EX|LOCK_NB) plus TIOCEXCL. A pseudo-terminal (the simulator's --pty endpoint) has
 * no modem lines: set_lines then reports EL_E_UNSUPPORTED.
 */
#include "port_int.h"
#include "port_os.h"

#include "espload/err.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#define SER_BUF 4096

struct ser_port {
    int fd;
    bool has_lines;
    bool locked;
    bool excl;
    size_t rpos, rlen;
    uint8_t buf[SER_BUF];
};

static struct ser_port *ser(const struct el_port *p)
{
    return p->impl;
}

struct baud_map {
    unsigned baud;
    speed_t code;
};

static const struct baud_map standard_bauds[] = {
    {1200, B1200},       {2400, B2400},   {4800, B4800},     {9600, B9600},     {19200, B19200},
    {38400, B38400},     {57600, B57600}, {115200, B115200}, {230400, B230400},
#ifdef B460800
    {460800, B460800},
#endif
#ifdef B500000
    {500000, B500000},
#endif
#ifdef B576000
    {576000, B576000},
#endif
#ifdef B921600
    {921600, B921600},
#endif
#ifdef B1000000
    {1000000, B1000000},
#endif
#ifdef B1152000
    {1152000, B1152000},
#endif
#ifdef B1500000
    {1500000, B1500000},
#endif
#ifdef B2000000
    {2000000, B2000000},
#endif
#ifdef B2500000
    {2500000, B2500000},
#endif
#ifdef B3000000
    {3000000, B3000000},
#endif
#ifdef B3500000
    {3500000, B3500000},
#endif
#ifdef B4000000
    {4000000, B4000000},
#endif
};

static bool standard_code(unsigned baud, speed_t *code)
{
    for (size_t i = 0; i < sizeof standard_bauds / sizeof standard_bauds[0]; i++)
        if (standard_bauds[i].baud == baud) {
            *code = standard_bauds[i].code;
            return true;
        }
    return false;
}

static int apply_baud(struct el_port *p, int fd, unsigned baud)
{
    struct termios t;
    speed_t code;

    if (tcgetattr(fd, &t) != 0)
        return eli_port_fail(p, EL_E_IO, "cannot read serial settings: %s", strerror(errno));
    if (standard_code(baud, &code)) {
        if (cfsetispeed(&t, code) != 0 || cfsetospeed(&t, code) != 0)
            return eli_port_fail(p, EL_E_IO, "cannot set %u baud: %s", baud, strerror(errno));
        if (tcsetattr(fd, TCSANOW, &t) != 0)
            return eli_port_fail(p, EL_E_IO, "cannot set %u baud: %s", baud, strerror(errno));
        return EL_OK;
    }
    return eli_serial_os_set_custom_baud(p, fd, baud);
}

static int configure_raw(struct el_port *p, int fd, unsigned baud)
{
    struct termios t;

    if (tcgetattr(fd, &t) != 0)
        return eli_port_fail(p, EL_E_PORT,
                             "not a serial port (%s); give a tty device such as /dev/ttyUSB0",
                             strerror(errno));
    cfmakeraw(&t);
    t.c_iflag &= ~(tcflag_t)(IXON | IXOFF | IXANY | INPCK | ISTRIP);
    t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB | CSTOPB | CRTSCTS);
    t.c_cflag |= CS8 | CLOCAL | CREAD;
    t.c_cc[VMIN] = 0;
    t.c_cc[VTIME] = 0;
    if (tcsetattr(fd, TCSANOW, &t) != 0)
        return eli_port_fail(p, EL_E_IO, "cannot configure the serial port: %s", strerror(errno));
    return apply_baud(p, fd, baud);
}

static void busy_message(struct el_port *p, const char *path, int fd)
{
    char holder[160];

    eli_serial_os_find_holder(path, fd, holder, sizeof holder);
    if (holder[0])
        eli_port_fail(p, EL_E_PORT,
                      "port busy: in use by %s; close that program (serial monitor, another "
                      "espload) and retry",
                      holder);
    else
        eli_port_fail(p, EL_E_PORT,
                      "port busy: another program has it open; close it (serial monitor, "
                      "another espload, ModemManager) and retry");
}

static int open_error(struct el_port *p, const char *path, int err)
{
    char avail[512];
    struct stat st;

    switch (err) {
    case ENOENT:
    case ENXIO:
    case ENODEV:
    case ENOTDIR:
        eli_port_list_text(avail, sizeof avail);
        return eli_port_fail(p, EL_E_PORT,
                             "no such port; check the cable and `espload --port` name "
                             "(available: %s)",
                             avail);
    case EACCES:
    case EPERM: {
        const char *group = "dialout";
        if (stat(path, &st) == 0) {
            struct group *g = getgrgid(st.st_gid);
            if (g && g->gr_name && strcmp(g->gr_name, "root") != 0)
                group = g->gr_name;
        }
        return eli_port_fail(p, EL_E_PORT,
                             "permission denied; add your user to the `%s` group "
                             "(sudo usermod -aG %s $USER, then log in again)",
                             group, group);
    }
    case EBUSY:
        busy_message(p, path, -1);
        return EL_E_PORT;
    default:
        return eli_port_fail(p, EL_E_IO, "%s", strerror(err));
    }
}

static int ser_open(struct el_port *p, const char *target, const struct el_port_cfg *cfg)
{
    struct ser_port *s;
    int fd, rc, mbits;

    fd = open(target, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return open_error(p, target, errno);
    s = calloc(1, sizeof *s);
    if (!s) {
        close(fd);
        return eli_port_fail(p, EL_E_NOMEM, "out of memory");
    }
    s->fd = fd;
    p->impl = s;
    if (!isatty(fd)) {
        rc = eli_port_fail(p, EL_E_PORT,
                           "not a serial port (not a terminal device); give a tty such as "
                           "/dev/ttyUSB0");
        goto fail;
    }
    if (!cfg->no_lock) {
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            if (errno == EWOULDBLOCK || errno == EAGAIN) {
                busy_message(p, target, fd);
                rc = EL_E_PORT;
            } else {
                rc = eli_port_fail(p, EL_E_IO, "cannot lock the port: %s", strerror(errno));
            }
            goto fail;
        }
        s->locked = true;
        if (ioctl(fd, TIOCEXCL) == 0)
            s->excl = true;
        else if (errno != ENOTTY && errno != EINVAL) {
            rc = eli_port_fail(p, EL_E_IO, "cannot get exclusive access: %s", strerror(errno));
            goto fail;
        }
    }
    rc = configure_raw(p, fd, cfg->baud);
    if (rc)
        goto fail;
    /* A pty (or a driver without modem control) refuses TIOCMGET. */
    s->has_lines = ioctl(fd, TIOCMGET, &mbits) == 0;
    if (tcflush(fd, TCIFLUSH) != 0) {
        rc = eli_port_fail(p, EL_E_IO, "cannot flush the port: %s", strerror(errno));
        goto fail;
    }
    return EL_OK;
fail:
    if (s->excl)
        ioctl(fd, TIOCNXCL);
    close(fd);
    free(s);
    p->impl = NULL;
    return rc;
}

static void ser_close(struct el_port *p)
{
    struct ser_port *s = ser(p);

    if (!s)
        return;
    if (s->excl)
        ioctl(s->fd, TIOCNXCL);
    close(s->fd); /* also releases the flock */
    free(s);
    p->impl = NULL;
}

static int poll_in(struct el_port *p, int fd, unsigned timeout_ms)
{
    uint64_t deadline = eli_port_now_ms() + timeout_ms;
    struct pollfd pfd = {.fd = fd, .events = POLLIN};

    for (;;) {
        uint64_t now = eli_port_now_ms();
        int n = poll(&pfd, 1, now >= deadline ? 0 : (int)(deadline - now));
        if (n > 0) {
            if (pfd.revents & POLLIN)
                return 1;
            if (pfd.revents & (POLLHUP | POLLERR | POLLNVAL))
                return eli_port_fail(p, EL_E_IO,
                                     "the serial device went away (unplugged or reset); "
                                     "reconnect and retry");
            return 1;
        }
        if (n == 0)
            return 0;
        if (errno != EINTR)
            return eli_port_fail(p, EL_E_IO, "poll failed: %s", strerror(errno));
    }
}

static int ser_read(struct el_port *p, void *buf, size_t len, unsigned timeout_ms)
{
    struct ser_port *s = ser(p);
    uint64_t deadline = eli_port_now_ms() + timeout_ms;
    bool was_ready = false;

    while (s->rpos == s->rlen) {
        ssize_t n = read(s->fd, s->buf, sizeof s->buf);
        uint64_t now;
        int rc;

        if (n > 0) {
            s->rpos = 0;
            s->rlen = (size_t)n;
            break;
        }
        /* with VMIN=VTIME=0 an empty tty reads 0; after poll() said "readable", 0 means
         * end of file: the device hung up */
        if (n == 0 && was_ready)
            return eli_port_fail(p, EL_E_IO,
                                 "the serial device hung up (unplugged or reset); reconnect "
                                 "and retry");
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
            return eli_port_fail(p, EL_E_IO,
                                 "serial read failed: %s; the device may have been unplugged",
                                 strerror(errno));
        now = eli_port_now_ms();
        if (now >= deadline)
            return 0;
        rc = poll_in(p, s->fd, (unsigned)(deadline - now));
        if (rc <= 0)
            return rc;
        was_ready = true;
    }
    if (len > s->rlen - s->rpos)
        len = s->rlen - s->rpos;
    memcpy(buf, s->buf + s->rpos, len);
    s->rpos += len;
    return (int)len;
}

static int ser_write(struct el_port *p, const void *buf, size_t len, unsigned timeout_ms)
{
    struct ser_port *s = ser(p);
    const uint8_t *b = buf;
    uint64_t deadline = eli_port_now_ms() + timeout_ms;

    while (len) {
        ssize_t n = write(s->fd, b, len);
        if (n > 0) {
            b += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct pollfd pfd = {.fd = s->fd, .events = POLLOUT};
            uint64_t now = eli_port_now_ms();
            if (now >= deadline)
                return eli_port_fail(p, EL_E_TIMEOUT,
                                     "serial write stalled for %u ms; is flow control on or "
                                     "the device gone?",
                                     timeout_ms);
            if (poll(&pfd, 1, (int)(deadline - now)) < 0 && errno != EINTR)
                return eli_port_fail(p, EL_E_IO, "poll failed: %s", strerror(errno));
            if (pfd.revents & (POLLHUP | POLLERR | POLLNVAL))
                return eli_port_fail(p, EL_E_IO,
                                     "the serial device went away (unplugged or "
                                     "reset); reconnect and retry");
            continue;
        }
        return eli_port_fail(p, EL_E_IO, "serial write failed: %s",
                             n < 0 ? strerror(errno) : "no progress");
    }
    return EL_OK;
}

static int ser_flush_input(struct el_port *p)
{
    struct ser_port *s = ser(p);

    s->rpos = s->rlen = 0;
    if (tcflush(s->fd, TCIFLUSH) != 0)
        return eli_port_fail(p, EL_E_IO, "cannot flush input: %s", strerror(errno));
    return EL_OK;
}

static int ser_drain(struct el_port *p)
{
    struct ser_port *s = ser(p);

    while (tcdrain(s->fd) != 0) {
        if (errno != EINTR)
            return eli_port_fail(p, EL_E_IO, "cannot drain output: %s", strerror(errno));
    }
    return EL_OK;
}

static int ser_set_baud(struct el_port *p, unsigned baud)
{
    return apply_baud(p, ser(p)->fd, baud);
}

static int ser_set_lines(struct el_port *p, int dtr, int rts)
{
    struct ser_port *s = ser(p);
    int bits;

    if (!s->has_lines)
        return eli_port_fail(p, EL_E_UNSUPPORTED,
                             "this port has no DTR/RTS lines (a pseudo-terminal?); reset the "
                             "chip by hand");
    if (dtr < 0 && rts < 0)
        return EL_OK;
    if (dtr >= 0 && rts >= 0) {
        /* both lines in one ioctl, as the "UnixTight" reset needs */
        if (ioctl(s->fd, TIOCMGET, &bits) != 0)
            return eli_port_fail(p, EL_E_IO, "cannot read modem lines: %s", strerror(errno));
        bits = dtr ? bits | TIOCM_DTR : bits & ~TIOCM_DTR;
        bits = rts ? bits | TIOCM_RTS : bits & ~TIOCM_RTS;
        if (ioctl(s->fd, TIOCMSET, &bits) != 0)
            return eli_port_fail(p, EL_E_IO, "cannot set DTR/RTS: %s", strerror(errno));
        return EL_OK;
    }
    bits = dtr >= 0 ? TIOCM_DTR : TIOCM_RTS;
    if (ioctl(s->fd, (dtr > 0 || rts > 0) ? TIOCMBIS : TIOCMBIC, &bits) != 0)
        return eli_port_fail(p, EL_E_IO, "cannot set %s: %s", dtr >= 0 ? "DTR" : "RTS",
                             strerror(errno));
    return EL_OK;
}

static int ser_usb_ids(const struct el_port *p, uint16_t *vid, uint16_t *pid)
{
    return eli_serial_os_usb_ids(p->name, vid, pid);
}

const struct eli_port_ops eli_serial_ops = {
    .kind = "serial",
    .open = ser_open,
    .close = ser_close,
    .read = ser_read,
    .write = ser_write,
    .flush_input = ser_flush_input,
    .drain = ser_drain,
    .set_baud = ser_set_baud,
    .set_lines = ser_set_lines,
    .usb_ids = ser_usb_ids,
};
