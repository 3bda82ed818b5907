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

/* Header code of a chip's flash frequency byte back to esptool's name ("80m"; the first
 * name in esptool's table for that code), NULL if the chip has none for it. */
const char *el_image_flash_freq_name(enum el_chip_id chip, int freq_code);
/* "QIO", "QOUT", "DIO", "DOUT" for 0..3, NULL otherwise. */
const char *el_image_flash_mode_name(int mode_code);
/* "1MB".."128MB" for size codes 0..7 (header high nibble), NULL otherwise. */
const char *el_image_flash_size_name(int size_code);
/* Parses "256KB", "1MB", "4M", "0x400000", "4194304" into bytes (pad/fill sizes). */
int el_image_parse_size(const char *s, uint32_t *bytes_out);

/* --- parsed application / bootloader images (bounded: never allocates) --- */
#define EL_IMAGE_MAGIC        0xE9
#define EL_IMAGE_MAX_SEGMENTS 255 /* the header byte's range; > 16 is invalid but described */
#define EL_IMAGE_MAX_MEMTYPES 4

struct el_image_segment {
    uint32_t addr;      /* load address */
    uint32_t len;       /* data length */
    uint32_t file_offs; /* offset of the 8-byte segment header in the image */
};

struct el_app_desc { /* esp_app_desc_t (ESP-IDF), strings NUL-terminated copies */
    uint32_t secure_version;
    char version[33], project_name[33], time[17], date[17], idf_ver[33];
    uint8_t app_elf_sha256[32];
    uint16_t min_efuse_blk_rev_full, max_efuse_blk_rev_full;
    uint8_t mmu_page_size; /* log2, 0 = not set */
};
struct el_bootloader_desc { /* esp_bootloader_desc_t */
    uint32_t version;
    char idf_ver[33], date_time[25];
};

struct el_image {
    enum el_chip_id chip; /* chip the image was parsed for (memory map, names) */
    uint8_t seg_count_hdr, flash_mode, flash_size_freq;
    uint32_t entry;
    /* extended header */
    uint8_t wp_pin, clk_drv, q_drv, d_drv, cs_drv, hd_drv, wp_drv;
    uint16_t chip_id;
    uint8_t min_rev;
    uint16_t min_rev_full, max_rev_full;
    bool reserved_nonzero;
    uint8_t hash_appended; /* byte 0x17 */
    size_t n_segments;
    struct el_image_segment seg[EL_IMAGE_MAX_SEGMENTS];
    uint8_t checksum, checksum_calc;
    size_t data_length; /* bytes from the start through the checksum byte */
    bool has_digest, digest_valid, digest_truncated;
    uint8_t digest_stored[32], digest_calc[32];
    size_t image_len; /* data_length (+ 32 with a digest) */
    bool has_app_desc;
    struct el_app_desc app;
    bool has_bootloader_desc;
    struct el_bootloader_desc boot;
};

/* Parses an image at the start of data (bytes after it, e.g. in a merged file, are
 * ignored). chip selects the memory map (EL_CHIP_UNKNOWN: take it from the extended
 * header, ESP32 if unknown). Returns EL_OK or EL_E_FORMAT with *why set (esptool wording
 * where it has one). Never reads past len. */
int el_image_parse(const uint8_t *data, size_t len, enum el_chip_id chip, struct el_image *out,
                   char *why, size_t whylen);
/* Memory region names of an address for a chip, in esptool's MEMORY_MAP order; returns
 * how many (<= cap). */
size_t el_image_mem_types(enum el_chip_id chip, uint32_t addr, const char **names, size_t cap);
/* The same with esptool v4.8.1's maps (they differ for the ESP32-C6 and ESP32-H2). */
size_t el_image_mem_types_v4(enum el_chip_id chip, uint32_t addr, const char **names, size_t cap);
/* Parses an esp_app_desc_t at the start of a segment's data; false if too short or no
 * 0xABCD5432 magic. */
bool el_image_app_desc(const uint8_t *seg_data, size_t len, struct el_app_desc *out);
/* True if addr is in the chip's flash-mapped IROM or DROM window. */
bool el_image_is_flash_addr(enum el_chip_id chip, uint32_t addr);
/* Chip named by an image chip id, EL_CHIP_UNKNOWN if none we model. */
enum el_chip_id el_image_chip_from_id(uint16_t image_chip_id);
/* ESP32-family UF2 family id of a chip (0 if none). */
uint32_t el_image_uf2_family(enum el_chip_id chip);

