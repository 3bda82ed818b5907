/* SPDX-License-Identifier: MIT */
/* Fault injection: parsed from "fault=" options, applied to the host byte stream and to
 * request frames. Each fault fires once. */
#include "elsim_int.h"
#include "espload/proto.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int parse_op(const char *s, size_t n, int *op)
{
    char name[32];
    if (n == 0 || n >= sizeof(name))
        return -1;
    memcpy(name, s, n);
    name[n] = '\0';
    for (int i = 0; i < 256; i++) {
        const char *on = el_op_name((uint8_t)i);
        if (on && !strcasecmp(on, name)) {
            *op = i;
            return 0;
        }
    }
    char *end;
    errno = 0;
    unsigned long v = strtoul(name, &end, 0);
    if (errno || *end || v > 255)
        return -1;
    *op = (int)v;
    return 0;
}

static int parse_one(struct elsim_cfg *cfg, const char *spec, size_t len, char *err, size_t errlen)
{
    static const struct {
        const char *name;
        enum elsim_fault_kind kind;
        bool by_op;
    } kinds[] = {
        {"drop", ELSIM_FAULT_DROP, false},   {"corrupt", ELSIM_FAULT_CORRUPT, false},
        {"stall", ELSIM_FAULT_STALL, false}, {"vanish", ELSIM_FAULT_VANISH, false},
        {"reset", ELSIM_FAULT_RESET, true},  {"status", ELSIM_FAULT_STATUS, true},
    };
    char buf[96];
    if (len == 0 || len >= sizeof(buf))
        return fail(err, errlen, "bad fault '%.*s'; see the fault syntax (--help)", (int)len, spec);
    memcpy(buf, spec, len);
    buf[len] = '\0';
    char *at = strchr(buf, '@');
    if (!at)
        return fail(err, errlen, "bad fault '%s'; expected KIND@WHERE, e.g. drop@100", buf);
    *at = '\0';
    const char *where = at + 1;
    if (cfg->n_faults >= ELSIM_MAX_FAULTS)
        return fail(err, errlen, "too many faults (at most %d)", ELSIM_MAX_FAULTS);
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        if (strcasecmp(buf, kinds[i].name))
            continue;
        struct elsim_fault f = {.kind = kinds[i].kind, .op = -1, .code = -1};
        char *end;
        if (!kinds[i].by_op) {
            errno = 0;
            unsigned long long n = strtoull(where, &end, 0);
            if (!*where || *where == '-' || errno || *end)
                return fail(err, errlen, "bad fault '%s@%s'; N must be a byte index", buf, where);
            f.n = n;
        } else {
            const char *colon = strchr(where, ':');
            if (!colon || parse_op(where, (size_t)(colon - where), &f.op))
                return fail(err, errlen,
                            "bad fault '%s@%s'; expected %s@OPNAME:K, e.g. %s@FLASH_DATA:3", buf,
                            where, buf, buf);
            errno = 0;
            unsigned long long n = strtoull(colon + 1, &end, 0);
            if (colon[1] == '-' || errno || end == colon + 1 || n == 0)
                return fail(err, errlen, "bad fault '%s@%s'; K counts from 1", buf, where);
            f.n = n;
            if (*end == '=' && f.kind == ELSIM_FAULT_STATUS) {
                char *e2;
                errno = 0;
                unsigned long c = strtoul(end + 1, &e2, 0);
                if (errno || *e2 || e2 == end + 1 || c > 255 || c == 0)
                    return fail(err, errlen, "bad fault '%s@%s'; CODE is 1..255", buf, where);
                f.code = (int)c;
            } else if (*end) {
                return fail(err, errlen, "bad fault '%s@%s'; trailing '%s'", buf, where, end);
            }
        }
        cfg->faults[cfg->n_faults++] = f;
        return 0;
    }
    return fail(err, errlen,
                "unknown fault kind '%s'; use drop, corrupt, stall, vanish, reset or status", buf);
}

int eli_fault_parse(struct elsim_cfg *cfg, const char *spec, char *err, size_t errlen)
{
    if (!spec || !*spec)
        return fail(err, errlen, "empty fault; expected e.g. drop@100");
    size_t before = cfg->n_faults;
    const char *p = spec;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (parse_one(cfg, p, n, err, errlen)) {
            cfg->n_faults = before;
            return -1;
        }
        p += n;
        if (*p == ',')
            p++;
    }
    return 0;
}

int eli_fault_on_byte(struct elsim *d, uint8_t b)
{
    uint64_t idx = d->in_index++;
    int out = b;
    for (size_t i = 0; i < d->cfg.n_faults; i++) {
        struct elsim_fault *f = &d->cfg.faults[i];
        if (f->fired || f->n != idx)
            continue;
        switch (f->kind) {
        case ELSIM_FAULT_DROP:
            f->fired = true;
            eli_tr_note(d, "fault drop", d->now);
            out = -1;
            break;
        case ELSIM_FAULT_CORRUPT:
            f->fired = true;
            eli_tr_note(d, "fault corrupt", d->now);
            if (out >= 0)
                out ^= 0xFF;
            break;
        case ELSIM_FAULT_STALL:
            f->fired = true;
            eli_tr_note(d, "fault stall", d->now);
            d->state = ELSIM_ST_STALL;
            break;
        case ELSIM_FAULT_VANISH:
            f->fired = true;
            eli_tr_note(d, "fault vanish", d->now);
            d->state = ELSIM_ST_GONE;
            break;
        default:
            break;
        }
    }
    return out;
}

struct elsim_fault *eli_fault_on_frame(struct elsim *d, uint8_t op)
{
    uint32_t count = d->op_count[op];
    for (size_t i = 0; i < d->cfg.n_faults; i++) {
        struct elsim_fault *f = &d->cfg.faults[i];
        if (f->fired || f->op != op || f->n != count)
            continue;
        if (f->kind != ELSIM_FAULT_RESET && f->kind != ELSIM_FAULT_STATUS)
            continue;
        f->fired = true;
        return f;
    }
    return NULL;
}
