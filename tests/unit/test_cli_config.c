/* SPDX-License-Identifier: MIT */
/* esptool's configuration file (src/cli/cli_config.c): the INI reader (configparser's rules),
 * the mapping of the [esptool] options and the search order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cli/cli_config.c"
#include "cli/cli_out.c"
#include "mock_port.h"

static int parse(const char *text, struct cli_ini *ini, char *err, size_t errlen)
{
    return cli_ini_parse(text, strlen(text), "esptool", ini, err, errlen);
}

static void test_cfg_ini_basic(void **state)
{
    (void)state;
    struct cli_ini ini;
    char err[256];
    const char *t = "# comment\n"
                    "; another\n"
                    "[other]\n"
                    "timeout = 1\n"
                    "[esptool]\n"
                    "  Timeout   =   5.5  \r\n"
                    "reset_delay: 0.1\n"
                    "custom_reset_sequence = D0|R1=x\n" /* first delimiter splits */
                    "multi = a\n"
                    "   b\n"
                    "empty =\n"
                    "    # indented comment\n"
                    "url = http://x:80\n";
    assert_int_equal(parse(t, &ini, err, sizeof(err)), 0);
    assert_true(ini.found);
    assert_int_equal(ini.n, 6);
    assert_string_equal(cli_ini_get(&ini, "timeout"), "5.5");
    assert_string_equal(cli_ini_get(&ini, "reset_delay"), "0.1");
    assert_string_equal(cli_ini_get(&ini, "custom_reset_sequence"), "D0|R1=x");
    assert_string_equal(cli_ini_get(&ini, "multi"), "a\nb");
    assert_string_equal(cli_ini_get(&ini, "empty"), "");
    assert_string_equal(cli_ini_get(&ini, "url"), "http://x:80");
    assert_null(cli_ini_get(&ini, "Timeout")); /* lookups use the lower-case key */
    assert_int_equal(ini.e[0].line, 6);
    cli_ini_free(&ini);

    /* section names are case-sensitive; an absent section is not an error */
    assert_int_equal(parse("[ESPTOOL]\ntimeout = 1\n", &ini, err, sizeof(err)), 0);
    assert_false(ini.found);
    assert_int_equal(ini.n, 0);
    cli_ini_free(&ini);
    /* an empty [esptool] section counts; a byte order mark is skipped */
    assert_int_equal(parse("\xEF\xBB\xBF[esptool]\n", &ini, err, sizeof(err)), 0);
    assert_true(ini.found);
    cli_ini_free(&ini);
    assert_int_equal(parse("", &ini, err, sizeof(err)), 0);
    assert_false(ini.found);
    cli_ini_free(&ini);
}

static void test_cfg_ini_errors(void **state)
{
    (void)state;
    struct cli_ini ini;
    char err[256];
    assert_int_equal(parse("timeout = 1\n[esptool]\n", &ini, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "line 1"));
    assert_int_equal(parse("[esptool]\nno delimiter\n", &ini, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "line 2"));
    assert_int_equal(parse("[esptool]\n = 3\n", &ini, err, sizeof(err)), -1);
    assert_int_equal(parse("[esptool]\na = 1\nA = 2\n", &ini, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "'a' already exists"));
    assert_int_equal(parse("[esptool]\n[x]\n[esptool]\n", &ini, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "section 'esptool' already exists"));
    /* duplicates in other sections are errors too (the whole file must be valid) */
    assert_int_equal(parse("[x]\na = 1\na = 2\n[esptool]\n", &ini, err, sizeof(err)), -1);
    /* the same key in two sections is fine */
    assert_int_equal(parse("[x]\na = 1\n[esptool]\na = 2\n", &ini, err, sizeof(err)), 0);
    assert_string_equal(cli_ini_get(&ini, "a"), "2");
    cli_ini_free(&ini);
    /* NUL bytes and overlong lines */
    const char nul[] = "[esptool]\na = 1\0\n";
    assert_int_equal(cli_ini_parse(nul, sizeof(nul) - 1, "esptool", &ini, err, sizeof(err)), -1);
    char *big = malloc(CLI_INI_MAX_LINE + 64);
    assert_non_null(big);
    strcpy(big, "[esptool]\nk = ");
    size_t n = strlen(big);
    memset(big + n, 'x', CLI_INI_MAX_LINE);
    big[n + CLI_INI_MAX_LINE] = 0;
    assert_int_equal(parse(big, &ini, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "longer than"));
    free(big);
    /* a line just within the limit is fine */
    char ok[CLI_INI_MAX_LINE + 32];
    snprintf(ok, sizeof(ok), "[esptool]\n");
    n = strlen(ok);
    memset(ok + n, 'k', CLI_INI_MAX_LINE - 2);
    ok[n + CLI_INI_MAX_LINE - 2] = '=';
    ok[n + CLI_INI_MAX_LINE - 1] = '1';
    ok[n + CLI_INI_MAX_LINE] = 0;
    assert_int_equal(parse(ok, &ini, err, sizeof(err)), 0);
    assert_int_equal(ini.n, 1);
    cli_ini_free(&ini);
}

