/* SPDX-License-Identifier: MIT */
/*
 * Flash MD5, read (stub streaming READ_FLASH / ROM READ_FLASH_SLOW) and erase (stub
 * ERASE_FLASH/ERASE_REGION; ROM emulation) (esptool loader.py flash_md5sum, read_flash,
 * esp32.py read_flash_slow, erase_flash, erase_region).
 */
#include "loader/loader_int.h"

#include "espload/bytes.h"
#include "espload/err.h"
#include "espload/port.h"
#include "espload/proto.h"

#include <md5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 4 KiB packets; 16 KiB unacknowledged (4 packets in flight) cover the round trip */
#define READ_PACKET         0x1000u
#define READ_IN_FLIGHT      0x4000u
#define READ_PKT_TIMEOUT_MS 3000u
#define WIP_POLL_MS         100u

int eli_md5_hex_to_raw(const uint8_t *hex, uint8_t out[16])
{
    for (int i = 0; i < 16; i++) {
        int v = 0;
        for (int k = 0; k < 2; k++) {
            uint8_t c = hex[2 * i + k];
            int h = (c >= '0' && c <= '9')   ? c - '0'
                    : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                    : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                             : -1;
            if (h < 0)
                return EL_E_PROTO;
            v = v * 16 + h;
        }
        out[i] = (uint8_t)v;
    }
    return EL_OK;
}

int el_flash_md5(struct el_loader *l, uint32_t addr, uint32_t len, uint8_t md5[16])
{
    if (!l || !md5)
        return EL_E_ARG;
    memset(md5, 0, 16);
    int rc = eli_flash_ensure_attached(l);
    if (rc != EL_OK)
        return rc;
    uint8_t d[16];
    el_put_le32(d, addr);
    el_put_le32(d + 4, len);
    el_put_le32(d + 8, 0);
    el_put_le32(d + 12, 0);
    const uint8_t *p;
    size_t n;
    rc = eli_check(l, "calculate md5sum", EL_OP_SPI_FLASH_MD5, d, 16, 0,
                   eli_timeout_per_mb(l, l->tuning.md5_ms_per_mb, len), NULL, &p, &n);
    if (rc != EL_OK)
        return rc;
    /* ROM: 32 hex characters; stub: 16 raw bytes */
    if (n == 32)
        rc = eli_md5_hex_to_raw(p, md5);
    else if (n == 16)
        memcpy(md5, p, 16);
    else
        rc = EL_E_PROTO;
    if (rc != EL_OK)
        return eli_fail(l, EL_E_PROTO, "unexpected MD5 reply of %zu bytes", n);
    return EL_OK;
}

static int read_stub(struct el_loader *l, uint32_t addr, uint8_t *buf, size_t len)
{
    uint8_t d[16];
    el_put_le32(d, addr);
    el_put_le32(d + 4, (uint32_t)len);
    el_put_le32(d + 8, READ_PACKET);
    el_put_le32(d + 12, READ_IN_FLIGHT);
    int rc = eli_check(l, "read flash", EL_OP_READ_FLASH, d, 16, 0, l->tuning.timeout_ms, NULL,
                       NULL, NULL);
    if (rc != EL_OK)
        return rc;
    struct el_progress pr = {.op = EL_PROG_READ,
                             .start = addr,
                             .addr = addr,
                             .total = len,
                             .wire_total = len,
                             .blocks = (uint32_t)((len + READ_PACKET - 1) / READ_PACKET)};
    eli_progress(l, &pr);
    size_t got = 0;
    MD5_CTX c;
    MD5Init(&c);
    while (got < len) {
        const uint8_t *f;
        size_t n;
        rc = eli_read_frame(l, READ_PKT_TIMEOUT_MS, &f, &n);
        if (rc != EL_OK)
            return rc;
        if (n > len - got)
            return eli_fail(l, EL_E_PROTO, "Read more than expected");
        if (n < READ_PACKET && got + n < len)
            return eli_fail(l, EL_E_PROTO,
                            "Corrupt data, expected 0x%x bytes but received 0x%zx bytes",
                            READ_PACKET, n);
        memcpy(buf + got, f, n);
        MD5Update(&c, f, n);
        got += n;
        uint8_t ack[4];
        el_put_le32(ack, (uint32_t)got);
        rc = eli_send_frame(l, ack, 4);
        if (rc != EL_OK)
            return rc;
        pr.done = pr.wire_done = got;
        pr.addr = addr + (uint32_t)got;
        pr.block++;
        eli_progress(l, &pr);
    }
    const uint8_t *f;
    size_t n;
    rc = eli_read_frame(l, READ_PKT_TIMEOUT_MS, &f, &n);
    if (rc != EL_OK)
        return rc;
    if (n != 16)
        return eli_fail(l, EL_E_PROTO, "Expected digest, got a %zu-byte frame", n);
    uint8_t mine[16];
    MD5Final(mine, &c);
    if (memcmp(mine, f, 16) != 0)
        return eli_fail(l, EL_E_VERIFY,
                        "Digest mismatch: the data read differs from the "
                        "device's MD5 (serial corruption?)");
    return EL_OK;
}

