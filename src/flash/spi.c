/* SPDX-License-Identifier: MIT */
/*
 * Flash attach and parameters, and SPI flash commands through the SPI1 user-command
 * registers (esptool loader.py run_spiflash_command, read_status, write_status,
 * read_spiflash_sfdp; cmds.py DETECTED_FLASH_SIZES).
 */
#include "loader/loader_int.h"

#include "espload/bytes.h"
#include "espload/err.h"
#include "espload/proto.h"

#include <stdio.h>
#include <string.h>

#define SPI_USR_COMMAND        (1u << 31)
#define SPI_USR_ADDR           (1u << 30)
#define SPI_USR_DUMMY          (1u << 29)
#define SPI_USR_MISO           (1u << 28)
#define SPI_USR_MOSI           (1u << 27)
#define SPI_CMD_USR            (1u << 18)
#define SPI_USR2_CMD_LEN_SHIFT 28
#define SPI_USR_ADDR_LEN_SHIFT 26

int el_flash_spi_pins(unsigned clk, unsigned q, unsigned d, unsigned hd, unsigned cs,
                      uint32_t *value)
{
    if (!value)
        return EL_E_ARG;
    *value = 0;
    unsigned pins[5] = {clk, q, d, hd, cs};
    for (int i = 0; i < 5; i++) {
        /* ESP32: GPIO 0-29, 32, 33 (30/31 do not exist; 32/33 encode as 30/31) */
        if (pins[i] == 32 || pins[i] == 33)
            pins[i] -= 2;
        else if (pins[i] >= 30)
            return EL_E_ARG;
    }
    *value = (pins[3] << 24) | (pins[4] << 18) | (pins[2] << 12) | (pins[1] << 6) | pins[0];
    return EL_OK;
}

int el_flash_attach(struct el_loader *l, long spi_conn)
{
    if (!l)
        return EL_E_ARG;
    eli_clear_error(l);
    if (!el_loader_chip(l))
        return eli_fail(l, EL_E_ARG, "not connected");
    uint32_t value = 0;
    int how = 0;
    char desc[96] = "";
    if (spi_conn >= 0) {
        value = (uint32_t)spi_conn;
        how = 2;
    } else if (l->stub) {
        /* the stub attaches the flash from the eFuse configuration itself */
        l->flash_attached = true;
        return EL_OK;
    } else if (l->chip->id == EL_CHIP_ESP32) {
        uint32_t w3, w5;
        int rc = el_loader_read_reg(l, l->chip->efuse_base + 12, &w3);
        if (rc == EL_OK)
            rc = el_loader_read_reg(l, l->chip->efuse_base + 20, &w5);
        if (rc != EL_OK)
            return rc;
        unsigned clk = w5 & 0x1F, q = (w5 >> 5) & 0x1F, d = (w5 >> 10) & 0x1F,
                 cs = (w5 >> 15) & 0x1F, hd = (w3 >> 4) & 0x1F;
        if (clk | q | d | cs | hd) {
            value = (hd << 24) | (cs << 18) | (d << 12) | (q << 6) | clk;
            how = 1;
            snprintf(desc, sizeof(desc), "CLK:%u, Q:%u, D:%u, HD:%u, CS:%u", clk, q, d, hd, cs);
        }
    }
    eli_event(l, EL_EV_SPI_ATTACH, value, how, 0, desc[0] ? desc : NULL);
    uint8_t data[8] = {0};
    el_put_le32(data, value);
    /* the ROM wants a second word (0); stubs take 4 bytes */
    size_t n = l->stub ? 4 : 8;
    int rc = eli_check(l, "configure SPI flash pins", EL_OP_SPI_ATTACH, data, n, 0,
                       l->tuning.timeout_ms, NULL, NULL, NULL);
    if (rc == EL_OK)
        l->flash_attached = true;
    return rc;
}

int eli_flash_ensure_attached(struct el_loader *l)
{
    if (l->flash_attached)
        return EL_OK;
    return el_flash_attach(l, -1);
}

int el_flash_set_params(struct el_loader *l, uint32_t size)
{
    if (!l || !size)
        return EL_E_ARG;
    eli_clear_error(l);
    int rc = eli_flash_ensure_attached(l);
    if (rc != EL_OK)
        return rc;
    eli_event(l, EL_EV_FLASH_SET_PARAMS, size, 0, 0, NULL);
    uint8_t d[24];
    el_put_le32(d, 0);
    el_put_le32(d + 4, size);
    el_put_le32(d + 8, 0x10000);
    el_put_le32(d + 12, 0x1000);
    el_put_le32(d + 16, 0x100);
    el_put_le32(d + 20, 0xFFFF);
    rc = eli_check(l, "set SPI params", EL_OP_SPI_SET_PARAMS, d, sizeof(d), 0, l->tuning.timeout_ms,
                   NULL, NULL, NULL);
    if (rc == EL_OK)
        l->flash_size_set = size;
    return rc;
}

