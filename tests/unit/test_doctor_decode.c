/* SPDX-License-Identifier: MIT */
/*
 * Doctor decoders and the streaming line assembler: reset reasons, strapping values,
 * exception causes, code names, and the edge cases of raw serial input.
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

static struct el_doctor *run_text(const char *text, const struct el_doctor_cfg *cfg)
{
    struct el_doctor *d = NULL;
    assert_int_equal(el_doctor_new(&d, cfg), 0);
    el_doctor_feed(d, text, strlen(text));
    el_doctor_finish(d);
    return d;
}

static const char *primary(const struct el_doctor *d)
{
    const struct el_doc_finding *f;
    size_t n = el_doctor_findings(d, &f);
    return n ? el_doc_code_name(f[0].code) : "(none)";
}

static void test_docdec__code_names(void **state)
{
    (void)state;
    static const char *const stable[] = {"download-mode",
                                         "no-bootloader",
                                         "not-an-image",
                                         "wrong-chip-image",
                                         "flash-read-error",
                                         "checksum-error",
                                         "flash-size-mismatch",
                                         "flash-mode",
                                         "psram-missing",
                                         "brownout",
                                         "power-reset-loop",
                                         "panic",
                                         "watchdog",
                                         "partition-table",
                                         "no-app",
                                         "secure-boot",
                                         "flash-encryption",
                                         "micropython-repl",
                                         "boot-ok",
                                         "boot-loop",
                                         "unknown"};
    assert_int_equal(sizeof stable / sizeof stable[0], EL_DOC_CODE_COUNT);
    for (unsigned i = 0; i < EL_DOC_CODE_COUNT; i++) {
        assert_string_equal(el_doc_code_name((enum el_doc_code)i), stable[i]);
        assert_int_equal(el_doc_code_from_name(stable[i]), i);
    }
    assert_int_equal(el_doc_code_from_name("nope"), EL_DOC_CODE_COUNT);
    assert_int_equal(el_doc_code_from_name(NULL), EL_DOC_CODE_COUNT);
    assert_string_equal(el_doc_code_name((enum el_doc_code)999), "unknown");
}

static void test_docdec__reset_reasons(void **state)
{
    (void)state;
    bool wdt, bo, pwr;
    const char *s = el_doc_reset_reason("esp32", 0xc, &wdt, &bo, &pwr);
    assert_non_null(strstr(s, "software reset of the CPU"));
    assert_false(wdt || bo || pwr);
    el_doc_reset_reason(NULL, 0x1, &wdt, &bo, &pwr);
    assert_true(pwr);
    el_doc_reset_reason("esp32", 0xf, &wdt, &bo, &pwr);
    assert_true(bo);
    el_doc_reset_reason("esp32", 0x7, &wdt, &bo, &pwr);
    assert_true(wdt);
    /* ESP32 prints 0x10 at many power-ups: not a watchdog there, but it is on newer chips */
    el_doc_reset_reason("esp32", 0x10, &wdt, &bo, &pwr);
    assert_false(wdt);
    el_doc_reset_reason("esp32s3", 0x10, &wdt, &bo, &pwr);
    assert_true(wdt);
    assert_non_null(strstr(el_doc_reset_reason("esp32c3", 0x15, NULL, NULL, NULL), "USB"));
    el_doc_reset_reason("esp32c6", 0x17, &wdt, &bo, &pwr);
    assert_true(bo);
    assert_string_equal(el_doc_reset_reason("esp32", 0x99, &wdt, &bo, &pwr),
                        "unknown reset reason");
    assert_false(wdt || bo || pwr);
}

static void test_docdec__boot_modes(void **state)
{
    (void)state;
    char desc[256];
    assert_false(el_doc_boot_mode("esp32", 0x13, desc, sizeof desc));
    assert_non_null(strstr(desc, "GPIO0 high"));
    assert_true(el_doc_boot_mode("esp32", 0x03, desc, sizeof desc));
    assert_non_null(strstr(desc, "download"));
    assert_true(el_doc_boot_mode("esp32", 0x01, desc, sizeof desc));
    assert_true(el_doc_boot_mode("esp32", 0x07, desc, sizeof desc));
    assert_true(el_doc_boot_mode(NULL, 0x0b, desc, sizeof desc)); /* GPIO2 high */
    assert_non_null(strstr(desc, "unsupported"));
    assert_false(el_doc_boot_mode("esp32", 0x33, desc, sizeof desc));
    assert_non_null(strstr(desc, "1.8 V"));
    assert_false(el_doc_boot_mode("esp32s3", 0x08, desc, sizeof desc));
    assert_true(el_doc_boot_mode("esp32s3", 0x00, desc, sizeof desc));
    assert_non_null(strstr(desc, "GPIO0 low"));
    assert_false(el_doc_boot_mode("esp32c3", 0x0c, desc, sizeof desc));
    assert_non_null(strstr(desc, "GPIO9 high"));
    assert_true(el_doc_boot_mode("esp32c3", 0x04, desc, sizeof desc));
    assert_non_null(strstr(desc, "GPIO8 high"));
}