/* Kind of an image, judged from its contents. */
enum el_image_kind {
    EL_IMG_KIND_NONE = 0,   /* not an image */
    EL_IMG_KIND_BOOTLOADER, /* RAM-only segments, or a bootloader descriptor */
    EL_IMG_KIND_APP,        /* flash-mapped segments or an app descriptor */
};
enum el_image_kind el_image_kind_of(const struct el_image *img);

/* --- partition tables (ESP-IDF format: 32-byte entries, 0xAA50 magic, MD5 row) --- */
#define EL_PT_MAX_ENTRIES    95 /* 0xC00 bytes / 32, minus the MD5 row */
#define EL_PT_DEFAULT_OFFSET 0x8000
#define EL_PT_MAX_LEN        0xC00
struct el_partition {
    char name[17];
    uint8_t type, subtype;
    uint32_t offset, size;
    uint32_t flags; /* bit 0 encrypted, bit 1 readonly */
};
struct el_parttable {
    size_t n;
    struct el_partition p[EL_PT_MAX_ENTRIES];
    bool has_md5, md5_valid;
};
/* Parses a binary table (up to 0xC00 bytes are looked at). EL_E_FORMAT when the first
 * entry is not a partition (no 0xAA50 magic) or the MD5 row does not match. */
int el_parttable_parse_bin(const uint8_t *data, size_t len, struct el_parttable *out, char *why,
                           size_t whylen);
/* Parses gen_esp32part.py CSV text. flash_size 0 = do not check. offset is the table
 * offset (auto placement starts after it + 0x1000). Returns EL_OK or EL_E_FORMAT. */
int el_parttable_parse_csv(const char *text, size_t len, uint32_t table_offset,
                           struct el_parttable *out, char *why, size_t whylen);
/* Checks overlaps, alignment, names and (flash_size != 0) the end of flash. */
int el_parttable_verify(const struct el_parttable *pt, uint32_t table_offset, uint32_t flash_size,
                        char *why, size_t whylen);
/* Writes the binary form (0xC00 bytes, 0xFF padded, with MD5 row unless no_md5). */
int el_parttable_to_bin(const struct el_parttable *pt, bool no_md5, uint8_t *out, size_t out_cap,
                        size_t *len_out);
/* Writes CSV text as gen_esp32part.py prints it; returns bytes needed (snprintf style). */
size_t el_parttable_to_csv(const struct el_parttable *pt, char *out, size_t cap);
/* Type / subtype names as gen_esp32part.py uses them ("app", "factory", "ota_0", ...);
 * NULL when unnamed. */
const char *el_parttable_type_name(uint8_t type);
const char *el_parttable_subtype_name(uint8_t type, uint8_t subtype);

/* --- merged full-flash images --- */
enum el_part_kind {
    EL_PART_BOOTLOADER = 1,
    EL_PART_PARTTABLE,
    EL_PART_APP,
    EL_PART_DATA, /* any other non-empty partition */
};
struct el_flash_part {
    enum el_part_kind kind;
    uint32_t offset; /* flash address */
    uint32_t len;    /* bytes of the part present in the file */
    int pt_index;    /* index into the table, -1 for bootloader / table */
    bool valid;      /* the part parses (image / table) */
};
#define EL_FLASH_MAX_PARTS 40
struct el_flash_layout {
    uint32_t base; /* flash address of file byte 0 */
    size_t n;
    struct el_flash_part part[EL_FLASH_MAX_PARTS];
    bool has_table;
    struct el_parttable table;
};
/* Describes a file that holds several parts (a merged image, or a read_flash dump), the
 * file's byte 0 being at flash address base. Looks for the bootloader at the chip's
 * offset, the table at table_offset and app images at the table's app partitions.
 * Returns EL_OK when at least a table or a bootloader was found, else EL_E_FORMAT. */
int el_image_describe_flash(const uint8_t *data, size_t len, uint32_t base, enum el_chip_id chip,
                            uint32_t table_offset, struct el_flash_layout *out);

/* --- PSRAM (external RAM) evidence in an application image --- */
struct el_psram_evidence {
    int strength;      /* 0 none, 1 weak, 2 strong */
    char what[160];    /* first strong (else weak) evidence, for messages */
    uint32_t ext_addr; /* a segment load address in the external-RAM window, or 0 */
    unsigned n_strong; /* number of strong markers */
};
/* Looks for signs that an image was built with external RAM support (CONFIG_SPIRAM):
 * segments loaded into the chip's external-RAM window, strings ESP-IDF links in only with
 * SPIRAM. data/len is the application image (not the file name). */
