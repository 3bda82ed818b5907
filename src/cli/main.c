/* SPDX-License-Identifier: MIT */
/*
 * espload: command table, global options, environment defaults and dispatch.
 * Each command parses its own options (cli_opts.c) and talks to the library.
 */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli_int.h"
#include "espload/chip.h"

/* Keep sorted by name (strcmp order); test_cli_table checks it. */
const struct cli_cmd cli_commands[] = {
    {"chip-id", cmd_chip_id, NEED_PORT | NEED_CONNECT | NEED_STUB, "print the chip ID"},
    {"doctor", cmd_doctor, NEED_PORT, "reset the chip, read its boot log and diagnose it"},
    {"dump-mem", cmd_dump_mem, NEED_PORT | NEED_CONNECT | NEED_STUB,
     "dump arbitrary memory to a file"},
    {"elf2image", cmd_elf2image, 0, "create an application image from an ELF file"},
    {"erase-flash", cmd_erase_flash, NEED_PORT | NEED_CONNECT | NEED_STUB,
     "erase the whole SPI flash"},
    {"erase-region", cmd_erase_region, NEED_PORT | NEED_CONNECT | NEED_STUB,
     "erase a region of the flash"},
    {"flash-id", cmd_flash_id, NEED_PORT | NEED_CONNECT | NEED_STUB,
     "print the SPI flash manufacturer and device ID"},
    {"get-security-info", cmd_get_security_info, NEED_PORT | NEED_CONNECT | NEED_STUB,
     "print security-related data"},
    {"help", cmd_help, 0, "list the commands, or show one command's options"},
    {"image-info", cmd_image_info, 0, "print the headers of a firmware image"},
    {"load-ram", cmd_load_ram, NEED_PORT | NEED_CONNECT | NEED_STUB | NO_AFTER,
     "download an image to RAM and run it"},
    {"merge-bin", cmd_merge_bin, 0, "merge binary files into one image for flashing"},
    {"monitor", cmd_monitor, NEED_PORT, "serial monitor with boot-log decoding"},
    {"partition-table", cmd_partition_table, 0, "print or convert a partition table"},
    {"read-flash", cmd_read_flash, NEED_PORT | NEED_CONNECT | NEED_STUB,
     "read flash contents to a file"},
    {"read-flash-sfdp", cmd_read_flash_sfdp, NEED_PORT | NEED_CONNECT | NEED_STUB,
     "read SPI flash SFDP parameters"},
    {"read-flash-status", cmd_read_flash_status, NEED_PORT | NEED_CONNECT | NEED_STUB,
     "read the SPI flash status register"},
    {"read-mac", cmd_read_mac, NEED_PORT | NEED_CONNECT | NEED_STUB, "print the MAC address"},
    {"read-mem", cmd_read_mem, NEED_PORT | NEED_CONNECT | NEED_STUB,
     "read a word of memory or a register"},
    {"run", cmd_run, NEED_PORT | NEED_CONNECT | NEED_STUB, "run the application in flash"},
    {"verify-flash", cmd_verify_flash, NEED_PORT | NEED_CONNECT | NEED_STUB,
     "compare files with the flash contents"},
    {"version", cmd_version, 0, "print the espload version"},
    {"write-flash", cmd_write_flash, NEED_PORT | NEED_CONNECT | NEED_STUB,
     "write binary files to flash"},
    {"write-flash-status", cmd_write_flash_status, NEED_PORT | NEED_CONNECT | NEED_STUB,
     "write the SPI flash status register"},
    {"write-mem", cmd_write_mem, NEED_PORT | NEED_CONNECT | NEED_STUB,
     "read-modify-write a word of memory or a register"},
};
const size_t cli_n_commands = sizeof(cli_commands) / sizeof(cli_commands[0]);

static int cmd_cmp(const void *key, const void *elem)
{
    return strcmp((const char *)key, ((const struct cli_cmd *)elem)->name);
}

const struct cli_cmd *cli_find_command(const char *name)
{
    char norm[64];
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n >= sizeof(norm))
        return NULL;
    for (size_t i = 0; i <= n; i++)
        norm[i] = name[i] == '_' ? '-' : name[i];
    return bsearch(norm, cli_commands, cli_n_commands, sizeof(cli_commands[0]), cmd_cmp);
}

/* ---- global options ---- */
static const char *const before_choices[] = {"default-reset", "usb-reset", "no-reset",
                                             "no-reset-no-sync", NULL};
