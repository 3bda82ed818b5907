/* SPDX-License-Identifier: MIT */
/* espload's file helpers (src/cli/cli_util.c): Intel HEX input, address/file pairs (sorting,
 * overlap rule, errors), MD5 and size formatting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cli/cli_opts.c"
#include "cli/cli_out.c"
#include "cli/cli_util.c"

static const char *ihex_ok = ":0400000001020304F2\n"
                             ":02000800AABB91\n"
                             ":020000040001F9\n" /* upper address 0x0001xxxx */
                             ":0100000055AA\n"   /* 0x10000 */
                             ":00000001FF\n";

static void test_cli_util_ihex(void **state)
{
    (void)state;
    uint8_t *b;
    size_t n;
    assert_true(cli_ihex_to_bin((const uint8_t *)ihex_ok, strlen(ihex_ok), 0, &b, &n));
    assert_int_equal(n, 0x10001);
    assert_int_equal(b[0], 1);
    assert_int_equal(b[3], 4);
    assert_int_equal(b[4], 0xFF); /* gap */
    assert_int_equal(b[8], 0xAA);
    assert_int_equal(b[9], 0xBB);
    assert_int_equal(b[0x10000], 0x55);
    free(b);
    /* from a base address: bytes below it are dropped */
    assert_true(cli_ihex_to_bin((const uint8_t *)ihex_ok, strlen(ihex_ok), 8, &b, &n));
    assert_int_equal(n, 0x10001 - 8);
    assert_int_equal(b[0], 0xAA);
    free(b);
    /* CRLF line ends */
    const char *crlf = ":0100000042BD\r\n:00000001FF\r\n";
    assert_true(cli_ihex_to_bin((const uint8_t *)crlf, strlen(crlf), 0, &b, &n));
    assert_int_equal(n, 1);
    assert_int_equal(b[0], 0x42);
    free(b);
}

static void test_cli_util_ihex_bad(void **state)
{
    (void)state;
    uint8_t *b = (uint8_t *)1;
    size_t n = 7;
    const char *badsum = ":0100000042BC\n:00000001FF\n";
    assert_false(cli_ihex_to_bin((const uint8_t *)badsum, strlen(badsum), 0, &b, &n));
    assert_null(b);
    assert_int_equal(n, 0);
    const char *noeof = ":0100000042BD\n";
    assert_false(cli_ihex_to_bin((const uint8_t *)noeof, strlen(noeof), 0, &b, &n));
    const char *short_rec = ":0400000001\n:00000001FF\n";
    assert_false(cli_ihex_to_bin((const uint8_t *)short_rec, strlen(short_rec), 0, &b, &n));
    const char *baddigit = ":01000000G2BD\n:00000001FF\n";
    assert_false(cli_ihex_to_bin((const uint8_t *)baddigit, strlen(baddigit), 0, &b, &n));
    const char *text = ": this is not hex\n";
    assert_false(cli_ihex_to_bin((const uint8_t *)text, strlen(text), 0, &b, &n));
    const uint8_t bin[] = {0xE9, 0x04, 0x02, 0x20};
    assert_false(cli_ihex_to_bin(bin, sizeof(bin), 0, &b, &n));
    assert_false(cli_ihex_to_bin(bin, 0, 0, &b, &n));
    /* all data below the base: nothing to write */
    assert_false(cli_ihex_to_bin((const uint8_t *)ihex_ok, strlen(ihex_ok), 0x20000, &b, &n));
}

static char dir[64];

