/* SPDX-License-Identifier: MIT */
#ifndef EL_COMPAT_MD5_H
#define EL_COMPAT_MD5_H
/*
 * The part of libmd's <md5.h> that espload uses, for builds without libmd (Debian ships no
 * MinGW build of it). The digest is the project's own MD5 (stub/core/stub_md5.c, tested
 * against RFC 1321 vectors). Only on the include path when libmd is absent.
 */
#include "../../../stub/core/stub_md5.h"

#include <stddef.h>
#include <stdint.h>

#define MD5_DIGEST_LENGTH        16
#define MD5_DIGEST_STRING_LENGTH 33

typedef struct stub_md5 MD5_CTX;

static inline void MD5Init(MD5_CTX *c)
{
    stub_md5_init(c);
}

static inline void MD5Update(MD5_CTX *c, const void *data, size_t len)
{
    const uint8_t *d = data;

    while (len) {
        uint32_t n = len > 0x40000000u ? 0x40000000u : (uint32_t)len;
        stub_md5_update(c, d, n);
        d += n;
        len -= n;
    }
}

static inline void MD5Final(uint8_t digest[MD5_DIGEST_LENGTH], MD5_CTX *c)
{
    stub_md5_final(c, digest);
}

static inline char *MD5End(MD5_CTX *c, char *buf)
{
    static const char hex[] = "0123456789abcdef";
    uint8_t d[MD5_DIGEST_LENGTH];

    MD5Final(d, c);
    for (int i = 0; i < MD5_DIGEST_LENGTH; i++) {
        buf[2 * i] = hex[d[i] >> 4];
        buf[2 * i + 1] = hex[d[i] & 15];
    }
    buf[2 * MD5_DIGEST_LENGTH] = '\0';
    return buf;
}

static inline char *MD5Data(const void *data, size_t len, char *buf)
{
    MD5_CTX c;

    MD5Init(&c);
    MD5Update(&c, data, len);
    return MD5End(&c, buf);
}

#endif