static const char *const after_choices[] = {"hard-reset",    "soft-reset",     "no-reset",
                                            "no-reset-stub", "watchdog-reset", NULL};
static const char *const vddsdio_choices[] = {"1.8V", "1.9V", "OFF", NULL};
static const char *const stub_version_choices[] = {"1", "2", NULL};
/* Chips esptool knows but espload does not (yet) model or support. */
static const char *const esptool_only_chips[] = {
    "esp8266",      "esp32c5",  "esp32c61",     "esp32p4",      "esp32h21",     "esp32h4",
    "esp32s31",     "esp32e22", "esp32c5beta3", "esp32h2beta1", "esp32h2beta2", "esp32c6beta",
    "esp32s3beta2", NULL};

struct gopts {
    const char *chip, *port, *baud, *before, *after, *connect_attempts, *stub_dir;
    const char *vddsdio, *stub_version;
    const char *port_filter[8];
    size_t n_port_filter;
    bool no_stub, trace, verbose, silent, version, vddsdio_seen;
};

static const char *global_usage =
    "[options] <command> [command options] [arguments]\n"
    "       espload help [<command>]   (either spelling: write_flash or write-flash)";

static const char *global_description =
    "espload v" EL_VERSION " - flash and talk to Espressif chips over the ROM serial bootloader "
    "(esptool-compatible).";

static void global_commands(void)
{
    printf("\ncommands:\n");
    for (size_t i = 0; i < cli_n_commands; i++)
        printf("  %-20s %s\n", cli_commands[i].name, cli_commands[i].summary);
    printf("\nRun 'espload <command> --help' for a command's options. Environment defaults:\n"
           "ESPTOOL_PORT, ESPTOOL_BAUD, ESPTOOL_CHIP, ESPTOOL_BEFORE, ESPTOOL_AFTER,\n"
           "ESPTOOL_CONNECT_ATTEMPTS, ESPTOOL_FF, ESPTOOL_FM, ESPTOOL_FS, ESPLOAD_STUB_DIR.\n"
           "Configuration file: ESPTOOL_CFGFILE, or esptool.cfg, setup.cfg or tox.ini with an\n"
           "[esptool] section (see docs/CLI.md).\n");
}

static void strip_chip_name(const char *in, char *out, size_t cap)
{
    size_t n = 0;
    for (; *in && n + 1 < cap; in++) {
        if (*in == '-' || *in == '_')
            continue;
        out[n++] = (char)tolower((unsigned char)*in);
    }
    out[n] = 0;
}

/* Dashes for underscores in --before/--after values (v4 spelling accepted silently). */
static const char *dash_value(const char *v, char *buf, size_t cap)
{
    size_t n = strlen(v);
    if (n >= cap)
        return v;
    for (size_t i = 0; i <= n; i++)
        buf[i] = v[i] == '_' ? '-' : v[i];
    return buf;
}

static bool in_list(const char *const *l, const char *v)
{
    for (; *l; l++)
        if (strcmp(*l, v) == 0)
            return true;
    return false;
}

/* "@file" arguments are replaced by the whitespace-separated words of the file
 * (esptool's expand_file_arguments; quotes group words). Returns 0 or an exit code. */
