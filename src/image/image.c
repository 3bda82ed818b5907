/* SPDX-License-Identifier: MIT */
/*
 * ESP32-family image format: flash parameter codes, parsing, header patching, kind and
 * PSRAM evidence. Layout facts: esptool bin_image.py (ESP32FirmwareImage) and the
 * firmware-image-format documentation. Every read is checked against the buffer length.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "espload/bytes.h"
#include "espload/err.h"
#include "espload/image.h"
#include "image_int.h"

static const char *const mode_names[] = {"QIO", "QOUT", "DIO", "DOUT"};
static const char *const size_names[] = {"1MB",  "2MB",  "4MB",  "8MB",
                                         "16MB", "32MB", "64MB", "128MB"};

int el_image_flash_mode_code(const char *s)
{
    if (!s)
        return EL_E_ARG;
    if (strcasecmp(s, "keep") == 0)
        return EL_IMG_KEEP;
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(s, mode_names[i]) == 0)
            return i;
    }
    return EL_E_ARG;
}

const char *el_image_flash_mode_name(int mode_code)
{
    return (mode_code >= 0 && mode_code < 4) ? mode_names[mode_code] : NULL;
}

int el_image_flash_freq_code(enum el_chip_id chip, const char *s)
{
    if (!s)
        return EL_E_ARG;
    if (strcasecmp(s, "keep") == 0)
        return EL_IMG_KEEP;
    const struct eli_img_chip *c = eli_img_chip(chip);
    for (size_t i = 0; i < c->n_freq; i++) {
        if (strcasecmp(s, c->freq[i].name) == 0)
            return c->freq[i].code;
    }
    return EL_E_ARG;
}

const char *el_image_flash_freq_name(enum el_chip_id chip, int freq_code)
{
    const struct eli_img_chip *c = eli_img_chip(chip);
    for (size_t i = 0; i < c->n_freq; i++) {
        if (c->freq[i].code == freq_code)
            return c->freq[i].name;
    }
    return NULL;
}

int el_image_flash_size_code(const char *s)
{
    if (!s)
        return EL_E_ARG;
    if (strcasecmp(s, "keep") == 0)
        return EL_IMG_KEEP;
    if (strcasecmp(s, "detect") == 0)
        return EL_IMG_DETECT;
    for (int i = 0; i < 8; i++) {
        if (strcasecmp(s, size_names[i]) == 0)
            return i;
    }
    return EL_E_ARG;
}

const char *el_image_flash_size_name(int size_code)
{
    return (size_code >= 0 && size_code < 8) ? size_names[size_code] : NULL;
}

uint32_t el_image_flash_size_bytes(int size_code)
{
    if (size_code < 0 || size_code > 7)
        return 0;
    return (uint32_t)0x100000 << size_code;
}

int el_image_parse_size(const char *s, uint32_t *bytes_out)
{
    *bytes_out = 0;
    if (!s || !*s)
        return EL_E_ARG;
    errno = 0;
    char *end = NULL;
    unsigned long long v = strtoull(s, &end, 0);
    if (end == s || errno)
        return EL_E_ARG;
    unsigned long long mul = 1;
    if (strcasecmp(end, "KB") == 0 || strcasecmp(end, "K") == 0)
        mul = 1024;
    else if (strcasecmp(end, "MB") == 0 || strcasecmp(end, "M") == 0)
        mul = 1024 * 1024;
    else if (*end)
        return EL_E_ARG;
    if (v > 0xFFFFFFFFull / mul)
        return EL_E_ARG;
    *bytes_out = (uint32_t)(v * mul);
    return EL_OK;
}

/* esptool's sanitize_string: drop NULs; we also turn control characters into '?'. */
static void copy_str(char *dst, size_t dcap, const uint8_t *src, size_t slen)
{
    size_t n = 0;
    for (size_t i = 0; i < slen && n + 1 < dcap; i++) {
        if (src[i] == 0)
            continue;
        dst[n++] = (src[i] < 0x20 || src[i] == 0x7F) ? '?' : (char)src[i];
    }
    dst[n] = 0;
}

