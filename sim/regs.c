/* SPDX-License-Identifier: MIT */
/*
 * Registers behind READ_REG / WRITE_REG: the chip-detect magic word, eFuse read registers,
 * the ESP32 clock-calibration and date registers esptool reads, UART0 (CLKDIV, DATE) and
 * the SPI1 flash controller, whose user-command mechanics (USER/USER1/USER2/MOSI_DLEN/
 * MISO_DLEN/W0.., CMD.USR bit 18) run real flash commands on the flash model.
 * Facts from esptool targets/<chip>.py and espefuse efuse_defs/esp32.yaml; see PROTOCOL.md §9, §12.
 */
#include "elsim_int.h"
#include "espload/bytes.h"
#include "espload/proto.h"

#include <stdlib.h>
#include <string.h>

#define SPI_CMD_USR (1u << 18)
#define USR_ADDR    (1u << 30)
#define USR_MISO    (1u << 28)
#define USR_MOSI    (1u << 27)

/* ESP32 register facts (esptool targets/esp32.py) */
#define ESP32_RTCCALICFG1  0x3FF5F06Cu
#define ESP32_APB_CTL_DATE 0x3FF6607Cu
#define ESP32_GPIO_STRAP   0x3FF44038u
#define ESP32_UART0_BASE   0x3FF40000u
#define ESP32_UART_DATE    0x15122500u /* READ_REG 0x60000078 on an ESP32 (esptool#352 trace) */
#define ESP32_CK8M_EFUSE   0x36u       /* CLK8M_FREQ eFuse value of a typical part */

uint8_t eli_mac_crc8(const uint8_t mac[6])
{
    uint8_t crc = 0;
    for (int i = 0; i < 6; i++) {
        crc ^= mac[i];
        for (int b = 0; b < 8; b++)
            crc = (crc & 1) ? (uint8_t)((crc >> 1) ^ 0x8C) : (uint8_t)(crc >> 1);
    }
    return crc;
}

/* The ESP32's peripherals answer at 0x3FF40000.. and at the alias 0x60000000.. */
static uint32_t canon(const struct elsim *d, uint32_t addr)
{
    if (d->chip->id == EL_CHIP_ESP32 && addr >= 0x60000000u && addr < 0x60040000u)
        return addr - 0x60000000u + 0x3FF40000u;
    return addr;
}

uint32_t eli_rom_clock_hz(const struct elsim *d)
{
    /* the ROM's estimate: cali * 15625 * ck8m / 40 (esptool esp32.py get_rom_cal_crystal_freq) */
    uint32_t cali = (d->rtc_cali >> 7) & 0x1FFFFFFu;
    return (uint32_t)((uint64_t)cali * 15625u * (d->efuse[4] & 0xFFu) / 40u);
}

