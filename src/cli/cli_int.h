/* SPDX-License-Identifier: MIT */
#ifndef EL_CLI_CLI_INT_H
#define EL_CLI_CLI_INT_H
/*
 * Internals shared by the files of the espload program: the command table, the declarative
 * option parser, output helpers and the session state behind struct cli_ctx.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli/cli.h"
#include "cli/cli_config.h"

/* ---- command table (main.c) ---- */
#define NEED_PORT    (1u << 0) /* opens --port */
#define NEED_CONNECT (1u << 1) /* resets into the bootloader, syncs, detects the chip */
#define NEED_STUB    (1u << 2) /* uploads the stub unless --no-stub */
#define NO_AFTER     (1u << 3) /* no --after action (load_ram: the chip runs the image) */

typedef int (*cli_cmd_fn)(struct cli_ctx *ctx, int argc, char **argv);
struct cli_cmd {
    const char *name; /* v5 spelling with dashes; the v4 underscore spelling also resolves */
    cli_cmd_fn fn;
    unsigned flags;
    const char *summary; /* one line for `espload help` */
};
extern const struct cli_cmd cli_commands[];
extern const size_t cli_n_commands;
/* Looks a command up by either spelling ("write_flash" or "write-flash"); NULL if unknown. */
const struct cli_cmd *cli_find_command(const char *name);
/* True when the command's arguments ask for machine-readable stdout (--json): then the
 * banner is not printed. */
bool cli_machine_output(int argc, char **argv);
/* Parses the global options and runs the command; the whole program. */
int cli_main(int argc, char **argv);

/* commands of cmd_basic.c and cmd_flash.c (the others are declared in cli.h) */
CLI_CMD(cmd_chip_id);
CLI_CMD(cmd_dump_mem);
CLI_CMD(cmd_erase_flash);
CLI_CMD(cmd_erase_region);
CLI_CMD(cmd_flash_id);
CLI_CMD(cmd_get_security_info);
CLI_CMD(cmd_help);
CLI_CMD(cmd_load_ram);
CLI_CMD(cmd_read_flash);
CLI_CMD(cmd_read_flash_sfdp);
CLI_CMD(cmd_read_flash_status);
CLI_CMD(cmd_read_mac);
CLI_CMD(cmd_read_mem);
CLI_CMD(cmd_run);
CLI_CMD(cmd_verify_flash);
CLI_CMD(cmd_version);
CLI_CMD(cmd_write_flash);
CLI_CMD(cmd_write_flash_status);
CLI_CMD(cmd_write_mem);

/* ---- option parsing (cli_opts.c) ---- */
enum cli_optkind {
    OPT_FLAG,  /* bool *dest = true */
    OPT_STR,   /* const char **dest; checked against choices if given */
    OPT_INT,   /* long long *dest, any base (0x.., 0o.., 0b.., decimal) */
    OPT_LIST,  /* const char **dest array (cap in .cap), count in *.count */
    OPT_OPTSTR /* like OPT_STR, but the value is optional: only consumed if it is a choice */
};
struct cli_opt {
    const char *name;  /* long name with dashes, no leading "--" */
    const char *alias; /* another accepted long name (older spelling), or NULL */
    const char *shrt;  /* short name without "-" ("z", "fm"), or NULL */
    enum cli_optkind kind;
    void *dest;
    const char *const *choices; /* NULL-terminated, or NULL for any value */
    const char *metavar;        /* shown in help for valued options */
    const char *help;
    size_t cap;    /* OPT_LIST: capacity of dest */
    size_t *count; /* OPT_LIST: number stored */
    bool *seen;    /* set when the option was given (optional) */
};
#define CLI_HELP_SHOWN (-1)
/* Parses argv[1..argc-1] of a command against opts. Positional arguments are moved to
 * argv[1..*npos] in order. Accepts --long, --long=value, --long_with_underscores, unique
 * prefixes of long names, -s value, -svalue (one-letter shorts), "--" to end options, and
 * -h/--help (prints help, returns CLI_HELP_SHOWN). On a usage error prints one line to
 * stderr and returns EXIT_USAGE; 0 on success. If stop_at_positional, parsing stops at the
 * first positional (used for the global options before the command). */
int cli_parse(const char *prog, const struct cli_opt *opts, int argc, char **argv, int *npos,
              bool stop_at_positional, const char *usage, const char *description);
/* Prints the help text of a command from its option table. */
void cli_print_help(FILE *f, const char *prog, const struct cli_opt *opts, const char *usage,
                    const char *description);
/* Python int(x, 0): 0x/0o/0b prefixes, decimal without leading zeros, '_' between digits.
 * Returns false if s is not such a number or it does not fit. */
bool cli_parse_int(const char *s, long long *out);
/* Sizes: a number, optionally suffixed with k (KiB) or M (MiB); "all"/"ALL" when allow_all
 * (then *is_all is set). */
bool cli_parse_size(const char *s, bool allow_all, long long *out, bool *is_all);
/* Strict decimal/hex address that fits in 32 bits. */
bool cli_parse_u32(const char *s, uint32_t *out);