static bool has_type(enum el_chip_id chip, uint32_t addr, const char *name)
{
    const char *t[EL_IMAGE_MAX_MEMTYPES * 2];
    size_t n = el_image_mem_types(chip, addr, t, sizeof(t) / sizeof(t[0]));
    for (size_t i = 0; i < n; i++) {
        if (strcmp(t[i], name) == 0)
            return true;
    }
    return false;
}

static void parse_app_desc(const uint8_t *p, struct el_app_desc *a)
{
    a->secure_version = el_get_le32(p + 4);
    copy_str(a->version, sizeof(a->version), p + 16, 32);
    copy_str(a->project_name, sizeof(a->project_name), p + 48, 32);
    copy_str(a->time, sizeof(a->time), p + 80, 16);
    copy_str(a->date, sizeof(a->date), p + 96, 16);
    copy_str(a->idf_ver, sizeof(a->idf_ver), p + 112, 32);
    memcpy(a->app_elf_sha256, p + 144, 32);
    a->min_efuse_blk_rev_full = el_get_le16(p + 176);
    a->max_efuse_blk_rev_full = el_get_le16(p + 178);
    a->mmu_page_size = p[180];
}

bool el_image_app_desc(const uint8_t *seg_data, size_t len, struct el_app_desc *out)
{
    memset(out, 0, sizeof(*out));
    if (len < 256 || el_get_le32(seg_data) != 0xABCD5432)
        return false;
    parse_app_desc(seg_data, out);
    return true;
}

int el_image_parse(const uint8_t *data, size_t len, enum el_chip_id chip, struct el_image *out,
                   char *why, size_t whylen)
{
    memset(out, 0, sizeof(*out));
    if (why && whylen)
        why[0] = 0;
    if (len == 0)
        return eli_img_fail(why, whylen, "Image is empty.");
    if (data[0] != EL_IMAGE_MAGIC)
        return eli_img_fail(why, whylen, "Invalid firmware image magic=0x%x", data[0]);
    if (len < 24)
        return eli_img_fail(why, whylen, "Image is truncated: %zu bytes, the headers need 24", len);
    out->seg_count_hdr = data[1];
    out->flash_mode = data[2];
    out->flash_size_freq = data[3];
    out->entry = el_get_le32(data + 4);
    out->wp_pin = data[8];
    out->clk_drv = data[9] & 0xF;
    out->q_drv = data[9] >> 4;
    out->d_drv = data[10] & 0xF;
    out->cs_drv = data[10] >> 4;
    out->hd_drv = data[11] & 0xF;
    out->wp_drv = data[11] >> 4;
    out->chip_id = el_get_le16(data + 12);
    out->min_rev = data[14];
    out->min_rev_full = el_get_le16(data + 15);
    out->max_rev_full = el_get_le16(data + 17);
    out->reserved_nonzero = data[19] || data[20] || data[21] || data[22];
    out->hash_appended = data[23];
    if (chip == EL_CHIP_UNKNOWN) {
        chip = el_image_chip_from_id(out->chip_id);
        if (chip == EL_CHIP_UNKNOWN)
            chip = EL_CHIP_ESP32;
    }
    out->chip = chip;
    if (out->hash_appended > 1)
        return eli_img_fail(why, whylen,
                            "Invalid value for append_digest field (0x%02x). Should be 0 or 1.",
                            out->hash_appended);

    size_t pos = 24;
    uint8_t ck = 0xEF;
    for (unsigned i = 0; i < out->seg_count_hdr; i++) {
        if (len - pos < 8)
            return eli_img_fail(why, whylen,
                                "End of file reading the header of segment %u at offset 0x%zx",
                                i + 1, pos);
        uint32_t addr = el_get_le32(data + pos), slen = el_get_le32(data + pos + 4);
        if (slen > len - pos - 8)
            return eli_img_fail(why, whylen,
                                "End of file reading segment 0x%x, length %u (actual length %zu)",
                                addr, slen, len - pos - 8);
        struct el_image_segment *s = &out->seg[out->n_segments++];
        s->addr = addr;
        s->len = slen;
        s->file_offs = (uint32_t)pos;
        const uint8_t *d = data + pos + 8;
        for (uint32_t k = 0; k < slen; k++)
            ck ^= d[k];
        pos += 8 + (size_t)slen;
    }
    /* checksum: last byte of the 16-byte block the segments end in */
    pos += 15 - (pos % 16);
    if (pos >= len)
        return eli_img_fail(why, whylen, "End of file reading the checksum at offset 0x%zx", pos);
    out->checksum = data[pos];
    out->checksum_calc = ck;
    out->data_length = pos + 1;
    out->image_len = out->data_length;
    if (out->hash_appended == 1) {
        out->has_digest = true;
        eli_sha256(data, out->data_length, out->digest_calc);
        size_t avail = len - out->data_length;
        if (avail >= 32) {
            memcpy(out->digest_stored, data + out->data_length, 32);
            out->digest_valid = memcmp(out->digest_stored, out->digest_calc, 32) == 0;
            out->image_len += 32;
        } else {
            memcpy(out->digest_stored, data + out->data_length, avail);
            out->digest_truncated = true;
            out->image_len = len;
        }
    }
    /* descriptors: the first DROM segment starts with esp_app_desc_t; a DRAM segment of at
     * least 80 bytes (the last such, as esptool v5 picks it) with esp_bootloader_desc_t */
    bool app_seen = false;
    const struct el_image_segment *bseg = NULL;
    for (size_t i = 0; i < out->n_segments; i++) {
        const struct el_image_segment *s = &out->seg[i];
        if (has_type(chip, s->addr, "DROM")) {
            if (!app_seen) {
                app_seen = true;
                const uint8_t *d = data + s->file_offs + 8;
                if (s->len >= 256 && el_get_le32(d) == 0xABCD5432) {
                    out->has_app_desc = true;
                    parse_app_desc(d, &out->app);
                }
            }
        } else if (has_type(chip, s->addr, "DRAM") && s->len >= 80) {
            bseg = s;
        }
    }
    if (bseg && !app_seen) {
        const uint8_t *d = data + bseg->file_offs + 8;
        if (d[0] == 0x50) {
            out->has_bootloader_desc = true;
            out->boot.version = el_get_le32(d + 4);
            copy_str(out->boot.idf_ver, sizeof(out->boot.idf_ver), d + 8, 32);
            copy_str(out->boot.date_time, sizeof(out->boot.date_time), d + 40, 24);
        }
    }
    if (out->n_segments > 16)
        return eli_img_fail(why, whylen,
                            "Invalid segment count %zu (max 16). Usually this indicates a "
                            "linker script problem.",
                            out->n_segments);
    return EL_OK;
}

