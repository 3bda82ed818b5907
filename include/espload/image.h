/* SPDX-License-Identifier: MIT */
#ifndef ESPLOAD_IMAGE_H
#define ESPLOAD_IMAGE_H
/*
 * Firmware images (ESP32-family application/bootloader format), header patching and the
 * pre-flight checks run before write_flash. Pure code: no ports, no printing.
 * (More of the image API — parsing, elf2image, merge, partition tables — is declared
 * further down as it lands.)
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "espload/chip.h"

#ifdef __cplusplus
extern "C" {
#endif

/* --- flash parameters in the image header (byte 2: mode, byte 3: size<<4 | freq) --- */
/* Parse "qio|qout|dio|dout", "80m|40m|26m|20m|..." (chip dependent), "1MB..128MB".
 * Return the header code (>= 0), EL_IMG_KEEP for "keep", EL_IMG_DETECT for "detect"
 * (size only), or EL_E_ARG. */
#define EL_IMG_KEEP   (-100)
#define EL_IMG_DETECT (-101)
int el_image_flash_mode_code(const char *s);
int el_image_flash_freq_code(enum el_chip_id chip, const char *s);
int el_image_flash_size_code(const char *s);
/* Size in bytes of a size code, 0 if invalid. */
uint32_t el_image_flash_size_bytes(int size_code);

/* Patches mode/freq/size (each EL_IMG_KEEP to leave alone) in an image that is about to be
 * written at the chip's bootloader offset, recomputing the appended SHA-256 when the image
 * has one. Returns EL_OK when patched, EL_E_FORMAT when the data is not a valid image (then
 * nothing is changed; *why says so), or EL_OK with *changed=false if nothing changed.
 * *new_params is (byte2 << 8) | byte3 for the "Flash params set to 0x%04x" line. */
int el_image_patch_flash_params(enum el_chip_id chip, uint8_t *data, size_t len, int mode, int freq,
                                int size, bool *changed, uint16_t *new_params, bool *sha_updated,
                                char *why, size_t whylen);

/* --- pre-flight checks before writing --- */
struct el_preflight_target {
    enum el_chip_id chip;           /* connected chip */
    unsigned chip_rev_full;         /* major*100 + minor */
    uint32_t flash_size;            /* detected flash size in bytes (0 = unknown) */
    bool secure_boot;               /* from eFuses */
    bool flash_encryption;          /* from eFuses */
    int psram;                      /* 1 known present, 0 known absent, -1 unknown */
    const char *chip_description;   /* "ESP32-D0WDQ5 (revision v0.0)" for messages */
    const uint8_t *partition_table; /* 0xC00 bytes at the table offset, or NULL */
    size_t partition_table_len;
    uint32_t partition_table_offset; /* 0x8000 by default */
};
struct el_preflight_file {
    uint32_t addr;
    const uint8_t *data;
    size_t len;
    const char *name; /* for messages only; never used as evidence */
};
enum el_pf_level { EL_PF_NOTE = 0, EL_PF_WARN = 1, EL_PF_REFUSE = 2 };
struct el_pf_finding {
    enum el_pf_level level;
    char code[32]; /* stable id, e.g. "wrong-chip", "psram-missing" (docs/IMAGES.md) */
    char msg[320]; /* one line: what is wrong and what to do */
};
/* Runs every check. Fills up to cap findings; *n_out is the number found (may exceed cap).
 * Returns EL_OK, or EL_E_REFUSED if any finding has level EL_PF_REFUSE. */
int el_preflight_check(const struct el_preflight_target *t, const struct el_preflight_file *f,
                       size_t n_files, struct el_pf_finding *out, size_t cap, size_t *n_out);

#ifdef __cplusplus
}
#endif
#endif
