/* SPDX-License-Identifier: MIT */
/* libFuzzer target: binary and CSV partition tables, verification and both writers. A
 * binary table that parses must write back to a table that parses to the same entries. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "espload/err.h"
#include "espload/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    struct el_parttable *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
    uint8_t *bin = malloc(EL_PT_MAX_LEN);
    char why[300];
    if (!a || !b || !bin)
        goto out;
    if (el_parttable_parse_bin(data, size, a, why, sizeof(why)) == EL_OK) {
        (void)el_parttable_verify(a, 0x8000, 4u << 20, why, sizeof(why));
        size_t n;
        if (el_parttable_to_bin(a, false, bin, EL_PT_MAX_LEN, &n) == EL_OK) {
            if (el_parttable_parse_bin(bin, n, b, why, sizeof(why)) != EL_OK || b->n != a->n)
                abort();
            for (size_t i = 0; i < a->n; i++) {
                if (a->p[i].offset != b->p[i].offset || a->p[i].size != b->p[i].size ||
                    a->p[i].type != b->p[i].type || strcmp(a->p[i].name, b->p[i].name) != 0)
                    abort();
            }
        }
        size_t need = el_parttable_to_csv(a, NULL, 0);
        char *csv = malloc(need + 1);
        if (csv) {
            el_parttable_to_csv(a, csv, need + 1);
            (void)el_parttable_parse_csv(csv, need, 0x8000, b, why, sizeof(why));
            free(csv);
        }
    }
    uint32_t off = size ? (uint32_t)data[0] << 12 : 0x8000;
    if (el_parttable_parse_csv((const char *)data, size, off, a, why, sizeof(why)) == EL_OK) {
        (void)el_parttable_verify(a, off, 0, why, sizeof(why));
        size_t n;
        (void)el_parttable_to_bin(a, size & 1, bin, EL_PT_MAX_LEN, &n);
    }
out:
    free(a);
    free(b);
    free(bin);
    return 0;
}
