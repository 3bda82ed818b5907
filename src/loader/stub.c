/* SPDX-License-Identifier: MIT */
/*
 * Flasher stubs: esptool-format JSON (a small strict JSON reader + base64), candidate
 * discovery, and the upload (MEM_BEGIN/MEM_DATA/MEM_END, then the OHAI greeting).
 * The JSON reader is ours rather than a library: the format is a flat object of integers
 * and base64 strings, and a 200-line strict reader keeps the library dependency-free.
 */
#include "loader/loader_int.h"

#include "espload/bytes.h"
#include "espload/err.h"
#include "espload/port.h"
#include "espload/proto.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define STUB_JSON_MAX   (4u << 20) /* no stub JSON is anywhere near this */
#define JSON_MAX_DEPTH  16
#define OHAI_TIMEOUT_MS 3000u

/* ---------------------------------------------------------------------------------- */
/* strict JSON reader (RFC 8259 subset: what a stub file can contain)                  */

struct jp {
    const char *s, *end, *start;
    char *err;
    size_t errlen;
};

static int jfail(struct jp *p, const char *what)
{
    if (p->err && p->errlen && !p->err[0])
        snprintf(p->err, p->errlen, "%s at byte %zu", what, (size_t)(p->s - p->start));
    return EL_E_FORMAT;
}

