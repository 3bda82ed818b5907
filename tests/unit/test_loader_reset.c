/* SPDX-License-Identifier: MIT */
/* Reset sequences: the custom-sequence parser, built-in strategies, rotation, names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "espload/err.h"
#include "espload/loader.h"
#include "mock_port.h"

static void t_parse_classic(void **state)
{
    (void)state;
    struct el_reset_step s[EL_RESET_MAX_STEPS];
    size_t n;
    char err[200];
    assert_int_equal(
        el_reset_parse("D0|R1|W0.1|D1|R0|W0.05|D0", s, EL_RESET_MAX_STEPS, &n, err, sizeof(err)),
        EL_OK);
    assert_int_equal(n, 7);
    assert_int_equal(s[0].op, EL_RST_DTR);
    assert_false(s[0].dtr);
    assert_int_equal(s[1].op, EL_RST_RTS);
    assert_true(s[1].rts);
    assert_int_equal(s[2].op, EL_RST_WAIT);
    assert_int_equal(s[2].wait_ms, 100);
    assert_int_equal(s[5].wait_ms, 50);
    assert_int_equal(s[6].op, EL_RST_DTR);
}

static void t_parse_tight(void **state)
{
    (void)state;
    struct el_reset_step s[EL_RESET_MAX_STEPS];
    size_t n;
    assert_int_equal(
        el_reset_parse("U1,1|U0,1|W0.1|U1,0|W0.05|U0,0", s, EL_RESET_MAX_STEPS, &n, NULL, 0),
        EL_OK);
    assert_int_equal(n, 6);
    assert_int_equal(s[0].op, EL_RST_BOTH);
    assert_true(s[0].dtr && s[0].rts);
    assert_false(s[1].dtr);
    assert_true(s[1].rts);
    assert_true(s[3].dtr);
    assert_false(s[3].rts);
    /* waits: integer seconds, leading dot, rounding to ms */
    assert_int_equal(el_reset_parse("W2|W.25|W0.0005", s, EL_RESET_MAX_STEPS, &n, NULL, 0), EL_OK);
    assert_int_equal(s[0].wait_ms, 2000);
    assert_int_equal(s[1].wait_ms, 250);
    assert_int_equal(s[2].wait_ms, 1);
}

static void t_parse_bad(void **state)
{
    (void)state;
    struct el_reset_step s[4];
    size_t n = 99;
    char err[200];
    static const char *const bad[] = {"",       "X0",   "D2",   "D0|",    "U1",
                                      "U1,",    "U1,2", "W",    "W-1",    "W0.1s",
                                      "D0||R1", "R10",  "Wabc", "U1,1,1", "D0|R1|D1|R0|D0"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        int rc = el_reset_parse(bad[i], s, 4, &n, err, sizeof(err));
        if (rc != EL_E_ARG)
            fail_msg("'%s' accepted", bad[i]);
        assert_int_equal(n, 0);
        assert_true(err[0] != '\0');
    }
    assert_int_equal(el_reset_parse(NULL, s, 4, &n, err, sizeof(err)), EL_E_ARG);
}

static void t_run_on_mock(void **state)
{
    (void)state;
    struct mock_port *m = mock_port_new();
    struct el_reset_step s[EL_RESET_MAX_STEPS];
    size_t n;
    assert_int_equal(
        el_reset_parse("D0|R1|W0.1|D1|R0|W0.05|D0", s, EL_RESET_MAX_STEPS, &n, NULL, 0), EL_OK);
    assert_int_equal(el_reset_run(mock_port_port(m), s, n), EL_OK);
    /* every RTS change re-writes DTR with its current value */
    assert_string_equal(mock_port_lines_log(m), "D0 R1 D0 W100 D1 R0 D1 W50 D0");
    assert_int_equal(mock_port_clock_ms(m), 150);
    mock_port_free(m);

    m = mock_port_new();
    assert_int_equal(el_reset_hard(mock_port_port(m), false), EL_OK);
    assert_string_equal(mock_port_lines_log(m), "R1 W100 R0");
    mock_port_free(m);

    m = mock_port_new();
    mock_port_set_has_lines(m, false);
    assert_int_equal(el_reset_run(mock_port_port(m), s, n), EL_E_UNSUPPORTED);
    mock_port_free(m);
}

