/* SPDX-License-Identifier: MIT */
/*
 * The session behind a command: opening the port (or finding one), connecting, printing
 * what esptool prints for each library event, progress and --trace, and the --after step.
 */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli_int.h"
#include "espload/chip.h"
#include "espload/err.h"
#include "espload/loader.h"
#include "espload/port.h"
#include "espload/proto.h"
#include "elsim.h"

/* Monotonic seconds, for --trace stamps. */
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct el_port *clock_port; /* the open port, for cli_now() */

double cli_now(void)
{
    /* on sim:// the device has its own clock (modelled wire and flash time when the
     * simulator's timing model is on): durations are reported in that time */
    struct elsim *dev = clock_port ? el_port_sim_device(clock_port) : NULL;
    if (dev)
        return (double)elsim_now_us(dev) / 1e6;
    return now_s();
}

void cli_ctx_init(struct cli_ctx *ctx)
{
    memset(ctx, 0, sizeof(*ctx));
    ctx->opts.chip = "auto";
    ctx->opts.before = "default-reset";
    ctx->opts.after = "hard-reset";
    ctx->opts.baud = 115200;
    ctx->opts.connect_attempts = 7;
    ctx->open_port_attempts = 1;
    cli_config_init(&ctx->config);
}

const struct cli_opts *cli_get_opts(const struct cli_ctx *ctx)
{
    return &ctx->opts;
}

void cli_ctx_close(struct cli_ctx *ctx)
{
    el_loader_free(ctx->loader);
    ctx->loader = NULL;
    el_port_close(ctx->port);
    ctx->port = NULL;
    ctx->connected = false;
    clock_port = NULL;
}

/* ---- events, progress, trace ---- */

static struct {
    bool detecting;          /* "Detecting chip type..." is open on the line */
    double trace_t0;         /* first trace stamp */
    double trace_last;       /* previous trace stamp */
    double xfer_t0;          /* first progress report of the current transfer */
    double xfer_t1;          /* last progress report of the current transfer */
    const char *curfile;     /* file being written, for messages */
    bool soft_reset_refused; /* --after soft-reset from the stub */
    bool rom_erase_line;     /* print "Erasing flash..." once the write plan is known */
    bool erase_took_shown;   /* "Took ...s to erase flash block" printed for this transfer */
} ses;

void cli_write_erase_line(bool on)
{
    ses.rom_erase_line = on;
}

void cli_xfer_begin(const char *file)
{
    ses.xfer_t0 = 0; /* set by the first progress report */
    ses.xfer_t1 = 0;
    ses.curfile = file;
    ses.erase_took_shown = false;
    cli_progress_reset();
}

double cli_xfer_seconds(void)
{
    if (ses.xfer_t0 == 0)
        return 0;
    return ses.xfer_t1 - ses.xfer_t0;
}

