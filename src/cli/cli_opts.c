/* SPDX-License-Identifier: MIT */
/* Declarative option parsing for the espload commands (argparse/click compatible subset). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_int.h"

bool cli_parse_int(const char *s, long long *out)
{
    *out = 0;
    if (!s)
        return false;
    while (*s == ' ' || *s == '\t')
        s++;
    bool neg = false;
    if (*s == '-' || *s == '+') {
        neg = *s == '-';
        s++;
    }
    int base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    } else if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O')) {
        base = 8;
        s += 2;
    } else if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B')) {
        base = 2;
        s += 2;
    }
    if (base != 10 && *s == '_') /* Python allows 0x_1f */
        s++;
    unsigned long long v = 0;
    size_t ndig = 0;
    bool first_zero = false, prev_us = true;
    for (; *s && *s != ' ' && *s != '\t'; s++) {
        if (*s == '_') {
            if (prev_us)
                return false;
            prev_us = true;
            continue;
        }
        int d;
        char c = *s;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return false;
        if (d >= base)
            return false;
        /* decimal literals may not have leading zeros unless all digits are zero */
        if (ndig == 0)
            first_zero = d == 0;
        else if (base == 10 && first_zero && d != 0)
            return false;
        if (v > (ULLONG_MAX - (unsigned)d) / (unsigned)base)
            return false;
        v = v * (unsigned)base + (unsigned)d;
        ndig++;
        prev_us = false;
    }
    while (*s == ' ' || *s == '\t')
        s++;
    if (*s || ndig == 0 || prev_us)
        return false;
    if (v > (unsigned long long)LLONG_MAX)
        return false;
    *out = neg ? -(long long)v : (long long)v;
    return true;
}

bool cli_parse_size(const char *s, bool allow_all, long long *out, bool *is_all)
{
    *out = 0;
    if (is_all)
        *is_all = false;
    if (!s || !*s)
        return false;
    if (allow_all && (strcmp(s, "all") == 0 || strcmp(s, "ALL") == 0 || strcmp(s, "All") == 0)) {
        if (is_all)
            *is_all = true;
        return true;
    }
    size_t n = strlen(s);
    long long mul = 1;
    char buf[64];
    if (n >= sizeof(buf))
        return false;
    memcpy(buf, s, n + 1);
    if (n > 1 && (buf[n - 1] == 'k' || buf[n - 1] == 'M')) {
        /* "0x10k" would be ambiguous with hex digits only for 'k'/'M', which are not hex */
        mul = buf[n - 1] == 'k' ? 1024 : 1024 * 1024;
        buf[n - 1] = 0;
    }
    long long v;
    if (!cli_parse_int(buf, &v) || v < 0 || v > LLONG_MAX / mul)
        return false;
    *out = v * mul;
    return true;
}

bool cli_parse_u32(const char *s, uint32_t *out)
{
    long long v;
    *out = 0;
    if (!cli_parse_int(s, &v) || v < 0 || v > 0xFFFFFFFFLL)
        return false;
    *out = (uint32_t)v;
    return true;
}

/* Long option names compare equal when they differ only in '_' vs '-'. Returns 2 for an
 * exact match, 1 for a prefix match, 0 otherwise. */
static int name_match(const char *given, size_t glen, const char *name)
{
    if (!name)
        return 0;
    size_t i = 0;
    for (; i < glen; i++) {
        char a = given[i] == '_' ? '-' : given[i];
        char b = name[i] == '_' ? '-' : name[i];
        if (!name[i] || a != b)
            return 0;
    }
    return name[i] ? 1 : 2;
}

static bool in_choices(const char *const *choices, const char *v)
{
    for (size_t i = 0; choices[i]; i++)
        if (strcmp(choices[i], v) == 0)
            return true;
    return false;
}

static void choices_str(const char *const *choices, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = 0;
    for (size_t i = 0; choices[i] && used + 4 < cap; i++) {
        int n = snprintf(buf + used, cap - used, "%s'%s'", i ? ", " : "", choices[i]);
        if (n < 0)
            break;
        used += (size_t)n;
        if (used >= cap)
            used = cap - 1;
    }
}

static void opt_label(const struct cli_opt *o, char *buf, size_t cap)
{
    if (o->shrt)
        snprintf(buf, cap, "--%s/-%s", o->name, o->shrt);
    else
        snprintf(buf, cap, "--%s", o->name);
}

/* Stores value into o; returns 0 or EXIT_USAGE (message printed). */
static int store(const char *prog, const struct cli_opt *o, const char *value)
{
    char lab[80];
    opt_label(o, lab, sizeof(lab));
    if (o->seen)
        *o->seen = true;
    switch (o->kind) {
    case OPT_FLAG:
        *(bool *)o->dest = true;
        return 0;
    case OPT_STR:
    case OPT_OPTSTR:
        if (o->choices && !in_choices(o->choices, value)) {
            char ch[600];
            choices_str(o->choices, ch, sizeof(ch));
            return cli_usage_error(prog, "argument %s: invalid choice: '%s' (choose from %s)", lab,
                                   value, ch);
        }
        *(const char **)o->dest = value;
        return 0;
    case OPT_INT: {
        long long v;
        if (!cli_parse_int(value, &v))
            return cli_usage_error(prog, "argument %s: invalid integer value: '%s'", lab, value);
        *(long long *)o->dest = v;
        return 0;
    }
    case OPT_LIST:
        if (*o->count >= o->cap)
            return cli_usage_error(prog, "argument %s: given more than %zu times", lab, o->cap);
        ((const char **)o->dest)[(*o->count)++] = value;
        return 0;
    }
    return 0;
}

static bool looks_negative_number(const char *a)
{
    return a[0] == '-' && a[1] >= '0' && a[1] <= '9';
}

