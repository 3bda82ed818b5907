/* SPDX-License-Identifier: MIT */
/*
 * ESP-IDF partition tables: binary rows of 32 bytes (0xAA50 magic, type, subtype, offset,
 * size, 16-byte name, flags), an optional MD5 row (0xEBEB, 14 x 0xFF, MD5 of the rows
 * before it) and 0xFF padding to 0xC00 bytes. CSV semantics follow ESP-IDF's
 * gen_esp32part.py: named or numeric types/subtypes, K/M size suffixes, automatic offsets
 * aligned per type after the table's 0x1000-byte sector, flags "encrypted" and "readonly".
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <md5.h>

#include "espload/bytes.h"
#include "espload/err.h"
#include "espload/image.h"
#include "image_int.h"

#define PT_ROW 32

struct named {
    const char *name;
    uint8_t v;
};
static const struct named types[] = {
    {"app", 0x00}, {"data", 0x01}, {"bootloader", 0x02}, {"partition_table", 0x03}};
static const struct named app_sub[] = {{"factory", 0x00}, {"test", 0x20}};
static const struct named data_sub[] = {{"ota", 0x00},       {"phy", 0x01},      {"nvs", 0x02},
                                        {"coredump", 0x03},  {"nvs_keys", 0x04}, {"efuse", 0x05},
                                        {"undefined", 0x06}, {"esphttpd", 0x80}, {"fat", 0x81},
                                        {"spiffs", 0x82},    {"littlefs", 0x83}};
static const struct named boot_sub[] = {{"primary", 0x00}, {"ota", 0x01}, {"recovery", 0x02}};
static const struct named pt_sub[] = {{"primary", 0x00}, {"ota", 0x01}};
static const char *const flag_names[] = {"encrypted", "readonly"};

#define N(a) (sizeof(a) / sizeof((a)[0]))

const char *el_parttable_type_name(uint8_t type)
{
    for (size_t i = 0; i < N(types); i++) {
        if (types[i].v == type)
            return types[i].name;
    }
    return NULL;
}

static const struct named *subtable(uint8_t type, size_t *n)
{
    switch (type) {
    case 0x00:
        *n = N(app_sub);
        return app_sub;
    case 0x01:
        *n = N(data_sub);
        return data_sub;
    case 0x02:
        *n = N(boot_sub);
        return boot_sub;
    case 0x03:
        *n = N(pt_sub);
        return pt_sub;
    default:
        *n = 0;
        return NULL;
    }
}

const char *el_parttable_subtype_name(uint8_t type, uint8_t subtype)
{
    static const char *const ota[16] = {"ota_0",  "ota_1",  "ota_2",  "ota_3", "ota_4",  "ota_5",
                                        "ota_6",  "ota_7",  "ota_8",  "ota_9", "ota_10", "ota_11",
                                        "ota_12", "ota_13", "ota_14", "ota_15"};
    if (type == 0 && subtype >= 0x10 && subtype < 0x20)
        return ota[subtype - 0x10];
    size_t n;
    const struct named *t = subtable(type, &n);
    for (size_t i = 0; i < n; i++) {
        if (t[i].v == subtype)
            return t[i].name;
    }
    return NULL;
}

int el_parttable_parse_bin(const uint8_t *data, size_t len, struct el_parttable *out, char *why,
                           size_t whylen)
{
    memset(out, 0, sizeof(*out));
    if (len > EL_PT_MAX_LEN)
        len = EL_PT_MAX_LEN;
    MD5_CTX md5;
    MD5Init(&md5);
    for (size_t o = 0; o + PT_ROW <= len; o += PT_ROW) {
        const uint8_t *r = data + o;
        bool all_ff = true;
        for (int i = 0; i < PT_ROW; i++)
            all_ff = all_ff && r[i] == 0xFF;
        if (all_ff) {
            if (out->n == 0)
                return eli_img_fail(why, whylen, "partition table is empty (all 0xFF)");
            return EL_OK;
        }
        if (r[0] == 0xEB && r[1] == 0xEB) {
            MD5_CTX c = md5;
            uint8_t d[16];
            MD5Final(d, &c);
            out->has_md5 = true;
            out->md5_valid = memcmp(d, r + 16, 16) == 0;
            if (!out->md5_valid)
                return eli_img_fail(why, whylen,
                                    "MD5 checksums don't match: the partition table is corrupt");
            continue;
        }
        if (r[0] != 0xAA || r[1] != 0x50)
            return eli_img_fail(why, whylen,
                                "Invalid magic bytes (0x%02x%02x) for partition definition at "
                                "offset 0x%zx: not a partition table",
                                r[0], r[1], o);
        if (out->n >= EL_PT_MAX_ENTRIES)
            return eli_img_fail(why, whylen, "partition table has more than %d entries",
                                EL_PT_MAX_ENTRIES);
        MD5Update(&md5, r, PT_ROW);
        struct el_partition *p = &out->p[out->n++];
        p->type = r[2];
        p->subtype = r[3];
        p->offset = el_get_le32(r + 4);
        p->size = el_get_le32(r + 8);
        size_t k = 0;
        for (; k < 16 && r[12 + k]; k++)
            p->name[k] = (r[12 + k] < 0x20 || r[12 + k] >= 0x7F) ? '?' : (char)r[12 + k];
        p->name[k] = 0;
        p->flags = el_get_le32(r + 28);
    }
    if (out->n == 0)
        return eli_img_fail(why, whylen, "no partition table found (too short)");
    return eli_img_fail(why, whylen, "Partition table is missing an end-of-table marker");
}

/* gen_esp32part parse_int: number with 0x/0 prefixes and K/M suffixes, or a keyword */
static int parse_num(const char *s, const struct named *kw, size_t nkw, uint32_t *v)
{
    for (size_t i = 0; i < nkw; i++) {
        if (strcmp(s, kw[i].name) == 0) {
            *v = kw[i].v;
            return 0;
        }
    }
    if (!*s)
        return -1;
    size_t l = strlen(s);
    unsigned long long mul = 1;
    char buf[64];
    if (l >= sizeof(buf))
        return -1;
    memcpy(buf, s, l + 1);
    if (buf[l - 1] == 'k' || buf[l - 1] == 'K') {
        mul = 1024;
        buf[--l] = 0;
    } else if (buf[l - 1] == 'm' || buf[l - 1] == 'M') {
        mul = 1024 * 1024;
        buf[--l] = 0;
    }
    if (!l || !isdigit((unsigned char)buf[0]))
        return -1;
    errno = 0;
    char *end;
    unsigned long long x = strtoull(buf, &end, 0);
    if (*end || errno || x > 0xFFFFFFFFull / mul)
        return -1;
    *v = (uint32_t)(x * mul);
    return 0;
}