static void on_event(void *user, const struct el_event *ev)
{
    struct cli_ctx *ctx = user;
    const char *s = ev->str ? ev->str : "";
    switch (ev->id) {
    case EL_EV_RESET_UNAVAILABLE:
        if (strcmp(s, "socket") == 0)
            cli_printf("Note: It's not possible to reset the chip over a TCP socket. Automatic "
                       "resetting to bootloader has been disabled, reset the chip manually.\n");
        else
            cli_printf("Note: %s\n", ev->text);
        break;
    case EL_EV_CONNECTING:
        cli_printf("Connecting...");
        break;
    case EL_EV_CONNECT_DOT:
        cli_printf(".");
        break;
    case EL_EV_CONNECTED:
    case EL_EV_CONNECT_FAILED:
        cli_out_endline();
        break;
    case EL_EV_STUB_ALREADY_RUNNING:
        cli_printf("Stub is already running. No upload is necessary.\n");
        break;
    case EL_EV_PANIC:
        cli_warn("%s\n", ev->text);
        break;
    case EL_EV_DETECTING_CHIP:
        cli_printf("Detecting chip type...");
        ses.detecting = true;
        break;
    case EL_EV_CHIP_DETECTED:
        if (ses.detecting)
            cli_printf(" %s\n", s);
        ses.detecting = false;
        break;
    case EL_EV_CHIP_UNKNOWN_MAGIC: {
        const struct el_chip *c = el_chip_by_name(ctx->opts.chip);
        cli_warn("WARNING: This chip doesn't appear to be a %s (chip magic value 0x%08x). "
                 "Probably it is unsupported by this version of espload.\n",
                 c ? c->display : ctx->opts.chip, (unsigned)ev->a);
        break;
    }
    case EL_EV_STUB_NONE:
        cli_printf("No flasher stub for %s in this build: using the ROM loader (slower, no "
                   "compression).\n",
                   s);
        break;
    case EL_EV_STUB_UPLOADING:
        cli_printf("Uploading stub...\n");
        break;
    case EL_EV_STUB_RUNNING:
        cli_printf("Running stub...\n");
        break;
    case EL_EV_STUB_STARTED:
        cli_printf("Stub running...\n");
        break;
    case EL_EV_BAUD_CHANGING:
        cli_printf("Changing baud rate to %lld\n", (long long)ev->a);
        break;
    case EL_EV_BAUD_CHANGED:
        cli_printf("Changed.\n");
        break;
    case EL_EV_BAUD_FAILED:
        cli_warn("WARNING: the link did not work at %lld baud; continuing at %lld baud (%s)\n",
                 (long long)ev->a, (long long)ev->b,
                 ctx->opts.baud_given ? "try a lower --baud"
                                      : "the usual rate of this USB bridge; give --baud to choose "
                                        "one that works");
        break;
    case EL_EV_SPI_ATTACH:
        if (ev->b == 0)
            cli_printf("Enabling default SPI flash mode...\n");
        else if (ev->b == 1)
            cli_printf("Attaching flash from eFuses' SPI pads configuration(%s)...\n", s);
        /* b == 2 (--spi-connection): printed by the command, with esptool's text */
        break;
    case EL_EV_COMPRESSED:
        cli_printf("Compressed %lld bytes to %lld...\n", (long long)ev->a, (long long)ev->b);
        break;
    case EL_EV_COMPRESS_NOT_USEFUL:
        cli_printf("Note: compressing %lld bytes gave %lld bytes; sending them uncompressed.\n",
                   (long long)ev->a, (long long)ev->b);
        break;
    case EL_EV_ROM_ERASING: /* write_flash prints it first, where esptool does */
        break;
    case EL_EV_ROM_ERASE_TOOK:
        /* once per file, as esptool (a sector plan erases each changed run when it begins,
         * between progress lines) */
        if (!ses.erase_took_shown)
            cli_printf("Took %.2fs to erase flash block\n", (double)ev->a / 1000.0);
        ses.erase_took_shown = true;
        break;
    case EL_EV_ALREADY_IN_FLASH:
        cli_printf("'%s' at 0x%08llx already in flash, skipping write.\n",
                   ses.curfile ? ses.curfile : "data", (unsigned long long)ev->a);
        break;
    case EL_EV_CHANGED_SECTORS:
        if (ev->a < ev->b)
            cli_printf("Skipped %lld of %lld sectors already holding this data (device MD5); "
                       "writing %lld changed sector%s...\n",
                       (long long)(ev->b - ev->a), (long long)ev->b, (long long)ev->a,
                       ev->a == 1 ? "" : "s");
        if (ses.rom_erase_line && ev->a > 0)
            cli_printf("Erasing flash...\n"); /* the ROM erases when each write begins */
        ses.rom_erase_line = false;
        break;
    case EL_EV_HARD_RESET:
        cli_printf("Hard resetting via RTS pin...\n");
        break;
    case EL_EV_SOFT_RESET:
        cli_printf("Soft resetting...\n");
        break;
    case EL_EV_STAY_BOOTLOADER:
        cli_printf("Staying in bootloader.\n");
        break;
    case EL_EV_STAY_STUB:
        cli_printf("Staying in flasher stub.\n");
        break;
    case EL_EV_SOFT_RESET_UNSUPPORTED:
        ses.soft_reset_refused = true; /* esptool: a fatal error (cli_after) */
        break;
    case EL_EV_WATCHDOG_UNSUPPORTED:
        cli_warn("%s\n", ev->text);
        break;
    case EL_EV_WARNING:
        cli_warn("WARNING: %s\n", ev->str ? ev->str : ev->text);
        break;
    case EL_EV_NOTE:
        cli_printf("Note: %s\n", ev->str ? ev->str : ev->text);
        break;
    case EL_EV_BLOCK_RETRY:
    case EL_EV_CONNECT_ATTEMPT:
    case EL_EV_BOOT_BANNER:
    case EL_EV_DETECT_FALLBACK:
    case EL_EV_UNSUPPORTED_CMD:
    case EL_EV_STUB_SOURCE:
    case EL_EV_FLASH_SET_PARAMS: /* "Configuring flash size..." is printed by the command */
    case EL_EV_VERIFYING:
    case EL_EV_VERIFIED: /* printed by the command from the result, never from an event */
    case EL_EV_DEBUG:
    default:
        if (ctx->verbose)
            cli_printf("%s\n", ev->text);
        break;
    }
}

