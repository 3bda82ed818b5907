/* SPDX-License-Identifier: MIT */
/* Per-chip image facts from esptool v5.3.1 targets/<chip>.py (MEMORY_MAP, IROM_MAP_*,
 * DROM_MAP_*, FLASH_FREQUENCY, UF2_FAMILY_ID) and bin_image.py (MMU_PAGE_SIZE_CONF). */
#include <stdio.h>
#include <string.h>

#include <sha2.h>

#include "espload/err.h"
#include "espload/image.h"
#include "image_int.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct eli_mem_range map_esp32[] = {
    {0x00000000, 0x00010000, "PADDING"},
    {0x3F400000, 0x3F800000, "DROM"},
    {0x3F800000, 0x3FC00000, "EXTRAM_DATA"},
    {0x3FF80000, 0x3FF82000, "RTC_DRAM"},
    {0x3FF90000, 0x40000000, "BYTE_ACCESSIBLE"},
    {0x3FFAE000, 0x40000000, "DRAM"},
    {0x3FFE0000, 0x3FFFFFFC, "DIRAM_DRAM"},
    {0x40000000, 0x40070000, "IROM"},
    {0x40070000, 0x40078000, "CACHE_PRO"},
    {0x40078000, 0x40080000, "CACHE_APP"},
    {0x40080000, 0x400A0000, "IRAM"},
    {0x400A0000, 0x400BFFFC, "DIRAM_IRAM"},
    {0x400C0000, 0x400C2000, "RTC_IRAM"},
    {0x400D0000, 0x40400000, "IROM"},
    {0x50000000, 0x50002000, "RTC_DATA"},
};
static const struct eli_mem_range map_esp32s2[] = {
    {0x00000000, 0x00010000, "PADDING"},
    {0x3F000000, 0x3FF80000, "DROM"},
    {0x3F500000, 0x3FF80000, "EXTRAM_DATA"},
    {0x3FF9E000, 0x3FFA0000, "RTC_DRAM"},
    {0x3FF9E000, 0x40000000, "BYTE_ACCESSIBLE"},
    {0x3FF9E000, 0x40072000, "MEM_INTERNAL"},
    {0x3FFB0000, 0x40000000, "DRAM"},
    {0x40000000, 0x4001A100, "IROM_MASK"},
    {0x40020000, 0x40070000, "IRAM"},
    {0x40070000, 0x40072000, "RTC_IRAM"},
    {0x40080000, 0x40800000, "IROM"},
    {0x50000000, 0x50002000, "RTC_DATA"},
};
static const struct eli_mem_range map_esp32s3[] = {
    {0x00000000, 0x00010000, "PADDING"},
    {0x3C000000, 0x3D000000, "DROM"},
    {0x3D000000, 0x3E000000, "EXTRAM_DATA"},
    {0x600FE000, 0x60100000, "RTC_DRAM"},
    {0x3FC88000, 0x3FD00000, "BYTE_ACCESSIBLE"},
    {0x3FC88000, 0x403E2000, "MEM_INTERNAL"},
    {0x3FC88000, 0x3FD00000, "DRAM"},
    {0x40000000, 0x4001A100, "IROM_MASK"},
    {0x40370000, 0x403E0000, "IRAM"},
    {0x600FE000, 0x60100000, "RTC_IRAM"},
    {0x42000000, 0x42800000, "IROM"},
    {0x50000000, 0x50002000, "RTC_DATA"},
};
static const struct eli_mem_range map_esp32c3[] = {
    {0x00000000, 0x00010000, "PADDING"},       {0x3C000000, 0x3C800000, "DROM"},
    {0x3FC80000, 0x3FCE0000, "DRAM"},          {0x3FC88000, 0x3FD00000, "BYTE_ACCESSIBLE"},
    {0x3FF00000, 0x3FF20000, "DROM_MASK"},     {0x40000000, 0x40060000, "IROM_MASK"},
    {0x42000000, 0x42800000, "IROM"},          {0x4037C000, 0x403E0000, "IRAM"},
    {0x50000000, 0x50002000, "RTC_IRAM"},      {0x50000000, 0x50002000, "RTC_DRAM"},
    {0x600FE000, 0x60100000, "MEM_INTERNAL2"},
};
/* ESP32-C6 and ESP32-H2 share this map (v5.3.1; v4.8.1 had DROM 0x42800000 and IROM
 * ending at 0x42800000). */
