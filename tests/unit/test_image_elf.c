/* SPDX-License-Identifier: MIT */
/* elf2image on hand-made ELFs: section selection, merging, flash-page alignment with RAM
 * pieces and padding segments, the ESP32 0x24 rule, ELF SHA-256 placement, hostile headers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sha2.h>

#include "espload/bytes.h"
#include "espload/err.h"
#include "espload/image.h"

struct sec {
    const char *name;
    uint32_t type, flags, addr, size;
    uint8_t fill;
};

/* ELF32 LE: header, section data, .shstrtab, section headers (null + given + shstrtab),
 * one PT_LOAD per section. Returns the length. */
static size_t mkelf(uint8_t *b, size_t cap, uint16_t machine, const struct sec *s, size_t n)
{
    memset(b, 0, cap);
    size_t p = 0x34 + 0x20 * n;
    uint32_t off[16];
    for (size_t i = 0; i < n; i++) {
        off[i] = (uint32_t)p;
        if (s[i].type != 8)
            memset(b + p, s[i].fill, s[i].size);
        p += s[i].type == 8 ? 0 : s[i].size;
        p = (p + 3) & ~(size_t)3;
    }
    size_t str = p;
    b[p++] = 0;
    uint32_t name_off[17];
    for (size_t i = 0; i < n; i++) {
        name_off[i] = (uint32_t)(p - str);
        strcpy((char *)b + p, s[i].name);
        p += strlen(s[i].name) + 1;
    }
    name_off[n] = (uint32_t)(p - str);
    strcpy((char *)b + p, ".shstrtab");
    p += 10;
    size_t strsize = p - str;
    p = (p + 3) & ~(size_t)3;
    size_t sh = p;
    memcpy(b, "\177ELF\001\001\001", 7);
    el_put_le16(b + 16, 2);
    el_put_le16(b + 18, machine);
    el_put_le32(b + 20, 1);
    el_put_le32(b + 24, 0x40080004);
    el_put_le32(b + 28, 0x34);
    el_put_le32(b + 32, (uint32_t)sh);
    el_put_le16(b + 40, 0x34);
    el_put_le16(b + 42, 0x20);
    el_put_le16(b + 44, (uint16_t)n);
    el_put_le16(b + 46, 0x28);
    el_put_le16(b + 48, (uint16_t)(n + 2));
    el_put_le16(b + 50, (uint16_t)(n + 1));
    p = sh + 0x28; /* null section */
    for (size_t i = 0; i < n; i++, p += 0x28) {
        el_put_le32(b + p, name_off[i]);
        el_put_le32(b + p + 4, s[i].type);
        el_put_le32(b + p + 8, s[i].flags);
        el_put_le32(b + p + 12, s[i].addr);
        el_put_le32(b + p + 16, off[i]);
        el_put_le32(b + p + 20, s[i].size);
        el_put_le32(b + p + 32, 4);
        uint8_t *ph = b + 0x34 + 0x20 * i;
        el_put_le32(ph, s[i].type == 8 ? 0 : 1);
        el_put_le32(ph + 4, off[i]);
        el_put_le32(ph + 8, s[i].addr);
        el_put_le32(ph + 12, s[i].addr);
        el_put_le32(ph + 16, s[i].type == 8 ? 0 : s[i].size);
        el_put_le32(ph + 20, s[i].size);
        el_put_le32(ph + 24, s[i].flags);
    }
    el_put_le32(b + p, name_off[n]);
    el_put_le32(b + p + 4, 3);
    el_put_le32(b + p + 16, (uint32_t)str);
    el_put_le32(b + p + 20, (uint32_t)strsize);
    p += 0x28;
    return p;
}

static uint8_t elf[0x40000];
static struct el_image img;

static int conv(size_t len, const struct el_elf2image_opts *o, uint8_t **out, size_t *olen,
                struct el_elf2image_info *info, char *why)
{
    return el_elf2image(elf, len, o, out, olen, info, why, 300);
}