int el_flash_spi_command(struct el_loader *l, uint8_t opcode, const uint8_t *tx, unsigned tx_bits,
                         unsigned rx_bits, uint32_t addr, unsigned addr_bits, unsigned dummy,
                         uint32_t *rx)
{
    if (rx)
        *rx = 0;
    if (!l || rx_bits > 32 || tx_bits > 64 * 8 || (tx_bits && !tx) || addr_bits > 32)
        return EL_E_ARG;
    const struct el_chip *c = el_loader_chip(l);
    if (!c)
        return eli_fail(l, EL_E_ARG, "not connected");
    int rc = eli_flash_ensure_attached(l);
    if (rc != EL_OK)
        return rc;
    uint32_t base = c->spi_base;
    uint32_t r_cmd = base, r_addr = base + 4, r_usr = base + c->spi_usr_offs,
             r_usr1 = base + c->spi_usr1_offs, r_usr2 = base + c->spi_usr2_offs,
             r_w0 = base + c->spi_w0_offs;
    uint32_t old_usr, old_usr2;
#define TRY(x)                                                                                     \
    do {                                                                                           \
        rc = (x);                                                                                  \
        if (rc != EL_OK)                                                                           \
            return rc;                                                                             \
    } while (0)
    TRY(el_loader_read_reg(l, r_usr, &old_usr));
    TRY(el_loader_read_reg(l, r_usr2, &old_usr2));
    /* data lengths: MOSI, MISO, then USR1 (dummy / address length) */
    if (tx_bits)
        TRY(el_loader_write_reg(l, base + c->spi_mosi_dlen_offs, tx_bits - 1, 0xFFFFFFFFu, 0));
    if (rx_bits)
        TRY(el_loader_write_reg(l, base + c->spi_miso_dlen_offs, rx_bits - 1, 0xFFFFFFFFu, 0));
    uint32_t u1 = 0;
    if (dummy)
        u1 |= dummy - 1;
    if (addr_bits)
        u1 |= (addr_bits - 1) << SPI_USR_ADDR_LEN_SHIFT;
    if (u1)
        TRY(el_loader_write_reg(l, r_usr1, u1, 0xFFFFFFFFu, 0));
    uint32_t flags = SPI_USR_COMMAND;
    if (rx_bits)
        flags |= SPI_USR_MISO;
    if (tx_bits)
        flags |= SPI_USR_MOSI;
    if (addr_bits)
        flags |= SPI_USR_ADDR;
    if (dummy)
        flags |= SPI_USR_DUMMY;
    TRY(el_loader_write_reg(l, r_usr, flags, 0xFFFFFFFFu, 0));
    TRY(el_loader_write_reg(l, r_usr2, (7u << SPI_USR2_CMD_LEN_SHIFT) | opcode, 0xFFFFFFFFu, 0));
    if (addr_bits) {
        /* ESP32's address register is MSB-aligned; later chips take it as is */
        uint32_t a = addr;
        if (c->id == EL_CHIP_ESP32 && addr_bits < 32)
            a = addr << (32 - addr_bits);
        TRY(el_loader_write_reg(l, r_addr, a, 0xFFFFFFFFu, 0));
    }
    if (!tx_bits) {
        TRY(el_loader_write_reg(l, r_w0, 0, 0xFFFFFFFFu, 0));
    } else {
        size_t nbytes = (tx_bits + 7) / 8;
        for (size_t off = 0; off < nbytes; off += 4) {
            uint8_t w[4] = {0};
            memcpy(w, tx + off, nbytes - off < 4 ? nbytes - off : 4);
            TRY(el_loader_write_reg(l, r_w0 + (uint32_t)off, el_get_le32(w), 0xFFFFFFFFu, 0));
        }
    }
    TRY(el_loader_write_reg(l, r_cmd, SPI_CMD_USR, 0xFFFFFFFFu, 0));
    bool done = false;
    for (int i = 0; i < 10; i++) {
        uint32_t v;
        TRY(el_loader_read_reg(l, r_cmd, &v));
        if (!(v & SPI_CMD_USR)) {
            done = true;
            break;
        }
    }
    if (!done)
        return eli_fail(l, EL_E_TIMEOUT, "SPI command did not complete in time");
    uint32_t result;
    TRY(el_loader_read_reg(l, r_w0, &result));
    TRY(el_loader_write_reg(l, r_usr, old_usr, 0xFFFFFFFFu, 0));
    TRY(el_loader_write_reg(l, r_usr2, old_usr2, 0xFFFFFFFFu, 0));
#undef TRY
    if (rx)
        *rx = rx_bits < 32 ? result & ((1u << rx_bits) - 1) : result;
    return EL_OK;
}