static void on_progress(void *user, const struct el_progress *p)
{
    (void)user;
    double t = cli_now();
    if (ses.xfer_t0 == 0)
        ses.xfer_t0 = t;
    ses.xfer_t1 = t;
    unsigned pct;
    switch (p->op) {
    case EL_PROG_WRITE:
        /* esptool prints before sending block seq: the address written so far and
         * 100 * (seq + 1) / blocks */
        if (p->blocks == 0 || p->block >= p->blocks)
            return;
        pct = (unsigned)(100ull * (p->block + 1) / p->blocks);
        cli_progress(pct, "Writing at 0x%08x... (%u %%)", p->addr, pct);
        break;
    case EL_PROG_READ: /* esptool reports after each packet: never "0 (0 %)" */
        if (p->total == 0 || p->done == 0 || p->done >= p->total)
            return;
        pct = (unsigned)(100ull * p->done / p->total);
        cli_progress(pct, "%llu (%u %%)", (unsigned long long)p->done, pct);
        break;
    case EL_PROG_DUMP:
        if (p->total == 0 || p->done >= p->total || p->done % 1024)
            return;
        pct = (unsigned)(100ull * p->done / p->total);
        cli_progress(pct, "%llu bytes read... (%u %%)", (unsigned long long)p->done, pct);
        break;
    case EL_PROG_ERASE:
    case EL_PROG_VERIFY:
    case EL_PROG_RAM:
    default:
        break;
    }
}

static void on_trace(void *user, enum el_trace_dir dir, const uint8_t *d, size_t len)
{
    (void)user;
    double t = now_s();
    if (ses.trace_t0 == 0)
        ses.trace_t0 = ses.trace_last = t;
    double delta = t - ses.trace_last;
    ses.trace_last = t;
    char what[96];
    if (dir == EL_TRACE_RX_RAW) {
        snprintf(what, sizeof(what), "RX raw %zu bytes (outside frames)", len);
    } else if (len >= 8 && d[0] == (dir == EL_TRACE_TX ? 0x00 : 0x01)) {
        unsigned dlen = (unsigned)d[2] | ((unsigned)d[3] << 8);
        uint32_t val = (uint32_t)d[4] | ((uint32_t)d[5] << 8) | ((uint32_t)d[6] << 16) |
                       ((uint32_t)d[7] << 24);
        const char *name = el_op_name(d[1]);
        if (dir == EL_TRACE_TX)
            snprintf(what, sizeof(what), "TX %s (0x%02x) len=%u chk=0x%02x", name ? name : "?",
                     d[1], dlen, (unsigned)(val & 0xFF));
        else
            snprintf(what, sizeof(what), "RX %s (0x%02x) len=%u value=0x%08x", name ? name : "?",
                     d[1], dlen, (unsigned)val);
    } else {
        snprintf(what, sizeof(what), "%s raw frame %zu bytes", dir == EL_TRACE_TX ? "TX" : "RX",
                 len);
    }
    fprintf(stderr, "TRACE +%.3f %s\n", delta, what);
    for (size_t i = 0; i < len; i += 32) {
        fprintf(stderr, "    %04zx:", i);
        for (size_t k = i; k < len && k < i + 32; k++)
            fprintf(stderr, " %02x", d[k]);
        fputc('\n', stderr);
    }
}