void eli_regs_init(struct elsim *d)
{
    const struct elsim_cfg *c = &d->cfg;
    memset(d->efuse, 0, sizeof(d->efuse));
    memset(&d->spi, 0, sizeof(d->spi));
    int rev = c->revision;
    if (rev < 0)
        rev = 0;
    d->rev_major = rev / 100;
    d->rev_minor = rev % 100;
    static const uint8_t seed_mac[6] = {0x30, 0xAE, 0xA4, 0x80, 0x55, 0xE0};
    if (c->mac_set)
        memcpy(d->mac, c->mac, 6);
    else if (d->chip->id == EL_CHIP_ESP32)
        memcpy(d->mac, seed_mac, 6);
    else {
        /* Espressif OUI, last bytes derived from the chip so each model differs */
        static const uint8_t base[6] = {0x24, 0x0A, 0xC4, 0x00, 0x00, 0x00};
        memcpy(d->mac, base, 6);
        d->mac[3] = (uint8_t)(0x10 + d->chip->image_chip_id);
        d->mac[4] = 0x34;
        d->mac[5] = 0x56;
    }
    if (d->chip->id == EL_CHIP_ESP32) {
        int pkg = c->package < 0 ? 1 : c->package; /* ESP32-D0WD ("D0WDQ5" in v2.x) */
        uint32_t w0 = 0, w3 = 0, w5 = 0, w6 = 0;
        d->efuse[1] = (uint32_t)d->mac[2] << 24 | (uint32_t)d->mac[3] << 16 |
                      (uint32_t)d->mac[4] << 8 | d->mac[5];
        d->efuse[2] = (uint32_t)eli_mac_crc8(d->mac) << 16 | (uint32_t)d->mac[0] << 8 | d->mac[1];
        w3 |= (uint32_t)(pkg & 7) << 9;
        w3 |= (uint32_t)((pkg >> 3) & 1) << 2;
        if (c->cpu_rated)
            w3 |= 1u << 13;
        /* major revision bits: rev1 = word3.15, rev2 = word5.20, rev3 = APB_CTL_DATE.31 */
        if (d->rev_major >= 1)
            w3 |= 1u << 15;
        if (d->rev_major >= 2)
            w5 |= 1u << 20;
        w5 |= (uint32_t)(d->rev_minor & 3) << 24;
        if (c->flash_crypt)
            w0 |= 1u << 20; /* FLASH_CRYPT_CNT odd */
        if (c->secure_boot)
            w6 |= (d->rev_major >= 3) ? (1u << 5) : (1u << 4); /* ABS_DONE_1 / ABS_DONE_0 */
        d->efuse[0] = w0;
        d->efuse[3] = w3;
        d->efuse[4] = ESP32_CK8M_EFUSE; /* ADC_VREF = 0: no "VRef calibration" feature */
        d->efuse[5] = w5;
        d->efuse[6] = w6;
        d->apb_date = 0x16042000u | (d->rev_major >= 3 ? 0x80000000u : 0);
        /* RTC calibration so the ROM's clock estimate is off by rom_clock_permille */
        uint64_t target =
            (uint64_t)c->crystal_mhz * 1000u * (uint64_t)(1000 + c->rom_clock_permille);
        uint64_t cali =
            (target * 40u + (15625u * ESP32_CK8M_EFUSE) / 2) / (15625u * ESP32_CK8M_EFUSE);
        d->rtc_cali = (uint32_t)(cali << 7);
    } else {
        uint32_t idx = (d->chip->mac_efuse_reg - d->chip->efuse_base) / 4u;
        if (idx + 1 < sizeof(d->efuse) / sizeof(d->efuse[0])) {
            d->efuse[idx] = (uint32_t)d->mac[2] << 24 | (uint32_t)d->mac[3] << 16 |
                            (uint32_t)d->mac[4] << 8 | d->mac[5];
            d->efuse[idx + 1] = (uint32_t)d->mac[0] << 8 | d->mac[1];
        }
    }
}

static void spi_execute(struct elsim *d)
{
    struct elsim_spi *s = &d->spi;
    uint8_t opcode = (uint8_t)(s->user2 & 0xFF);
    uint32_t addr_bits = 0, addr = 0, mosi_bits = 0, miso_bits = 0;
    if (s->user & USR_ADDR) {
        addr_bits = ((s->user1 >> 26) & 0x3F) + 1;
        if (addr_bits > 32)
            addr_bits = 32;
        if (d->chip->id == EL_CHIP_ESP32) /* ESP32: address is MSB-aligned in SPI_ADDR */
            addr = addr_bits == 32 ? s->addr : s->addr >> (32 - addr_bits);
        else
            addr = s->addr;
    }
    if (s->user & USR_MOSI)
        mosi_bits = (s->mosi_dlen & 0xFFFFFF) + 1;
    if (s->user & USR_MISO)
        miso_bits = (s->miso_dlen & 0xFFFFFF) + 1;
    if (mosi_bits > 512)
        mosi_bits = 512;
    if (miso_bits > 512)
        miso_bits = 512;
    uint8_t mosi[64], miso[64];
    for (int i = 0; i < 16; i++) {
        mosi[4 * i] = (uint8_t)s->w[i];
        mosi[4 * i + 1] = (uint8_t)(s->w[i] >> 8);
        mosi[4 * i + 2] = (uint8_t)(s->w[i] >> 16);
        mosi[4 * i + 3] = (uint8_t)(s->w[i] >> 24);
    }
    eli_flash_spi_cmd(d, opcode, addr, addr_bits, mosi, mosi_bits, miso, miso_bits);
    uint32_t nbytes = (miso_bits + 7) / 8;
    for (uint32_t i = 0; i < (nbytes + 3) / 4 && i < 16; i++) {
        uint32_t v = 0;
        for (uint32_t j = 0; j < 4; j++)
            if (4 * i + j < nbytes)
                v |= (uint32_t)miso[4 * i + j] << (8 * j);
        s->w[i] = v;
    }
}

