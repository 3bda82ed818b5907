/* SPDX-License-Identifier: MIT */
/* The espload option parser (src/cli/cli_opts.c): numbers, sizes, long/short options,
 * underscore spellings, prefixes, choices and usage errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cli/cli_opts.c"
#include "cli/cli_out.c"

static void test_cli_opts_int(void **state)
{
    (void)state;
    long long v;
    assert_true(cli_parse_int("0x1000", &v));
    assert_int_equal(v, 0x1000);
    assert_true(cli_parse_int("4096", &v));
    assert_int_equal(v, 4096);
    assert_true(cli_parse_int("0X1f", &v));
    assert_int_equal(v, 31);
    assert_true(cli_parse_int("0o17", &v));
    assert_int_equal(v, 15);
    assert_true(cli_parse_int("0b101", &v));
    assert_int_equal(v, 5);
    assert_true(cli_parse_int("0x1_000", &v));
    assert_int_equal(v, 0x1000);
    assert_true(cli_parse_int("0", &v));
    assert_int_equal(v, 0);
    assert_true(cli_parse_int("000", &v));
    assert_int_equal(v, 0);
    assert_true(cli_parse_int("-7", &v));
    assert_int_equal(v, -7);
    assert_true(cli_parse_int("0xFFFFFFFF", &v));
    assert_int_equal(v, 0xFFFFFFFFLL);
    /* Python int(x, 0) rejects these */
    assert_false(cli_parse_int("010", &v));
    assert_false(cli_parse_int("001", &v));
    assert_false(cli_parse_int("0x", &v));
    assert_false(cli_parse_int("", &v));
    assert_false(cli_parse_int("12ab", &v));
    assert_false(cli_parse_int("0x1__0", &v));
    assert_false(cli_parse_int("1_", &v));
    assert_false(cli_parse_int("0b102", &v));
    assert_false(cli_parse_int("0x10000000000000000", &v));
    assert_false(cli_parse_int(NULL, &v));
    uint32_t u;
    assert_true(cli_parse_u32("0x1000", &u));
    assert_int_equal(u, 0x1000);
    assert_false(cli_parse_u32("0x100000000", &u));
    assert_false(cli_parse_u32("-1", &u));
}

static void test_cli_opts_size(void **state)
{
    (void)state;
    long long v;
    bool all;
    assert_true(cli_parse_size("0x400000", false, &v, &all));
    assert_int_equal(v, 0x400000);
    assert_false(all);
    assert_true(cli_parse_size("4M", false, &v, NULL));
    assert_int_equal(v, 4 << 20);
    assert_true(cli_parse_size("64k", false, &v, NULL));
    assert_int_equal(v, 64 << 10);
    assert_true(cli_parse_size("ALL", true, &v, &all));
    assert_true(all);
    assert_true(cli_parse_size("all", true, &v, &all));
    assert_true(all);
    assert_false(cli_parse_size("all", false, &v, &all));
    assert_false(cli_parse_size("4G", false, &v, NULL));
    assert_false(cli_parse_size("-4", false, &v, NULL));
    assert_false(cli_parse_size("k", false, &v, NULL));
}

static const char *const modes[] = {"keep", "qio", "dio", NULL};
static const char *const yesno[] = {"yes", "no", NULL};

struct parsed {
    bool z, u, erase, flag_seen;
    const char *mode, *size, *diff;
    bool diff_seen;
    long long n;
    const char *list[4];
    size_t nlist;
};

static int parse(struct parsed *p, int argc, char **argv, int *npos)
{
    memset(p, 0, sizeof(*p));
    p->mode = "keep";
    const struct cli_opt opts[] = {
        {"compress", NULL, "z", OPT_FLAG, &p->z, NULL, NULL, "c", 0, NULL, NULL},
        {"no-compress", NULL, "u", OPT_FLAG, &p->u, NULL, NULL, "u", 0, NULL, NULL},
        {"erase-all", NULL, "e", OPT_FLAG, &p->erase, NULL, NULL, "e", 0, NULL, NULL},
        {"flash-mode", NULL, "fm", OPT_STR, &p->mode, modes, "MODE", "m", 0, NULL, NULL},
        {"flash-size", "flash-sz", "fs", OPT_STR, &p->size, NULL, "SIZE", "s", 0, NULL, NULL},
        {"count", NULL, "n", OPT_INT, &p->n, NULL, "N", "n", 0, NULL, NULL},
        {"filter", NULL, NULL, OPT_LIST, p->list, NULL, "F", "f", 4, &p->nlist, NULL},
        {"diff", NULL, "d", OPT_OPTSTR, &p->diff, yesno, "yes|no", "d", 0, NULL, &p->diff_seen},
        {NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, 0, NULL, NULL},
    };
    return cli_parse("t", opts, argc, argv, npos, false, "", "");
}