int cli_parse(const char *prog, const struct cli_opt *opts, int argc, char **argv, int *npos,
              bool stop_at_positional, const char *usage, const char *description)
{
    int np = 0;
    bool only_pos = false;
    int i = 1;
    for (; i < argc; i++) {
        char *a = argv[i];
        if (only_pos || a[0] != '-' || a[1] == 0 || looks_negative_number(a)) {
            if (stop_at_positional)
                break;
            argv[1 + np++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            if (stop_at_positional) {
                i++;
                break;
            }
            only_pos = true;
            continue;
        }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            cli_print_help(stdout, prog, opts, usage, description);
            return CLI_HELP_SHOWN;
        }
        const struct cli_opt *o = NULL;
        const char *value = NULL;
        if (a[1] == '-') {
            const char *name = a + 2;
            const char *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            const struct cli_opt *prefix = NULL;
            int nprefix = 0;
            for (const struct cli_opt *p = opts; p && p->name; p++) {
                int m = name_match(name, len, p->name);
                int m2 = name_match(name, len, p->alias);
                if (m == 2 || m2 == 2) {
                    o = p;
                    break;
                }
                if (m == 1 || m2 == 1) {
                    if (prefix != p)
                        nprefix++;
                    prefix = p;
                }
            }
            if (!o && nprefix == 1)
                o = prefix;
            if (!o) {
                if (nprefix > 1)
                    return cli_usage_error(prog, "ambiguous option: --%.*s", (int)len, name);
                return cli_usage_error(prog, "unrecognized argument: --%.*s", (int)len, name);
            }
            if (eq) {
                if (o->kind == OPT_FLAG)
                    return cli_usage_error(prog, "argument --%s: ignored explicit argument '%s'",
                                           o->name, eq + 1);
                value = eq + 1;
            }
        } else {
            const char *s = a + 1;
            /* exact short name first ("-fm"), then a one-letter short with attached value */
            for (const struct cli_opt *p = opts; p && p->name; p++)
                if (p->shrt && strcmp(p->shrt, s) == 0) {
                    o = p;
                    break;
                }
            if (!o) {
                for (const struct cli_opt *p = opts; p && p->name; p++)
                    if (p->shrt && p->shrt[1] == 0 && p->shrt[0] == s[0] && p->kind != OPT_FLAG) {
                        o = p;
                        value = s + 1;
                        break;
                    }
            }
            if (!o) {
                /* a group of one-letter flags: -zu */
                size_t n = strlen(s);
                bool all = n > 1;
                for (size_t k = 0; k < n && all; k++) {
                    bool found = false;
                    for (const struct cli_opt *p = opts; p && p->name; p++)
                        if (p->shrt && p->shrt[1] == 0 && p->shrt[0] == s[k] && p->kind == OPT_FLAG)
                            found = true;
                    all = found;
                }
                if (all) {
                    for (size_t k = 0; k < n; k++)
                        for (const struct cli_opt *p = opts; p && p->name; p++)
                            if (p->shrt && p->shrt[1] == 0 && p->shrt[0] == s[k] &&
                                p->kind == OPT_FLAG)
                                store(prog, p, NULL);
                    continue;
                }
                return cli_usage_error(prog, "unrecognized argument: %s", a);
            }
        }
        if (o->kind == OPT_FLAG) {
            store(prog, o, NULL);
            continue;
        }
        if (!value) {
            if (o->kind == OPT_OPTSTR) {
                if (i + 1 < argc && o->choices && in_choices(o->choices, argv[i + 1]))
                    value = argv[++i];
                else {
                    if (o->seen)
                        *o->seen = true;
                    continue;
                }
            } else {
                if (i + 1 >= argc) {
                    char lab[80];
                    opt_label(o, lab, sizeof(lab));
                    return cli_usage_error(prog, "argument %s: expected one argument", lab);
                }
                value = argv[++i];
            }
        }
        int rc = store(prog, o, value);
        if (rc)
            return rc;
    }
    if (stop_at_positional) {
        /* move the rest (command and its arguments) down, in order */
        for (; i < argc; i++)
            argv[1 + np++] = argv[i];
    }
    *npos = np;
    return 0;
}

void cli_print_help(FILE *f, const char *prog, const struct cli_opt *opts, const char *usage,
                    const char *description)
{
    fprintf(f, "usage: %s%s%s\n", prog, usage && *usage ? " " : "", usage ? usage : "");
    if (description && *description)
        fprintf(f, "\n%s\n", description);
    if (!opts || !opts->name)
        return;
    fprintf(f, "\noptions:\n");
    for (const struct cli_opt *o = opts; o->name; o++) {
        char left[120];
        int n = snprintf(left, sizeof(left), "  --%s", o->name);
        if (o->shrt && n > 0 && (size_t)n < sizeof(left))
            n += snprintf(left + n, sizeof(left) - (size_t)n, ", -%s", o->shrt);
        if (o->kind != OPT_FLAG && n > 0 && (size_t)n < sizeof(left))
            snprintf(left + n, sizeof(left) - (size_t)n, " %s%s%s",
                     o->kind == OPT_OPTSTR ? "[" : "", o->metavar ? o->metavar : "VALUE",
                     o->kind == OPT_OPTSTR ? "]" : "");
        fprintf(f, "%-34s %s", left, o->help ? o->help : "");
        if (o->choices) {
            fputs(" {", f);
            for (size_t k = 0; o->choices[k]; k++)
                fprintf(f, "%s%s", k ? "," : "", o->choices[k]);
            fputs("}", f);
        }
        if (o->alias)
            fprintf(f, " (also --%s)", o->alias);
        fputc('\n', f);
    }
}
