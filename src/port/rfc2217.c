/* SPDX-License-Identifier: MIT */
/*
 * rfc2217://host:port[?options] — a serial port behind a Telnet COM-PORT-OPTION server
 * (RFC 2217: ser2net, esp_rfc2217_server, espload-sim --rfc2217). Baud rate, framing and the
 * DTR/RTS lines are set with subnegotiations; each change waits for the server's confirmation
 * so that reset timing measured on this side holds on the far side. Data bytes 0xFF travel
 * doubled (IAC IAC) both ways.
 *
 * Options (pyserial's spellings): ign_set_control (do not wait for SET-CONTROL answers),
 * timeout=<seconds> (how long to wait for answers, default 3), logging=<level> and poll_modem
 * (accepted and ignored).
 */
#include "port_int.h"
#include "port_os.h"

#include "espload/err.h"

#include <stdlib.h>
#include <string.h>

enum {
    T_SE = 240,
    T_SB = 250,
    T_WILL = 251,
    T_WONT = 252,
    T_DO = 253,
    T_DONT = 254,
    T_IAC = 255,
    OPT_BINARY = 0,
    OPT_ECHO = 1,
    OPT_SGA = 3,
    OPT_COMPORT = 44,
    /* COM-PORT-OPTION commands, client to server; the server answers with +100 */
    CPO_SIGNATURE = 0,
    CPO_SET_BAUDRATE = 1,
    CPO_SET_DATASIZE = 2,
    CPO_SET_PARITY = 3,
    CPO_SET_STOPSIZE = 4,
    CPO_SET_CONTROL = 5,
    CPO_PURGE_DATA = 12,
    CPO_SERVER = 100,
    CTL_NO_FLOW = 1,
    CTL_DTR_ON = 8,
    CTL_DTR_OFF = 9,
    CTL_RTS_ON = 11,
    CTL_RTS_OFF = 12,
    PARITY_NONE = 1,
    STOPSIZE_1 = 1,
    PURGE_RECEIVE = 1,
};

#define RFC_CONNECT_TIMEOUT_MS 5000u
#define RFC_RX_MAX             (4u << 20)
#define RFC_SB_MAX             64u

enum parse_state { P_DATA, P_IAC, P_NEG, P_SB, P_SB_IAC };

/* per-option negotiation state for each side: 0 off, 1 requested by us, 2 on */
struct rfc_port {
    intptr_t s;
    unsigned answer_timeout_ms;
    bool ign_set_control;
    uint8_t us[256], him[256];
    enum parse_state st;
    uint8_t neg_cmd;
    uint8_t sb[RFC_SB_MAX];
    size_t sblen;
    bool sb_overflow;
    unsigned answers[13]; /* server answers seen, per command */
    uint8_t *rx;          /* decoded data not yet read */
    size_t rpos, rlen, rcap;
    bool rx_overflow;
};

static struct rfc_port *rp(const struct el_port *p)
{
    return p->impl;
}

static int send_raw(struct el_port *p, const uint8_t *b, size_t n)
{
    return eli_net_write(p, rp(p)->s, b, n, rp(p)->answer_timeout_ms);
}

static int send_neg(struct el_port *p, uint8_t cmd, uint8_t opt)
{
    const uint8_t b[3] = {T_IAC, cmd, opt};
    return send_raw(p, b, sizeof b);
}

/* IAC SB COM-PORT-OPTION cmd <value, 0xFF doubled> IAC SE */
static int send_cpo(struct el_port *p, uint8_t cmd, const uint8_t *val, size_t n)
{
    uint8_t b[4 + 2 * 8 + 2];
    size_t k = 0;

    b[k++] = T_IAC;
    b[k++] = T_SB;
    b[k++] = OPT_COMPORT;
    b[k++] = cmd;
    for (size_t i = 0; i < n && i < 8; i++) {
        b[k++] = val[i];
        if (val[i] == T_IAC)
            b[k++] = T_IAC;
    }
    b[k++] = T_IAC;
    b[k++] = T_SE;
    return send_raw(p, b, k);
}

static bool option_wanted(uint8_t opt)
{
    return opt == OPT_BINARY || opt == OPT_SGA || opt == OPT_COMPORT;
}

