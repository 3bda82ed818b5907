/* SPDX-License-Identifier: MIT */
/*
 * espload-sim: a virtual ESP32 behind a TCP port, an RFC 2217 port or a pseudo-terminal.
 *
 *   espload-sim --chip esp32 --flash board.bin --tcp 127.0.0.1:5555
 *   espload-sim --pty --pty-link /tmp/ttyESP
 *   espload-sim --rfc2217 127.0.0.1:5556 --timing on
 *
 * Every option this program does not know itself is a device option and goes to
 * elsim_cfg_set() (so `--flash-size 8MB` and `--flash-size=8MB` both work).
 */
#include "elsim.h"
#include "elsim_serve.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t g_stop; /* set by SIGINT/SIGTERM */

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

struct tool {
    const char *chip;
    bool quiet;
    bool download;
};

/* Holds BOOT (IO0 low) through an EN reset, as a person does by hand: the chip comes up in
 * the ROM's serial download mode. IO0 stays low for a second so that the spurious watchdog
 * reset of revision-0 chips also samples it low. Virtual time: instant. */
static void enter_download_mode(struct elsim *dev)
{
    elsim_set_lines(dev, false, true); /* EN low */
    elsim_advance(dev, 100000);
    elsim_set_lines(dev, true, false); /* IO0 low, EN high */
    elsim_advance(dev, 1000000);
    elsim_set_lines(dev, false, false);
    elsim_advance(dev, 10000);
}

static void on_ready(void *ctx, const char *port_name)
{
    struct tool *t = ctx;

    printf("espload-sim: %s on %s\n", t->chip, port_name);
    fflush(stdout);
}

static void on_event(void *ctx, const char *msg)
{
    struct tool *t = ctx;

    if (!t->quiet)
        fprintf(stderr, "espload-sim: %s\n", msg);
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: espload-sim [--chip CHIP] [DEVICE OPTIONS] ENDPOINT... [--once]\n"
            "\n"
            "Runs a virtual chip and serves it until Ctrl-C (flash is saved on exit).\n"
            "\n"
            "Endpoints (at least one; one client at a time):\n"
            "  --tcp HOST:PORT       raw TCP server; clients use --port socket://HOST:PORT\n"
            "                        (port 0 picks a free port; the ready line names it)\n"
            "  --rfc2217 HOST:PORT   RFC 2217 server (baud rate and DTR/RTS reset over the\n"
            "                        network); clients use --port rfc2217://HOST:PORT\n"
            "  --pty                 a pseudo-terminal, e.g. /dev/pts/3 (no DTR/RTS: connect\n"
            "                        with --before no_reset)\n"
            "  --pty-link PATH       with --pty: also make PATH a symlink to it\n"
            "\n"
            "Program options:\n"
            "  --chip CHIP           chip to model (default esp32)\n"
            "  --once                exit after the first client disconnects\n"
            "  --quiet               do not log connections on stderr\n"
            "  --download-mode       start in the ROM download mode, as if BOOT were held\n"
            "                        during a reset (for socket:// and --pty clients, which\n"
            "                        cannot reset the chip; otherwise it boots from flash)\n"
            "  --help, --version\n"
            "\n"
            "Once an endpoint listens, a line \"espload-sim: CHIP on PORT\" is printed on\n"
            "stdout. Any other --KEY VALUE (or --KEY=VALUE) is a device option; a device\n"
            "option without a value means \"on\".\n"
            "\n%s",
            elsim_cfg_help());
}

/* Splits "--key=value" / "--key value"; advances *i past what it used. */
static void option_at(int argc, char **argv, int *i, char *key, size_t keylen, const char **value)
{
    const char *a = argv[*i] + 2, *eq = strchr(a, '=');

    if (eq) {
        snprintf(key, keylen, "%.*s", (int)(eq - a), a);
        *value = eq + 1;
        return;
    }
    snprintf(key, keylen, "%s", a);
    if (*i + 1 < argc && strncmp(argv[*i + 1], "--", 2) != 0) {
        *value = argv[++*i];
        return;
    }
    *value = NULL;
}

