/* SPDX-License-Identifier: MIT */
/* TCP client sockets for socket:// and rfc2217:// on POSIX systems. */
#include "port_os.h"

#include "espload/err.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef MSG_NOSIGNAL /* macOS: SO_NOSIGPIPE is set on the socket instead */
#define MSG_NOSIGNAL 0
#endif

static int wait_fd(int fd, short events, unsigned timeout_ms)
{
    struct pollfd pfd = {.fd = fd, .events = events};
    uint64_t deadline = eli_port_now_ms() + timeout_ms;

    for (;;) {
        uint64_t now = eli_port_now_ms();
        int left = now >= deadline ? 0 : (int)(deadline - now);
        int n = poll(&pfd, 1, left);
        if (n > 0)
            return pfd.revents;
        if (n == 0)
            return 0;
        if (errno != EINTR)
            return -1;
    }
}

static int connect_one(const struct addrinfo *ai, unsigned timeout_ms, int *fd_out, int *err_out)
{
    int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    int one = 1, soerr = 0, ev;
    socklen_t sl = sizeof soerr;

    if (fd < 0) {
        *err_out = errno;
        return -1;
    }
    if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0 ||
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0)
        goto fail;
#ifdef SO_NOSIGPIPE
    if (setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one) != 0)
        goto fail;
#endif
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        if (errno != EINPROGRESS)
            goto fail;
        ev = wait_fd(fd, POLLOUT, timeout_ms);
        if (ev == 0) {
            errno = ETIMEDOUT;
            goto fail;
        }
        if (ev < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
            goto fail;
        if (soerr) {
            errno = soerr;
            goto fail;
        }
    }
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
        goto fail;
    *fd_out = fd;
    return 0;
fail:
    *err_out = errno;
    close(fd);
    return -1;
}

int eli_net_connect(struct el_port *p, const char *hostport, unsigned timeout_ms, intptr_t *sock)
{
    char host[256], port[8];
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
    int rc, fd = -1, last = ECONNREFUSED;

    *sock = -1;
    rc = eli_net_split_hostport(p, hostport, host, sizeof host, port, sizeof port);
    if (rc)
        return rc;
    rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0)
        return eli_port_fail(p, EL_E_PORT, "cannot resolve host '%s' (%s); check the name", host,
                             gai_strerror(rc));
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next)
        if (connect_one(ai, timeout_ms, &fd, &last) == 0)
            break;
    freeaddrinfo(res);
    if (fd < 0) {
        if (last == ETIMEDOUT)
            return eli_port_fail(p, EL_E_TIMEOUT,
                                 "no answer from %s:%s within %u ms; check host, port and "
                                 "firewall",
                                 host, port, timeout_ms);
        if (last == ECONNREFUSED)
            return eli_port_fail(p, EL_E_PORT,
                                 "connection refused by %s:%s; is the server (espload-sim "
                                 "--tcp, ser2net, ...) running on that port?",
                                 host, port);
        return eli_port_fail(p, EL_E_PORT, "cannot connect to %s:%s: %s", host, port,
                             strerror(last));
    }
    *sock = fd;
    return EL_OK;
}

int eli_net_read(struct el_port *p, intptr_t sock, void *buf, size_t len, unsigned timeout_ms)
{
    uint64_t deadline = eli_port_now_ms() + timeout_ms;

    for (;;) {
        ssize_t n = recv((int)sock, buf, len, 0);
        uint64_t now;
        int ev;

        if (n > 0)
            return (int)n;
        if (n == 0)
            return eli_port_fail(p, EL_E_IO, "connection closed by the server");
        if (errno == EINTR)
            continue;
        if (errno == ECONNRESET || errno == EPIPE)
            return eli_port_fail(p, EL_E_IO, "connection closed by the server (reset)");
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return eli_port_fail(p, EL_E_IO, "network read failed: %s", strerror(errno));
        now = eli_port_now_ms();
        if (now >= deadline)
            return 0;
        ev = wait_fd((int)sock, POLLIN, (unsigned)(deadline - now));
        if (ev < 0)
            return eli_port_fail(p, EL_E_IO, "poll failed: %s", strerror(errno));
        if (ev == 0)
            return 0;
    }
}

int eli_net_write(struct el_port *p, intptr_t sock, const void *buf, size_t len,
                  unsigned timeout_ms)
{
    const uint8_t *b = buf;
    uint64_t deadline = eli_port_now_ms() + timeout_ms;

    while (len) {
        ssize_t n = send((int)sock, b, len, MSG_NOSIGNAL);
        if (n > 0) {
            b += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            uint64_t now = eli_port_now_ms();
            int ev;
            if (now >= deadline)
                return eli_port_fail(p, EL_E_TIMEOUT,
                                     "network write stalled for %u ms; the server stopped "
                                     "reading",
                                     timeout_ms);
            ev = wait_fd((int)sock, POLLOUT, (unsigned)(deadline - now));
            if (ev < 0)
                return eli_port_fail(p, EL_E_IO, "poll failed: %s", strerror(errno));
            continue;
        }
        if (n < 0 && (errno == ECONNRESET || errno == EPIPE))
            return eli_port_fail(p, EL_E_IO, "connection closed by the server");
        return eli_port_fail(p, EL_E_IO, "network write failed: %s",
                             n < 0 ? strerror(errno) : "no progress");
    }
    return EL_OK;
}

void eli_net_close(intptr_t sock)
{
    if (sock >= 0)
        close((int)sock);
}