static int read_rom(struct el_loader *l, uint32_t addr, uint8_t *buf, size_t len)
{
    struct el_progress pr = {.op = EL_PROG_READ,
                             .start = addr,
                             .addr = addr,
                             .total = len,
                             .wire_total = len,
                             .blocks =
                                 (uint32_t)((len + EL_READ_SLOW_BLOCK - 1) / EL_READ_SLOW_BLOCK)};
    eli_progress(l, &pr);
    for (size_t off = 0; off < len; off += EL_READ_SLOW_BLOCK) {
        size_t bl = len - off < EL_READ_SLOW_BLOCK ? len - off : EL_READ_SLOW_BLOCK;
        uint8_t d[8];
        el_put_le32(d, addr + (uint32_t)off);
        el_put_le32(d + 4, (uint32_t)bl);
        const uint8_t *p;
        size_t n;
        int rc = eli_check(l, "read flash block", EL_OP_READ_FLASH_SLOW, d, 8, 0,
                           l->tuning.timeout_ms, NULL, &p, &n);
        if (rc != EL_OK)
            return rc;
        if (n < bl)
            return eli_fail(l, EL_E_PROTO, "Expected %zu byte block, got %zu bytes. Serial errors?",
                            bl, n);
        memcpy(buf + off, p, bl);
        pr.done = pr.wire_done = off + bl;
        pr.addr = addr + (uint32_t)(off + bl);
        pr.block++;
        if (pr.block % 64 == 0 || off + bl == len)
            eli_progress(l, &pr);
    }
    return EL_OK;
}

int el_flash_read(struct el_loader *l, uint32_t addr, uint8_t *buf, size_t len)
{
    if (!l || (!buf && len))
        return EL_E_ARG;
    eli_clear_error(l);
    if (!el_loader_chip(l))
        return eli_fail(l, EL_E_ARG, "not connected");
    if (len > 0xFFFFFFFFu || (uint64_t)addr + len > 0x100000000ull)
        return eli_fail(l, EL_E_SIZE, "read region too large");
    if (!len)
        return EL_OK;
    int rc = eli_flash_ensure_attached(l);
    if (rc != EL_OK)
        return rc;
    return l->stub ? read_stub(l, addr, buf, len) : read_rom(l, addr, buf, len);
}

int el_flash_erase_all(struct el_loader *l)
{
    if (!l)
        return EL_E_ARG;
    eli_clear_error(l);
    if (!el_loader_chip(l))
        return eli_fail(l, EL_E_ARG, "not connected");
    int rc = eli_flash_ensure_attached(l);
    if (rc != EL_OK)
        return rc;
    if (l->stub)
        return eli_check(l, "erase flash", EL_OP_ERASE_FLASH, NULL, 0, 0,
                         l->tuning.chip_erase_timeout_ms, NULL, NULL, NULL);
    /* The ROM has no ERASE_FLASH: run write-enable + chip erase on the SPI controller and
     * poll the write-in-progress bit, bounded by the chip-erase timeout. */
    rc = el_flash_spi_command(l, 0x06, NULL, 0, 0, 0, 0, 0, NULL);
    if (rc == EL_OK)
        rc = el_flash_spi_command(l, 0xC7, NULL, 0, 0, 0, 0, 0, NULL);
    if (rc != EL_OK)
        return rc;
    for (unsigned waited = 0;; waited += WIP_POLL_MS) {
        uint32_t sr;
        rc = el_flash_spi_command(l, 0x05, NULL, 0, 8, 0, 0, 0, &sr);
        if (rc != EL_OK)
            return rc;
        if (!(sr & 1u))
            return EL_OK;
        if (waited >= l->tuning.chip_erase_timeout_ms)
            return eli_fail(l, EL_E_TIMEOUT,
                            "chip erase did not finish within %u s (status register 0x%02x)",
                            l->tuning.chip_erase_timeout_ms / 1000, (unsigned)sr);
        el_port_sleep_ms(l->port, WIP_POLL_MS);
    }
}

int el_flash_erase_region(struct el_loader *l, uint32_t addr, uint32_t len)
{
    if (!l)
        return EL_E_ARG;
    eli_clear_error(l);
    if (!el_loader_chip(l))
        return eli_fail(l, EL_E_ARG, "not connected");
    if (addr % EL_FLASH_SECTOR)
        return eli_fail(l, EL_E_ARG, "Offset to erase from must be a multiple of 4096");
    if (len % EL_FLASH_SECTOR)
        return eli_fail(l, EL_E_ARG, "Size of data to erase must be a multiple of 4096");
    if (!len)
        return EL_OK;
    int rc = eli_flash_ensure_attached(l);
    if (rc != EL_OK)
        return rc;
    unsigned to = eli_timeout_per_mb(l, l->tuning.erase_region_ms_per_mb, len);
    uint8_t d[16];
    if (l->stub) {
        el_put_le32(d, addr);
        el_put_le32(d + 4, len);
        return eli_check(l, "erase region", EL_OP_ERASE_REGION, d, 8, 0, to, NULL, NULL, NULL);
    }
    /* ROM: the ROM erases the region on FLASH_BEGIN; without SPI_SET_PARAMS it assumes
     * 2 MB and refuses regions beyond that */
    if (!l->flash_size_set) {
        uint32_t id = 0, size = 0;
        if (el_flash_read_id(l, &id) == EL_OK)
            size = el_flash_size_from_id(id);
        if (!size)
            size = 16u << 20;
        rc = el_flash_set_params(l, size);
        if (rc != EL_OK)
            return rc;
    }
    el_put_le32(d, len);
    el_put_le32(d + 4, (len + EL_ROM_FLASH_BLOCK - 1) / EL_ROM_FLASH_BLOCK);
    el_put_le32(d + 8, EL_ROM_FLASH_BLOCK);
    el_put_le32(d + 12, addr);
    eli_event(l, EL_EV_ROM_ERASING, addr, len, 0, NULL);
    rc = eli_check(l, "enter Flash download mode", EL_OP_FLASH_BEGIN, d, 16, 0, to, NULL, NULL,
                   NULL);
    if (rc == EL_OK)
        l->flash_begun = true;
    return rc;
}