int el_flash_read_id(struct el_loader *l, uint32_t *id)
{
    if (!l || !id)
        return EL_E_ARG;
    eli_clear_error(l);
    return el_flash_spi_command(l, 0x9F, NULL, 0, 24, 0, 0, 0, id);
}

uint32_t el_flash_size_from_id(uint32_t id)
{
    uint8_t mfr = id & 0xFF;
    if (mfr == 0x1F) {
        /* Adesto: density in bits 0-4 of the device id's first byte */
        unsigned code = (id >> 8) & 0x1F;
        if (code >= 0x04 && code <= 0x09)
            return (512u * 1024u) << (code - 0x04);
        return 0;
    }
    unsigned cap = (id >> 16) & 0xFF;
    if (cap >= 0x12 && cap <= 0x1C)
        return (256u * 1024u) << (cap - 0x12);
    if (cap >= 0x20 && cap <= 0x22)
        return (64u * 1024u * 1024u) << (cap - 0x20);
    if (cap >= 0x32 && cap <= 0x3A)
        return (256u * 1024u) << (cap - 0x32);
    return 0;
}

const char *el_flash_size_name(uint32_t bytes)
{
    switch (bytes) {
    case 256u << 10:
        return "256KB";
    case 512u << 10:
        return "512KB";
    case 1u << 20:
        return "1MB";
    case 2u << 20:
        return "2MB";
    case 4u << 20:
        return "4MB";
    case 8u << 20:
        return "8MB";
    case 16u << 20:
        return "16MB";
    case 32u << 20:
        return "32MB";
    case 64u << 20:
        return "64MB";
    case 128u << 20:
        return "128MB";
    case 256u << 20:
        return "256MB";
    default:
        return "unknown";
    }
}

int el_flash_read_status(struct el_loader *l, unsigned nbytes, uint32_t *value)
{
    if (!l || !value || nbytes < 1 || nbytes > 3)
        return EL_E_ARG;
    *value = 0;
    eli_clear_error(l);
    static const uint8_t cmds[3] = {0x05, 0x35, 0x15};
    uint32_t st = 0;
    for (unsigned i = 0; i < nbytes; i++) {
        uint32_t v;
        int rc = el_flash_spi_command(l, cmds[i], NULL, 0, 8, 0, 0, 0, &v);
        if (rc != EL_OK)
            return rc;
        st |= (v & 0xFF) << (8 * i);
    }
    *value = st;
    return EL_OK;
}

int el_flash_write_status(struct el_loader *l, uint32_t value, unsigned nbytes, bool non_volatile)
{
    if (!l || nbytes < 1 || nbytes > 3)
        return EL_E_ARG;
    eli_clear_error(l);
    static const uint8_t wr[3] = {0x01, 0x31, 0x11};
    uint8_t enable = non_volatile ? 0x06 : 0x50;
    int rc;
    if (nbytes == 2) {
        /* some parts only take the 16-bit WRSR form */
        uint8_t d[2] = {(uint8_t)value, (uint8_t)(value >> 8)};
        rc = el_flash_spi_command(l, enable, NULL, 0, 0, 0, 0, 0, NULL);
        if (rc == EL_OK)
            rc = el_flash_spi_command(l, 0x01, d, 16, 0, 0, 0, 0, NULL);
        if (rc != EL_OK)
            return rc;
    }
    uint32_t v = value;
    for (unsigned i = 0; i < nbytes; i++) {
        uint8_t b = (uint8_t)v;
        rc = el_flash_spi_command(l, enable, NULL, 0, 0, 0, 0, 0, NULL);
        if (rc == EL_OK)
            rc = el_flash_spi_command(l, wr[i], &b, 8, 0, 0, 0, 0, NULL);
        if (rc != EL_OK)
            return rc;
        v >>= 8;
    }
    return el_flash_spi_command(l, 0x04, NULL, 0, 0, 0, 0, 0, NULL);
}

int el_flash_read_sfdp(struct el_loader *l, uint32_t addr, unsigned bits, uint32_t *value)
{
    if (!l || !value || !bits || bits > 32)
        return EL_E_ARG;
    eli_clear_error(l);
    return el_flash_spi_command(l, 0x5A, NULL, 0, bits, addr, 24, 8, value);
}