int main(int argc, char **argv)
{
    struct tool t = {.chip = "esp32"};
    struct elsim_serve_cfg sc = {
        .stop = &g_stop, .on_ready = on_ready, .on_event = on_event, .ctx = &t};
    struct elsim_cfg *cfg;
    struct elsim *dev;
    struct sigaction sa;
    char err[512];
    int rc;

    /* the chip decides the defaults of the other options: find it first */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(argv[i], "--version") == 0) {
            printf("espload-sim v%s\n", EL_VERSION);
            return 0;
        }
        if (strcmp(argv[i], "--chip") == 0 && i + 1 < argc)
            t.chip = argv[++i];
        else if (strncmp(argv[i], "--chip=", 7) == 0)
            t.chip = argv[i] + 7;
    }
    cfg = elsim_cfg_new(t.chip);
    if (!cfg) {
        fprintf(stderr,
                "espload-sim: unknown chip '%s'; use esp32, esp32s2, esp32s3, esp32c3, "
                "esp32c6, esp32h2 or esp32c2\n",
                t.chip);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        char key[64];
        const char *value;

        if (strncmp(argv[i], "--", 2) != 0 || argv[i][2] == '\0') {
            fprintf(stderr, "espload-sim: unexpected argument '%s'; see --help\n", argv[i]);
            elsim_cfg_free(cfg);
            return 2;
        }
        if (strcmp(argv[i], "--pty") == 0) {
            sc.pty = true;
            continue;
        }
        if (strcmp(argv[i], "--once") == 0) {
            sc.once = true;
            continue;
        }
        if (strcmp(argv[i], "--quiet") == 0) {
            t.quiet = true;
            continue;
        }
        if (strcmp(argv[i], "--download-mode") == 0) {
            t.download = true;
            continue;
        }
        option_at(argc, argv, &i, key, sizeof key, &value);
        if (strcmp(key, "chip") == 0)
            continue;
        if (strcmp(key, "tcp") == 0 || strcmp(key, "rfc2217") == 0 ||
            strcmp(key, "pty-link") == 0) {
            if (!value || !*value) {
                fprintf(stderr, "espload-sim: --%s needs a value; see --help\n", key);
                elsim_cfg_free(cfg);
                return 2;
            }
            if (strcmp(key, "tcp") == 0)
                sc.tcp = value;
            else if (strcmp(key, "rfc2217") == 0)
                sc.rfc2217 = value;
            else
                sc.pty_link = value;
            continue;
        }
        if (elsim_cfg_set(cfg, key, value ? value : "on", err, sizeof err) != 0) {
            fprintf(stderr, "espload-sim: --%s: %s\n", key, err);
            elsim_cfg_free(cfg);
            return 2;
        }
    }
    if (!sc.tcp && !sc.rfc2217 && !sc.pty) {
        fprintf(stderr, "espload-sim: no endpoint; give --tcp HOST:PORT, --rfc2217 HOST:PORT "
                        "or --pty (see --help)\n");
        elsim_cfg_free(cfg);
        return 2;
    }
    if (sc.pty_link && !sc.pty) {
        fprintf(stderr, "espload-sim: --pty-link needs --pty\n");
        elsim_cfg_free(cfg);
        return 2;
    }
    dev = elsim_new(cfg, err, sizeof err);
    elsim_cfg_free(cfg);
    if (!dev) {
        fprintf(stderr, "espload-sim: %s\n", err);
        return 1;
    }
    if (t.download)
        enter_download_mode(dev);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: poll() returns and the loop sees the flag */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    rc = elsim_serve(dev, &sc, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "espload-sim: %s\n", err);
    if (elsim_flash_save(dev) != 0) {
        fprintf(stderr, "espload-sim: could not save flash\n");
        rc = -1;
    }
    elsim_free(dev);
    return rc == 0 ? 0 : 1;
}