static int on_negotiation(struct el_port *p, uint8_t cmd, uint8_t opt)
{
    struct rfc_port *r = rp(p);

    switch (cmd) {
    case T_DO: /* server asks us to enable opt */
        if (option_wanted(opt)) {
            int rc = r->us[opt] == 0 ? send_neg(p, T_WILL, opt) : EL_OK;
            r->us[opt] = 2;
            return rc;
        }
        return send_neg(p, T_WONT, opt);
    case T_DONT:
        if (r->us[opt] == 2) {
            r->us[opt] = 0;
            return send_neg(p, T_WONT, opt);
        }
        r->us[opt] = 0;
        return EL_OK;
    case T_WILL: /* server offers to enable opt */
        if (option_wanted(opt) || opt == OPT_ECHO) {
            int rc = r->him[opt] == 0 ? send_neg(p, T_DO, opt) : EL_OK;
            r->him[opt] = 2;
            return rc;
        }
        return send_neg(p, T_DONT, opt);
    case T_WONT:
        if (r->him[opt] == 2) {
            r->him[opt] = 0;
            return send_neg(p, T_DONT, opt);
        }
        r->him[opt] = 0;
        return EL_OK;
    default:
        return EL_OK;
    }
}

static void on_subnegotiation(struct el_port *p)
{
    struct rfc_port *r = rp(p);

    if (r->sb_overflow || r->sblen < 2 || r->sb[0] != OPT_COMPORT)
        return;
    if (r->sb[1] >= CPO_SERVER && r->sb[1] - CPO_SERVER < 13)
        r->answers[r->sb[1] - CPO_SERVER]++;
    /* NOTIFY-LINESTATE/MODEMSTATE, FLOWCONTROL-SUSPEND/RESUME and requests are ignored */
}

static int rx_put(struct el_port *p, uint8_t c)
{
    struct rfc_port *r = rp(p);

    if (r->rpos == r->rlen)
        r->rpos = r->rlen = 0;
    if (r->rlen == r->rcap) {
        size_t cap;
        uint8_t *nb;
        if (r->rpos) {
            memmove(r->rx, r->rx + r->rpos, r->rlen - r->rpos);
            r->rlen -= r->rpos;
            r->rpos = 0;
        }
        if (r->rlen == r->rcap) {
            cap = r->rcap ? r->rcap * 2 : 4096;
            if (cap > RFC_RX_MAX)
                return eli_port_fail(p, EL_E_IO,
                                     "more than %u bytes received without being "
                                     "read; the connection is out of step",
                                     RFC_RX_MAX);
            nb = realloc(r->rx, cap);
            if (!nb)
                return eli_port_fail(p, EL_E_NOMEM, "out of memory");
            r->rx = nb;
            r->rcap = cap;
        }
    }
    r->rx[r->rlen++] = c;
    return EL_OK;
}

/* Feeds received bytes through the Telnet parser. */
static int parse(struct el_port *p, const uint8_t *b, size_t n)
{
    struct rfc_port *r = rp(p);
    int rc = EL_OK;

    for (size_t i = 0; i < n && rc == EL_OK; i++) {
        uint8_t c = b[i];
        switch (r->st) {
        case P_DATA:
            if (c == T_IAC)
                r->st = P_IAC;
            else
                rc = rx_put(p, c);
            break;
        case P_IAC:
            if (c == T_IAC) {
                rc = rx_put(p, c);
                r->st = P_DATA;
            } else if (c == T_SB) {
                r->sblen = 0;
                r->sb_overflow = false;
                r->st = P_SB;
            } else if (c >= T_WILL && c <= T_DONT) {
                r->neg_cmd = c;
                r->st = P_NEG;
            } else {
                r->st = P_DATA; /* NOP, GA, ... */
            }
            break;
        case P_NEG:
            r->st = P_DATA;
            rc = on_negotiation(p, r->neg_cmd, c);
            break;
        case P_SB:
            if (c == T_IAC) {
                r->st = P_SB_IAC;
            } else if (r->sblen < RFC_SB_MAX) {
                r->sb[r->sblen++] = c;
            } else {
                r->sb_overflow = true;
            }
            break;
        case P_SB_IAC:
            if (c == T_IAC) {
                if (r->sblen < RFC_SB_MAX)
                    r->sb[r->sblen++] = c;
                else
                    r->sb_overflow = true;
                r->st = P_SB;
            } else {
                if (c == T_SE)
                    on_subnegotiation(p);
                r->st = P_DATA;
            }
            break;
        }
    }
    return rc;
}

/* Reads once from the socket (waiting at most timeout_ms) and parses what came. */
static int pump(struct el_port *p, unsigned timeout_ms)
{
    uint8_t b[4096];
    int n = eli_net_read(p, rp(p)->s, b, sizeof b, timeout_ms);

    if (n <= 0)
        return n;
    return parse(p, b, (size_t)n);
}