/* ---- output (cli_out.c) ---- */
/* All normal output goes to stdout through these; errors to stderr. They remember whether
 * stdout is in the middle of a line so an error starts on a fresh line. */
void cli_out_init(bool silent, bool verbose);
bool cli_out_is_tty(void);
bool cli_out_verbose(void);
void cli_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_vprintf(const char *fmt, va_list ap);
/* "Writing at ... (N %)" style progress: on a terminal rewrites the line with \r; otherwise
 * prints a line only when the percentage crosses a multiple of 10 (every call with
 * --verbose). key identifies the operation so steps restart per operation. */
void cli_progress(unsigned pct, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cli_progress_reset(void);
/* Ends a progress sequence: prints msg as the final line (overwriting on a terminal). */
void cli_progress_done(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "A fatal error occurred: <msg>" on stderr, after ending any partial stdout line. */
void cli_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Warnings and notes that esptool prints on stdout. */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Usage error: "espload <cmd>: error: <msg>" on stderr; returns EXIT_USAGE. */
int cli_usage_error(const char *prog, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Makes sure stdout ends with a newline (after "Connecting...."). */
void cli_out_endline(void);
/* Flushes stdout; false if writing failed (full disk, closed pipe). */
bool cli_out_flush(void);

/* ---- the session behind a command (cli_session.c) ---- */
struct cli_ctx {
    struct cli_opts opts;
    bool verbose, silent;
    const char *port_filter[8];
    size_t n_port_filter;
    const char *override_vddsdio;
    const char *stub_version;
    int open_port_attempts;
    bool connect_attempts_given;   /* --connect-attempts or ESPTOOL_CONNECT_ATTEMPTS */
    bool open_port_attempts_given; /* ESPTOOL_OPEN_PORT_ATTEMPTS */
    struct cli_config config;      /* the configuration file's settings (defaults if none) */
    const char *cmd_name;          /* as typed */
    const struct cli_cmd *cmd;
    struct el_port *port;
    struct el_loader *loader;
    bool connected;
    bool skip_after; /* command asked for no --after action */
    /* filled by cli_connect */
    unsigned chip;                /* enum el_chip_id */
    bool stub;                    /* talking to a stub */
    uint32_t flash_size_detected; /* bytes, 0 = unknown (cached by cli_flash_size) */
    bool flash_size_known;
};
void cli_ctx_init(struct cli_ctx *ctx);
/* Runs the --after action (prints what esptool prints); returns an exit code. */
int cli_after(struct cli_ctx *ctx);
/* Closes the port and frees the loader. */
void cli_ctx_close(struct cli_ctx *ctx);

/* Fatal line for a library failure: "[what: ]<detail>[; <hint>]" from the loader's error
 * detail. Returns the exit code for err. */
int cli_fail(struct cli_ctx *ctx, int err, const char *what);
/* The connected chip's description (read once). NULL before connecting. */
struct el_chip_info;
const struct el_chip_info *cli_chip_info(struct cli_ctx *ctx);
/* Transfer timing from the progress reports: begin before an operation, seconds after. */
void cli_xfer_begin(const char *file);
/* ROM writes with a plan: print esptool's "Erasing flash..." when the plan says sectors
 * will be written (after the "Skipped ..." line), not before. */
void cli_write_erase_line(bool on);
/* Re-installs the progress printer (after a quiet operation). */
void cli_restore_progress(struct cli_ctx *ctx);
/* Seconds on a monotonic clock; on sim:// the virtual device's clock. */
double cli_now(void);
double cli_xfer_seconds(void);

/* ---- helpers shared by the command files (cli_util.c) ---- */
/* Reads a whole file. On failure prints the fatal error and returns EXIT_INPUT. */
int cli_read_file(const char *path, uint8_t **data, size_t *len);
/* Writes a whole file. On failure prints the fatal error and returns EXIT_INPUT. */
int cli_write_file(const char *path, const uint8_t *data, size_t len);
/* Address/filename pairs of write_flash, verify_flash (checked like esptool: numbers,
 * files readable, no two files in one 4 KiB sector). */
struct cli_region {
    uint32_t addr;
    const char *path;
    uint8_t *data;
    size_t len;
};
int cli_load_regions(const char *prog, char **pos, int npos, struct cli_region **out, size_t *n);
void cli_free_regions(struct cli_region *r, size_t n);
/* Intel HEX text to the binary image from address base up to the highest address written
 * (gaps 0xFF, data below base dropped), as esptool converts .hex inputs. false if text is not
 * valid Intel HEX (then nothing is allocated). */
bool cli_ihex_to_bin(const uint8_t *text, size_t len, uint32_t base, uint8_t **out,
                     size_t *out_len);
/* PSRAM from esptool's feature list: 1 when PSRAM in the package is listed, -1 (unknown)
 * otherwise, also for the ESP32-S2's "No Embedded PSRAM" (a module may still carry PSRAM
 * outside the chip). */
int cli_psram_from_features(const char *features);
/* Hex MD5 of data (lowercase, 33 bytes with NUL). */
void cli_md5_hex(const uint8_t *data, size_t len, char out[33]);
/* "4MB", "512KB" for a size in bytes. */
const char *cli_size_str(uint32_t bytes, char *buf, size_t cap);

#endif