static void test_cli_opts_long_short(void **state)
{
    (void)state;
    struct parsed p;
    int npos;
    char *a1[] = {"cmd", "-z", "0x1000", "--flash_mode", "dio", "f.bin", "--flash-size=4MB", NULL};
    assert_int_equal(parse(&p, 7, a1, &npos), 0);
    assert_true(p.z);
    assert_false(p.u);
    assert_string_equal(p.mode, "dio");
    assert_string_equal(p.size, "4MB");
    assert_int_equal(npos, 2);
    assert_string_equal(a1[1], "0x1000");
    assert_string_equal(a1[2], "f.bin");

    /* short multi-letter names, attached one-letter values, flag groups, prefixes */
    char *a2[] = {"cmd", "-fm",   "qio", "-n0x10",     "-ze", "--flash_s",
                  "2MB", "--fil", "a",   "--filter=b", NULL};
    assert_int_equal(parse(&p, 10, a2, &npos), 0);
    assert_string_equal(p.mode, "qio");
    assert_int_equal(p.n, 16);
    assert_true(p.z);
    assert_true(p.erase);
    assert_string_equal(p.size, "2MB");
    assert_int_equal(p.nlist, 2);
    assert_string_equal(p.list[0], "a");
    assert_string_equal(p.list[1], "b");
    assert_int_equal(npos, 0);

    /* alias spelling, "--" ends options, negative numbers are positionals */
    char *a3[] = {"cmd", "--flash_sz", "8MB", "-5", "--", "-z", NULL};
    assert_int_equal(parse(&p, 6, a3, &npos), 0);
    assert_string_equal(p.size, "8MB");
    assert_false(p.z);
    assert_int_equal(npos, 2);
    assert_string_equal(a3[1], "-5");
    assert_string_equal(a3[2], "-z");
}

static void test_cli_opts_optional_value(void **state)
{
    (void)state;
    struct parsed p;
    int npos;
    char *a1[] = {"cmd", "--diff", "0x1000", "f.bin", NULL};
    assert_int_equal(parse(&p, 4, a1, &npos), 0);
    assert_true(p.diff_seen);
    assert_null(p.diff);
    assert_int_equal(npos, 2);
    char *a2[] = {"cmd", "--diff", "yes", "0x1000", "f.bin", NULL};
    assert_int_equal(parse(&p, 5, a2, &npos), 0);
    assert_string_equal(p.diff, "yes");
    assert_int_equal(npos, 2);
    char *a3[] = {"cmd", "0x1000", "f.bin", NULL};
    assert_int_equal(parse(&p, 3, a3, &npos), 0);
    assert_false(p.diff_seen);
}

static void test_cli_opts_errors(void **state)
{
    (void)state;
    struct parsed p;
    int npos;
    char *a1[] = {"cmd", "--flash_mode", "fast", NULL};
    assert_int_equal(parse(&p, 3, a1, &npos), EXIT_USAGE);
    char *a2[] = {"cmd", "--flash-mode", NULL};
    assert_int_equal(parse(&p, 2, a2, &npos), EXIT_USAGE);
    char *a3[] = {"cmd", "--bogus", NULL};
    assert_int_equal(parse(&p, 2, a3, &npos), EXIT_USAGE);
    char *a4[] = {"cmd", "--flash", "x", NULL}; /* ambiguous prefix */
    assert_int_equal(parse(&p, 3, a4, &npos), EXIT_USAGE);
    char *a5[] = {"cmd", "-q", NULL};
    assert_int_equal(parse(&p, 2, a5, &npos), EXIT_USAGE);
    char *a6[] = {"cmd", "--count", "12x", NULL};
    assert_int_equal(parse(&p, 3, a6, &npos), EXIT_USAGE);
    char *a7[] = {"cmd", "--compress=yes", NULL};
    assert_int_equal(parse(&p, 2, a7, &npos), EXIT_USAGE);
    char *a8[] = {"cmd", "--filter", "1", "--filter", "2", "--filter",
                  "3",   "--filter", "4", "--filter", "5", NULL};
    assert_int_equal(parse(&p, 11, a8, &npos), EXIT_USAGE);
    char *a9[] = {"cmd", "-h", NULL};
    assert_int_equal(parse(&p, 2, a9, &npos), CLI_HELP_SHOWN);
}

static void test_cli_opts_stop_at_positional(void **state)
{
    (void)state;
    struct parsed p;
    memset(&p, 0, sizeof(p));
    const struct cli_opt opts[] = {
        {"compress", NULL, "z", OPT_FLAG, &p.z, NULL, NULL, "c", 0, NULL, NULL},
        {NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, 0, NULL, NULL},
    };
    int npos;
    char *a[] = {"espload", "-z", "write_flash", "-z", "0x1000", "f", NULL};
    assert_int_equal(cli_parse("espload", opts, 6, a, &npos, true, "", ""), 0);
    assert_true(p.z);
    assert_int_equal(npos, 4);
    assert_string_equal(a[1], "write_flash");
    assert_string_equal(a[2], "-z");
    assert_string_equal(a[4], "f");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cli_opts_int),
        cmocka_unit_test(test_cli_opts_size),
        cmocka_unit_test(test_cli_opts_long_short),
        cmocka_unit_test(test_cli_opts_optional_value),
        cmocka_unit_test(test_cli_opts_errors),
        cmocka_unit_test(test_cli_opts_stop_at_positional),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
