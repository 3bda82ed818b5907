/* SPDX-License-Identifier: MIT */
#ifndef EL_CLI_CLI_H
#define EL_CLI_CLI_H
/*
 * The espload command-line tool: a thin layer over include/espload/. Only this layer
 * prints or exits. Each command is `int cmd_<name>(struct cli_ctx *ctx, int argc,
 * char **argv)` returning an exit code from enum cli_exit (argv[0] is the command name,
 * the rest are the command's own arguments; global options are already parsed into ctx).
 */
#include <stdbool.h>
#include <stdio.h>

/* Stable exit codes, documented in docs/EXIT-CODES.md. Never renumber. */
enum cli_exit {
    EXIT_OK = 0,
    EXIT_FAILURE_OTHER = 1, /* internal or unclassified failure */
    EXIT_USAGE = 2,         /* bad command line */
    EXIT_INPUT = 3,         /* input file missing, unreadable, empty or malformed */
    EXIT_PORT = 4,          /* port missing, busy or forbidden */
    EXIT_CONNECT = 5,       /* no bootloader answer, wrong boot mode */
    EXIT_CHIP = 6,          /* wrong or unsupported chip */
    EXIT_DEVICE = 7,        /* device error status, timeout or device lost mid-operation */
    EXIT_VERIFY = 8,        /* data on the chip differs from what was written */
    EXIT_REFUSED = 9,       /* a pre-flight check refused (--force overrides) */
    EXIT_UNSUPPORTED = 10,  /* the chip, loader or port cannot do this */
    EXIT_SIZE = 11,         /* region past the end of flash, image too big */
    EXIT_DIAGNOSIS = 12,    /* doctor: the boot log shows a problem */
    EXIT_INTERRUPTED = 130  /* Ctrl-C */
};

/* Maps a library error (enum el_err) to an exit code. */
int cli_exit_from_err(int err);

struct cli_ctx; /* defined by main.c (cli_int.h); commands use the accessors they need */

/* ---- services main.c provides to every command (implemented in main.c / cli_*.c) ---- */
struct el_port;
struct el_loader;

/* Global options as parsed (environment defaults applied). */
struct cli_opts {
    const char *port;   /* NULL: auto-detect */
    unsigned baud;      /* --baud (or ESPTOOL_BAUD); 115200 when not given */
    bool baud_given;    /* --baud or ESPTOOL_BAUD was given (else: the USB bridge's rate) */
    const char *chip;   /* "auto" or a chip name */
    const char *before; /* normalised with dashes: "default-reset", ... */
    const char *after;  /* "hard-reset", ... */
    bool no_stub;
    bool trace;
    int connect_attempts;
    const char *stub_dir;
};
const struct cli_opts *cli_get_opts(const struct cli_ctx *ctx);
/* Opens --port (or auto-detects); on failure prints the one-line error and returns the
 * exit code (non-zero); on success *out is set and 0 returned. The port stays owned by ctx. */
int cli_open_port(struct cli_ctx *ctx, struct el_port **out);
/* Opens the port if needed, resets into the bootloader, syncs and detects the chip, printing
 * what esptool prints. Same return convention. */
int cli_connect(struct cli_ctx *ctx, struct el_loader **out);

/* ---- the serial monitor (cmd_monitor.c), also entered by write_flash --monitor ---- */
/* Runs the monitor on an open port until the user quits (or, with verdict_only, until the
 * boot settles and a doctor verdict is printed). Returns an exit code. */
int cli_monitor_run(struct cli_ctx *ctx, struct el_port *port, bool verdict_only);

/* ---- command entry points (one file each group) ---- */
#define CLI_CMD(name) int name(struct cli_ctx *ctx, int argc, char **argv)
/* cmd_image.c */
CLI_CMD(cmd_image_info);
CLI_CMD(cmd_elf2image);
CLI_CMD(cmd_merge_bin);
CLI_CMD(cmd_partition_table);
/* cmd_monitor.c, cmd_doctor.c */
CLI_CMD(cmd_monitor);
CLI_CMD(cmd_doctor);

#endif
