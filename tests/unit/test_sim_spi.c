/* SPDX-License-Identifier: MIT */
/* Virtual device: SPI flash commands through the SPI1 controller registers (the mechanics
 * of esptool's run_spiflash_command), NOR semantics and status-register write protection. */
#include "test_sim_util.h"

#include <md5.h>

static uint32_t rd(struct elsim *d, uint32_t addr)
{
    struct st_frames fr;
    uint32_t v = 0;
    st_cmd_words(d, EL_OP_READ_REG, 1, addr);
    st_collect(d, 20000, &fr); /* 20 ms: enough for the reply with the timing model on */
    assert_int_equal(fr.n, 1);
    assert_int_equal(st_rom_status(&fr, 0, EL_OP_READ_REG, &v), 0);
    st_frames_free(&fr);
    return v;
}

static void wr(struct elsim *d, uint32_t addr, uint32_t v)
{
    struct st_frames fr;
    st_cmd_words(d, EL_OP_WRITE_REG, 4, addr, v, 0xFFFFFFFFu, 0);
    st_collect(d, 20000, &fr);
    assert_int_equal(fr.n, 1);
    assert_int_equal(st_rom_status(&fr, 0, EL_OP_WRITE_REG, NULL), 0);
    st_frames_free(&fr);
}

struct spi_layout {
    uint32_t base, usr, usr1, usr2, mosi, miso, w0;
    bool msb;
};

static const struct spi_layout esp32_spi = {0x3FF42000, 0x1C, 0x20, 0x24, 0x28, 0x2C, 0x80, true};
static const struct spi_layout c3_spi = {0x60002000, 0x18, 0x1C, 0x20, 0x24, 0x28, 0x58, false};

/* esptool loader.py run_spiflash_command, step by step over READ_REG/WRITE_REG */
static uint32_t spi(struct elsim *d, const struct spi_layout *l, uint8_t cmd, const uint8_t *data,
                    size_t dlen, unsigned read_bits, uint32_t addr, unsigned addr_len,
                    unsigned dummy)
{
    uint32_t old_usr = rd(d, l->base + l->usr), old_usr2 = rd(d, l->base + l->usr2);
    unsigned data_bits = (unsigned)dlen * 8;
    if (data_bits)
        wr(d, l->base + l->mosi, data_bits - 1);
    if (read_bits)
        wr(d, l->base + l->miso, read_bits - 1);
    uint32_t flags = 0;
    if (dummy)
        flags |= dummy - 1;
    if (addr_len)
        flags |= (addr_len - 1) << 26;
    if (flags)
        wr(d, l->base + l->usr1, flags);
    uint32_t usr = 1u << 31;
    if (read_bits)
        usr |= 1u << 28;
    if (data_bits)
        usr |= 1u << 27;
    if (addr_len)
        usr |= 1u << 30;
    if (dummy)
        usr |= 1u << 29;
    wr(d, l->base + l->usr, usr);
    wr(d, l->base + l->usr2, (7u << 28) | cmd);
    if (addr_len)
        wr(d, l->base + 4, l->msb ? addr << (32 - addr_len) : addr);
    if (!data_bits) {
        wr(d, l->base + l->w0, 0);
    } else {
        uint8_t pad[64] = {0};
        memcpy(pad, data, dlen);
        for (size_t i = 0; i < (dlen + 3) / 4; i++)
            wr(d, l->base + l->w0 + 4 * (uint32_t)i, el_get_le32(pad + 4 * i));
    }
    wr(d, l->base, 1u << 18);
    int done = 0;
    for (int i = 0; i < 10; i++)
        if ((rd(d, l->base) & (1u << 18)) == 0) {
            done = 1;
            break;
        }
    assert_true(done);
    uint32_t v = rd(d, l->base + l->w0);
    wr(d, l->base + l->usr, old_usr);
    wr(d, l->base + l->usr2, old_usr2);
    return v;
}

static void attach(struct elsim *d)
{
    struct st_frames fr;
    st_cmd_words(d, EL_OP_SPI_ATTACH, 2, 0, 0);
    st_collect(d, 20000, &fr);
    assert_int_equal(st_rom_status(&fr, 0, EL_OP_SPI_ATTACH, NULL), 0);
    st_frames_free(&fr);
}

static void test_sim_spi__rdid_rdsr_sfdp(void **state)
{
    (void)state;
    struct elsim *d = st_rom("esp32");
    attach(d);
    uint32_t id = spi(d, &esp32_spi, 0x9F, NULL, 0, 24, 0, 0, 0);
    assert_int_equal(id & 0xFF, 0xC8);            /* manufacturer */
    assert_int_equal((id >> 8) & 0xFFFF, 0x1640); /* device 4016 as esptool prints it */
    assert_int_equal(spi(d, &esp32_spi, 0x05, NULL, 0, 8, 0, 0, 0), 0);
    uint32_t sig = spi(d, &esp32_spi, 0x5A, NULL, 0, 32, 0, 24, 8);
    assert_int_equal(sig, 0x50444653); /* "SFDP" */
    /* byte 0x10 (second parameter header id) is not XMC's 0x20 */
    assert_int_equal(spi(d, &esp32_spi, 0x5A, NULL, 0, 8, 0x10, 24, 8), 0xC8);
    elsim_free(d);

    d = st_new("esp32", "jedec-id", "ef4018", "flash-size", "16MB", "r0-wdt-ms", "0", NULL);
    st_reset_download(d, 50);
    st_drain(d);
    attach(d);
    assert_int_equal(spi(d, &esp32_spi, 0x9F, NULL, 0, 24, 0, 0, 0), 0x1840EF);
    elsim_free(d);
}