void cli_restore_progress(struct cli_ctx *ctx)
{
    if (ctx->loader)
        el_loader_set_progress_cb(ctx->loader, on_progress, ctx);
}

/* ---- port ---- */

static unsigned initial_baud(const struct cli_ctx *ctx)
{
    if (strcmp(ctx->opts.before, "no-reset-no-sync") == 0)
        return ctx->opts.baud;
    return ctx->opts.baud < 115200 ? ctx->opts.baud : 115200;
}

int cli_fail(struct cli_ctx *ctx, int err, const char *what)
{
    const char *msg = ctx->loader ? el_loader_errmsg(ctx->loader) : "";
    const char *hint = ctx->loader ? el_loader_errhint(ctx->loader) : "";
    if (!msg || !*msg)
        msg = el_strerror(err);
    if (what && *what) {
        if (hint && *hint)
            cli_fatal("%s: %s; %s", what, msg, hint);
        else
            cli_fatal("%s: %s", what, msg);
    } else {
        if (hint && *hint)
            cli_fatal("%s; %s", msg, hint);
        else
            cli_fatal("%s", msg);
    }
    return cli_exit_from_err(err);
}

/* --port-filter: name=/serial= are checked on the name, vid=/pid= on the open port. */
static bool name_filter_ok(const struct cli_ctx *ctx, const char *name)
{
    for (size_t i = 0; i < ctx->n_port_filter; i++) {
        const char *f = ctx->port_filter[i];
        const char *v = strchr(f, '=') + 1;
        if ((!strncmp(f, "name=", 5) || !strncmp(f, "serial=", 7)) && !strstr(name, v))
            return false;
    }
    return true;
}

static bool ids_filter_ok(const struct cli_ctx *ctx, struct el_port *p)
{
    for (size_t i = 0; i < ctx->n_port_filter; i++) {
        const char *f = ctx->port_filter[i];
        const char *v = strchr(f, '=') + 1;
        bool is_vid = !strncmp(f, "vid=", 4), is_pid = !strncmp(f, "pid=", 4);
        if (!is_vid && !is_pid)
            continue;
        uint16_t vid, pid;
        long long want;
        if (el_port_usb_ids(p, &vid, &pid) != EL_OK || !cli_parse_int(v, &want))
            return false;
        if ((is_vid && vid != want) || (is_pid && pid != want))
            return false;
    }
    return true;
}

static int open_named(struct cli_ctx *ctx, const char *name, struct el_port **out, bool quiet)
{
    char err[512] = "";
    struct el_port_cfg cfg = {.baud = initial_baud(ctx), .no_lock = false};
    int attempts = ctx->open_port_attempts;
    int rc = EL_E_PORT;
    bool first = true;
    for (int i = 0; attempts <= 0 || i < attempts; i++) {
        rc = el_port_open(out, name, &cfg, err, sizeof(err));
        if (rc == EL_OK)
            break;
        if (attempts == 1 || rc != EL_E_PORT)
            break;
        if (first && !quiet) {
            cli_printf("%s\nRetrying failed connection", err);
            first = false;
        }
        if (!quiet && i % 10 == 9)
            cli_printf(".");
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
        if (attempts > 0 && i + 1 >= attempts)
            break;
    }
    if (!first)
        cli_out_endline();
    if (rc == EL_OK)
        clock_port = *out;
    if (rc != EL_OK) {
        if (!quiet)
            cli_fatal("%s", err[0] ? err : el_strerror(rc));
        return cli_exit_from_err(rc == EL_E_ARG ? EL_E_ARG : rc);
    }
    return 0;
}

