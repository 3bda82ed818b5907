/* SPDX-License-Identifier: MIT */
/*
 * Build-time tool: turns cross-built stub ELF files into
 *   - a C source defining el_builtin_stub() with the images embedded, and
 *   - esptool-format JSON stubs (entry, text/text_start, data/data_start, bss_start).
 * Usage: stub_embed OUT.c JSON_DIR chip=file.elf...   (chip: esp32, esp32c3, ...)
 * Reads ELF32 little-endian only: sections .text and .data, symbols stub_entry and
 * _bss_start.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct image {
    char chip[32];
    uint32_t entry, text_start, data_start, bss_start;
    uint8_t *text, *data;
    uint32_t text_len, data_len;
};

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static int fail(const char *what, const char *path)
{
    fprintf(stderr, "stub_embed: %s: %s\n", path, what);
    return -1;
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0, k;
    uint8_t *buf = malloc(cap);
    while (buf && (k = fread(buf + n, 1, cap - n, f)) > 0) {
        n += k;
        if (n == cap) {
            uint8_t *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

static int load_elf(const char *path, struct image *im)
{
    size_t len = 0;
    uint8_t *b = read_file(path, &len);
    int rc = -1;
    if (!b)
        return fail("cannot read", path);
    if (len < 52 ||
        memcmp(b,
               "\x7f"
               "ELF",
               4) != 0 ||
        b[4] != 1 || b[5] != 1) {
        fail("not a 32-bit little-endian ELF file", path);
        goto out;
    }
    uint32_t shoff = rd32(b + 32);
    uint16_t shentsize = rd16(b + 46), shnum = rd16(b + 48), shstrndx = rd16(b + 50);
    if (shentsize != 40 || shoff > len || (size_t)shnum * 40 > len - shoff || shstrndx >= shnum) {
        fail("bad section headers", path);
        goto out;
    }
    const uint8_t *sh = b + shoff, *shstr = sh + 40u * shstrndx;
    uint32_t strtab_off = rd32(shstr + 16), strtab_size = rd32(shstr + 20);
    if (strtab_off > len || strtab_size > len - strtab_off) {
        fail("bad section name table", path);
        goto out;
    }
    int have_entry = 0, have_bss = 0;
    for (uint32_t i = 0; i < shnum; i++) {
        const uint8_t *s = sh + 40u * i;
        uint32_t name = rd32(s), type = rd32(s + 4), addr = rd32(s + 12), off = rd32(s + 16);
        uint32_t size = rd32(s + 20), link = rd32(s + 24), entsize = rd32(s + 36);
        const char *nm = name < strtab_size ? (const char *)b + strtab_off + name : "";
        if (type == 1 /* PROGBITS */ && (strcmp(nm, ".text") == 0 || strcmp(nm, ".data") == 0)) {
            if (off > len || size > len - off) {
                fail("section outside the file", path);
                goto out;
            }
            uint8_t *copy = malloc(size ? size : 1);
            memcpy(copy, b + off, size);
            if (nm[1] == 't') {
                im->text = copy;
                im->text_len = size;
                im->text_start = addr;
            } else {
                im->data = copy;
                im->data_len = size;
                im->data_start = addr;
            }
        } else if (type == 2 /* SYMTAB */ && entsize == 16 && link < shnum) {
            const uint8_t *str = sh + 40u * link;
            uint32_t so = rd32(str + 16), ss = rd32(str + 20);
            if (off > len || size > len - off || so > len || ss > len - so)
                continue;
            for (uint32_t k = 0; k + 16 <= size; k += 16) {
                const uint8_t *sym = b + off + k;
                uint32_t sn = rd32(sym);
                if (sn >= ss)
                    continue;
                const char *symname = (const char *)b + so + sn;
                if (strcmp(symname, "stub_entry") == 0) {
                    im->entry = rd32(sym + 4);
                    have_entry = 1;
                } else if (strcmp(symname, "_bss_start") == 0) {
                    im->bss_start = rd32(sym + 4);
                    have_bss = 1;
                }
            }
        }
    }
    if (!im->text || !have_entry || !have_bss) {
        fail("missing .text, stub_entry or _bss_start", path);
        goto out;
    }
    if ((im->text_len | im->data_len) & 3u) {
        fail("segment length not a multiple of 4 (RAM downloads are word writes)", path);
        goto out;
    }
    rc = 0;
out:
    free(b);
    return rc;
}

static void base64(FILE *f, const uint8_t *p, uint32_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (uint32_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        fputc(tab[(v >> 18) & 63], f);
        fputc(tab[(v >> 12) & 63], f);
        fputc(i + 1 < n ? tab[(v >> 6) & 63] : '=', f);
        fputc(i + 2 < n ? tab[v & 63] : '=', f);
    }
}