static void test_sim_spi__other_chip_layout(void **state)
{
    (void)state;
    struct elsim *d = st_rom("esp32c3");
    attach(d);
    uint32_t id = spi(d, &c3_spi, 0x9F, NULL, 0, 24, 0, 0, 0);
    assert_int_equal(id, 0x1640C8);
    assert_int_equal(spi(d, &c3_spi, 0x5A, NULL, 0, 32, 0, 24, 8), 0x50444653);
    elsim_free(d);
}

static void test_sim_spi__unattached_bus_floats(void **state)
{
    (void)state;
    struct elsim *d = st_rom("esp32");
    assert_int_equal(spi(d, &esp32_spi, 0x9F, NULL, 0, 24, 0, 0, 0), 0xFFFFFF);
    elsim_free(d);
}

static void test_sim_spi__nor_and_semantics(void **state)
{
    (void)state;
    struct elsim *d = st_rom("esp32");
    attach(d);
    size_t sz;
    const uint8_t *fl = elsim_flash(d, &sz);
    uint8_t a[4] = {0xF0, 0x0F, 0xAA, 0xFF}, b[4] = {0x3C, 0xFF, 0x55, 0x00};
    spi(d, &esp32_spi, 0x06, NULL, 0, 0, 0, 0, 0);
    spi(d, &esp32_spi, 0x02, a, 4, 0, 0x5000, 24, 0);
    assert_memory_equal(fl + 0x5000, a, 4);
    /* without WREN a program does nothing */
    spi(d, &esp32_spi, 0x02, b, 4, 0, 0x5000, 24, 0);
    assert_memory_equal(fl + 0x5000, a, 4);
    /* programming again only clears bits */
    spi(d, &esp32_spi, 0x06, NULL, 0, 0, 0, 0, 0);
    spi(d, &esp32_spi, 0x02, b, 4, 0, 0x5000, 24, 0);
    uint8_t want[4] = {0x30, 0x0F, 0x00, 0x00};
    assert_memory_equal(fl + 0x5000, want, 4);
    /* read command returns flash bytes */
    assert_int_equal(spi(d, &esp32_spi, 0x03, NULL, 0, 32, 0x5000, 24, 0), 0x00000F30);
    /* sector erase sets the whole 4 KiB to 0xFF */
    spi(d, &esp32_spi, 0x06, NULL, 0, 0, 0, 0, 0);
    spi(d, &esp32_spi, 0x20, NULL, 0, 0, 0x5123, 24, 0);
    for (size_t i = 0; i < 0x1000; i++)
        assert_int_equal(fl[0x5000 + i], 0xFF);
    elsim_free(d);
}