static const struct eli_mem_range map_esp32c6[] = {
    {0x00000000, 0x00010000, "PADDING"},       {0x42000000, 0x43000000, "DROM"},
    {0x40800000, 0x40880000, "DRAM"},          {0x40800000, 0x40880000, "BYTE_ACCESSIBLE"},
    {0x4004AC00, 0x40050000, "DROM_MASK"},     {0x40000000, 0x4004AC00, "IROM_MASK"},
    {0x42000000, 0x43000000, "IROM"},          {0x40800000, 0x40880000, "IRAM"},
    {0x50000000, 0x50004000, "RTC_IRAM"},      {0x50000000, 0x50004000, "RTC_DRAM"},
    {0x600FE000, 0x60100000, "MEM_INTERNAL2"},
};
/* esptool v4.8.1's ESP32-C6 / ESP32-H2 map (image_info in v4 formats uses it) */
static const struct eli_mem_range map_esp32c6_v4[] = {
    {0x00000000, 0x00010000, "PADDING"},       {0x42800000, 0x43000000, "DROM"},
    {0x40800000, 0x40880000, "DRAM"},          {0x40800000, 0x40880000, "BYTE_ACCESSIBLE"},
    {0x4004AC00, 0x40050000, "DROM_MASK"},     {0x40000000, 0x4004AC00, "IROM_MASK"},
    {0x42000000, 0x42800000, "IROM"},          {0x40800000, 0x40880000, "IRAM"},
    {0x50000000, 0x50004000, "RTC_IRAM"},      {0x50000000, 0x50004000, "RTC_DRAM"},
    {0x600FE000, 0x60100000, "MEM_INTERNAL2"},
};
static const struct eli_mem_range map_esp32c2[] = {
    {0x00000000, 0x00010000, "PADDING"},   {0x3C000000, 0x3C400000, "DROM"},
    {0x3FCA0000, 0x3FCE0000, "DRAM"},      {0x3FC88000, 0x3FD00000, "BYTE_ACCESSIBLE"},
    {0x3FF00000, 0x3FF50000, "DROM_MASK"}, {0x40000000, 0x40090000, "IROM_MASK"},
    {0x42000000, 0x42400000, "IROM"},      {0x4037C000, 0x403C0000, "IRAM"},
};

static const struct eli_freq freq_esp32[] = {
    {"80m", 0xF}, {"40m", 0x0}, {"26m", 0x1}, {"20m", 0x2}};
/* ESP32-C6: "80m" is encoded as 0 like "40m" (esptool: ROM's mspi divider workaround). */
static const struct eli_freq freq_esp32c6[] = {{"80m", 0x0}, {"40m", 0x0}, {"20m", 0x2}};
static const struct eli_freq freq_esp32h2[] = {
    {"48m", 0xF}, {"24m", 0x0}, {"16m", 0x1}, {"12m", 0x2}};
static const struct eli_freq freq_esp32c2[] = {
    {"60m", 0xF}, {"30m", 0x0}, {"20m", 0x1}, {"15m", 0x2}};

static const uint32_t mmu_c2[] = {16384, 32768, 65536};
static const uint32_t mmu_c6[] = {8192, 16384, 32768, 65536};

