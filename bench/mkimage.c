/* SPDX-License-Identifier: MIT */
/*
 * bench-mkimage: builds a benchmark flash image from real machine code, deterministically.
 *
 *   bench-mkimage OUT SIZE INPUT...
 *
 * An INPUT ending in .hex is Intel HEX firmware: its data records are appended in file
 * order. Any other INPUT is an `ar` archive of ELF32 objects (e.g. Debian's picolibc for
 * Xtensa): every member in archive order contributes the contents of its allocated,
 * non-empty PROGBITS sections (code, literals, read-only data). Input is taken until SIZE
 * bytes are collected; the same inputs give the same image, byte for byte. Exit 1 if the
 * inputs hold fewer than SIZE bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t rd32(const uint8_t *p, int be)
{
    return be ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
              : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static uint16_t rd16(const uint8_t *p, int be)
{
    return be ? (uint16_t)(p[0] << 8 | p[1]) : (uint16_t)(p[1] << 8 | p[0]);
}

static uint8_t *out;
static size_t out_len, out_cap;

static void take(const uint8_t *d, size_t n)
{
    if (out_len + n > out_cap)
        n = out_cap - out_len;
    memcpy(out + out_len, d, n);
    out_len += n;
}

/* Appends the SHF_ALLOC PROGBITS sections of one ELF32 object. */
static void elf_sections(const uint8_t *e, size_t n)
{
    if (n < 52 ||
        memcmp(e,
               "\x7f"
               "ELF",
               4) ||
        e[4] != 1)
        return;
    int be = e[5] == 2;
    uint32_t shoff = rd32(e + 32, be);
    uint16_t shentsize = rd16(e + 46, be), shnum = rd16(e + 48, be);
    if (shentsize < 40 || shoff > n || (uint64_t)shnum * shentsize > n - shoff)
        return;
    for (uint16_t i = 0; i < shnum && out_len < out_cap; i++) {
        const uint8_t *sh = e + shoff + (size_t)i * shentsize;
        uint32_t type = rd32(sh + 4, be), flags = rd32(sh + 8, be);
        uint32_t off = rd32(sh + 16, be), size = rd32(sh + 20, be);
        if (type != 1 /* PROGBITS */ || !(flags & 2) /* ALLOC */ || !size)
            continue;
        if (off > n || size > n - off)
            continue;
        take(e + off, size);
    }
}

static int archive(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return -1;
    }
    char magic[8];
    if (fread(magic, 1, 8, f) != 8 || memcmp(magic, "!<arch>\n", 8)) {
        fprintf(stderr, "%s: not an ar archive\n", path);
        fclose(f);
        return -1;
    }
    uint8_t hdr[60];
    while (out_len < out_cap && fread(hdr, 1, 60, f) == 60) {
        char sz[11];
        memcpy(sz, hdr + 48, 10);
        sz[10] = '\0';
        long size = strtol(sz, NULL, 10);
        if (size < 0 || size > (1L << 28))
            break;
        uint8_t *m = malloc((size_t)size + 1);
        if (!m || fread(m, 1, (size_t)size, f) != (size_t)size) {
            free(m);
            break;
        }
        if (hdr[0] != '/' || (hdr[1] != ' ' && hdr[1] != '/'))
            elf_sections(m, (size_t)size);
        free(m);
        if (size & 1)
            fgetc(f);
    }
    fclose(f);
    return 0;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Intel HEX: appends the payload of every data record (type 00). */
static int intel_hex(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return -1;
    }
    char line[600];
    while (out_len < out_cap && fgets(line, sizeof(line), f)) {
        if (line[0] != ':')
            continue;
        uint8_t rec[260];
        size_t n = 0;
        for (const char *c = line + 1; hexval(c[0]) >= 0 && hexval(c[1]) >= 0 && n < sizeof(rec);
             c += 2)
            rec[n++] = (uint8_t)(hexval(c[0]) * 16 + hexval(c[1]));
        if (n < 5 || (size_t)rec[0] + 5 > n)
            continue;
        if (rec[3] == 0)
            take(rec + 4, rec[0]);
    }
    fclose(f);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s OUT SIZE INPUT...\n", argv[0]);
        return 2;
    }
    out_cap = strtoul(argv[2], NULL, 0);
    out = malloc(out_cap ? out_cap : 1);
    if (!out)
        return 1;
    for (int i = 3; i < argc && out_len < out_cap; i++)
        if (strlen(argv[i]) > 4 && !strcmp(argv[i] + strlen(argv[i]) - 4, ".hex")
                ? intel_hex(argv[i])
                : archive(argv[i]))
            return 1;
    if (out_len < out_cap) {
        fprintf(stderr, "only %zu of %zu bytes of code in the archives\n", out_len, out_cap);
        return 1;
    }
    FILE *f = fopen(argv[1], "wb");
    if (!f || fwrite(out, 1, out_len, f) != out_len || fclose(f)) {
        perror(argv[1]);
        return 1;
    }
    free(out);
    return 0;
}
