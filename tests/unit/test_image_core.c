/* SPDX-License-Identifier: MIT */
/* Image codes, parsing and header patching. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sha2.h>

#include "espload/err.h"
#include "espload/image.h"
#include "test_image_build.h"

static uint8_t buf[0x20000];

static void test_image__codes(void **state)
{
    (void)state;
    assert_int_equal(el_image_flash_mode_code("qio"), 0);
    assert_int_equal(el_image_flash_mode_code("qout"), 1);
    assert_int_equal(el_image_flash_mode_code("dio"), 2);
    assert_int_equal(el_image_flash_mode_code("dout"), 3);
    assert_int_equal(el_image_flash_mode_code("keep"), EL_IMG_KEEP);
    assert_int_equal(el_image_flash_mode_code("fast"), EL_E_ARG);
    assert_int_equal(el_image_flash_freq_code(EL_CHIP_ESP32, "80m"), 0xF);
    assert_int_equal(el_image_flash_freq_code(EL_CHIP_ESP32, "40m"), 0x0);
    assert_int_equal(el_image_flash_freq_code(EL_CHIP_ESP32, "26m"), 0x1);
    assert_int_equal(el_image_flash_freq_code(EL_CHIP_ESP32, "20m"), 0x2);
    assert_int_equal(el_image_flash_freq_code(EL_CHIP_ESP32, "60m"), EL_E_ARG);
    assert_int_equal(el_image_flash_freq_code(EL_CHIP_ESP32C2, "60m"), 0xF);
    assert_int_equal(el_image_flash_freq_code(EL_CHIP_ESP32H2, "48m"), 0xF);
    assert_int_equal(el_image_flash_freq_code(EL_CHIP_ESP32C6, "80m"), 0x0);
    assert_int_equal(el_image_flash_freq_code(EL_CHIP_ESP32, "keep"), EL_IMG_KEEP);
    assert_string_equal(el_image_flash_freq_name(EL_CHIP_ESP32C6, 0), "80m");
    assert_int_equal(el_image_flash_size_code("1MB"), 0);
    assert_int_equal(el_image_flash_size_code("4MB"), 2);
    assert_int_equal(el_image_flash_size_code("128MB"), 7);
    assert_int_equal(el_image_flash_size_code("detect"), EL_IMG_DETECT);
    assert_int_equal(el_image_flash_size_code("3MB"), EL_E_ARG);
    assert_int_equal(el_image_flash_size_bytes(2), 4u << 20);
    assert_int_equal(el_image_flash_size_bytes(8), 0);
    uint32_t b;
    assert_int_equal(el_image_parse_size("4MB", &b), EL_OK);
    assert_int_equal(b, 4u << 20);
    assert_int_equal(el_image_parse_size("256KB", &b), EL_OK);
    assert_int_equal(b, 256u << 10);
    assert_int_equal(el_image_parse_size("0x1000", &b), EL_OK);
    assert_int_equal(b, 0x1000);
    assert_int_equal(el_image_parse_size("4XB", &b), EL_E_ARG);
}

static size_t boot_image(int digest)
{
    struct timg h = {.mode = 2, .size_freq = 0x20, .max_rev_full = 0xFFFF, .digest = digest};
    struct tseg s[] = {{0x3FFF0030, NULL, 0x60}, {0x40078000, NULL, 0x100}};
    return timg_build(&h, s, 2, buf, sizeof(buf));
}

static void test_image__parse(void **state)
{
    (void)state;
    size_t n = boot_image(1);
    struct el_image *img = malloc(sizeof(*img));
    char why[200];
    assert_int_equal(el_image_parse(buf, n, EL_CHIP_UNKNOWN, img, why, sizeof(why)), EL_OK);
    assert_int_equal(img->n_segments, 2);
    assert_int_equal(img->seg[0].addr, 0x3FFF0030);
    assert_int_equal(img->seg[0].file_offs, 0x18);
    assert_int_equal(img->checksum, img->checksum_calc);
    assert_true(img->has_digest);
    assert_true(img->digest_valid);
    assert_int_equal(img->image_len, n);
    assert_int_equal(img->data_length % 16, 0);
    assert_int_equal(el_image_kind_of(img), EL_IMG_KIND_BOOTLOADER);
    /* a wrong digest is reported, not an error */
    buf[n - 1] ^= 1;
    assert_int_equal(el_image_parse(buf, n, EL_CHIP_ESP32, img, why, sizeof(why)), EL_OK);
    assert_false(img->digest_valid);
    /* truncated: every prefix either parses or fails cleanly */
    for (size_t k = 0; k < n; k++)
        (void)el_image_parse(buf, k, EL_CHIP_ESP32, img, why, sizeof(why));
    assert_int_equal(el_image_parse(buf, 40, EL_CHIP_ESP32, img, why, sizeof(why)), EL_E_FORMAT);
    assert_non_null(strstr(why, "End of file reading segment"));
    buf[0] = 0xE8;
    assert_int_equal(el_image_parse(buf, n, EL_CHIP_ESP32, img, why, sizeof(why)), EL_E_FORMAT);
    assert_string_equal(why, "Invalid firmware image magic=0xe8");
    boot_image(1);
    buf[23] = 2;
    assert_int_equal(el_image_parse(buf, n, EL_CHIP_ESP32, img, why, sizeof(why)), EL_E_FORMAT);
    assert_non_null(strstr(why, "append_digest"));
    free(img);
}