static const struct eli_img_chip img_chips[] = {
    {EL_CHIP_ESP32, map_esp32, N(map_esp32), 0x400D0000, 0x40400000, 0x3F400000, 0x3F800000,
     freq_esp32, N(freq_esp32), 0x1C5F21B0, NULL, 0, 0x3F800000, 0x3FC00000},
    {EL_CHIP_ESP32S2, map_esp32s2, N(map_esp32s2), 0x40080000, 0x40B80000, 0x3F000000, 0x3F3F0000,
     freq_esp32, N(freq_esp32), 0xBFDD4EEE, NULL, 0, 0x3F500000, 0x3FF80000},
    {EL_CHIP_ESP32S3, map_esp32s3, N(map_esp32s3), 0x42000000, 0x44000000, 0x3C000000, 0x3E000000,
     freq_esp32, N(freq_esp32), 0xC47E5767, NULL, 0, 0x3D000000, 0x3E000000},
    {EL_CHIP_ESP32C3, map_esp32c3, N(map_esp32c3), 0x42000000, 0x42800000, 0x3C000000, 0x3C800000,
     freq_esp32, N(freq_esp32), 0xD42BA06C, NULL, 0, 0, 0},
    {EL_CHIP_ESP32C6, map_esp32c6, N(map_esp32c6), 0x42000000, 0x42800000, 0x42800000, 0x43000000,
     freq_esp32c6, N(freq_esp32c6), 0x540DDF62, mmu_c6, N(mmu_c6), 0, 0},
    {EL_CHIP_ESP32H2, map_esp32c6, N(map_esp32c6), 0x42000000, 0x42800000, 0x42800000, 0x43000000,
     freq_esp32h2, N(freq_esp32h2), 0x332726F6, mmu_c6, N(mmu_c6), 0, 0},
    {EL_CHIP_ESP32C2, map_esp32c2, N(map_esp32c2), 0x42000000, 0x42400000, 0x3C000000, 0x3C400000,
     freq_esp32c2, N(freq_esp32c2), 0x2B88D29C, mmu_c2, N(mmu_c2), 0, 0},
};

const struct eli_img_chip *eli_img_chip(enum el_chip_id id)
{
    for (size_t i = 0; i < N(img_chips); i++) {
        if (img_chips[i].id == id)
            return &img_chips[i];
    }
    return &img_chips[0];
}

int eli_img_fail(char *why, size_t whylen, const char *fmt, ...)
{
    if (why && whylen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, whylen, fmt, ap);
        va_end(ap);
    }
    return EL_E_FORMAT;
}

void eli_sha256(const uint8_t *data, size_t len, uint8_t out[32])
{
    SHA2_CTX c;
    SHA256Init(&c);
    SHA256Update(&c, data, len);
    SHA256Final(out, &c);
}

const uint8_t *eli_memfind(const uint8_t *hay, size_t hlen, const char *needle)
{
    size_t nlen = strlen(needle);
    if (nlen == 0 || hlen < nlen)
        return NULL;
    return memmem(hay, hlen, needle, nlen);
}

static size_t types_in(const struct eli_mem_range *m, size_t nm, uint32_t addr, const char **names,
                       size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < nm && n < cap; i++) {
        if (m[i].start <= addr && addr < m[i].end)
            names[n++] = m[i].name;
    }
    return n;
}

size_t el_image_mem_types(enum el_chip_id chip, uint32_t addr, const char **names, size_t cap)
{
    const struct eli_img_chip *c = eli_img_chip(chip);
    return types_in(c->map, c->n_map, addr, names, cap);
}

size_t el_image_mem_types_v4(enum el_chip_id chip, uint32_t addr, const char **names, size_t cap)
{
    if (chip == EL_CHIP_ESP32C6 || chip == EL_CHIP_ESP32H2)
        return types_in(map_esp32c6_v4, N(map_esp32c6_v4), addr, names, cap);
    return el_image_mem_types(chip, addr, names, cap);
}

bool el_image_is_flash_addr(enum el_chip_id chip, uint32_t addr)
{
    const struct eli_img_chip *c = eli_img_chip(chip);
    return (c->irom_start <= addr && addr < c->irom_end) ||
           (c->drom_start <= addr && addr < c->drom_end);
}

enum el_chip_id el_image_chip_from_id(uint16_t image_chip_id)
{
    const struct el_chip *c = el_chip_by_image_id(image_chip_id);
    return c ? c->id : EL_CHIP_UNKNOWN;
}

uint32_t el_image_uf2_family(enum el_chip_id chip)
{
    if (chip == EL_CHIP_UNKNOWN)
        return 0;
    return eli_img_chip(chip)->uf2_family;
}