/* Returns a pointer to an SPI register for addr, or NULL. */
static uint32_t *spi_reg(struct elsim *d, uint32_t addr)
{
    const struct el_chip *c = d->chip;
    if (addr < c->spi_base || addr >= c->spi_base + 0x100u)
        return NULL;
    uint32_t off = addr - c->spi_base;
    struct elsim_spi *s = &d->spi;
    if (off == 0)
        return &s->cmd;
    if (off == 4)
        return &s->addr;
    if (off == c->spi_usr_offs)
        return &s->user;
    if (off == c->spi_usr1_offs)
        return &s->user1;
    if (off == c->spi_usr2_offs)
        return &s->user2;
    if (off == c->spi_mosi_dlen_offs)
        return &s->mosi_dlen;
    if (off == c->spi_miso_dlen_offs)
        return &s->miso_dlen;
    if (off >= c->spi_w0_offs && off < c->spi_w0_offs + 64u && (off & 3) == 0)
        return &s->w[(off - c->spi_w0_offs) / 4];
    if (off == 8)
        return &s->ctrl;
    return NULL;
}

static bool ram_read(const struct elsim *d, uint32_t addr, uint32_t *v);

uint32_t eli_reg_read(struct elsim *d, uint32_t addr)
{
    const struct el_chip *c = d->chip;
    addr = canon(d, addr);
    if (addr == EL_CHIP_MAGIC_REG)
        return c->magic[0];
    if (addr >= c->efuse_base && addr < c->efuse_base + 4u * 32u && (addr & 3) == 0)
        return d->efuse[(addr - c->efuse_base) / 4];
    uint32_t *r = spi_reg(d, addr);
    if (r)
        return *r;
    if (addr == c->uart_clkdiv_reg) {
        /* integer divider in bits 0-19, fraction (1/16) in bits 20-23 */
        uint64_t div16 = ((uint64_t)d->cfg.crystal_mhz * 16000000u + d->baud / 2) / d->baud;
        return (uint32_t)((div16 >> 4) & 0xFFFFF) | (uint32_t)((div16 & 0xF) << 20);
    }
    if (c->id == EL_CHIP_ESP32) {
        if (addr == ESP32_RTCCALICFG1)
            return d->rtc_cali;
        if (addr == ESP32_APB_CTL_DATE)
            return d->apb_date;
        if (addr == ESP32_UART0_BASE + 0x78u)
            return ESP32_UART_DATE;
        if (addr == ESP32_GPIO_STRAP)
            return d->strap_download ? 0x03u : 0x13u;
    }
    uint32_t v;
    if (ram_read(d, addr, &v))
        return v;
    return 0;
}

void eli_reg_write(struct elsim *d, uint32_t addr, uint32_t value)
{
    addr = canon(d, addr);
    uint32_t *r = spi_reg(d, addr);
    if (!r) {
        uint8_t b[4];
        el_put_le32(b, value);
        if (eli_ram_check(d, addr, 4) == 0)
            eli_ram_write(d, addr, b, 4);
        return; /* eFuse read registers, UART_DATE (esptool's delay trick), ...: no effect */
    }
    if (r == &d->spi.cmd) {
        if (value & SPI_CMD_USR)
            spi_execute(d);
        d->spi.cmd = value & ~SPI_CMD_USR; /* done: USR clears */
        return;
    }
    *r = value;
}

/* ------------------------------------------------------------------ RAM */

struct ram_range {
    uint32_t start, end;
};

/* Internal SRAM windows the ROM loader accepts for MEM_BEGIN (esptool targets/<chip>.py
 * MEMORY_MAP), and ranges the ROM uses itself. */
