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

#endif
