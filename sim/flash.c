/* SPDX-License-Identifier: MIT */
/*
 * SPI NOR flash model: erase sets bytes to 0xFF, programming can only clear bits (AND),
 * a page program wraps within its 256-byte page, status-register block protection (BP0..2,
 * TB) silently blocks program/erase like the real part, and the contents persist in a file.
 *
 * Timing values (typical, GigaDevice GD25Q32C datasheet, "AC characteristics"; Winbond
 * W25Q32JV lists the same typical values): page program 0.6 ms per 256-byte page
 * (t_PP), sector erase 4 KiB 50 ms (t_SE), block erase 32 KiB 150 ms / 64 KiB 250 ms
 * (t_BE1/t_BE2 typ.), chip erase 10 s (t_CE typ. for 32 Mbit). See docs/SIMULATOR.md.
 */
#include "elsim_int.h"
#include "espload/proto.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define FLASH_PAGE       256u
#define T_PAGE_US        600u
#define T_SECTOR_US      50000u
#define T_BLOCK32_US     150000u
#define T_BLOCK64_US     250000u
#define T_CHIP_PER_MB_US 2500000u /* 10 s for 4 MB */

/* SR1 bits */
#define SR1_WIP 0x01
#define SR1_WEL 0x02
#define SR1_BP  0x1C /* BP0..BP2 */
#define SR1_TB  0x20

static int load_file(struct elsim *d, char *err, size_t errlen)
{
    const char *path = d->cfg.flash_path;
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno != ENOENT) {
            snprintf(err, errlen, "cannot open flash file '%s': %s", path, strerror(errno));
            return -1;
        }
        return 0; /* created on save */
    }
    size_t n = fread(d->flash, 1, d->flash_size, f);
    if (ferror(f)) {
        snprintf(err, errlen, "cannot read flash file '%s': %s", path, strerror(errno));
        fclose(f);
        return -1;
    }
    fclose(f);
    (void)n; /* a short file keeps 0xFF (erased) beyond its end */
    return 0;
}

static uint32_t file_size_or_zero(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    long sz = -1;
    if (fseek(f, 0, SEEK_END) == 0)
        sz = ftell(f);
    fclose(f);
    if (sz <= 0 || sz > (16L << 20))
        return 0;
    /* round up to a power of two, at least 1 MB */
    uint32_t p = 1u << 20;
    while (p < (uint32_t)sz)
        p <<= 1;
    return p;
}

int eli_flash_init(struct elsim *d, char *err, size_t errlen)
{
    uint32_t size = d->cfg.flash_size;
    if (!size && d->cfg.flash_path[0])
        size = file_size_or_zero(d->cfg.flash_path);
    if (!size)
        size = 4u << 20;
    d->flash_size = size;
    d->flash = malloc(size);
    if (!d->flash) {
        snprintf(err, errlen, "out of memory for %u bytes of flash", (unsigned)size);
        return -1;
    }
    memset(d->flash, 0xFF, size);
    if (d->cfg.flash_path[0] && load_file(d, err, errlen))
        return -1;
    memset(d->sr, 0, sizeof(d->sr));
    if (d->cfg.write_protect)
        d->sr[0] |= SR1_BP;       /* BP2..BP0 = 111: everything protected */
    d->rom_flash_size = 2u << 20; /* ROM default until SPI_SET_PARAMS */
    return 0;
}

int eli_flash_save(struct elsim *d)
{
    if (!d->cfg.flash_path[0] || !d->flash)
        return 0;
    char tmp[ELSIM_PATH_MAX + 8];
    snprintf(tmp, sizeof(tmp), "%s.tmp", d->cfg.flash_path);
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return -1;
    size_t n = fwrite(d->flash, 1, d->flash_size, f);
    int rc = (n == d->flash_size) ? 0 : -1;
    if (fclose(f))
        rc = -1;
    if (rc == 0 && rename(tmp, d->cfg.flash_path))
        rc = -1;
    if (rc)
        remove(tmp);
    return rc;
}

bool eli_flash_protected(const struct elsim *d, uint32_t addr)
{
    unsigned bp = (d->sr[0] & SR1_BP) >> 2;
    if (!bp)
        return false;
    uint32_t prot = (bp >= 7) ? d->flash_size : (uint32_t)(0x10000u << (bp - 1));
    if (prot > d->flash_size)
        prot = d->flash_size;
    if (d->sr[0] & SR1_TB)
        return addr < prot;
    return addr >= d->flash_size - prot;
}

static bool in_range(const struct elsim *d, uint32_t addr, uint32_t len)
{
    return addr <= d->flash_size && len <= d->flash_size - addr;
}

static void erase_range(struct elsim *d, uint32_t addr, uint32_t len)
{
    if (eli_flash_protected(d, addr))
        return;
    memset(d->flash + addr, 0xFF, len);
    d->st.flash_bytes_erased += len;
}

int eli_flash_erase_sector(struct elsim *d, uint32_t addr, uint64_t *us_out)
{
    addr &= ~(EL_FLASH_SECTOR - 1);
    if (us_out)
        *us_out = T_SECTOR_US;
    if (!in_range(d, addr, EL_FLASH_SECTOR))
        return -1;
    erase_range(d, addr, EL_FLASH_SECTOR);
    return 0;
}

