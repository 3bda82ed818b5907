/* SPDX-License-Identifier: MIT */
#include "espload/chip.h"

#include <ctype.h>
#include <string.h>

/* Register addresses from esptool targets/<chip>.py (EFUSE_BASE, MAC_EFUSE_REG, SPI_REG_BASE,
 * SPI_*_OFFS, UART_CLKDIV_REG). */
static const struct el_chip chips[] = {
    {
        .id = EL_CHIP_ESP32,
        .name = "esp32",
        .display = "ESP32",
        .magic = {0x00F01D83},
        .n_magic = 1,
        .image_chip_id = 0,
        .bootloader_offset = 0x1000,
        .rom_status_len = 4,
        .has_security_info = false,
        .security_info_len = 0,
        .efuse_base = 0x3FF5A000,
        .mac_efuse_reg = 0x3FF5A004,
        .spi_base = 0x3FF42000,
        .spi_usr_offs = 0x1C,
        .spi_usr1_offs = 0x20,
        .spi_usr2_offs = 0x24,
        .spi_mosi_dlen_offs = 0x28,
        .spi_miso_dlen_offs = 0x2C,
        .spi_w0_offs = 0x80,
        .uart_clkdiv_reg = 0x3FF40014,
        .riscv = false,
    },
    {
        .id = EL_CHIP_ESP32S2,
        .name = "esp32s2",
        .display = "ESP32-S2",
        .magic = {0x000007C6},
        .n_magic = 1,
        .image_chip_id = 2,
        .bootloader_offset = 0x1000,
        .rom_status_len = 4,
        .has_security_info = true,
        .security_info_len = 12,
        .efuse_base = 0x3F41A000,
        .mac_efuse_reg = 0x3F41A044,
        .spi_base = 0x3F402000,
        .spi_usr_offs = 0x18,
        .spi_usr1_offs = 0x1C,
        .spi_usr2_offs = 0x20,
        .spi_mosi_dlen_offs = 0x24,
        .spi_miso_dlen_offs = 0x28,
        .spi_w0_offs = 0x58,
        .uart_clkdiv_reg = 0x3F400014,
        .riscv = false,
    },
    {
        .id = EL_CHIP_ESP32S3,
        .name = "esp32s3",
        .display = "ESP32-S3",
        .magic = {0x00000009},
        .n_magic = 1,
        .image_chip_id = 9,
        .bootloader_offset = 0x0,
        .rom_status_len = 4,
        .has_security_info = true,
        .security_info_len = 20,
        .efuse_base = 0x60007000,
        .mac_efuse_reg = 0x60007044,
        .spi_base = 0x60002000,
        .spi_usr_offs = 0x18,
        .spi_usr1_offs = 0x1C,
        .spi_usr2_offs = 0x20,
        .spi_mosi_dlen_offs = 0x24,
        .spi_miso_dlen_offs = 0x28,
        .spi_w0_offs = 0x58,
        .uart_clkdiv_reg = 0x60000014,
        .riscv = false,
    },
    {
        .id = EL_CHIP_ESP32C3,
        .name = "esp32c3",
        .display = "ESP32-C3",
        .magic = {0x6921506F, 0x1B31506F, 0x4881606F, 0x4361606F},
        .n_magic = 4,
        .image_chip_id = 5,
        .bootloader_offset = 0x0,
        .rom_status_len = 4,
        .has_security_info = true,
        .security_info_len = 20,
        .efuse_base = 0x60008800,
        .mac_efuse_reg = 0x60008844,
        .spi_base = 0x60002000,
        .spi_usr_offs = 0x18,
        .spi_usr1_offs = 0x1C,
        .spi_usr2_offs = 0x20,
        .spi_mosi_dlen_offs = 0x24,
        .spi_miso_dlen_offs = 0x28,
        .spi_w0_offs = 0x58,
        .uart_clkdiv_reg = 0x60000014,
        .riscv = true,
    },
    {
        .id = EL_CHIP_ESP32C6,
        .name = "esp32c6",
        .display = "ESP32-C6",
        .magic = {0x2CE0806F},
        .n_magic = 1,
        .image_chip_id = 13,
        .bootloader_offset = 0x0,
        .rom_status_len = 4,
        .has_security_info = true,
        .security_info_len = 20,
        .efuse_base = 0x600B0800,
        .mac_efuse_reg = 0x600B0844,
        .spi_base = 0x60003000,
        .spi_usr_offs = 0x18,
        .spi_usr1_offs = 0x1C,
        .spi_usr2_offs = 0x20,
        .spi_mosi_dlen_offs = 0x24,
        .spi_miso_dlen_offs = 0x28,
        .spi_w0_offs = 0x58,
        .uart_clkdiv_reg = 0x60000014,
        .riscv = true,
    },
    {
        .id = EL_CHIP_ESP32H2,
        .name = "esp32h2",
        .display = "ESP32-H2",
        .magic = {0xD7B73E80},
        .n_magic = 1,
        .image_chip_id = 16,
        .bootloader_offset = 0x0,
        .rom_status_len = 4,
        .has_security_info = true,
        .security_info_len = 20,
        .efuse_base = 0x600B0800,
        .mac_efuse_reg = 0x600B0844,
        .spi_base = 0x60003000,
        .spi_usr_offs = 0x18,
        .spi_usr1_offs = 0x1C,
        .spi_usr2_offs = 0x20,
        .spi_mosi_dlen_offs = 0x24,
        .spi_miso_dlen_offs = 0x28,
        .spi_w0_offs = 0x58,
        .uart_clkdiv_reg = 0x60000014,
        .riscv = true,
    },
    {
        .id = EL_CHIP_ESP32C2,
        .name = "esp32c2",
        .display = "ESP32-C2",
        .magic = {0x6F51306F, 0x7C41A06F, 0x0C21E06F},
        .n_magic = 3,
        .image_chip_id = 12,
        .bootloader_offset = 0x0,
        .rom_status_len = 4,
        .has_security_info = true,
        .security_info_len = 20,
        .efuse_base = 0x60008800,
        .mac_efuse_reg = 0x60008840,
        .spi_base = 0x60002000,
        .spi_usr_offs = 0x18,
        .spi_usr1_offs = 0x1C,
        .spi_usr2_offs = 0x20,
        .spi_mosi_dlen_offs = 0x24,
        .spi_miso_dlen_offs = 0x28,
        .spi_w0_offs = 0x58,
        .uart_clkdiv_reg = 0x60000014,
        .riscv = true,
    },
};

