/* SPDX-License-Identifier: MIT */
/* Intel HEX input (esptool accepts .hex files wherever it takes a binary: the data from the
 * lowest address on, gaps filled with 0xFF, as intelhex's tobinfile() gives it). */
#include <stdlib.h>
#include <string.h>

#include "espload/err.h"
#include "espload/image.h"
#include "image_int.h"

#define MAX_SPAN (64u << 20)

static int hexv(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

struct rec {
    uint8_t len, type;
    uint16_t addr;
    uint8_t data[255];
};

/* Parses one record at text[*pos]; returns 1 on a record, 0 at the end, -1 on an error. */
static int next_rec(const char *t, size_t n, size_t *pos, struct rec *r, unsigned *line)
{
    size_t p = *pos;
    while (p < n && (t[p] == '\r' || t[p] == '\n' || t[p] == ' ' || t[p] == '\t')) {
        if (t[p] == '\n')
            (*line)++;
        p++;
    }
    if (p >= n)
        return 0;
    if (t[p] != ':')
        return -1;
    p++;
    uint8_t b[260];
    size_t k = 0;
    while (p + 1 < n && hexv(t[p]) >= 0 && hexv(t[p + 1]) >= 0 && k < sizeof(b)) {
        b[k++] = (uint8_t)(hexv(t[p]) << 4 | hexv(t[p + 1]));
        p += 2;
    }
    if (k < 5 || k != (size_t)b[0] + 5)
        return -1;
    uint8_t sum = 0;
    for (size_t i = 0; i < k; i++)
        sum = (uint8_t)(sum + b[i]);
    if (sum != 0)
        return -1;
    r->len = b[0];
    r->addr = (uint16_t)(b[1] << 8 | b[2]);
    r->type = b[3];
    memcpy(r->data, b + 4, r->len);
    *pos = p;
    return 1;
}

int el_ihex_decode(const char *text, size_t n, uint8_t **out, size_t *out_len, uint32_t *start,
                   char *why, size_t whylen)
{
    *out = NULL;
    *out_len = 0;
    *start = 0;
    struct rec r;
    /* pass 1: address range; pass 2: fill */
    uint64_t lo = UINT64_MAX, hi = 0;
    for (int pass = 0; pass < 2; pass++) {
        size_t pos = 0;
        unsigned line = 1;
        uint32_t base = 0;
        bool eof = false;
        int rc;
        while (!eof && (rc = next_rec(text, n, &pos, &r, &line)) == 1) {
            switch (r.type) {
            case 0: {
                uint64_t a = (uint64_t)base + r.addr;
                if (pass == 0) {
                    if (r.len && a < lo)
                        lo = a;
                    if (r.len && a + r.len > hi)
                        hi = a + r.len;
                } else {
                    memcpy(*out + (a - lo), r.data, r.len);
                }
                break;
            }
            case 1:
                eof = true;
                break;
            case 2:
                if (r.len != 2)
                    return eli_img_fail(why, whylen, "Intel HEX line %u: bad type-02 record", line);
                base = (uint32_t)((r.data[0] << 8 | r.data[1]) << 4);
                break;
            case 4:
                if (r.len != 2)
                    return eli_img_fail(why, whylen, "Intel HEX line %u: bad type-04 record", line);
                base = (uint32_t)(r.data[0] << 8 | r.data[1]) << 16;
                break;
            case 3:
            case 5:
                break; /* start address records */
            default:
                return eli_img_fail(why, whylen, "Intel HEX line %u: unknown record type %u", line,
                                    r.type);
            }
        }
        if (!eof && rc < 0) {
            free(*out);
            *out = NULL;
            return eli_img_fail(why, whylen, "Intel HEX line %u: malformed record", line);
        }
        if (pass == 0) {
            if (lo == UINT64_MAX)
                return eli_img_fail(why, whylen, "Intel HEX file holds no data");
            if (hi - lo > MAX_SPAN)
                return eli_img_fail(why, whylen,
                                    "Intel HEX data spans 0x%llx bytes (more than %u MB)",
                                    (unsigned long long)(hi - lo), MAX_SPAN >> 20);
            *out = malloc((size_t)(hi - lo));
            if (!*out)
                return EL_E_NOMEM;
            memset(*out, 0xFF, (size_t)(hi - lo));
        }
    }
    *out_len = (size_t)(hi - lo);
    *start = (uint32_t)lo;
    return EL_OK;
}
