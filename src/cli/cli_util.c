/* SPDX-License-Identifier: MIT */
/* Files, address/file pairs and small formatting helpers for the espload commands. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <md5.h>

#include "cli/cli_int.h"

/* Larger than any flash we can address (ESP32 family: 128 MB at most on the stub path). */
#define CLI_MAX_FILE (256u * 1024 * 1024)

int cli_read_file(const char *path, uint8_t **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        cli_fatal("cannot open '%s': %s; check the file name and its permissions", path,
                  strerror(errno));
        return EXIT_INPUT;
    }
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        cli_fatal("'%s' is a directory; give the path of a binary file", path);
        return EXIT_INPUT;
    }
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    if (!buf) {
        fclose(f);
        cli_fatal("out of memory reading '%s'", path);
        return EXIT_FAILURE_OTHER;
    }
    for (;;) {
        if (n == cap) {
            if (cap >= CLI_MAX_FILE) {
                free(buf);
                fclose(f);
                cli_fatal("'%s' is larger than %u MB, more than any flash can hold; check the "
                          "file",
                          path, CLI_MAX_FILE >> 20);
                return EXIT_SIZE;
            }
            uint8_t *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                fclose(f);
                cli_fatal("out of memory reading '%s'", path);
                return EXIT_FAILURE_OTHER;
            }
            buf = nb;
            cap *= 2;
        }
        size_t k = fread(buf + n, 1, cap - n, f);
        n += k;
        if (k == 0) {
            if (ferror(f)) {
                int e = errno;
                free(buf);
                fclose(f);
                cli_fatal("cannot read '%s': %s; check the file", path, strerror(e));
                return EXIT_INPUT;
            }
            break;
        }
    }
    fclose(f);
    *data = buf;
    *len = n;
    return 0;
}

int cli_write_file(const char *path, const uint8_t *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        cli_fatal("cannot create '%s': %s; check the directory exists and is writable", path,
                  strerror(errno));
        return EXIT_INPUT;
    }
    bool ok = fwrite(data, 1, len, f) == len;
    int e = errno;
    if (fclose(f) != 0)
        ok = false;
    if (!ok) {
        cli_fatal("cannot write '%s': %s; check free disk space", path, strerror(e));
        return EXIT_INPUT;
    }
    return 0;
}

static int hexval(const char *p)
{
    int v = 0;
    for (int i = 0; i < 2; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= c - '0';
        else if (c >= 'a' && c <= 'f')
            v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v |= c - 'A' + 10;
        else
            return -1;
    }
    return v;
}

/* One pass over Intel HEX text: with out == NULL finds the highest address written; else
 * copies data records at or above base into out (cap bytes). Returns false on any
 * malformed record (bad digit, length, checksum, or no end record). */
static bool ihex_pass(const uint8_t *text, size_t len, uint32_t base, uint64_t *max_end,
                      uint8_t *out, size_t cap)
{
    uint32_t upper = 0;
    size_t i = 0;
    bool eof = false;
    *max_end = 0;
    while (i < len && !eof) {
        while (i < len && (text[i] == '\r' || text[i] == '\n' || text[i] == ' ' || text[i] == '\t'))
            i++;
        if (i >= len)
            break;
        if (text[i] != ':')
            return false;
        const char *r = (const char *)text + i + 1;
        size_t avail = len - i - 1;
        if (avail < 10)
            return false;
        int n = hexval(r);
        if (n < 0 || avail < (size_t)(10 + 2 * n))
            return false;
        uint8_t rec[4 + 255 + 1];
        unsigned sum = 0;
        for (int k = 0; k < n + 5; k++) {
            int v = hexval(r + 2 * k);
            if (v < 0)
                return false;
            rec[k] = (uint8_t)v;
            sum += (unsigned)v;
        }
        if (sum & 0xFF)
            return false;
        uint32_t off = ((uint32_t)rec[1] << 8) | rec[2];
        switch (rec[3]) {
        case 0x00: {
            uint64_t a = (uint64_t)upper + off;
            if (a + (uint64_t)n > 0x100000000ull)
                return false;
            if (a + (uint64_t)n > *max_end)
                *max_end = a + (uint64_t)n;
            for (int k = 0; k < n && out; k++)
                if (a + (uint64_t)k >= base && a + (uint64_t)k - base < cap)
                    out[a + (uint64_t)k - base] = rec[4 + k];
            break;
        }
        case 0x01:
            eof = true;
            break;
        case 0x02:
            if (n != 2)
                return false;
            upper = (((uint32_t)rec[4] << 8) | rec[5]) << 4;
            break;
        case 0x04:
            if (n != 2)
                return false;
            upper = (((uint32_t)rec[4] << 8) | rec[5]) << 16;
            break;
        case 0x03:
        case 0x05:
            break; /* start addresses: not data */
        default:
            return false;
        }
        i += 1 + 10 + 2 * (size_t)n;
    }
    return eof;
}