static int map_text(const char *text, struct cli_config *cfg, char *err, size_t errlen)
{
    struct cli_ini ini;
    char perr[256];
    cli_config_init(cfg);
    if (parse(text, &ini, perr, sizeof(perr)) != 0)
        fail_msg("parse: %s", perr);
    int rc = cli_config_map(&ini, cfg, err, errlen);
    cli_ini_free(&ini);
    return rc;
}

static void test_cfg_map_defaults(void **state)
{
    (void)state;
    struct cli_config cfg;
    char err[256];
    assert_int_equal(map_text("[esptool]\n", &cfg, err, sizeof(err)), 0);
    assert_int_equal(cfg.tuning.timeout_ms, EL_DEFAULT_TIMEOUT_MS);
    assert_int_equal(cfg.tuning.chip_erase_timeout_ms, EL_CHIP_ERASE_TIMEOUT_MS);
    assert_int_equal(cfg.tuning.max_timeout_ms, EL_MAX_TIMEOUT_MS);
    assert_int_equal(cfg.tuning.sync_timeout_ms, EL_SYNC_TIMEOUT_MS);
    assert_int_equal(cfg.tuning.md5_ms_per_mb, EL_MD5_MS_PER_MB);
    assert_int_equal(cfg.tuning.erase_region_ms_per_mb, EL_ERASE_REGION_MS_PER_MB);
    assert_int_equal(cfg.tuning.erase_write_ms_per_mb, EL_ERASE_WRITE_MS_PER_MB);
    assert_int_equal(cfg.tuning.mem_end_rom_timeout_ms, EL_MEM_END_ROM_TIMEOUT_MS);
    assert_int_equal(cfg.tuning.serial_write_timeout_ms, EL_SERIAL_WRITE_TIMEOUT_MS);
    assert_int_equal(cfg.tuning.write_block_attempts, EL_WRITE_BLOCK_ATTEMPTS);
    assert_null(cfg.tuning.hard_reset_sequence);
    assert_false(cfg.has_connect_attempts);
    assert_false(cfg.has_open_port_attempts);
    assert_false(cfg.has_reset_delay);
    assert_string_equal(cfg.reset_sequence, "");
    assert_int_equal(cfg.n_unknown, 0);
}

