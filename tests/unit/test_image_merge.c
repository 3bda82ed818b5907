/* SPDX-License-Identifier: MIT */
/* merge_bin: raw gaps and padding, Intel HEX records, UF2 blocks, header patching notes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "espload/bytes.h"
#include "espload/err.h"
#include "espload/image.h"
#include "test_image_build.h"

static uint8_t boot[0x1000];
static uint8_t a[20], b[3];
static char why[300];

static struct el_merge_opts opts(enum el_merge_format f)
{
    struct el_merge_opts o = {.chip = EL_CHIP_ESP32,
                              .format = f,
                              .flash_mode = EL_IMG_KEEP,
                              .flash_freq = EL_IMG_KEEP,
                              .flash_size = EL_IMG_KEEP};
    return o;
}

static void test_merge__raw(void **state)
{
    (void)state;
    memset(a, 0x11, sizeof(a));
    memset(b, 0x22, sizeof(b));
    struct el_merge_input in[] = {{0x30, b, 3, "b"}, {0x10, a, 20, "a"}}; /* unsorted */
    struct el_merge_opts o = opts(EL_MERGE_RAW);
    uint8_t *out;
    size_t len, nn;
    assert_int_equal(el_merge(in, 2, &o, &out, &len, NULL, 0, &nn, why, sizeof(why)), EL_OK);
    assert_int_equal(len, 0x33);
    assert_int_equal(out[0], 0xFF);
    assert_int_equal(out[0x10], 0x11);
    assert_int_equal(out[0x23], 0x11);
    assert_int_equal(out[0x24], 0xFF);
    assert_int_equal(out[0x30], 0x22);
    free(out);
    o.target_offset = 0x10;
    o.pad_to_size = 0x100;
    assert_int_equal(el_merge(in, 2, &o, &out, &len, NULL, 0, &nn, why, sizeof(why)), EL_OK);
    assert_int_equal(len, 0xF0);
    assert_int_equal(out[0], 0x11);
    assert_int_equal(out[0xEF], 0xFF);
    free(out);
    o.target_offset = 0x20;
    assert_int_equal(el_merge(in, 2, &o, &out, &len, NULL, 0, &nn, why, sizeof(why)), EL_E_FORMAT);
    assert_non_null(strstr(why, "before this"));
    struct el_merge_input ov[] = {{0x10, a, 20, "a"}, {0x20, b, 3, "b"}};
    o = opts(EL_MERGE_RAW);
    assert_int_equal(el_merge(ov, 2, &o, &out, &len, NULL, 0, &nn, why, sizeof(why)), EL_E_FORMAT);
    assert_non_null(strstr(why, "overlap"));
    assert_int_equal(el_merge(ov, 0, &o, &out, &len, NULL, 0, &nn, why, sizeof(why)), EL_E_FORMAT);
}

static void test_merge__hex(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(a); i++)
        a[i] = (uint8_t)i;
    struct el_merge_input in[] = {{0x1000, a, 20, "a"}};
    struct el_merge_opts o = opts(EL_MERGE_HEX);
    uint8_t *out;
    size_t len, nn;
    assert_int_equal(el_merge(in, 1, &o, &out, &len, NULL, 0, &nn, why, sizeof(why)), EL_OK);
    const char *want = ":10100000000102030405060708090A0B0C0D0E0F68\n"
                       ":041010001011121396\n"
                       ":00000001FF\n";
    assert_int_equal(len, strlen(want));
    assert_memory_equal(out, want, len);
    free(out);
    /* (expected records: what Python's intelhex 2.3 writes for the same bytes) */
    /* above 64K: extended linear address records, no record across 64K */
    struct el_merge_input hi[] = {{0x1FFF8, a, 20, "a"}};
    assert_int_equal(el_merge(hi, 1, &o, &out, &len, NULL, 0, &nn, why, sizeof(why)), EL_OK);
    const char *want2 = ":020000040001F9\n"
                        ":08FFF8000001020304050607E5\n"
                        ":020000040002F8\n"
                        ":0C00000008090A0B0C0D0E0F1011121352\n"
                        ":00000001FF\n";
    assert_int_equal(len, strlen(want2));
    assert_memory_equal(out, want2, len);
    /* and it decodes back */
    uint8_t *bin;
    size_t blen;
    uint32_t start;
    assert_int_equal(el_ihex_decode((const char *)out, len, &bin, &blen, &start, why, sizeof(why)),
                     EL_OK);
    assert_int_equal(start, 0x1FFF8);
    assert_int_equal(blen, 20);
    assert_memory_equal(bin, a, 20);
    free(bin);
    free(out);
    /* gaps become 0xFF; bad checksums and junk are refused */
    const char *gap = ":0100000011EE\n:0100040022D9\n:00000001FF\n";
    assert_int_equal(el_ihex_decode(gap, strlen(gap), &bin, &blen, &start, why, sizeof(why)),
                     EL_OK);
    assert_int_equal(blen, 5);
    assert_int_equal(bin[0], 0x11);
    assert_int_equal(bin[2], 0xFF);
    assert_int_equal(bin[4], 0x22);
    free(bin);
    const char *bad = ":0100000011EF\n";
    assert_int_equal(el_ihex_decode(bad, strlen(bad), &bin, &blen, &start, why, sizeof(why)),
                     EL_E_FORMAT);
    assert_int_equal(el_ihex_decode("hello", 5, &bin, &blen, &start, why, sizeof(why)),
                     EL_E_FORMAT);
    /* a span over 64 MB is refused, not allocated */
    const char *far = ":020000040000FA\n:0100000011EE\n:02000004FFFFFC\n:0100000022DD\n";
    assert_int_equal(el_ihex_decode(far, strlen(far), &bin, &blen, &start, why, sizeof(why)),
                     EL_E_FORMAT);
}

