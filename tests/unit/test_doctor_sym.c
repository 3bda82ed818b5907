/* SPDX-License-Identifier: MIT */
/*
 * The symbolizer (libdw) against this test program's own debug info: a function's link-time
 * address must come back as its name and this file with the right line.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <link.h>

#include <cmocka.h>

#include "espload/doctor.h"

static uintptr_t load_bias;

static int find_bias(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    (void)data;
    if (info->dlpi_name == NULL || info->dlpi_name[0] == '\0') { /* the main program */
        load_bias = (uintptr_t)info->dlpi_addr;
        return 1;
    }
    return 0;
}

__attribute__((noinline)) int docsym_target_function(int x);
__attribute__((noinline)) int docsym_target_function(int x)
{
    return x * 3 + 1; /* DOCSYM_LINE */
}

static void test_docsym__own_binary(void **state)
{
    (void)state;
    if (!el_sym_available())
        skip();
    dl_iterate_phdr(find_bias, NULL);
    struct el_sym *s = NULL;
    char err[256];
    assert_int_equal(el_sym_open(&s, "/proc/self/exe", err, sizeof err), 0);
    uintptr_t addr = (uintptr_t)&docsym_target_function - load_bias;
    struct el_sym_loc loc;
    assert_int_equal(el_sym_lookup(s, addr, &loc), 0);
    assert_string_equal(loc.function, "docsym_target_function");
    assert_int_equal(loc.offset, 0);
    assert_non_null(strstr(loc.file, "test_doctor_sym.c"));
    assert_true(loc.line >= 35 && loc.line <= 40);
    /* an address outside the program */
    assert_int_not_equal(el_sym_lookup(s, 0x10, &loc), 0);
    /* SHA-256 of the file: 64 hex digits; prefix comparison */
    const char *h = el_sym_sha256(s);
    assert_int_equal(strlen(h), 64);
    char pre[20];
    snprintf(pre, sizeof pre, "%.16s...", h);
    assert_true(el_sym_sha256_matches(s, pre));
    pre[0] = pre[0] == '0' ? '1' : '0';
    assert_false(el_sym_sha256_matches(s, pre));
    assert_true(el_sym_sha256_matches(s, ""));
    el_sym_close(s);
    assert_int_equal(docsym_target_function(1), 4);
}

static void test_docsym__bad_files(void **state)
{
    (void)state;
    struct el_sym *s = (struct el_sym *)1;
    char err[256];
    int rc = el_sym_open(&s, "/nonexistent/app.elf", err, sizeof err);
    assert_true(rc < 0);
    assert_null(s);
    if (el_sym_available()) {
        assert_non_null(strstr(err, "cannot read '/nonexistent/app.elf'"));
        FILE *fp = fopen("docsym_not_elf.bin", "wb");
        assert_non_null(fp);
        fputs("\xe9\x03\x02\x20 this is an image, not an ELF", fp);
        fclose(fp);
        rc = el_sym_open(&s, "docsym_not_elf.bin", err, sizeof err);
        assert_int_equal(rc, -9); /* EL_E_FORMAT */
        assert_non_null(strstr(err, "not an ELF"));
        remove("docsym_not_elf.bin");
        /* a truncated ELF */
        fp = fopen("docsym_trunc.elf", "wb");
        fputs("\177ELF\001\001\001", fp);
        fclose(fp);
        rc = el_sym_open(&s, "docsym_trunc.elf", err, sizeof err);
        assert_true(rc < 0);
        remove("docsym_trunc.elf");
    }
    el_sym_close(NULL);
}

static void test_docsym__report_with_elf(void **state)
{
    (void)state;
    if (!el_sym_available())
        skip();
    dl_iterate_phdr(find_bias, NULL);
    struct el_sym *s = NULL;
    assert_int_equal(el_sym_open(&s, "/proc/self/exe", NULL, 0), 0);
    uintptr_t addr = (uintptr_t)&docsym_target_function - load_bias;
    char log[512];
    snprintf(log, sizeof log,
             "Guru Meditation Error: Core  0 panic'ed (LoadProhibited). Exception was unhandled.\n"
             "PC      : 0x%08lx  PS      : 0x00060130\n"
             "EXCCAUSE: 0x0000001c  EXCVADDR: 0x00000000\n"
             "Backtrace: 0x%08lx:0x3ffb4e70\n\nELF file SHA256: 0123456789abcdef\n",
             (unsigned long)addr, (unsigned long)addr);
    struct el_doctor *d = NULL;
    assert_int_equal(el_doctor_new(&d, NULL), 0);
    el_doctor_feed(d, log, strlen(log));
    el_doctor_finish(d);
    char *txt = el_doctor_report(d, EL_DOC_TEXT, s);
    assert_non_null(strstr(txt, "docsym_target_function at "));
    assert_non_null(strstr(txt, "test_doctor_sym.c:"));
    assert_non_null(strstr(txt, "does not match the running app"));
    free(txt);
    char *j = el_doctor_report(d, EL_DOC_JSON, s);
    assert_non_null(strstr(j, "\"function\":\"docsym_target_function\""));
    assert_non_null(strstr(j, "\"matches_device\":false"));
    free(j);
    el_doctor_free(d);
    el_sym_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_docsym__own_binary),
        cmocka_unit_test(test_docsym__bad_files),
        cmocka_unit_test(test_docsym__report_with_elf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
