/* SPDX-License-Identifier: MIT */
#ifndef EL_COMPAT_ZOPFLI_H
#define EL_COMPAT_ZOPFLI_H
/*
 * For builds without zopfli (Debian ships no MinGW build of it): ZopfliCompress served by
 * zlib at level 9. Output is valid zlib data, larger than zopfli's.
 */
#include <stddef.h>
#include <stdlib.h>
#include <zlib.h>

typedef enum { ZOPFLI_FORMAT_GZIP, ZOPFLI_FORMAT_ZLIB, ZOPFLI_FORMAT_DEFLATE } ZopfliFormat;

typedef struct {
    int verbose, verbose_more, numiterations, blocksplitting, blocksplittinglast, blocksplittingmax;
} ZopfliOptions;

static inline void ZopfliInitOptions(ZopfliOptions *o)
{
    o->verbose = o->verbose_more = 0;
    o->numiterations = 15;
    o->blocksplitting = 1;
    o->blocksplittinglast = 0;
    o->blocksplittingmax = 15;
}

/* Only ZOPFLI_FORMAT_ZLIB is provided; *out is malloc'ed, NULL on failure. */
static inline void ZopfliCompress(const ZopfliOptions *o, ZopfliFormat fmt, const unsigned char *in,
                                  size_t in_len, unsigned char **out, size_t *out_len)
{
    uLongf n = compressBound((uLong)in_len);
    unsigned char *buf = fmt == ZOPFLI_FORMAT_ZLIB ? malloc(n) : NULL;

    (void)o;
    *out = NULL;
    *out_len = 0;
    if (!buf)
        return;
    if (compress2(buf, &n, in, (uLong)in_len, 9) != Z_OK) {
        free(buf);
        return;
    }
    *out = buf;
    *out_len = (size_t)n;
}

#endif
