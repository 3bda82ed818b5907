/* SPDX-License-Identifier: MIT */
/*
 * Endpoints serving one virtual device over raw TCP, RFC 2217 and a pseudo-terminal: one
 * poll() loop, one thread. Each turn advances the device clock by the real time that passed,
 * moves due output to the current client and feeds client bytes to the device at the client's
 * baud rate (RFC 2217: as set by SET-BAUDRATE; pty: as set with tcsetattr on the slave; raw
 * TCP: the device's own rate, since a socket has none).
 */
#include "elsim.h"
#include "elsim_serve.h"
#include "net_int.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0
#endif

#define NET_OUT_CAP  (256u * 1024u) /* bytes queued towards one client */
#define NET_TICK_MS  10             /* longest sleep: timed device events stay prompt */
#define NET_SB_MAX   64u
#define DEFAULT_BAUD 115200u

enum { T_SE = 240, T_SB = 250, T_WILL = 251, T_WONT = 252, T_DO = 253, T_DONT = 254, T_IAC = 255 };
enum { OPT_BINARY = 0, OPT_ECHO = 1, OPT_SGA = 3, OPT_COMPORT = 44 };

enum ep_kind { EP_TCP, EP_RFC, EP_PTY };

struct sink {
    int fd; /* -1: none */
    enum ep_kind kind;
    uint8_t *out; /* bytes waiting to be written */
    size_t olen;
    bool used; /* has sent at least one byte */
    /* RFC 2217 */
    int st;
    uint8_t neg;
    uint8_t sb[NET_SB_MAX];
    size_t sblen;
    bool sb_overflow;
    uint8_t us[256], him[256];
    uint32_t baud;
};

struct server {
    struct elsim *dev;
    const struct elsim_serve_cfg *cfg;
    int tcp_lfd, rfc_lfd;
    int pty_fd;
    char pty_path[256];
    bool pty_link_made;
    bool pty_hup;
    unsigned pty_baud;
    struct sink client; /* the TCP or RFC 2217 client */
    struct sink pty;
    bool dtr, rts;
    bool done;
    char *err;
    size_t errlen;
};

static void event(struct server *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void event(struct server *s, const char *fmt, ...)
{
    char msg[256];
    va_list ap;

    if (!s->cfg->on_event)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    s->cfg->on_event(s->cfg->ctx, msg);
}

static int fail(struct server *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct server *s, const char *fmt, ...)
{
    va_list ap;

    if (s->err && s->errlen) {
        va_start(ap, fmt);
        vsnprintf(s->err, s->errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static uint64_t mono_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);

    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) != 0)
        return -1;
    return 0;
}

/* --- listening sockets --- */

static int listen_on(struct server *s, const char *hostport, const char *scheme, int *lfd)
{
    char host[256], port[16], name[320];
    const char *colon = strrchr(hostport, ':');
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE},
                    *res = NULL;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    int fd = -1, one = 1, rc;
    size_t hl;

    *lfd = -1;
    if (!colon || strlen(colon + 1) == 0 || strlen(colon + 1) >= sizeof port)
        return fail(s, "'%s' is not host:port (e.g. 127.0.0.1:5555)", hostport);
    hl = (size_t)(colon - hostport);
    if (hl >= sizeof host)
        return fail(s, "host name too long in '%s'", hostport);
    memcpy(host, hostport, hl);
    host[hl] = '\0';
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
        memmove(host, host + 1, hl - 2);
        host[hl - 2] = '\0';
    }
    strcpy(port, colon + 1);
    rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
    if (rc != 0)
        return fail(s, "cannot use address '%s': %s", hostport, gai_strerror(rc));
    fd = socket(res->ai_family, res->ai_socktype, res->ai_protocol);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 4) != 0 ||
        set_nonblock(fd) != 0 || getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        freeaddrinfo(res);
        return fail(s, "cannot listen on %s: %s%s", hostport, strerror(e),
                    e == EADDRINUSE ? " (pick another port)" : "");
    }
    freeaddrinfo(res);
    if (ss.ss_family == AF_INET6)
        snprintf(name, sizeof name, "%s://[%s]:%u", scheme, host,
                 ntohs(((struct sockaddr_in6 *)&ss)->sin6_port));
    else
        snprintf(name, sizeof name, "%s://%s:%u", scheme, host[0] ? host : "0.0.0.0",
                 ntohs(((struct sockaddr_in *)&ss)->sin_port));
    *lfd = fd;
    if (s->cfg->on_ready)
        s->cfg->on_ready(s->cfg->ctx, name);
    return 0;
}