/* Waits until the server has answered command cmd more than `seen` times. */
static int wait_answer(struct el_port *p, uint8_t cmd, unsigned seen, const char *what)
{
    struct rfc_port *r = rp(p);
    uint64_t deadline = eli_port_now_ms() + r->answer_timeout_ms;

    while (r->answers[cmd] <= seen) {
        uint64_t now = eli_port_now_ms();
        int rc;
        if (now >= deadline)
            return eli_port_fail(p, EL_E_TIMEOUT,
                                 "the RFC 2217 server did not confirm %s within %u ms; add "
                                 "?ign_set_control for servers that never answer",
                                 what, r->answer_timeout_ms);
        rc = pump(p, (unsigned)(deadline - now));
        if (rc < 0)
            return rc;
    }
    return EL_OK;
}

static int cpo_confirmed(struct el_port *p, uint8_t cmd, const uint8_t *val, size_t n,
                         const char *what)
{
    unsigned seen = rp(p)->answers[cmd];
    int rc = send_cpo(p, cmd, val, n);

    return rc ? rc : wait_answer(p, cmd, seen, what);
}

static int set_control(struct el_port *p, uint8_t value, const char *what)
{
    if (rp(p)->ign_set_control)
        return send_cpo(p, CPO_SET_CONTROL, &value, 1);
    return cpo_confirmed(p, CPO_SET_CONTROL, &value, 1, what);
}

static int parse_options(struct el_port *p, const char *q)
{
    struct rfc_port *r = rp(p);

    while (q && *q) {
        const char *amp = strchr(q, '&');
        size_t n = amp ? (size_t)(amp - q) : strlen(q);
        if (n == 15 && strncmp(q, "ign_set_control", 15) == 0) {
            r->ign_set_control = true;
        } else if (n > 8 && strncmp(q, "timeout=", 8) == 0) {
            char *end;
            double sec = strtod(q + 8, &end);
            if (end != q + n || !(sec > 0 && sec <= 600))
                return eli_port_fail(p, EL_E_ARG, "bad rfc2217 timeout '%.*s'; give seconds",
                                     (int)n, q);
            r->answer_timeout_ms = (unsigned)(sec * 1000);
        } else if ((n > 8 && strncmp(q, "logging=", 8) == 0) ||
                   (n >= 10 && strncmp(q, "poll_modem", 10) == 0)) {
            /* accepted for compatibility */
        } else {
            return eli_port_fail(p, EL_E_ARG,
                                 "unknown rfc2217 option '%.*s'; known: ign_set_control, "
                                 "timeout=<s>",
                                 (int)n, q);
        }
        q = amp ? amp + 1 : NULL;
    }
    return EL_OK;
}

static int rfc_negotiate(struct el_port *p, unsigned baud)
{
    struct rfc_port *r = rp(p);
    const uint8_t hello[] = {T_IAC,      T_WILL,  OPT_BINARY, T_IAC,   T_DO,
                             OPT_BINARY, T_IAC,   T_WILL,     OPT_SGA, T_IAC,
                             T_DO,       OPT_SGA, T_IAC,      T_WILL,  OPT_COMPORT};
    uint64_t deadline;
    uint8_t v[4];
    int rc;

    r->us[OPT_BINARY] = r->us[OPT_SGA] = r->us[OPT_COMPORT] = 1;
    r->him[OPT_BINARY] = r->him[OPT_SGA] = 1;
    rc = send_raw(p, hello, sizeof hello);
    if (rc)
        return rc;
    deadline = eli_port_now_ms() + r->answer_timeout_ms;
    while (r->us[OPT_COMPORT] != 2) {
        uint64_t now = eli_port_now_ms();
        if (r->us[OPT_COMPORT] == 0)
            return eli_port_fail(p, EL_E_PORT,
                                 "the server refused the RFC 2217 COM-PORT option; for a raw "
                                 "TCP server use socket:// instead");
        if (now >= deadline)
            return eli_port_fail(p, EL_E_PORT,
                                 "no RFC 2217 negotiation from the server within %u ms; is it "
                                 "an RFC 2217 server (for raw TCP use socket://)?",
                                 r->answer_timeout_ms);
        rc = pump(p, (unsigned)(deadline - now));
        if (rc < 0)
            return rc;
    }
    v[0] = (uint8_t)(baud >> 24);
    v[1] = (uint8_t)(baud >> 16);
    v[2] = (uint8_t)(baud >> 8);
    v[3] = (uint8_t)baud;
    rc = cpo_confirmed(p, CPO_SET_BAUDRATE, v, 4, "the baud rate");
    if (!rc)
        rc = cpo_confirmed(p, CPO_SET_DATASIZE, (const uint8_t[]){8}, 1, "the data size");
    if (!rc)
        rc = cpo_confirmed(p, CPO_SET_PARITY, (const uint8_t[]){PARITY_NONE}, 1, "the parity");
    if (!rc)
        rc = cpo_confirmed(p, CPO_SET_STOPSIZE, (const uint8_t[]){STOPSIZE_1}, 1, "the stop bits");
    if (!rc)
        rc = set_control(p, CTL_NO_FLOW, "flow control off");
    return rc;
}