static void md5hex(const uint8_t *p, size_t n, char out[33])
{
    MD5_CTX c;
    uint8_t dig[16];
    MD5Init(&c);
    MD5Update(&c, p, n);
    MD5Final(dig, &c);
    for (int i = 0; i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", dig[i]);
}

static void test_sim_spi__write_protect(void **state)
{
    (void)state;
    struct elsim *d = st_new("esp32", "write-protect", "1", "r0-wdt-ms", "0", NULL);
    st_reset_download(d, 50);
    st_drain(d);
    attach(d);
    /* BP2..BP0 set */
    assert_int_equal(spi(d, &esp32_spi, 0x05, NULL, 0, 8, 0, 0, 0) & 0x1C, 0x1C);
    size_t sz;
    const uint8_t *fl = elsim_flash(d, &sz);
    uint8_t data[0x400];
    memset(data, 0x12, sizeof(data));
    struct st_frames fr;
    st_cmd_words(d, EL_OP_FLASH_BEGIN, 4, 0x400, 1, 0x400, 0x10000);
    st_collect(d, 0, &fr);
    assert_int_equal(st_rom_status(&fr, 0, EL_OP_FLASH_BEGIN, NULL), 0);
    st_frames_free(&fr);
    st_data(d, EL_OP_FLASH_DATA, data, sizeof(data), 0);
    st_collect(d, 0, &fr);
    /* the write silently did nothing; the ROM's read-back check notices */
    assert_int_equal(st_rom_status(&fr, 0, EL_OP_FLASH_DATA, NULL), 0x0108);
    st_frames_free(&fr);
    assert_int_equal(fl[0x10000], 0xFF);
    char want[33];
    md5hex(data, sizeof(data), want);
    st_cmd_words(d, EL_OP_SPI_FLASH_MD5, 4, 0x10000, 0x400, 0, 0);
    st_collect(d, 0, &fr);
    assert_memory_not_equal(fr.f[0] + 8, want, 32);
    st_frames_free(&fr);
    /* clearing the status register (WREN + WRSR 0) lifts the protection */
    spi(d, &esp32_spi, 0x06, NULL, 0, 0, 0, 0, 0);
    uint8_t zero[2] = {0, 0};
    spi(d, &esp32_spi, 0x01, zero, 2, 0, 0, 0, 0);
    assert_int_equal(spi(d, &esp32_spi, 0x05, NULL, 0, 8, 0, 0, 0), 0);
    st_cmd_words(d, EL_OP_FLASH_BEGIN, 4, 0x400, 1, 0x400, 0x10000);
    st_drain(d);
    st_data(d, EL_OP_FLASH_DATA, data, sizeof(data), 0);
    st_collect(d, 0, &fr);
    assert_int_equal(st_rom_status(&fr, 0, EL_OP_FLASH_DATA, NULL), 0);
    st_frames_free(&fr);
    assert_int_equal(fl[0x10000], 0x12);
    elsim_free(d);
}

static void test_sim_spi__partial_protection(void **state)
{
    (void)state;
    struct elsim *d = st_rom("esp32");
    attach(d);
    size_t sz;
    const uint8_t *fl = elsim_flash(d, &sz);
    /* BP = 001: upper 64 KiB protected */
    spi(d, &esp32_spi, 0x06, NULL, 0, 0, 0, 0, 0);
    uint8_t sr[1] = {0x04};
    spi(d, &esp32_spi, 0x01, sr, 1, 0, 0, 0, 0);
    uint8_t v[4] = {0, 0, 0, 0};
    spi(d, &esp32_spi, 0x06, NULL, 0, 0, 0, 0, 0);
    spi(d, &esp32_spi, 0x02, v, 4, 0, (uint32_t)sz - 0x100, 24, 0);
    assert_int_equal(fl[sz - 0x100], 0xFF);
    spi(d, &esp32_spi, 0x06, NULL, 0, 0, 0, 0, 0);
    spi(d, &esp32_spi, 0x02, v, 4, 0, (uint32_t)sz - 0x10100, 24, 0);
    assert_int_equal(fl[sz - 0x10100], 0x00);
    elsim_free(d);
}

/* With the timing model, an erase started through the SPI registers keeps the flash busy
 * (WIP) while the ROM goes on answering; the busy flash ignores commands until it is done. */
static void test_sim_spi__busy_flash_wip(void **state)
{
    (void)state;
    struct elsim *d = st_new("esp32", "timing", "1", "r0-wdt-ms", "0", NULL);
    st_reset_download(d, 50);
    elsim_advance(d, 100000);
    st_drain(d);
    attach(d);
    size_t sz;
    const uint8_t *fl = elsim_flash(d, &sz);
    uint8_t a[4] = {0x12, 0x34, 0x56, 0x78};
    spi(d, &esp32_spi, 0x06, NULL, 0, 0, 0, 0, 0);
    spi(d, &esp32_spi, 0x02, a, 4, 0, 0x5000, 24, 0);
    assert_memory_equal(fl + 0x5000, a, 4);
    assert_int_equal(spi(d, &esp32_spi, 0x05, NULL, 0, 8, 0, 0, 0) & 0x03, 0);
    spi(d, &esp32_spi, 0x06, NULL, 0, 0, 0, 0, 0);
    uint64_t t0 = elsim_now_us(d);
    spi(d, &esp32_spi, 0xC7, NULL, 0, 0, 0, 0, 0); /* chip erase: 10 s for 4 MB */
    /* the ROM answers at once; the flash reports WIP (and WEL) */
    assert_int_equal(spi(d, &esp32_spi, 0x05, NULL, 0, 8, 0, 0, 0) & 0x03, 0x03);
    /* a command to the busy flash is ignored */
    uint8_t b[4] = {0, 0, 0, 0};
    spi(d, &esp32_spi, 0x06, NULL, 0, 0, 0, 0, 0);
    spi(d, &esp32_spi, 0x02, b, 4, 0, 0x6000, 24, 0);
    assert_int_equal(fl[0x6000], 0xFF);
    assert_true(elsim_now_us(d) - t0 < 5000000);
    elsim_advance(d, 10000000);
    assert_int_equal(spi(d, &esp32_spi, 0x05, NULL, 0, 8, 0, 0, 0) & 0x01, 0);
    assert_int_equal(fl[0x5000], 0xFF); /* erased */
    elsim_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sim_spi__rdid_rdsr_sfdp),
        cmocka_unit_test(test_sim_spi__other_chip_layout),
        cmocka_unit_test(test_sim_spi__unattached_bus_floats),
        cmocka_unit_test(test_sim_spi__nor_and_semantics),
        cmocka_unit_test(test_sim_spi__write_protect),
        cmocka_unit_test(test_sim_spi__partial_protection),
        cmocka_unit_test(test_sim_spi__busy_flash_wip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