static void jws(struct jp *p)
{
    while (p->s < p->end && (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r'))
        p->s++;
}

/* Parses a string; if out, copies it (escapes decoded, \u limited to ASCII) into a
 * malloc'ed buffer. */
static int jstring(struct jp *p, char **out, size_t *outlen)
{
    if (out)
        *out = NULL;
    if (p->s >= p->end || *p->s != '"')
        return jfail(p, "expected a string");
    p->s++;
    const char *start = p->s;
    size_t n = 0;
    /* first pass: validate and count */
    while (p->s < p->end && *p->s != '"') {
        unsigned char c = (unsigned char)*p->s;
        if (c < 0x20)
            return jfail(p, "control character in string");
        if (c == '\\') {
            p->s++;
            if (p->s >= p->end)
                return jfail(p, "unterminated escape");
            char e = *p->s;
            if (e == 'u') {
                for (int i = 1; i <= 4; i++)
                    if (p->s + i >= p->end || !isxdigit((unsigned char)p->s[i]))
                        return jfail(p, "bad \\u escape");
                p->s += 4;
            } else if (!strchr("\"\\/bfnrt", e)) {
                return jfail(p, "bad escape");
            }
        }
        p->s++;
        n++;
    }
    if (p->s >= p->end)
        return jfail(p, "unterminated string");
    const char *stop = p->s;
    p->s++; /* closing quote */
    if (!out)
        return EL_OK;
    char *buf = malloc(n + 1);
    if (!buf)
        return EL_E_NOMEM;
    size_t o = 0;
    for (const char *q = start; q < stop; q++) {
        if (*q != '\\') {
            buf[o++] = *q;
            continue;
        }
        q++;
        switch (*q) {
        case 'b':
            buf[o++] = '\b';
            break;
        case 'f':
            buf[o++] = '\f';
            break;
        case 'n':
            buf[o++] = '\n';
            break;
        case 'r':
            buf[o++] = '\r';
            break;
        case 't':
            buf[o++] = '\t';
            break;
        case 'u': {
            unsigned v = (unsigned)strtoul((char[]){q[1], q[2], q[3], q[4], 0}, NULL, 16);
            buf[o++] = v < 0x80 ? (char)v : '?';
            q += 4;
            break;
        }
        default:
            buf[o++] = *q;
            break;
        }
    }
    buf[o] = '\0';
    *out = buf;
    if (outlen)
        *outlen = o;
    return EL_OK;
}

/* Parses a number; *is_int and *val set for non-negative integers below 2^32. */
static int jnumber(struct jp *p, bool *is_int, uint32_t *val)
{
    const char *q = p->s;
    *is_int = false;
    if (q < p->end && *q == '-')
        q++;
    if (q >= p->end || !isdigit((unsigned char)*q))
        return jfail(p, "bad number");
    if (*q == '0' && q + 1 < p->end && isdigit((unsigned char)q[1]))
        return jfail(p, "leading zero in number");
    unsigned long long v = 0;
    bool overflow = false;
    while (q < p->end && isdigit((unsigned char)*q)) {
        v = v * 10 + (unsigned)(*q - '0');
        if (v > 0xFFFFFFFFull)
            overflow = true;
        q++;
    }
    bool frac = false;
    if (q < p->end && *q == '.') {
        frac = true;
        q++;
        if (q >= p->end || !isdigit((unsigned char)*q))
            return jfail(p, "bad number");
        while (q < p->end && isdigit((unsigned char)*q))
            q++;
    }
    if (q < p->end && (*q == 'e' || *q == 'E')) {
        frac = true;
        q++;
        if (q < p->end && (*q == '+' || *q == '-'))
            q++;
        if (q >= p->end || !isdigit((unsigned char)*q))
            return jfail(p, "bad number");
        while (q < p->end && isdigit((unsigned char)*q))
            q++;
    }
    *is_int = !frac && !overflow && *p->s != '-';
    *val = (uint32_t)v;
    p->s = q;
    return EL_OK;
}

static int jskip_value(struct jp *p, int depth);

static int jskip_container(struct jp *p, int depth, char close)
{
    if (depth > JSON_MAX_DEPTH)
        return jfail(p, "nesting too deep");
    p->s++;
    jws(p);
    if (p->s < p->end && *p->s == close) {
        p->s++;
        return EL_OK;
    }
    for (;;) {
        jws(p);
        if (close == '}') {
            int rc = jstring(p, NULL, NULL);
            if (rc)
                return rc;
            jws(p);
            if (p->s >= p->end || *p->s != ':')
                return jfail(p, "expected ':'");
            p->s++;
            jws(p);
        }
        int rc = jskip_value(p, depth + 1);
        if (rc)
            return rc;
        jws(p);
        if (p->s < p->end && *p->s == ',') {
            p->s++;
            continue;
        }
        if (p->s < p->end && *p->s == close) {
            p->s++;
            return EL_OK;
        }
        return jfail(p, close == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static int jskip_value(struct jp *p, int depth)
{
    if (p->s >= p->end)
        return jfail(p, "unexpected end of input");
    char c = *p->s;
    if (c == '{')
        return jskip_container(p, depth, '}');
    if (c == '[')
        return jskip_container(p, depth, ']');
    if (c == '"')
        return jstring(p, NULL, NULL);
    if (c == '-' || isdigit((unsigned char)c)) {
        bool i;
        uint32_t v;
        return jnumber(p, &i, &v);
    }
    static const char *const lits[] = {"true", "false", "null"};
    for (size_t k = 0; k < 3; k++) {
        size_t n = strlen(lits[k]);
        if ((size_t)(p->end - p->s) >= n && memcmp(p->s, lits[k], n) == 0) {
            p->s += n;
            return EL_OK;
        }
    }
    return jfail(p, "unexpected character");
}

/* ---------------------------------------------------------------------------------- */
/* base64 (RFC 4648, padding required as Python's b64encode produces)                 */

static int b64val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

static int b64decode(const char *in, size_t n, uint8_t **out, size_t *outlen)
{
    *out = NULL;
    *outlen = 0;
    if (n % 4)
        return EL_E_FORMAT;
    uint8_t *buf = malloc(n / 4 * 3 + 1);
    if (!buf)
        return EL_E_NOMEM;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 4) {
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; k++) {
            unsigned char c = (unsigned char)in[i + (size_t)k];
            if (c == '=' && i + 4 == n && k >= 2) {
                v[k] = 0;
                pad++;
                continue;
            }
            if (pad) {
                free(buf);
                return EL_E_FORMAT; /* data after '=' */
            }
            v[k] = b64val(c);
            if (v[k] < 0) {
                free(buf);
                return EL_E_FORMAT;
            }
        }
        uint32_t w = ((uint32_t)v[0] << 18) | ((uint32_t)v[1] << 12) | ((uint32_t)v[2] << 6) |
                     (uint32_t)v[3];
        buf[o++] = (uint8_t)(w >> 16);
        if (pad < 2)
            buf[o++] = (uint8_t)(w >> 8);
        if (pad < 1)
            buf[o++] = (uint8_t)w;
    }
    *out = buf;
    *outlen = o;
    return EL_OK;
}

/* ---------------------------------------------------------------------------------- */

/* The parsed image owns its buffers: allocate them in one block with the struct. */
struct stub_owned {
    struct el_stub_image img;
    uint8_t *text, *data;
    char *origin;
};

void el_stub_image_free(struct el_stub_image *img)
{
    if (!img)
        return;
    struct stub_owned *o = (struct stub_owned *)img;
    free(o->text);
    free(o->data);
    free(o->origin);
    free(o);
}

int el_stub_parse_json(const char *text, size_t len, const char *origin, struct el_stub_image **out,
                       char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (!out)
        return EL_E_ARG;
    *out = NULL;
    if (!text)
        return EL_E_ARG;
    struct jp p = {.s = text, .end = text + len, .start = text, .err = err, .errlen = errlen};
    struct stub_owned *o = calloc(1, sizeof(*o));
    if (!o)
        return EL_E_NOMEM;
    bool have_entry = false, have_ts = false, have_ds = false, have_bss = false;
    int rc = EL_OK;
    jws(&p);
    if (p.s >= p.end || *p.s != '{') {
        rc = jfail(&p, "expected a JSON object");
        goto out;
    }
    p.s++;
    jws(&p);
    if (p.s < p.end && *p.s == '}') {
        p.s++;
    } else {
        for (;;) {
            jws(&p);
            char *key = NULL;
            rc = jstring(&p, &key, NULL);
            if (rc)
                goto out;
            jws(&p);
            if (p.s >= p.end || *p.s != ':') {
                free(key);
                rc = jfail(&p, "expected ':'");
                goto out;
            }
            p.s++;
            jws(&p);
            uint32_t *num = NULL;
            bool *flag = NULL;
            uint8_t **blob = NULL;
            size_t *blob_len = NULL;
            if (!strcmp(key, "entry")) {
                num = &o->img.entry;
                flag = &have_entry;
            } else if (!strcmp(key, "text_start")) {
                num = &o->img.text_start;
                flag = &have_ts;
            } else if (!strcmp(key, "data_start")) {
                num = &o->img.data_start;
                flag = &have_ds;
            } else if (!strcmp(key, "bss_start")) {
                num = &o->img.bss_start;
                flag = &have_bss;
            } else if (!strcmp(key, "text")) {
                blob = &o->text;
                blob_len = &o->img.text_len;
            } else if (!strcmp(key, "data")) {
                blob = &o->data;
                blob_len = &o->img.data_len;
            }
            if (num) {
                bool is_int;
                if (p.s >= p.end || (*p.s != '-' && !isdigit((unsigned char)*p.s))) {
                    snprintf(err, errlen, "\"%s\" must be an integer", key);
                    free(key);
                    rc = EL_E_FORMAT;
                    goto out;
                }
                rc = jnumber(&p, &is_int, num);
                if (rc == EL_OK && !is_int) {
                    snprintf(err, errlen, "\"%s\" is not a 32-bit unsigned integer", key);
                    rc = EL_E_FORMAT;
                }
                if (rc) {
                    free(key);
                    goto out;
                }
                *flag = true;
            } else if (blob) {
                char *s = NULL;
                size_t sl = 0;
                if (p.s >= p.end || *p.s != '"') {
                    snprintf(err, errlen, "\"%s\" must be a base64 string", key);
                    free(key);
                    rc = EL_E_FORMAT;
                    goto out;
                }
                rc = jstring(&p, &s, &sl);
                if (rc) {
                    free(key);
                    goto out;
                }
                free(*blob);
                *blob = NULL;
                rc = b64decode(s, sl, blob, blob_len);
                free(s);
                if (rc) {
                    if (rc == EL_E_FORMAT)
                        snprintf(err, errlen, "\"%s\" is not valid base64", key);
                    free(key);
                    goto out;
                }
            } else {
                rc = jskip_value(&p, 1);
                if (rc) {
                    free(key);
                    goto out;
                }
            }
            free(key);
            jws(&p);
            if (p.s < p.end && *p.s == ',') {
                p.s++;
                continue;
            }
            if (p.s < p.end && *p.s == '}') {
                p.s++;
                break;
            }
            rc = jfail(&p, "expected ',' or '}'");
            goto out;
        }
    }
    jws(&p);
    if (p.s != p.end) {
        rc = jfail(&p, "trailing data after the JSON object");
        goto out;
    }
    if (!have_entry || !have_ts || !o->text || !o->img.text_len) {
        snprintf(err, errlen, "not a flasher stub: \"%s\" missing",
                 !have_entry ? "entry"
                 : !have_ts  ? "text_start"
                             : "text");
        rc = EL_E_FORMAT;
        goto out;
    }
    if (o->data && o->img.data_len && !have_ds) {
        snprintf(err, errlen, "not a flasher stub: \"data_start\" missing");
        rc = EL_E_FORMAT;
        goto out;
    }
    (void)have_bss;
    o->origin = strdup(origin ? origin : "json");
    if (!o->origin) {
        rc = EL_E_NOMEM;
        goto out;
    }
    o->img.origin = o->origin;
    o->img.text = o->text;
    o->img.data = o->data;
    if (!o->data)
        o->img.data_len = 0;
    *out = &o->img;
    return EL_OK;
out:
    if (rc == EL_E_FORMAT && err && errlen && !err[0])
        snprintf(err, errlen, "malformed stub JSON");
    el_stub_image_free(&o->img);
    return rc;
}

int el_stub_load_json(const char *path, struct el_stub_image **out, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (!out)
        return EL_E_ARG;
    *out = NULL;
    if (!path)
        return EL_E_ARG;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
        return EL_E_IO;
    }
    char *buf = malloc(STUB_JSON_MAX + 1);
    if (!buf) {
        fclose(f);
        return EL_E_NOMEM;
    }
    size_t n = fread(buf, 1, STUB_JSON_MAX + 1, f);
    bool rerr = ferror(f);
    fclose(f);
    if (rerr) {
        free(buf);
        snprintf(err, errlen, "cannot read '%s'", path);
        return EL_E_IO;
    }
    if (n > STUB_JSON_MAX) {
        free(buf);
        snprintf(err, errlen, "'%s' is too large to be a stub JSON", path);
        return EL_E_FORMAT;
    }
    char inner[256];
    int rc = el_stub_parse_json(buf, n, path, out, inner, sizeof(inner));
    free(buf);
    if (rc == EL_E_FORMAT)
        snprintf(err, errlen, "bad stub JSON '%s': %s", path, inner);
    else if (rc != EL_OK)
        snprintf(err, errlen, "cannot load '%s': %s", path, inner);
    return rc;
}

/* ---------------------------------------------------------------------------------- */
/* discovery                                                                            */

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* esptool file name ("esp32s3") and the old v4.0-4.5 / esptool-js 0.1-0.3 suffix ("32s3") */
static const char *chip_suffix(const char *name)
{
    return strncmp(name, "esp", 3) == 0 ? name + 3 : name;
}

int el_stub_candidates(enum el_chip_id chip, const char *const *roots, size_t n_roots,
                       char ***paths_out, size_t *n_out)
{
    if (!paths_out || !n_out)
        return EL_E_ARG;
    *paths_out = NULL;
    *n_out = 0;
    const struct el_chip *c = el_chip_by_id(chip);
    if (!c || chip == EL_CHIP_UNKNOWN)
        return EL_E_ARG;
    static const char *const layouts[] = {
        "%s/%s.json",
        "%s/1/%s.json",
        "%s/2/%s.json",
        "%s/stub_flasher_%s.json",
        "%s/stub_flasher/1/%s.json",
        "%s/stub_flasher/%s.json",
        "%s/stub_flasher/stub_flasher_%s.json",
        "%s/esptool/targets/stub_flasher/1/%s.json",
        "%s/esptool/targets/stub_flasher/2/%s.json",
        "%s/esptool/targets/stub_flasher/stub_flasher_%s.json",
        "%s/targets/stub_flasher/1/%s.json",
        "%s/targets/stub_flasher/stub_flasher_%s.json",
        "%s/esptool-js/lib/targets/stub_flasher/%s.json",
        "%s/esptool-js/lib/targets/stub_flasher/stub_flasher_%s.json",
        "%s/lib/targets/stub_flasher/%s.json",
        "%s/lib/targets/stub_flasher/stub_flasher_%s.json",
        "%s/node_modules/esptool-js/lib/targets/stub_flasher/%s.json",
        "%s/node_modules/esptool-js/lib/targets/stub_flasher/stub_flasher_%s.json",
    };
    size_t nl = sizeof(layouts) / sizeof(layouts[0]);
    char **list = calloc(n_roots * nl + 1, sizeof(char *));
    if (!list)
        return EL_E_NOMEM;
    size_t n = 0;
    for (size_t r = 0; r < n_roots; r++) {
        if (!roots || !roots[r] || !roots[r][0])
            continue;
        for (size_t k = 0; k < nl; k++) {
            const char *nm = strstr(layouts[k], "stub_flasher_%s") ? chip_suffix(c->name) : c->name;
            char path[4096];
            int w = snprintf(path, sizeof(path), layouts[k], roots[r], nm);
            if (w < 0 || (size_t)w >= sizeof(path) || !is_file(path))
                continue;
            bool dup = false;
            for (size_t i = 0; i < n; i++)
                if (!strcmp(list[i], path))
                    dup = true;
            if (dup)
                continue;
            list[n] = strdup(path);
            if (!list[n]) {
                el_stub_paths_free(list);
                return EL_E_NOMEM;
            }
            n++;
        }
    }
    list[n] = NULL;
    *paths_out = list;
    *n_out = n;
    return EL_OK;
}

void el_stub_paths_free(char **paths)
{
    if (!paths)
        return;
    for (size_t i = 0; paths[i]; i++)
        free(paths[i]);
    free(paths);
}

int el_loader_set_stub_sources(struct el_loader *l, const char *stub_dir,
                               const char *const *discovery_roots, size_t n_roots)
{
    if (!l || (n_roots && !discovery_roots))
        return EL_E_ARG;
    if (n_roots > ELI_MAX_ROOTS)
        n_roots = ELI_MAX_ROOTS;
    free(l->stub_dir);
    l->stub_dir = NULL;
    for (size_t i = 0; i < l->n_roots; i++)
        free(l->roots[i]);
    l->n_roots = 0;
    if (stub_dir && stub_dir[0]) {
        l->stub_dir = strdup(stub_dir);
        if (!l->stub_dir)
            return EL_E_NOMEM;
    }
    for (size_t i = 0; i < n_roots; i++) {
        if (!discovery_roots[i])
            continue;
        l->roots[l->n_roots] = strdup(discovery_roots[i]);
        if (!l->roots[l->n_roots])
            return EL_E_NOMEM;
        l->n_roots++;
    }
    return EL_OK;
}

const char *el_loader_stub_origin(const struct el_loader *l)
{
    return l && l->stub && l->stub_origin[0] ? l->stub_origin : NULL;
}

/* ---------------------------------------------------------------------------------- */
/* upload                                                                               */

int eli_mem_upload(struct el_loader *l, uint32_t addr, const uint8_t *data, size_t len,
                   enum el_progress_op op)
{
    uint32_t blocks = (uint32_t)((len + EL_RAM_BLOCK - 1) / EL_RAM_BLOCK);
    uint8_t d[16];
    el_put_le32(d, (uint32_t)len);
    el_put_le32(d + 4, blocks);
    el_put_le32(d + 8, EL_RAM_BLOCK);
    el_put_le32(d + 12, addr);
    int rc = eli_check(l, "enter RAM download mode", EL_OP_MEM_BEGIN, d, 16, 0,
                       l->tuning.timeout_ms, NULL, NULL, NULL);
    if (rc != EL_OK)
        return rc;
    struct el_progress pr = {
        .op = op, .start = addr, .addr = addr, .total = len, .wire_total = len, .blocks = blocks};
    for (uint32_t seq = 0; seq < blocks; seq++) {
        size_t off = (size_t)seq * EL_RAM_BLOCK;
        size_t n = len - off < EL_RAM_BLOCK ? len - off : EL_RAM_BLOCK;
        uint8_t blk[EL_DATA_HDR_LEN + EL_RAM_BLOCK];
        el_put_le32(blk, (uint32_t)n);
        el_put_le32(blk + 4, seq);
        el_put_le32(blk + 8, 0);
        el_put_le32(blk + 12, 0);
        memcpy(blk + EL_DATA_HDR_LEN, data + off, n);
        pr.addr = addr + (uint32_t)off;
        pr.block = seq;
        pr.done = pr.wire_done = off;
        eli_progress(l, &pr);
        char what[48];
        snprintf(what, sizeof(what), "write to target RAM");
        rc = eli_check(l, what, EL_OP_MEM_DATA, blk, EL_DATA_HDR_LEN + n,
                       el_checksum(data + off, n, EL_CHECKSUM_SEED), l->tuning.timeout_ms, NULL,
                       NULL, NULL);
        if (rc != EL_OK)
            return rc;
    }
    pr.block = blocks;
    pr.done = pr.wire_done = len;
    pr.addr = addr + (uint32_t)len;
    eli_progress(l, &pr);
    return EL_OK;
}

int eli_mem_end(struct el_loader *l, uint32_t entry)
{
    uint8_t d[8];
    el_put_le32(d, entry == 0 ? 1 : 0);
    el_put_le32(d + 4, entry);
    unsigned t = l->stub ? l->tuning.timeout_ms : l->tuning.mem_end_rom_timeout_ms;
    int rc = eli_check(l, "leave RAM download mode", EL_OP_MEM_END, d, 8, 0, t, NULL, NULL, NULL);
    if (rc == EL_E_TIMEOUT && !l->stub) {
        /* the ROM may jump before its reply is out (esptool mem_finish ignores this) */
        eli_clear_error(l);
        return EL_OK;
    }
    return rc;
}

static int upload_image(struct el_loader *l, const struct el_stub_image *img)
{
    eli_event(l, EL_EV_STUB_UPLOADING, 0, 0, 0, NULL);
    int rc = eli_mem_upload(l, img->text_start, img->text, img->text_len, EL_PROG_RAM);
    if (rc == EL_OK && img->data && img->data_len)
        rc = eli_mem_upload(l, img->data_start, img->data, img->data_len, EL_PROG_RAM);
    if (rc != EL_OK)
        return rc;
    eli_event(l, EL_EV_STUB_RUNNING, 0, 0, 0, NULL);
    rc = eli_mem_end(l, img->entry);
    if (rc != EL_OK)
        return rc;
    /* the stub greets with a raw "OHAI" frame once it has zeroed its BSS */
    for (int i = 0; i < 8; i++) {
        const uint8_t *f;
        size_t n;
        rc = eli_read_frame(l, OHAI_TIMEOUT_MS, &f, &n);
        if (rc != EL_OK)
            return eli_fail(l, EL_E_PROTO, "Failed to start stub flasher: no greeting (%s)",
                            l->errmsg);
        if (n == 4 && memcmp(f, EL_STUB_GREETING, 4) == 0) {
            l->stub = true;
            snprintf(l->stub_origin, sizeof(l->stub_origin), "%s", img->origin ? img->origin : "?");
            eli_event(l, EL_EV_STUB_STARTED, 0, 0, 0, NULL);
            return EL_OK;
        }
        /* a late MEM_END reply from the ROM is fine; anything else is not */
        if (!(n >= EL_HDR_LEN && f[0] == 1 && f[1] == EL_OP_MEM_END))
            return eli_fail(l, EL_E_PROTO, "Failed to start stub flasher: unexpected reply");
    }
    return eli_fail(l, EL_E_PROTO, "Failed to start stub flasher");
}

int el_loader_run_stub(struct el_loader *l, const struct el_stub_image *img)
{
    if (!l)
        return EL_E_ARG;
    eli_clear_error(l);
    if (!l->connected || !l->chip)
        return eli_fail(l, EL_E_ARG, "not connected");
    if (l->stub)
        return EL_OK;
    if (img)
        return upload_image(l, img);
    char err[512];
    /* 1. the caller's stub directory: errors there are errors */
    if (l->stub_dir) {
        const char *roots[1] = {l->stub_dir};
        char **paths;
        size_t n;
        int rc = el_stub_candidates(l->chip->id, roots, 1, &paths, &n);
        if (rc != EL_OK)
            return eli_fail(l, rc, "cannot search the stub directory");
        if (n) {
            struct el_stub_image *j = NULL;
            rc = el_stub_load_json(paths[0], &j, err, sizeof(err));
            el_stub_paths_free(paths);
            if (rc != EL_OK)
                return eli_fail(l, rc, "%s", err);
            el_stub_image_free(l->loaded_stub);
            l->loaded_stub = j;
            eli_event(l, EL_EV_STUB_SOURCE, 0, 0, 0, j->origin);
            return upload_image(l, j);
        }
        el_stub_paths_free(paths);
        eli_event(l, EL_EV_DEBUG, 0, 0, 0, "no stub for this chip in the stub directory");
    }
    /* 2. the built-in stub */
    const struct el_stub_image *b = el_builtin_stub(l->chip->id);
    if (b) {
        eli_event(l, EL_EV_STUB_SOURCE, 0, 0, 0, b->origin ? b->origin : "built-in");
        return upload_image(l, b);
    }
    /* 3. an installed esptool / esptool-js */
    if (l->n_roots) {
        char **paths;
        size_t n;
        int rc =
            el_stub_candidates(l->chip->id, (const char *const *)l->roots, l->n_roots, &paths, &n);
        if (rc == EL_OK) {
            for (size_t i = 0; i < n; i++) {
                struct el_stub_image *j = NULL;
                if (el_stub_load_json(paths[i], &j, err, sizeof(err)) != EL_OK) {
                    eli_event(l, EL_EV_DEBUG, 0, 0, 0, err);
                    continue;
                }
                el_stub_paths_free(paths);
                el_stub_image_free(l->loaded_stub);
                l->loaded_stub = j;
                eli_event(l, EL_EV_STUB_SOURCE, 0, 0, 0, j->origin);
                return upload_image(l, j);
            }
            el_stub_paths_free(paths);
        }
    }
    eli_event(l, EL_EV_STUB_NONE, 0, 0, 0, l->chip->display);
    return eli_fail(l, EL_E_UNSUPPORTED, "no flasher stub available for %s", l->chip->display);
}

/* ---------------------------------------------------------------------------------- */
/* memory                                                                               */

int el_loader_dump_mem(struct el_loader *l, uint32_t addr, uint8_t *buf, size_t len)
{
    if (!l || (len && !buf) || (len % 4) || (addr % 4))
        return EL_E_ARG;
    eli_clear_error(l);
    struct el_progress pr = {.op = EL_PROG_DUMP,
                             .start = addr,
                             .total = len,
                             .wire_total = len,
                             .blocks = (uint32_t)(len / 4)};
    for (size_t off = 0; off < len; off += 4) {
        uint32_t v;
        int rc = el_loader_read_reg(l, addr + (uint32_t)off, &v);
        if (rc != EL_OK)
            return rc;
        el_put_le32(buf + off, v);
        if ((off / 4) % 256 == 255 || off + 4 == len) {
            pr.done = pr.wire_done = off + 4;
            pr.addr = addr + (uint32_t)(off + 4);
            pr.block = (uint32_t)((off + 4) / 4);
            eli_progress(l, &pr);
        }
    }
    return EL_OK;
}

int el_loader_load_ram(struct el_loader *l, const struct el_ram_segment *segs, size_t n,
                       uint32_t entry, bool run)
{
    if (!l || (n && !segs))
        return EL_E_ARG;
    eli_clear_error(l);
    for (size_t i = 0; i < n; i++) {
        if (!segs[i].data && segs[i].len)
            return EL_E_ARG;
        int rc = eli_mem_upload(l, segs[i].addr, segs[i].data, segs[i].len, EL_PROG_RAM);
        if (rc != EL_OK)
            return rc;
    }
    if (!run)
        return EL_OK;
    return eli_mem_end(l, entry);
}
