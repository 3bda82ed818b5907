/* SPDX-License-Identifier: MIT */
/*
 * What the ROM prints when the chip comes out of reset: the banner with reset cause and
 * strapping value, then either "waiting for download" or the result of booting the image
 * at the bootloader offset: "load:0x..,len:N" per segment and "entry 0x..", or the ROM's
 * error ("invalid header: 0x........" repeating until the RTC watchdog resets the chip,
 * "csum err", "flash read err"). ESP32 text from real boot logs (see the seed notes and
 * ESP-IDF docs); the banner lines of the later chips are approximations of their ROM text.
 * The application itself is not executed: after "entry" the device is quiet.
 */
#include "elsim_int.h"
#include "espload/bytes.h"

#include <string.h>

static const char *esp32_reset_name(uint8_t cause)
{
    switch (cause) {
    case 0x01:
        return "POWERON_RESET";
    case 0x03:
        return "SW_RESET";
    case 0x0C:
        return "SW_CPU_RESET";
    case 0x10:
        return "RTCWDT_RTC_RESET";
    default:
        return "UNKNOWN_RESET";
    }
}

static const char *new_reset_name(uint8_t cause)
{
    switch (cause) {
    case 0x01:
        return "POWERON";
    case 0x03:
        return "RTC_SW_SYS_RST";
    case 0x0C:
        return "RTC_SW_CPU_RST";
    case 0x10:
        return "RTCWDT_RTC_RST";
    default:
        return "UNKNOWN";
    }
}

struct later_rom {
    enum el_chip_id id;
    const char *rom, *build, *flash_boot, *dl_boot;
};

static const struct later_rom later[] = {
    {EL_CHIP_ESP32S2, "esp32s2-rc4-20191025", "Oct 25 2019", "0x8 (SPI_FAST_FLASH_BOOT)",
     "0x0 (DOWNLOAD(USB/UART0/1))"},
    {EL_CHIP_ESP32S3, "esp32s3-20210327", "Mar 27 2021", "0x8 (SPI_FAST_FLASH_BOOT)",
     "0x0 (DOWNLOAD(USB/UART0))"},
    {EL_CHIP_ESP32C3, "esp32c3-api1-20210207", "Feb  7 2021", "0xc (SPI_FAST_FLASH_BOOT)",
     "0x4 (DOWNLOAD(USB/UART/GDMA))"},
    {EL_CHIP_ESP32C6, "esp32c6-20220919", "Sep 19 2022", "0xc (SPI_FAST_FLASH_BOOT)",
     "0x4 (DOWNLOAD(USB/UART/SDIO))"},
    {EL_CHIP_ESP32H2, "esp32h2-20221101", "Nov  1 2022", "0xc (SPI_FAST_FLASH_BOOT)",
     "0x4 (DOWNLOAD(USB/UART))"},
    {EL_CHIP_ESP32C2, "esp8684-api2-20220127", "Jan 27 2022", "0x8 (SPI_FAST_FLASH_BOOT)",
     "0x0 (DOWNLOAD(UART))"},
};

static void banner(struct elsim *d, bool download, bool full, uint64_t t)
{
    char buf[256];
    if (d->chip->id == EL_CHIP_ESP32) {
        /* ECO3 (v3.x) parts carry a newer ROM */
        const char *date = d->rev_major >= 3 ? "Jul 29 2019 12:21:46" : "Jun  8 2016 00:22:57";
        snprintf(buf, sizeof(buf), "ets %s\r\n\r\nrst:0x%x (%s),boot:%s\r\n%s", date, d->rst_cause,
                 esp32_reset_name(d->rst_cause),
                 download ? "0x3 (DOWNLOAD_BOOT(UART0/UART1/SDIO_REI_REO_V2))"
                          : "0x13 (SPI_FAST_FLASH_BOOT)",
                 download && full ? "waiting for download\r\n" : "");
    } else {
        const struct later_rom *r = &later[0];
        for (size_t i = 0; i < sizeof(later) / sizeof(later[0]); i++)
            if (later[i].id == d->chip->id)
                r = &later[i];
        snprintf(buf, sizeof(buf), "ESP-ROM:%s\r\nBuild:%s\r\nrst:0x%x (%s),boot:%s\r\n%s", r->rom,
                 r->build, d->rst_cause, new_reset_name(d->rst_cause),
                 download ? r->dl_boot : r->flash_boot,
                 download && full ? "waiting for download\r\n" : "");
    }
    eli_sim_emit_str(d, buf, t);
}