static void rfc_free(struct el_port *p)
{
    struct rfc_port *r = rp(p);

    if (!r)
        return;
    eli_net_close(r->s);
    free(r->rx);
    free(r);
    p->impl = NULL;
}

static int rfc_open(struct el_port *p, const char *target, const struct el_port_cfg *cfg)
{
    struct rfc_port *r;
    const char *q = strchr(target, '?');
    char hostport[300];
    size_t n = q ? (size_t)(q - target) : strlen(target);
    int rc;

    if (n && target[n - 1] == '/')
        n--;
    if (n == 0 || n >= sizeof hostport)
        return eli_port_fail(p, EL_E_ARG,
                             "'%s' is not host:port; write e.g. "
                             "rfc2217://127.0.0.1:5556",
                             target);
    memcpy(hostport, target, n);
    hostport[n] = '\0';
    r = calloc(1, sizeof *r);
    if (!r)
        return eli_port_fail(p, EL_E_NOMEM, "out of memory");
    r->s = -1;
    r->answer_timeout_ms = 3000;
    p->impl = r;
    rc = parse_options(p, q ? q + 1 : NULL);
    if (!rc)
        rc = eli_net_connect(p, hostport, RFC_CONNECT_TIMEOUT_MS, &r->s);
    if (!rc)
        rc = rfc_negotiate(p, cfg->baud);
    if (rc)
        rfc_free(p);
    return rc;
}

static int rfc_read(struct el_port *p, void *buf, size_t len, unsigned timeout_ms)
{
    struct rfc_port *r = rp(p);
    uint64_t deadline = eli_port_now_ms() + timeout_ms;

    while (r->rpos == r->rlen) {
        uint64_t now = eli_port_now_ms();
        int rc;
        if (now >= deadline)
            return 0;
        rc = pump(p, (unsigned)(deadline - now));
        if (rc < 0)
            return rc;
    }
    if (len > r->rlen - r->rpos)
        len = r->rlen - r->rpos;
    memcpy(buf, r->rx + r->rpos, len);
    r->rpos += len;
    return (int)len;
}

static int rfc_write(struct el_port *p, const void *buf, size_t len, unsigned timeout_ms)
{
    const uint8_t *b = buf;
    uint8_t out[2048];
    uint64_t deadline = eli_port_now_ms() + timeout_ms;

    while (len) {
        size_t k = 0;
        uint64_t now;
        int rc;
        while (len && k + 2 <= sizeof out) {
            out[k++] = *b;
            if (*b == T_IAC)
                out[k++] = T_IAC;
            b++;
            len--;
        }
        now = eli_port_now_ms();
        rc = eli_net_write(p, rp(p)->s, out, k, now >= deadline ? 0 : (unsigned)(deadline - now));
        if (rc)
            return rc;
    }
    return EL_OK;
}

static int rfc_flush_input(struct el_port *p)
{
    struct rfc_port *r = rp(p);
    int rc =
        cpo_confirmed(p, CPO_PURGE_DATA, (const uint8_t[]){PURGE_RECEIVE}, 1, "the input purge");

    r->rpos = r->rlen = 0;
    return rc;
}

static int rfc_set_baud(struct el_port *p, unsigned baud)
{
    const uint8_t v[4] = {(uint8_t)(baud >> 24), (uint8_t)(baud >> 16), (uint8_t)(baud >> 8),
                          (uint8_t)baud};

    return cpo_confirmed(p, CPO_SET_BAUDRATE, v, 4, "the baud rate");
}

static int rfc_set_lines(struct el_port *p, int dtr, int rts)
{
    int rc = EL_OK;

    if (dtr >= 0)
        rc = set_control(p, dtr ? CTL_DTR_ON : CTL_DTR_OFF, "the DTR change");
    if (!rc && rts >= 0)
        rc = set_control(p, rts ? CTL_RTS_ON : CTL_RTS_OFF, "the RTS change");
    return rc;
}

const struct eli_port_ops eli_rfc2217_ops = {
    .kind = "rfc2217",
    .open = rfc_open,
    .close = rfc_free,
    .read = rfc_read,
    .write = rfc_write,
    .flush_input = rfc_flush_input,
    .set_baud = rfc_set_baud,
    .set_lines = rfc_set_lines,
};
