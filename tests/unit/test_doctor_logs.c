/* SPDX-License-Identifier: MIT */
/*
 * The doctor against recorded and realistic boot logs (tests/data/bootlogs): each log has
 * an expected verdict, health and set of findings, and the verdict must survive the mess
 * real captures carry (CRLF, lone CR, ANSI colours, quoting, noise, any chunking).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "espload/doctor.h"

#define MAXC 4

struct expect {
    const char *file;
    const char *primary;
    bool healthy;
    const char *must[MAXC];
    const char *must_not[MAXC];
};

static const struct expect cases[] = {
    /* the user's lab notes */
    {"seed-esp32spiram-20180630-v1.9.4-227.log",
     "psram-missing",
     false,
     {"boot-loop", "panic"},
     {"micropython-repl"}},
    {"seed-esp32spiram-20180719-v1.9.4-383.log",
     "psram-missing",
     false,
     {"boot-loop", "panic"},
     {"micropython-repl"}},
    {"seed-esp32spiram-20180728-v1.9.4-410.log",
     "psram-missing",
     false,
     {"boot-loop", "panic"},
     {"micropython-repl"}},
    {"seed-esp32-generic-20180630-v1.9.4-227.log",
     "micropython-repl",
     true,
     {0},
     {"psram-missing", "panic", "boot-loop", "power-reset-loop"}},
    /* one or more per code */
    {"download-mode-esp32.log", "download-mode", false, {0}, {"boot-loop"}},
    {"download-mode-esp32s3.log", "download-mode", false, {0}, {"boot-loop"}},
    {"download-mode-esp8266.log", "download-mode", false, {0}, {0}},
    {"no-bootloader-esp32.log", "no-bootloader", false, {"boot-loop"}, {"not-an-image"}},
    {"no-bootloader-esp32s3.log", "no-bootloader", false, {0}, {"not-an-image"}},
    {"not-an-image-esp32.log", "not-an-image", false, {0}, {"no-bootloader"}},
    {"not-an-image-esp32s3.log", "not-an-image", false, {0}, {"no-bootloader"}},
    {"wrong-chip-image-esp32s3.log", "wrong-chip-image", false, {"boot-loop"}, {0}},
    {"wrong-chip-image-esp32s2.log", "wrong-chip-image", false, {0}, {0}},
    {"wrong-chip-image-esp32-eco3.log", "wrong-chip-image", false, {"boot-loop"}, {0}},
    {"wrong-chip-image-app.log", "wrong-chip-image", false, {"no-app"}, {0}},
    {"flash-read-error-esp32.log", "flash-read-error", false, {"boot-loop"}, {0}},
    {"flash-read-error-mtdi.log", "flash-read-error", false, {0}, {0}},
    {"checksum-error-esp32c3.log", "checksum-error", false, {"boot-loop"}, {0}},
    {"checksum-error-app.log", "checksum-error", false, {"no-app", "boot-loop"}, {0}},
    {"checksum-error-esp8266.log", "checksum-error", false, {0}, {0}},
    {"flash-size-mismatch-app.log", "flash-size-mismatch", false, {"panic", "boot-loop"}, {0}},
    {"flash-size-mismatch-partition.log", "flash-size-mismatch", false, {"partition-table"}, {0}},
    {"flash-mode-qio-esp32.log", "flash-mode", false, {"checksum-error"}, {0}},
    {"flash-mode-qie.log", "boot-ok", true, {"flash-mode"}, {0}},
    {"psram-missing-esp32s3-idf5.log", "psram-missing", false, {"boot-loop", "panic"}, {0}},
    {"psram-missing-ignore-notfound.log", "boot-ok", true, {"psram-missing"}, {"panic"}},
    {"brownout-esp32.log", "brownout", false, {"boot-loop"}, {"power-reset-loop"}},
    {"brownout-esp32s3.log", "brownout", false, {0}, {"power-reset-loop"}},
    {"power-reset-loop-esp32.log", "power-reset-loop", false, {0}, {"boot-loop"}},
    {"power-reset-loop-esp32c3.log", "power-reset-loop", false, {0}, {"boot-loop"}},
    {"panic-esp32-loadprohibited.log", "panic", false, {"boot-loop"}, {0}},
    {"panic-esp32c3-riscv.log", "panic", false, {0}, {"boot-loop"}},
    {"panic-esp32-idf-monitor-annotated.log", "panic", false, {0}, {"boot-loop"}},
    {"panic-stack-overflow.log", "panic", false, {0}, {0}},
    {"watchdog-task.log", "watchdog", false, {0}, {0}},
    {"watchdog-interrupt.log", "watchdog", false, {0}, {"panic"}},
    {"watchdog-reset-reason.log", "boot-ok", true, {"watchdog"}, {0}},
    {"partition-table-missing.log", "partition-table", false, {"boot-loop"}, {0}},
    {"partition-table-md5.log", "partition-table", false, {0}, {0}},
    {"partition-table-otadata.log", "boot-ok", true, {"partition-table"}, {0}},
    {"no-app-erased.log", "no-app", false, {"boot-loop"}, {0}},
    {"no-app-too-big.log", "no-app", false, {0}, {0}},
    {"secure-boot-rom.log", "secure-boot", false, {0}, {0}},
    {"secure-boot-app-signature.log", "secure-boot", false, {"no-app"}, {0}},
    {"flash-encryption-plaintext-app.log", "flash-encryption", false, {"no-app"}, {0}},
    {"flash-encryption-failed.log", "flash-encryption", false, {0}, {0}},
    {"micropython-repl-v1.22.log", "micropython-repl", true, {0}, {0}},
    {"boot-ok-esp32-idf5.log", "boot-ok", true, {0}, {"unknown"}},
    {"boot-ok-esp32c3.log", "boot-ok", true, {0}, {"unknown"}},
    {"unknown-text.log", "unknown", false, {0}, {"boot-ok"}},
    {"unknown-noise.bin", "unknown", false, {0}, {"boot-ok"}},
};