static uint32_t align_for(uint8_t type)
{
    return type == 0 ? 0x10000 : 0x1000;
}

static void trim(char *s)
{
    size_t l = strlen(s);
    while (l && isspace((unsigned char)s[l - 1]))
        s[--l] = 0;
    size_t b = 0;
    while (s[b] && isspace((unsigned char)s[b]))
        b++;
    memmove(s, s + b, l - b + 1);
}

int el_parttable_parse_csv(const char *text, size_t len, uint32_t table_offset,
                           struct el_parttable *out, char *why, size_t whylen)
{
    memset(out, 0, sizeof(*out));
    bool have_off[EL_PT_MAX_ENTRIES];
    size_t pos = 0;
    unsigned line_no = 0;
    while (pos < len) {
        size_t e = pos;
        while (e < len && text[e] != '\n' && text[e] != '\r')
            e++;
        line_no++;
        char line[512];
        size_t ll = e - pos;
        if (ll >= sizeof(line))
            return eli_img_fail(why, whylen, "Error at line %u: line too long", line_no);
        memcpy(line, text + pos, ll);
        line[ll] = 0;
        if (memchr(line, 0, ll))
            return eli_img_fail(why, whylen, "Error at line %u: NUL byte in CSV text", line_no);
        pos = e + 1;
        if (e + 1 < len && text[e] == '\r' && text[e + 1] == '\n')
            pos++;
        trim(line);
        if (!line[0] || line[0] == '#')
            continue;
        /* missing fields point at writable empty strings: trim() writes in place */
        char blank[6][1] = {{0}};
        char *f[6] = {blank[0], blank[1], blank[2], blank[3], blank[4], blank[5]};
        size_t nf = 0;
        char *p = line;
        for (;;) {
            char *c = strchr(p, ',');
            if (nf < 6)
                f[nf++] = p;
            if (!c)
                break;
            *c = 0;
            p = c + 1;
        }
        for (size_t i = 0; i < 6; i++)
            trim(f[i]);
        if (out->n >= EL_PT_MAX_ENTRIES)
            return eli_img_fail(why, whylen, "Error at line %u: more than %d partitions", line_no,
                                EL_PT_MAX_ENTRIES);
        struct el_partition *pp = &out->p[out->n];
        memset(pp, 0, sizeof(*pp));
        if (strlen(f[0]) > 16)
            return eli_img_fail(why, whylen,
                                "Error at line %u: partition name '%s' is longer than 16 "
                                "characters",
                                line_no, f[0]);
        strcpy(pp->name, f[0]);
        uint32_t v;
        if (!f[1][0])
            return eli_img_fail(why, whylen, "Error at line %u: Field 'type' can't be left empty.",
                                line_no);
        if (parse_num(f[1], types, N(types), &v) || v > 0xFE)
            return eli_img_fail(why, whylen, "Error at line %u: invalid type '%s'", line_no, f[1]);
        pp->type = (uint8_t)v;
        if (!f[2][0]) {
            if (pp->type == 0)
                return eli_img_fail(why, whylen,
                                    "Error at line %u: App partition cannot have an empty subtype",
                                    line_no);
            pp->subtype = 0x06; /* data "undefined" */
        } else {
            size_t ns;
            const struct named *st = subtable(pp->type, &ns);
            if (pp->type == 0 && strncmp(f[2], "ota_", 4) == 0) {
                char *end;
                long k = strtol(f[2] + 4, &end, 10);
                if (*end || k < 0 || k > 15 || !isdigit((unsigned char)f[2][4]))
                    return eli_img_fail(why, whylen, "Error at line %u: invalid subtype '%s'",
                                        line_no, f[2]);
                pp->subtype = (uint8_t)(0x10 + k);
            } else if (parse_num(f[2], st, ns, &v) || v > 0xFE) {
                return eli_img_fail(why, whylen, "Error at line %u: invalid subtype '%s'", line_no,
                                    f[2]);
            } else {
                pp->subtype = (uint8_t)v;
            }
        }
        have_off[out->n] = f[3][0] != 0;
        if (f[3][0] && parse_num(f[3], NULL, 0, &pp->offset))
            return eli_img_fail(why, whylen, "Error at line %u: invalid offset '%s'", line_no,
                                f[3]);
        if (!f[4][0])
            return eli_img_fail(why, whylen, "Error at line %u: Size field can't be empty",
                                line_no);
        if (parse_num(f[4], NULL, 0, &pp->size))
            return eli_img_fail(why, whylen, "Error at line %u: invalid size '%s'", line_no, f[4]);
        char *fl = f[5];
        while (fl && *fl) {
            char *c = strchr(fl, ':');
            if (c)
                *c = 0;
            trim(fl);
            bool ok = !*fl;
            for (size_t k = 0; k < N(flag_names) && !ok; k++) {
                if (strcmp(fl, flag_names[k]) == 0) {
                    pp->flags |= 1u << k;
                    ok = true;
                }
            }
            if (!ok)
                return eli_img_fail(why, whylen,
                                    "Error at line %u: CSV flag column contains unknown flag '%s'",
                                    line_no, fl);
            fl = c ? c + 1 : NULL;
        }
        out->n++;
    }
    if (out->n == 0)
        return eli_img_fail(why, whylen, "no partitions in the CSV text");
    /* fix up missing offsets, as gen_esp32part does */
    uint64_t last_end = (uint64_t)table_offset + 0x1000;
    for (size_t i = 0; i < out->n; i++) {
        struct el_partition *pp = &out->p[i];
        if (have_off[i] && pp->offset < last_end) {
            if (i == 0)
                return eli_img_fail(why, whylen,
                                    "CSV Error: First partition offset 0x%x overlaps end of "
                                    "partition table 0x%llx",
                                    pp->offset, (unsigned long long)last_end);
            return eli_img_fail(why, whylen,
                                "CSV Error: Partitions overlap. Partition '%s' sets offset 0x%x. "
                                "Previous partition ends 0x%llx",
                                pp->name, pp->offset, (unsigned long long)last_end);
        }
        if (!have_off[i]) {
            uint32_t a = align_for(pp->type);
            if (last_end % a)
                last_end += a - last_end % a;
            if (last_end > 0xFFFFFFFFu)
                return eli_img_fail(why, whylen, "partition '%s' would start past 4 GB", pp->name);
            pp->offset = (uint32_t)last_end;
        }
        last_end = (uint64_t)pp->offset + pp->size;
    }
    return EL_OK;
}

