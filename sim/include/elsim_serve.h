/* SPDX-License-Identifier: MIT */
#ifndef ELSIM_ELSIM_SERVE_H
#define ELSIM_ELSIM_SERVE_H
/*
 * Network and terminal endpoints for one virtual device: a raw TCP server (socket://), an
 * RFC 2217 server (rfc2217://: baud rate and DTR/RTS over the network) and a pseudo-terminal
 * (a /dev/pts/N that any serial program can open; no modem lines). elsim_serve() runs a
 * single-threaded poll() loop: it advances the device clock with real monotonic time, so the
 * timing model (if on) plays out in real time, and hands output bytes to the client when they
 * are due. One client at a time: a TCP client that arrives while another is connected is
 * disconnected at once; the next one is accepted after the first leaves.
 *
 * POSIX only (on Windows elsim_serve() reports that it is unsupported).
 */
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct elsim;

struct elsim_serve_cfg {
    const char *tcp;      /* "host:port" for a raw TCP server (port 0: any free port), or NULL */
    const char *rfc2217;  /* "host:port" for an RFC 2217 server, or NULL */
    bool pty;             /* open a pseudo-terminal */
    const char *pty_link; /* with pty: also create this symlink to the pty (removed on exit) */
    bool once;            /* return after the first client has disconnected */
    /* The loop returns when *stop becomes non-zero (set it from a SIGINT/SIGTERM handler).
     * May be NULL. */
    volatile sig_atomic_t *stop;
    /* Called once per endpoint when it is ready, with the name a client opens:
     * "socket://127.0.0.1:5555", "rfc2217://127.0.0.1:5556" or the pty path (the link when
     * one was asked for). */
    void (*on_ready)(void *ctx, const char *port_name);
    /* Optional log of connections and disconnections (one line, no newline). */
    void (*on_event)(void *ctx, const char *msg);
    void *ctx;
};

/* Serves dev until *stop, until the first client leaves (once) or until the device vanishes
 * (a "vanish" fault: connections are closed, the pty disappears). Returns 0, or -1 with a
 * one-line message in err when an endpoint cannot be set up (address in use, bad address). */
int elsim_serve(struct elsim *dev, const struct elsim_serve_cfg *cfg, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