static char *read_fixture(const char *name, size_t *len)
{
    const char *src = getenv("EL_SRCDIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/data/bootlogs/%s", src ? src : ".", name);
    FILE *fp = fopen(path, "rb");
    if (!fp)
        fail_msg("cannot open fixture %s (set EL_SRCDIR)", path);
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
    buf[n] = '\0';
    fclose(fp);
    *len = (size_t)n;
    return buf;
}

static struct el_doctor *diagnose(const char *buf, size_t len, size_t chunk)
{
    struct el_doctor *d = NULL;
    assert_int_equal(el_doctor_new(&d, NULL), 0);
    if (!chunk)
        chunk = len ? len : 1;
    for (size_t i = 0; i < len; i += chunk)
        el_doctor_feed(d, buf + i, len - i < chunk ? len - i : chunk);
    el_doctor_finish(d);
    return d;
}

static bool has_code(const struct el_doctor *d, const char *code)
{
    const struct el_doc_finding *f;
    size_t n = el_doctor_findings(d, &f);
    for (size_t i = 0; i < n; i++)
        if (strcmp(el_doc_code_name(f[i].code), code) == 0)
            return true;
    return false;
}

/* the set of codes as a bitmask, for comparing runs */
static uint32_t code_mask(const struct el_doctor *d)
{
    const struct el_doc_finding *f;
    size_t n = el_doctor_findings(d, &f);
    uint32_t m = 0;
    for (size_t i = 0; i < n; i++)
        m |= 1u << f[i].code;
    return m;
}