static void test_cfg_map_values(void **state)
{
    (void)state;
    struct cli_config cfg;
    char err[256];
    const char *t = "[esptool]\n"
                    "timeout = 4.25\n"
                    "chip_erase_timeout = 140\n"
                    "sync_timeout = 0.2\n"
                    "md5_timeout_per_mb = 9\n"
                    "erase_region_timeout_per_mb = 31\n"
                    "erase_write_timeout_per_mb = 1e2\n"
                    "mem_end_rom_timeout = 0.5\n"
                    "serial_write_timeout = 8.5\n"
                    "connect_attempts = 0\n"
                    "write_block_attempts = 2\n"
                    "reset_delay = 0\n"
                    "open_port_attempts = +4\n"
                    "custom_reset_sequence = D0|R1|W0.1|D1|R0|W0.5|D0\n"
                    "custom_hard_reset_sequence = R1|W0.2|R0\n"
                    "zeta = 1\n"
                    "Alpha = 2\n";
    assert_int_equal(map_text(t, &cfg, err, sizeof(err)), 0);
    assert_int_equal(cfg.tuning.timeout_ms, 4250);
    assert_int_equal(cfg.tuning.chip_erase_timeout_ms, 140000);
    assert_int_equal(cfg.tuning.max_timeout_ms, 280000); /* esptool: 2 x chip_erase_timeout */
    assert_int_equal(cfg.tuning.sync_timeout_ms, 200);
    assert_int_equal(cfg.tuning.md5_ms_per_mb, 9000);
    assert_int_equal(cfg.tuning.erase_region_ms_per_mb, 31000);
    assert_int_equal(cfg.tuning.erase_write_ms_per_mb, 100000);
    assert_int_equal(cfg.tuning.mem_end_rom_timeout_ms, 500);
    assert_int_equal(cfg.tuning.serial_write_timeout_ms, 8500);
    assert_int_equal(cfg.tuning.write_block_attempts, 2);
    assert_true(cfg.has_connect_attempts);
    assert_int_equal(cfg.connect_attempts, 0);
    assert_true(cfg.has_open_port_attempts);
    assert_int_equal(cfg.open_port_attempts, 4);
    assert_true(cfg.has_reset_delay);
    assert_int_equal(cfg.reset_delay_ms, 0);
    assert_string_equal(cfg.reset_sequence, "D0|R1|W0.1|D1|R0|W0.5|D0");
    assert_non_null(cfg.tuning.hard_reset_sequence);
    assert_string_equal(cfg.tuning.hard_reset_sequence, "R1|W0.2|R0");
    assert_int_equal(cfg.n_unknown, 2);
    assert_string_equal(cfg.unknown, "alpha, zeta");

    /* an explicit max_timeout wins over the doubled chip_erase_timeout */
    assert_int_equal(
        map_text("[esptool]\nchip_erase_timeout = 10\nmax_timeout = 7\n", &cfg, err, sizeof(err)),
        0);
    assert_int_equal(cfg.tuning.max_timeout_ms, 7000);
    /* tiny positive times round up to 1 ms, never 0 */
    assert_int_equal(map_text("[esptool]\ntimeout = 0.0001\n", &cfg, err, sizeof(err)), 0);
    assert_int_equal(cfg.tuning.timeout_ms, 1);
}

static void test_cfg_map_bad(void **state)
{
    (void)state;
    static const struct {
        const char *text, *needle;
    } bad[] = {
        {"timeout = abc", "invalid value 'abc' for timeout"},
        {"timeout = 0", "invalid value '0' for timeout"},
        {"timeout = -1", "for timeout"},
        {"timeout = inf", "'inf' for timeout"},
        {"timeout = nan", "'nan' for timeout"},
        {"timeout = 0x10", "for timeout"},
        {"timeout =", "invalid value '' for timeout"},
        {"max_timeout = 100000", "for max_timeout"},
        {"reset_delay = -0.5", "for reset_delay"},
        {"connect_attempts = 2.5", "invalid value '2.5' for connect_attempts"},
        {"connect_attempts = 0x7", "for connect_attempts"},
        {"write_block_attempts = 0", "for write_block_attempts"},
        {"open_port_attempts = -1", "for open_port_attempts"},
        {"custom_reset_sequence = D0|X1", "invalid value 'D0|X1' for custom_reset_sequence"},
        {"custom_reset_sequence =", "for custom_reset_sequence"},
        {"custom_hard_reset_sequence = R1|W", "for custom_hard_reset_sequence"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char text[128], err[400] = "";
        struct cli_config cfg;
        snprintf(text, sizeof(text), "[esptool]\n%s\n", bad[i].text);
        if (map_text(text, &cfg, err, sizeof(err)) != -1)
            fail_msg("accepted: %s", bad[i].text);
        if (!strstr(err, bad[i].needle))
            fail_msg("'%s': message '%s' lacks '%s'", bad[i].text, err, bad[i].needle);
    }
}

/* ---- search order, on a scratch directory tree ---- */

static char root[256];

static void write_text(const char *rel, const char *text)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", root, rel);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void rm(const char *rel)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", root, rel);
    remove(p);
}

static void load(const char *cfgfile, struct cli_config *cfg, int want_rc)
{
    char cwd[512], home[512];
    snprintf(cwd, sizeof(cwd), "%s/work", root);
    snprintf(home, sizeof(home), "%s/home", root);
    struct cli_config_env env = {.cfgfile = cfgfile, .cwd = cwd, .home = home, .windows = false};
    assert_int_equal(cli_config_load(&env, true, cfg), want_rc);
}

