/* SPDX-License-Identifier: MIT */
/* socket:// and rfc2217:// clients against scripted peers on 127.0.0.1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "espload/err.h"
#include "espload/port.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* --- a listening socket and a peer thread --- */

static int listen_any(int *port)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t al = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

    assert_true(fd >= 0);
    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one), 0);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(fd, 4), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

/* reads exactly n bytes (or fails after 3 s) */
static int read_n(int fd, uint8_t *b, size_t n)
{
    size_t got = 0;

    while (got < n) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        ssize_t k;
        if (poll(&pfd, 1, 3000) <= 0)
            return -1;
        k = read(fd, b + got, n - got);
        if (k <= 0)
            return -1;
        got += (size_t)k;
    }
    return 0;
}

static void open_expect(const char *url, int want_rc, const char *want_msg)
{
    struct el_port *p = (struct el_port *)1;
    char err[512];
    int rc = el_port_open(&p, url, NULL, err, sizeof err);

    if (rc != want_rc)
        fail_msg("%s: rc %d, want %d (%s)", url, rc, want_rc, err);
    assert_null(p);
    if (want_msg && !strstr(err, want_msg))
        fail_msg("%s: message '%s' lacks '%s'", url, err, want_msg);
}

static void portsock_raw(void **state)
{
    int port, lfd = listen_any(&port), cfd;
    char url[64], err[256];
    struct el_port *p;
    uint8_t buf[300], big[100000];

    snprintf(url, sizeof url, "socket://127.0.0.1:%d", port);
    assert_int_equal(el_port_open(&p, url, NULL, err, sizeof err), EL_OK);
    cfd = accept(lfd, NULL, NULL);
    assert_true(cfd >= 0);
    assert_string_equal(el_port_kind(p), "socket");
    assert_false(el_port_has_lines(p));
    assert_int_equal(el_port_set_lines(p, 1, 1), EL_E_UNSUPPORTED);
    assert_int_equal(el_port_set_baud(p, 921600), EL_E_UNSUPPORTED);
    assert_int_equal(el_port_get_baud(p), 115200);
    assert_int_equal(el_port_drain(p), EL_OK);
    for (int i = 0; i < 256; i++)
        buf[i] = (uint8_t)i;
    /* every byte value passes unchanged both ways (no Telnet escaping here) */
    assert_int_equal(el_port_write(p, buf, 256, 1000), EL_OK);
    memset(buf, 0, sizeof buf);
    assert_int_equal(read_n(cfd, buf, 256), 0);
    for (int i = 0; i < 256; i++)
        assert_int_equal(buf[i], i);
    assert_int_equal(write(cfd, "\xff\xc0\x00", 3), 3);
    assert_int_equal(el_port_read(p, buf, sizeof buf, 1000) > 0, 1);
    assert_int_equal(buf[0], 0xff);
    assert_int_equal(el_port_read(p, buf, sizeof buf, 10) >= 0, 1);
    assert_int_equal(el_port_read(p, buf, sizeof buf, 10), 0);
    /* flush_input drops what already came */
    assert_int_equal(write(cfd, "junk", 4), 4);
    usleep(20000);
    assert_int_equal(el_port_flush_input(p), EL_OK);
    assert_int_equal(el_port_read(p, buf, sizeof buf, 10), 0);
    /* a write larger than the socket buffers stalls while nobody reads, then times out */
    memset(big, 0x55, sizeof big);
    {
        int rc = EL_OK;
        for (int i = 0; i < 200 && rc == EL_OK; i++)
            rc = el_port_write(p, big, sizeof big, 50);
        assert_int_equal(rc, EL_E_TIMEOUT);
    }
    /* peer gone: reads fail instead of returning 0 forever */
    close(cfd);
    {
        int rc;
        do
            rc = el_port_read(p, big, sizeof big, 1000);
        while (rc > 0);
        assert_int_equal(rc, EL_E_IO);
    }
    assert_non_null(strstr(el_port_errmsg(p), "closed"));
    el_port_close(p);
    close(lfd);
}

