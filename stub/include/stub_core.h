/* SPDX-License-Identifier: MIT */
#ifndef ESPLOAD_STUB_CORE_H
#define ESPLOAD_STUB_CORE_H
/*
 * The portable flasher-stub core. It speaks the stub protocol (2 status bytes, 16 KiB
 * blocks, ERASE_FLASH/ERASE_REGION/READ_FLASH/raw MD5/CHANGE_BAUDRATE, ...) and reaches
 * hardware only through struct stub_hal. It is event driven: the caller feeds received
 * UART bytes with stub_core_rx(); replies go out through hal->uart_tx. The same code runs
 * on the chips (stub/hal/<chip>/) and inside the virtual device (sim/), so every simulator test
 * of the stub path runs this logic.
 *
 * No allocation, no globals: all state lives in struct stub_core, which the caller owns.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct stub_hal {
    void *ctx;
    /* UART */
    void (*uart_tx)(void *ctx, const uint8_t *buf, size_t len);
    /* Called after the CHANGE_BAUDRATE reply has been sent. */
    void (*set_baud)(void *ctx, uint32_t new_baud, uint32_t old_baud);
    /* SPI flash: all return 0 on success, non-zero on failure. program: up to one 256-byte
     * page, never crossing a page boundary; NOR semantics (bits only clear). */
    int (*flash_read)(void *ctx, uint32_t addr, uint8_t *buf, uint32_t len);
    int (*flash_program)(void *ctx, uint32_t addr, const uint8_t *buf, uint32_t len);
    int (*flash_erase_sector)(void *ctx, uint32_t addr); /* 4 KiB */
    int (*flash_erase_block)(void *ctx, uint32_t addr);  /* 64 KiB, aligned */
    int (*flash_erase_chip)(void *ctx);
    /* Registers (READ_REG/WRITE_REG pass through). */
    uint32_t (*read_reg)(void *ctx, uint32_t addr);
    void (*write_reg)(void *ctx, uint32_t addr, uint32_t value);
    /* RAM (MEM_BEGIN/MEM_DATA/MEM_END through the stub); may be NULL. Returns 0 if ok. */
    int (*mem_write)(void *ctx, uint32_t addr, const uint8_t *buf, uint32_t len);
    /* MEM_END with an entry point, RUN_USER_CODE or FLASH_END(reboot): hand over control.
     * entry 0 = reboot into the flashed app. May be NULL. */
    void (*run)(void *ctx, uint32_t entry);
    /* Busy-wait. May be NULL. */
    void (*delay_us)(void *ctx, uint32_t us);
    /* --- optional members (NULL = absent); added after the first version --- */
    /* Called often during long work (flash erase/program loops, inflate, MD5) so a
     * polled UART can be drained: the HAL may call stub_core_rx() from inside it; such
     * frames are queued (two frame buffers) and handled when the current one is done. */
    void (*poll)(void *ctx);
    /* Clears flash write protection before writes/erases. 0 if ok (error 0xC5). */
    int (*flash_unlock)(void *ctx);
    /* GET_SECURITY_INFO payload into out (cap bytes). Returns its length, 0 if the chip
     * has none (the stub answers 0xFF "not implemented", as esptool's ESP32 stub does),
     * or <0 on failure. */
    int (*security_info)(void *ctx, uint8_t *out, uint32_t cap);
    /* Background erase (both or neither): flash_erase_start sends write-enable and a 4 KiB
     * sector erase (block64 = 0) or an aligned 64 KiB block erase (block64 = 1) and returns
     * without waiting; flash_busy returns non-zero while the flash reports write in
     * progress. Every other flash member then waits for the flash to be idle first. */
    int (*flash_erase_start)(void *ctx, uint32_t addr, int block64);
    int (*flash_busy)(void *ctx);
};

struct stub_core; /* defined in stub/core/stub_core_int.h; size below */

/* Bytes the caller must provide for one struct stub_core (buffers included). */
size_t stub_core_size(void);
/* Initialises core (memory of stub_core_size() bytes, 8-byte aligned). The HAL table is
 * copied. flash_size is the detected flash size in bytes (0 = unknown); SPI_SET_PARAMS
 * replaces it. */
struct stub_core *stub_core_init(void *mem, const struct stub_hal *hal, uint32_t flash_size);
/* Sends the OHAI greeting. */
void stub_core_greet(struct stub_core *core);
/* Feeds received bytes; replies are sent through the HAL before it returns. */
void stub_core_rx(struct stub_core *core, const uint8_t *buf, size_t len);
/* Background work, for the main loop to call whenever no frame is being handled: while a
 * flash write is active and the flash is idle, checks the next sector (or 64 KiB block) of
 * the announced region and starts its erase without waiting (erase-ahead). Needs
 * hal.flash_erase_start and hal.flash_busy. Returns non-zero if it did something (call
 * it again), 0 if there is nothing to do now. */
int stub_core_idle(struct stub_core *core);

/* Write/erase policies. STUB_POLICY_ESPLOAD (the default): blank sectors are not erased,
 * all-0xFF pages are not programmed, erase-ahead in stub_core_idle. STUB_POLICY_ESPTOOL:
 * behaves like esptool's legacy flasher stub; STUB_POLICY_ESP_FLASHER: like Espressif's
 * esp-flasher-stub (1.1 and later: the legacy erase and write pattern, but sectors read as
 * blank are not erased until the first one that is not). Both for the virtual device
 * running a stub it did not build (see docs/SIMULATOR.md). */
enum stub_policy { STUB_POLICY_ESPLOAD = 0, STUB_POLICY_ESPTOOL = 1, STUB_POLICY_ESP_FLASHER = 2 };
void stub_core_set_policy(struct stub_core *core, enum stub_policy policy);

#endif