#define N_CHIPS (sizeof(chips) / sizeof(chips[0]))

const struct el_chip *el_chip_by_id(enum el_chip_id id)
{
    for (size_t i = 0; i < N_CHIPS; i++)
        if (chips[i].id == id)
            return &chips[i];
    return NULL;
}

const struct el_chip *el_chip_by_name(const char *name)
{
    char norm[16];
    size_t n = 0;
    if (!name)
        return NULL;
    for (const char *p = name; *p && n + 1 < sizeof(norm); p++) {
        if (*p == '-' || *p == '_')
            continue;
        norm[n++] = (char)tolower((unsigned char)*p);
    }
    norm[n] = '\0';
    for (size_t i = 0; i < N_CHIPS; i++)
        if (strcmp(chips[i].name, norm) == 0)
            return &chips[i];
    return NULL;
}

const struct el_chip *el_chip_by_magic(uint32_t magic)
{
    for (size_t i = 0; i < N_CHIPS; i++)
        for (size_t j = 0; j < chips[i].n_magic; j++)
            if (chips[i].magic[j] == magic)
                return &chips[i];
    return NULL;
}

const struct el_chip *el_chip_by_image_id(uint16_t chip_id)
{
    for (size_t i = 0; i < N_CHIPS; i++)
        if (chips[i].image_chip_id == chip_id)
            return &chips[i];
    return NULL;
}

const char *el_chip_names(void)
{
    return "esp32, esp32s2, esp32s3, esp32c3, esp32c6, esp32h2, esp32c2";
}
