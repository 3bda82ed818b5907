/* SPDX-License-Identifier: MIT */
/*
 * espload doctor: reads a boot log and says what happened, why, and what to do.
 *
 * Input, in this order of preference:
 *   --log FILE (or --log - for stdin)   a captured log
 *   --port PORT (global option)         live: espload resets the chip (--reset) and listens
 *                                       until the boot settles
 *   stdin, when it is not a terminal    a piped log
 *   otherwise                           live on the auto-detected port
 * Output: the verdict and findings as text, or JSON with --json (stable codes, see
 * docs/DOCTOR.md). Exit code 0 when the board is healthy, EXIT_DIAGNOSIS (12) when a
 * problem was found (or nothing could be placed).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_int.h"
#include "cli/cmd_monitor.h"
#include "espload/chip.h"
#include "espload/doctor.h"
#include "espload/loader.h"
#include "espload/err.h"
#include "espload/port.h"

static int diagnose_stream(FILE *fp, const char *name, const char *chip, bool json, const char *elf)
{
    struct el_doctor_cfg cfg = {
        .chip = chip, .has_psram = -1, .flash_encryption = -1, .secure_boot = -1};
    struct el_doctor *d = NULL;
    if (el_doctor_new(&d, &cfg) != EL_OK) {
        cli_fatal("out of memory");
        return EXIT_FAILURE_OTHER;
    }
    static unsigned char buf[64 * 1024];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, fp)) > 0)
        el_doctor_feed(d, buf, n);
    if (ferror(fp)) {
        cli_fatal("cannot read '%s': %s", name, strerror(errno));
        el_doctor_free(d);
        return EXIT_INPUT;
    }
    el_doctor_finish(d);
    int rc = mon_print_verdict(d, json, elf);
    el_doctor_free(d);
    return rc;
}

int cmd_doctor(struct cli_ctx *ctx, int argc, char **argv)
{
    const char *prog = "espload doctor";
    bool json = false, identify = false;
    const char *log = NULL, *elf = NULL, *reset = "hard", *timeout = NULL;
    static const char *const reset_choices[] = {"hard", "none", "download", NULL};
    const struct cli_opt opts[] = {
        {"log", NULL, NULL, OPT_STR, &log, NULL, "FILE",
         "read a captured boot log from FILE ('-' for stdin) instead of the port", 0, NULL, NULL},
        {"json", NULL, NULL, OPT_FLAG, &json, NULL, NULL,
         "machine-readable output: one entry per finding with a stable code", 0, NULL, NULL},
        {"elf", NULL, NULL, OPT_STR, &elf, NULL, "FILE",
         "the app's ELF file: name the function and source line of panic addresses", 0, NULL, NULL},
        {"reset", NULL, NULL, OPT_STR, &reset, reset_choices, "MODE",
         "live: how to start the boot: hard (EN pulse, default), none (just listen), download "
         "(hold GPIO0 low: checks the auto-program circuit)",
         0, NULL, NULL},
        {"timeout", NULL, NULL, OPT_STR, &timeout, NULL, "SECONDS",
         "live: listen at most this long (default 10)", 0, NULL, NULL},
        {"identify", NULL, NULL, OPT_FLAG, &identify, NULL, NULL,
         "live: first connect to the ROM to learn the chip (type, embedded PSRAM, flash "
         "encryption, secure boot), then reset and read the boot",
         0, NULL, NULL},
        {NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, 0, NULL, NULL},
    };
    int npos = 0;
    int rc = cli_parse(prog, opts, argc, argv, &npos, false, "[options]",
                       "Diagnose a board from its boot log: what happened, why, and the fix. "
                       "Reads --log FILE, a piped log on stdin, or (with --port, or when stdin "
                       "is a terminal) resets the chip and listens. Exit code 0: healthy; 12: "
                       "a problem was found.");
    if (rc)
        return rc;
    if (npos > 0)
        return cli_usage_error(prog, "unrecognized arguments: %s", argv[1]);
    double timeout_s = 0;
    if (timeout) {
        char *end;
        timeout_s = strtod(timeout, &end);
        if (end == timeout || *end || !(timeout_s > 0) || timeout_s > 1e6)
            return cli_usage_error(prog, "argument --timeout: invalid value '%s' (seconds)",
                                   timeout);
    }
    if (json)
        cli_out_init(true, false); /* keep stdout for the JSON document */
    const struct cli_opts *g = cli_get_opts(ctx);
    const char *chip = g->chip && strcmp(g->chip, "auto") != 0 ? g->chip : NULL;

    if (log) {
        if (strcmp(log, "-") == 0)
            return diagnose_stream(stdin, "stdin", chip, json, elf);
        FILE *fp = fopen(log, "rb");
        if (!fp) {
            cli_fatal("cannot read the log '%s': %s; check the path", log, strerror(errno));
            return EXIT_INPUT;
        }
        rc = diagnose_stream(fp, log, chip, json, elf);
        fclose(fp);
        return rc;
    }
    if (!g->port && !mon_stdin_is_tty())
        return diagnose_stream(stdin, "stdin", chip, json, elf);

    struct el_port *port = NULL;
    rc = cli_open_port(ctx, &port);
    if (rc)
        return rc;
    if (el_port_get_baud(port) != 115200)
        el_port_set_baud(port, 115200);
    struct mon_opts o = {
        .psram = -1,
        .flash_encryption = -1,
        .secure_boot = -1,
        .verdict_only = true,
        .reset_first = strcmp(reset, "none") != 0,
        .download_strap = strcmp(reset, "download") == 0,
        .json = json,
        .echo = false,
        .timeout_s = timeout_s,
        .elf_path = elf,
        .chip = chip,
    };
    if (identify) {
        struct el_loader *l = NULL;
        rc = cli_connect(ctx, &l);
        if (rc)
            return rc;
        ctx->skip_after = true; /* the doctor resets the chip itself */
        const struct el_chip_info *ci = cli_chip_info(ctx);
        const struct el_chip *c = ci ? el_chip_by_id(ci->chip) : NULL;
        if (c)
            o.chip = c->name;
        if (ci) {
            if (cli_psram_from_features(ci->features[0]) == 1 ||
                cli_psram_from_features(ci->features[1]) == 1)
                o.psram = 1;
            o.flash_encryption = ci->flash_encryption;
            o.secure_boot = ci->secure_boot;
        }
    }
    if (!json)
        cli_printf("Listening to the boot log on %s%s...\n", el_port_name(port),
                   o.reset_first ? " after resetting the chip" : "");
    return mon_session(ctx, port, &o);
}