static void portsock_errors(void **state)
{
    int port, lfd = listen_any(&port);
    char url[64];

    close(lfd); /* nothing listens there now */
    snprintf(url, sizeof url, "socket://127.0.0.1:%d", port);
    open_expect(url, EL_E_PORT, "connection refused");
    open_expect("socket://127.0.0.1", EL_E_ARG, "not host:port");
    open_expect("socket://:5555", EL_E_ARG, "not host:port");
    open_expect("socket://127.0.0.1:99999", EL_E_ARG, "not host:port");
    open_expect("socket://127.0.0.1:12x", EL_E_ARG, "not host:port");
    open_expect("socket://", EL_E_ARG, "not host:port");
    open_expect("socket://127.0.0.1:5555?bogus=1", EL_E_ARG, "unknown socket:// option");
    open_expect("socket://no-such-host.invalid:5555", EL_E_PORT, "cannot resolve host");
    open_expect("rfc2217://127.0.0.1:5555?nonsense", EL_E_ARG, "unknown rfc2217 option");
    open_expect("rfc2217://127.0.0.1:5555?timeout=-1", EL_E_ARG, "timeout");
}

/* --- a scripted RFC 2217 server --- */

enum { IAC = 255, SB = 250, SE = 240, WILL = 251, WONT = 252, DO = 253, DONT = 254, CPO = 44 };

struct rfc_peer {
    int lfd;
    int mode; /* 0 normal, 1 refuse COM-PORT, 2 silent, 3 never answer SET-CONTROL */
    /* what the server saw */
    uint8_t data[1024];
    size_t ndata;
    uint8_t controls[32];
    size_t ncontrols;
    uint32_t bauds[8];
    size_t nbauds;
    int purges, datasize, parity, stopsize;
    bool got_will_comport;
    /* bytes to send to the client once it asks for RTS off */
    const uint8_t *reply;
    size_t nreply;
};

static void send_all(int fd, const uint8_t *b, size_t n)
{
    while (n) {
        ssize_t k = write(fd, b, n);
        if (k <= 0)
            return;
        b += k;
        n -= (size_t)k;
    }
}

static void answer_sb(struct rfc_peer *pr, int fd, const uint8_t *sb, size_t n)
{
    uint8_t out[32];
    size_t k = 0;

    if (n < 2 || sb[0] != CPO)
        return;
    switch (sb[1]) {
    case 1:
        if (n == 6 && pr->nbauds < 8)
            pr->bauds[pr->nbauds++] =
                (uint32_t)sb[2] << 24 | (uint32_t)sb[3] << 16 | (uint32_t)sb[4] << 8 | sb[5];
        break;
    case 2:
        pr->datasize = sb[2];
        break;
    case 3:
        pr->parity = sb[2];
        break;
    case 4:
        pr->stopsize = sb[2];
        break;
    case 5:
        if (pr->ncontrols < sizeof pr->controls)
            pr->controls[pr->ncontrols++] = sb[2];
        if (pr->mode == 3)
            return;
        break;
    case 12:
        pr->purges++;
        break;
    }
    out[k++] = IAC;
    out[k++] = SB;
    out[k++] = CPO;
    out[k++] = (uint8_t)(sb[1] + 100);
    for (size_t i = 2; i < n; i++) {
        out[k++] = sb[i];
        if (sb[i] == IAC)
            out[k++] = IAC;
    }
    out[k++] = IAC;
    out[k++] = SE;
    /* a modem-state notification first, as real servers send them unasked */
    send_all(fd, (const uint8_t[]){IAC, SB, CPO, 107, 0x30, IAC, SE}, 7);
    send_all(fd, out, k);
    if (sb[1] == 5 && sb[2] == 12 && pr->reply)
        send_all(fd, pr->reply, pr->nreply);
}