static void test_docdec__causes(void **state)
{
    (void)state;
    assert_string_equal(el_doc_xtensa_cause(28), "LoadProhibited");
    assert_string_equal(el_doc_xtensa_cause(29), "StoreProhibited");
    assert_string_equal(el_doc_xtensa_cause(0), "IllegalInstruction");
    assert_string_equal(el_doc_xtensa_cause(20), "InstrFetchProhibited");
    assert_string_equal(el_doc_xtensa_cause(10), "unknown");
    assert_string_equal(el_doc_xtensa_cause(1000), "unknown");
    assert_string_equal(el_doc_riscv_cause(5), "Load access fault");
    assert_string_equal(el_doc_riscv_cause(7), "Store access fault");
    assert_string_equal(el_doc_riscv_cause(2), "Illegal instruction");
    assert_string_equal(el_doc_riscv_cause(10), "unknown");
    assert_non_null(strstr(el_doc_cause_hint(EL_DOC_ARCH_XTENSA, 28), "NULL"));
    assert_non_null(el_doc_cause_hint(EL_DOC_ARCH_UNKNOWN, 3));
}

static void test_docdec__empty_and_garbage(void **state)
{
    (void)state;
    struct el_doctor *d = run_text("", NULL);
    assert_string_equal(primary(d), "unknown");
    assert_false(el_doctor_healthy(d));
    const struct el_doc_finding *f;
    el_doctor_findings(d, &f);
    assert_non_null(strstr(f[0].what, "no output"));
    el_doctor_free(d);

    unsigned char junk[3000];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (unsigned char)(0x80 | (i * 37));
    assert_int_equal(el_doctor_new(&d, NULL), 0);
    el_doctor_feed(d, junk, sizeof junk);
    el_doctor_finish(d);
    assert_string_equal(primary(d), "unknown");
    el_doctor_findings(d, &f);
    assert_non_null(strstr(f[0].what, "baud"));
    assert_int_equal(el_doctor_info(d)->noise_bytes, sizeof junk);
    el_doctor_free(d);

    /* NULLs are harmless */
    el_doctor_feed(NULL, "x", 1);
    el_doctor_finish(NULL);
    el_doctor_free(NULL);
    assert_int_equal(el_doctor_findings(NULL, NULL), 0);
    assert_int_equal(el_doctor_new(NULL, NULL), -1);
}

static void test_docdec__long_lines_are_capped(void **state)
{
    (void)state;
    struct el_doctor *d = NULL;
    assert_int_equal(el_doctor_new(&d, NULL), 0);
    char big[4096];
    memset(big, 'a', sizeof big);
    for (int i = 0; i < 1000; i++)
        el_doctor_feed(d, big, sizeof big); /* 4 MB, no newline */
    el_doctor_feed(d, "\n", 1);
    /* a recognisable line after the monster still counts */
    const char *t =
        "rst:0x1 (POWERON_RESET),boot:0x3 (DOWNLOAD_BOOT(UART0/UART1/SDIO_REI_REO_V2))\n"
        "waiting for download\n";
    el_doctor_feed(d, t, strlen(t));
    el_doctor_finish(d);
    assert_string_equal(primary(d), "download-mode");
    assert_int_equal(el_doctor_info(d)->lines, 3);
    el_doctor_free(d);

    /* a marker past the cap is cut away, one before it is found */
    char line[EL_DOC_LINE_MAX * 2];
    memset(line, 'x', sizeof line);
    memcpy(line + sizeof line - 40, "invalid header: 0xffffffff\n", 27);
    assert_int_equal(el_doctor_new(&d, NULL), 0);
    el_doctor_feed(d, line, sizeof line - 40 + 27);
    el_doctor_finish(d);
    assert_string_equal(primary(d), "unknown");
    el_doctor_free(d);
}

