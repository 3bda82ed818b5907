/* SPDX-License-Identifier: MIT */
/* Pre-flight checks: one test per finding code, plus the clean cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "espload/err.h"
#include "espload/image.h"
#include "test_image_build.h"

#define BIG (4u << 20)
static uint8_t *img_a, *img_b, *merged;

static int setup(void **state)
{
    (void)state;
    img_a = calloc(1, 0x40000);
    img_b = calloc(1, 0x40000);
    merged = malloc(BIG);
    return 0;
}
static int teardown(void **state)
{
    (void)state;
    free(img_a);
    free(img_b);
    free(merged);
    return 0;
}

static struct el_preflight_target esp32(void)
{
    struct el_preflight_target t = {.chip = EL_CHIP_ESP32,
                                    .chip_rev_full = 300,
                                    .flash_size = 4u << 20,
                                    .psram = -1,
                                    .chip_description = "ESP32-D0WD-V3 (revision v3.0)",
                                    .partition_table_offset = 0x8000};
    return t;
}

static size_t make_boot(uint8_t *out, uint8_t mode, uint8_t size_freq, uint16_t chip_id)
{
    struct timg h = {.mode = mode,
                     .size_freq = size_freq,
                     .chip_id = chip_id,
                     .max_rev_full = 0xFFFF,
                     .digest = 1};
    struct tseg s[] = {{0x3FFF0030, NULL, 0x60}, {0x40078000, NULL, 0x200}};
    return timg_build(&h, s, 2, out, 0x40000);
}

/* An app: DROM segment with an app descriptor, then IROM. text (may be NULL) is put into
 * the DROM data. */
static size_t make_app(uint8_t *out, uint16_t chip_id, uint16_t min_rev, uint16_t max_rev,
                       const char *text, uint32_t ext_seg)
{
    static uint8_t drom[0x400];
    memset(drom, 0, sizeof(drom));
    drom[0] = 0x32;
    drom[1] = 0x54;
    drom[2] = 0xCD;
    drom[3] = 0xAB;
    memcpy(drom + 16, "v1.0", 4);
    memcpy(drom + 48, "demo", 4);
    if (text)
        memcpy(drom + 0x200, text, strlen(text));
    struct timg h = {.mode = 2,
                     .size_freq = 0x20,
                     .chip_id = chip_id,
                     .min_rev_full = min_rev,
                     .max_rev_full = max_rev,
                     .digest = 1};
    struct tseg s[3] = {
        {0x3F400020, drom, sizeof(drom)}, {0x400D0020, NULL, 0x100}, {ext_seg, NULL, 0x40}};
    return timg_build(&h, s, ext_seg ? 3 : 2, out, 0x40000);
}

static size_t make_table(uint8_t *out, bool with_factory)
{
    struct el_parttable pt;
    char why[200];
    const char *csv = with_factory
                          ? "nvs,data,nvs,0x9000,0x6000,\nphy_init,data,phy,0xf000,0x1000,\n"
                            "factory,app,factory,0x10000,1M,\n"
                          : "nvs,data,nvs,0x9000,0x6000,\nstorage,data,fat,0x10000,1M,\n";
    assert_int_equal(el_parttable_parse_csv(csv, strlen(csv), 0x8000, &pt, why, sizeof(why)),
                     EL_OK);
    size_t n;
    assert_int_equal(el_parttable_to_bin(&pt, false, out, EL_PT_MAX_LEN, &n), EL_OK);
    return n;
}

static bool has_code(const struct el_pf_finding *f, size_t n, const char *code,
                     enum el_pf_level lvl)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(f[i].code, code) == 0 && f[i].level == lvl)
            return true;
    }
    return false;
}

static int run(const struct el_preflight_target *t, struct el_preflight_file *f, size_t n,
               struct el_pf_finding *out, size_t *nf)
{
    int rc = el_preflight_check(t, f, n, out, 16, nf);
    for (size_t i = 0; i < *nf && i < 16; i++)
        printf("    [%d] %s: %s\n", out[i].level, out[i].code, out[i].msg);
    return rc;
}

static void test_pf__clean_write(void **state)
{
    (void)state;
    struct el_preflight_target t = esp32();
    uint8_t tab[EL_PT_MAX_LEN];
    size_t nb = make_boot(img_a, 2, 0x20, 0), nt = make_table(tab, true);
    size_t na = make_app(img_b, 0, 0, 0xFFFF, NULL, 0);
    struct el_preflight_file f[] = {{0x1000, img_a, nb, "bootloader.bin"},
                                    {0x8000, tab, nt, "partition-table.bin"},
                                    {0x10000, img_b, na, "app.bin"}};
    struct el_pf_finding out[16];
    size_t n;
    assert_int_equal(run(&t, f, 3, out, &n), EL_OK);
    assert_int_equal(n, 0);
}

