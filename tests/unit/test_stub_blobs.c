/* SPDX-License-Identifier: MIT */
/* The embedded flasher stubs: present for the chips with a cross build, placed inside the
 * RAM windows documented in docs/STUB.md, word-sized segments, entry inside the text. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "espload/stub.h"

struct window {
    enum el_chip_id chip;
    uint32_t iram_lo, iram_hi, dram_lo, dram_hi;
};

static const struct window windows[] = {
    {EL_CHIP_ESP32, 0x40098000u, 0x400A0000u, 0x3FFCC000u, 0x3FFE0000u},
    {EL_CHIP_ESP32C3, 0x40380000u, 0x40388000u, 0x3FC88000u, 0x3FCA0000u},
};

#ifdef EL_HAVE_BUILTIN_STUBS
static void check_image(const struct window *w)
{
    const struct el_stub_image *im = el_builtin_stub(w->chip);
    assert_non_null(im);
    assert_string_equal(im->origin, "built-in");
    assert_non_null(im->text);
    assert_true(im->text_len > 1000 && im->text_len % 4 == 0);
    assert_true(im->text_start >= w->iram_lo && im->text_start + im->text_len <= w->iram_hi);
    assert_true(im->entry >= im->text_start && im->entry < im->text_start + im->text_len);
    assert_true(im->data_len % 4 == 0);
    if (im->data_len > 0) {
        assert_non_null(im->data);
        assert_true(im->data_start >= w->dram_lo && im->data_start + im->data_len <= w->dram_hi);
        assert_true(im->bss_start >= im->data_start + im->data_len);
    }
    assert_true(im->bss_start >= w->dram_lo && im->bss_start < w->dram_hi);
    /* the first word of the text is not blank: a real image, not a placeholder */
    uint32_t w0;
    memcpy(&w0, im->text, 4);
    assert_true(w0 != 0 && w0 != 0xFFFFFFFFu);
}
#endif

static void test_stub_blobs_builtin(void **state)
{
    (void)state;
#ifdef EL_HAVE_BUILTIN_STUBS
    int found = 0;
    for (size_t i = 0; i < sizeof(windows) / sizeof(windows[0]); i++) {
        if (el_builtin_stub(windows[i].chip)) {
            check_image(&windows[i]);
            found++;
        }
    }
    assert_true(found > 0);
#else
    for (size_t i = 0; i < sizeof(windows) / sizeof(windows[0]); i++)
        assert_null(el_builtin_stub(windows[i].chip));
#endif
    /* chips without a stub of ours */
    assert_null(el_builtin_stub(EL_CHIP_UNKNOWN));
    assert_null(el_builtin_stub(EL_CHIP_ESP32S3));
    assert_null(el_builtin_stub(EL_CHIP_COUNT));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stub_blobs_builtin),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