static void test_docdec__glued_and_split_lines(void **state)
{
    (void)state;
    /* a ROM banner glued to the end of the previous output */
    struct el_doctor *d = run_text("invalid header: 0xffffffff\n"
                                   "invalid header: 0ESP-ROM:esp32c3-api1-20210207\n"
                                   "Build:Feb  7 2021\n"
                                   "rst:0x7 (TG0WDT_SYS_RST),boot:0xc (SPI_FAST_FLASH_BOOT)\n"
                                   "invalid header: 0xffffffff\n",
                                   NULL);
    assert_string_equal(primary(d), "no-bootloader");
    assert_string_equal(el_doctor_info(d)->chip, "esp32c3");
    assert_int_equal(el_doctor_info(d)->boots, 1);
    el_doctor_free(d);

    /* a line split across two reads, ANSI escapes split too */
    struct el_doctor *d2 = NULL;
    assert_int_equal(el_doctor_new(&d2, NULL), 0);
    const char *parts[] = {"E (25", "1) cpu_st", "art: Failed to init ext",
                           "\x1b",  "[0;3",      "1mernal RAM!\x1b[0m\r",
                           "\n"};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        el_doctor_feed(d2, parts[i], strlen(parts[i]));
    el_doctor_finish(d2);
    assert_string_equal(primary(d2), "psram-missing");
    assert_int_equal(el_doctor_info(d2)->lines, 1);
    el_doctor_free(d2);
}

static void test_docdec__micropython_prompt_without_newline(void **state)
{
    (void)state;
    struct el_doctor *d = NULL;
    assert_int_equal(el_doctor_new(&d, NULL), 0);
    const char *t = "MicroPython v1.20.0 on 2023-04-26; ESP32C3 module with ESP32C3\r\n"
                    "Type \"help()\" for more information.\r\n>>> ";
    el_doctor_feed(d, t, strlen(t));
    assert_true(el_doctor_settled(d)); /* live: the prompt is there */
    el_doctor_finish(d);
    assert_string_equal(primary(d), "micropython-repl");
    assert_true(el_doctor_healthy(d));
    assert_string_equal(el_doctor_info(d)->mp_board, "ESP32C3 module with ESP32C3");
    /* feeding after finish continues; finish refreshes */
    const char *crash = "\r\nGuru Meditation Error: Core  0 panic'ed (Store access fault). "
                        "Exception was unhandled.\r\nMEPC    : 0x42000010  RA      : 0x42000020\r\n"
                        "MCAUSE  : 0x00000007  MTVAL   : 0x00000004\r\n";
    el_doctor_feed(d, crash, strlen(crash));
    el_doctor_finish(d);
    assert_string_equal(primary(d), "panic");
    assert_false(el_doctor_healthy(d));
    assert_int_equal(el_doctor_panic(d)->cause, 7);
    assert_int_equal(el_doctor_panic(d)->arch, EL_DOC_ARCH_RISCV);
    el_doctor_free(d);
}

static void test_docdec__live_config(void **state)
{
    (void)state;
    struct el_doctor_cfg cfg = {.chip = "esp32s3", .has_psram = 0};
    struct el_doctor *d =
        run_text("rst:0x1 (POWERON),boot:0x0 (DOWNLOAD(USB/UART0))\nwaiting for download\n", &cfg);
    assert_string_equal(primary(d), "download-mode");
    assert_true(el_doctor_settled(d));
    char *txt = el_doctor_report(d, EL_DOC_TEXT, NULL);
    assert_non_null(txt);
    assert_non_null(strstr(txt, "ESP32-S3"));
    free(txt);
    el_doctor_free(d);
}

static void test_docdec__live_knowledge(void **state)
{
    (void)state;
    const char *log = "rst:0xc (RTC_SW_CPU_RST),boot:0x8 (SPI_FAST_FLASH_BOOT)\n"
                      "E (258) cpu_start: Failed to init external RAM!\n";
    struct el_doctor_cfg has = {
        .chip = "esp32s3", .has_psram = 1, .flash_encryption = -1, .secure_boot = -1};
    struct el_doctor *d = run_text(log, &has);
    const struct el_doc_finding *f;
    el_doctor_findings(d, &f);
    assert_string_equal(el_doc_code_name(f[0].code), "psram-missing");
    assert_non_null(strstr(f[0].why, "the chip reports PSRAM"));
    el_doctor_free(d);
    d = run_text(log, NULL);
    el_doctor_findings(d, &f);
    assert_non_null(strstr(f[0].what, "this board has none"));
    el_doctor_free(d);

    const char *hdr = "rst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)\n"
                      "invalid header: 0x8b2289f0\n";
    struct el_doctor_cfg fe = {
        .chip = "esp32", .has_psram = -1, .flash_encryption = 1, .secure_boot = -1};
    d = run_text(hdr, &fe);
    assert_string_equal(primary(d), "flash-encryption");
    el_doctor_free(d);
    d = run_text(hdr, NULL);
    assert_string_equal(primary(d), "not-an-image");
    el_doctor_free(d);
}

