/* SPDX-License-Identifier: MIT */
#ifndef EL_CLI_CLI_CONFIG_H
#define EL_CLI_CLI_CONFIG_H
/*
 * esptool's configuration file: an [esptool] section in ESPTOOL_CFGFILE, or the first of
 * esptool.cfg, setup.cfg, tox.ini holding one in the current directory, then the user's
 * configuration directory (~/.config/esptool; %USERPROFILE%/AppData/Local/esptool on
 * Windows), then the home directory. Timeouts, retry counts and reset sequences.
 */
#include <stdbool.h>
#include <stddef.h>

#include "espload/loader.h"

/* Limits of the INI reader: longer lines, more entries or bigger files make a file invalid. */
#define CLI_INI_MAX_LINE    1024
#define CLI_INI_MAX_ENTRIES 256
#define CLI_INI_MAX_FILE    (1u << 20)

struct cli_ini_entry {
    char *key;   /* lower case, as Python's configparser */
    char *value; /* surrounding whitespace removed; continuation lines joined with '\n' */
    unsigned line;
};
/* The entries of one section of an INI text. */
struct cli_ini {
    bool found; /* the section exists (possibly empty) */
    struct cli_ini_entry *e;
    size_t n;
};
/*
 * Reads an INI text as Python's configparser does by default: "[name]" section headers
 * (names case-sensitive), "key = value" and "key: value" (the first '=' or ':' splits; keys
 * case-insensitive), whole-line comments starting with '#' or ';', indented lines continuing
 * the previous value, blank lines. The whole text must be valid: a key before any section, a
 * line without a delimiter, an empty key, a duplicate section or key, a NUL byte or a line
 * longer than CLI_INI_MAX_LINE is an error (returns -1, err says which line and why). On
 * success returns 0 and out holds the entries of `section` (free with cli_ini_free).
 */
int cli_ini_parse(const char *text, size_t len, const char *section, struct cli_ini *out, char *err,
                  size_t errlen);
void cli_ini_free(struct cli_ini *ini);
/* The value of key (lower case) in ini, or NULL. */
const char *cli_ini_get(const struct cli_ini *ini, const char *key);

#define CLI_CFG_SEQ_MAX 512

/* What a configuration file sets (defaults where it says nothing). */
struct cli_config {
    char path[4096]; /* absolute path of the file used; "" if none */
    bool from_env;   /* named by ESPTOOL_CFGFILE */
    struct el_tuning tuning;
    bool has_connect_attempts;
    int connect_attempts; /* <= 0: forever */
    bool has_open_port_attempts;
    int open_port_attempts; /* 0: forever */
    bool has_reset_delay;
    unsigned reset_delay_ms;
    char reset_sequence[CLI_CFG_SEQ_MAX];      /* custom_reset_sequence, "" if none */
    char hard_reset_sequence[CLI_CFG_SEQ_MAX]; /* custom_hard_reset_sequence, "" if none */
    char unknown[512];                         /* unknown keys, sorted: "a, b"; "" if none */
    size_t n_unknown;
};
/* Defaults: no file, esptool's timings (el_tuning_init). */
void cli_config_init(struct cli_config *cfg);
/* Maps the [esptool] entries onto cfg. Returns 0, or -1 with err naming the key, the value
 * and what is expected ("invalid value 'abc' for timeout: expected seconds > 0"). */
int cli_config_map(const struct cli_ini *ini, struct cli_config *cfg, char *err, size_t errlen);

/* Where to look (the environment, passed in so that tests can choose). */
struct cli_config_env {
    const char *cfgfile; /* ESPTOOL_CFGFILE or NULL */
    const char *cwd;     /* current directory */
    const char *home;    /* home directory (NULL: skip the user directories) */
    bool windows;        /* AppData/Local/esptool instead of .config/esptool */
};
/* Fills env from the process environment. */
void cli_config_env_get(struct cli_config_env *env, char *cwd_buf, size_t cwd_cap);
/*
 * Finds and loads the file (esptool's order), printing what esptool prints unless quiet:
 * "Ignoring invalid config file <path>: <why>", "Ignoring unknown config file option(s):
 * a, b" and "Loaded custom configuration from <abs path>[ (set with ESPTOOL_CFGFILE)]".
 * Returns 0 (cfg holds the result, cfg->path "" when no file was found) or EXIT_USAGE after
 * printing one fatal line naming the file, key and value.
 */
int cli_config_load(const struct cli_config_env *env, bool quiet, struct cli_config *cfg);

#endif
