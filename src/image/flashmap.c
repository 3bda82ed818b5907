/* SPDX-License-Identifier: MIT */
/* Describing files that hold several parts of a flash (merged images, flash dumps). */
#include <stdlib.h>
#include <string.h>

#include "espload/err.h"
#include "espload/image.h"
#include "image_int.h"

static void add_part(struct el_flash_layout *o, enum el_part_kind k, uint32_t off, uint32_t len,
                     int idx, bool valid)
{
    if (o->n >= EL_FLASH_MAX_PARTS)
        return;
    struct el_flash_part *p = &o->part[o->n++];
    p->kind = k;
    p->offset = off;
    p->len = len;
    p->pt_index = idx;
    p->valid = valid;
}

int el_image_describe_flash(const uint8_t *data, size_t len, uint32_t base, enum el_chip_id chip,
                            uint32_t table_offset, struct el_flash_layout *out)
{
    memset(out, 0, sizeof(*out));
    out->base = base;
    const struct el_chip *c = el_chip_by_id(chip);
    uint32_t boot = c ? c->bootloader_offset : 0x1000;
    struct el_image *img = malloc(sizeof(*img));
    if (!img)
        return EL_E_NOMEM;
    bool found_boot = false;
    if (boot >= base && boot - base < len && data[boot - base] == EL_IMAGE_MAGIC) {
        size_t o = boot - base;
        bool ok = el_image_parse(data + o, len - o, chip, img, NULL, 0) == EL_OK;
        if (ok) {
            add_part(out, EL_PART_BOOTLOADER, boot, (uint32_t)img->image_len, -1, true);
            found_boot = true;
        }
    }
    if (table_offset >= base && table_offset - base < len) {
        size_t o = table_offset - base;
        size_t l = len - o < EL_PT_MAX_LEN ? len - o : EL_PT_MAX_LEN;
        if (el_parttable_parse_bin(data + o, l, &out->table, NULL, 0) == EL_OK) {
            out->has_table = true;
            add_part(out, EL_PART_PARTTABLE, table_offset, (uint32_t)l, -1, true);
        }
    }
    if (out->has_table) {
        for (size_t i = 0; i < out->table.n; i++) {
            const struct el_partition *p = &out->table.p[i];
            if (p->offset < base || p->offset - base >= len || p->type > 1)
                continue;
            size_t o = p->offset - base;
            size_t l = len - o < p->size ? len - o : p->size;
            if (p->type == 0) {
                if (data[o] != EL_IMAGE_MAGIC)
                    continue; /* empty or erased app slot */
                bool ok = el_image_parse(data + o, l, chip, img, NULL, 0) == EL_OK;
                add_part(out, EL_PART_APP, p->offset, (uint32_t)(ok ? img->image_len : l), (int)i,
                         ok);
            } else {
                bool empty = true;
                for (size_t k = 0; k < l && empty; k++)
                    empty = data[o + k] == 0xFF;
                if (!empty)
                    add_part(out, EL_PART_DATA, p->offset, (uint32_t)l, (int)i, true);
            }
        }
    }
    free(img);
    return (found_boot || out->has_table) ? EL_OK : EL_E_FORMAT;
}