enum el_image_kind el_image_kind_of(const struct el_image *img)
{
    if (img->has_app_desc)
        return EL_IMG_KIND_APP;
    if (img->has_bootloader_desc)
        return EL_IMG_KIND_BOOTLOADER;
    for (size_t i = 0; i < img->n_segments; i++) {
        if (el_image_is_flash_addr(img->chip, img->seg[i].addr))
            return EL_IMG_KIND_APP;
    }
    return img->n_segments ? EL_IMG_KIND_BOOTLOADER : EL_IMG_KIND_NONE;
}

int el_image_patch_flash_params(enum el_chip_id chip, uint8_t *data, size_t len, int mode, int freq,
                                int size, bool *changed, uint16_t *new_params, bool *sha_updated,
                                char *why, size_t whylen)
{
    *changed = false;
    *new_params = 0;
    *sha_updated = false;
    if (why && whylen)
        why[0] = 0;
    if (len < 8)
        return EL_OK;
    if (mode == EL_IMG_KEEP && freq == EL_IMG_KEEP && size == EL_IMG_KEEP)
        return EL_OK;
    if ((mode != EL_IMG_KEEP && (mode < 0 || mode > 3)) ||
        (freq != EL_IMG_KEEP && (freq < 0 || freq > 15)) ||
        (size != EL_IMG_KEEP && (size < 0 || size > 7)))
        return EL_E_ARG;
    const struct el_chip *c = el_chip_by_id(chip);
    uint32_t off = c ? c->bootloader_offset : 0;
    const char *cname = c ? c->name : "esp32";
    if (data[0] != EL_IMAGE_MAGIC)
        return eli_img_fail(why, whylen,
                            "Image file at 0x%x doesn't look like an image file, so not "
                            "changing any flash settings.",
                            off);
    struct el_image *img = malloc(sizeof(*img));
    if (!img)
        return EL_E_NOMEM;
    char tmp[8];
    int rc = el_image_parse(data, len, chip, img, tmp, sizeof(tmp));
    if (rc != EL_OK) {
        free(img);
        return eli_img_fail(why, whylen,
                            "Image file at 0x%x is not a valid %s image, so not changing any "
                            "flash settings.",
                            off, cname);
    }
    uint8_t b2 = data[2], b3 = data[3];
    if (mode != EL_IMG_KEEP)
        b2 = (uint8_t)mode;
    if (freq != EL_IMG_KEEP)
        b3 = (uint8_t)((b3 & 0xF0) | freq);
    if (size != EL_IMG_KEEP)
        b3 = (uint8_t)((b3 & 0x0F) | (size << 4));
    *new_params = (uint16_t)((b2 << 8) | b3);
    if (b2 != data[2] || b3 != data[3]) {
        data[2] = b2;
        data[3] = b3;
        *changed = true;
    }
    /* byte 0x17 == 1: a SHA-256 of everything through the checksum byte follows it */
    if (data[23] == 1 && img->data_length + 32 <= len) {
        uint8_t d[32];
        eli_sha256(data, img->data_length, d);
        memcpy(data + img->data_length, d, 32);
        *sha_updated = true;
    }
    free(img);
    return EL_OK;
}

