/* SPDX-License-Identifier: MIT */
/* A small program laid out like an ESP-IDF application (app descriptor, flash-mapped rodata
 * and code, IRAM code, DRAM data, bss), used to test elf2image. It is never run. */
#include <stdint.h>

struct app_desc { /* esp_app_desc_t layout */
    uint32_t magic, secure_version, reserv1[2];
    char version[32], project_name[32], time[16], date[16], idf_ver[32];
    uint8_t app_elf_sha256[32];
    uint16_t min_efuse_blk_rev_full, max_efuse_blk_rev_full;
    uint8_t mmu_page_size, reserv3[3];
    uint32_t reserv2[18];
};

__attribute__((section(".flash.appdesc"), used)) const struct app_desc app_desc = {
    .magic = 0xABCD5432,
    .secure_version = 0,
    .version = "1.0.0",
    .project_name = "espload-test",
    .time = "12:00:00",
    .date = "Jan  1 2025",
    .idf_ver = "v5.3-test",
    .max_efuse_blk_rev_full = 99,
};

__attribute__((section(".flash.rodata"), used)) const char greeting[] =
    "hello from flash rodata; this string is long enough to span a few words";
__attribute__((section(".flash.rodata"), used))
const uint32_t table[64] = {1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377, 610, 987, 1597};

__attribute__((section(".dram0.data"), used)) volatile uint32_t counter = 0x12345678;
__attribute__((section(".dram0.data"), used)) volatile char dram_buf[100] = "dram";
__attribute__((section(".dram0.bss"), used)) volatile uint32_t bss_words[256];

__attribute__((section(".iram0.text"), used, noinline)) uint32_t iram_add(uint32_t a, uint32_t b)
{
    counter += a;
    return a * 3 + b + counter;
}

__attribute__((section(".flash.text"), used, noinline)) uint32_t flash_work(uint32_t n)
{
    uint32_t s = 0;
    for (uint32_t i = 0; i < n; i++) {
        s += table[i & 63] ^ (uint32_t)greeting[i & 63];
        bss_words[i & 255] = s;
    }
    return iram_add(s, n);
}

__attribute__((section(".iram0.text"), used)) void app_entry(void)
{
    for (;;)
        dram_buf[0] = (char)flash_work(counter);
}

#ifdef WITH_SPIRAM
/* Strings ESP-IDF links in only when external RAM support (CONFIG_SPIRAM) is enabled. */
__attribute__((section(".flash.rodata"), used)) const char spiram_msgs[] =
    "E (%u) cpu_start: Failed to init external RAM!\0"
    "SPI SRAM memory test OK\0spiram";
#endif
