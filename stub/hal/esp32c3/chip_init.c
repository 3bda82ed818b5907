/* SPDX-License-Identifier: MIT */
/* ESP32-C3: the flash pins are dedicated (SPI function after reset); nothing to mux. */
#include <stdint.h>

#include "chip.h"
#include "hal_chip.h"

extern uint32_t _text_start, _text_end, _data_start, _stack_top;

#define IRAM_TO_DRAM(a) ((a)-0x40380000u + 0x3FC80000u) /* same SRAM, data-bus alias */

void stub_chip_init(void) {}

int stub_hal_mem_protected(uint32_t addr, uint32_t len)
{
    uint32_t end = addr + len;
    uint32_t ts = (uint32_t)(uintptr_t)&_text_start, te = (uint32_t)(uintptr_t)&_text_end;
    uint32_t ds = (uint32_t)(uintptr_t)&_data_start, de = (uint32_t)(uintptr_t)&_stack_top;
    return (addr < te && end > ts) || (addr < IRAM_TO_DRAM(te) && end > IRAM_TO_DRAM(ts)) ||
           (addr < de && end > ds) || end < addr;
}
