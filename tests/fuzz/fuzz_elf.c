/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the ELF reader and elf2image layout. The first two bytes pick the chip
 * and options; the rest is the ELF. A produced image must parse back. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "espload/err.h"
#include "espload/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size > (1u << 20))
        return 0;
    enum el_chip_id chip = (enum el_chip_id)(1 + data[0] % (EL_CHIP_COUNT - 1));
    uint8_t f = data[1];
    struct el_elf2image_opts o;
    el_elf2image_opts_init(&o, chip);
    o.use_segments = f & 1;
    o.append_digest = !(f & 2);
    o.ram_only_header = f & 4;
    o.secure_pad = (f >> 3) & 3;
    if (o.secure_pad == 3)
        o.secure_pad = 0;
    o.v4_merge = f & 0x20;
    if (f & 0x40)
        o.pad_to_size = 0x1000;
    if (f & 0x80)
        o.mmu_page_size = 0x4000;
    uint8_t *out;
    size_t len;
    struct el_elf2image_info info;
    char why[300];
    if (el_elf2image(data + 2, size - 2, &o, &out, &len, &info, why, sizeof(why)) == EL_OK) {
        struct el_image *img = malloc(sizeof(*img));
        if (img) {
            int rc = el_image_parse(out, len, chip, img, why, sizeof(why));
            /* ram-only headers hide segments from the count; everything else parses back */
            if (rc != EL_OK && !o.ram_only_header)
                abort();
            if (rc == EL_OK && !o.ram_only_header && img->checksum != img->checksum_calc)
                abort();
            free(img);
        }
        free(out);
    }
    return 0;
}