static const char *mkfile(const char *name, const void *data, size_t len)
{
    static char path[8][128];
    static int k;
    char *p = path[k++ % 8];
    snprintf(p, 128, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
    return p;
}

static void test_cli_util_regions(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/el-cli-util.XXXXXX");
    assert_non_null(mkdtemp(dir));
    uint8_t big[5000];
    memset(big, 0x11, sizeof(big));
    const char *a = mkfile("a.bin", big, sizeof(big));
    const char *b = mkfile("b.bin", "hello", 5);
    const char *h = mkfile("c.hex", ihex_ok, strlen(ihex_ok));
    struct cli_region *r;
    size_t n;
    /* sorted by address; Intel HEX converted from the given address */
    char *p1[] = {"0x30000", (char *)b, "0x20000", (char *)a, "0", (char *)h};
    assert_int_equal(cli_load_regions("t", p1, 6, &r, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(r[0].addr, 0);
    assert_int_equal(r[0].len, 0x10001); /* the hex file */
    assert_int_equal(r[1].addr, 0x20000);
    assert_int_equal(r[1].len, 5000);
    assert_int_equal(r[2].addr, 0x30000);
    assert_memory_equal(r[2].data, "hello", 5);
    cli_free_regions(r, n);
    /* 5000 bytes at 0x1000 end in sector 0x2000: a file there overlaps */
    char *p2[] = {"0x1000", (char *)a, "0x2000", (char *)b};
    assert_int_equal(cli_load_regions("t", p2, 4, &r, &n), EXIT_USAGE);
    char *p3[] = {"0x1000", (char *)a, "0x3000", (char *)b};
    assert_int_equal(cli_load_regions("t", p3, 4, &r, &n), 0);
    cli_free_regions(r, n);
    char *p4[] = {"0x1000"};
    assert_int_equal(cli_load_regions("t", p4, 1, &r, &n), EXIT_USAGE);
    char *p5[] = {"ten", (char *)a};
    assert_int_equal(cli_load_regions("t", p5, 2, &r, &n), EXIT_USAGE);
    char *p6[] = {"0x1000", "/nonexistent/x.bin"};
    assert_int_equal(cli_load_regions("t", p6, 2, &r, &n), EXIT_INPUT);
    assert_int_equal(cli_load_regions("t", p6, 0, &r, &n), EXIT_USAGE);
    char *p7[] = {"0xFFFFF000", (char *)a};
    assert_int_equal(cli_load_regions("t", p7, 2, &r, &n), EXIT_SIZE);
    char *p8[] = {"0x1000", dir};
    assert_int_equal(cli_load_regions("t", p8, 2, &r, &n), EXIT_INPUT);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_cli_util_misc(void **state)
{
    (void)state;
    char md5[33], buf[32];
    cli_md5_hex((const uint8_t *)"", 0, md5);
    assert_string_equal(md5, "d41d8cd98f00b204e9800998ecf8427e");
    cli_md5_hex((const uint8_t *)"abc", 3, md5);
    assert_string_equal(md5, "900150983cd24fb0d6963f7d28e17f72");
    assert_string_equal(cli_size_str(4u << 20, buf, sizeof(buf)), "4MB");
    assert_string_equal(cli_size_str(512u << 10, buf, sizeof(buf)), "512KB");
    assert_string_equal(cli_size_str(1000, buf, sizeof(buf)), "1000 bytes");
}

static void test_cli_util_psram(void **state)
{
    (void)state;
    assert_int_equal(cli_psram_from_features("WiFi, BT, Dual Core, Embedded Flash, Embedded PSRAM"),
                     1);
    assert_int_equal(cli_psram_from_features("WiFi, BLE, Embedded PSRAM 8MB (AP_3v3)"), 1);
    /* ESP32-S2 without PSRAM in the package: not "has PSRAM" (unknown: the module may) */
    assert_int_equal(cli_psram_from_features("WiFi, No Embedded Flash, No Embedded PSRAM, ADC and "
                                             "temperature sensor calibration in BLK2 of efuse V2"),
                     -1);
    assert_int_equal(cli_psram_from_features("No Embedded PSRAM"), -1);
    assert_int_equal(cli_psram_from_features("WiFi, Unknown Embedded PSRAM"), -1);
    assert_int_equal(cli_psram_from_features("WiFi, Embedded Flash 2MB, Embedded PSRAM 2MB"), 1);
    assert_int_equal(cli_psram_from_features("WiFi, BT, Dual Core, 240MHz"), -1);
    assert_int_equal(cli_psram_from_features(""), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cli_util_ihex),    cmocka_unit_test(test_cli_util_ihex_bad),
        cmocka_unit_test(test_cli_util_regions), cmocka_unit_test(test_cli_util_misc),
        cmocka_unit_test(test_cli_util_psram),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
