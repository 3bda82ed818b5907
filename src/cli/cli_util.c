/* SPDX-License-Identifier: MIT */
/* Files, address/file pairs and small formatting helpers for the espload commands. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <md5.h>

#include "cli/cli_int.h"
#include "espload/err.h"
#include "espload/image.h"

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

/* The last record is an end-of-file record (":00000001FF"): a file cut short is not taken
 * for Intel HEX. */
static bool ihex_has_eof(const uint8_t *text, size_t len)
{
    size_t end = len;
    while (end > 0 && (text[end - 1] == '\r' || text[end - 1] == '\n' || text[end - 1] == ' ' ||
                       text[end - 1] == '\t'))
        end--;
    size_t start = end;
    while (start > 0 && text[start - 1] != '\n' && text[start - 1] != '\r')
        start--;
    return end - start == 11 && !strncasecmp((const char *)text + start, ":00000001FF", 11);
}

bool cli_ihex_to_bin(const uint8_t *text, size_t len, uint32_t base, uint8_t **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    if (len == 0 || text[0] != ':' || !ihex_has_eof(text, len))
        return false;
    uint8_t *bin = NULL;
    size_t blen = 0;
    uint32_t lo = 0;
    char why[160];
    if (el_ihex_decode((const char *)text, len, &bin, &blen, &lo, why, sizeof(why)) != EL_OK)
        return false;
    uint64_t end = (uint64_t)lo + blen; /* one past the highest byte written */
    if (end <= base || end - base > CLI_MAX_FILE) {
        free(bin);
        return false;
    }
    size_t n = (size_t)(end - base);
    uint8_t *buf = malloc(n);
    if (!buf) {
        free(bin);
        return false;
    }
    /* from base up: 0xFF before the first record, bytes below base dropped (esptool) */
    memset(buf, 0xFF, n);
    if (lo >= base)
        memcpy(buf + (lo - base), bin, blen);
    else
        memcpy(buf, bin + (base - lo), n);
    free(bin);
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

int cli_psram_from_features(const char *features)
{
    /* esptool lists "Embedded PSRAM", "Embedded PSRAM 2MB", ... for in-package PSRAM and
     * "No Embedded PSRAM" / "Unknown Embedded PSRAM" (ESP32-S2) otherwise; neither tells about
     * PSRAM on the module outside the chip, so only a positive listing is known */
    const char *p = features;
    while (p && (p = strstr(p, "Embedded PSRAM")) != NULL) {
        bool negated = (p - features >= 3 && !strncmp(p - 3, "No ", 3)) ||
                       (p - features >= 8 && !strncmp(p - 8, "Unknown ", 8));
        if (!negated)
            return 1;
        p += strlen("Embedded PSRAM");
    }
    return -1;
}
