/* SPDX-License-Identifier: MIT */
#ifndef STUB_HAL_CHIP_H
#define STUB_HAL_CHIP_H
/* Chip-specific pieces the shared hardware layer calls (stub/hal/<chip>/chip_init.c). */
#include <stdint.h>

/* Pin mux, clocks, interrupts: whatever the chip needs before flash access. */
void stub_chip_init(void);
/* GET_SECURITY_INFO payload (see stub_hal.security_info): length, or 0 if the chip's
 * stub does not implement it. */
int stub_chip_security_info(uint8_t *out, uint32_t cap);
/* Non-zero if [addr, addr+len) overlaps the running stub (MEM_DATA must not touch it). */
int stub_hal_mem_protected(uint32_t addr, uint32_t len);

#endif