static void *rfc_peer_main(void *arg)
{
    struct rfc_peer *pr = arg;
    int fd = accept(pr->lfd, NULL, NULL);
    uint8_t b[512], sb[64];
    size_t nsb = 0;
    int st = 0; /* 0 data, 1 iac, 2 neg, 3 sb, 4 sb-iac */
    uint8_t neg = 0;

    if (fd < 0)
        return NULL;
    for (;;) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        ssize_t n;
        if (poll(&pfd, 1, 5000) <= 0)
            break;
        n = read(fd, b, sizeof b);
        if (n <= 0)
            break;
        for (ssize_t i = 0; i < n; i++) {
            uint8_t c = b[i];
            switch (st) {
            case 0:
                if (c == IAC)
                    st = 1;
                else if (pr->ndata < sizeof pr->data)
                    pr->data[pr->ndata++] = c;
                break;
            case 1:
                if (c == IAC) {
                    if (pr->ndata < sizeof pr->data)
                        pr->data[pr->ndata++] = c;
                    st = 0;
                } else if (c == SB) {
                    nsb = 0;
                    st = 3;
                } else if (c >= WILL && c <= DONT) {
                    neg = c;
                    st = 2;
                } else {
                    st = 0;
                }
                break;
            case 2:
                st = 0;
                if (pr->mode == 2)
                    break;
                if (neg == WILL && c == CPO) {
                    pr->got_will_comport = true;
                    send_all(fd, (const uint8_t[]){IAC, (uint8_t)(pr->mode == 1 ? DONT : DO), CPO},
                             3);
                } else if (neg == WILL) {
                    send_all(fd, (const uint8_t[]){IAC, DO, c}, 3);
                } else if (neg == DO) {
                    send_all(fd, (const uint8_t[]){IAC, WILL, c}, 3);
                }
                break;
            case 3:
                if (c == IAC)
                    st = 4;
                else if (nsb < sizeof sb)
                    sb[nsb++] = c;
                break;
            case 4:
                if (c == IAC) {
                    if (nsb < sizeof sb)
                        sb[nsb++] = c;
                    st = 3;
                } else {
                    if (c == SE)
                        answer_sb(pr, fd, sb, nsb);
                    st = 0;
                }
                break;
            }
        }
    }
    close(fd);
    return NULL;
}

static void start_peer(struct rfc_peer *pr, pthread_t *th, int mode, char *url, size_t urllen,
                       const char *opts)
{
    int port;

    memset(pr, 0, sizeof *pr);
    pr->mode = mode;
    pr->lfd = listen_any(&port);
    snprintf(url, urllen, "rfc2217://127.0.0.1:%d%s", port, opts);
    assert_int_equal(pthread_create(th, NULL, rfc_peer_main, pr), 0);
}

