/* SPDX-License-Identifier: MIT */
#ifndef ESPLOAD_CHIP_H
#define ESPLOAD_CHIP_H
/*
 * Constant facts about each supported chip, shared by the client and the virtual device
 * so each chip is described once. The wire format is pinned separately by golden tests.
 * Facts from esptool targets/<chip>.py (magic values, image chip id, bootloader offset,
 * eFuse and SPI register addresses).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum el_chip_id {
    EL_CHIP_UNKNOWN = 0,
    EL_CHIP_ESP32,
    EL_CHIP_ESP32S2,
    EL_CHIP_ESP32S3,
    EL_CHIP_ESP32C3,
    EL_CHIP_ESP32C6,
    EL_CHIP_ESP32H2,
    EL_CHIP_ESP32C2,
    EL_CHIP_COUNT
};

struct el_chip {
    enum el_chip_id id;
    const char *name;    /* "esp32s3": the --chip spelling */
    const char *display; /* "ESP32-S3" */
    uint32_t magic[4];   /* values of READ_REG 0x40001000; 0-terminated unless magic0 */
    size_t n_magic;
    uint16_t image_chip_id; /* chip id in the image extended header */
    uint32_t bootloader_offset;
    uint8_t rom_status_len;    /* status bytes at the end of ROM replies (4 on all ESP32x) */
    bool has_security_info;    /* ROM implements GET_SECURITY_INFO (0x14) */
    uint8_t security_info_len; /* 20, or 12 on the ESP32-S2 */
    uint32_t efuse_base;       /* eFuse read-register block base */
    uint32_t mac_efuse_reg;    /* register holding the low MAC word (0 = chip specific) */
    uint32_t spi_base;         /* SPI1 (flash) controller base */
    uint8_t spi_usr_offs, spi_usr1_offs, spi_usr2_offs, spi_mosi_dlen_offs, spi_miso_dlen_offs,
        spi_w0_offs;
    uint32_t uart_clkdiv_reg; /* UART0 clock divider register */
    bool riscv;               /* RISC-V core (else Xtensa) */
};

/* The registry; never NULL entries. */
const struct el_chip *el_chip_by_id(enum el_chip_id id);
/* By --chip name ("esp32", "esp32-s3" and "ESP32S3" accepted); NULL if unknown. */
const struct el_chip *el_chip_by_name(const char *name);
/* By magic register value; NULL if unknown. */
const struct el_chip *el_chip_by_magic(uint32_t magic);
/* By image / GET_SECURITY_INFO chip id; NULL if unknown. */
const struct el_chip *el_chip_by_image_id(uint16_t chip_id);
/* Comma-separated list of names for messages ("esp32, esp32s2, ..."). */
const char *el_chip_names(void);

#ifdef __cplusplus
}
#endif
#endif