static size_t ram_ranges(const struct elsim *d, const struct ram_range **r,
                         const struct ram_range **rsv, size_t *n_rsv)
{
    static const struct ram_range esp32[] = {{0x3FFAE000u, 0x40000000u},
                                             {0x40070000u, 0x400C0000u},
                                             {0x3FF80000u, 0x3FF82000u},
                                             {0x400C0000u, 0x400C2000u},
                                             {0x50000000u, 0x50002000u}};
    /* ESP32 ROM data, BSS and stacks of both CPUs (ESP-IDF memory layout) */
    static const struct ram_range esp32_rsv[] = {{0x3FFE0000u, 0x40000000u}};
    static const struct ram_range s2[] = {{0x3FFB0000u, 0x40000000u}, {0x40020000u, 0x40070000u}};
    static const struct ram_range s3[] = {{0x3FC88000u, 0x3FD00000u}, {0x40370000u, 0x403E0000u}};
    static const struct ram_range c3[] = {{0x3FC80000u, 0x3FCE0000u}, {0x4037C000u, 0x403E0000u}};
    static const struct ram_range c6[] = {{0x40800000u, 0x40880000u}};
    static const struct ram_range h2[] = {{0x40800000u, 0x40850000u}};
    static const struct ram_range c2[] = {{0x3FCA0000u, 0x3FCE0000u}, {0x4037C000u, 0x403C0000u}};
    *rsv = NULL;
    *n_rsv = 0;
#define RET(a)                                                                                     \
    do {                                                                                           \
        *r = a;                                                                                    \
        return sizeof(a) / sizeof(a[0]);                                                           \
    } while (0)
    switch (d->chip->id) {
    case EL_CHIP_ESP32:
        *rsv = esp32_rsv;
        *n_rsv = 1;
        RET(esp32);
    case EL_CHIP_ESP32S2:
        RET(s2);
    case EL_CHIP_ESP32S3:
        RET(s3);
    case EL_CHIP_ESP32C3:
        RET(c3);
    case EL_CHIP_ESP32C6:
        RET(c6);
    case EL_CHIP_ESP32H2:
        RET(h2);
    default:
        RET(c2);
    }
#undef RET
}

int eli_ram_check(const struct elsim *d, uint32_t addr, uint32_t len)
{
    const struct ram_range *r, *rsv;
    size_t n_rsv;
    size_t n = ram_ranges(d, &r, &rsv, &n_rsv);
    uint64_t end = (uint64_t)addr + len;
    for (size_t i = 0; i < n_rsv; i++)
        if (addr < rsv[i].end && end > rsv[i].start)
            return -2;
    for (size_t i = 0; i < n; i++) {
        if (addr >= r[i].start && addr < r[i].end)
            return end <= r[i].end ? 0 : -3;
    }
    return -1;
}

int eli_ram_write(struct elsim *d, uint32_t addr, const uint8_t *buf, uint32_t len)
{
    const struct ram_range *r, *rsv;
    size_t n_rsv;
    size_t n = ram_ranges(d, &r, &rsv, &n_rsv);
    if (!d->ram_regions) {
        d->ram_regions = calloc(n, sizeof(*d->ram_regions));
        if (!d->ram_regions)
            return -1;
        d->n_ram = n;
        for (size_t i = 0; i < n; i++) {
            d->ram_regions[i].start = r[i].start;
            d->ram_regions[i].end = r[i].end;
        }
    }
    for (size_t i = 0; i < d->n_ram; i++) {
        struct elsim_ram *m = &d->ram_regions[i];
        if (addr < m->start || addr >= m->end || len > m->end - addr)
            continue;
        if (!m->buf) {
            m->buf = calloc(1, m->end - m->start);
            if (!m->buf)
                return -1;
        }
        memcpy(m->buf + (addr - m->start), buf, len);
        return 0;
    }
    return -1;
}

static bool ram_read(const struct elsim *d, uint32_t addr, uint32_t *v)
{
    for (size_t i = 0; i < d->n_ram; i++) {
        const struct elsim_ram *m = &d->ram_regions[i];
        if (addr >= m->start && addr + 4 <= m->end) {
            *v = m->buf ? el_get_le32(m->buf + (addr - m->start)) : 0;
            return true;
        }
    }
    return false;
}

void eli_ram_free(struct elsim *d)
{
    for (size_t i = 0; i < d->n_ram; i++)
        free(d->ram_regions[i].buf);
    free(d->ram_regions);
    d->ram_regions = NULL;
    d->n_ram = 0;
}
