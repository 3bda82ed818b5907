/* SPDX-License-Identifier: MIT */
/* libFuzzer target: image parser, kind, PSRAM evidence, merged-image description, header
 * patching and the pre-flight checks on arbitrary bytes. The first byte picks the chip. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "espload/err.h"
#include "espload/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > (1u << 20))
        return 0;
    enum el_chip_id chip = (enum el_chip_id)(data[0] % EL_CHIP_COUNT);
    const uint8_t *d = data + 1;
    size_t n = size - 1;
    struct el_image *img = malloc(sizeof(*img));
    if (!img)
        return 0;
    char why[200];
    if (el_image_parse(d, n, chip, img, why, sizeof(why)) == EL_OK) {
        if (img->image_len > n || img->data_length > n || img->n_segments > 16)
            abort();
        for (size_t i = 0; i < img->n_segments; i++) {
            if ((size_t)img->seg[i].file_offs + 8 + img->seg[i].len > n)
                abort();
        }
        (void)el_image_kind_of(img);
    }
    free(img);
    struct el_psram_evidence ev;
    el_image_psram_evidence(chip, d, n, &ev);
    struct el_flash_layout *lay = malloc(sizeof(*lay));
    if (lay) {
        (void)el_image_describe_flash(d, n, 0, chip, 0x8000, lay);
        (void)el_image_describe_flash(d, n, 0x1000, chip, 0x8000, lay);
        free(lay);
    }
    uint8_t *copy = malloc(n ? n : 1);
    if (copy) {
        memcpy(copy, d, n);
        bool changed, sha;
        uint16_t v;
        (void)el_image_patch_flash_params(chip, copy, n, 2, 0, 2, &changed, &v, &sha, why,
                                          sizeof(why));
        free(copy);
    }
    uint8_t *hex;
    size_t hlen;
    uint32_t hstart;
    if (el_ihex_decode((const char *)d, n, &hex, &hlen, &hstart, why, sizeof(why)) == EL_OK)
        free(hex);
    /* merge the input split in two, in every output format */
    size_t half = n / 2;
    struct el_merge_input mi[2] = {
        {0x1000, d, half, "a"},
        {0x1000 + (uint32_t)((half + 0xFFF) & ~(size_t)0xFFF), d + half, n - half, "b"}};
    for (int fmt = 0; fmt < 3; fmt++) {
        struct el_merge_opts mo = {.chip = chip ? chip : EL_CHIP_ESP32,
                                   .format = (enum el_merge_format)fmt,
                                   .flash_mode = 3,
                                   .flash_freq = EL_IMG_KEEP,
                                   .flash_size = 1,
                                   .chunk_size = (uint32_t)(n % 2 ? 256 : 0)};
        uint8_t *mo_out;
        size_t mo_len, nn;
        struct el_merge_note notes[4];
        if (el_merge(mi, 2, &mo, &mo_out, &mo_len, notes, 4, &nn, why, sizeof(why)) == EL_OK)
            free(mo_out);
    }
    struct el_preflight_target t = {.chip = chip ? chip : EL_CHIP_ESP32,
                                    .chip_rev_full = 100,
                                    .flash_size = 4u << 20,
                                    .psram = -1,
                                    .partition_table = n >= 0xC00 ? d : NULL,
                                    .partition_table_len = 0xC00,
                                    .partition_table_offset = 0x8000};
    struct el_preflight_file f[2] = {{0x1000, d, n, "a"}, {0x10000, d, n, "b"}};
    struct el_pf_finding out[4];
    size_t nf;
    (void)el_preflight_check(&t, f, 2, out, 4, &nf);
    return 0;
}