static void test_image__mem_types(void **state)
{
    (void)state;
    const char *t[8];
    size_t n = el_image_mem_types(EL_CHIP_ESP32, 0x3FFB0000, t, 8);
    assert_int_equal(n, 2);
    assert_string_equal(t[0], "BYTE_ACCESSIBLE");
    assert_string_equal(t[1], "DRAM");
    n = el_image_mem_types(EL_CHIP_ESP32, 0x3F400020, t, 8);
    assert_int_equal(n, 1);
    assert_string_equal(t[0], "DROM");
    n = el_image_mem_types(EL_CHIP_ESP32, 0x3F800000, t, 8);
    assert_string_equal(t[0], "EXTRAM_DATA");
    assert_true(el_image_is_flash_addr(EL_CHIP_ESP32, 0x400D0018));
    assert_false(el_image_is_flash_addr(EL_CHIP_ESP32, 0x40080000));
    assert_true(el_image_is_flash_addr(EL_CHIP_ESP32S3, 0x3C000020));
    assert_int_equal(el_image_uf2_family(EL_CHIP_ESP32), 0x1C5F21B0);
}

static void test_image__patch(void **state)
{
    (void)state;
    size_t n = boot_image(1);
    bool changed, sha;
    uint16_t params;
    char why[200];
    /* all keep: nothing happens */
    assert_int_equal(el_image_patch_flash_params(EL_CHIP_ESP32, buf, n, EL_IMG_KEEP, EL_IMG_KEEP,
                                                 EL_IMG_KEEP, &changed, &params, &sha, why,
                                                 sizeof(why)),
                     EL_OK);
    assert_false(changed);
    /* dio, 80m, 16MB */
    assert_int_equal(el_image_patch_flash_params(EL_CHIP_ESP32, buf, n, 2, 0xF, 4, &changed,
                                                 &params, &sha, why, sizeof(why)),
                     EL_OK);
    assert_true(changed);
    assert_true(sha);
    assert_int_equal(params, 0x024F);
    assert_int_equal(buf[2], 2);
    assert_int_equal(buf[3], 0x4F);
    /* the digest is again valid */
    struct el_image *img = malloc(sizeof(*img));
    assert_int_equal(el_image_parse(buf, n, EL_CHIP_ESP32, img, why, sizeof(why)), EL_OK);
    assert_true(img->digest_valid);
    uint8_t d[32];
    SHA2_CTX c;
    SHA256Init(&c);
    SHA256Update(&c, buf, img->data_length);
    SHA256Final(d, &c);
    assert_memory_equal(d, buf + img->data_length, 32);
    /* keep size, change mode only */
    assert_int_equal(el_image_patch_flash_params(EL_CHIP_ESP32, buf, n, 3, EL_IMG_KEEP, EL_IMG_KEEP,
                                                 &changed, &params, &sha, why, sizeof(why)),
                     EL_OK);
    assert_int_equal(params, 0x034F);
    /* bytes after the digest (merged file) are kept */
    size_t m = boot_image(0);
    memset(buf + m, 0x5A, 64);
    assert_int_equal(el_image_patch_flash_params(EL_CHIP_ESP32, buf, m + 64, 2, EL_IMG_KEEP,
                                                 EL_IMG_KEEP, &changed, &params, &sha, why,
                                                 sizeof(why)),
                     EL_OK);
    assert_false(sha);
    assert_int_equal(buf[m + 10], 0x5A);
    /* not an image */
    memset(buf, 0xFF, 64);
    assert_int_equal(el_image_patch_flash_params(EL_CHIP_ESP32, buf, 64, 2, EL_IMG_KEEP,
                                                 EL_IMG_KEEP, &changed, &params, &sha, why,
                                                 sizeof(why)),
                     EL_E_FORMAT);
    assert_string_equal(why, "Image file at 0x1000 doesn't look like an image file, so not "
                             "changing any flash settings.");
    assert_int_equal(buf[2], 0xFF);
    /* 0xE9 but not a valid image: unchanged */
    buf[0] = 0xE9;
    buf[1] = 3;
    buf[23] = 0;
    assert_int_equal(el_image_patch_flash_params(EL_CHIP_ESP32, buf, 64, 2, EL_IMG_KEEP,
                                                 EL_IMG_KEEP, &changed, &params, &sha, why,
                                                 sizeof(why)),
                     EL_E_FORMAT);
    assert_non_null(strstr(why, "is not a valid esp32 image"));
    assert_int_equal(buf[2], 0xFF);
    free(img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_image__codes),
        cmocka_unit_test(test_image__parse),
        cmocka_unit_test(test_image__mem_types),
        cmocka_unit_test(test_image__patch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
