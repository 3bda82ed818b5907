/* SPDX-License-Identifier: MIT */
/*
 * Compression for flash writes: zlib 9, libdeflate 6 and 12 and zopfli, all producing zlib
 * streams with Adler-32 for the device's inflater, and the measured choice between them
 * (host time against the wire time each one saves at the current baud).
 */
#include "loader/loader_int.h"

#include "espload/err.h"
#include "espload/flash.h"

#include <libdeflate.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>
#include <zopfli/zopfli.h>

/* ---------------------------------------------------------------------------------- */
/* compression                                                                          */

const char *el_compressor_name(enum el_compressor c)
{
    switch (c) {
    case EL_COMP_NONE:
        return "none";
    case EL_COMP_ZLIB9:
        return "zlib-9";
    case EL_COMP_LIBDEFLATE12:
        return "libdeflate-12";
    case EL_COMP_ZOPFLI:
        return "zopfli";
    case EL_COMP_AUTO:
        return "auto";
    case EL_COMP_LIBDEFLATE6:
        return "libdeflate-6";
    }
    return "?";
}

int el_compress(enum el_compressor c, const uint8_t *in, size_t len, uint8_t **out, size_t *out_len)
{
    if (!out || !out_len)
        return EL_E_ARG;
    *out = NULL;
    *out_len = 0;
    if (!in && len)
        return EL_E_ARG;
    switch (c) {
    case EL_COMP_ZLIB9: {
        uLongf cap = compressBound((uLong)len);
        uint8_t *buf = malloc(cap ? cap : 1);
        if (!buf)
            return EL_E_NOMEM;
        if (compress2(buf, &cap, in, (uLong)len, 9) != Z_OK) {
            free(buf);
            return EL_E_NOMEM;
        }
        *out = buf;
        *out_len = cap;
        return EL_OK;
    }
    case EL_COMP_LIBDEFLATE6:
    case EL_COMP_LIBDEFLATE12: {
        struct libdeflate_compressor *z =
            libdeflate_alloc_compressor(c == EL_COMP_LIBDEFLATE6 ? 6 : 12);
        if (!z)
            return EL_E_NOMEM;
        size_t cap = libdeflate_zlib_compress_bound(z, len);
        uint8_t *buf = malloc(cap ? cap : 1);
        if (!buf) {
            libdeflate_free_compressor(z);
            return EL_E_NOMEM;
        }
        size_t n = libdeflate_zlib_compress(z, in, len, buf, cap);
        libdeflate_free_compressor(z);
        if (!n) {
            free(buf);
            return EL_E_NOMEM;
        }
        *out = buf;
        *out_len = n;
        return EL_OK;
    }
    case EL_COMP_ZOPFLI: {
        ZopfliOptions o;
        ZopfliInitOptions(&o);
        o.numiterations = len > (1u << 20) ? 5 : 15;
        unsigned char *zo = NULL;
        size_t zn = 0;
        ZopfliCompress(&o, ZOPFLI_FORMAT_ZLIB, in, len, &zo, &zn);
        if (!zo)
            return EL_E_NOMEM;
        /* zopfli allocates with malloc; hand it over as is */
        *out = zo;
        *out_len = zn;
        return EL_OK;
    }
    default:
        return EL_E_ARG;
    }
}

/*
 * Nominal host speeds (input bytes per second on a modest machine) and how much smaller
 * than zlib-9 each output is on firmware images. The rule: a slower compressor is chosen
 * only when the wire time its extra saving buys (at baud, 10 bits per byte) exceeds the
 * extra host time it costs, so it can never make the whole write slower than zlib-9.
 */
#define ZLIB9_BPS         15e6
#define LIBDEFLATE12_BPS  6e6
#define ZOPFLI_BPS        0.25e6
#define LIBDEFLATE12_GAIN 0.03
#define ZOPFLI_GAIN       0.05