static void test_merge__uf2(void **state)
{
    (void)state;
    static uint8_t big[1000];
    memset(big, 0x5A, sizeof(big));
    struct el_merge_input in[] = {{0x2000, big, sizeof(big), "big"}, {0x10000, b, 3, "b"}};
    struct el_merge_opts o = opts(EL_MERGE_UF2);
    o.chip = EL_CHIP_ESP32S3;
    uint8_t *out;
    size_t len, nn;
    assert_int_equal(el_merge(in, 2, &o, &out, &len, NULL, 0, &nn, why, sizeof(why)), EL_OK);
    assert_int_equal(len, 4 * 512); /* 452+452+96, then 3 */
    assert_int_equal(el_get_le32(out), 0x0A324655);
    assert_int_equal(el_get_le32(out + 8), 0x6000);
    assert_int_equal(el_get_le32(out + 12), 0x2000);
    assert_int_equal(el_get_le32(out + 16), 452);
    assert_int_equal(el_get_le32(out + 24), 3);
    assert_int_equal(el_get_le32(out + 28), 0xC47E5767);
    assert_int_equal(el_get_le32(out + 508), 0x0AB16F30);
    assert_int_equal(el_get_le32(out + 512 + 12), 0x2000 + 452);
    assert_int_equal(el_get_le32(out + 512 + 20), 1);
    assert_int_equal(el_get_le32(out + 3 * 512 + 20), 0); /* numbering restarts per file */
    assert_int_equal(el_get_le32(out + 3 * 512 + 24), 1);
    /* MD5 part: address, length, digest after the data */
    assert_int_equal(el_get_le32(out + 32 + 452), 0x2000);
    assert_int_equal(el_get_le32(out + 32 + 456), 452);
    free(out);
    o.md5_disable = true;
    o.chunk_size = 256;
    assert_int_equal(el_merge(in, 2, &o, &out, &len, NULL, 0, &nn, why, sizeof(why)), EL_OK);
    assert_int_equal(len, 5 * 512);
    assert_int_equal(el_get_le32(out + 8), 0x2000);
    free(out);
    o.chunk_size = 480;
    assert_int_equal(el_merge(in, 2, &o, &out, &len, NULL, 0, &nn, why, sizeof(why)), EL_E_FORMAT);
}

static void test_merge__patch_notes(void **state)
{
    (void)state;
    struct timg h = {.mode = 0, .size_freq = 0x00, .max_rev_full = 0xFFFF, .digest = 1};
    struct tseg s[] = {{0x3FFF0030, NULL, 0x40}};
    size_t n = timg_build(&h, s, 1, boot, sizeof(boot));
    struct el_merge_input in[] = {{0x1000, boot, n, "boot"}, {0x8000, a, 20, "x"}};
    struct el_merge_opts o = opts(EL_MERGE_RAW);
    o.flash_mode = 2;
    o.flash_size = 2;
    uint8_t *out;
    size_t len, nn;
    struct el_merge_note notes[8];
    assert_int_equal(el_merge(in, 2, &o, &out, &len, notes, 8, &nn, why, sizeof(why)), EL_OK);
    assert_int_equal(nn, 2);
    assert_int_equal(notes[0].kind, 1);
    assert_int_equal(notes[0].value, 0x0220);
    assert_int_equal(notes[1].kind, 2);
    assert_int_equal(out[0x1002], 2);
    assert_int_equal(out[0x1003], 0x20);
    assert_int_equal(boot[2], 0); /* the input is not modified */
    struct el_image img;
    assert_int_equal(el_image_parse(out + 0x1000, n, EL_CHIP_ESP32, &img, why, sizeof(why)), EL_OK);
    assert_true(img.digest_valid);
    free(out);
    /* not an image at the bootloader offset */
    struct el_merge_input ni[] = {{0x1000, a, 20, "a"}};
    assert_int_equal(el_merge(ni, 1, &o, &out, &len, notes, 8, &nn, why, sizeof(why)), EL_OK);
    assert_int_equal(nn, 1);
    assert_int_equal(notes[0].kind, 3);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merge__raw),
        cmocka_unit_test(test_merge__hex),
        cmocka_unit_test(test_merge__uf2),
        cmocka_unit_test(test_merge__patch_notes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