/* --- the pseudo-terminal --- */

static int open_pty(struct server *s)
{
    struct termios t;
    const char *slave;
    int fd = posix_openpt(O_RDWR | O_NOCTTY);

    if (fd < 0 || grantpt(fd) != 0 || unlockpt(fd) != 0 || !(slave = ptsname(fd)) ||
        set_nonblock(fd) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return fail(s, "cannot create a pseudo-terminal: %s", strerror(e));
    }
    snprintf(s->pty_path, sizeof s->pty_path, "%s", slave);
    /* raw from the start: no echo of device output back into the device before a client
     * has configured the port */
    if (tcgetattr(fd, &t) == 0) {
        cfmakeraw(&t);
        cfsetispeed(&t, B115200);
        cfsetospeed(&t, B115200);
        tcsetattr(fd, TCSANOW, &t);
    }
    s->pty_fd = fd;
    s->pty_baud = DEFAULT_BAUD;
    if (s->cfg->pty_link) {
        unlink(s->cfg->pty_link); /* a stale link from an earlier run */
        if (symlink(s->pty_path, s->cfg->pty_link) != 0)
            return fail(s, "cannot create the link %s -> %s: %s", s->cfg->pty_link, s->pty_path,
                        strerror(errno));
        s->pty_link_made = true;
    }
    if (s->cfg->on_ready)
        s->cfg->on_ready(s->cfg->ctx, s->cfg->pty_link ? s->cfg->pty_link : s->pty_path);
    return 0;
}

static void close_pty(struct server *s)
{
    if (s->pty_fd >= 0)
        close(s->pty_fd);
    s->pty_fd = -1;
    if (s->pty_link_made)
        unlink(s->cfg->pty_link);
    s->pty_link_made = false;
}

/* --- clients --- */

static int sink_init(struct sink *k, enum ep_kind kind, int fd)
{
    uint8_t *out = k->out;

    memset(k, 0, sizeof *k);
    k->out = out ? out : malloc(NET_OUT_CAP);
    k->fd = fd;
    k->kind = kind;
    k->baud = DEFAULT_BAUD;
    return k->out ? 0 : -1;
}

static void queue_raw(struct sink *k, const uint8_t *b, size_t n)
{
    if (n > NET_OUT_CAP - k->olen)
        n = NET_OUT_CAP - k->olen; /* only protocol replies can hit this; never data */
    memcpy(k->out + k->olen, b, n);
    k->olen += n;
}