enum el_compressor el_compress_choose(size_t raw_len, unsigned baud, double est_ratio)
{
    if (!raw_len || !baud)
        return EL_COMP_ZLIB9;
    if (est_ratio <= 0 || est_ratio > 1)
        est_ratio = 0.6;
    double wire_bps = (double)baud / 10.0;
    double comp = (double)raw_len * est_ratio;
    enum el_compressor best = EL_COMP_ZLIB9;
    double best_net = 0; /* seconds saved relative to zlib-9 */
    struct {
        enum el_compressor c;
        double bps, gain;
    } cand[] = {{EL_COMP_LIBDEFLATE12, LIBDEFLATE12_BPS, LIBDEFLATE12_GAIN},
                {EL_COMP_ZOPFLI, ZOPFLI_BPS, ZOPFLI_GAIN}};
    for (size_t i = 0; i < sizeof(cand) / sizeof(cand[0]); i++) {
        double saved_wire = comp * cand[i].gain / wire_bps;
        double extra_host = (double)raw_len / cand[i].bps - (double)raw_len / ZLIB9_BPS;
        double net = saved_wire - extra_host;
        if (net > best_net) {
            best_net = net;
            best = cand[i].c;
        }
    }
    return best;
}

enum el_compressor el_compress_pick(const struct el_comp_measure *m, size_t n, size_t raw_len,
                                    unsigned baud)
{
    enum el_compressor best = EL_COMP_LIBDEFLATE6;
    double best_t = -1;
    double wire_bps = (baud ? (double)baud : 115200.0) / 10.0;
    for (size_t i = 0; m && i < n; i++) {
        if (m[i].host_bytes_per_s <= 0 || m[i].ratio <= 0)
            continue;
        double t =
            (double)raw_len / m[i].host_bytes_per_s + (double)raw_len * m[i].ratio / wire_bps;
        if (best_t < 0 || t < best_t) {
            best_t = t;
            best = m[i].c;
        }
    }
    return best;
}

static double host_seconds(void)
{
    struct timespec ts;
    if (timespec_get(&ts, TIME_UTC) != TIME_UTC)
        return 0;
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Compresses the sample with c and records speed and ratio; false if it failed. */
static bool measure_one(enum el_compressor c, const uint8_t *d, size_t n, struct el_comp_measure *m)
{
    uint8_t *z = NULL;
    size_t zn = 0;
    double t0 = host_seconds();
    if (el_compress(c, d, n, &z, &zn) != EL_OK)
        return false;
    double dt = host_seconds() - t0;
    free(z);
    if (dt < 1e-6)
        dt = 1e-6; /* below the clock's resolution: very fast */
    m->c = c;
    m->host_bytes_per_s = (double)n / dt;
    m->ratio = (double)zn / (double)n;
    return true;
}

#define MEASURE_SAMPLE    0x10000u /* bytes of the data compressed to measure speeds */
#define ZOPFLI_SAMPLE     0x4000u
#define ZOPFLI_MIN_WIRE_S 20.0 /* zopfli is tried only when the wire time is this long */

enum el_compressor el_compress_measure(const uint8_t *data, size_t len, unsigned baud,
                                       struct el_comp_measure *out, size_t *n_out)
{
    struct el_comp_measure m[3];
    size_t n = 0;
    if (n_out)
        *n_out = 0;
    if (!data || !len)
        return EL_COMP_LIBDEFLATE6;
    /* a sample from the middle: image headers at the start are not typical */
    size_t sl = len < MEASURE_SAMPLE ? len : MEASURE_SAMPLE;
    const uint8_t *s = data + (len - sl) / 2;
    if (measure_one(EL_COMP_LIBDEFLATE6, s, sl, &m[n]))
        n++;
    if (measure_one(EL_COMP_LIBDEFLATE12, s, sl, &m[n]))
        n++;
    double wire_s = n ? (double)len * m[n - 1].ratio * 10.0 / (baud ? baud : 115200) : 0;
    if (n == 2 && wire_s >= ZOPFLI_MIN_WIRE_S) {
        /* zopfli is slow: measure it on a smaller sample and scale its ratio by how it
         * compares with libdeflate 12 on that same sample */
        size_t zl = len < ZOPFLI_SAMPLE ? len : ZOPFLI_SAMPLE;
        struct el_comp_measure ref;
        const uint8_t *zs = data + (len - zl) / 2;
        if (measure_one(EL_COMP_LIBDEFLATE12, zs, zl, &ref) &&
            measure_one(EL_COMP_ZOPFLI, zs, zl, &m[n])) {
            m[n].ratio = m[1].ratio * m[n].ratio / ref.ratio;
            n++;
        }
    }
    if (out)
        memcpy(out, m, n * sizeof(m[0]));
    if (n_out)
        *n_out = n;
    return el_compress_pick(m, n, len, baud);
}