static void check_case(const struct expect *e, struct el_doctor *d, const char *variant)
{
    const struct el_doc_finding *f;
    size_t n = el_doctor_findings(d, &f);
    if (n == 0)
        fail_msg("%s [%s]: no findings", e->file, variant);
    if (strcmp(el_doc_code_name(f[0].code), e->primary) != 0)
        fail_msg("%s [%s]: verdict %s, expected %s (%s)", e->file, variant,
                 el_doc_code_name(f[0].code), e->primary, el_doctor_verdict(d));
    if (el_doctor_healthy(d) != e->healthy)
        fail_msg("%s [%s]: healthy=%d, expected %d", e->file, variant, el_doctor_healthy(d),
                 e->healthy);
    for (int i = 0; i < MAXC && e->must[i]; i++)
        if (!has_code(d, e->must[i]))
            fail_msg("%s [%s]: finding %s missing", e->file, variant, e->must[i]);
    for (int i = 0; i < MAXC && e->must_not[i]; i++)
        if (has_code(d, e->must_not[i]))
            fail_msg("%s [%s]: unexpected finding %s", e->file, variant, e->must_not[i]);
}

static void test_doclog__fixtures(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len;
        char *buf = read_fixture(cases[i].file, &len);
        struct el_doctor *d = diagnose(buf, len, 0);
        check_case(&cases[i], d, "as recorded");
        el_doctor_free(d);
        free(buf);
    }
}

/* every code of the stable list is exercised by at least two fixtures */
static void test_doclog__every_code_twice(void **state)
{
    (void)state;
    unsigned seen[EL_DOC_CODE_COUNT] = {0};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len;
        char *buf = read_fixture(cases[i].file, &len);
        struct el_doctor *d = diagnose(buf, len, 0);
        const struct el_doc_finding *f;
        size_t n = el_doctor_findings(d, &f);
        for (size_t k = 0; k < n; k++)
            seen[f[k].code]++;
        el_doctor_free(d);
        free(buf);
    }
    for (unsigned c = 0; c < EL_DOC_CODE_COUNT; c++)
        if (seen[c] < 2)
            fail_msg("code %s is produced by %u fixture(s)", el_doc_code_name((enum el_doc_code)c),
                     seen[c]);
}

/* ---- messy variants ---- */

enum variant { V_CRLF, V_CR, V_ANSI, V_QUOTE, V_NOISE, V_COUNT };
static const char *const variant_names[V_COUNT] = {"CRLF", "lone CR", "ANSI colours", "quoted '> '",
                                                   "binary noise"};

static char *transform(const char *in, size_t len, enum variant v, size_t *outlen)
{
    size_t cap = len * 4 + 256;
    char *out = malloc(cap);
    assert_non_null(out);
    size_t o = 0;
    bool bol = true;
    unsigned lineno = 0;
    for (size_t i = 0; i < len; i++) {
        char c = in[i];
        if (bol) {
            lineno++;
            if (v == V_ANSI)
                o += (size_t)sprintf(out + o, "\x1b[0;3%um", lineno % 7);
            if (v == V_QUOTE)
                o += (size_t)sprintf(out + o, "> ");
            if (v == V_NOISE && lineno % 5 == 1) {
                static const unsigned char junk[] = {0xff, 0x00, 0x8a, 0xfe, 0x07, 0x93,
                                                     0x01, 0xc0, 0xe2, 0x80, 0x99, 0x1f};
                memcpy(out + o, junk, sizeof junk);
                o += sizeof junk;
            }
            bol = false;
        }
        if (c == '\n') {
            if (v == V_ANSI)
                o += (size_t)sprintf(out + o, "\x1b[0m");
            if (v == V_CRLF)
                out[o++] = '\r', out[o++] = '\n';
            else if (v == V_CR)
                out[o++] = '\r';
            else
                out[o++] = '\n';
            bol = true;
            continue;
        }
        if (c == '\r' && (v == V_CRLF || v == V_CR))
            continue; /* already CRLF in the fixture: normalise first */
        out[o++] = c;
    }
    *outlen = o;
    return out;
}

