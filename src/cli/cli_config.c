/* SPDX-License-Identifier: MIT */
/*
 * esptool's configuration file (esptool.cfg, setup.cfg, tox.ini or ESPTOOL_CFGFILE): a small
 * INI reader with configparser's rules, the mapping of the [esptool] options onto the
 * loader's tuning and the connect options, and the search in esptool's order.
 */
#include "cli/cli_config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifndef _WIN32
#include <pwd.h>
#endif

#include "cli/cli_int.h"
#include "espload/err.h"

/* ---- INI reader ---- */

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* [b, e) without surrounding whitespace */
static void trim(const char **b, const char **e)
{
    while (*b < *e && is_blank(**b))
        (*b)++;
    while (*e > *b && is_blank((*e)[-1]))
        (*e)--;
}

static char *dup_range(const char *b, const char *e)
{
    size_t n = (size_t)(e - b);
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, b, n);
        s[n] = 0;
    }
    return s;
}

void cli_ini_free(struct cli_ini *ini)
{
    if (!ini)
        return;
    for (size_t i = 0; i < ini->n; i++) {
        free(ini->e[i].key);
        free(ini->e[i].value);
    }
    free(ini->e);
    memset(ini, 0, sizeof(*ini));
}

const char *cli_ini_get(const struct cli_ini *ini, const char *key)
{
    for (size_t i = 0; ini && i < ini->n; i++)
        if (strcmp(ini->e[i].key, key) == 0)
            return ini->e[i].value;
    return NULL;
}

/* Keys of the current section, for the duplicate check of sections we do not keep. */
struct keyset {
    char **k;
    size_t n;
};

static void keyset_clear(struct keyset *ks)
{
    for (size_t i = 0; i < ks->n; i++)
        free(ks->k[i]);
    ks->n = 0;
}

static int ini_fail(char *err, size_t errlen, unsigned line, const char *why)
{
    if (err && errlen)
        snprintf(err, errlen, "line %u: %s", line, why);
    return -1;
}