static void test_elf__layout(void **state)
{
    (void)state;
    const struct sec s[] = {
        {".flash.rodata", 1, 2, 0x3F400020, 0x100, 0x11},
        {".iram0.text", 1, 6, 0x40080000, 0x4000, 0x22},
        {".iram0.text2", 1, 6, 0x40084000, 0x103, 0x23}, /* adjacent: merged, padded to 4 */
        {".dram0.data", 1, 3, 0x3FFB0000, 0x20, 0x33},
        {".dram0.bss", 8, 3, 0x3FFB0020, 0x400, 0}, /* NOBITS: not in the image */
        {".flash.text", 1, 6, 0x400D0020, 0x200, 0x44},
        {".comment", 1, 0, 0, 0x10, 0x55}, /* address 0: skipped */
    };
    size_t len = mkelf(elf, sizeof(elf), 0x5E, s, 7);
    struct el_elf2image_opts o;
    el_elf2image_opts_init(&o, EL_CHIP_ESP32);
    uint8_t *out;
    size_t olen;
    struct el_elf2image_info info;
    char why[300];
    assert_int_equal(conv(len, &o, &out, &olen, &info, why), EL_OK);
    assert_int_equal(info.merged, 1);
    assert_int_equal(out[0], 0xE9);
    assert_int_equal(out[2], 0);    /* qio */
    assert_int_equal(out[3], 0x00); /* 1MB, 40m */
    assert_int_equal(el_get_le32(out + 4), 0x40080004);
    assert_int_equal(out[8], 0xEE);
    assert_int_equal(el_get_le16(out + 17), 0xFFFF);
    assert_int_equal(out[23], 1);
    assert_int_equal(el_image_parse(out, olen, EL_CHIP_ESP32, &img, why, sizeof(why)), EL_OK);
    assert_true(img.digest_valid);
    assert_int_equal(img.checksum, img.checksum_calc);
    assert_int_equal(img.seg_count_hdr, img.n_segments);
    /* flash segments first (DROM at 0x18), then a RAM piece pads up to the IROM page */
    assert_int_equal(img.seg[0].addr, 0x3F400020);
    assert_int_equal(img.seg[0].file_offs, 0x18);
    size_t irom = 0;
    for (size_t i = 0; i < img.n_segments; i++) {
        if (img.seg[i].addr == 0x400D0020)
            irom = i;
    }
    assert_true(irom > 0);
    /* data of the IROM segment starts at a file offset == address mod 64K */
    assert_int_equal((img.seg[irom].file_offs + 8) % 0x10000, 0x400D0020 % 0x10000);
    /* ESP32 rule: a flash segment ending < 0x24 past a 64K boundary is padded; here it ends
     * well inside its page, so its length is just the data */
    assert_int_equal(img.seg[irom].len, 0x200);
    /* the gap before it is filled with the RAM segments in address order (DRAM, then IRAM,
     * each used up), then a zero PADDING segment for the rest */
    assert_int_equal(img.seg[1].addr, 0x3FFB0000);
    assert_int_equal(img.seg[2].addr, 0x40080000);
    assert_int_equal(img.seg[irom - 1].addr, 0);
    /* the merged IRAM segment is 0x4000 + 0x103 rounded to 4 bytes, in total over pieces */
    uint32_t iram_total = 0;
    for (size_t i = 0; i < img.n_segments; i++) {
        if (img.seg[i].addr >= 0x40080000 && img.seg[i].addr < 0x400A0000)
            iram_total += img.seg[i].len;
    }
    assert_int_equal(iram_total, 0x4104);
    free(out);

    /* --use-segments: PT_LOAD headers instead (NOBITS has filesz 0: skipped) */
    o.use_segments = true;
    assert_int_equal(conv(len, &o, &out, &olen, &info, why), EL_OK);
    assert_int_equal(el_image_parse(out, olen, EL_CHIP_ESP32, &img, why, sizeof(why)), EL_OK);
    free(out);

    /* no digest, padded to 64K with 0xFF */
    el_elf2image_opts_init(&o, EL_CHIP_ESP32);
    o.append_digest = false;
    o.pad_to_size = 0x10000;
    assert_int_equal(conv(len, &o, &out, &olen, &info, why), EL_OK);
    assert_int_equal(olen % 0x10000, 0);
    assert_int_equal(out[23], 0);
    assert_int_equal(out[olen - 1], 0xFF);
    free(out);
}