static void test_doclog__messy_variants(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (strstr(cases[i].file, ".bin"))
            continue;
        size_t len;
        char *buf = read_fixture(cases[i].file, &len);
        struct el_doctor *ref = diagnose(buf, len, 0);
        uint32_t ref_mask = code_mask(ref);
        for (int v = 0; v < V_COUNT; v++) {
            size_t tl;
            char *t = transform(buf, len, (enum variant)v, &tl);
            struct el_doctor *d = diagnose(t, tl, v == V_NOISE ? 7 : 0);
            check_case(&cases[i], d, variant_names[v]);
            if (code_mask(d) != ref_mask)
                fail_msg("%s [%s]: findings differ from the clean log", cases[i].file,
                         variant_names[v]);
            el_doctor_free(d);
            free(t);
        }
        /* byte by byte */
        struct el_doctor *d = diagnose(buf, len, 1);
        check_case(&cases[i], d, "byte by byte");
        assert_int_equal(code_mask(d), ref_mask);
        el_doctor_free(d);
        el_doctor_free(ref);
        free(buf);
    }
}

/* the verdict for the seed reads the way the user needs it */
static void test_doclog__seed_verdict_text(void **state)
{
    (void)state;
    size_t len;
    char *buf = read_fixture("seed-esp32spiram-20180719-v1.9.4-383.log", &len);
    struct el_doctor *d = diagnose(buf, len, 0);
    const char *v = el_doctor_verdict(d);
    assert_non_null(strstr(v, "psram-missing: this firmware is built for boards with PSRAM "
                              "(SPIRAM) and this board has none"));
    assert_non_null(strstr(v, "flash the build without SPIRAM"));
    const struct el_doc_finding *f;
    size_t n = el_doctor_findings(d, &f);
    assert_true(n >= 2);
    assert_string_equal(f[0].evidence, "E (252) cpu_start: Failed to init external RAM!");
    /* the boot loop points at the same fix */
    bool loop_fix = false;
    for (size_t i = 0; i < n; i++)
        if (f[i].code == EL_DOC_BOOT_LOOP)
            loop_fix = strstr(f[i].fix, "flash the build without SPIRAM") != NULL;
    assert_true(loop_fix);
    /* the abort() that follows is a consequence, not the verdict */
    for (size_t i = 0; i < n; i++)
        if (f[i].code == EL_DOC_PANIC)
            assert_int_equal(f[i].severity, EL_DOC_SEV_INFO);
    const struct el_doc_panic *p = el_doctor_panic(d);
    assert_true(p->seen);
    assert_int_equal(p->pc, 0x40082e2a);
    assert_int_equal(p->n_bt, 7);
    assert_int_equal(p->bt[0], 0x40090fa3);
    assert_int_equal(p->bt[6], 0x4000073d);
    const struct el_doc_info *in = el_doctor_info(d);
    assert_int_equal(in->reset_code, 0xc);
    assert_string_equal(in->reset_name, "SW_CPU_RESET");
    assert_int_equal(in->boot_mode, 0x13);
    el_doctor_free(d);
    free(buf);

    buf = read_fixture("seed-esp32-generic-20180630-v1.9.4-227.log", &len);
    d = diagnose(buf, len, 0);
    in = el_doctor_info(d);
    assert_string_equal(in->mp_version, "v1.9.4-227-gab02abe9");
    assert_string_equal(in->mp_date, "2018-06-30");
    assert_string_equal(in->mp_board, "ESP32 module with ESP32");
    assert_true(in->prompt_seen);
    assert_int_equal(in->boots, 2);
    assert_non_null(strstr(el_doctor_verdict(d), "MicroPython v1.9.4-227-gab02abe9"));
    el_doctor_free(d);
    free(buf);
}