int el_parttable_verify(const struct el_parttable *pt, uint32_t table_offset, uint32_t flash_size,
                        char *why, size_t whylen)
{
    size_t idx[EL_PT_MAX_ENTRIES];
    for (size_t i = 0; i < pt->n; i++) {
        const struct el_partition *p = &pt->p[i];
        uint32_t a = align_for(p->type);
        if (p->offset % a)
            return eli_img_fail(why, whylen,
                                "Partition %s invalid: Offset 0x%x is not aligned to 0x%x", p->name,
                                p->offset, a);
        if (p->type == 0 && p->size % 0x1000)
            return eli_img_fail(why, whylen,
                                "Partition %s invalid: Size 0x%x is not aligned to 0x1000", p->name,
                                p->size);
        for (size_t j = 0; j < i; j++) {
            if (strcmp(pt->p[j].name, p->name) == 0)
                return eli_img_fail(why, whylen, "Partition names must be unique ('%s' twice)",
                                    p->name);
        }
        idx[i] = i;
    }
    /* sort by offset (insertion sort, n <= 95) */
    for (size_t i = 1; i < pt->n; i++) {
        size_t k = idx[i], j = i;
        while (j > 0 && pt->p[idx[j - 1]].offset > pt->p[k].offset) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = k;
    }
    uint64_t end_prev = 0;
    const struct el_partition *last = NULL;
    unsigned n_otadata = 0;
    for (size_t i = 0; i < pt->n; i++) {
        const struct el_partition *p = &pt->p[idx[i]];
        bool special = p->type == 0x02 || p->type == 0x03; /* bootloader / table entries */
        if (!special && p->offset < (uint64_t)table_offset + 0x1000)
            return eli_img_fail(why, whylen, "Partition offset 0x%x is below 0x%llx", p->offset,
                                (unsigned long long)table_offset + 0x1000);
        if (last && !special && p->offset < end_prev)
            return eli_img_fail(why, whylen, "Partition at 0x%x overlaps 0x%x-0x%llx", p->offset,
                                last->offset, (unsigned long long)end_prev - 1);
        if (!special) {
            last = p;
            end_prev = (uint64_t)p->offset + p->size;
        }
        if (p->type == 1 && p->subtype == 0) {
            n_otadata++;
            if (p->size != 0x2000)
                return eli_img_fail(why, whylen, "otadata partition must have size = 0x2000");
        }
        if (flash_size && (uint64_t)p->offset + p->size > flash_size)
            return eli_img_fail(why, whylen,
                                "Partition '%s' ends at 0x%llx, past the end of the %u MB flash "
                                "(0x%x); choose a bigger --flash-size or shrink the table",
                                p->name, (unsigned long long)p->offset + p->size, flash_size >> 20,
                                flash_size);
    }
    if (n_otadata > 1)
        return eli_img_fail(why, whylen,
                            "Found multiple otadata partitions. Only one partition can be defined "
                            "with type=\"data\"(1) and subtype=\"ota\"(0).");
    return EL_OK;
}