static void test_elf__esp32_024_rule(void **state)
{
    (void)state;
    /* a DROM segment whose end lands 0x10 bytes past a 64K boundary gets 0x14 zero bytes */
    const struct sec s[] = {
        {".flash.rodata", 1, 2, 0x3F400020, 0x10000 - 0x18 + 0x10 - 0x8, 0x11},
        {".iram0.text", 1, 6, 0x40080000, 0x100, 0x22},
    };
    size_t len = mkelf(elf, sizeof(elf), 0x5E, s, 2);
    struct el_elf2image_opts o;
    el_elf2image_opts_init(&o, EL_CHIP_ESP32);
    uint8_t *out;
    size_t olen;
    struct el_elf2image_info info;
    char why[300];
    assert_int_equal(conv(len, &o, &out, &olen, &info, why), EL_OK);
    assert_int_equal(el_image_parse(out, olen, EL_CHIP_ESP32, &img, why, sizeof(why)), EL_OK);
    uint32_t end = img.seg[0].file_offs + 8 + img.seg[0].len;
    assert_int_equal(end % 0x10000, 0x24);
    free(out);
    /* the same on the ESP32-S3 (its own windows) is not padded */
    el_elf2image_opts_init(&o, EL_CHIP_ESP32S3);
    const struct sec s3[] = {
        {".flash.rodata", 1, 2, 0x3C000020, 0x10000 - 0x18 + 0x10 - 0x8, 0x11},
        {".iram0.text", 1, 6, 0x40380000, 0x100, 0x22},
    };
    len = mkelf(elf, sizeof(elf), 0x5E, s3, 2);
    assert_int_equal(conv(len, &o, &out, &olen, &info, why), EL_OK);
    assert_int_equal(el_image_parse(out, olen, EL_CHIP_ESP32S3, &img, why, sizeof(why)), EL_OK);
    end = img.seg[0].file_offs + 8 + img.seg[0].len;
    assert_int_equal(end % 0x10000, 0x10);
    free(out);
}

static void test_elf__padding_segment(void **state)
{
    (void)state;
    /* no RAM data to split: a zero padding segment at address 0 fills the gap */
    const struct sec s[] = {
        {".flash.rodata", 1, 2, 0x3F400020, 0x40, 0x11},
        {".flash.text", 1, 6, 0x400D0020, 0x40, 0x44},
    };
    size_t len = mkelf(elf, sizeof(elf), 0x5E, s, 2);
    struct el_elf2image_opts o;
    el_elf2image_opts_init(&o, EL_CHIP_ESP32);
    uint8_t *out;
    size_t olen;
    struct el_elf2image_info info;
    char why[300];
    assert_int_equal(conv(len, &o, &out, &olen, &info, why), EL_OK);
    assert_int_equal(el_image_parse(out, olen, EL_CHIP_ESP32, &img, why, sizeof(why)), EL_OK);
    assert_int_equal(img.n_segments, 3);
    assert_int_equal(img.seg[1].addr, 0);
    const char *t[4];
    assert_int_equal(el_image_mem_types(EL_CHIP_ESP32, 0, t, 4), 1);
    assert_string_equal(t[0], "PADDING");
    assert_int_equal((img.seg[2].file_offs + 8) % 0x10000, 0x20);
    free(out);
}

static void test_elf__appdesc_sha(void **state)
{
    (void)state;
    const struct sec s[] = {
        {".flash.appdesc", 1, 2, 0x3F400020, 0x100, 0x00},
        {".flash.rodata", 1, 2, 0x3F400120, 0x40, 0x11},
        {".iram0.text", 1, 6, 0x40080000, 0x40, 0x22},
    };
    size_t len = mkelf(elf, sizeof(elf), 0x5E, s, 3);
    /* magic in the app descriptor */
    size_t off = 0x34 + 0x20 * 3;
    el_put_le32(elf + off, 0xABCD5432);
    struct el_elf2image_opts o;
    el_elf2image_opts_init(&o, EL_CHIP_ESP32);
    uint8_t *out;
    size_t olen;
    struct el_elf2image_info info;
    char why[300];
    assert_int_equal(conv(len, &o, &out, &olen, &info, why), EL_OK);
    uint8_t d[32];
    SHA2_CTX c;
    SHA256Init(&c);
    SHA256Update(&c, elf, len);
    SHA256Final(d, &c);
    assert_memory_equal(out + 0xB0, d, 32); /* the ELF's SHA-256 at 0xB0 */
    assert_int_equal(el_image_parse(out, olen, EL_CHIP_ESP32, &img, why, sizeof(why)), EL_OK);
    assert_true(img.has_app_desc);
    assert_memory_equal(img.app.app_elf_sha256, d, 32);
    free(out);
    /* bytes already there: refused like esptool */
    elf[off + 0x90] = 1;
    assert_int_equal(conv(len, &o, &out, &olen, &info, why), EL_E_FORMAT);
    assert_non_null(strstr(why, "Refusing to overwrite"));
}

