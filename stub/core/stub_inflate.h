/* SPDX-License-Identifier: MIT */
#ifndef ESPLOAD_STUB_INFLATE_H
#define ESPLOAD_STUB_INFLATE_H
/*
 * Streaming zlib (RFC 1950) / deflate (RFC 1951) decoder for the flasher stub. It runs on
 * the chip, so it allocates nothing and needs no libc: the caller owns the state and a
 * 32 KiB output window. Input may be split anywhere; output is produced into the window
 * and handed back in place (the window doubles as the match history).
 *
 * Usage: stub_inflate_init(); then repeatedly stub_inflate_run() with the next input. It
 * stops when the input is used up (STUB_INF_NEED_INPUT), when the window is full
 * (STUB_INF_WINDOW_FULL: consume window[0..STUB_INF_WINDOW) then call again), after out_max
 * bytes if out_max is set (STUB_INF_OUT_LIMIT: bounds the time per call), at the end of
 * the stream (STUB_INF_DONE, Adler-32 verified) or on error. Output produced by a call is
 * window[*out_start .. st->pos).
 */
#include <stdint.h>

#define STUB_INF_WINDOW 32768u

enum stub_inf_status {
    STUB_INF_NEED_INPUT = 0,
    STUB_INF_WINDOW_FULL = 1,
    STUB_INF_DONE = 2,
    STUB_INF_OUT_LIMIT = 3,   /* out_max bytes produced by this call: call again */
    STUB_INF_ERR_HEADER = -1, /* bad zlib header (method, window, check bits, preset dict) */
    STUB_INF_ERR_DATA = -2,   /* invalid block type, code lengths, symbol or distance */
    STUB_INF_ERR_ADLER = -3   /* Adler-32 of the output does not match the trailer */
};

#define STUB_INF_FAST_BITS 9u

struct stub_huff {
    uint16_t count[16];   /* number of codes of each length */
    uint16_t symbol[288]; /* symbols ordered by code */
    /* codes of up to STUB_INF_FAST_BITS bits, indexed by the next input bits:
     * (length << 9) | symbol, 0 = longer code (decoded bit by bit) */
    uint16_t fast[1u << STUB_INF_FAST_BITS];
};

struct stub_inflate {
    uint8_t *window;  /* STUB_INF_WINDOW bytes, caller-owned */
    uint32_t pos;     /* next output position in window (0..STUB_INF_WINDOW) */
    uint32_t out_max; /* most bytes produced per call; 0 = no limit */
    uint32_t total;   /* bytes produced so far (saturates at 2^32-1) */
    uint32_t bitbuf;
    uint32_t bitcnt;
    uint32_t adler;
    uint32_t adler_in; /* trailer bytes collected */
    int state;
    int last;                           /* processing the final block */
    uint32_t len, dist;                 /* pending match, or stored-block length */
    uint32_t sym;                       /* pending length/distance symbol */
    uint32_t nlen, ndist, ncode, nlens; /* dynamic header */
    int err;
    struct stub_huff lencode;
    struct stub_huff distcode;
    uint16_t lens[320];
};

void stub_inflate_init(struct stub_inflate *st, uint8_t *window);
/* Consumes input from in[0..in_len); *consumed gets the bytes taken. *out_start gets the
 * window offset where this call's output begins. Returns an enum stub_inf_status. */
int stub_inflate_run(struct stub_inflate *st, const uint8_t *in, uint32_t in_len,
                     uint32_t *consumed, uint32_t *out_start);

/* Adler-32 update (RFC 1950), used by the inflater and its tests. */
uint32_t stub_adler32(uint32_t adler, const uint8_t *buf, uint32_t len);

#endif
