/* SPDX-License-Identifier: MIT */
/*
 * espload monitor: a serial terminal on the chip's UART that also understands what the
 * chip prints. Device output goes to stdout unchanged (optionally time-stamped and copied
 * to --log); the boot-log doctor reads the same bytes and the monitor announces what it
 * recognises ("--- " lines): failures as they happen, the MicroPython version and board, a
 * symbolized backtrace with --elf, and the doctor's verdict when the session ends.
 *
 * Keys (interactive): Ctrl-] quits; Ctrl-T R resets the chip (EN pulse via RTS); Ctrl-T H
 * shows help; Ctrl-T Ctrl-T sends Ctrl-T; everything else (Ctrl-C, Ctrl-D included) goes to
 * the device. Non-interactive (stdin not a terminal): stdin bytes are sent to the device;
 * at end of stdin the monitor waits until the device has been quiet for a second, then
 * stops; --timeout bounds the session either way.
 *
 * cli_monitor_run() is the entry used right after write_flash --monitor (and doctor --port):
 * it takes the already open port so the boot log right after the reset is never missed.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli_int.h"
#include "cli/cmd_monitor.h"
#include "espload/chip.h"
#include "espload/doctor.h"
#include "espload/err.h"
#include "espload/port.h"

#define KEY_CTRL_RBRACKET 0x1d
#define KEY_CTRL_T        0x14

#define QUIET_SETTLE_S    1.5 /* verdict: the boot is over after this much silence */
#define SETTLED_DRAIN_S   0.3 /* verdict: extra read time once the doctor saw the end */
#define NOTHING_S         5.0 /* verdict: give up when the device said nothing at all */
#define EOF_QUIET_S       1.0 /* non-interactive: stop this long after stdin ended and quiet */
#define EOF_MAX_S         10.0
#define VERDICT_DEFAULT_S 10.0

struct mon {
    struct el_port *port;
    const struct mon_opts *o;
    struct el_doctor *doc;
    struct el_sym *sym;
    FILE *log;
    bool bol;           /* stdout is at the start of a line */
    bool ctrl_t;        /* Ctrl-T pressed, waiting for the command key */
    uint32_t announced; /* finding codes already announced */
    char mp_announced[48];
    uint32_t bt_announced; /* first backtrace address already symbolized */
    size_t bt_n_announced;
    char partial[256]; /* device output since the last newline, to redraw after a note */
    size_t plen;
};

static void out_bytes(const void *p, size_t n)
{
    fwrite(p, 1, n, stdout);
}

/* A monitor message on its own line, whatever the device was printing; an unfinished
 * device line (a prompt) is drawn again after it. */
static void note(struct mon *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct mon *m, const char *fmt, ...)
{
    bool was_bol = m->bol;
    if (!was_bol)
        out_bytes("\n", 1);
    out_bytes("--- ", 4);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
    out_bytes("\n", 1);
    if (!was_bol && m->plen)
        out_bytes(m->partial, m->plen);
    fflush(stdout);
}

static void stamp(void)
{
    long long sec;
    int ms;
    mon_wallclock(&sec, &ms);
    time_t t = (time_t)sec;
    struct tm *tm = localtime(&t);
    char buf[32];
    if (tm)
        snprintf(buf, sizeof buf, "[%02d:%02d:%02d.%03d] ", tm->tm_hour, tm->tm_min, tm->tm_sec,
                 ms);
    else
        snprintf(buf, sizeof buf, "[%lld.%03d] ", sec, ms);
    out_bytes(buf, strlen(buf));
}

static void emit(struct mon *m, const unsigned char *b, size_t n)
{
    if (m->log)
        fwrite(b, 1, n, m->log);
    for (size_t i = 0; i < n; i++) {
        if (b[i] == '\n' || b[i] == '\r')
            m->plen = 0;
        else if (m->plen < sizeof m->partial)
            m->partial[m->plen++] = (char)b[i];
    }
    if (!m->o->echo)
        return;
    if (!m->o->timestamps) {
        out_bytes(b, n);
        m->bol = b[n - 1] == '\n';
    } else {
        for (size_t i = 0; i < n; i++) {
            if (m->bol && b[i] != '\r')
                stamp();
            out_bytes(&b[i], 1);
            m->bol = b[i] == '\n';
        }
    }
    fflush(stdout);
}

