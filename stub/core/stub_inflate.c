/* SPDX-License-Identifier: MIT */
/*
 * Resumable inflater. Every state step takes all the bits it needs at once or none, so a
 * step that runs out of input simply returns and is retried with more input: the input
 * can be split at any byte. The bit buffer never holds more than 32 bits (4 bytes), so
 * at the end of the stream no byte past the Adler-32 trailer is ever consumed.
 * Huffman decoding is canonical, one bit at a time (counts + sorted symbols).
 */
#include "stub_inflate.h"

enum {
    S_ZHDR,
    S_BLKHDR,
    S_STORED_HDR,
    S_STORED,
    S_TABLE_HDR,
    S_CLEN,
    S_LENS,
    S_SYM,
    S_DIST,
    S_COPY,
    S_ADLER,
    S_DONE,
    S_ERR
};

#define WMASK (STUB_INF_WINDOW - 1u)

static const uint16_t len_base[29] = {3,  4,  5,  6,   7,   8,   9,   10,  11, 13,
                                      15, 17, 19, 23,  27,  31,  35,  43,  51, 59,
                                      67, 83, 99, 115, 131, 163, 195, 227, 258};
static const uint8_t len_extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                      2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
static const uint16_t dist_base[30] = {
    1,   2,   3,   4,   5,   7,    9,    13,   17,   25,   33,   49,   65,    97,    129,
    193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
static const uint8_t dist_extra[30] = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                       6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
static const uint8_t clen_order[19] = {16, 17, 18, 0, 8,  7, 9,  6, 10, 5,
                                       11, 4,  12, 3, 13, 2, 14, 1, 15};

uint32_t stub_adler32(uint32_t adler, const uint8_t *buf, uint32_t len)
{
    uint32_t a = adler & 0xFFFFu, b = adler >> 16;
    while (len > 0) {
        uint32_t n = len < 5552u ? len : 5552u; /* largest n keeping b below 2^32 */
        len -= n;
        while (n-- > 0) {
            a += *buf++;
            b += a;
        }
        a %= 65521u;
        b %= 65521u;
    }
    return (b << 16) | a;
}

/* Fills the lookup table for short codes. Deflate sends Huffman codes most significant
 * bit first into an LSB-first bit stream, so the table is indexed by the bit-reversed
 * canonical code. */
static void build_fast(struct stub_huff *h)
{
    uint32_t code = 0, idx = 0, len, k, i;
    for (i = 0; i < (1u << STUB_INF_FAST_BITS); i++)
        h->fast[i] = 0;
    for (len = 1; len <= STUB_INF_FAST_BITS; len++) {
        for (k = 0; k < h->count[len]; k++, code++) {
            uint32_t rev = 0;
            for (i = 0; i < len; i++)
                rev |= ((code >> i) & 1u) << (len - 1 - i);
            uint16_t entry = (uint16_t)((len << 9) | h->symbol[idx++]);
            for (i = rev; i < (1u << STUB_INF_FAST_BITS); i += 1u << len)
                h->fast[i] = entry;
        }
        code <<= 1;
    }
}

/* Builds a canonical code from n code lengths. Returns <0 if over-subscribed, 0 if
 * complete (or empty), >0 if incomplete. */
static int construct(struct stub_huff *h, const uint16_t *length, uint32_t n)
{
    uint16_t offs[16];
    uint32_t len, sym;
    int left;

    for (len = 0; len < 16; len++)
        h->count[len] = 0;
    for (sym = 0; sym < n; sym++)
        h->count[length[sym]]++;
    if (h->count[0] == n)
        return 0;
    left = 1;
    for (len = 1; len < 16; len++) {
        left <<= 1;
        left -= h->count[len];
        if (left < 0)
            return left;
    }
    offs[1] = 0;
    for (len = 1; len < 15; len++)
        offs[len + 1] = (uint16_t)(offs[len] + h->count[len]);
    for (sym = 0; sym < n; sym++)
        if (length[sym] != 0)
            h->symbol[offs[length[sym]]++] = (uint16_t)sym;
    build_fast(h);
    return left;
}

/* zlib's rule: an incomplete code is only allowed when it is a single 1-bit code. */
static int code_ok(const struct stub_huff *h, int left, uint32_t n)
{
    if (left < 0)
        return 0;
    if (left == 0)
        return 1;
    return (uint32_t)h->count[0] + h->count[1] == n;
}

/* Decodes one symbol from the low bits of bits (avail valid). Returns the symbol and sets
 * *used, or -1 if more bits are needed, -2 if no code matches. */
static int decode(const struct stub_huff *h, uint32_t bits, uint32_t avail, uint32_t *used)
{
    int code = 0, first = 0, index = 0;
    uint32_t len;
    uint32_t e = h->fast[bits & ((1u << STUB_INF_FAST_BITS) - 1u)];
    if (e != 0) {
        /* bits beyond avail are zero; a code needing them is not complete yet */
        if ((e >> 9) > avail)
            return -1;
        *used = e >> 9;
        return (int)(e & 0x1FFu);
    }
    for (len = 1; len < 16; len++) {
        if (len > avail)
            return -1;
        code |= (int)((bits >> (len - 1)) & 1u);
        int count = h->count[len];
        if (code - count < first) {
            *used = len;
            return h->symbol[index + (code - first)];
        }
        index += count;
        first += count;
        first <<= 1;
        code <<= 1;
    }
    return -2;
}

static void add_total(struct stub_inflate *st, uint32_t n)
{
    st->total = st->total + n < st->total ? 0xFFFFFFFFu : st->total + n;
}

static void build_fixed(struct stub_inflate *st)
{
    uint32_t i;
    for (i = 0; i < 144; i++)
        st->lens[i] = 8;
    for (; i < 256; i++)
        st->lens[i] = 9;
    for (; i < 280; i++)
        st->lens[i] = 7;
    for (; i < 288; i++)
        st->lens[i] = 8;
    (void)construct(&st->lencode, st->lens, 288);
    for (i = 0; i < 30; i++)
        st->lens[i] = 5;
    (void)construct(&st->distcode, st->lens, 30);
}

void stub_inflate_init(struct stub_inflate *st, uint8_t *window)
{
    uint8_t *p = (uint8_t *)st;
    for (uint32_t i = 0; i < sizeof(*st); i++)
        p[i] = 0;
    st->window = window;
    st->adler = 1;
    st->state = S_ZHDR;
}

int stub_inflate_run(struct stub_inflate *st, const uint8_t *in, uint32_t in_len,
                     uint32_t *consumed, uint32_t *out_start)
{
    const uint8_t *const in0 = in;
    uint8_t *const win = st->window;
    uint32_t bitbuf = st->bitbuf, bitcnt = st->bitcnt, pos, sum_from, lim;
    int ret = STUB_INF_NEED_INPUT;

    if (st->pos >= STUB_INF_WINDOW)
        st->pos = 0;
    pos = st->pos;
    sum_from = pos;
    *out_start = pos;
    lim = STUB_INF_WINDOW;
    if (st->out_max != 0 && st->out_max < STUB_INF_WINDOW - pos)
        lim = pos + st->out_max;

#define FILL()                                                                                     \
    do {                                                                                           \
        while (bitcnt <= 24 && in_len > 0) {                                                       \
            bitbuf |= (uint32_t)*in++ << bitcnt;                                                   \
            bitcnt += 8;                                                                           \
            in_len--;                                                                              \
        }                                                                                          \
    } while (0)
#define NEED(n)                                                                                    \
    do {                                                                                           \
        FILL();                                                                                    \
        if (bitcnt < (uint32_t)(n))                                                                \
            goto need_input;                                                                       \
    } while (0)
#define DROP(n)                                                                                    \
    do {                                                                                           \
        bitbuf >>= (n);                                                                            \
        bitcnt -= (n);                                                                             \
    } while (0)
#define BITS(n) (bitbuf & ((1u << (n)) - 1u))
#define FAIL(e)                                                                                    \
    do {                                                                                           \
        st->err = (e);                                                                             \
        st->state = S_ERR;                                                                         \
        goto out;                                                                                  \
    } while (0)

    for (;;) {
        switch (st->state) {
        case S_ZHDR: {
            NEED(16);
            uint32_t cmf = BITS(8), flg = (bitbuf >> 8) & 0xFFu;
            DROP(16);
            if ((cmf & 0x0Fu) != 8 || (cmf >> 4) > 7 || ((cmf << 8) | flg) % 31u != 0 ||
                (flg & 0x20u) != 0)
                FAIL(STUB_INF_ERR_HEADER);
            st->state = S_BLKHDR;
            break;
        }
        case S_BLKHDR: {
            NEED(3);
            uint32_t type = (bitbuf >> 1) & 3u;
            st->last = (int)(bitbuf & 1u);
            DROP(3);
            if (type == 0) {
                st->state = S_STORED_HDR;
            } else if (type == 1) {
                build_fixed(st);
                st->state = S_SYM;
            } else if (type == 2) {
                st->state = S_TABLE_HDR;
            } else {
                FAIL(STUB_INF_ERR_DATA);
            }
            break;
        }
        case S_STORED_HDR: {
            DROP(bitcnt & 7u);
            NEED(32);
            uint32_t len = BITS(16), nlen = bitbuf >> 16;
            DROP(16);
            DROP(16);
            if (len != (~nlen & 0xFFFFu))
                FAIL(STUB_INF_ERR_DATA);
            st->len = len;
            st->state = S_STORED;
            break;
        }
        case S_STORED:
            while (st->len > 0) {
                if (pos >= lim) {
                    ret = STUB_INF_WINDOW_FULL;
                    goto out;
                }
                if (bitcnt >= 8) {
                    win[pos++] = (uint8_t)bitbuf;
                    DROP(8);
                    st->len--;
                    add_total(st, 1);
                    continue;
                }
                if (in_len == 0)
                    goto need_input;
                uint32_t n = st->len;
                if (n > in_len)
                    n = in_len;
                if (n > lim - pos)
                    n = lim - pos;
                for (uint32_t i = 0; i < n; i++)
                    win[pos + i] = in[i];
                pos += n;
                add_total(st, n);
                in += n;
                in_len -= n;
                st->len -= n;
            }
            st->state = st->last ? S_ADLER : S_BLKHDR;
            break;
        case S_TABLE_HDR:
            NEED(14);
            st->nlen = BITS(5) + 257u;
            st->ndist = ((bitbuf >> 5) & 0x1Fu) + 1u;
            st->ncode = ((bitbuf >> 10) & 0x0Fu) + 4u;
            DROP(14);
            if (st->nlen > 286 || st->ndist > 30)
                FAIL(STUB_INF_ERR_DATA);
            for (uint32_t i = 0; i < 19; i++)
                st->lens[i] = 0;
            st->nlens = 0;
            st->state = S_CLEN;
            break;
        case S_CLEN:
            while (st->nlens < st->ncode) {
                NEED(3);
                st->lens[clen_order[st->nlens++]] = (uint16_t)BITS(3);
                DROP(3);
            }
            if (construct(&st->lencode, st->lens, 19) != 0 || st->lencode.count[0] == 19)
                FAIL(STUB_INF_ERR_DATA);
            st->nlens = 0;
            st->state = S_LENS;
            break;
        case S_LENS: {
            uint32_t total = st->nlen + st->ndist;
            while (st->nlens < total) {
                uint32_t used = 0, extra, rep, val = 0;
                FILL();
                int sym = decode(&st->lencode, bitbuf, bitcnt, &used);
                if (sym == -1)
                    goto need_input;
                if (sym < 0)
                    FAIL(STUB_INF_ERR_DATA);
                if (sym < 16) {
                    DROP(used);
                    st->lens[st->nlens++] = (uint16_t)sym;
                    continue;
                }
                extra = sym == 16 ? 2u : sym == 17 ? 3u : 7u;
                if (bitcnt < used + extra)
                    goto need_input;
                DROP(used);
                rep = BITS(extra);
                DROP(extra);
                if (sym == 16) {
                    if (st->nlens == 0)
                        FAIL(STUB_INF_ERR_DATA);
                    val = st->lens[st->nlens - 1];
                    rep += 3;
                } else {
                    rep += sym == 17 ? 3u : 11u;
                }
                if (st->nlens + rep > total)
                    FAIL(STUB_INF_ERR_DATA);
                while (rep-- > 0)
                    st->lens[st->nlens++] = (uint16_t)val;
            }
            if (st->lens[256] == 0)
                FAIL(STUB_INF_ERR_DATA);
            int left = construct(&st->lencode, st->lens, st->nlen);
            if (!code_ok(&st->lencode, left, st->nlen))
                FAIL(STUB_INF_ERR_DATA);
            left = construct(&st->distcode, st->lens + st->nlen, st->ndist);
            if (!code_ok(&st->distcode, left, st->ndist))
                FAIL(STUB_INF_ERR_DATA);
            st->state = S_SYM;
            break;
        }
        case S_SYM:
            for (;;) {
                uint32_t used = 0;
                if (pos >= lim) {
                    ret = STUB_INF_WINDOW_FULL;
                    goto out;
                }
                FILL();
                int sym = decode(&st->lencode, bitbuf, bitcnt, &used);
                if (sym == -1)
                    goto need_input;
                if (sym < 0)
                    FAIL(STUB_INF_ERR_DATA);
                if (sym < 256) {
                    DROP(used);
                    win[pos++] = (uint8_t)sym;
                    add_total(st, 1);
                    continue;
                }
                if (sym == 256) {
                    DROP(used);
                    st->state = st->last ? S_ADLER : S_BLKHDR;
                    break;
                }
                sym -= 257;
                if (sym >= 29)
                    FAIL(STUB_INF_ERR_DATA);
                uint32_t extra = len_extra[sym];
                if (bitcnt < used + extra)
                    goto need_input;
                DROP(used);
                st->len = len_base[sym] + BITS(extra);
                DROP(extra);
                st->state = S_DIST;
                break;
            }
            break;
        case S_DIST: {
            uint32_t used = 0;
            FILL();
            int sym = decode(&st->distcode, bitbuf, bitcnt, &used);
            if (sym == -1)
                goto need_input;
            if (sym < 0 || sym >= 30)
                FAIL(STUB_INF_ERR_DATA);
            uint32_t extra = dist_extra[sym];
            if (bitcnt < used + extra)
                goto need_input;
            DROP(used);
            st->dist = dist_base[sym] + BITS(extra);
            DROP(extra);
            if (st->dist > st->total)
                FAIL(STUB_INF_ERR_DATA);
            st->state = S_COPY;
            break;
        }
        case S_COPY: {
            uint32_t len = st->len, dist = st->dist;
            while (len > 0) {
                if (pos >= lim) {
                    add_total(st, st->len - len);
                    st->len = len;
                    ret = STUB_INF_WINDOW_FULL;
                    goto out;
                }
                win[pos] = win[(pos - dist) & WMASK];
                pos++;
                len--;
            }
            add_total(st, st->len);
            st->len = 0;
            st->state = S_SYM;
            break;
        }
        case S_ADLER:
            DROP(bitcnt & 7u);
            while (st->adler_in < 4) { /* byte by byte: never read past the trailer */
                uint32_t b;
                if (bitcnt >= 8) {
                    b = BITS(8);
                    DROP(8);
                } else if (in_len > 0) {
                    b = *in++;
                    in_len--;
                } else {
                    goto need_input;
                }
                st->dist = (st->dist << 8) | b; /* dist reused as the trailer */
                st->adler_in++;
            }
            st->adler = stub_adler32(st->adler, win + sum_from, pos - sum_from);
            sum_from = pos;
            if (st->adler != st->dist)
                FAIL(STUB_INF_ERR_ADLER);
            st->state = S_DONE;
            break;
        case S_DONE:
            ret = STUB_INF_DONE;
            goto out;
        default:
            ret = st->err ? st->err : STUB_INF_ERR_DATA;
            goto out;
        }
    }

need_input:
    ret = STUB_INF_NEED_INPUT;
out:
    if (st->state == S_ERR)
        ret = st->err;
    else if (ret == STUB_INF_WINDOW_FULL && pos < STUB_INF_WINDOW)
        ret = STUB_INF_OUT_LIMIT;
    st->adler = stub_adler32(st->adler, win + sum_from, pos - sum_from);
    st->pos = pos;
    st->bitbuf = bitbuf;
    st->bitcnt = bitcnt;
    *consumed = (uint32_t)(in - in0);
    return ret;
#undef FILL
#undef NEED
#undef DROP
#undef BITS
#undef FAIL
}