static int expand_file_args(int *argc, char ***argv, char **storage_out)
{
    bool any = false;
    for (int i = 1; i < *argc; i++)
        if ((*argv)[i][0] == '@')
            any = true;
    *storage_out = NULL;
    if (!any)
        return 0;
    size_t cap = 64, n = 0, scap = 4096, sused = 0;
    char **nv = malloc(cap * sizeof(*nv));
    char *store = malloc(scap);
    size_t *offs = malloc(cap * sizeof(*offs));
    if (!nv || !store || !offs) {
        free(nv);
        free(store);
        free(offs);
        cli_fatal("out of memory");
        return EXIT_FAILURE_OTHER;
    }
    /* first pass collects offsets into store (which may move), second builds pointers */
    int rc = 0;
    for (int i = 0; i < *argc && rc == 0; i++) {
        const char *a = (*argv)[i];
        char *content = NULL;
        size_t clen = 0;
        if (i > 0 && a[0] == '@') {
            FILE *f = fopen(a + 1, "r");
            if (!f) {
                cli_fatal("cannot read arguments from '%s': %s; check the file name", a + 1,
                          strerror(errno));
                rc = EXIT_INPUT;
                break;
            }
            char chunk[4096];
            size_t k;
            while ((k = fread(chunk, 1, sizeof(chunk), f)) > 0) {
                char *nc = realloc(content, clen + k + 1);
                if (!nc) {
                    rc = EXIT_FAILURE_OTHER;
                    break;
                }
                content = nc;
                memcpy(content + clen, chunk, k);
                clen += k;
            }
            fclose(f);
            if (!content)
                continue;
            content[clen] = 0;
        }
        const char *src = content ? content : a;
        size_t slen = content ? clen : strlen(a);
        size_t p = 0;
        do {
            if (content) { /* split into words */
                while (p < slen && isspace((unsigned char)src[p]))
                    p++;
                if (p >= slen)
                    break;
            }
            if (n + 1 >= cap) {
                cap *= 2;
                size_t *no = realloc(offs, cap * sizeof(*offs));
                if (!no) {
                    rc = EXIT_FAILURE_OTHER;
                    break;
                }
                offs = no;
            }
            if (sused + slen + 2 > scap) {
                scap = (sused + slen + 2) * 2;
                char *ns = realloc(store, scap);
                if (!ns) {
                    rc = EXIT_FAILURE_OTHER;
                    break;
                }
                store = ns;
            }
            offs[n++] = sused;
            if (!content) {
                memcpy(store + sused, src, slen + 1);
                sused += slen + 1;
                break;
            }
            char quote = 0;
            while (p < slen && (quote || !isspace((unsigned char)src[p]))) {
                char c = src[p++];
                if (quote && c == quote) {
                    quote = 0;
                    continue;
                }
                if (!quote && (c == '"' || c == '\'')) {
                    quote = c;
                    continue;
                }
                store[sused++] = c;
            }
            store[sused++] = 0;
        } while (content);
        free(content);
    }
    if (rc) {
        free(nv);
        free(store);
        free(offs);
        if (rc == EXIT_FAILURE_OTHER)
            cli_fatal("out of memory");
        return rc;
    }
    free(nv);
    nv = malloc((n + 1) * sizeof(*nv));
    if (!nv) {
        free(store);
        free(offs);
        cli_fatal("out of memory");
        return EXIT_FAILURE_OTHER;
    }
    for (size_t i = 0; i < n; i++)
        nv[i] = store + offs[i];
    nv[n] = NULL;
    free(offs);
    *argc = (int)n;
    *argv = nv;
    *storage_out = store;
    printf("espload");
    for (size_t i = 1; i < n; i++)
        printf(" %s", nv[i]);
    printf("\n");
    return 0;
}

/* Applies an environment default unless the option was given. */
static const char *env_default(const char *cur, const char *var)
{
    if (cur)
        return cur;
    const char *v = getenv(var);
    return v && *v ? v : NULL;
}

