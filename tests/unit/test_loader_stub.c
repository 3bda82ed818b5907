/* SPDX-License-Identifier: MIT */
/* Stub JSON parsing (good and bad), candidate discovery, upload and OHAI. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "espload/err.h"
#include "espload/loader.h"
#include "mock_port.h"

/* "AQIDBA==" = 01 02 03 04; "qrvM3e4=" = aa bb cc dd ee */
static const char good[] = "{\n  \"entry\": 1074521580,\n  \"text\": \"AQIDBA==\",\n"
                           "  \"text_start\": 1074520064,\n  \"data\": \"qrvM3e4=\",\n"
                           "  \"data_start\": 1073605544,\n  \"bss_start\": 1073528832,\n"
                           "  \"plugins\": [{\"x\": [1, 2.5e3, true, null]}]\n}\n";

static void t_parse_good(void **state)
{
    (void)state;
    struct el_stub_image *img;
    char err[200];
    assert_int_equal(el_stub_parse_json(good, strlen(good), "t.json", &img, err, sizeof(err)),
                     EL_OK);
    assert_int_equal(img->entry, 1074521580u);
    assert_int_equal(img->text_start, 0x400BE000u);
    assert_int_equal(img->data_start, 1073605544u);
    assert_int_equal(img->bss_start, 0x3FFCC000u);
    assert_int_equal(img->text_len, 4);
    static const uint8_t t[] = {1, 2, 3, 4};
    assert_memory_equal(img->text, t, 4);
    assert_int_equal(img->data_len, 5);
    static const uint8_t d[] = {0xaa, 0xbb, 0xcc, 0xdd, 0xee};
    assert_memory_equal(img->data, d, 5);
    assert_string_equal(img->origin, "t.json");
    el_stub_image_free(img);
}

static void t_parse_bad(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "[]",
        "{",
        "{\"entry\": 1, \"text_start\": 2}",                          /* no text */
        "{\"entry\": 1, \"text_start\": 2, \"text\": \"AQID\"",       /* unterminated */
        "{\"entry\": 1, \"text_start\": 2, \"text\": \"AQI\"}",       /* base64 length */
        "{\"entry\": 1, \"text_start\": 2, \"text\": \"AQ!D\"}",      /* base64 char */
        "{\"entry\": -1, \"text_start\": 2, \"text\": \"AQIDBA==\"}", /* negative */
        "{\"entry\": 1.5, \"text_start\": 2, \"text\": \"AQIDBA==\"}",
        "{\"entry\": 4294967296, \"text_start\": 2, \"text\": \"AQIDBA==\"}",
        "{\"entry\": \"1\", \"text_start\": 2, \"text\": \"AQIDBA==\"}",
        "{\"entry\": 1, \"text_start\": 2, \"text\": \"AQIDBA==\",}",  /* trailing comma */
        "{\"entry\": 1, \"text_start\": 2, \"text\": \"AQIDBA==\"} x", /* trailing data */
        "{\"entry\": 01, \"text_start\": 2, \"text\": \"AQIDBA==\"}",  /* leading zero */
        "{\"entry\": 1, \"text_start\": 2, \"text\": \"AQIDBA==\", \"data\": \"AQIDBA==\"}",
        "{\"entry\": 1 \"text_start\": 2}",
        "{\"a\": [[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]}",
        "{\"entry\": 1, \"text_start\": 2, \"text\": \"AQ\\x\"}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct el_stub_image *img = (struct el_stub_image *)1;
        char err[200] = "";
        int rc = el_stub_parse_json(bad[i], strlen(bad[i]), "x", &img, err, sizeof(err));
        if (rc != EL_E_FORMAT)
            fail_msg("case %zu accepted (rc %d): %s", i, rc, bad[i]);
        assert_null(img);
        assert_true(err[0] != '\0');
    }
}