int cli_open_port(struct cli_ctx *ctx, struct el_port **out)
{
    *out = NULL;
    if (ctx->port) {
        *out = ctx->port;
        return 0;
    }
    if (ctx->opts.port) {
        cli_printf("Serial port %s\n", ctx->opts.port);
        int rc = open_named(ctx, ctx->opts.port, &ctx->port, false);
        if (rc)
            return rc;
        *out = ctx->port;
        return 0;
    }
    /* no --port: the first candidate that opens (cli_connect tries each until one answers) */
    char **names = NULL;
    size_t n = 0;
    if (el_port_list(&names, &n) != EL_OK)
        n = 0;
    cli_printf("Found %zu serial ports\n", n);
    for (size_t i = 0; i < n; i++) {
        if (!name_filter_ok(ctx, names[i]))
            continue;
        cli_printf("Serial port %s\n", names[i]);
        struct el_port *p = NULL;
        if (open_named(ctx, names[i], &p, true) == 0 && !ids_filter_ok(ctx, p)) {
            el_port_close(p);
            continue;
        }
        if (p) {
            ctx->port = p;
            ctx->opts.port = NULL;
            el_port_list_free(names);
            *out = p;
            return 0;
        }
    }
    el_port_list_free(names);
    cli_fatal("no serial port could be opened (%zu found); connect the board, or give --port "
              "(or ESPTOOL_PORT)",
              n);
    return EXIT_PORT;
}

/* ---- connect ---- */

/* Stub discovery roots for esptool-format JSON stubs installed on this machine. */
static void stub_roots(glob_t *g)
{
    static const char *const pats[] = {
        "/usr/lib/python3/dist-packages",
        "/usr/local/lib/python3*/dist-packages",
        "/usr/local/lib/python3*/site-packages",
        "~/.local/lib/python3*/site-packages",
        "~/.espressif/python_env/*/lib/python3*/site-packages",
        "node_modules",
    };
    memset(g, 0, sizeof(*g));
    int flags = GLOB_NOSORT | GLOB_TILDE | GLOB_ONLYDIR;
    for (size_t i = 0; i < sizeof(pats) / sizeof(pats[0]); i++) {
        glob(pats[i], flags, NULL, g);
        flags |= GLOB_APPEND;
    }
}

static enum el_before before_of(const struct cli_ctx *ctx)
{
    enum el_before b = EL_BEFORE_DEFAULT_RESET;
    if (el_before_parse(ctx->opts.before, &b) != EL_OK)
        b = EL_BEFORE_DEFAULT_RESET;
    return b;
}

static int connect_on_port(struct cli_ctx *ctx, bool quiet_fail)
{
    int rc = el_loader_new(&ctx->loader, ctx->port);
    if (rc != EL_OK) {
        cli_fatal("cannot create the loader: %s", el_strerror(rc));
        return cli_exit_from_err(rc);
    }
    el_loader_set_event_cb(ctx->loader, on_event, ctx);
    el_loader_set_progress_cb(ctx->loader, on_progress, ctx);
    if (ctx->opts.trace)
        el_loader_set_trace_cb(ctx->loader, on_trace, ctx);
    rc = el_loader_set_tuning(ctx->loader, &ctx->config.tuning);
    if (rc != EL_OK)
        return cli_fail(ctx, rc, "cannot use the configuration file's settings");
    struct el_connect_opts co;
    el_connect_opts_init(&co);
    co.before = before_of(ctx);
    co.attempts = ctx->opts.connect_attempts;
    if (ctx->config.reset_sequence[0])
        co.reset_sequence = ctx->config.reset_sequence;
    co.reset_delay_set = ctx->config.has_reset_delay;
    co.reset_delay_ms = ctx->config.reset_delay_ms;
    const struct el_chip *want = el_chip_by_name(ctx->opts.chip);
    co.chip = want ? want->id : EL_CHIP_UNKNOWN;
    if (co.before == EL_BEFORE_NO_RESET || co.before == EL_BEFORE_NO_RESET_NO_SYNC)
        cli_printf("WARNING: Pre-connection option \"%s\" was selected. Connection may fail if "
                   "the chip is not in bootloader or flasher stub mode.\n",
                   ctx->opts.before);
    ses.detecting = false;
    rc = el_loader_connect(ctx->loader, &co);
    cli_out_endline();
    if (rc != EL_OK) {
        if (quiet_fail)
            return cli_exit_from_err(rc);
        const char *msg = el_loader_errmsg(ctx->loader);
        if (rc == EL_E_CONNECT && msg && strncmp(msg, "Failed to connect", 17) != 0) {
            char what[64];
            snprintf(what, sizeof(what), "Failed to connect to %s",
                     want ? want->display : "Espressif device");
            return cli_fail(ctx, rc, what);
        }
        return cli_fail(ctx, rc, NULL);
    }
    return 0;
}