static void test_pf__wrong_chip(void **state)
{
    (void)state;
    struct el_preflight_target t = esp32();
    size_t na = make_app(img_b, 9 /* ESP32-S3 */, 0, 0xFFFF, NULL, 0);
    struct el_preflight_file f[] = {{0x10000, img_b, na, "app.bin"}};
    struct el_pf_finding out[16];
    size_t n;
    assert_int_equal(run(&t, f, 1, out, &n), EL_E_REFUSED);
    assert_true(has_code(out, n, "wrong-chip", EL_PF_REFUSE));
    assert_non_null(strstr(out[0].msg, "ESP32-S3"));
}

static void test_pf__chip_revision(void **state)
{
    (void)state;
    struct el_preflight_target t = esp32();
    t.chip_rev_full = 100;
    size_t na = make_app(img_b, 0, 300, 0xFFFF, NULL, 0);
    struct el_preflight_file f[] = {{0x10000, img_b, na, "app.bin"}};
    struct el_pf_finding out[16];
    size_t n;
    assert_int_equal(run(&t, f, 1, out, &n), EL_E_REFUSED);
    assert_true(has_code(out, n, "chip-revision", EL_PF_REFUSE));
    t.chip_rev_full = 301;
    na = make_app(img_b, 0, 0, 299, NULL, 0);
    f[0].len = na;
    assert_int_equal(run(&t, f, 1, out, &n), EL_E_REFUSED);
    assert_true(has_code(out, n, "chip-revision", EL_PF_REFUSE));
    t.chip_rev_full = 300;
    na = make_app(img_b, 0, 300, 399, NULL, 0);
    assert_int_equal(run(&t, f, 1, out, &n), EL_OK);
}

static void test_pf__bootloader_offset(void **state)
{
    (void)state;
    struct el_preflight_target t = esp32();
    size_t nb = make_boot(img_a, 2, 0x20, 0);
    struct el_preflight_file f[] = {{0x0, img_a, nb, "bootloader.bin"}};
    struct el_pf_finding out[16];
    size_t n;
    assert_int_equal(run(&t, f, 1, out, &n), EL_E_REFUSED);
    assert_true(has_code(out, n, "bootloader-offset", EL_PF_REFUSE));
    assert_non_null(strstr(out[0].msg, "0x1000"));
    /* ESP32-S3 boots from 0x0: the same offset is right there, 0x1000 is wrong */
    t.chip = EL_CHIP_ESP32S3;
    make_boot(img_a, 2, 0x20, 9);
    assert_int_equal(run(&t, f, 1, out, &n), EL_OK);
    f[0].addr = 0x1000;
    assert_int_equal(run(&t, f, 1, out, &n), EL_E_REFUSED);
    assert_true(has_code(out, n, "bootloader-offset", EL_PF_REFUSE));
}

static void test_pf__merged_offset(void **state)
{
    (void)state;
    struct el_preflight_target t = esp32();
    memset(merged, 0xFF, 0x20000);
    make_boot(merged + 0x1000, 2, 0x20, 0);
    make_table(merged + 0x8000, true);
    size_t na = make_app(merged + 0x10000, 0, 0, 0xFFFF, NULL, 0);
    size_t len = 0x10000 + na;
    struct el_preflight_file f[] = {{0x1000, merged, len, "merged.bin"}};
    struct el_pf_finding out[16];
    size_t n;
    assert_int_equal(run(&t, f, 1, out, &n), EL_E_REFUSED);
    assert_true(has_code(out, n, "merged-image-offset", EL_PF_REFUSE));
    f[0].addr = 0;
    assert_int_equal(run(&t, f, 1, out, &n), EL_OK);
    /* a file that starts with the bootloader (made for 0x1000) is fine at 0x1000 */
    f[0].data = merged + 0x1000;
    f[0].len = len - 0x1000;
    f[0].addr = 0x1000;
    assert_int_equal(run(&t, f, 1, out, &n), EL_OK);
    f[0].addr = 0;
    assert_int_equal(run(&t, f, 1, out, &n), EL_E_REFUSED);
    assert_true(has_code(out, n, "merged-image-offset", EL_PF_REFUSE));
}