static int finish_globals(struct cli_ctx *ctx, struct gopts *g)
{
    static char chipbuf[32], beforebuf[32], afterbuf[32];
    const char *prog = "espload";
    /* --chip */
    const char *chip = env_default(g->chip, "ESPTOOL_CHIP");
    if (!chip)
        chip = "auto";
    strip_chip_name(chip, chipbuf, sizeof(chipbuf));
    if (strcmp(chipbuf, "auto") != 0 && !el_chip_by_name(chipbuf)) {
        if (in_list(esptool_only_chips, chipbuf)) {
            cli_fatal("espload does not support %s; supported chips are: %s", chip,
                      el_chip_names());
            return EXIT_UNSUPPORTED;
        }
        return cli_usage_error(prog,
                               "argument --chip/-c: invalid choice: '%s' (choose from "
                               "auto, %s)%s",
                               chip, el_chip_names(), g->chip ? "" : " (from ESPTOOL_CHIP)");
    }
    ctx->opts.chip = chipbuf;
    /* --port */
    ctx->opts.port = env_default(g->port, "ESPTOOL_PORT");
    /* --baud */
    const char *baud = env_default(g->baud, "ESPTOOL_BAUD");
    ctx->opts.baud = 115200;
    if (baud) {
        long long v;
        if (!cli_parse_int(baud, &v) || v <= 0 || v > 100000000)
            return cli_usage_error(prog, "argument --baud/-b: invalid baud rate: '%s'%s", baud,
                                   g->baud ? "" : " (from ESPTOOL_BAUD)");
        ctx->opts.baud = (unsigned)v;
        ctx->opts.baud_given = true;
    }
    /* --before / --after */
    const char *before = env_default(g->before, "ESPTOOL_BEFORE");
    before = dash_value(before ? before : "default-reset", beforebuf, sizeof(beforebuf));
    if (!in_list(before_choices, before))
        return cli_usage_error(prog,
                               "argument --before: invalid choice: '%s' (choose from "
                               "default-reset, usb-reset, no-reset, no-reset-no-sync; "
                               "underscores are accepted too)%s",
                               before, g->before ? "" : " (from ESPTOOL_BEFORE)");
    ctx->opts.before = before;
    const char *after = env_default(g->after, "ESPTOOL_AFTER");
    after = dash_value(after ? after : "hard-reset", afterbuf, sizeof(afterbuf));
    if (!in_list(after_choices, after))
        return cli_usage_error(prog,
                               "argument --after/-a: invalid choice: '%s' (choose from "
                               "hard-reset, soft-reset, no-reset, no-reset-stub, "
                               "watchdog-reset; underscores are accepted too)%s",
                               after, g->after ? "" : " (from ESPTOOL_AFTER)");
    ctx->opts.after = after;
    /* --connect-attempts */
    const char *ca = env_default(g->connect_attempts, "ESPTOOL_CONNECT_ATTEMPTS");
    ctx->opts.connect_attempts = 7;
    ctx->connect_attempts_given = ca != NULL;
    if (ca) {
        long long v;
        if (!cli_parse_int(ca, &v) || v < -1000000 || v > 1000000)
            return cli_usage_error(prog, "argument --connect-attempts: invalid int value: '%s'%s",
                                   ca,
                                   g->connect_attempts ? "" : " (from ESPTOOL_CONNECT_ATTEMPTS)");
        ctx->opts.connect_attempts = (int)v;
    }
    const char *opa = getenv("ESPTOOL_OPEN_PORT_ATTEMPTS");
    ctx->open_port_attempts = 1;
    ctx->open_port_attempts_given = opa && *opa;
    if (opa && *opa) {
        long long v;
        if (!cli_parse_int(opa, &v) || v < 0 || v > 1000000) {
            cli_fatal("invalid value for ESPTOOL_OPEN_PORT_ATTEMPTS: '%s'; use a number (0 = "
                      "keep trying)",
                      opa);
            return EXIT_USAGE;
        }
        ctx->open_port_attempts = (int)v;
    }
    ctx->opts.no_stub = g->no_stub;
    ctx->opts.trace = g->trace;
    ctx->opts.stub_dir = env_default(g->stub_dir, "ESPLOAD_STUB_DIR");
    ctx->verbose = g->verbose;
    ctx->silent = g->silent;
    if (g->verbose && g->silent) {
        cli_fatal("cannot use both --verbose and --silent at the same time");
        return EXIT_USAGE;
    }
    if (g->trace && g->silent) {
        cli_fatal("cannot use both --trace and --silent at the same time");
        return EXIT_USAGE;
    }
    ctx->override_vddsdio = g->vddsdio;
    if (g->vddsdio_seen && !g->vddsdio)
        ctx->override_vddsdio = "1.9V"; /* esptool's default when the value is omitted */
    ctx->stub_version = env_default(g->stub_version, "ESPTOOL_STUB_VERSION");
    if (ctx->stub_version && !in_list(stub_version_choices, ctx->stub_version))
        return cli_usage_error(prog, "argument --stub-version: invalid choice: '%s'",
                               ctx->stub_version);
    for (size_t i = 0; i < g->n_port_filter; i++) {
        const char *f = g->port_filter[i];
        const char *eq = strchr(f, '=');
        if (!eq)
            return cli_usage_error(prog, "option --port-filter argument must consist of "
                                         "key=value");
        size_t kl = (size_t)(eq - f);
        if (!((kl == 3 && (!strncmp(f, "vid", 3) || !strncmp(f, "pid", 3))) ||
              (kl == 4 && !strncmp(f, "name", 4)) || (kl == 6 && !strncmp(f, "serial", 6))))
            return cli_usage_error(prog,
                                   "option --port-filter argument key not recognized: "
                                   "'%.*s' (use vid, pid, name or serial)",
                                   (int)kl, f);
        if (kl == 3) {
            long long v;
            if (!cli_parse_int(eq + 1, &v) || v < 0 || v > 0xFFFF)
                return cli_usage_error(prog, "option --port-filter: '%s' is not a number", eq + 1);
        }
        ctx->port_filter[ctx->n_port_filter++] = f;
    }
    return 0;
}