int cli_ini_parse(const char *text, size_t len, const char *section, struct cli_ini *out, char *err,
                  size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (err && errlen)
        err[0] = 0;
    if (len > CLI_INI_MAX_FILE)
        return ini_fail(err, errlen, 0, "file too large for a configuration file");
    if (memchr(text, 0, len))
        return ini_fail(err, errlen, 0, "the file holds NUL bytes (not a text file)");
    /* section names seen (the duplicate check), kept as one string "\n<name>\n<name>..." */
    char *seen = calloc(1, 1);
    size_t seen_len = 0;
    struct keyset ks = {calloc(CLI_INI_MAX_ENTRIES, sizeof(char *)), 0};
    int rc = 0;
    if (!seen || !ks.k) {
        rc = ini_fail(err, errlen, 0, "out of memory");
        goto done;
    }
    out->e = calloc(CLI_INI_MAX_ENTRIES, sizeof(*out->e));
    if (!out->e) {
        rc = ini_fail(err, errlen, 0, "out of memory");
        goto done;
    }
    bool in_section = false, in_wanted = false;
    char **cur_value = NULL; /* value a continuation line extends (wanted section only) */
    bool continuing = false; /* a key line is open for continuation */
    size_t key_indent = 0;
    unsigned lineno = 0;
    size_t pos = 0;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        pos = 3; /* UTF-8 byte order mark */
    while (pos < len && rc == 0) {
        lineno++;
        const char *b = text + pos;
        const char *nl = memchr(b, '\n', len - pos);
        const char *e = nl ? nl : text + len;
        pos = nl ? (size_t)(nl - text) + 1 : len;
        if ((size_t)(e - b) > CLI_INI_MAX_LINE) {
            char why[80];
            snprintf(why, sizeof(why), "line longer than %u characters", CLI_INI_MAX_LINE);
            rc = ini_fail(err, errlen, lineno, why);
            break;
        }
        size_t indent = 0;
        while (b + indent < e && is_blank(b[indent]))
            indent++;
        const char *sb = b, *se = e;
        trim(&sb, &se);
        if (sb == se || *sb == '#' || *sb == ';') {
            continuing = false; /* blank and comment lines end a value */
            continue;
        }
        if (continuing && indent > key_indent) {
            if (cur_value) {
                size_t ol = strlen(*cur_value), al = (size_t)(se - sb);
                char *nv = realloc(*cur_value, ol + 1 + al + 1);
                if (!nv) {
                    rc = ini_fail(err, errlen, lineno, "out of memory");
                    break;
                }
                nv[ol] = '\n';
                memcpy(nv + ol + 1, sb, al);
                nv[ol + 1 + al] = 0;
                *cur_value = nv;
            }
            continue;
        }
        continuing = false;
        cur_value = NULL;
        if (*sb == '[') {
            const char *close = se;
            while (close > sb && close[-1] != ']')
                close--;
            if (close > sb && close - 1 > sb + 1) {
                const char *nb = sb + 1, *ne = close - 1;
                size_t nl_len = (size_t)(ne - nb);
                /* duplicate section? */
                for (const char *p = seen; (p = strchr(p, '\n')) != NULL; p++) {
                    if (strncmp(p + 1, nb, nl_len) == 0 &&
                        (p[1 + nl_len] == '\n' || p[1 + nl_len] == 0)) {
                        char why[CLI_INI_MAX_LINE + 40];
                        snprintf(why, sizeof(why), "section '%.*s' already exists", (int)nl_len,
                                 nb);
                        rc = ini_fail(err, errlen, lineno, why);
                        break;
                    }
                }
                if (rc)
                    break;
                char *ns = realloc(seen, seen_len + nl_len + 2);
                if (!ns) {
                    rc = ini_fail(err, errlen, lineno, "out of memory");
                    break;
                }
                seen = ns;
                seen[seen_len] = '\n';
                memcpy(seen + seen_len + 1, nb, nl_len);
                seen_len += nl_len + 1;
                seen[seen_len] = 0;
                in_section = true;
                in_wanted = strlen(section) == nl_len && strncmp(section, nb, nl_len) == 0;
                if (in_wanted)
                    out->found = true;
                keyset_clear(&ks);
                continue;
            }
        }
        if (!in_section) {
            rc = ini_fail(err, errlen, lineno, "a key before the first [section] header");
            break;
        }
        const char *d = sb;
        while (d < se && *d != '=' && *d != ':')
            d++;
        if (d == se) {
            rc = ini_fail(err, errlen, lineno, "not a section header nor 'key = value'");
            break;
        }
        const char *kb = sb, *ke = d, *vb = d + 1, *ve = se;
        trim(&kb, &ke);
        trim(&vb, &ve);
        if (kb == ke) {
            rc = ini_fail(err, errlen, lineno, "a value without a key");
            break;
        }
        char *key = dup_range(kb, ke);
        if (!key) {
            rc = ini_fail(err, errlen, lineno, "out of memory");
            break;
        }
        for (char *k = key; *k; k++)
            *k = (char)tolower((unsigned char)*k);
        for (size_t i = 0; i < ks.n; i++) {
            if (strcmp(ks.k[i], key) == 0) {
                char why[CLI_INI_MAX_LINE + 40];
                snprintf(why, sizeof(why), "option '%s' already exists in this section", key);
                rc = ini_fail(err, errlen, lineno, why);
                break;
            }
        }
        if (rc == 0 && ks.n >= CLI_INI_MAX_ENTRIES) {
            char why[80];
            snprintf(why, sizeof(why), "more than %u keys in a section", CLI_INI_MAX_ENTRIES);
            rc = ini_fail(err, errlen, lineno, why);
        }
        if (rc) {
            free(key);
            break;
        }
        ks.k[ks.n++] = key;
        continuing = true;
        key_indent = indent;
        if (in_wanted) {
            struct cli_ini_entry *en = &out->e[out->n];
            en->key = strdup(key);
            en->value = dup_range(vb, ve);
            en->line = lineno;
            if (!en->key || !en->value) {
                free(en->key);
                free(en->value);
                rc = ini_fail(err, errlen, lineno, "out of memory");
                break;
            }
            out->n++;
            cur_value = &en->value;
        }
    }
done:
    keyset_clear(&ks);
    free(ks.k);
    free(seen);
    if (rc)
        cli_ini_free(out);
    return rc;
}

