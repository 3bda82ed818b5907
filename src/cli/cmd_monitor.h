/* SPDX-License-Identifier: MIT */
#ifndef EL_CLI_CMD_MONITOR_H
#define EL_CLI_CMD_MONITOR_H
/*
 * Internals of the serial monitor (cmd_monitor.c), shared with the doctor command
 * (cmd_doctor.c) and the platform console files (cmd_monitor_posix.c, cmd_monitor_win32.c).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "cli/cli.h"

struct el_port;
struct el_doctor;

/* ---- console: the user's terminal (one implementation per platform) ---- */
/* Puts the terminal in raw mode when stdin is a terminal (restored at exit, on signals and
 * by mon_console_restore). Sets *interactive. Returns 0, or -1 when the terminal cannot be
 * configured. */
int mon_console_init(bool *interactive);
/* Restores the terminal; safe to call any number of times. */
void mon_console_restore(void);
/* Reads keys/bytes without blocking longer than wait_ms. Returns the count, 0 when nothing
 * is there, -1 at end of input. */
int mon_console_read(unsigned char *buf, size_t cap, unsigned wait_ms);
/* Wall-clock time: seconds since the epoch and milliseconds (for --timestamps). */
void mon_wallclock(long long *sec, int *ms);
/* True when stdin is a terminal (console). */
bool mon_stdin_is_tty(void);
/* True once SIGINT/SIGTERM (or the console's close) asked to stop. */
bool mon_console_interrupted(void);

/* ---- one monitor session on an open port ---- */
struct mon_opts {
    bool verdict_only;    /* stop when the boot settles and print the doctor's verdict */
    bool reset_first;     /* pulse EN (RTS) before reading */
    bool download_strap;  /* hold GPIO0 low (DTR) during that reset */
    bool timestamps;      /* prefix each output line with the time */
    bool json;            /* verdict as JSON */
    bool echo;            /* copy device output to stdout (off for a JSON verdict) */
    double timeout_s;     /* stop after this long (0: verdict 10 s, interactive never) */
    const char *log_path; /* copy of the device output */
    const char *elf_path; /* symbolize panics */
    const char *chip;     /* known chip name for the doctor, or NULL */
    int psram;            /* what espload read from the chip: 1/0, -1 unknown */
    int flash_encryption;
    int secure_boot;
};
/* Runs the session; returns an exit code (verdict: EXIT_OK healthy, EXIT_DIAGNOSIS not). */
int mon_session(struct cli_ctx *ctx, struct el_port *port, const struct mon_opts *o);
/* Prints the doctor's report (text or JSON) with an optional ELF; returns the exit code for
 * the verdict, or EXIT_INPUT when the ELF cannot be used. */
int mon_print_verdict(struct el_doctor *d, bool json, const char *elf_path);

#endif