/* esptool's configuration file (after the banner, where esptool prints its lines). Its
 * connect_attempts and open_port_attempts apply unless the option or the environment
 * variable gave them. */
static int load_config(struct cli_ctx *ctx, bool quiet)
{
    struct cli_config_env env;
    char cwd[4096];
    cli_config_env_get(&env, cwd, sizeof(cwd));
    int rc = cli_config_load(&env, quiet, &ctx->config);
    if (rc)
        return rc;
    if (ctx->config.has_connect_attempts && !ctx->connect_attempts_given)
        ctx->opts.connect_attempts = ctx->config.connect_attempts;
    if (ctx->config.has_open_port_attempts && !ctx->open_port_attempts_given)
        ctx->open_port_attempts = ctx->config.open_port_attempts;
    return 0;
}

static bool wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return false;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return true;
    }
    return false;
}

/* Machine-readable output on stdout (doctor --json): no banner, nothing but the data. */
bool cli_machine_output(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return false;
        if (strcmp(argv[i], "--json") == 0 || strncmp(argv[i], "--json=", 7) == 0)
            return true;
    }
    return false;
}

int cli_main(int argc, char **argv)
{
    char *argstore = NULL;
    char **argv0 = argv;
    int rc = expand_file_args(&argc, &argv, &argstore);
    if (rc)
        return rc;

    struct gopts g = {0};
    const struct cli_opt gtab[] = {
        {"chip", NULL, "c", OPT_STR, &g.chip, NULL, "CHIP", "target chip type (or auto)", 0, NULL,
         NULL},
        {"port", NULL, "p", OPT_STR, &g.port, NULL, "PORT",
         "serial port, socket://host:port, rfc2217://host:port or sim://chip?options", 0, NULL,
         NULL},
        {"baud", NULL, "b", OPT_STR, &g.baud, NULL, "BAUD",
         "baud rate used when flashing/reading (default 115200)", 0, NULL, NULL},
        {"port-filter", NULL, NULL, OPT_LIST, g.port_filter, NULL, "KEY=VALUE",
         "filter for port auto-detection: vid=N, pid=N, name=SUBSTRING, serial=SUBSTRING", 8,
         &g.n_port_filter, NULL},
        {"before", NULL, NULL, OPT_STR, &g.before, NULL, "MODE",
         "reset before connecting: default-reset, usb-reset, no-reset, no-reset-no-sync", 0, NULL,
         NULL},
        {"after", NULL, "a", OPT_STR, &g.after, NULL, "MODE",
         "after the command: hard-reset, soft-reset, no-reset, no-reset-stub, watchdog-reset", 0,
         NULL, NULL},
        {"no-stub", NULL, NULL, OPT_FLAG, &g.no_stub, NULL, NULL,
         "talk to the ROM loader only, do not upload the flasher stub", 0, NULL, NULL},
        {"stub-version", NULL, NULL, OPT_STR, &g.stub_version, NULL, "N",
         "accepted for compatibility (espload uses its own stub)", 0, NULL, NULL},
        {"stub-dir", NULL, NULL, OPT_STR, &g.stub_dir, NULL, "DIR",
         "load esptool-format stub JSON files (<chip>.json) from DIR", 0, NULL, NULL},
        {"trace", NULL, "t", OPT_FLAG, &g.trace, NULL, NULL,
         "dump every frame exchanged with the chip to stderr", 0, NULL, NULL},
        {"verbose", NULL, "v", OPT_FLAG, &g.verbose, NULL, NULL,
         "print every progress step (alone: print the version)", 0, NULL, NULL},
        {"silent", NULL, "s", OPT_FLAG, &g.silent, NULL, NULL, "print errors only", 0, NULL, NULL},
        {"override-vddsdio", NULL, NULL, OPT_OPTSTR, &g.vddsdio, vddsdio_choices, "V",
         "override the ESP32 VDDSDIO regulator (use with care)", 0, NULL, &g.vddsdio_seen},
        {"connect-attempts", NULL, NULL, OPT_STR, &g.connect_attempts, NULL, "N",
         "connection attempts, 0 or negative for infinite (default 7)", 0, NULL, NULL},
        {"version", NULL, NULL, OPT_FLAG, &g.version, NULL, NULL, "print the version and exit", 0,
         NULL, NULL},
        {NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, 0, NULL, NULL},
    };
    int npos = 0;
    rc = cli_parse("espload", gtab, argc, argv, &npos, true, global_usage, global_description);
    if (rc == CLI_HELP_SHOWN) {
        global_commands();
        rc = 0;
        goto out;
    }
    if (rc)
        goto out;
    if (g.version || (g.verbose && npos == 0)) {
        printf("espload v%s\n", EL_VERSION);
        rc = 0;
        goto out;
    }
    if (npos == 0) {
        cli_print_help(stdout, "espload", gtab, global_usage, global_description);
        global_commands();
        rc = EXIT_FAILURE_OTHER; /* as esptool: no command is a failure */
        goto out;
    }
    const struct cli_cmd *cmd = cli_find_command(argv[1]);
    if (!cmd) {
        rc = cli_usage_error("espload", "invalid command: '%s' (run 'espload help' for the list)",
                             argv[1]);
        goto out;
    }
    struct cli_ctx ctx;
    cli_ctx_init(&ctx);
    rc = finish_globals(&ctx, &g);
    if (rc)
        goto out;
    cli_out_init(ctx.silent, ctx.verbose);
    ctx.cmd = cmd;
    ctx.cmd_name = argv[1];
    int cargc = npos;
    char **cargv = argv + 1;
    if (!wants_help(cargc, cargv) && strcmp(cmd->name, "help") != 0 &&
        !cli_machine_output(cargc, cargv))
        cli_printf("espload v%s\n", EL_VERSION);
    if (!wants_help(cargc, cargv) && strcmp(cmd->name, "help") != 0) {
        rc = load_config(&ctx, cli_machine_output(cargc, cargv));
        if (rc)
            goto out;
    }
    rc = cmd->fn(&ctx, cargc, cargv);
    if (rc == CLI_HELP_SHOWN)
        rc = 0;
    if (rc == 0 && ctx.connected && !(cmd->flags & NO_AFTER) && !ctx.skip_after)
        rc = cli_after(&ctx);
    cli_ctx_close(&ctx);
    if (!cli_out_flush() && rc == 0) {
        fprintf(stderr,
                "\nA fatal error occurred: cannot write the output: %s; check the disk "
                "or pipe stdout is going to\n",
                strerror(errno));
        rc = EXIT_FAILURE_OTHER;
    }
out:
    if (argv != argv0)
        free(argv);
    free(argstore);
    return rc;
}

