/* SPDX-License-Identifier: MIT */
#ifndef ESPLOAD_STUB_H
#define ESPLOAD_STUB_H
/*
 * A flasher stub image: code and data uploaded to RAM with MEM_BEGIN/MEM_DATA/MEM_END.
 * Built-in stubs are compiled from stub/ and embedded in the library; esptool-format JSON
 * stubs (text/data base64, entry, text_start, data_start, bss_start) load into the same
 * structure (see loader.h).
 */
#include <stddef.h>
#include <stdint.h>

#include "espload/chip.h"

#ifdef __cplusplus
extern "C" {
#endif

struct el_stub_image {
    const char *origin; /* "built-in", or the JSON file path */
    uint32_t entry;
    uint32_t text_start;
    uint32_t data_start; /* 0 if no data segment */
    uint32_t bss_start;
    const uint8_t *text;
    size_t text_len;
    const uint8_t *data;
    size_t data_len;
};

/* The stub built from this repository for chip, or NULL if there is none for it. */
const struct el_stub_image *el_builtin_stub(enum el_chip_id chip);

#ifdef __cplusplus
}
#endif
#endif