static void portrfc_session(void **state)
{
    struct rfc_peer pr;
    pthread_t th;
    char url[96], err[256];
    struct el_port *p;
    struct el_port_cfg cfg = {.baud = 115200};
    uint8_t buf[64];
    const uint8_t reply[] = {0xc0, 0x01, 0xff, 0xff, 0x02, IAC, 241 /* NOP */, 0xc0};
    size_t got = 0;

    start_peer(&pr, &th, 0, url, sizeof url, "");
    pr.reply = reply;
    pr.nreply = sizeof reply;
    assert_int_equal(el_port_open(&p, url, &cfg, err, sizeof err), EL_OK);
    assert_string_equal(el_port_kind(p), "rfc2217");
    assert_true(el_port_has_lines(p));
    /* framing was set and confirmed during open */
    assert_true(pr.got_will_comport);
    assert_int_equal(pr.nbauds, 1);
    assert_int_equal(pr.bauds[0], 115200);
    assert_int_equal(pr.datasize, 8);
    assert_int_equal(pr.parity, 1);
    assert_int_equal(pr.stopsize, 1);
    assert_int_equal(pr.ncontrols, 1);
    assert_int_equal(pr.controls[0], 1); /* no flow control */

    /* a baud whose encoding contains 0xFF travels escaped and decodes right */
    assert_int_equal(el_port_set_baud(p, 0x0001ffff), EL_OK);
    assert_int_equal(el_port_set_baud(p, 921600), EL_OK);
    assert_int_equal(pr.nbauds, 3);
    assert_int_equal(pr.bauds[1], 0x0001ffff);
    assert_int_equal(pr.bauds[2], 921600);
    assert_int_equal(el_port_get_baud(p), 921600);

    /* data: 0xFF doubled on the wire, single for the server's serial side */
    assert_int_equal(el_port_write(p, "\x01\xff\x02\xff\xff", 5, 1000), EL_OK);
    assert_int_equal(el_port_flush_input(p), EL_OK); /* also a round trip: data arrived */
    assert_int_equal(pr.purges, 1);
    assert_int_equal(pr.ndata, 5);
    assert_memory_equal(pr.data, "\x01\xff\x02\xff\xff", 5);

    /* modem lines: DTR then RTS, each confirmed; RTS off makes the peer send data */
    assert_int_equal(el_port_set_lines(p, 1, 0), EL_OK);
    assert_int_equal(el_port_set_lines(p, -1, 1), EL_OK);
    assert_int_equal(el_port_set_lines(p, 0, -1), EL_OK);
    assert_int_equal(pr.ncontrols, 5);
    assert_int_equal(pr.controls[1], 8);  /* DTR on */
    assert_int_equal(pr.controls[2], 12); /* RTS off */
    assert_int_equal(pr.controls[3], 11); /* RTS on */
    assert_int_equal(pr.controls[4], 9);  /* DTR off */
    while (got < 5) {
        int n = el_port_read(p, buf + got, sizeof buf - got, 1000);
        assert_true(n > 0);
        got += (size_t)n;
    }
    assert_int_equal(got, 5);
    assert_memory_equal(buf, "\xc0\x01\xff\x02\xc0", 5);
    assert_int_equal(el_port_read(p, buf, sizeof buf, 10), 0);
    el_port_close(p);
    pthread_join(th, NULL);
    close(pr.lfd);
}

static void portrfc_refused(void **state)
{
    struct rfc_peer pr;
    pthread_t th;
    char url[96];

    start_peer(&pr, &th, 1, url, sizeof url, "");
    open_expect(url, EL_E_PORT, "refused the RFC 2217");
    pthread_join(th, NULL);
    close(pr.lfd);
}

static void portrfc_silent(void **state)
{
    struct rfc_peer pr;
    pthread_t th;
    char url[96];

    start_peer(&pr, &th, 2, url, sizeof url, "?timeout=0.2");
    open_expect(url, EL_E_PORT, "no RFC 2217 negotiation");
    pthread_join(th, NULL);
    close(pr.lfd);
}

static void portrfc_unanswered_control(void **state)
{
    struct rfc_peer pr;
    pthread_t th;
    char url[96], err[256];
    struct el_port *p;

    /* a server that never answers SET-CONTROL: an error naming the fix... */
    start_peer(&pr, &th, 3, url, sizeof url, "?timeout=0.2");
    open_expect(url, EL_E_TIMEOUT, "ign_set_control");
    pthread_join(th, NULL);
    close(pr.lfd);
    /* ...which works */
    start_peer(&pr, &th, 3, url, sizeof url, "?timeout=0.2&ign_set_control&logging=debug");
    assert_int_equal(el_port_open(&p, url, NULL, err, sizeof err), EL_OK);
    assert_int_equal(el_port_set_lines(p, 0, 1), EL_OK);
    el_port_close(p);
    pthread_join(th, NULL);
    close(pr.lfd);
    assert_int_equal(pr.ncontrols, 3);
    assert_int_equal(pr.controls[1], 9);
    assert_int_equal(pr.controls[2], 11);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(portsock_raw),    cmocka_unit_test(portsock_errors),
        cmocka_unit_test(portrfc_session), cmocka_unit_test(portrfc_refused),
        cmocka_unit_test(portrfc_silent),  cmocka_unit_test(portrfc_unanswered_control),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