static void test_pf__no_app_partition(void **state)
{
    (void)state;
    struct el_preflight_target t = esp32();
    uint8_t tab[EL_PT_MAX_LEN];
    make_table(tab, true);
    t.partition_table = tab;
    t.partition_table_len = sizeof(tab);
    size_t na = make_app(img_b, 0, 0, 0xFFFF, NULL, 0);
    struct el_preflight_file f[] = {{0x20000, img_b, na, "app.bin"}};
    struct el_pf_finding out[16];
    size_t n;
    assert_int_equal(run(&t, f, 1, out, &n), EL_E_REFUSED);
    assert_true(has_code(out, n, "no-app-partition", EL_PF_REFUSE));
    assert_non_null(strstr(out[0].msg, "factory 0x10000"));
    f[0].addr = 0x10000;
    assert_int_equal(run(&t, f, 1, out, &n), EL_OK);
    /* a table in the same write wins over the device's */
    uint8_t tab2[EL_PT_MAX_LEN];
    size_t nt = make_table(tab2, false);
    struct el_preflight_file f2[] = {{0x8000, tab2, nt, "pt.bin"}, {0x10000, img_b, na, "app.bin"}};
    assert_int_equal(run(&t, f2, 2, out, &n), EL_E_REFUSED);
    assert_true(has_code(out, n, "no-app-partition", EL_PF_REFUSE));
    /* an app at the bootloader offset */
    t.partition_table = NULL;
    f[0].addr = 0x1000;
    assert_int_equal(run(&t, f, 1, out, &n), EL_E_REFUSED);
    assert_true(has_code(out, n, "no-app-partition", EL_PF_REFUSE));
}

static void test_pf__past_end(void **state)
{
    (void)state;
    struct el_preflight_target t = esp32();
    t.flash_size = 2u << 20;
    size_t na = make_app(img_b, 0, 0, 0xFFFF, NULL, 0);
    struct el_preflight_file f[] = {{0x1FFF00, img_b, na, "app.bin"}};
    struct el_pf_finding out[16];
    size_t n;
    assert_int_equal(run(&t, f, 1, out, &n), EL_E_REFUSED);
    assert_true(has_code(out, n, "past-end-of-flash", EL_PF_REFUSE));
}

static void test_pf__header_flash_size(void **state)
{
    (void)state;
    struct el_preflight_target t = esp32();
    t.flash_size = 2u << 20;
    size_t nb = make_boot(img_a, 2, 0x40 /* 16MB */, 0);
    struct el_preflight_file f[] = {{0x1000, img_a, nb, "bootloader.bin"}};
    struct el_pf_finding out[16];
    size_t n;
    assert_int_equal(run(&t, f, 1, out, &n), EL_E_REFUSED);
    assert_true(has_code(out, n, "header-flash-size", EL_PF_REFUSE));
    make_boot(img_a, 2, 0x10, 0);
    assert_int_equal(run(&t, f, 1, out, &n), EL_OK);
    /* frequency code the chip does not define: warning */
    make_boot(img_a, 2, 0x17, 0);
    assert_int_equal(run(&t, f, 1, out, &n), EL_OK);
    assert_true(has_code(out, n, "header-settings", EL_PF_WARN));
}

static void test_pf__bootloader_qio(void **state)
{
    (void)state;
    struct el_preflight_target t = esp32();
    size_t nb = make_boot(img_a, 0 /* QIO */, 0x20, 0);
    struct el_preflight_file f[] = {{0x1000, img_a, nb, "bootloader.bin"}};
    struct el_pf_finding out[16];
    size_t n;
    assert_int_equal(run(&t, f, 1, out, &n), EL_OK);
    assert_true(has_code(out, n, "bootloader-qio", EL_PF_WARN));
}

static void test_pf__secure_boot(void **state)
{
    (void)state;
    struct el_preflight_target t = esp32();
    t.secure_boot = true;
    size_t nb = make_boot(img_a, 2, 0x20, 0);
    struct el_preflight_file f[] = {{0x1000, img_a, nb, "bootloader.bin"}};
    struct el_pf_finding out[16];
    size_t n;
    assert_int_equal(run(&t, f, 1, out, &n), EL_E_REFUSED);
    assert_true(has_code(out, n, "secure-boot-plaintext", EL_PF_REFUSE));
    t.secure_boot = false;
    t.flash_encryption = true;
    assert_int_equal(run(&t, f, 1, out, &n), EL_E_REFUSED);
    assert_true(has_code(out, n, "secure-boot-plaintext", EL_PF_REFUSE));
    /* ciphertext (no image magic) passes */
    memset(img_a, 0x3C, nb);
    assert_int_equal(run(&t, f, 1, out, &n), EL_OK);
}

