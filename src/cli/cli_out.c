/* SPDX-License-Identifier: MIT */
/* Output of the espload program: results and progress on stdout, errors on stderr. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli_int.h"

/* The program's output state (this layer owns the process's stdout). */
static struct {
    bool silent, verbose, tty;
    bool midline;       /* stdout's last character was not '\n' */
    bool progress_open; /* a \r progress line is on screen */
    int last_decile;    /* last multiple of 10 printed when not a terminal */
} outst = {.last_decile = -1};

void cli_out_init(bool silent, bool verbose)
{
    outst.silent = silent;
    outst.verbose = verbose;
    outst.tty = isatty(fileno(stdout)) == 1;
    outst.midline = false;
    outst.progress_open = false;
    outst.last_decile = -1;
}

bool cli_out_is_tty(void)
{
    return outst.tty;
}

bool cli_out_verbose(void)
{
    return outst.verbose;
}

void cli_vprintf(const char *fmt, va_list ap)
{
    char buf[2048];
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    if (n <= 0 || outst.silent)
        return;
    size_t len = strlen(buf);
    if (outst.progress_open) {
        fputc('\n', stdout);
        outst.progress_open = false;
    }
    fwrite(buf, 1, len, stdout);
    outst.midline = buf[len - 1] != '\n';
    if (outst.midline)
        fflush(stdout);
}

void cli_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cli_vprintf(fmt, ap);
    va_end(ap);
}

void cli_out_endline(void)
{
    if (outst.progress_open) {
        fputc('\n', stdout);
        outst.progress_open = false;
    }
    if (outst.midline) {
        fputc('\n', stdout);
        outst.midline = false;
    }
    fflush(stdout);
}

void cli_progress_reset(void)
{
    outst.last_decile = -1;
}

void cli_progress(unsigned pct, const char *fmt, ...)
{
    if (outst.silent)
        return;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (outst.tty) {
        if (outst.midline && !outst.progress_open)
            fputc('\n', stdout);
        fprintf(stdout, "\r%s", buf);
        fflush(stdout);
        outst.progress_open = true;
        outst.midline = false;
        return;
    }
    int decile = (int)(pct / 10);
    if (!outst.verbose && decile == outst.last_decile)
        return;
    outst.last_decile = decile;
    cli_out_endline();
    fprintf(stdout, "%s\n", buf);
}

void cli_progress_done(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    outst.last_decile = -1;
    if (outst.silent)
        return;
    if (outst.tty && outst.progress_open) {
        /* clear what is left of a longer progress line */
        fprintf(stdout, "\r%s\033[K\n", buf);
        outst.progress_open = false;
        outst.midline = false;
        fflush(stdout);
        return;
    }
    cli_printf("%s\n", buf);
}

void cli_fatal(const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    cli_out_endline();
    /* esptool leaves a blank line before it */
    fprintf(stderr, "\nA fatal error occurred: %s\n", buf);
    fflush(stderr);
}

void cli_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cli_out_endline();
    cli_vprintf(fmt, ap);
    va_end(ap);
}

int cli_usage_error(const char *prog, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    cli_out_endline();
    fprintf(stderr, "%s: error: %s\n", prog, buf);
    fprintf(stderr, "Run '%s --help' for usage.\n", prog);
    fflush(stderr);
    return EXIT_USAGE;
}

bool cli_out_flush(void)
{
    if (outst.progress_open)
        cli_out_endline();
    return fflush(stdout) == 0 && !ferror(stdout);
}
