/* SPDX-License-Identifier: MIT */
/* Partition tables: CSV parsing and placement, binary round trip, MD5 row, verification. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <md5.h>

#include "espload/bytes.h"
#include "espload/err.h"
#include "espload/image.h"

static struct el_parttable pt, pt2;
static char why[300];

static int csv(const char *t, uint32_t off)
{
    return el_parttable_parse_csv(t, strlen(t), off, &pt, why, sizeof(why));
}

static void test_pt__csv_placement(void **state)
{
    (void)state;
    assert_int_equal(csv("# comment\n\nnvs, data, nvs, , 0x6000,\r\n"
                         "otadata,data,ota,,0x2000\n"
                         "phy_init,data,phy,,4k\n"
                         "app0,app,ota_0,,1M\n"
                         "app1,app,ota_15,,0x100000\n"
                         "fs,data,littlefs,,1536K,encrypted:readonly\n"
                         "x,0x40,0x12,0x700000,64K\n"
                         "u,data,,,4K\n",
                         0x8000),
                     EL_OK);
    assert_int_equal(pt.n, 8);
    assert_int_equal(pt.p[0].offset, 0x9000);
    assert_int_equal(pt.p[0].size, 0x6000);
    assert_int_equal(pt.p[1].offset, 0xF000);
    assert_int_equal(pt.p[2].offset, 0x11000);
    assert_int_equal(pt.p[3].offset, 0x20000); /* apps aligned to 64K */
    assert_int_equal(pt.p[3].subtype, 0x10);
    assert_int_equal(pt.p[4].subtype, 0x1F);
    assert_int_equal(pt.p[4].offset, 0x120000);
    assert_int_equal(pt.p[5].subtype, 0x83);
    assert_int_equal(pt.p[5].flags, 3);
    assert_int_equal(pt.p[5].size, 1536 * 1024);
    assert_int_equal(pt.p[6].type, 0x40);
    assert_int_equal(pt.p[6].offset, 0x700000);
    assert_int_equal(pt.p[7].subtype, 0x06); /* empty data subtype: undefined */
    assert_int_equal(el_parttable_verify(&pt, 0x8000, 8u << 20, why, sizeof(why)), EL_OK);
    assert_int_equal(el_parttable_verify(&pt, 0x8000, 4u << 20, why, sizeof(why)), EL_E_FORMAT);
    assert_non_null(strstr(why, "past the end"));
    /* table offset moves the start */
    assert_int_equal(csv("nvs,data,nvs,,4K\n", 0xA000), EL_OK);
    assert_int_equal(pt.p[0].offset, 0xB000);
}