static void t_builtin_and_rotation(void **state)
{
    (void)state;
    struct el_reset_strategy r[4];
    char name[40];
    size_t n = el_reset_rotation(false, true, false, 0, r, 4);
    assert_int_equal(n, 4);
    assert_string_equal(el_reset_name(&r[0], name, sizeof(name)), "UnixTightReset(0.05)");
    assert_string_equal(el_reset_name(&r[1], name, sizeof(name)), "UnixTightReset(0.55)");
    assert_string_equal(el_reset_name(&r[2], name, sizeof(name)), "ClassicReset(0.05)");
    assert_string_equal(el_reset_name(&r[3], name, sizeof(name)), "ClassicReset(0.55)");
    n = el_reset_rotation(false, true, true, 0, r, 4); /* rfc2217 */
    assert_int_equal(n, 2);
    assert_int_equal(r[0].kind, EL_RESET_CLASSIC);
    assert_int_equal(r[1].delay_ms, 550);
    n = el_reset_rotation(false, false, false, 0, r, 4); /* Windows */
    assert_int_equal(n, 2);
    n = el_reset_rotation(true, true, false, 0, r, 4);
    assert_int_equal(n, 1);
    assert_string_equal(el_reset_name(&r[0], name, sizeof(name)), "USBJTAGSerialReset");
    n = el_reset_rotation(false, true, false, 200, r, 4);
    assert_int_equal(r[0].delay_ms, 200);
    assert_int_equal(r[1].delay_ms, 200);

    /* the built-in classic sequence equals esptool's documented string */
    struct el_reset_step a[EL_RESET_MAX_STEPS], b[EL_RESET_MAX_STEPS];
    size_t na, nb;
    struct el_reset_strategy c = {EL_RESET_CLASSIC, 50};
    assert_int_equal(el_reset_steps(&c, a, EL_RESET_MAX_STEPS, &na), EL_OK);
    assert_int_equal(
        el_reset_parse("D0|R1|W0.1|D1|R0|W0.05|D0", b, EL_RESET_MAX_STEPS, &nb, NULL, 0), EL_OK);
    assert_int_equal(na, nb);
    for (size_t i = 0; i < na; i++) {
        assert_int_equal(a[i].op, b[i].op);
        assert_int_equal(a[i].dtr, b[i].dtr);
        assert_int_equal(a[i].rts, b[i].rts);
        assert_int_equal(a[i].wait_ms, b[i].wait_ms);
    }
}

static void t_before_after_names(void **state)
{
    (void)state;
    enum el_before b;
    enum el_after a;
    assert_int_equal(el_before_parse("default_reset", &b), EL_OK);
    assert_int_equal(b, EL_BEFORE_DEFAULT_RESET);
    assert_int_equal(el_before_parse("no-reset-no-sync", &b), EL_OK);
    assert_int_equal(b, EL_BEFORE_NO_RESET_NO_SYNC);
    assert_int_equal(el_before_parse("usb_reset", &b), EL_OK);
    assert_int_equal(el_before_parse("reset", &b), EL_E_ARG);
    assert_int_equal(el_after_parse("hard_reset", &a), EL_OK);
    assert_int_equal(a, EL_AFTER_HARD_RESET);
    assert_int_equal(el_after_parse("watchdog-reset", &a), EL_OK);
    assert_int_equal(a, EL_AFTER_WATCHDOG_RESET);
    assert_int_equal(el_after_parse("no_reset_stub", &a), EL_OK);
    assert_int_equal(el_after_parse("", &a), EL_E_ARG);
    assert_string_equal(el_after_name(EL_AFTER_NO_RESET_STUB), "no-reset-stub");
    assert_string_equal(el_before_name(EL_BEFORE_USB_RESET), "usb-reset");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_parse_classic),
        cmocka_unit_test(t_parse_tight),
        cmocka_unit_test(t_parse_bad),
        cmocka_unit_test(t_run_on_mock),
        cmocka_unit_test(t_builtin_and_rotation),
        cmocka_unit_test(t_before_after_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
