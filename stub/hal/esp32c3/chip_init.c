/* SPDX-License-Identifier: MIT */
/* ESP32-C3: the flash pins are dedicated (SPI function after reset); nothing to mux. */
#include <stdint.h>

#include "chip.h"
#include "hal_chip.h"

extern uint32_t _text_start, _text_end, _data_start, _stack_top;

#define REG(a) (*(volatile uint32_t *)(uintptr_t)(a))

/* BLOCK0 read registers (esptool targets/esp32c3.py):
 * RD_1: SPI_BOOT_CRYPT_CNT [20:18], KEY_PURPOSE_0 [27:24], KEY_PURPOSE_1 [31:28]
 * RD_2: KEY_PURPOSE_2..5 [15:0] (4 bits each), SECURE_BOOT_EN [20] */
#define EFUSE_BASE 0x60008800u
#define EFUSE_RD_1 (EFUSE_BASE + 0x34)
#define EFUSE_RD_2 (EFUSE_BASE + 0x38)

#define IRAM_TO_DRAM(a) ((a)-0x40380000u + 0x3FC80000u) /* same SRAM, data-bus alias */

void stub_chip_init(void) {}

/* GET_SECURITY_INFO as the ROM lays it out (20 bytes): u32 flags, u8 flash_crypt_cnt,
 * u8 key_purposes[7], u32 chip_id, u32 api_version. Filled from eFuse: flags bit 0 =
 * SECURE_BOOT_EN; SECURE_DOWNLOAD_ENABLE (bit 2) is necessarily 0 since the ROM let this
 * stub be loaded; the other flag bits and api_version are reported as 0. chip_id 5. */
int stub_chip_security_info(uint8_t *out, uint32_t cap)
{
    if (cap < 20)
        return -1;
    uint32_t r1 = REG(EFUSE_RD_1), r2 = REG(EFUSE_RD_2);
    uint32_t flags = (r2 >> 20) & 1u;
    for (int i = 0; i < 20; i++)
        out[i] = 0;
    for (int i = 0; i < 4; i++)
        out[i] = (uint8_t)(flags >> (8 * i));
    out[4] = (uint8_t)((r1 >> 18) & 7u);
    out[5] = (uint8_t)((r1 >> 24) & 0xFu);
    out[6] = (uint8_t)((r1 >> 28) & 0xFu);
    for (int k = 0; k < 4; k++)
        out[7 + k] = (uint8_t)((r2 >> (4 * k)) & 0xFu);
    out[12] = IMAGE_CHIP_ID;
    return 20;
}

int stub_hal_mem_protected(uint32_t addr, uint32_t len)
{
    uint32_t end = addr + len;
    uint32_t ts = (uint32_t)(uintptr_t)&_text_start, te = (uint32_t)(uintptr_t)&_text_end;
    uint32_t ds = (uint32_t)(uintptr_t)&_data_start, de = (uint32_t)(uintptr_t)&_stack_top;
    return (addr < te && end > ts) || (addr < IRAM_TO_DRAM(te) && end > IRAM_TO_DRAM(ts)) ||
           (addr < de && end > ds) || end < addr;
}