static void test_pt__binary_roundtrip(void **state)
{
    (void)state;
    assert_int_equal(csv("nvs,data,nvs,,0x6000\nfactory,app,factory,,1M\nfs,data,fat,,64K,"
                         "encrypted\n",
                         0x8000),
                     EL_OK);
    uint8_t bin[EL_PT_MAX_LEN];
    size_t n;
    assert_int_equal(el_parttable_to_bin(&pt, false, bin, sizeof(bin), &n), EL_OK);
    assert_int_equal(n, 0xC00);
    assert_int_equal(bin[0], 0xAA);
    assert_int_equal(bin[1], 0x50);
    assert_int_equal(el_get_le32(bin + 4), 0x9000);
    assert_string_equal((char *)bin + 12, "nvs");
    assert_int_equal(bin[96], 0xEB);
    assert_int_equal(bin[97], 0xEB);
    for (int i = 98; i < 112; i++)
        assert_int_equal(bin[i], 0xFF);
    uint8_t d[16];
    MD5_CTX c;
    MD5Init(&c);
    MD5Update(&c, bin, 96);
    MD5Final(d, &c);
    assert_memory_equal(bin + 112, d, 16);
    assert_int_equal(bin[128], 0xFF);
    assert_int_equal(el_parttable_parse_bin(bin, n, &pt2, why, sizeof(why)), EL_OK);
    assert_true(pt2.has_md5);
    assert_true(pt2.md5_valid);
    assert_int_equal(pt2.n, 3);
    assert_string_equal(pt2.p[2].name, "fs");
    assert_int_equal(pt2.p[2].flags, 1);
    char text[1024];
    size_t need = el_parttable_to_csv(&pt2, text, sizeof(text));
    assert_true(need < sizeof(text));
    assert_string_equal(text, "# ESP-IDF Partition Table\n# Name, Type, SubType, Offset, Size, "
                              "Flags\nnvs,data,nvs,0x9000,24K,\nfactory,app,factory,0x10000,1M,\n"
                              "fs,data,fat,0x110000,64K,encrypted\n");
    /* a short buffer: snprintf-style count, NUL-terminated */
    char small[10];
    assert_int_equal(el_parttable_to_csv(&pt2, small, sizeof(small)), need);
    assert_int_equal(strlen(small), 9);
    /* corrupt MD5 */
    bin[20] ^= 1;
    assert_int_equal(el_parttable_parse_bin(bin, n, &pt2, why, sizeof(why)), EL_E_FORMAT);
    assert_non_null(strstr(why, "MD5"));
    /* no MD5 row */
    assert_int_equal(el_parttable_to_bin(&pt, true, bin, sizeof(bin), &n), EL_OK);
    assert_int_equal(bin[96], 0xFF);
    assert_int_equal(el_parttable_parse_bin(bin, n, &pt2, why, sizeof(why)), EL_OK);
    assert_false(pt2.has_md5);
    /* no end marker */
    memset(bin, 0, sizeof(bin));
    for (int i = 0; i < 0xC00; i += 32) {
        bin[i] = 0xAA;
        bin[i + 1] = 0x50;
    }
    assert_int_equal(el_parttable_parse_bin(bin, sizeof(bin), &pt2, why, sizeof(why)), EL_E_FORMAT);
    /* every prefix parses or fails cleanly */
    for (size_t k = 0; k < 200; k++)
        (void)el_parttable_parse_bin(bin, k, &pt2, why, sizeof(why));
}

static void test_pt__csv_errors(void **state)
{
    (void)state;
    assert_int_equal(csv("a,data,nvs,0x7000,4K\n", 0x8000), EL_E_FORMAT);
    assert_non_null(strstr(why, "First partition offset"));
    assert_int_equal(csv("a,data,nvs,0x9000,8K\nb,data,nvs,0xA000,4K\n", 0x8000), EL_E_FORMAT);
    assert_non_null(strstr(why, "Partitions overlap"));
    assert_int_equal(csv("a,app,,,1M\n", 0x8000), EL_E_FORMAT);
    assert_int_equal(csv("a,app,ota_16,,1M\n", 0x8000), EL_E_FORMAT);
    assert_int_equal(csv("a,data,nvs,,\n", 0x8000), EL_E_FORMAT);
    assert_int_equal(csv("a,data,nvs,,4Q\n", 0x8000), EL_E_FORMAT);
    assert_int_equal(csv("a,data,nvs,,99999999999\n", 0x8000), EL_E_FORMAT);
    assert_int_equal(csv("a,data,nvs,,4K,bogus\n", 0x8000), EL_E_FORMAT);
    assert_int_equal(csv("a,0x1FF,0,,4K\n", 0x8000), EL_E_FORMAT);
    assert_int_equal(csv("\n# only comments\n", 0x8000), EL_E_FORMAT);
    assert_int_equal(csv("a,data,nvs,,4K\na,data,nvs,,4K\n", 0x8000), EL_OK);
    assert_int_equal(el_parttable_verify(&pt, 0x8000, 0, why, sizeof(why)), EL_E_FORMAT);
    assert_non_null(strstr(why, "unique"));
    assert_int_equal(csv("a,app,factory,0x10100,64K\n", 0x8000), EL_OK);
    assert_int_equal(el_parttable_verify(&pt, 0x8000, 0, why, sizeof(why)), EL_E_FORMAT);
    assert_non_null(strstr(why, "not aligned"));
    /* names */
    assert_string_equal(el_parttable_type_name(1), "data");
    assert_string_equal(el_parttable_subtype_name(0, 0x12), "ota_2");
    assert_string_equal(el_parttable_subtype_name(1, 0x82), "spiffs");
    assert_null(el_parttable_subtype_name(0x40, 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pt__csv_placement),
        cmocka_unit_test(test_pt__binary_roundtrip),
        cmocka_unit_test(test_pt__csv_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