static int write_json(const char *dir, const struct image *im)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s.json", dir, im->chip);
    FILE *f = fopen(path, "w");
    if (!f)
        return fail("cannot write", path);
    fprintf(f, "{\n    \"entry\": %u,\n    \"text\": \"", im->entry);
    base64(f, im->text, im->text_len);
    fprintf(f, "\",\n    \"text_start\": %u,\n    \"data\": \"", im->text_start);
    base64(f, im->data, im->data_len);
    fprintf(f, "\",\n    \"data_start\": %u,\n    \"bss_start\": %u\n}\n", im->data_start,
            im->bss_start);
    return fclose(f) == 0 ? 0 : fail("write error", path);
}

static void c_array(FILE *f, const char *name, const uint8_t *p, uint32_t n)
{
    fprintf(f, "static const uint8_t %s[%u] = {", name, n ? n : 1);
    for (uint32_t i = 0; i < n; i++)
        fprintf(f, "%s0x%02x,", i % 16 ? " " : "\n    ", p[i]);
    fprintf(f, "%s};\n", n ? "\n" : "0");
}

static const char *chip_enum(const char *chip)
{
    static const char *names[][2] = {{"esp32", "EL_CHIP_ESP32"},     {"esp32s2", "EL_CHIP_ESP32S2"},
                                     {"esp32s3", "EL_CHIP_ESP32S3"}, {"esp32c3", "EL_CHIP_ESP32C3"},
                                     {"esp32c6", "EL_CHIP_ESP32C6"}, {"esp32h2", "EL_CHIP_ESP32H2"},
                                     {"esp32c2", "EL_CHIP_ESP32C2"}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(chip, names[i][0]) == 0)
            return names[i][1];
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: stub_embed OUT.c JSON_DIR chip=file.elf...\n");
        return 2;
    }
    int n = argc - 3;
    struct image *ims = calloc((size_t)(n > 0 ? n : 1), sizeof(*ims));
    for (int i = 0; i < n; i++) {
        const char *arg = argv[3 + i], *eq = strchr(arg, '=');
        if (!eq || (size_t)(eq - arg) >= sizeof(ims[i].chip)) {
            fprintf(stderr, "stub_embed: bad argument '%s' (want chip=file.elf)\n", arg);
            return 2;
        }
        memcpy(ims[i].chip, arg, (size_t)(eq - arg));
        if (!chip_enum(ims[i].chip)) {
            fprintf(stderr, "stub_embed: unknown chip '%s'\n", ims[i].chip);
            return 2;
        }
        if (load_elf(eq + 1, &ims[i]) != 0 || write_json(argv[2], &ims[i]) != 0)
            return 1;
    }
    FILE *f = fopen(argv[1], "w");
    if (!f)
        return fail("cannot write", argv[1]) ? 1 : 1;
    fprintf(f, "/* Generated by stub/tools/stub_embed.c from the cross-built stubs. */\n"
               "#include <stddef.h>\n#include <stdint.h>\n\n#include \"espload/stub.h\"\n\n");
    for (int i = 0; i < n; i++) {
        char name[64];
        snprintf(name, sizeof(name), "%s_text", ims[i].chip);
        c_array(f, name, ims[i].text, ims[i].text_len);
        snprintf(name, sizeof(name), "%s_data", ims[i].chip);
        c_array(f, name, ims[i].data, ims[i].data_len);
        fprintf(f,
                "static const struct el_stub_image %s_stub = {\n    \"built-in\", 0x%08xu, "
                "0x%08xu, 0x%08xu, 0x%08xu,\n    %s_text, %u, %s_data, %u};\n\n",
                ims[i].chip, ims[i].entry, ims[i].text_start,
                ims[i].data_len ? ims[i].data_start : 0, ims[i].bss_start, ims[i].chip,
                ims[i].text_len, ims[i].chip, ims[i].data_len);
    }
    fprintf(f, "const struct el_stub_image *el_builtin_stub(enum el_chip_id chip)\n{\n"
               "    switch (chip) {\n");
    for (int i = 0; i < n; i++)
        fprintf(f, "    case %s:\n        return &%s_stub;\n", chip_enum(ims[i].chip), ims[i].chip);
    fprintf(f, "    default:\n        return NULL;\n    }\n}\n");
    if (fclose(f) != 0)
        return fail("write error", argv[1]) ? 1 : 1;
    for (int i = 0; i < n; i++) {
        free(ims[i].text);
        free(ims[i].data);
    }
    free(ims);
    return 0;
}