static void print_help(struct mon *m)
{
    note(m, "espload monitor keys: Ctrl-] quit | Ctrl-T R reset the chip | Ctrl-T H this help "
            "| Ctrl-T Ctrl-T send Ctrl-T | Ctrl-C, Ctrl-D and all other keys go to the device");
}

static int pulse_reset(struct mon *m, bool download)
{
    /* lines: true = asserted = pin low through the usual two-transistor circuit, where DTR
     * and RTS asserted together change nothing; so EN low with IO0 high first, then (for
     * download mode) IO0 low while EN rises, as esptool's classic reset does */
    struct el_port *p = m->port;
    int rc = el_port_set_lines(p, 0, 1); /* EN low */
    if (rc == EL_E_UNSUPPORTED) {
        note(m, "this port (%s) cannot reset the chip: press EN (reset) on the board",
             el_port_kind(p));
        return rc;
    }
    if (rc != EL_OK) {
        note(m, "cannot reset the chip: %s", el_port_errmsg(p));
        return rc;
    }
    el_port_sleep_ms(p, 100);
    if (download) {
        el_port_set_lines(p, 1, 0); /* IO0 low, EN high: the chip samples the straps */
        /* hold IO0 low long enough for the ESP32 rev 0 spurious watchdog reset that
         * follows an EN reset (esptool's extra ESP32r0 delay) */
        el_port_sleep_ms(p, 500);
        el_port_set_lines(p, 0, -1);
    } else {
        el_port_set_lines(p, 0, 0); /* EN high */
    }
    return EL_OK;
}

/* Tells the user what the doctor recognised, as it happens. */
static void announce(struct mon *m)
{
    if (!m->o->echo)
        return;
    static const enum el_doc_code live[] = {EL_DOC_DOWNLOAD_MODE,
                                            EL_DOC_NO_BOOTLOADER,
                                            EL_DOC_NOT_AN_IMAGE,
                                            EL_DOC_WRONG_CHIP_IMAGE,
                                            EL_DOC_FLASH_READ_ERROR,
                                            EL_DOC_CHECKSUM_ERROR,
                                            EL_DOC_FLASH_SIZE_MISMATCH,
                                            EL_DOC_FLASH_MODE,
                                            EL_DOC_PSRAM_MISSING,
                                            EL_DOC_BROWNOUT,
                                            EL_DOC_PANIC,
                                            EL_DOC_WATCHDOG,
                                            EL_DOC_PARTITION_TABLE,
                                            EL_DOC_NO_APP,
                                            EL_DOC_SECURE_BOOT,
                                            EL_DOC_FLASH_ENCRYPTION};
    for (size_t i = 0; i < sizeof live / sizeof live[0]; i++) {
        const struct el_doc_finding *f = el_doctor_seen(m->doc, live[i]);
        if (!f || (m->announced & (1u << live[i])) || f->severity < EL_DOC_SEV_WARN)
            continue;
        m->announced |= 1u << live[i];
        note(m, "espload: %s: %s; %s", el_doc_code_name(live[i]), f->what, f->fix);
    }
    const struct el_doc_info *in = el_doctor_info(m->doc);
    if (in->mp_version[0] && strcmp(in->mp_version, m->mp_announced) != 0) {
        snprintf(m->mp_announced, sizeof m->mp_announced, "%s", in->mp_version);
        note(m, "MicroPython %s on %s: Ctrl-C interrupts, Ctrl-D soft-resets, Ctrl-] quits",
             in->mp_version, in->mp_board[0] ? in->mp_board : "an unknown board");
    }
    const struct el_doc_panic *pn = el_doctor_panic(m->doc);
    if (m->sym && pn->seen && pn->n_bt &&
        (pn->bt[0] != m->bt_announced || pn->n_bt != m->bt_n_announced)) {
        m->bt_announced = pn->bt[0];
        m->bt_n_announced = pn->n_bt;
        note(m, "backtrace (%s):", pn->reason);
        for (size_t i = 0; i < pn->n_bt; i++) {
            struct el_sym_loc loc;
            if (el_sym_lookup(m->sym, pn->bt[i], &loc) == EL_OK && loc.file[0])
                note(m, "  0x%08x  %s at %s:%d", pn->bt[i], loc.function, loc.file, loc.line);
            else if (el_sym_lookup(m->sym, pn->bt[i], &loc) == EL_OK)
                note(m, "  0x%08x  %s+0x%x", pn->bt[i], loc.function, loc.offset);
            else
                note(m, "  0x%08x  ??", pn->bt[i]);
        }
    }
}