/* Writes what the socket/pty takes now. -1 when the peer is gone. */
static int flush_sink(struct sink *k)
{
    while (k->olen) {
        ssize_t n = k->kind == EP_PTY ? write(k->fd, k->out, k->olen)
                                      : send(k->fd, k->out, k->olen, MSG_NOSIGNAL);
        if (n > 0) {
            memmove(k->out, k->out + n, k->olen - (size_t)n);
            k->olen -= (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        return -1;
    }
    return 0;
}

static void drop_client(struct server *s, const char *why)
{
    if (s->client.fd < 0)
        return;
    close(s->client.fd);
    s->client.fd = -1;
    s->client.olen = 0;
    event(s, "client disconnected (%s)", why);
    if (s->client.kind == EP_RFC && (s->dtr || s->rts)) {
        /* the serial port closes on the far side: both lines fall */
        s->dtr = s->rts = false;
        elsim_set_lines(s->dev, false, false);
    }
    if (s->cfg->once)
        s->done = true;
}

static void accept_client(struct server *s, int lfd, enum ep_kind kind)
{
    int fd = accept(lfd, NULL, NULL), one = 1;

    if (fd < 0)
        return;
    if (s->client.fd >= 0) {
        close(fd); /* one client at a time */
        event(s, "refused a second client while one is connected");
        return;
    }
    if (set_nonblock(fd) != 0 || sink_init(&s->client, kind, fd) != 0) {
        close(fd);
        s->client.fd = -1;
        return;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    event(s, "client connected (%s)", kind == EP_RFC ? "rfc2217" : "raw TCP");
    if (kind == EP_RFC) {
        /* offer what we support; clients may also ask first */
        const uint8_t hello[] = {T_IAC,      T_DO,  OPT_COMPORT, T_IAC,  T_WILL,
                                 OPT_BINARY, T_IAC, T_WILL,      OPT_SGA};
        s->client.him[OPT_COMPORT] = 1;
        s->client.us[OPT_BINARY] = s->client.us[OPT_SGA] = 1;
        queue_raw(&s->client, hello, sizeof hello);
    }
}

/* --- RFC 2217 server side --- */

static bool rfc_wanted(uint8_t opt)
{
    return opt == OPT_BINARY || opt == OPT_SGA || opt == OPT_COMPORT;
}

static void rfc_neg(struct sink *k, uint8_t cmd, uint8_t opt)
{
    uint8_t r[3] = {T_IAC, 0, opt};

    switch (cmd) {
    case T_WILL: /* the client will do opt (COM-PORT, BINARY, SGA) */
        if (rfc_wanted(opt)) {
            if (k->him[opt] == 0) {
                r[1] = T_DO;
                queue_raw(k, r, 3);
            }
            k->him[opt] = 2;
        } else {
            r[1] = T_DONT;
            queue_raw(k, r, 3);
        }
        break;
    case T_WONT:
        if (k->him[opt] == 2) {
            r[1] = T_DONT;
            queue_raw(k, r, 3);
        }
        k->him[opt] = 0;
        break;
    case T_DO:
        if (opt == OPT_BINARY || opt == OPT_SGA) {
            if (k->us[opt] == 0) {
                r[1] = T_WILL;
                queue_raw(k, r, 3);
            }
            k->us[opt] = 2;
        } else {
            r[1] = T_WONT;
            queue_raw(k, r, 3);
        }
        break;
    case T_DONT:
        if (k->us[opt] == 2) {
            r[1] = T_WONT;
            queue_raw(k, r, 3);
        }
        k->us[opt] = 0;
        break;
    }
}

static void rfc_reply(struct sink *k, uint8_t cmd, const uint8_t *val, size_t n)
{
    uint8_t b[4 + 2 * 32 + 2];
    size_t m = 0;

    b[m++] = T_IAC;
    b[m++] = T_SB;
    b[m++] = OPT_COMPORT;
    b[m++] = (uint8_t)(cmd + 100);
    for (size_t i = 0; i < n && i < 32; i++) {
        b[m++] = val[i];
        if (val[i] == T_IAC)
            b[m++] = T_IAC;
    }
    b[m++] = T_IAC;
    b[m++] = T_SE;
    queue_raw(k, b, m);
}

static void discard_output(struct server *s)
{
    uint8_t junk[4096];

    while (elsim_host_read(s->dev, junk, sizeof junk) > 0)
        ;
}

static void rfc_subneg(struct server *s, struct sink *k)
{
    const uint8_t *v = k->sb + 2;
    size_t n = k->sblen - 2;
    uint8_t cmd, b[4];

    if (k->sb_overflow || k->sblen < 2 || k->sb[0] != OPT_COMPORT)
        return;
    cmd = k->sb[1];
    switch (cmd) {
    case 0: /* SIGNATURE */
        rfc_reply(k, cmd, (const uint8_t *)"espload-sim", 11);
        break;
    case 1: /* SET-BAUDRATE; 0 asks for the current rate */
        if (n == 4) {
            uint32_t baud =
                (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 | (uint32_t)v[2] << 8 | v[3];
            if (baud) {
                k->baud = baud;
                elsim_set_host_baud(s->dev, baud);
                event(s, "client set %u baud", (unsigned)baud);
            }
        }
        b[0] = (uint8_t)(k->baud >> 24);
        b[1] = (uint8_t)(k->baud >> 16);
        b[2] = (uint8_t)(k->baud >> 8);
        b[3] = (uint8_t)k->baud;
        rfc_reply(k, cmd, b, 4);
        break;
    case 2: /* SET-DATASIZE */
        rfc_reply(k, cmd, (const uint8_t[]){8}, 1);
        break;
    case 3: /* SET-PARITY: NONE */
    case 4: /* SET-STOPSIZE: 1 */
        rfc_reply(k, cmd, (const uint8_t[]){1}, 1);
        break;
    case 5: { /* SET-CONTROL */
        uint8_t val = n ? v[0] : 0, ans = val;
        bool dtr = s->dtr, rts = s->rts;
        switch (val) {
        case 0: /* ask flow control */
        case 1:
        case 2:
        case 3:
            ans = 1; /* none is all there is */
            break;
        case 4: /* ask BREAK state */
        case 5:
        case 6:
            ans = 6;
            break;
        case 7:
            ans = s->dtr ? 8 : 9;
            break;
        case 8:
        case 9:
            dtr = val == 8;
            break;
        case 10:
            ans = s->rts ? 11 : 12;
            break;
        case 11:
        case 12:
            rts = val == 11;
            break;
        default:
            break;
        }
        if (dtr != s->dtr || rts != s->rts) {
            s->dtr = dtr;
            s->rts = rts;
            elsim_set_lines(s->dev, dtr, rts);
            event(s, "lines DTR=%d RTS=%d at %llu us (%s)", dtr, rts,
                  (unsigned long long)elsim_now_us(s->dev), elsim_state_name(s->dev));
        }
        rfc_reply(k, cmd, &ans, 1);
        break;
    }
    case 12: /* PURGE-DATA: 1 = what came from the device, 2 = towards it, 3 = both */
        if (n && (v[0] == 1 || v[0] == 3))
            discard_output(s);
        rfc_reply(k, cmd, v, n ? 1 : 0);
        break;
    case 10: /* SET-LINESTATE-MASK */
    case 11: /* SET-MODEMSTATE-MASK */
        rfc_reply(k, cmd, v, n ? 1 : 0);
        break;
    default: /* NOTIFY-*, FLOWCONTROL-SUSPEND/RESUME: nothing to do */
        break;
    }
}

/* Parses client bytes; plain data is collected into data[] (returns its length). */
static size_t rfc_input(struct server *s, struct sink *k, const uint8_t *in, size_t n,
                        uint8_t *data)
{
    size_t m = 0;

    for (size_t i = 0; i < n; i++) {
        uint8_t c = in[i];
        switch (k->st) {
        case 0:
            if (c == T_IAC)
                k->st = 1;
            else
                data[m++] = c;
            break;
        case 1:
            if (c == T_IAC) {
                data[m++] = c;
                k->st = 0;
            } else if (c == T_SB) {
                k->sblen = 0;
                k->sb_overflow = false;
                k->st = 3;
            } else if (c >= T_WILL && c <= T_DONT) {
                k->neg = c;
                k->st = 2;
            } else {
                k->st = 0;
            }
            break;
        case 2:
            rfc_neg(k, k->neg, c);
            k->st = 0;
            break;
        case 3:
            if (c == T_IAC)
                k->st = 4;
            else if (k->sblen < NET_SB_MAX)
                k->sb[k->sblen++] = c;
            else
                k->sb_overflow = true;
            break;
        case 4:
            if (c == T_IAC) {
                if (k->sblen < NET_SB_MAX)
                    k->sb[k->sblen++] = c;
                else
                    k->sb_overflow = true;
                k->st = 3;
            } else {
                if (c == T_SE) {
                    /* data bytes collected so far reach the device before the command */
                    if (m) {
                        elsim_host_write(s->dev, data, m, k->baud);
                        m = 0;
                    }
                    rfc_subneg(s, k);
                }
                k->st = 0;
            }
            break;
        }
    }
    return m;
}

/* --- the loop --- */

static uint32_t device_baud(struct server *s)
{
    struct elsim_stats st;

    elsim_get_stats(s->dev, &st);
    return st.baud ? st.baud : DEFAULT_BAUD;
}

static void client_readable(struct server *s)
{
    uint8_t in[4096], data[4096];
    struct sink *k = &s->client;
    ssize_t n = recv(k->fd, in, sizeof in, 0);
    size_t m;

    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        drop_client(s, n == 0 ? "closed" : strerror(errno));
        return;
    }
    if (n < 0)
        return;
    k->used = true;
    if (k->kind == EP_TCP) {
        elsim_host_write(s->dev, in, (size_t)n, device_baud(s));
        return;
    }
    m = rfc_input(s, k, in, (size_t)n, data);
    if (m)
        elsim_host_write(s->dev, data, m, k->baud);
}

static void pty_readable(struct server *s)
{
    uint8_t in[4096];
    ssize_t n = read(s->pty_fd, in, sizeof in);
    unsigned baud;

    if (n <= 0)
        return; /* EIO: no client has the slave open; the HUP check handles it */
    baud = eli_simnet_pty_baud(s->pty_fd);
    if (baud)
        s->pty_baud = baud;
    s->pty.used = true;
    elsim_host_write(s->dev, in, (size_t)n, s->pty_baud);
}

/* The sink that gets device output: the network client if there is one, else the pty when a
 * program has it open; NULL: output is dropped, as on a UART nobody listens to. */
static struct sink *current_sink(struct server *s)
{
    if (s->client.fd >= 0)
        return &s->client;
    if (s->pty_fd >= 0 && !s->pty_hup)
        return &s->pty;
    return NULL;
}

static void move_output(struct server *s)
{
    struct sink *k = current_sink(s);
    uint8_t b[4096];

    if (!k) {
        discard_output(s);
        return;
    }
    for (;;) {
        size_t room = NET_OUT_CAP - k->olen, n;
        if (k->kind == EP_RFC)
            room /= 2; /* worst case: every byte doubled */
        if (room == 0)
            break;
        n = elsim_host_read(s->dev, b, room < sizeof b ? room : sizeof b);
        if (n == 0)
            break;
        if (k->kind != EP_RFC) {
            queue_raw(k, b, n);
            continue;
        }
        for (size_t i = 0; i < n; i++) {
            k->out[k->olen++] = b[i];
            if (b[i] == T_IAC)
                k->out[k->olen++] = T_IAC;
        }
    }
}

static void check_pty(struct server *s)
{
    struct pollfd q = {.fd = s->pty_fd, .events = POLLIN};
    bool hup;

    if (s->pty_fd < 0)
        return;
    if (poll(&q, 1, 0) < 0)
        return;
    hup = (q.revents & POLLHUP) != 0;
    if (hup && !s->pty_hup) {
        s->pty.olen = 0;
        if (s->pty.used) {
            event(s, "pty client closed the port");
            if (s->cfg->once)
                s->done = true;
        }
        s->pty.used = false;
    } else if (!hup && s->pty_hup) {
        event(s, "pty opened by a client");
    }
    s->pty_hup = hup;
    if (!hup) {
        unsigned baud = eli_simnet_pty_baud(s->pty_fd);
        if (baud && baud != s->pty_baud) {
            s->pty_baud = baud;
            if (s->client.fd < 0)
                elsim_set_host_baud(s->dev, baud);
        }
    }
}

static int poll_timeout_ms(struct server *s)
{
    uint64_t next = elsim_next_output_us(s->dev), now = elsim_now_us(s->dev);
    uint64_t wait_us;

    if (next == UINT64_MAX)
        return NET_TICK_MS;
    if (next <= now) /* due but not taken (client not draining): wait for POLLOUT or a tick */
        return current_sink(s) && current_sink(s)->olen >= NET_OUT_CAP / 2 ? NET_TICK_MS : 1;
    wait_us = next - now;
    return wait_us >= NET_TICK_MS * 1000u ? NET_TICK_MS : (int)((wait_us + 999) / 1000);
}

static void run_loop(struct server *s)
{
    uint64_t last = mono_us();

    while (!s->done && !(s->cfg->stop && *s->cfg->stop)) {
        struct pollfd pf[4];
        int npf = 0, ix_tcp = -1, ix_rfc = -1, ix_cli = -1, ix_pty = -1;
        uint64_t now = mono_us();
        struct sink *k;

        elsim_advance(s->dev, now - last);
        last = now;
        if (elsim_gone(s->dev)) {
            event(s, "the device vanished (fault): closing the connections");
            drop_client(s, "device vanished");
            close_pty(s);
            s->done = true;
            break;
        }
        check_pty(s);
        if (s->done)
            break;
        move_output(s);
        k = current_sink(s);
        if (k && k->olen && flush_sink(k) != 0) {
            if (k == &s->client)
                drop_client(s, strerror(errno));
            else
                s->pty.olen = 0;
        }
        if (s->done)
            break;
        if (s->tcp_lfd >= 0) {
            ix_tcp = npf;
            pf[npf++] = (struct pollfd){.fd = s->tcp_lfd, .events = POLLIN};
        }
        if (s->rfc_lfd >= 0) {
            ix_rfc = npf;
            pf[npf++] = (struct pollfd){.fd = s->rfc_lfd, .events = POLLIN};
        }
        if (s->client.fd >= 0) {
            ix_cli = npf;
            pf[npf++] = (struct pollfd){.fd = s->client.fd,
                                        .events = (short)(POLLIN | (s->client.olen ? POLLOUT : 0))};
        }
        if (s->pty_fd >= 0 && !s->pty_hup) {
            ix_pty = npf;
            pf[npf++] = (struct pollfd){.fd = s->pty_fd,
                                        .events = (short)(POLLIN | (s->pty.olen ? POLLOUT : 0))};
        }
        if (poll(pf, (nfds_t)npf, poll_timeout_ms(s)) <= 0)
            continue; /* timeout or EINTR (a signal: the stop flag is checked above) */
        /* the clock first, so that input is stamped with the time it arrived */
        now = mono_us();
        elsim_advance(s->dev, now - last);
        last = now;
        if (ix_cli >= 0 && (pf[ix_cli].revents & (POLLIN | POLLHUP | POLLERR)))
            client_readable(s);
        if (ix_pty >= 0 && (pf[ix_pty].revents & POLLIN))
            pty_readable(s);
        if (ix_tcp >= 0 && (pf[ix_tcp].revents & POLLIN))
            accept_client(s, s->tcp_lfd, EP_TCP);
        if (ix_rfc >= 0 && (pf[ix_rfc].revents & POLLIN))
            accept_client(s, s->rfc_lfd, EP_RFC);
    }
}

int elsim_serve(struct elsim *dev, const struct elsim_serve_cfg *cfg, char *err, size_t errlen)
{
    struct server s = {.dev = dev,
                       .cfg = cfg,
                       .tcp_lfd = -1,
                       .rfc_lfd = -1,
                       .pty_fd = -1,
                       .err = err,
                       .errlen = errlen};
    int rc = 0;

    if (err && errlen)
        err[0] = '\0';
    if (!dev || !cfg)
        return fail(&s, "no device or configuration");
    if (!cfg->tcp && !cfg->rfc2217 && !cfg->pty)
        return fail(&s, "no endpoint: give --tcp, --rfc2217 or --pty");
    s.client.fd = -1;
    if (sink_init(&s.client, EP_TCP, -1) != 0 || sink_init(&s.pty, EP_PTY, -1) != 0) {
        free(s.client.out);
        return fail(&s, "out of memory");
    }
    if (cfg->tcp)
        rc = listen_on(&s, cfg->tcp, "socket", &s.tcp_lfd);
    if (!rc && cfg->rfc2217)
        rc = listen_on(&s, cfg->rfc2217, "rfc2217", &s.rfc_lfd);
    if (!rc && cfg->pty) {
        rc = open_pty(&s);
        s.pty.fd = s.pty_fd;
    }
    if (!rc) {
        if (s.pty_fd >= 0)
            elsim_set_host_baud(dev, s.pty_baud);
        run_loop(&s);
    }
    if (s.client.fd >= 0)
        close(s.client.fd);
    close_pty(&s);
    if (s.tcp_lfd >= 0)
        close(s.tcp_lfd);
    if (s.rfc_lfd >= 0)
        close(s.rfc_lfd);
    free(s.client.out);
    free(s.pty.out);
    return rc;
}
