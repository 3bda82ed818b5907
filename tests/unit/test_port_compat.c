/* SPDX-License-Identifier: MIT */
/* src/compat: the MD5/SHA-256/deflate stand-ins used by builds without libmd, libdeflate and
 * zopfli (Windows). Checked here against known digests and zlib round trips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "compat/deflate/libdeflate.h"
#include "compat/md/md5.h"
#include "compat/md/sha2.h"
#include "compat/zopfli/zopfli/zopfli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void compat_sha256_vectors(void **state)
{
    /* FIPS 180-2 examples */
    const struct {
        const char *msg;
        const char *hex;
    } v[] = {
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
    };
    char hex[SHA256_DIGEST_STRING_LENGTH];
    SHA2_CTX c;

    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        SHA256Init(&c);
        SHA256Update(&c, v[i].msg, strlen(v[i].msg));
        assert_string_equal(SHA256End(&c, hex), v[i].hex);
    }
    /* one million 'a', fed in uneven pieces */
    {
        static char a[1000000];
        memset(a, 'a', sizeof a);
        SHA256Init(&c);
        for (size_t off = 0, k = 1; off < sizeof a; off += k, k = k * 3 % 1013 + 1)
            SHA256Update(&c, a + off, k < sizeof a - off ? k : sizeof a - off);
        assert_string_equal(SHA256End(&c, hex),
                            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    }
}

static void compat_md5_vectors(void **state)
{
    char hex[MD5_DIGEST_STRING_LENGTH];
    uint8_t d[MD5_DIGEST_LENGTH];
    MD5_CTX c, copy;

    assert_string_equal(MD5Data("", 0, hex), "d41d8cd98f00b204e9800998ecf8427e");
    assert_string_equal(MD5Data("message digest", 14, hex), "f96b697d7cb7938d525a2f31aaf161d0");
    /* a context copied mid-way continues independently (espload relies on that) */
    MD5Init(&c);
    MD5Update(&c, "message ", 8);
    copy = c;
    MD5Update(&c, "digest", 6);
    MD5Final(d, &c);
    assert_int_equal(d[0], 0xf9);
    MD5Update(&copy, "digest", 6);
    assert_string_equal(MD5End(&copy, hex), "f96b697d7cb7938d525a2f31aaf161d0");
}

static void compat_deflate_roundtrip(void **state)
{
    size_t n = 200000, cap;
    uint8_t *in = malloc(n), *out, *back = malloc(n), *zo = NULL;
    uLongf bn = (uLongf)n;
    size_t zn = 0, got;
    struct libdeflate_compressor *z = libdeflate_alloc_compressor(12);
    ZopfliOptions o;

    assert_non_null(in);
    assert_non_null(back);
    assert_non_null(z);
    for (size_t i = 0; i < n; i++)
        in[i] = (uint8_t)(i % 251 < 100 ? 0xff : (i * 7919) >> 3);
    cap = libdeflate_zlib_compress_bound(z, n);
    out = malloc(cap);
    assert_non_null(out);
    got = libdeflate_zlib_compress(z, in, n, out, cap);
    assert_true(got > 0 && got < n);
    assert_int_equal(uncompress(back, &bn, out, (uLong)got), Z_OK);
    assert_int_equal(bn, n);
    assert_memory_equal(back, in, n);
    /* too small an output buffer: 0, as libdeflate does */
    assert_int_equal(libdeflate_zlib_compress(z, in, n, out, 8), 0);
    libdeflate_free_compressor(z);

    ZopfliInitOptions(&o);
    ZopfliCompress(&o, ZOPFLI_FORMAT_ZLIB, in, n, &zo, &zn);
    assert_non_null(zo);
    bn = (uLongf)n;
    assert_int_equal(uncompress(back, &bn, zo, (uLong)zn), Z_OK);
    assert_memory_equal(back, in, n);
    free(zo);
    free(out);
    free(back);
    free(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(compat_sha256_vectors),
        cmocka_unit_test(compat_md5_vectors),
        cmocka_unit_test(compat_deflate_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