/* Handles keys from the user; returns true to quit. */
static bool keys(struct mon *m, const unsigned char *k, size_t n, bool interactive)
{
    unsigned char fwd[256];
    size_t nf = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = k[i];
        if (interactive && m->ctrl_t) {
            m->ctrl_t = false;
            if (c == 'r' || c == 'R' || c == 0x12) {
                note(m, "resetting the chip");
                pulse_reset(m, false);
            } else if (c == 'h' || c == 'H' || c == '?' || c == 0x08) {
                print_help(m);
            } else if (c == KEY_CTRL_T) {
                fwd[nf++] = c;
            } else if (c == 'q' || c == 'Q' || c == KEY_CTRL_RBRACKET) {
                return true;
            } else {
                note(m, "unknown Ctrl-T command (Ctrl-T H shows the keys)");
            }
            continue;
        }
        if (interactive && c == KEY_CTRL_RBRACKET)
            return true;
        if (interactive && c == KEY_CTRL_T) {
            m->ctrl_t = true;
            continue;
        }
        fwd[nf++] = c;
        if (nf == sizeof fwd) {
            el_port_write(m->port, fwd, nf, 1000);
            nf = 0;
        }
    }
    if (nf && el_port_write(m->port, fwd, nf, 1000) != EL_OK)
        note(m, "cannot send to the device: %s", el_port_errmsg(m->port));
    return false;
}

int mon_print_verdict(struct el_doctor *d, bool json, const char *elf_path)
{
    struct el_sym *sym = NULL;
    if (elf_path) {
        char err[512];
        int rc = el_sym_open(&sym, elf_path, err, sizeof err);
        if (rc != EL_OK) {
            cli_fatal("%s", err);
            return rc == EL_E_UNSUPPORTED ? EXIT_UNSUPPORTED : EXIT_INPUT;
        }
    }
    char *rep = el_doctor_report(d, json ? EL_DOC_JSON : EL_DOC_TEXT, sym);
    el_sym_close(sym);
    if (!rep) {
        cli_fatal("out of memory while writing the report");
        return EXIT_FAILURE_OTHER;
    }
    fputs(rep, stdout);
    fflush(stdout);
    free(rep);
    return el_doctor_healthy(d) ? EXIT_OK : EXIT_DIAGNOSIS;
}