int el_parttable_to_bin(const struct el_parttable *pt, bool no_md5, uint8_t *out, size_t out_cap,
                        size_t *len_out)
{
    *len_out = 0;
    if (out_cap < EL_PT_MAX_LEN)
        return EL_E_ARG;
    size_t rows = pt->n + (no_md5 ? 0 : 1);
    if (rows * PT_ROW >= EL_PT_MAX_LEN)
        return EL_E_SIZE;
    memset(out, 0xFF, EL_PT_MAX_LEN);
    MD5_CTX md5;
    MD5Init(&md5);
    size_t o = 0;
    for (size_t i = 0; i < pt->n; i++, o += PT_ROW) {
        const struct el_partition *p = &pt->p[i];
        uint8_t *r = out + o;
        r[0] = 0xAA;
        r[1] = 0x50;
        r[2] = p->type;
        r[3] = p->subtype;
        el_put_le32(r + 4, p->offset);
        el_put_le32(r + 8, p->size);
        memset(r + 12, 0, 16);
        memcpy(r + 12, p->name, strnlen(p->name, 16));
        el_put_le32(r + 28, p->flags);
        MD5Update(&md5, r, PT_ROW);
    }
    if (!no_md5) {
        out[o] = 0xEB;
        out[o + 1] = 0xEB;
        MD5Final(out + o + 16, &md5);
    }
    *len_out = EL_PT_MAX_LEN;
    return EL_OK;
}

