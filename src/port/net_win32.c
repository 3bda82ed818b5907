/* SPDX-License-Identifier: MIT */
/* TCP client sockets for socket:// and rfc2217:// on Windows (Winsock 2). Each open socket
 * holds one WSAStartup reference, released when it is closed: no process-wide state. */
#ifndef _WIN32_WINNT
#define _WIN32_WINNT 0x0601
#endif
#include <winsock2.h>
#include <ws2tcpip.h>

#include "port_os.h"

#include "espload/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *wsa_text(int code, char *buf, size_t len)
{
    DWORD n = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL,
                             (DWORD)code, 0, buf, (DWORD)len, NULL);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == '.'))
        buf[--n] = '\0';
    if (!n)
        snprintf(buf, len, "error %d", code);
    return buf;
}

static int wait_sock(SOCKET s, short events, unsigned timeout_ms)
{
    WSAPOLLFD pfd = {.fd = s, .events = events};
    int n = WSAPoll(&pfd, 1, (INT)timeout_ms);

    if (n > 0)
        return pfd.revents ? pfd.revents : events;
    return n; /* 0 timeout, SOCKET_ERROR */
}

static int connect_one(const struct addrinfo *ai, unsigned timeout_ms, SOCKET *out, int *err)
{
    SOCKET s = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    u_long nb = 1;
    BOOL one = TRUE;
    int soerr = 0, sl = sizeof soerr, ev;

    if (s == INVALID_SOCKET) {
        *err = WSAGetLastError();
        return -1;
    }
    if (ioctlsocket(s, FIONBIO, &nb) != 0)
        goto fail;
    if (connect(s, ai->ai_addr, (int)ai->ai_addrlen) != 0) {
        if (WSAGetLastError() != WSAEWOULDBLOCK)
            goto fail;
        ev = wait_sock(s, POLLWRNORM, timeout_ms);
        if (ev == 0) {
            WSASetLastError(WSAETIMEDOUT);
            goto fail;
        }
        if (ev < 0 || getsockopt(s, SOL_SOCKET, SO_ERROR, (char *)&soerr, &sl) != 0)
            goto fail;
        if (soerr) {
            WSASetLastError(soerr);
            goto fail;
        }
    }
    if (setsockopt(s, IPPROTO_TCP, TCP_NODELAY, (const char *)&one, sizeof one) != 0)
        goto fail;
    *out = s;
    return 0;
fail:
    *err = WSAGetLastError();
    closesocket(s);
    return -1;
}

int eli_net_connect(struct el_port *p, const char *hostport, unsigned timeout_ms, intptr_t *sock)
{
    char host[256], port[8], msg[160];
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
    WSADATA wsa;
    SOCKET s = INVALID_SOCKET;
    int rc, last = WSAECONNREFUSED;

    *sock = -1;
    rc = eli_net_split_hostport(p, hostport, host, sizeof host, port, sizeof port);
    if (rc)
        return rc;
    if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0)
        return eli_port_fail(p, EL_E_IO, "cannot start Winsock");
    rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        WSACleanup();
        return eli_port_fail(p, EL_E_PORT, "cannot resolve host '%s' (%s); check the name", host,
                             wsa_text(rc, msg, sizeof msg));
    }
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next)
        if (connect_one(ai, timeout_ms, &s, &last) == 0)
            break;
    freeaddrinfo(res);
    if (s == INVALID_SOCKET) {
        WSACleanup();
        if (last == WSAETIMEDOUT)
            return eli_port_fail(p, EL_E_TIMEOUT,
                                 "no answer from %s:%s within %u ms; check host, port and "
                                 "firewall",
                                 host, port, timeout_ms);
        if (last == WSAECONNREFUSED)
            return eli_port_fail(p, EL_E_PORT,
                                 "connection refused by %s:%s; is the server (espload-sim "
                                 "--tcp, ser2net, ...) running on that port?",
                                 host, port);
        return eli_port_fail(p, EL_E_PORT, "cannot connect to %s:%s: %s", host, port,
                             wsa_text(last, msg, sizeof msg));
    }
    *sock = (intptr_t)s;
    return EL_OK;
}

int eli_net_read(struct el_port *p, intptr_t sock, void *buf, size_t len, unsigned timeout_ms)
{
    uint64_t deadline = eli_port_now_ms() + timeout_ms;
    char msg[160];

    if (len > 0x7fffffff)
        len = 0x7fffffff;
    for (;;) {
        int n = recv((SOCKET)sock, buf, (int)len, 0), e;
        uint64_t now;

        if (n > 0)
            return n;
        if (n == 0)
            return eli_port_fail(p, EL_E_IO, "connection closed by the server");
        e = WSAGetLastError();
        if (e == WSAECONNRESET || e == WSAECONNABORTED)
            return eli_port_fail(p, EL_E_IO, "connection closed by the server (reset)");
        if (e != WSAEWOULDBLOCK)
            return eli_port_fail(p, EL_E_IO, "network read failed: %s",
                                 wsa_text(e, msg, sizeof msg));
        now = eli_port_now_ms();
        if (now >= deadline)
            return 0;
        n = wait_sock((SOCKET)sock, POLLRDNORM, (unsigned)(deadline - now));
        if (n < 0)
            return eli_port_fail(p, EL_E_IO, "poll failed: %s",
                                 wsa_text(WSAGetLastError(), msg, sizeof msg));
        if (n == 0)
            return 0;
    }
}

int eli_net_write(struct el_port *p, intptr_t sock, const void *buf, size_t len,
                  unsigned timeout_ms)
{
    const char *b = buf;
    uint64_t deadline = eli_port_now_ms() + timeout_ms;
    char msg[160];

    while (len) {
        int chunk = len > 0x10000 ? 0x10000 : (int)len;
        int n = send((SOCKET)sock, b, chunk, 0), e;
        if (n > 0) {
            b += n;
            len -= (size_t)n;
            continue;
        }
        e = WSAGetLastError();
        if (e == WSAEWOULDBLOCK) {
            uint64_t now = eli_port_now_ms();
            if (now >= deadline)
                return eli_port_fail(p, EL_E_TIMEOUT,
                                     "network write stalled for %u ms; the server stopped "
                                     "reading",
                                     timeout_ms);
            if (wait_sock((SOCKET)sock, POLLWRNORM, (unsigned)(deadline - now)) < 0)
                return eli_port_fail(p, EL_E_IO, "poll failed: %s",
                                     wsa_text(WSAGetLastError(), msg, sizeof msg));
            continue;
        }
        if (e == WSAECONNRESET || e == WSAECONNABORTED)
            return eli_port_fail(p, EL_E_IO, "connection closed by the server");
        return eli_port_fail(p, EL_E_IO, "network write failed: %s", wsa_text(e, msg, sizeof msg));
    }
    return EL_OK;
}

void eli_net_close(intptr_t sock)
{
    if (sock < 0)
        return;
    closesocket((SOCKET)sock);
    WSACleanup();
}