static void expect_path(const struct cli_config *cfg, const char *rel)
{
    char p[512];
    if (!rel) {
        assert_string_equal(cfg->path, "");
        return;
    }
    snprintf(p, sizeof(p), "%s/%s", root, rel);
    assert_string_equal(cfg->path, p);
}

static void test_cfg_search(void **state)
{
    (void)state;
    snprintf(root, sizeof(root), "/tmp/el-cfg-test.XXXXXX");
    assert_non_null(mkdtemp(root));
    char p[512];
    static const char *const dirs[] = {"work", "home", "home/.config", "home/.config/esptool",
                                       "other"};
    for (size_t i = 0; i < 5; i++) {
        snprintf(p, sizeof(p), "%s/%s", root, dirs[i]);
        assert_int_equal(mkdir(p, 0700), 0);
    }
    struct cli_config cfg;
    load(NULL, &cfg, 0);
    expect_path(&cfg, NULL);

    const char *sec = "[esptool]\nconnect_attempts = 3\n";
    write_text("home/esptool.cfg", sec);
    load(NULL, &cfg, 0);
    expect_path(&cfg, "home/esptool.cfg");
    assert_true(cfg.has_connect_attempts);
    assert_int_equal(cfg.connect_attempts, 3);
    write_text("home/.config/esptool/tox.ini", sec);
    load(NULL, &cfg, 0);
    expect_path(&cfg, "home/.config/esptool/tox.ini");
    write_text("work/tox.ini", "[tox]\nenvlist = py3\n"); /* no [esptool]: skipped */
    load(NULL, &cfg, 0);
    expect_path(&cfg, "home/.config/esptool/tox.ini");
    write_text("work/tox.ini", sec);
    load(NULL, &cfg, 0);
    expect_path(&cfg, "work/tox.ini");
    write_text("work/setup.cfg", sec);
    load(NULL, &cfg, 0);
    expect_path(&cfg, "work/setup.cfg");
    write_text("work/esptool.cfg", "[esptool]\nbroken line\n"); /* invalid: skipped */
    load(NULL, &cfg, 0);
    expect_path(&cfg, "work/setup.cfg");
    write_text("work/esptool.cfg", sec);
    load(NULL, &cfg, 0);
    expect_path(&cfg, "work/esptool.cfg");
    assert_false(cfg.from_env);

    /* ESPTOOL_CFGFILE first, relative to the current directory... */
    write_text("other/x.cfg", "[esptool]\ntimeout = 9\n");
    snprintf(p, sizeof(p), "%s/other/x.cfg", root);
    load(p, &cfg, 0);
    expect_path(&cfg, "other/x.cfg");
    assert_true(cfg.from_env);
    assert_int_equal(cfg.tuning.timeout_ms, 9000);
    /* ...but only when it is a valid file with an [esptool] section */
    snprintf(p, sizeof(p), "%s/other/none.cfg", root);
    load(p, &cfg, 0);
    expect_path(&cfg, "work/esptool.cfg");
    assert_false(cfg.from_env);
    write_text("other/y.cfg", "[other]\n");
    snprintf(p, sizeof(p), "%s/other/y.cfg", root);
    load(p, &cfg, 0);
    expect_path(&cfg, "work/esptool.cfg");

    /* a bad value is fatal (exit 2) */
    write_text("work/esptool.cfg", "[esptool]\ntimeout = soon\n");
    load(NULL, &cfg, EXIT_USAGE);

    static const char *const files[] = {"work/esptool.cfg",
                                        "work/setup.cfg",
                                        "work/tox.ini",
                                        "home/esptool.cfg",
                                        "home/.config/esptool/tox.ini",
                                        "other/x.cfg",
                                        "other/y.cfg"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        rm(files[i]);
    for (size_t i = 5; i-- > 0;)
        rm(dirs[i]);
    remove(root);
}

static void test_cfg_abs_path(void **state)
{
    (void)state;
    char out[256];
    abs_path("/a/b", "c.cfg", out, sizeof(out));
    assert_string_equal(out, "/a/b/c.cfg");
    abs_path("/a/b", "./../x//y/./c.cfg", out, sizeof(out));
    assert_string_equal(out, "/a/x/y/c.cfg");
    abs_path("/a/b", "/etc/../../e.cfg", out, sizeof(out));
    assert_string_equal(out, "/e.cfg");
    abs_path("/", "e.cfg", out, sizeof(out));
    assert_string_equal(out, "/e.cfg");
}

static void test_cfg_loader_tuning(void **state)
{
    (void)state;
    struct el_tuning t;
    el_tuning_init(&t);
    assert_int_equal(t.timeout_ms, EL_DEFAULT_TIMEOUT_MS);
    assert_int_equal(el_timeout_per_mb_in(40000, 1000000, 3000, 240000), 40000);
    assert_int_equal(el_timeout_per_mb_in(40000, 10, 3000, 240000), 3000);
    assert_int_equal(el_timeout_per_mb_in(40000, 100000000, 3000, 5000), 5000);
    assert_int_equal(el_timeout_per_mb(8000, 1000000),
                     el_timeout_per_mb_in(8000, 1000000, 3000, 240000));
}

/* The loader side: el_loader_set_tuning checks and keeps the values; the command timeout
 * and the custom hard reset sequence are used. */
static void test_cfg_loader_apply(void **state)
{
    (void)state;
    struct mock_port *m = mock_port_new();
    struct el_loader *l = NULL;
    assert_int_equal(el_loader_new(&l, mock_port_port(m)), EL_OK);
    struct el_tuning t;
    el_tuning_init(&t);
    t.timeout_ms = 0;
    assert_int_equal(el_loader_set_tuning(l, &t), EL_E_ARG);
    assert_non_null(strstr(el_loader_errmsg(l), "timeout"));
    el_tuning_init(&t);
    t.hard_reset_sequence = "R1|Q";
    assert_int_equal(el_loader_set_tuning(l, &t), EL_E_ARG);
    assert_int_equal(el_loader_tuning(l)->timeout_ms, EL_DEFAULT_TIMEOUT_MS); /* unchanged */

    /* nothing answers: READ_REG waits the tuned timeout */
    el_tuning_init(&t);
    t.timeout_ms = 1234;
    char seq[32];
    snprintf(seq, sizeof(seq), "R1|W0.2|R0");
    t.hard_reset_sequence = seq;
    assert_int_equal(el_loader_set_tuning(l, &t), EL_OK);
    seq[0] = 'X'; /* the loader keeps its own copy */
    assert_string_equal(el_loader_tuning(l)->hard_reset_sequence, "R1|W0.2|R0");
    uint64_t t0 = mock_port_clock_ms(m);
    uint32_t v;
    assert_int_equal(el_loader_read_reg(l, 0x3FF00050, &v), EL_E_TIMEOUT);
    uint64_t waited = mock_port_clock_ms(m) - t0;
    assert_true(waited >= 1234 && waited < EL_DEFAULT_TIMEOUT_MS);

    /* --after hard-reset runs the custom sequence instead of the RTS pulse */
    mock_port_free(m);
    el_loader_free(l);
    m = mock_port_new();
    assert_int_equal(el_loader_new(&l, mock_port_port(m)), EL_OK);
    assert_int_equal(el_loader_set_tuning(l, &t), EL_E_ARG); /* seq now starts with 'X' */
    snprintf(seq, sizeof(seq), "R1|W0.2|R0");
    assert_int_equal(el_loader_set_tuning(l, &t), EL_OK);
    assert_int_equal(el_loader_after(l, EL_AFTER_HARD_RESET), EL_OK);
    assert_non_null(strstr(mock_port_lines_log(m), "W200"));
    assert_null(strstr(mock_port_lines_log(m), "W100"));
    el_loader_free(l);
    mock_port_free(m);

    /* without one: the RTS pulse */
    m = mock_port_new();
    assert_int_equal(el_loader_new(&l, mock_port_port(m)), EL_OK);
    assert_int_equal(el_loader_after(l, EL_AFTER_HARD_RESET), EL_OK);
    assert_string_equal(mock_port_lines_log(m), "R1 W100 R0");
    el_loader_free(l);
    mock_port_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cfg_ini_basic),    cmocka_unit_test(test_cfg_ini_errors),
        cmocka_unit_test(test_cfg_map_defaults), cmocka_unit_test(test_cfg_map_values),
        cmocka_unit_test(test_cfg_map_bad),      cmocka_unit_test(test_cfg_search),
        cmocka_unit_test(test_cfg_abs_path),     cmocka_unit_test(test_cfg_loader_tuning),
        cmocka_unit_test(test_cfg_loader_apply),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