void el_image_psram_evidence(enum el_chip_id chip, const uint8_t *data, size_t len,
                             struct el_psram_evidence *out);

/* --- elf2image --- */
struct el_elf2image_opts {
    enum el_chip_id chip;
    int flash_mode; /* code; default qio (0) */
    int flash_freq; /* code; -1 = chip default (code 0) */
    int flash_size; /* size code (0 = 1MB) */
    uint8_t min_rev;
    uint16_t min_rev_full, max_rev_full; /* default 0 / 65535 */
    bool append_digest;                  /* default true */
    bool use_segments;
    bool has_elf_sha256_offset;
    uint32_t elf_sha256_offset;
    uint32_t pad_to_size;   /* 0 = none */
    uint32_t mmu_page_size; /* 0 = chip default / app descriptor */
    int secure_pad;         /* 0, 1 (ESP32) or 2 */
    bool ram_only_header;
    bool v4_merge; /* esptool v4 rule: also require equal EXEC flags to merge sections */
};
void el_elf2image_opts_init(struct el_elf2image_opts *o, enum el_chip_id chip);
/* Notes elf2image emits (for the CLI to print esptool's lines). */
struct el_elf2image_info {
    unsigned merged;           /* sections merged */
    uint32_t mmu_page_auto;    /* != 0: MMU page size chosen from the app descriptor address */
    bool mmu_page_warn;        /* app descriptor not aligned to any page size */
    bool mmu_page_unsupported; /* --flash-mmu-page-size given for a chip without the option */
    bool elf_read;             /* the ELF was read (an error came later, from the layout) */
};
/* Converts an ELF (in memory) into an image. *out is malloc'd (caller frees). Inputs are
 * bounded: sizes and offsets are checked against elf_len. */
int el_elf2image(const uint8_t *elf, size_t elf_len, const struct el_elf2image_opts *o,
                 uint8_t **out, size_t *out_len, struct el_elf2image_info *info, char *why,
                 size_t whylen);

/* --- merge_bin --- */
struct el_merge_input {
    uint32_t addr;
    const uint8_t *data;
    size_t len;
    const char *name;
};
enum el_merge_format { EL_MERGE_RAW = 0, EL_MERGE_HEX, EL_MERGE_UF2 };
struct el_merge_opts {
    enum el_chip_id chip;
    enum el_merge_format format;
    uint32_t target_offset;
    uint32_t pad_to_size;                   /* 0 = none; pad the output up to this flash size */
    int flash_mode, flash_freq, flash_size; /* EL_IMG_KEEP to keep */
    uint32_t chunk_size;                    /* UF2 data bytes per block, 0 = 476 */
    bool md5_disable;                       /* UF2: no MD5 extension tag */
};
/* Per-input note from header patching, for the CLI's lines. */
struct el_merge_note {
    size_t input;
    int kind; /* 1 params set (value), 2 sha updated, 3 not an image, 4 invalid */
    uint16_t value;
};
/* Merges the inputs (sorted by address by the caller or not: they are sorted here; overlaps
 * refused). *out is malloc'd. notes (may be NULL) get up to ncap entries. */
int el_merge(const struct el_merge_input *in, size_t n, const struct el_merge_opts *o,
             uint8_t **out, size_t *out_len, struct el_merge_note *notes, size_t ncap,
             size_t *nnotes, char *why, size_t whylen);

/* --- Intel HEX input --- */
/* Decodes Intel HEX text into the bytes from the lowest address on (gaps 0xFF, as esptool's
 * intelhex conversion gives them); *start is that address. *out is malloc'd. The span is
 * capped at 64 MB. EL_E_FORMAT with *why for malformed records or bad checksums. */
int el_ihex_decode(const char *text, size_t len, uint8_t **out, size_t *out_len, uint32_t *start,
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
    char msg[512]; /* one line: what is wrong and what to do */
};
/* Runs every check. Fills up to cap findings; *n_out is the number found (may exceed cap).
 * Returns EL_OK, or EL_E_REFUSED if any finding has level EL_PF_REFUSE. */
int el_preflight_check(const struct el_preflight_target *t, const struct el_preflight_file *f,
                       size_t n_files, struct el_pf_finding *out, size_t cap, size_t *n_out);

#ifdef __cplusplus
}
#endif
#endif