int mon_session(struct cli_ctx *ctx, struct el_port *port, const struct mon_opts *o)
{
    (void)ctx;
    struct mon m = {.port = port, .o = o, .bol = true};
    int rc = EXIT_OK;
    struct el_doctor_cfg dcfg = {.chip = o->chip,
                                 .has_psram = o->psram,
                                 .flash_encryption = o->flash_encryption,
                                 .secure_boot = o->secure_boot};
    if (el_doctor_new(&m.doc, &dcfg) != EL_OK) {
        cli_fatal("out of memory");
        return EXIT_FAILURE_OTHER;
    }
    if (o->elf_path && !o->verdict_only) {
        char err[512];
        if (el_sym_open(&m.sym, o->elf_path, err, sizeof err) != EL_OK) {
            cli_fatal("%s", err);
            el_doctor_free(m.doc);
            return EXIT_INPUT;
        }
    }
    if (o->log_path) {
        m.log = fopen(o->log_path, "ab");
        if (!m.log) {
            cli_fatal("cannot write the log '%s': %s; check the path and permissions", o->log_path,
                      strerror(errno));
            el_sym_close(m.sym);
            el_doctor_free(m.doc);
            return EXIT_INPUT;
        }
    }
    bool interactive = false, use_console = !o->verdict_only, stdin_eof = !use_console;
    if (use_console && mon_console_init(&interactive) != 0)
        cli_warn("cannot put the terminal in raw mode; keys are sent line by line");
    bool sim = strcmp(el_port_kind(port), "sim") == 0;
    if (o->echo && !o->verdict_only)
        note(&m, "espload monitor on %s at %u baud%s", el_port_name(port), el_port_get_baud(port),
             interactive ? ": Ctrl-] quits, Ctrl-T H shows the keys" : "");
    if (o->reset_first) {
        el_port_flush_input(port);
        pulse_reset(&m, o->download_strap);
    }
    double t0 = cli_now(), last_rx = -1, eof_at = stdin_eof ? t0 : -1, settled_at = -1;
    double limit = o->timeout_s > 0 ? o->timeout_s : (o->verdict_only ? VERDICT_DEFAULT_S : 0);
    unsigned char buf[4096];
    for (;;) {
        if (mon_console_interrupted()) {
            rc = EXIT_INTERRUPTED;
            break;
        }
        int n = el_port_read(port, buf, sizeof buf, 20);
        double now = cli_now();
        if (n < 0) {
            note(&m, "the port failed: %s", el_port_errmsg(port));
            rc = EXIT_DEVICE;
            break;
        }
        if (n > 0) {
            emit(&m, buf, (size_t)n);
            el_doctor_feed(m.doc, buf, (size_t)n);
            last_rx = now;
            announce(&m);
        }
        if (!stdin_eof) {
            unsigned char k[256];
            int kn = mon_console_read(k, sizeof k, sim && interactive ? 20 : 0);
            if (kn < 0) {
                stdin_eof = true;
                eof_at = now;
            } else if (kn > 0 && keys(&m, k, (size_t)kn, interactive)) {
                break;
            }
        }
        if (limit > 0 && now - t0 >= limit)
            break;
        if (o->verdict_only) {
            if (settled_at < 0 && el_doctor_settled(m.doc))
                settled_at = now;
            if (settled_at >= 0 && now - settled_at >= SETTLED_DRAIN_S)
                break;
            if (last_rx >= 0 && now - last_rx >= QUIET_SETTLE_S)
                break;
            if (last_rx < 0 && now - t0 >= NOTHING_S)
                break;
        } else if (stdin_eof && !interactive) {
            double quiet = last_rx < 0 ? now - eof_at : now - last_rx;
            if ((quiet >= EOF_QUIET_S && now - eof_at >= EOF_QUIET_S) || now - eof_at >= EOF_MAX_S)
                break;
        }
    }
    if (use_console)
        mon_console_restore();
    if (m.log)
        fclose(m.log);
    el_doctor_finish(m.doc);
    if (o->verdict_only) {
        int vrc = mon_print_verdict(m.doc, o->json, o->elf_path);
        if (rc == EXIT_OK)
            rc = vrc;
    } else if (o->echo && el_doctor_lines(m.doc) > 0) {
        note(&m, "espload: verdict: %s", el_doctor_verdict(m.doc));
    }
    el_sym_close(m.sym);
    el_doctor_free(m.doc);
    return rc;
}

