/* SPDX-License-Identifier: MIT */
#ifndef EL_IMAGE_IMAGE_INT_H
#define EL_IMAGE_IMAGE_INT_H
/*
 * Image-format facts per chip (memory map, flash-mapped windows, frequency codes, UF2 family,
 * MMU page sizes) shared by the image parser, elf2image, merge and the pre-flight checks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "espload/chip.h"

struct eli_mem_range {
    uint32_t start, end;
    const char *name;
};
struct eli_freq {
    const char *name;
    uint8_t code;
};
struct eli_img_chip {
    enum el_chip_id id;
    const struct eli_mem_range *map;
    size_t n_map;
    uint32_t irom_start, irom_end, drom_start, drom_end;
    const struct eli_freq *freq;
    size_t n_freq;
    uint32_t uf2_family;
    const uint32_t *mmu_pages; /* configurable MMU page sizes, ascending; NULL = fixed 64K */
    size_t n_mmu_pages;
    uint32_t extram_start, extram_end; /* external RAM data window, 0/0 = no PSRAM support */
};

/* Never NULL: unknown chips get the ESP32 description. */
const struct eli_img_chip *eli_img_chip(enum el_chip_id id);
/* snprintf into why (may be NULL); always returns EL_E_FORMAT. */
int eli_img_fail(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void eli_sha256(const uint8_t *data, size_t len, uint8_t out[32]);
/* Finds needle in hay (bounded memmem). */
const uint8_t *eli_memfind(const uint8_t *hay, size_t hlen, const char *needle);

#endif