static void test_doclog__details(void **state)
{
    (void)state;
    size_t len;
    char *buf = read_fixture("flash-read-error-mtdi.log", &len);
    struct el_doctor *d = diagnose(buf, len, 0);
    const struct el_doc_finding *f;
    el_doctor_findings(d, &f);
    assert_non_null(strstr(f[0].why, "GPIO12"));
    el_doctor_free(d);
    free(buf);

    buf = read_fixture("wrong-chip-image-esp32s3.log", &len);
    d = diagnose(buf, len, 0);
    el_doctor_findings(d, &f);
    assert_non_null(strstr(f[0].what, "built for ESP32 (chip id 0) but this chip is ESP32-S3"));
    assert_string_equal(el_doctor_info(d)->chip, "esp32s3");
    el_doctor_free(d);
    free(buf);

    buf = read_fixture("panic-esp32-loadprohibited.log", &len);
    d = diagnose(buf, len, 0);
    const struct el_doc_panic *p = el_doctor_panic(d);
    assert_int_equal(p->arch, EL_DOC_ARCH_XTENSA);
    assert_int_equal(p->pc, 0x400d5a1e);
    assert_int_equal(p->cause, 28);
    assert_true(p->have_vaddr);
    assert_int_equal(p->vaddr, 0);
    assert_int_equal(p->n_bt, 4);
    assert_int_equal(p->bt[3], 0x40087c35);
    assert_string_equal(p->reason, "LoadProhibited");
    assert_string_equal(el_doctor_info(d)->elf_sha256, "9c5e3a1f0b2d4e6a");
    el_doctor_free(d);
    free(buf);

    buf = read_fixture("panic-esp32c3-riscv.log", &len);
    d = diagnose(buf, len, 0);
    p = el_doctor_panic(d);
    assert_int_equal(p->arch, EL_DOC_ARCH_RISCV);
    assert_int_equal(p->pc, 0x4200a3b6);
    assert_int_equal(p->ra, 0x4200a3ac);
    assert_int_equal(p->cause, 5);
    el_doctor_findings(d, &f);
    assert_non_null(strstr(f[0].what, "Load access fault"));
    el_doctor_free(d);
    free(buf);

    buf = read_fixture("panic-esp32-idf-monitor-annotated.log", &len);
    d = diagnose(buf, len, 0);
    p = el_doctor_panic(d);
    assert_int_equal(p->pc, 0x400e14ed);
    assert_int_equal(p->cause, 29);
    assert_int_equal(p->n_bt, 2);
    assert_int_equal(p->bt[1], 0x400d0802);
    el_doctor_findings(d, &f);
    assert_non_null(strstr(f[0].what, "StoreProhibited"));
    el_doctor_free(d);
    free(buf);

    buf = read_fixture("panic-stack-overflow.log", &len);
    d = diagnose(buf, len, 0);
    el_doctor_findings(d, &f);
    assert_non_null(strstr(f[0].what, "stack overflow in task main"));
    assert_non_null(strstr(f[0].fix, "bigger stack"));
    assert_true(el_doctor_panic(d)->bt_corrupted);
    el_doctor_free(d);
    free(buf);

    buf = read_fixture("watchdog-task.log", &len);
    d = diagnose(buf, len, 0);
    el_doctor_findings(d, &f);
    assert_non_null(strstr(f[0].what, "IDLE0 (CPU 0)"));
    el_doctor_free(d);
    free(buf);

    buf = read_fixture("flash-size-mismatch-app.log", &len);
    d = diagnose(buf, len, 0);
    el_doctor_findings(d, &f);
    assert_non_null(strstr(f[0].what, "16384 KB"));
    assert_non_null(strstr(f[0].what, "4096 KB"));
    el_doctor_free(d);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_doclog__fixtures),
        cmocka_unit_test(test_doclog__every_code_twice),
        cmocka_unit_test(test_doclog__messy_variants),
        cmocka_unit_test(test_doclog__seed_verdict_text),
        cmocka_unit_test(test_doclog__details),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