static struct {
    bool have;
    struct el_chip_info info;
} chipstate;

const struct el_chip_info *cli_chip_info(struct cli_ctx *ctx)
{
    if (!chipstate.have && ctx->loader) {
        memset(&chipstate.info, 0, sizeof(chipstate.info));
        if (el_loader_chip_info(ctx->loader, &chipstate.info) == EL_OK)
            chipstate.have = true;
    }
    return chipstate.have ? &chipstate.info : NULL;
}

static int print_chip(struct cli_ctx *ctx)
{
    chipstate.have = false;
    memset(&chipstate.info, 0, sizeof(chipstate.info));
    int rc = el_loader_chip_info(ctx->loader, &chipstate.info);
    if (rc != EL_OK)
        return cli_fail(ctx, rc, "cannot read the chip's description");
    chipstate.have = true;
    const struct el_chip_info info = chipstate.info;
    if (info.chip != EL_CHIP_UNKNOWN)
        ctx->chip = info.chip;
    if (info.secure_download) {
        const struct el_chip *c = el_loader_chip(ctx->loader);
        cli_printf("Chip is %s in Secure Download Mode\n", c ? c->display : "chip");
        return 0;
    }
    cli_printf("Chip is %s\n", info.description[EL_STYLE_V4]);
    cli_printf("Features: %s\n", info.features[EL_STYLE_V4]);
    if (info.crystal_mhz)
        cli_printf("Crystal is %uMHz\n", info.crystal_mhz);
    if (info.mac_valid)
        cli_printf("MAC: %s\n", info.mac_str);
    return 0;
}

static int override_vddsdio(struct cli_ctx *ctx)
{
    const char *v = ctx->override_vddsdio;
    if (ctx->chip != EL_CHIP_ESP32) {
        cli_fatal("--override-vddsdio is only supported on the ESP32; remove the option");
        return EXIT_UNSUPPORTED;
    }
    /* RTC_CNTL_SDIO_CONF_REG (esp32.py): FORCE | PD_EN, XPD unless OFF, DREF* for 1.9V */
    uint32_t val = (1u << 22) | (1u << 21);
    if (strcmp(v, "OFF") != 0)
        val |= 1u << 31;
    if (strcmp(v, "1.9V") == 0)
        val |= (3u << 29) | (3u << 27) | (3u << 25);
    int rc = el_loader_write_reg(ctx->loader, 0x3FF48074, val, 0xFFFFFFFF, 0);
    if (rc != EL_OK)
        return cli_fail(ctx, rc, "cannot set the VDDSDIO regulator");
    cli_printf("VDDSDIO regulator set to %s\n", v);
    return 0;
}