/* ---------------------------------------------------------------------------------- */
/* PSRAM evidence                                                                       */
/* ---------------------------------------------------------------------------------- */

/* Strings ESP-IDF compiles in only with CONFIG_SPIRAM (cpu_start.c, esp_spiram.c /
 * esp_psram.c, psram drivers). Plain "SPIRAM" is not here: the heap's memory-type table
 * names it in every build. */
static const char *const psram_strong[] = {
    "Failed to init external RAM",
    "SPI SRAM memory test",
    "PSRAM ID read error",
    "PSRAM chip is not connected",
    "PSRAM initialized, cache is in",
    "esp_psram",
    "quad_psram",
    "octal_psram",
};
static const char *const psram_weak[] = {
    "External RAM", /* heap/log messages that also appear in some non-SPIRAM builds */
    "spiram",       /* log tag; also appears in identifiers of optional modules */
    "psram",
};

void el_image_psram_evidence(enum el_chip_id chip, const uint8_t *data, size_t len,
                             struct el_psram_evidence *out)
{
    memset(out, 0, sizeof(*out));
    const struct eli_img_chip *c = eli_img_chip(chip);
    struct el_image *img = malloc(sizeof(*img));
    if (img && c->extram_end && el_image_parse(data, len, chip, img, NULL, 0) == EL_OK) {
        for (size_t i = 0; i < img->n_segments; i++) {
            uint32_t a = img->seg[i].addr;
            if (a >= c->extram_start && a < c->extram_end && !el_image_is_flash_addr(chip, a)) {
                out->strength = 2;
                out->n_strong++;
                out->ext_addr = a;
                snprintf(out->what, sizeof(out->what),
                         "a segment is loaded at 0x%08x, in external RAM", a);
                break;
            }
        }
    }
    free(img);
    for (size_t i = 0; i < sizeof(psram_strong) / sizeof(psram_strong[0]); i++) {
        if (eli_memfind(data, len, psram_strong[i])) {
            if (out->strength < 2)
                snprintf(out->what, sizeof(out->what), "it contains the string \"%s\"",
                         psram_strong[i]);
            out->strength = 2;
            out->n_strong++;
        }
    }
    if (out->strength == 0) {
        for (size_t i = 0; i < sizeof(psram_weak) / sizeof(psram_weak[0]); i++) {
            if (eli_memfind(data, len, psram_weak[i])) {
                out->strength = 1;
                snprintf(out->what, sizeof(out->what), "it contains the string \"%s\"",
                         psram_weak[i]);
                break;
            }
        }
    }
}