static int erase_block_n(struct elsim *d, uint32_t addr, uint32_t n, uint64_t us, uint64_t *us_out)
{
    addr &= ~(n - 1);
    if (us_out)
        *us_out = us;
    if (!in_range(d, addr, n))
        return -1;
    /* protection granularity is 64 KiB or larger, so one check per sector is exact */
    for (uint32_t a = addr; a < addr + n; a += EL_FLASH_SECTOR)
        erase_range(d, a, EL_FLASH_SECTOR);
    return 0;
}

int eli_flash_erase_block(struct elsim *d, uint32_t addr, uint64_t *us_out)
{
    return erase_block_n(d, addr, 0x10000u, T_BLOCK64_US, us_out);
}

int eli_flash_erase_chip(struct elsim *d, uint64_t *us_out)
{
    if (us_out)
        *us_out = (uint64_t)T_CHIP_PER_MB_US * (d->flash_size >> 20);
    if (d->sr[0] & SR1_BP)
        return 0; /* chip erase is ignored when any block is protected */
    memset(d->flash, 0xFF, d->flash_size);
    d->st.flash_bytes_erased += d->flash_size;
    return 0;
}

int eli_flash_erase(struct elsim *d, uint32_t addr, uint32_t len, uint64_t *us_out)
{
    uint64_t total = 0, t;
    uint32_t start = addr & ~(EL_FLASH_SECTOR - 1);
    uint64_t end64 = (uint64_t)addr + len;
    end64 = (end64 + EL_FLASH_SECTOR - 1) & ~(uint64_t)(EL_FLASH_SECTOR - 1);
    if (us_out)
        *us_out = 0;
    if (len == 0)
        return 0;
    if (end64 > d->flash_size)
        return -1;
    uint32_t end = (uint32_t)end64;
    uint32_t a = start;
    while (a < end) {
        if ((a & 0xFFFFu) == 0 && end - a >= 0x10000u) {
            eli_flash_erase_block(d, a, &t);
            a += 0x10000u;
        } else {
            eli_flash_erase_sector(d, a, &t);
            a += EL_FLASH_SECTOR;
        }
        total += t;
    }
    if (us_out)
        *us_out = total;
    return 0;
}

int eli_flash_program(struct elsim *d, uint32_t addr, const uint8_t *buf, uint32_t len,
                      uint64_t *us_out)
{
    uint64_t pages = 0;
    if (us_out)
        *us_out = 0;
    if (!in_range(d, addr, len))
        return -1;
    uint32_t done = 0;
    while (done < len) {
        uint32_t a = addr + done;
        uint32_t room = FLASH_PAGE - (a % FLASH_PAGE);
        uint32_t n = len - done < room ? len - done : room;
        if (!eli_flash_protected(d, a)) {
            for (uint32_t i = 0; i < n; i++)
                d->flash[a + i] &= buf[done + i];
            d->st.flash_bytes_written += n;
        }
        pages++;
        done += n;
    }
    if (us_out)
        *us_out = pages * T_PAGE_US;
    return 0;
}

int eli_flash_read(const struct elsim *d, uint32_t addr, uint8_t *buf, uint32_t len)
{
    if (!in_range(d, addr, len))
        return -1;
    memcpy(buf, d->flash + addr, len);
    return 0;
}

/* SFDP table: header, JEDEC basic parameter header, a vendor parameter header, and the
 * start of the basic flash parameter table (density). */
static uint8_t sfdp_byte(const struct elsim *d, uint32_t addr)
{
    uint8_t t[0x50];
    memset(t, 0xFF, sizeof(t));
    t[0] = 'S';
    t[1] = 'F';
    t[2] = 'D';
    t[3] = 'P';
    t[4] = 0x06; /* SFDP revision 1.6 */
    t[5] = 0x01;
    t[6] = 0x01; /* two parameter headers (NPH = n-1) */
    t[7] = 0xFF;
    /* parameter header 0: JEDEC basic flash parameters, 9 dwords at 0x30 */
    t[8] = 0x00;
    t[9] = 0x06;
    t[10] = 0x01;
    t[11] = 9;
    t[12] = 0x30;
    t[13] = 0x00;
    t[14] = 0x00;
    t[15] = 0xFF;
    /* parameter header 1: vendor table, id = manufacturer */
    t[16] = (uint8_t)(d->cfg.jedec_id >> 16);
    t[17] = 0x00;
    t[18] = 0x01;
    t[19] = 3;
    t[20] = 0x60;
    t[21] = 0x00;
    t[22] = 0x00;
    t[23] = 0xFF;
    /* basic table: dword 1 (erase sizes, 4 KiB erase opcode 0x20), dword 2 (density) */
    t[0x30] = 0xE5;
    t[0x31] = 0x20;
    t[0x32] = 0xF1;
    t[0x33] = 0xFF;
    uint32_t bits = d->flash_size * 8u - 1u;
    t[0x34] = (uint8_t)bits;
    t[0x35] = (uint8_t)(bits >> 8);
    t[0x36] = (uint8_t)(bits >> 16);
    t[0x37] = (uint8_t)(bits >> 24);
    return addr < sizeof(t) ? t[addr] : 0xFF;
}