static void test_elf__errors(void **state)
{
    (void)state;
    const struct sec s[] = {{".iram0.text", 1, 6, 0x40080000, 0x40, 0x22}};
    size_t len = mkelf(elf, sizeof(elf), 0x5E, s, 1);
    struct el_elf2image_opts o;
    el_elf2image_opts_init(&o, EL_CHIP_ESP32);
    uint8_t *out;
    size_t olen;
    struct el_elf2image_info info;
    char why[300];
    /* every truncation fails cleanly or succeeds, never reads past the end */
    for (size_t k = 0; k < len; k += 7) {
        uint8_t *cut = malloc(k ? k : 1);
        memcpy(cut, elf, k);
        if (el_elf2image(cut, k, &o, &out, &olen, &info, why, sizeof(why)) == EL_OK)
            free(out);
        free(cut);
    }
    assert_int_equal(conv(10, &o, &out, &olen, &info, why), EL_E_FORMAT);
    el_put_le16(elf + 18, 0x28); /* ARM */
    assert_int_equal(conv(len, &o, &out, &olen, &info, why), EL_E_FORMAT);
    assert_non_null(strstr(why, "Xtensa or an RISCV"));
    el_put_le16(elf + 18, 0xF3);
    el_put_le16(elf + 46, 0x20);
    assert_int_equal(conv(len, &o, &out, &olen, &info, why), EL_E_FORMAT);
    assert_non_null(strstr(why, "section header entry size"));
    el_put_le16(elf + 46, 0x28);
    el_put_le32(elf + 32, 0xFFFFFF00); /* shoff out of the file */
    assert_int_equal(conv(len, &o, &out, &olen, &info, why), EL_E_FORMAT);
    len = mkelf(elf, sizeof(elf), 0x5E, s, 1);
    el_put_le32(elf + 0x34 + 0x20 + 0x28 + 20 + 0x28 - 0x28, 0); /* keep */
    /* a section whose data runs past the end of the file */
    size_t sh = el_get_le32(elf + 32);
    el_put_le32(elf + sh + 0x28 + 20, 0x7FFFFFF0);
    assert_int_equal(conv(len, &o, &out, &olen, &info, why), EL_E_FORMAT);
    assert_non_null(strstr(why, "outside the file"));
    /* two flash segments in one 64K page */
    const struct sec s2[] = {{".a", 1, 2, 0x3F400020, 0x40, 1}, {".b", 1, 6, 0x3F400100, 0x40, 2}};
    len = mkelf(elf, sizeof(elf), 0x5E, s2, 2);
    o.v4_merge = true; /* exec flags differ: not merged under v4 rules */
    assert_int_equal(conv(len, &o, &out, &olen, &info, why), EL_E_FORMAT);
    assert_non_null(strstr(why, "lands in same 64 KB flash mapping"));
    /* invalid MMU page size for the chip */
    el_elf2image_opts_init(&o, EL_CHIP_ESP32C2);
    o.mmu_page_size = 8192;
    assert_int_equal(conv(len, &o, &out, &olen, &info, why), EL_E_FORMAT);
    assert_string_equal(why, "8192 bytes is not a valid ESP32-C2 page size, select from 16KB, "
                             "32KB, 64KB.");
}

static void test_elf__too_many_segments(void **state)
{
    (void)state;
    struct sec s[16];
    static char names[16][8];
    for (int i = 0; i < 16; i++) {
        snprintf(names[i], sizeof(names[i]), ".s%d", i);
        s[i] = (struct sec){names[i], 1, 6, 0x40080000u + (uint32_t)i * 0x100, 0x40, (uint8_t)i};
    }
    s[15].addr = 0x3FFB0000; /* 17 segments with the DRAM one? 16 separate RAM segments */
    size_t len = mkelf(elf, sizeof(elf), 0x5E, s, 16);
    struct el_elf2image_opts o;
    el_elf2image_opts_init(&o, EL_CHIP_ESP32);
    uint8_t *out;
    size_t olen;
    struct el_elf2image_info info;
    char why[300];
    assert_int_equal(conv(len, &o, &out, &olen, &info, why), EL_OK); /* 16 is the limit */
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_elf__layout),          cmocka_unit_test(test_elf__esp32_024_rule),
        cmocka_unit_test(test_elf__padding_segment), cmocka_unit_test(test_elf__appdesc_sha),
        cmocka_unit_test(test_elf__errors),          cmocka_unit_test(test_elf__too_many_segments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