/* ---- options ---- */

static const char *const known_options[] = {
    "chip_erase_timeout",
    "connect_attempts",
    "custom_hard_reset_sequence",
    "custom_reset_sequence",
    "erase_region_timeout_per_mb",
    "erase_write_timeout_per_mb",
    "max_timeout",
    "md5_timeout_per_mb",
    "mem_end_rom_timeout",
    "open_port_attempts",
    "reset_delay",
    "serial_write_timeout",
    "sync_timeout",
    "timeout",
    "write_block_attempts",
};

static bool is_known(const char *k)
{
    for (size_t i = 0; i < sizeof(known_options) / sizeof(known_options[0]); i++)
        if (strcmp(known_options[i], k) == 0)
            return true;
    return false;
}

void cli_config_init(struct cli_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    el_tuning_init(&cfg->tuning);
}

#define MAX_SECONDS 86400.0

/* Seconds as Python's float(): a decimal or exponent number, finite. */
static bool parse_seconds(const char *s, double *out)
{
    const char *b = s, *e = s + strlen(s);
    trim(&b, &e);
    if (b == e || (size_t)(e - b) > 64)
        return false;
    char buf[72];
    memcpy(buf, b, (size_t)(e - b));
    buf[e - b] = 0;
    for (const char *p = buf; *p; p++)
        if (!isdigit((unsigned char)*p) && !strchr("+-.eE", *p))
            return false; /* no hex floats, inf or nan */
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    if (*end || errno || !isfinite(v))
        return false;
    *out = v;
    return true;
}

/* Integers as Python's int(): optional sign, decimal digits. */
static bool parse_count(const char *s, long long *out)
{
    const char *b = s, *e = s + strlen(s);
    trim(&b, &e);
    if (b == e || (size_t)(e - b) > 20)
        return false;
    char buf[24];
    memcpy(buf, b, (size_t)(e - b));
    buf[e - b] = 0;
    const char *p = buf;
    if (*p == '+' || *p == '-')
        p++;
    if (!*p)
        return false;
    for (; *p; p++)
        if (!isdigit((unsigned char)*p))
            return false;
    errno = 0;
    long long v = strtoll(buf, NULL, 10);
    if (errno)
        return false;
    *out = v;
    return true;
}

static int bad_value(char *err, size_t errlen, const char *key, const char *value,
                     const char *expected)
{
    snprintf(err, errlen, "invalid value '%.80s' for %s: %s", value, key, expected);
    return -1;
}

/* A time in seconds to milliseconds; allow_zero for reset_delay. */
static int map_ms(const struct cli_ini *ini, const char *key, bool allow_zero, unsigned *ms,
                  bool *given, char *err, size_t errlen)
{
    const char *v = cli_ini_get(ini, key);
    if (given)
        *given = v != NULL;
    if (!v)
        return 0;
    double s;
    if (!parse_seconds(v, &s) || s < 0 || (!allow_zero && s <= 0) || s > MAX_SECONDS)
        return bad_value(err, errlen, key, v,
                         allow_zero ? "expected seconds from 0 to 86400 (e.g. 0.05)"
                                    : "expected seconds greater than 0, at most 86400 (e.g. 3 "
                                      "or 0.5)");
    double m = s * 1000.0 + 0.5;
    unsigned r = (unsigned)m;
    if (r == 0 && s > 0)
        r = 1;
    *ms = r;
    return 0;
}

