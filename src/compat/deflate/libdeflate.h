/* SPDX-License-Identifier: MIT */
#ifndef EL_COMPAT_LIBDEFLATE_H
#define EL_COMPAT_LIBDEFLATE_H
/*
 * For builds without libdeflate (Debian ships no MinGW build of it): the few libdeflate calls
 * espload makes, served by zlib. Output is valid zlib data (a little larger than libdeflate's
 * level 12); the flash write path does not depend on which deflater made it.
 */
#include <stddef.h>
#include <stdlib.h>
#include <zlib.h>

struct libdeflate_compressor {
    int level;
};

static inline struct libdeflate_compressor *libdeflate_alloc_compressor(int level)
{
    struct libdeflate_compressor *c = malloc(sizeof *c);

    if (c)
        c->level = level > 9 ? 9 : level;
    return c;
}

static inline void libdeflate_free_compressor(struct libdeflate_compressor *c)
{
    free(c);
}

static inline size_t libdeflate_zlib_compress_bound(struct libdeflate_compressor *c, size_t len)
{
    (void)c;
    return (size_t)compressBound((uLong)len);
}

/* Returns the compressed size, 0 if it does not fit. */
static inline size_t libdeflate_zlib_compress(struct libdeflate_compressor *c, const void *in,
                                              size_t in_len, void *out, size_t out_cap)
{
    uLongf n = (uLongf)out_cap;

    if (compress2(out, &n, in, (uLong)in_len, c->level) != Z_OK)
        return 0;
    return (size_t)n;
}

#endif