static void test_pf__psram(void **state)
{
    (void)state;
    struct el_preflight_target t = esp32();
    size_t na = make_app(img_b, 0, 0, 0xFFFF, "E (%u) cpu_start: Failed to init external RAM!", 0);
    struct el_preflight_file f[] = {{0x10000, img_b, na, "firmware.bin"}};
    struct el_pf_finding out[16];
    size_t n;
    assert_int_equal(run(&t, f, 1, out, &n), EL_OK);
    assert_true(has_code(out, n, "psram-missing", EL_PF_WARN));
    assert_non_null(strstr(out[0].msg, "without SPIRAM"));
    t.psram = 1;
    assert_int_equal(run(&t, f, 1, out, &n), EL_OK);
    assert_int_equal(n, 0);
    /* in-package PSRAM named by the description only */
    t.psram = -1;
    t.chip_description = "ESP32-D0WDR2-V3 (revision v3.0)";
    assert_int_equal(run(&t, f, 1, out, &n), EL_OK);
    assert_int_equal(n, 0);
    t.chip_description = "ESP32-D0WDQ6 (revision v3.0)";
    /* a segment loaded into external RAM is evidence on its own */
    t.psram = 0;
    na = make_app(img_b, 0, 0, 0xFFFF, NULL, 0x3F800000);
    f[0].len = na;
    assert_int_equal(run(&t, f, 1, out, &n), EL_OK);
    assert_true(has_code(out, n, "psram-missing", EL_PF_WARN));
    assert_non_null(strstr(out[0].msg, "0x3f800000"));
    /* no evidence, and the name is never evidence */
    na = make_app(img_b, 0, 0, 0xFFFF, "hello", 0);
    f[0].len = na;
    f[0].name = "esp32spiram-20180728.bin";
    assert_int_equal(run(&t, f, 1, out, &n), EL_OK);
    assert_int_equal(n, 0);
    /* the seed case: a merged SPIRAM build written at 0x1000 */
    memset(merged, 0xFF, 0x20000);
    size_t nb = make_boot(merged, 2, 0x20, 0);
    (void)nb;
    make_table(merged + 0x7000, true);
    na = make_app(merged + 0xF000, 0, 0, 0xFFFF, "SPI SRAM memory test", 0);
    struct el_preflight_file m[] = {{0x1000, merged, 0xF000 + na, "esp32-2018.bin"}};
    t.psram = -1;
    assert_int_equal(run(&t, m, 1, out, &n), EL_OK);
    assert_true(has_code(out, n, "psram-missing", EL_PF_WARN));
    /* the ESP32-C3 has no external RAM support: no finding */
    t.chip = EL_CHIP_ESP32C3;
    assert_int_equal(el_preflight_check(&t, f, 1, out, 16, &n), EL_E_REFUSED); /* wrong chip */
    assert_false(has_code(out, n, "psram-missing", EL_PF_WARN));
}

static void test_pf__bounded_output(void **state)
{
    (void)state;
    struct el_preflight_target t = esp32();
    t.flash_size = 1u << 20;
    t.chip_rev_full = 0;
    size_t na = make_app(img_b, 9, 300, 0xFFFF, "esp_psram", 0);
    struct el_preflight_file f[] = {{0xFFF00, img_b, na, "a"}, {0x1000, img_b, na, "b"}};
    struct el_pf_finding out[1];
    size_t n;
    assert_int_equal(el_preflight_check(&t, f, 2, out, 1, &n), EL_E_REFUSED);
    assert_true(n > 1);
    assert_int_equal(el_preflight_check(&t, NULL, 0, out, 0, &n), EL_OK);
    assert_int_equal(n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pf__clean_write),    cmocka_unit_test(test_pf__wrong_chip),
        cmocka_unit_test(test_pf__chip_revision),  cmocka_unit_test(test_pf__bootloader_offset),
        cmocka_unit_test(test_pf__merged_offset),  cmocka_unit_test(test_pf__no_app_partition),
        cmocka_unit_test(test_pf__past_end),       cmocka_unit_test(test_pf__header_flash_size),
        cmocka_unit_test(test_pf__bootloader_qio), cmocka_unit_test(test_pf__secure_boot),
        cmocka_unit_test(test_pf__psram),          cmocka_unit_test(test_pf__bounded_output),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
