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
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include <zopfli/zopfli.h>
#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#endif
#ifndef EL_COMPAT_ZOPFLI_H
#include <zopfli/deflate.h>
#define EL_CHUNKED_ZOPFLI 1 /* ZopfliDeflatePart: chunks joined bit-exactly */
#else
#define EL_CHUNKED_ZOPFLI 0 /* the zlib stand-in: one piece */
#endif

/*
 * Chunked zopfli: each 64 KiB chunk (128 KiB with fewer than 4 CPUs) is compressed on its own
 * (ZopfliDeflatePart with the input before it as the window, one iteration, up to 15 blocks), the
 * pieces are joined bit-exactly and only the last one has BFINAL. On a 1.1 MB ESP32 application
 * this gives 0.960 of zlib 9's size (libdeflate 12: 0.973) in 5.4 s of one core; 128 KiB chunks
 * give 0.967 in 3.6 s, 32 KiB 0.955 in 11.3 s. More iterations cost far more than they gain. The
 * larger chunks on small machines let a job started before connecting finish while the connection
 * is made (1.8 s on 2 cores for 1.1 MB), so its result is used rather than cancelled. The output
 * depends on the machine's CPU count, never on timing.
 */
#define ZCHUNK_SMALL    0x10000u
#define ZCHUNK_LARGE    0x20000u
#define ZCHUNK_MIN_CPUS 4u
#define ZITERATIONS     1
#define ZBLOCKSPLIT_MAX 15
#define JOB_MAX_THREADS 16u

static double host_seconds(void);
static unsigned online_cpus(void);
static int zopfli_whole(const uint8_t *in, size_t len, uint8_t **out, size_t *out_len);
static int job_start(const uint8_t *data, size_t len, enum el_compressor c, unsigned threads,
                     bool pad, struct el_compress_job **out);

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
        struct el_compress_job *j;
        int rc = job_start(in, len, c, 0, false, &j);
        if (rc != EL_OK)
            return rc;
        while (el_compress_job_wait(j, 1000) != EL_OK)
            ;
        rc = el_compress_job_take(j, out, out_len);
        el_compress_job_free(j);
        return rc;
    }
    default:
        return EL_E_ARG;
    }
}

