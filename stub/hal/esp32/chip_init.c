/* SPDX-License-Identifier: MIT */
/* ESP32: route the flash pins to SPI1 and describe the stub's own memory. */
#include <stdint.h>

#include "chip.h"
#include "hal_chip.h"

#define REG(a) (*(volatile uint32_t *)(uintptr_t)(a))

extern uint32_t _text_start, _text_end, _data_start, _stack_top;

void stub_chip_init(void)
{
    /* Default flash pins (GPIO6-11) through the IO_MUX, function 1 (SPI), input enabled.
     * Chips with custom pins in eFuse (e.g. ESP32-D2WD) need the GPIO matrix, which the
     * ROM's SPI_ATTACH sets up: then the pins are left as they are. */
    if ((REG(EFUSE_SPI_PAD_REG) & 0xFFFFFu) != 0)
        return;
    static const uint16_t pads[6] = {0x60, 0x64, 0x68, 0x54, 0x58, 0x5C}; /* CLK Q D HD WP CS */
    for (int i = 0; i < 6; i++) {
        uint32_t a = IO_MUX_BASE + pads[i];
        REG(a) = (REG(a) & ~(7u << 12)) | (1u << 12) | (1u << 9);
    }
}

/* The ESP32 ROM has no GET_SECURITY_INFO and esptool's ESP32 stub answers "not
 * implemented" (FF): so does this one. */
int stub_chip_security_info(uint8_t *out, uint32_t cap)
{
    (void)out;
    (void)cap;
    return 0;
}

int stub_hal_mem_protected(uint32_t addr, uint32_t len)
{
    uint32_t end = addr + len;
    uint32_t ts = (uint32_t)(uintptr_t)&_text_start, te = (uint32_t)(uintptr_t)&_text_end;
    uint32_t ds = (uint32_t)(uintptr_t)&_data_start, de = (uint32_t)(uintptr_t)&_stack_top;
    return (addr < te && end > ts) || (addr < de && end > ds) || end < addr;
}