void eli_flash_spi_cmd(struct elsim *d, uint8_t opcode, uint32_t addr, uint32_t addr_bits,
                       const uint8_t *mosi, uint32_t mosi_bits, uint8_t *miso, uint32_t miso_bits)
{
    uint32_t miso_len = (miso_bits + 7) / 8;
    uint32_t mosi_len = (mosi_bits + 7) / 8;
    uint64_t us = 0;
    memset(miso, 0, miso_len);
    if (!d->attached) {
        memset(miso, 0xFF, miso_len); /* pins not routed: the bus floats high */
        return;
    }
    (void)addr_bits;
    /* With the timing model, a program or erase started through the SPI registers keeps
     * the flash busy (WIP set) while the CPU goes on: the host polls RDSR as on a real
     * board. A busy flash ignores everything but the status reads. */
    bool busy = d->now < d->flash_busy_until;
    if (busy && opcode != 0x05 && opcode != 0x35 && opcode != 0x15)
        return;
    switch (opcode) {
    case 0x9F: /* RDID */
        for (uint32_t i = 0; i < miso_len; i++)
            miso[i] = i < 3 ? (uint8_t)(d->cfg.jedec_id >> (16 - 8 * i)) : 0xFF;
        break;
    case 0x05: /* RDSR */
        for (uint32_t i = 0; i < miso_len; i++)
            miso[i] = (uint8_t)(d->sr[0] | (d->wel || busy ? SR1_WEL : 0) | (busy ? SR1_WIP : 0));
        break;
    case 0x35: /* RDSR2 */
        for (uint32_t i = 0; i < miso_len; i++)
            miso[i] = d->sr[1];
        break;
    case 0x15: /* RDSR3 */
        for (uint32_t i = 0; i < miso_len; i++)
            miso[i] = d->sr[2];
        break;
    case 0x06: /* WREN */
        d->wel = true;
        break;
    case 0x04: /* WRDI */
        d->wel = false;
        break;
    case 0x50: /* volatile SR write enable */
        d->wel = true;
        break;
    case 0x01: /* WRSR: SR1 [, SR2] */
        if (d->wel) {
            if (mosi_len >= 1)
                d->sr[0] = mosi[0] & (uint8_t) ~(SR1_WIP | SR1_WEL);
            if (mosi_len >= 2)
                d->sr[1] = mosi[1];
        }
        d->wel = false;
        break;
    case 0x31: /* WRSR2 */
        if (d->wel && mosi_len >= 1)
            d->sr[1] = mosi[0];
        d->wel = false;
        break;
    case 0x11: /* WRSR3 */
        if (d->wel && mosi_len >= 1)
            d->sr[2] = mosi[0];
        d->wel = false;
        break;
    case 0x5A: /* RDSFDP, 24-bit address, 8 dummy cycles */
        for (uint32_t i = 0; i < miso_len; i++)
            miso[i] = sfdp_byte(d, addr + i);
        break;
    case 0x03: /* READ */
    case 0x0B: /* FAST_READ */
        for (uint32_t i = 0; i < miso_len; i++)
            miso[i] = (addr + i < d->flash_size) ? d->flash[addr + i] : 0xFF;
        break;
    case 0x02: /* PAGE PROGRAM: wraps inside the page like the real part */
        if (d->wel && addr < d->flash_size && !eli_flash_protected(d, addr)) {
            uint32_t page = addr & ~(FLASH_PAGE - 1);
            for (uint32_t i = 0; i < mosi_len; i++) {
                uint32_t a = page + ((addr + i) % FLASH_PAGE);
                d->flash[a] &= mosi[i];
            }
            d->st.flash_bytes_written += mosi_len;
        }
        d->wel = false;
        break;
    case 0x20: /* sector erase */
        if (d->wel)
            eli_flash_erase_sector(d, addr, &us);
        d->wel = false;
        break;
    case 0x52: /* 32 KiB block erase */
        if (d->wel)
            erase_block_n(d, addr, 0x8000u, T_BLOCK32_US, &us);
        d->wel = false;
        break;
    case 0xD8: /* 64 KiB block erase */
        if (d->wel)
            eli_flash_erase_block(d, addr, &us);
        d->wel = false;
        break;
    case 0xC7: /* chip erase */
    case 0x60:
        if (d->wel)
            eli_flash_erase_chip(d, &us);
        d->wel = false;
        break;
    case 0xAB: /* release from deep power-down / read electronic id */
        for (uint32_t i = 0; i < miso_len; i++)
            miso[i] = (uint8_t)((d->cfg.jedec_id & 0xFF) - 1);
        break;
    default: /* 0x66/0x99 reset, 0xB9 deep power-down, 0x79, 0xFF, ...: accepted */
        break;
    }
    if (d->cfg.timing && us)
        d->flash_busy_until = d->now + us;
}