/* zopfli over the whole input in one piece (the zlib stand-in's path). */
static int zopfli_whole(const uint8_t *in, size_t len, uint8_t **out, size_t *out_len)
{
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

static enum el_compressor measure(const uint8_t *data, size_t len, unsigned baud,
                                  struct el_comp_measure *out, size_t *n_out, bool allow_zopfli)
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
    if (n == 2 && allow_zopfli && wire_s >= ZOPFLI_MIN_WIRE_S) {
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

enum el_compressor el_compress_measure(const uint8_t *data, size_t len, unsigned baud,
                                       struct el_comp_measure *m, size_t *n_out)
{
    return measure(data, len, baud, m, n_out, true);
}

enum el_compressor el_compress_measure_fast(const uint8_t *data, size_t len, unsigned baud,
                                            struct el_comp_measure *m, size_t *n_out)
{
    return measure(data, len, baud, m, n_out, false);
}

/* ---------------------------------------------------------------------------------- */
/* background compression                                                               */

struct zpiece {
    uint8_t *buf; /* deflate bits from bit 0 (zopfli's order), or a whole stream */
    size_t bits;
};

struct el_compress_job {
    enum el_compressor c;
    uint8_t *in; /* our copy (padded when the job was started for a flash write) */
    size_t len;
    bool chunked; /* zopfli in chunk-sized pieces; else one piece that is the whole stream */
    size_t chunk;
    size_t n_chunks;
    struct zpiece *pieces;
    pthread_t th[JOB_MAX_THREADS];
    unsigned n_threads;
    double t0;

    pthread_mutex_t mu; /* guards everything below */
    pthread_cond_t cv;  /* signalled when finished */
    size_t next;        /* next chunk to take */
    size_t done, out_bits;
    unsigned running; /* workers not yet returned */
    bool cancel, finished, taken;
    int error;
    uint8_t *out;
    size_t out_len;
};

/* Appends bits of src (LSB first, zero above the last bit) at *bitpos of dst (zeroed). */
static void append_bits(uint8_t *dst, size_t *bitpos, const uint8_t *src, size_t bits)
{
    size_t at = *bitpos / 8, nb = (bits + 7) / 8;
    unsigned sh = (unsigned)(*bitpos % 8);
    if (!sh) {
        memcpy(dst + at, src, nb);
    } else {
        for (size_t k = 0; k < nb; k++) {
            dst[at + k] |= (uint8_t)(src[k] << sh);
            dst[at + k + 1] |= (uint8_t)(src[k] >> (8 - sh));
        }
    }
    *bitpos += bits;
}

/* The zlib stream from the pieces: header, the bits joined, Adler-32 of the input. */
static int assemble(struct el_compress_job *j)
{
    if (!j->chunked) {
        j->out = j->pieces[0].buf;
        j->out_len = j->pieces[0].bits / 8;
        j->pieces[0].buf = NULL;
        return EL_OK;
    }
    size_t bits = 0;
    for (size_t i = 0; i < j->n_chunks; i++)
        bits += j->pieces[i].bits;
    size_t n = 2 + (bits + 7) / 8 + 4;
    uint8_t *o = calloc(n + 1, 1); /* one spare byte for append_bits' carry */
    if (!o)
        return EL_E_NOMEM;
    o[0] = 0x78; /* deflate, 32 KiB window */
    o[1] = 0xDA; /* best compression, header check */
    size_t pos = 16;
    for (size_t i = 0; i < j->n_chunks; i++) {
        append_bits(o, &pos, j->pieces[i].buf, j->pieces[i].bits);
        free(j->pieces[i].buf);
        j->pieces[i].buf = NULL;
    }
    uLong a = adler32(0L, Z_NULL, 0);
    for (size_t off = 0; off < j->len;) {
        size_t k = j->len - off > 0x40000000u ? 0x40000000u : j->len - off;
        a = adler32(a, j->in + off, (uInt)k);
        off += k;
    }
    size_t e = (pos + 7) / 8;
    o[e] = (uint8_t)(a >> 24);
    o[e + 1] = (uint8_t)(a >> 16);
    o[e + 2] = (uint8_t)(a >> 8);
    o[e + 3] = (uint8_t)a;
    j->out = o;
    j->out_len = e + 4;
    return EL_OK;
}

/* Compresses chunk i into pieces[i]. */
static int run_chunk(struct el_compress_job *j, size_t i, struct zpiece *p)
{
    if (!j->chunked) {
        uint8_t *z = NULL;
        size_t zn = 0;
        int rc = j->c == EL_COMP_ZOPFLI ? zopfli_whole(j->in, j->len, &z, &zn)
                                        : el_compress(j->c, j->in, j->len, &z, &zn);
        p->buf = z;
        p->bits = zn * 8;
        return rc;
    }
#if EL_CHUNKED_ZOPFLI
    size_t start = i * j->chunk;
    size_t end = j->len - start > j->chunk ? start + j->chunk : j->len;
    ZopfliOptions o;
    ZopfliInitOptions(&o);
    o.numiterations = ZITERATIONS;
    o.blocksplittingmax = ZBLOCKSPLIT_MAX;
    unsigned char bp = 0, *z = NULL;
    size_t zn = 0;
    ZopfliDeflatePart(&o, 2, i + 1 == j->n_chunks, j->in, start, end, &bp, &z, &zn);
    if (!z)
        return EL_E_NOMEM;
    p->buf = z;
    p->bits = bp ? (zn - 1) * 8 + bp : zn * 8;
    return EL_OK;
#else
    (void)i;
    (void)p;
    return EL_E_UNSUPPORTED;
#endif
}

static void *worker(void *arg)
{
    struct el_compress_job *j = arg;
#ifdef __linux__
    /* background work: the connection and a fast compressor come first */
    (void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10);
#endif
    pthread_mutex_lock(&j->mu);
    while (!j->cancel && !j->error && j->next < j->n_chunks) {
        size_t i = j->next++;
        pthread_mutex_unlock(&j->mu);
        struct zpiece p = {NULL, 0};
        int rc = run_chunk(j, i, &p);
        pthread_mutex_lock(&j->mu);
        j->pieces[i] = p;
        if (rc != EL_OK) {
            j->error = rc;
        } else {
            size_t end = (i + 1) * j->chunk;
            j->done += j->chunked ? (end < j->len ? end : j->len) - i * j->chunk : j->len;
            j->out_bits += p.bits;
        }
    }
    bool last = --j->running == 0;
    if (last) {
        int rc = j->error;
        if (!rc && j->cancel)
            rc = EL_E_INTERRUPTED;
        if (!rc) {
            /* the other workers are done: the pieces are ours */
            pthread_mutex_unlock(&j->mu);
            rc = assemble(j);
            pthread_mutex_lock(&j->mu);
        }
        j->error = rc;
        j->finished = true;
        pthread_cond_broadcast(&j->cv);
    }
    pthread_mutex_unlock(&j->mu);
    return NULL;
}

static unsigned online_cpus(void)
{
#ifdef _SC_NPROCESSORS_ONLN
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
#else
    return 1;
#endif
}

static void job_release(struct el_compress_job *j)
{
    for (size_t i = 0; j->pieces && i < j->n_chunks; i++)
        free(j->pieces[i].buf);
    free(j->pieces);
    free(j->out);
    free(j->in);
    pthread_cond_destroy(&j->cv);
    pthread_mutex_destroy(&j->mu);
    free(j);
}

static int job_start(const uint8_t *data, size_t len, enum el_compressor c, unsigned threads,
                     bool pad, struct el_compress_job **out)
{
    if (!out)
        return EL_E_ARG;
    *out = NULL;
    if ((!data && len) || c == EL_COMP_NONE || c == EL_COMP_AUTO || c > EL_COMP_LIBDEFLATE6)
        return EL_E_ARG;
    struct el_compress_job *j = calloc(1, sizeof(*j));
    if (!j)
        return EL_E_NOMEM;
    size_t padded = pad ? (len + 3) & ~(size_t)3 : len;
    if (pthread_mutex_init(&j->mu, NULL)) {
        free(j);
        return EL_E_NOMEM;
    }
    if (pthread_cond_init(&j->cv, NULL)) {
        pthread_mutex_destroy(&j->mu);
        free(j);
        return EL_E_NOMEM;
    }
    j->c = c;
    j->len = padded;
    j->in = malloc(padded ? padded : 1);
    j->chunked = c == EL_COMP_ZOPFLI && EL_CHUNKED_ZOPFLI;
    j->chunk = online_cpus() >= ZCHUNK_MIN_CPUS ? ZCHUNK_SMALL : ZCHUNK_LARGE;
    j->n_chunks = j->chunked && padded ? (padded + j->chunk - 1) / j->chunk : 1;
    j->pieces = calloc(j->n_chunks, sizeof(*j->pieces));
    if (!j->in || !j->pieces) {
        job_release(j);
        return EL_E_NOMEM;
    }
    if (len)
        memcpy(j->in, data, len);
    memset(j->in + len, 0xFF, padded - len);
    unsigned n = threads ? threads : online_cpus();
    if (n > JOB_MAX_THREADS)
        n = JOB_MAX_THREADS;
    if (n > j->n_chunks)
        n = (unsigned)j->n_chunks;
    j->t0 = host_seconds();
    pthread_mutex_lock(&j->mu);
    for (unsigned i = 0; i < n; i++) {
        if (pthread_create(&j->th[i], NULL, worker, j))
            break;
        j->n_threads++;
        j->running++;
    }
    if (!j->n_threads) {
        pthread_mutex_unlock(&j->mu);
        job_release(j);
        return EL_E_NOMEM;
    }
    pthread_mutex_unlock(&j->mu);
    *out = j;
    return EL_OK;
}

int el_compress_job_start(const uint8_t *data, size_t len, enum el_compressor c, unsigned threads,
                          struct el_compress_job **out)
{
    return job_start(data, len, c, threads, true, out);
}

void el_compress_job_progress(struct el_compress_job *j, struct el_compress_progress *p)
{
    if (!p)
        return;
    memset(p, 0, sizeof(*p));
    if (!j)
        return;
    pthread_mutex_lock(&j->mu);
    p->total = j->len;
    p->done = j->done;
    p->out_done = j->out_bits / 8;
    p->finished = j->finished;
    p->error = j->error;
    p->out_len = j->finished && !j->error ? j->out_len : 0;
    pthread_mutex_unlock(&j->mu);
    p->elapsed_s = host_seconds() - j->t0;
}

int el_compress_job_wait(struct el_compress_job *j, unsigned timeout_ms)
{
    if (!j)
        return EL_E_ARG;
    struct timespec ts;
    if (timespec_get(&ts, TIME_UTC) != TIME_UTC)
        return EL_E_IO;
    ts.tv_sec += (time_t)(timeout_ms / 1000);
    ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&j->mu);
    while (!j->finished)
        if (pthread_cond_timedwait(&j->cv, &j->mu, &ts))
            break;
    bool fin = j->finished;
    pthread_mutex_unlock(&j->mu);
    return fin ? EL_OK : EL_E_TIMEOUT;
}

int el_compress_job_take(struct el_compress_job *j, uint8_t **out, size_t *out_len)
{
    if (!out || !out_len)
        return EL_E_ARG;
    *out = NULL;
    *out_len = 0;
    if (!j)
        return EL_E_ARG;
    int rc = EL_OK;
    pthread_mutex_lock(&j->mu);
    if (!j->finished)
        rc = EL_E_TIMEOUT;
    else if (j->error)
        rc = j->error;
    else if (j->taken)
        rc = EL_E_ARG;
    if (rc == EL_OK) {
        *out = j->out;
        *out_len = j->out_len;
        j->out = NULL;
        j->taken = true;
    }
    pthread_mutex_unlock(&j->mu);
    return rc;
}

void el_compress_job_cancel(struct el_compress_job *j)
{
    if (!j)
        return;
    pthread_mutex_lock(&j->mu);
    j->cancel = true;
    pthread_mutex_unlock(&j->mu);
}

void el_compress_job_free(struct el_compress_job *j)
{
    if (!j)
        return;
    el_compress_job_cancel(j);
    for (unsigned i = 0; i < j->n_threads; i++)
        pthread_join(j->th[i], NULL);
    job_release(j);
}

enum el_compressor el_compress_job_compressor(const struct el_compress_job *j)
{
    return j ? j->c : EL_COMP_NONE;
}

bool el_compress_job_matches(const struct el_compress_job *j, const uint8_t *data, size_t len)
{
    if (!j || (!data && len))
        return false;
    size_t padded = (len + 3) & ~(size_t)3;
    if (padded != j->len || (len && memcmp(j->in, data, len)))
        return false;
    for (size_t i = len; i < padded; i++)
        if (j->in[i] != 0xFF)
            return false;
    return true;
}

enum el_compress_job_choice el_compress_job_choose(const struct el_compress_progress *p,
                                                   size_t fast_len, unsigned baud,
                                                   double *max_wait_s)
{
    if (max_wait_s)
        *max_wait_s = 0;
    if (!p || p->error)
        return EL_JOB_SKIP;
    if (p->finished)
        return p->out_len && p->out_len < fast_len ? EL_JOB_USE : EL_JOB_SKIP;
    if (!p->done || p->done >= p->total || p->elapsed_s <= 0 || !p->out_done)
        return EL_JOB_SKIP; /* no rate or ratio to estimate from yet */
    double est_len = (double)p->out_done / (double)p->done * (double)p->total;
    if (est_len >= (double)fast_len)
        return EL_JOB_SKIP;
    double remaining_s = (double)(p->total - p->done) * p->elapsed_s / (double)p->done;
    double saved_s = ((double)fast_len - est_len) * 10.0 / (baud ? (double)baud : 115200.0);
    if (remaining_s >= saved_s)
        return EL_JOB_SKIP;
    if (max_wait_s)
        *max_wait_s = saved_s;
    return EL_JOB_WAIT;
}