void eli_boot_banner(struct elsim *d, bool download, uint64_t t)
{
    banner(d, download, true, t);
}

void eli_boot_banner_rst(struct elsim *d, bool download, uint64_t t)
{
    banner(d, download, false, t);
}

static const char *mode_name(uint8_t mode)
{
    switch (mode) {
    case 0:
        return "QIO";
    case 1:
        return "QOUT";
    case 2:
        return "DIO";
    case 3:
        return "DOUT";
    default:
        return "FAST_READ";
    }
}

static int clock_div(uint8_t freq_nibble)
{
    switch (freq_nibble & 0xF) {
    case 0x0:
        return 2; /* 40 MHz */
    case 0x1:
        return 3; /* 26 MHz */
    case 0x2:
        return 4; /* 20 MHz */
    case 0xF:
        return 1; /* 80 MHz */
    default:
        return 2;
    }
}

static void read_err(struct elsim *d, uint32_t off, uint64_t t)
{
    char buf[80];
    snprintf(buf, sizeof(buf), "flash read err, %x\r\nets_main.c 371 \r\n", (unsigned)off);
    eli_boot_fatal(d, buf, t);
}

void eli_boot_flash(struct elsim *d, uint64_t t)
{
    char buf[160];
    uint8_t hdr[24];
    uint32_t off = d->chip->bootloader_offset;
    d->attached = true; /* the ROM sets up the flash pins itself to boot */
    if (eli_flash_read(d, off, hdr, sizeof(hdr))) {
        read_err(d, off, t);
        return;
    }
    if (hdr[0] != 0xE9) {
        snprintf(buf, sizeof(buf), "invalid header: 0x%08x\r\n", (unsigned)el_get_le32(hdr));
        eli_boot_loop(d, buf, t);
        return;
    }
    if (d->chip->id == EL_CHIP_ESP32) {
        snprintf(buf, sizeof(buf),
                 "configsip: 0, SPIWP:0x%02x\r\n"
                 "clk_drv:0x%02x,q_drv:0x%02x,d_drv:0x%02x,cs0_drv:0x%02x,hd_drv:0x%02x,"
                 "wp_drv:0x%02x\r\n",
                 hdr[8], hdr[9] & 0xF, hdr[9] >> 4, hdr[10] & 0xF, hdr[10] >> 4, hdr[11] & 0xF,
                 hdr[11] >> 4);
        eli_sim_emit_str(d, buf, t);
    } else {
        snprintf(buf, sizeof(buf), "SPIWP:0x%02x\r\n", hdr[8]);
        eli_sim_emit_str(d, buf, t);
    }
    snprintf(buf, sizeof(buf), "mode:%s, clock div:%d\r\n", mode_name(hdr[2]), clock_div(hdr[3]));
    eli_sim_emit_str(d, buf, t);

    uint32_t pos = off + 24;
    uint8_t csum = 0xEF;
    for (unsigned i = 0; i < hdr[1]; i++) {
        uint8_t sh[8];
        if (eli_flash_read(d, pos, sh, 8)) {
            read_err(d, pos, t);
            return;
        }
        uint32_t addr = el_get_le32(sh), len = el_get_le32(sh + 4);
        snprintf(buf, sizeof(buf), "load:0x%08x,len:%u\r\n", (unsigned)addr, (unsigned)len);
        eli_sim_emit_str(d, buf, t);
        pos += 8;
        if (len > d->flash_size || pos + (uint64_t)len > d->flash_size) {
            read_err(d, pos, t);
            return;
        }
        for (uint32_t k = 0; k < len; k++)
            csum ^= d->flash[pos + k];
        pos += len;
    }
    uint32_t flen = pos - off;
    uint32_t ck = pos + (15 - flen % 16);
    if (ck >= d->flash_size) {
        read_err(d, ck, t);
        return;
    }
    if (d->flash[ck] != csum) {
        snprintf(buf, sizeof(buf), "csum err:0x%02x!=0x%02x\r\nets_main.c 371 \r\n", csum,
                 d->flash[ck]);
        eli_boot_fatal(d, buf, t);
        return;
    }
    snprintf(buf, sizeof(buf), "entry 0x%08x\r\n", (unsigned)el_get_le32(hdr + 4));
    eli_sim_emit_str(d, buf, t);
    d->state = ELSIM_ST_APP;
}