static void fmt_addr(char *b, size_t cap, uint32_t a, bool sizes)
{
    if (sizes && a && a % 0x100000 == 0)
        snprintf(b, cap, "%uM", a / 0x100000);
    else if (sizes && a && a % 0x400 == 0)
        snprintf(b, cap, "%uK", a / 0x400);
    else
        snprintf(b, cap, "0x%x", a);
}

size_t el_parttable_to_csv(const struct el_parttable *pt, char *out, size_t cap)
{
    size_t n = 0;
#define EMIT(...)                                                                                  \
    do {                                                                                           \
        int k_ = snprintf(n < cap ? out + n : NULL, n < cap ? cap - n : 0, __VA_ARGS__);           \
        if (k_ > 0)                                                                                \
            n += (size_t)k_;                                                                       \
    } while (0)
    EMIT("# ESP-IDF Partition Table\n# Name, Type, SubType, Offset, Size, Flags\n");
    for (size_t i = 0; i < pt->n; i++) {
        const struct el_partition *p = &pt->p[i];
        char t[8], st[8], off[16], sz[16], fl[64] = "";
        const char *tn = el_parttable_type_name(p->type);
        const char *sn = el_parttable_subtype_name(p->type, p->subtype);
        if (!tn) {
            snprintf(t, sizeof(t), "%u", p->type);
            tn = t;
        }
        if (!sn) {
            snprintf(st, sizeof(st), "%u", p->subtype);
            sn = st;
        }
        fmt_addr(off, sizeof(off), p->offset, false);
        fmt_addr(sz, sizeof(sz), p->size, true);
        for (size_t k = 0; k < N(flag_names); k++) {
            if (p->flags & (1u << k)) {
                if (fl[0])
                    strcat(fl, ":");
                strcat(fl, flag_names[k]);
            }
        }
        EMIT("%s,%s,%s,%s,%s,%s\n", p->name, tn, sn, off, sz, fl);
    }
#undef EMIT
    if (cap)
        out[n < cap ? n : cap - 1] = 0;
    return n;
}
