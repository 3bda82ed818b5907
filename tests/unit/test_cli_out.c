/* SPDX-License-Identifier: MIT */
/* espload's output layer (src/cli/cli_out.c) when stdout is not a terminal: progress thinned
 * to one line per 10 %, every step with --verbose, nothing with --silent, partial lines ended
 * before an error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>

#include "cli/cli_out.c"

static char path[64];

/* Runs fn with stdout sent to a file; returns what it printed (static buffer). */
static const char *capture(void (*fn)(void))
{
    static char buf[8192];
    fflush(stdout);
    int saved = dup(1);
    assert_true(saved >= 0);
    snprintf(path, sizeof(path), "/tmp/el-cli-out.XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_true(dup2(fd, 1) >= 0);
    close(fd);
    fn();
    fflush(stdout);
    assert_true(dup2(saved, 1) >= 0);
    close(saved);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = 0;
    fclose(f);
    unlink(path);
    return buf;
}

static size_t count(const char *s, const char *what)
{
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, what)); p += strlen(what))
        n++;
    return n;
}

static void steps(void)
{
    cli_progress_reset();
    for (unsigned pct = 0; pct <= 100; pct += 5)
        cli_progress(pct, "Writing at 0x%08x... (%u %%)", 0x1000 + pct, pct);
    cli_progress_done("Wrote %d bytes", 42);
}

static void plain(void)
{
    cli_out_init(false, false);
    steps();
}

static void verbose(void)
{
    cli_out_init(false, true);
    steps();
}

static void silent(void)
{
    cli_out_init(true, false);
    steps();
    cli_printf("hello\n");
}

static void partial_then_error(void)
{
    cli_out_init(false, false);
    cli_printf("Connecting...");
    cli_printf(".");
    cli_fatal("it broke; fix it");
    cli_printf("next\n");
}

static void test_cli_out_deciles(void **state)
{
    (void)state;
    const char *o = capture(plain);
    assert_false(cli_out_is_tty());
    assert_int_equal(count(o, "Writing at"), 11); /* 0 %, 10 %, ... 100 % */
    assert_non_null(strstr(o, "(0 %)\n"));
    assert_non_null(strstr(o, "(50 %)\n"));
    assert_null(strstr(o, "(55 %)"));
    assert_non_null(strstr(o, "(100 %)\nWrote 42 bytes\n"));
    assert_null(strchr(o, '\r'));
}

static void test_cli_out_verbose_silent(void **state)
{
    (void)state;
    const char *o = capture(verbose);
    assert_int_equal(count(o, "Writing at"), 21);
    o = capture(silent);
    assert_string_equal(o, "");
}

static void test_cli_out_partial_line(void **state)
{
    (void)state;
    const char *o = capture(partial_then_error);
    /* the dots line is ended before the error goes to stderr */
    assert_string_equal(o, "Connecting....\nnext\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cli_out_deciles),
        cmocka_unit_test(test_cli_out_verbose_silent),
        cmocka_unit_test(test_cli_out_partial_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