int cli_connect(struct cli_ctx *ctx, struct el_loader **out)
{
    *out = NULL;
    if (ctx->loader && ctx->connected) {
        *out = ctx->loader;
        return 0;
    }
    int rc;
    if (!ctx->port && !ctx->opts.port) {
        /* try every candidate port until one answers */
        char **names = NULL;
        size_t n = 0;
        if (el_port_list(&names, &n) != EL_OK)
            n = 0;
        cli_printf("Found %zu serial ports\n", n);
        bool ok = false;
        for (size_t i = 0; i < n && !ok; i++) {
            if (!name_filter_ok(ctx, names[i]))
                continue;
            cli_printf("Serial port %s\n", names[i]);
            if (open_named(ctx, names[i], &ctx->port, true) != 0) {
                cli_printf("%s failed to connect: cannot open the port\n", names[i]);
                continue;
            }
            if (!ids_filter_ok(ctx, ctx->port)) {
                el_port_close(ctx->port);
                ctx->port = NULL;
                continue;
            }
            rc = connect_on_port(ctx, true);
            if (rc == 0) {
                ok = true;
                break;
            }
            cli_printf("%s failed to connect: %s\n", names[i],
                       ctx->loader ? el_loader_errmsg(ctx->loader) : "no answer");
            el_loader_free(ctx->loader);
            ctx->loader = NULL;
            el_port_close(ctx->port);
            ctx->port = NULL;
        }
        el_port_list_free(names);
        if (!ok) {
            if (n == 0) {
                cli_fatal("no serial ports found; connect the board (check the cable carries "
                          "data) or give --port");
                return EXIT_PORT;
            }
            cli_fatal("Could not connect to an Espressif device on any of the %zu available "
                      "serial ports; give --port, and check the board is in download mode",
                      n);
            return EXIT_CONNECT;
        }
    } else {
        struct el_port *p;
        rc = cli_open_port(ctx, &p);
        if (rc)
            return rc;
        rc = connect_on_port(ctx, false);
        if (rc)
            return rc;
    }
    ctx->connected = true;
    const struct el_chip *c = el_loader_chip(ctx->loader);
    ctx->chip = c ? c->id : EL_CHIP_UNKNOWN;

    rc = print_chip(ctx);
    if (rc)
        return rc;

    /* the baud: --baud as esptool (only above the connect rate), or without it the rate
     * known to work on the port's USB bridge; before the stub so that it uploads fast too */
    if (ctx->opts.baud_given || strcmp(ctx->opts.before, "no-reset-no-sync") != 0) {
        unsigned ib = initial_baud(ctx), chosen = 0;
        unsigned req = ctx->opts.baud_given ? ctx->opts.baud : 0;
        if (!req || req > ib) {
            rc = el_loader_auto_baud(ctx->loader, req, &chosen);
            if (rc == EL_E_UNSUPPORTED) {
                if (strcmp(el_port_kind(ctx->port), "socket") == 0)
                    cli_printf("Note: the baud rate of a socket:// port is set by the other end; "
                               "keeping it.\n");
                else
                    cli_printf("WARNING: ROM doesn't support changing baud rate. Keeping initial "
                               "baud rate %u\n",
                               ib);
            } else if (rc != EL_OK) {
                return cli_fail(ctx, rc, "cannot change the baud rate");
            }
        }
    }

    /* the stub, unless --no-stub or the command does not need one */
    bool want_stub = ctx->cmd && (ctx->cmd->flags & NEED_STUB) && !ctx->opts.no_stub;
    if (want_stub && !el_loader_is_stub(ctx->loader)) {
        const struct el_chip_info *ci = cli_chip_info(ctx);
        if (ci && ci->secure_download) {
            cli_printf("WARNING: Stub loader is not supported in Secure Download Mode, setting "
                       "--no-stub\n");
        } else {
            glob_t g;
            stub_roots(&g);
            rc = el_loader_set_stub_sources(ctx->loader, ctx->opts.stub_dir,
                                            (const char *const *)g.gl_pathv, g.gl_pathc);
            globfree(&g);
            if (rc != EL_OK)
                return cli_fail(ctx, rc, "cannot use the stub directory");
            rc = el_loader_run_stub(ctx->loader, NULL);
            if (rc != EL_OK && rc != EL_E_UNSUPPORTED)
                return cli_fail(ctx, rc, NULL);
        }
    }
    ctx->stub = el_loader_is_stub(ctx->loader);

    if (ctx->override_vddsdio) {
        rc = override_vddsdio(ctx);
        if (rc)
            return rc;
    }

    *out = ctx->loader;
    return 0;
}

int cli_after(struct cli_ctx *ctx)
{
    if (!ctx->loader || !ctx->connected)
        return 0;
    enum el_after a = EL_AFTER_HARD_RESET;
    if (el_after_parse(ctx->opts.after, &a) != EL_OK)
        a = EL_AFTER_HARD_RESET;
    ses.soft_reset_refused = false;
    int rc = el_loader_after(ctx->loader, a);
    if (rc != EL_OK)
        return cli_fail(ctx, rc, "cannot leave the bootloader");
    if (ses.soft_reset_refused) {
        cli_fatal("Soft resetting is currently only supported on ESP8266; use --after hard-reset, "
                  "or --no-stub for a soft reset from the ROM loader");
        return EXIT_UNSUPPORTED;
    }
    return 0;
}