static void t_candidates_and_load(void **state)
{
    (void)state;
    char root[] = "/tmp/el_stub_test_XXXXXX";
    assert_non_null(mkdtemp(root));
    char path[512];
    snprintf(path, sizeof(path), "%s/esptool", root);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/esptool/targets", root);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/esptool/targets/stub_flasher", root);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/esptool/targets/stub_flasher/1", root);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/esptool/targets/stub_flasher/1/esp32.json", root);
    FILE *fp = fopen(path, "w");
    fputs(good, fp);
    fclose(fp);
    char bad[512];
    snprintf(bad, sizeof(bad), "%s/esp32.json", root); /* a bad file directly in the root */
    fp = fopen(bad, "w");
    fputs("{ not json", fp);
    fclose(fp);
    const char *roots[] = {root};
    char **paths;
    size_t n;
    assert_int_equal(el_stub_candidates(EL_CHIP_ESP32, roots, 1, &paths, &n), EL_OK);
    assert_int_equal(n, 2);
    assert_string_equal(paths[0], bad);
    assert_string_equal(paths[1], path);
    assert_null(paths[2]);
    el_stub_paths_free(paths);
    assert_int_equal(el_stub_candidates(EL_CHIP_ESP32S3, roots, 1, &paths, &n), EL_OK);
    assert_int_equal(n, 0);
    el_stub_paths_free(paths);
    struct el_stub_image *img;
    char err[300];
    assert_int_equal(el_stub_load_json(bad, &img, err, sizeof(err)), EL_E_FORMAT);
    assert_non_null(strstr(err, "bad stub JSON"));
    assert_int_equal(el_stub_load_json("/nonexistent/x.json", &img, err, sizeof(err)), EL_E_IO);

    /* discovery skips the bad file and uploads the good one; a bad --stub-dir is an error */
    struct mock_port *m = mock_port_new();
    struct mock_dev dev;
    mock_dev_init(&dev, 4096);
    dev.ohai = true;
    mock_dev_attach(m, &dev);
    struct el_loader *l;
    assert_int_equal(el_loader_new(&l, mock_port_port(m)), EL_OK);
    struct el_connect_opts o;
    el_connect_opts_init(&o);
    o.before = EL_BEFORE_NO_RESET;
    o.chip = EL_CHIP_ESP32;
    assert_int_equal(el_loader_connect(l, &o), EL_OK);
    assert_int_equal(el_loader_set_stub_sources(l, root, NULL, 0), EL_OK);
    assert_int_equal(el_loader_run_stub(l, NULL), EL_E_FORMAT);
    assert_false(el_loader_is_stub(l));
    assert_int_equal(el_loader_set_stub_sources(l, NULL, roots, 1), EL_OK);
    int rc = el_loader_run_stub(l, NULL);
    assert_int_equal(rc, EL_OK);
    assert_true(el_loader_is_stub(l));
    /* built-in stub first if there is one; else the discovered JSON */
    if (el_builtin_stub(EL_CHIP_ESP32) == NULL)
        assert_string_equal(el_loader_stub_origin(l), path);
    el_loader_free(l);
    mock_port_free(m);
    mock_dev_release(&dev);
    unlink(path);
    unlink(bad);
    snprintf(path, sizeof(path), "rm -rf '%s'", root);
    assert_int_equal(system(path), 0);
}

static void t_upload_explicit(void **state)
{
    (void)state;
    struct mock_port *m = mock_port_new();
    struct mock_dev dev;
    mock_dev_init(&dev, 4096);
    dev.ohai = true;
    mock_dev_attach(m, &dev);
    struct el_loader *l;
    assert_int_equal(el_loader_new(&l, mock_port_port(m)), EL_OK);
    struct el_connect_opts o;
    el_connect_opts_init(&o);
    o.before = EL_BEFORE_NO_RESET;
    o.chip = EL_CHIP_ESP32;
    assert_int_equal(el_loader_connect(l, &o), EL_OK);
    mock_port_tx_clear(m);
    uint8_t text[0x1800 + 10];
    memset(text, 0x42, sizeof(text));
    struct el_stub_image img = {.origin = "test",
                                .entry = 0x400BE5EC,
                                .text_start = 0x400BE000,
                                .text = text,
                                .text_len = sizeof(text),
                                .data_start = 0x3FFDEBA8,
                                .data = text,
                                .data_len = 8};
    assert_int_equal(el_loader_run_stub(l, &img), EL_OK);
    assert_true(el_loader_is_stub(l));
    /* text: 2 blocks (0x1800 + 10), data: 1 block, then MEM_END(0, entry) */
    assert_int_equal(mock_port_tx_count_op(m, 0x05), 2);
    assert_int_equal(mock_port_tx_count_op(m, 0x07), 3);
    size_t len;
    const uint8_t *p = mock_port_tx_frame(m, mock_port_tx_find_op(m, 0x07, 1), &len);
    assert_int_equal(len, 8 + 16 + 10);
    assert_int_equal(p[12], 1); /* seq 1 */
    p = mock_port_tx_frame(m, mock_port_tx_find_op(m, 0x06, 0), &len);
    static const uint8_t me[] = {0x00, 0x06, 0x08, 0x00, 0,    0,    0,    0,
                                 0,    0,    0,    0,    0xEC, 0xE5, 0x0B, 0x40};
    assert_int_equal(len, sizeof(me));
    assert_memory_equal(p, me, sizeof(me));
    /* status is now 2 bytes: a stub-style reply parses */
    uint32_t v;
    assert_int_equal(el_loader_read_reg(l, 0x40001000, &v), EL_OK);
    el_loader_free(l);
    mock_port_free(m);
    mock_dev_release(&dev);

    /* no greeting: a clear failure */
    m = mock_port_new();
    mock_dev_init(&dev, 4096);
    mock_dev_attach(m, &dev);
    assert_int_equal(el_loader_new(&l, mock_port_port(m)), EL_OK);
    assert_int_equal(el_loader_connect(l, &o), EL_OK);
    assert_int_equal(el_loader_run_stub(l, &img), EL_E_PROTO);
    assert_non_null(strstr(el_loader_errmsg(l), "Failed to start stub flasher"));
    /* the cause is quoted once, whole: no text formatted over itself */
    const char *em = el_loader_errmsg(l);
    assert_non_null(strstr(em, "Failed to start stub flasher: no greeting ("));
    assert_null(strstr(em + 1, "Failed to start stub flasher"));
    assert_int_equal(em[strlen(em) - 1], ')');
    assert_false(el_loader_is_stub(l));
    el_loader_free(l);
    mock_port_free(m);
    mock_dev_release(&dev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_parse_good),
        cmocka_unit_test(t_parse_bad),
        cmocka_unit_test(t_candidates_and_load),
        cmocka_unit_test(t_upload_explicit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