int cli_monitor_run(struct cli_ctx *ctx, struct el_port *port, bool verdict_only)
{
    /* after flashing the host may still run at the flashing baud; the chip's ROM and apps
     * talk at 115200 */
    if (el_port_get_baud(port) != 115200)
        el_port_set_baud(port, 115200);
    const struct cli_opts *g = cli_get_opts(ctx);
    struct mon_opts o = {
        .psram = -1,
        .flash_encryption = -1,
        .secure_boot = -1,
        .verdict_only = verdict_only,
        .echo = true,
        .chip = g->chip && strcmp(g->chip, "auto") != 0 ? g->chip : NULL,
    };
    /* after write_flash the chip was detected: the doctor may use it */
    const struct el_chip *c = ctx->chip ? el_chip_by_id((enum el_chip_id)ctx->chip) : NULL;
    if (c && c->id != EL_CHIP_UNKNOWN)
        o.chip = c->name;
    return mon_session(ctx, port, &o);
}

static bool parse_seconds(const char *s, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !(v >= 0) || v > 1e6)
        return false;
    *out = v;
    return true;
}

int cmd_monitor(struct cli_ctx *ctx, int argc, char **argv)
{
    const char *prog = "espload monitor";
    bool timestamps = false, no_reset = false, verdict = false;
    const char *log = NULL, *timeout = NULL, *elf = NULL;
    const struct cli_opt opts[] = {
        {"timestamps", NULL, NULL, OPT_FLAG, &timestamps, NULL, NULL,
         "prefix every line from the device with the local time", 0, NULL, NULL},
        {"log", NULL, NULL, OPT_STR, &log, NULL, "FILE", "also append the device output to FILE", 0,
         NULL, NULL},
        {"timeout", NULL, NULL, OPT_STR, &timeout, NULL, "SECONDS",
         "stop after SECONDS (default: until Ctrl-] or the end of stdin)", 0, NULL, NULL},
        {"no-reset", NULL, NULL, OPT_FLAG, &no_reset, NULL, NULL,
         "do not reset the chip when the monitor starts", 0, NULL, NULL},
        {"elf", NULL, NULL, OPT_STR, &elf, NULL, "FILE",
         "the app's ELF file: name the function and source line of panic backtraces", 0, NULL,
         NULL},
        {"verdict", NULL, NULL, OPT_FLAG, &verdict, NULL, NULL,
         "stop once the boot has settled and print the doctor's verdict", 0, NULL, NULL},
        {NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, 0, NULL, NULL},
    };
    int npos = 0;
    int rc = cli_parse(prog, opts, argc, argv, &npos, false, "[options]",
                       "Serial terminal on the chip's UART at 115200 baud (or --baud). Ctrl-] "
                       "quits, Ctrl-T R resets the chip, Ctrl-T H lists the keys. Device output "
                       "is decoded by the boot-log doctor (see 'espload doctor').");
    if (rc)
        return rc;
    if (npos > 0)
        return cli_usage_error(prog, "unrecognized arguments: %s", argv[1]);
    struct mon_opts o = {.psram = -1,
                         .flash_encryption = -1,
                         .secure_boot = -1,
                         .reset_first = !no_reset,
                         .timestamps = timestamps,
                         .echo = true,
                         .verdict_only = verdict,
                         .log_path = log,
                         .elf_path = elf};
    if (timeout && !parse_seconds(timeout, &o.timeout_s))
        return cli_usage_error(prog, "argument --timeout: invalid value '%s' (seconds)", timeout);
    const struct cli_opts *g = cli_get_opts(ctx);
    o.chip = g->chip && strcmp(g->chip, "auto") != 0 ? g->chip : NULL;
    struct el_port *port = NULL;
    rc = cli_open_port(ctx, &port);
    if (rc)
        return rc;
    unsigned baud = g->baud ? g->baud : 115200;
    if (el_port_get_baud(port) != baud) {
        int e = el_port_set_baud(port, baud);
        if (e != EL_OK && e != EL_E_UNSUPPORTED) {
            cli_fatal("cannot set %u baud on %s: %s", baud, el_port_name(port),
                      el_port_errmsg(port));
            return cli_exit_from_err(e);
        }
    }
    return mon_session(ctx, port, &o);
}