static void test_docdec__running_app_without_boot(void **state)
{
    (void)state;
    /* attached to a running app: its log shows no boot, but it is clearly alive */
    struct el_doctor *d = run_text("I (91234) wifi: connected to ap\r\n"
                                   "I (91300) app: temperature 21.5 C\r\n",
                                   NULL);
    assert_string_equal(primary(d), "boot-ok");
    assert_true(el_doctor_healthy(d));
    const struct el_doc_finding *f;
    el_doctor_findings(d, &f);
    assert_non_null(strstr(f[0].what, "the app is running"));
    el_doctor_free(d);
    /* the 2nd-stage bootloader's own log is not the app */
    d = run_text("I (29) boot: ESP-IDF v5.1.2 2nd stage bootloader\n"
                 "I (35) boot.esp32: SPI Mode       : DIO\n",
                 NULL);
    assert_false(el_doctor_healthy(d));
    el_doctor_free(d);
    /* a word ending in "ets" before a date is not a ROM banner */
    d = run_text("presets Jun  8 2016 00:22:57\n", NULL);
    assert_int_equal(el_doctor_info(d)->boots, 0);
    el_doctor_free(d);
}

static void test_docdec__settled_on_loop(void **state)
{
    (void)state;
    struct el_doctor *d = NULL;
    assert_int_equal(el_doctor_new(&d, NULL), 0);
    const char *boot = "ets Jun  8 2016 00:22:57\n\nrst:0x10 (RTCWDT_RTC_RESET),boot:0x13 "
                       "(SPI_FAST_FLASH_BOOT)\nflash read err, 1000\nets_main.c 371 \n";
    el_doctor_feed(d, boot, strlen(boot));
    assert_false(el_doctor_settled(d));
    el_doctor_feed(d, boot, strlen(boot));
    assert_true(el_doctor_settled(d));
    el_doctor_free(d);
}

static void test_docdec__json_report(void **state)
{
    (void)state;
    struct el_doctor *d = run_text("ets Jun  8 2016 00:22:57\n\nrst:0xc (SW_CPU_RESET),boot:0x13 "
                                   "(SPI_FAST_FLASH_BOOT)\nE (251) cpu_start: Failed to init "
                                   "external RAM!\nabort() was called at PC 0x40082e16 on core "
                                   "0\n\nBacktrace: 0x40090da3:0x3ffe3c50 0x40090dd4:0x3ffe3c70\n"
                                   "\nRebooting...\nquote \" and \\ back\n",
                                   NULL);
    char *j = el_doctor_report(d, EL_DOC_JSON, NULL);
    assert_non_null(j);
    assert_non_null(strstr(j, "{\"verdict\":\"psram-missing\",\"healthy\":false"));
    assert_non_null(strstr(j, "\"code\":\"boot-loop\""));
    assert_non_null(
        strstr(j, "\"backtrace\":[{\"addr\":\"0x40090da3\"},{\"addr\":\"0x40090dd4\"}]"));
    assert_non_null(strstr(j, "\"reset\":{\"code\":12,\"name\":\"SW_CPU_RESET\""));
    /* balanced braces and brackets outside strings */
    int depth = 0;
    bool in_str = false;
    for (const char *p = j; *p; p++) {
        if (in_str) {
            if (*p == '\\')
                p++;
            else if (*p == '"')
                in_str = false;
            continue;
        }
        if (*p == '"')
            in_str = true;
        else if (*p == '{' || *p == '[')
            depth++;
        else if (*p == '}' || *p == ']')
            depth--;
        assert_true(depth >= 0);
    }
    assert_int_equal(depth, 0);
    free(j);
    el_doctor_free(d);
}

static void test_docdec__esp8266(void **state)
{
    (void)state;
    struct el_doctor *d = run_text(" ets Jan  8 2013,rst cause:2, boot mode:(3,6)\n\n"
                                   "Exception (28):\nepc1=0x40201a3c epc2=0x00000000 epc3=0x0 "
                                   "excvaddr=0x00000000 depc=0x00000000\n",
                                   NULL);
    assert_string_equal(primary(d), "panic");
    assert_int_equal(el_doctor_panic(d)->pc, 0x40201a3c);
    assert_int_equal(el_doctor_panic(d)->cause, 28);
    assert_string_equal(el_doctor_info(d)->chip, "esp8266");
    el_doctor_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_docdec__code_names),
        cmocka_unit_test(test_docdec__reset_reasons),
        cmocka_unit_test(test_docdec__boot_modes),
        cmocka_unit_test(test_docdec__causes),
        cmocka_unit_test(test_docdec__empty_and_garbage),
        cmocka_unit_test(test_docdec__long_lines_are_capped),
        cmocka_unit_test(test_docdec__glued_and_split_lines),
        cmocka_unit_test(test_docdec__micropython_prompt_without_newline),
        cmocka_unit_test(test_docdec__live_config),
        cmocka_unit_test(test_docdec__live_knowledge),
        cmocka_unit_test(test_docdec__running_app_without_boot),
        cmocka_unit_test(test_docdec__settled_on_loop),
        cmocka_unit_test(test_docdec__json_report),
        cmocka_unit_test(test_docdec__esp8266),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
