/* SPDX-License-Identifier: MIT */
/*
 * A 100 MB endless boot loop streamed through the doctor: the verdict holds, every reset is
 * counted and memory stays bounded (the doctor keeps no per-line or per-boot history).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/resource.h>

#include <cmocka.h>

#include "espload/doctor.h"

static long max_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static void test_docstream__100mb_boot_loop(void **state)
{
    (void)state;
    /* one boot of the seed's SPIRAM build, with CRLF and a few noise bytes */
    static const char boot[] =
        "ets Jun  8 2016 00:22:57\r\n\r\n"
        "rst:0xc (SW_CPU_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)\r\n"
        "configsip: 0, SPIWP:0xee\r\n"
        "clk_drv:0x00,q_drv:0x00,d_drv:0x00,cs0_drv:0x00,hd_drv:0x00,wp_drv:0x00\r\n"
        "mode:DIO, clock div:2\r\n"
        "load:0x3fff0018,len:4\r\nload:0x3fff001c,len:4596\r\nload:0x40078000,len:0\r\n"
        "load:0x40078000,len:14140\r\nentry 0x4007b288\r\n"
        "\x1b[0;31mE (252) cpu_start: Failed to init external RAM!\x1b[0m\r\n"
        "abort() was called at PC 0x40082e2a on core 0\r\n\r\n"
        "Backtrace: 0x40090fa3:0x3ffe3c50 0x40090fd4:0x3ffe3c70 0x40082e2a:0x3ffe3c90 "
        "0x40079909:0x3ffe3cd0 0x4007b2e9:0x3ffe3d10 0x40007c31:0x3ffe3eb0 "
        "0x4000073d:0x3ffe3f20\r\n"
        "\r\nRebooting...\r\n\xff\xfe\x00";
    const size_t blen = sizeof boot - 1;
    static char chunk[64 * 1024];
    size_t per = sizeof chunk / blen;
    for (size_t i = 0; i < per; i++)
        memcpy(chunk + i * blen, boot, blen);
    size_t clen = per * blen;
    const uint64_t total = 100ull * 1024 * 1024;
    uint64_t fed = 0, boots = 0;

    struct el_doctor *d = NULL;
    assert_int_equal(el_doctor_new(&d, NULL), 0);
    /* warm up (first allocations of the test and the sanitizer) before measuring */
    el_doctor_feed(d, chunk, clen);
    fed += clen;
    boots += per;
    long rss0 = max_rss_kb();
    while (fed + clen <= total) {
        el_doctor_feed(d, chunk, clen);
        fed += clen;
        boots += per;
    }
    el_doctor_finish(d);
    long rss1 = max_rss_kb();

    const struct el_doc_info *in = el_doctor_info(d);
    assert_int_equal(in->bytes, fed);
    assert_int_equal(in->boots, boots);
    const struct el_doc_finding *f;
    size_t n = el_doctor_findings(d, &f);
    assert_true(n >= 2);
    assert_string_equal(el_doc_code_name(f[0].code), "psram-missing");
    assert_int_equal(f[0].count, boots);
    bool loop = false;
    for (size_t i = 0; i < n; i++)
        loop = loop || f[i].code == EL_DOC_BOOT_LOOP;
    assert_true(loop);
    el_doctor_free(d);
    /* bounded: no growth with input size (allow 8 MB of allocator/sanitizer slack) */
    if (rss1 - rss0 > 8 * 1024)
        fail_msg("max RSS grew by %ld KB while streaming %llu bytes", rss1 - rss0,
                 (unsigned long long)fed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_docstream__100mb_boot_loop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