static int map_count(const struct cli_ini *ini, const char *key, long long lo, long long hi,
                     const char *expected, long long *out, bool *given, char *err, size_t errlen)
{
    const char *v = cli_ini_get(ini, key);
    *given = v != NULL;
    if (!v)
        return 0;
    long long n;
    if (!parse_count(v, &n) || n < lo || n > hi)
        return bad_value(err, errlen, key, v, expected);
    *out = n;
    return 0;
}

static int map_sequence(const struct cli_ini *ini, const char *key, char *dst, char *err,
                        size_t errlen)
{
    const char *v = cli_ini_get(ini, key);
    if (!v)
        return 0;
    struct el_reset_step steps[EL_RESET_MAX_STEPS];
    size_t n = 0;
    char perr[200] = "";
    if (strlen(v) >= CLI_CFG_SEQ_MAX)
        return bad_value(err, errlen, key, v, "the sequence is too long");
    if (el_reset_parse(v, steps, EL_RESET_MAX_STEPS, &n, perr, sizeof(perr)) != EL_OK || n == 0) {
        const char *why = n == 0 && !perr[0] ? "the sequence is empty" : perr;
        snprintf(err, errlen, "invalid value '%.80s' for %s: %s", v, key, why);
        return -1;
    }
    snprintf(dst, CLI_CFG_SEQ_MAX, "%s", v);
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int cli_config_map(const struct cli_ini *ini, struct cli_config *cfg, char *err, size_t errlen)
{
    struct el_tuning *t = &cfg->tuning;
    bool given = false;
    static const char *const secs_keys[] = {"timeout",
                                            "chip_erase_timeout",
                                            "sync_timeout",
                                            "md5_timeout_per_mb",
                                            "erase_region_timeout_per_mb",
                                            "erase_write_timeout_per_mb",
                                            "mem_end_rom_timeout",
                                            "serial_write_timeout"};
    unsigned *secs_dst[] = {&t->timeout_ms,
                            &t->chip_erase_timeout_ms,
                            &t->sync_timeout_ms,
                            &t->md5_ms_per_mb,
                            &t->erase_region_ms_per_mb,
                            &t->erase_write_ms_per_mb,
                            &t->mem_end_rom_timeout_ms,
                            &t->serial_write_timeout_ms};
    for (size_t i = 0; i < sizeof(secs_keys) / sizeof(secs_keys[0]); i++)
        if (map_ms(ini, secs_keys[i], false, secs_dst[i], NULL, err, errlen))
            return -1;
    /* esptool: max_timeout defaults to twice chip_erase_timeout */
    t->max_timeout_ms = t->chip_erase_timeout_ms * 2u;
    if (map_ms(ini, "max_timeout", false, &t->max_timeout_ms, NULL, err, errlen))
        return -1;
    if (map_ms(ini, "reset_delay", true, &cfg->reset_delay_ms, &cfg->has_reset_delay, err, errlen))
        return -1;
    long long n = 0;
    if (map_count(ini, "write_block_attempts", 1, 1000, "expected a whole number from 1 to 1000",
                  &n, &given, err, errlen))
        return -1;
    if (given)
        t->write_block_attempts = (unsigned)n;
    if (map_count(ini, "connect_attempts", -1000000, 1000000,
                  "expected a whole number (0 or less: keep trying)", &n,
                  &cfg->has_connect_attempts, err, errlen))
        return -1;
    if (cfg->has_connect_attempts)
        cfg->connect_attempts = (int)n;
    if (map_count(ini, "open_port_attempts", 0, 1000000,
                  "expected a whole number from 0 (keep trying) to 1000000", &n,
                  &cfg->has_open_port_attempts, err, errlen))
        return -1;
    if (cfg->has_open_port_attempts)
        cfg->open_port_attempts = (int)n;
    if (map_sequence(ini, "custom_reset_sequence", cfg->reset_sequence, err, errlen) ||
        map_sequence(ini, "custom_hard_reset_sequence", cfg->hard_reset_sequence, err, errlen))
        return -1;
    t->hard_reset_sequence = cfg->hard_reset_sequence[0] ? cfg->hard_reset_sequence : NULL;
    /* unknown keys, sorted */
    const char *unk[CLI_INI_MAX_ENTRIES];
    size_t nu = 0;
    for (size_t i = 0; i < ini->n && nu < CLI_INI_MAX_ENTRIES; i++)
        if (!is_known(ini->e[i].key))
            unk[nu++] = ini->e[i].key;
    qsort(unk, nu, sizeof(unk[0]), cmp_str);
    cfg->unknown[0] = 0;
    size_t used = 0;
    for (size_t i = 0; i < nu; i++) {
        int w = snprintf(cfg->unknown + used, sizeof(cfg->unknown) - used, "%s%s", i ? ", " : "",
                         unk[i]);
        if (w < 0 || (size_t)w >= sizeof(cfg->unknown) - used) {
            /* too many to list: end with an ellipsis */
            snprintf(cfg->unknown + sizeof(cfg->unknown) - 5, 5, "...");
            break;
        }
        used += (size_t)w;
    }
    cfg->n_unknown = nu;
    return 0;
}

/* ---- finding the file ---- */

void cli_config_env_get(struct cli_config_env *env, char *cwd_buf, size_t cwd_cap)
{
    memset(env, 0, sizeof(*env));
    env->cfgfile = getenv("ESPTOOL_CFGFILE");
    env->cwd = getcwd(cwd_buf, cwd_cap) ? cwd_buf : ".";
#ifdef _WIN32
    env->windows = true;
    const char *h = getenv("USERPROFILE");
    env->home = h && *h ? h : NULL;
#else
    const char *h = getenv("HOME");
    if (!h || !*h) {
        const struct passwd *pw = getpwuid(getuid());
        h = pw ? pw->pw_dir : NULL;
    }
    env->home = h && *h ? h : NULL;
#endif
}

static bool is_abs(const char *p)
{
#ifdef _WIN32
    if (isalpha((unsigned char)p[0]) && p[1] == ':')
        return true;
    if (p[0] == '\\')
        return true;
#endif
    return p[0] == '/';
}

/* os.path.abspath: joined with cwd when relative, "." and ".." components resolved,
 * repeated separators dropped (symbolic links are kept). */
static void abs_path(const char *cwd, const char *path, char *out, size_t cap)
{
    char tmp[8192];
    if (is_abs(path))
        snprintf(tmp, sizeof(tmp), "%s", path);
    else
        snprintf(tmp, sizeof(tmp), "%s/%s", cwd, path);
    size_t n = 0;
    const char *p = tmp;
    size_t root = 0;
#ifdef _WIN32
    if (isalpha((unsigned char)p[0]) && p[1] == ':') {
        out[n++] = p[0];
        out[n++] = ':';
        p += 2;
    }
#endif
    if (n + 1 < cap)
        out[n++] = '/';
    root = n;
    while (*p) {
        while (*p == '/' || *p == '\\')
            p++;
        if (!*p)
            break;
        const char *s = p;
        while (*p && *p != '/' && *p != '\\')
            p++;
        size_t l = (size_t)(p - s);
        if (l == 1 && s[0] == '.')
            continue;
        if (l == 2 && s[0] == '.' && s[1] == '.') {
            while (n > root && out[n - 1] != '/')
                n--;
            if (n > root)
                n--;
            continue;
        }
        if (n > root && n + 1 < cap)
            out[n++] = '/';
        if (n + l >= cap)
            break;
        memcpy(out + n, s, l);
        n += l;
    }
    out[n < cap ? n : cap - 1] = 0;
}

static bool is_regular(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Reads and parses path. 1: has [esptool] (ini filled), 0: no such file or no section,
 * -1: unreadable or invalid (why filled). */
static int read_ini(const char *path, struct cli_ini *ini, char *why, size_t whylen)
{
    memset(ini, 0, sizeof(*ini));
    why[0] = 0;
    if (!is_regular(path))
        return 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(why, whylen, "%s", strerror(errno));
        return -1;
    }
    char *buf = malloc(CLI_INI_MAX_FILE + 1);
    if (!buf) {
        fclose(f);
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    size_t n = fread(buf, 1, CLI_INI_MAX_FILE + 1, f);
    bool rerr = ferror(f) != 0;
    fclose(f);
    if (rerr) {
        free(buf);
        snprintf(why, whylen, "read error");
        return -1;
    }
    int rc = cli_ini_parse(buf, n, "esptool", ini, why, whylen);
    free(buf);
    if (rc)
        return -1;
    if (!ini->found) {
        cli_ini_free(ini);
        return 0;
    }
    return 1;
}

int cli_config_load(const struct cli_config_env *env, bool quiet, struct cli_config *cfg)
{
    cli_config_init(cfg);
    struct cli_ini ini;
    char why[CLI_INI_MAX_LINE + 128];
    char found[4200] = "";
    bool have = false;
    if (env->cfgfile && *env->cfgfile) {
        int r = read_ini(env->cfgfile, &ini, why, sizeof(why));
        if (r == 1) {
            have = true;
            cfg->from_env = true;
            snprintf(found, sizeof(found), "%s", env->cfgfile);
        } else if (!quiet) {
            cli_printf("Note: ESPTOOL_CFGFILE names %s, which is %s; using the usual "
                       "configuration files instead\n",
                       env->cfgfile,
                       r == 0 ? (is_regular(env->cfgfile) ? "not a configuration file with an "
                                                            "[esptool] section"
                                                          : "not an existing file")
                              : "not a valid configuration file");
        }
    }
    if (!have) {
        char dirs[3][4096];
        size_t nd = 0;
        snprintf(dirs[nd++], sizeof(dirs[0]), "%s", env->cwd);
        if (env->home) {
            snprintf(dirs[nd++], sizeof(dirs[0]), "%s/%s", env->home,
                     env->windows ? "AppData/Local/esptool" : ".config/esptool");
            snprintf(dirs[nd++], sizeof(dirs[0]), "%s", env->home);
        }
        static const char *const names[] = {"esptool.cfg", "setup.cfg", "tox.ini"};
        for (size_t d = 0; d < nd && !have; d++) {
            for (size_t k = 0; k < 3 && !have; k++) {
                char p[4200];
                int w = snprintf(p, sizeof(p), "%s/%s", dirs[d], names[k]);
                if (w < 0 || (size_t)w >= sizeof(p))
                    continue; /* a path this long cannot be opened anyway */
                int r = read_ini(p, &ini, why, sizeof(why));
                if (r == 1) {
                    have = true;
                    snprintf(found, sizeof(found), "%s", p);
                } else if (r < 0 && !quiet) {
                    cli_printf("Ignoring invalid config file %s: %s\n", p, why);
                }
            }
        }
    }
    if (!have)
        return 0;
    abs_path(env->cwd, found, cfg->path, sizeof(cfg->path));
    char err[400];
    int rc = cli_config_map(&ini, cfg, err, sizeof(err));
    size_t n_unknown = cfg->n_unknown;
    cli_ini_free(&ini);
    if (rc) {
        cli_fatal("configuration file %s: %s", cfg->path, err);
        return EXIT_USAGE;
    }
    if (!quiet) {
        if (n_unknown)
            cli_printf("Ignoring unknown config file option%s: %s\n", n_unknown > 1 ? "s" : "",
                       cfg->unknown);
        cli_printf("Loaded custom configuration from %s%s\n", cfg->path,
                   cfg->from_env ? " (set with ESPTOOL_CFGFILE)" : "");
    }
    return 0;
}