int cmd_help(struct cli_ctx *ctx, int argc, char **argv)
{
    (void)ctx;
    if (argc >= 2) {
        const struct cli_cmd *c = cli_find_command(argv[1]);
        if (!c)
            return cli_usage_error("espload help", "invalid command: '%s'", argv[1]);
        char *hargv[3] = {argv[1], "--help", NULL};
        return c->fn(ctx, 2, hargv);
    }
    printf("usage: espload %s\n\ncommands (v4 spellings with underscores work too):\n",
           global_usage);
    for (size_t i = 0; i < cli_n_commands; i++)
        printf("  %-20s %s\n", cli_commands[i].name, cli_commands[i].summary);
    printf("\nRun 'espload --help' for the global options and 'espload <command> --help' for a "
           "command's.\n");
    return 0;
}

int cmd_version(struct cli_ctx *ctx, int argc, char **argv)
{
    (void)ctx;
    int npos;
    static const struct cli_opt none[] = {
        {NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, 0, NULL, NULL}};
    int rc = cli_parse("espload version", none, argc, argv, &npos, false, "", "Print the version.");
    if (rc)
        return rc;
    if (npos)
        return cli_usage_error("espload version", "unrecognized argument: %s", argv[1]);
    cli_printf("%s\n", EL_VERSION);
    return 0;
}

#ifndef EL_CLI_NO_MAIN
/* Ctrl-C (or SIGTERM) mid-operation: one line saying so and the documented exit code. The
 * library cannot be unwound from a signal handler; the OS closes the port (and releases its
 * lock). Commands that own the terminal (monitor) install their own handlers meanwhile. */
static void on_interrupt(int sig)
{
    static const char msg[] = "\nA fatal error occurred: interrupted by the user; the operation "
                              "did not finish, run it again\n";
    (void)sig;
    if (write(2, msg, sizeof(msg) - 1) < 0) {
        /* nothing more can be done in a signal handler */
    }
    _exit(EXIT_INTERRUPTED);
}

int main(int argc, char **argv)
{
    signal(SIGINT, on_interrupt);
    signal(SIGTERM, on_interrupt);
    return cli_main(argc, argv);
}
#endif