bool cli_ihex_to_bin(const uint8_t *text, size_t len, uint32_t base, uint8_t **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    uint64_t end;
    if (len == 0 || text[0] != ':' || !ihex_pass(text, len, base, &end, NULL, 0) || end <= base ||
        end - base > CLI_MAX_FILE)
        return false;
    size_t n = (size_t)(end - base);
    uint8_t *buf = malloc(n);
    if (!buf)
        return false;
    memset(buf, 0xFF, n);
    ihex_pass(text, len, base, &end, buf, n);
    *out = buf;
    *out_len = n;
    return true;
}

static int region_cmp(const void *a, const void *b)
{
    const struct cli_region *x = a, *y = b;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

void cli_free_regions(struct cli_region *r, size_t n)
{
    if (!r)
        return;
    for (size_t i = 0; i < n; i++)
        free(r[i].data);
    free(r);
}

int cli_load_regions(const char *prog, char **pos, int npos, struct cli_region **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (npos == 0)
        return cli_usage_error(prog, "the following arguments are required: <address> "
                                     "<filename>");
    if (npos % 2)
        return cli_usage_error(prog,
                               "must be pairs of an address and the binary filename to "
                               "write there ('%s' has no file)",
                               pos[npos - 1]);
    size_t cnt = (size_t)npos / 2;
    struct cli_region *r = calloc(cnt, sizeof(*r));
    if (!r) {
        cli_fatal("out of memory");
        return EXIT_FAILURE_OTHER;
    }
    for (size_t i = 0; i < cnt; i++) {
        if (!cli_parse_u32(pos[2 * i], &r[i].addr)) {
            cli_free_regions(r, cnt);
            return cli_usage_error(prog, "address \"%s\" must be a number", pos[2 * i]);
        }
        r[i].path = pos[2 * i + 1];
    }
    for (size_t i = 0; i < cnt; i++) {
        int rc = cli_read_file(r[i].path, &r[i].data, &r[i].len);
        if (rc) {
            cli_free_regions(r, cnt);
            return rc;
        }
        /* Intel HEX input becomes the binary from the given address up, like esptool; a file
         * that merely starts with ':' stays as it is */
        uint8_t *bin;
        size_t blen;
        if (cli_ihex_to_bin(r[i].data, r[i].len, r[i].addr, &bin, &blen)) {
            free(r[i].data);
            r[i].data = bin;
            r[i].len = blen;
        }
        if ((uint64_t)r[i].addr + r[i].len > 0x100000000ull) {
            cli_fatal("'%s' (%zu bytes) at 0x%08x goes past the 4 GB address space; check the "
                      "address",
                      r[i].path, r[i].len, r[i].addr);
            cli_free_regions(r, cnt);
            return EXIT_SIZE;
        }
    }
    qsort(r, cnt, sizeof(*r), region_cmp);
    /* two files may not share a 4 KiB sector (esptool's rule: each write erases whole
     * sectors) */
    uint64_t end = 0;
    for (size_t i = 0; i < cnt; i++) {
        uint64_t start = r[i].addr & ~0xFFFull;
        uint64_t last = (((uint64_t)r[i].addr + r[i].len + 0xFFF) & ~0xFFFull) - 1;
        if (i > 0 && start < end) {
            int rc = cli_usage_error(prog,
                                     "detected overlap at address: 0x%x for file: %s (files "
                                     "may not share a 4 KiB flash sector)",
                                     r[i].addr, r[i].path);
            cli_free_regions(r, cnt);
            return rc;
        }
        end = last;
    }
    *out = r;
    *n = cnt;
    return 0;
}

void cli_md5_hex(const uint8_t *data, size_t len, char out[33])
{
    MD5Data(data, len, out);
}

const char *cli_size_str(uint32_t bytes, char *buf, size_t cap)
{
    if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) == 0)
        snprintf(buf, cap, "%uMB", bytes >> 20);
    else if (bytes % 1024 == 0)
        snprintf(buf, cap, "%uKB", bytes >> 10);
    else
        snprintf(buf, cap, "%u bytes", bytes);
    return buf;
}
