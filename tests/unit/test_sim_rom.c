/* SPDX-License-Identifier: MIT */
/* Virtual device: the ESP32 ROM loader, driven through the public API with hand-built
 * frames. Golden byte vectors come from ROM facts (PROTOCOL.md, esptool traces), not from
 * the client code. */
#include "test_sim_util.h"

#include <md5.h>
#include <zlib.h>

static void expect_frame(const struct st_frames *fr, size_t i, const uint8_t *want, size_t n)
{
    assert_true(fr->n > i);
    assert_int_equal(fr->len[i], n);
    assert_memory_equal(fr->f[i], want, n);
}

static void test_sim_rom__sync_eight_replies(void **state)
{
    (void)state;
    struct elsim *d = st_rom("esp32");
    uint8_t sync[36];
    el_sync_data(sync);
    st_cmd(d, EL_OP_SYNC, sync, sizeof(sync), 0);
    struct st_frames fr;
    st_collect(d, 0, &fr);
    /* golden: 01 08 0400 <value 0x20120707> 00 00 00 00, eight times */
    static const uint8_t want[] = {0x01, 0x08, 0x04, 0x00, 0x07, 0x07,
                                   0x12, 0x20, 0x00, 0x00, 0x00, 0x00};
    assert_int_equal(fr.n, 8);
    for (size_t i = 0; i < 8; i++)
        expect_frame(&fr, i, want, sizeof(want));
    st_frames_free(&fr);
    elsim_free(d);
}

static void test_sim_rom__read_reg_magic_golden(void **state)
{
    (void)state;
    struct elsim *d = st_rom("esp32");
    st_cmd_words(d, EL_OP_READ_REG, 1, 0x40001000u);
    struct st_frames fr;
    st_collect(d, 0, &fr);
    /* observed ESP32 ROM reply (esptool issue #698 trace): 010a0400831df00000000000 */
    static const uint8_t want[] = {0x01, 0x0A, 0x04, 0x00, 0x83, 0x1D,
                                   0xF0, 0x00, 0x00, 0x00, 0x00, 0x00};
    assert_int_equal(fr.n, 1);
    expect_frame(&fr, 0, want, sizeof(want));
    st_frames_free(&fr);
    elsim_free(d);
}

static uint32_t read_reg(struct elsim *d, uint32_t addr)
{
    struct st_frames fr;
    uint32_t v = 0;
    st_cmd_words(d, EL_OP_READ_REG, 1, addr);
    st_collect(d, 0, &fr);
    assert_int_equal(fr.n, 1);
    assert_int_equal(st_rom_status(&fr, 0, EL_OP_READ_REG, &v), 0);
    st_frames_free(&fr);
    return v;
}

static int simple(struct elsim *d, uint8_t op)
{
    struct st_frames fr;
    st_collect(d, 0, &fr);
    assert_int_equal(fr.n, 1);
    int st = st_rom_status(&fr, 0, op, NULL);
    st_frames_free(&fr);
    return st;
}

static uint8_t crc8_ref(const uint8_t *m)
{
    /* written from the description "CRC-8, reflected polynomial 0x8C, init 0" */
    uint8_t c = 0;
    for (int i = 0; i < 6; i++) {
        c ^= m[i];
        for (int k = 0; k < 8; k++)
            c = (uint8_t)((c & 1) ? (c >> 1) ^ 0x8C : c >> 1);
    }
    return c;
}

static void test_sim_rom__efuse_identity(void **state)
{
    (void)state;
    struct elsim *d = st_rom("esp32");
    uint32_t w1 = read_reg(d, 0x3FF5A004), w2 = read_reg(d, 0x3FF5A008);
    uint8_t mac[6] = {(uint8_t)(w2 >> 8),  (uint8_t)w2,        (uint8_t)(w1 >> 24),
                      (uint8_t)(w1 >> 16), (uint8_t)(w1 >> 8), (uint8_t)w1};
    static const uint8_t seed_mac[6] = {0x30, 0xAE, 0xA4, 0x80, 0x55, 0xE0};
    assert_memory_equal(mac, seed_mac, 6);
    assert_int_equal((w2 >> 16) & 0xFF, crc8_ref(seed_mac));
    uint32_t w3 = read_reg(d, 0x3FF5A00C);
    assert_int_equal((w3 >> 9) & 7, 1);               /* package 1: ESP32-D0WD ("D0WDQ5") */
    assert_int_equal((w3 >> 15) & 1, 0);              /* revision 0 */
    assert_int_equal(w3 & 3, 0);                      /* dual core, BT */
    assert_int_equal(read_reg(d, 0x3FF5A018) & 3, 0); /* coding scheme none */
    assert_int_equal(read_reg(d, 0x3FF6607C) >> 31, 0);
    /* the same eFuse block answers at the 0x6001A000 alias that esptool v2 used */
    assert_int_equal(read_reg(d, 0x6001A00C), w3);
    /* crystal: CLKDIV at 115200 gives 40 MHz by esptool's estimate */
    uint32_t div = read_reg(d, 0x3FF40014) & 0xFFFFF;
    double est = 115200.0 * div / 1e6;
    assert_true(est > 33 && est < 45);
    /* the ROM clock estimate esptool computes lands near 40 MHz (below 33 MHz means 26) */
    uint32_t cali = (read_reg(d, 0x3FF5F06C) >> 7) & 0x1FFFFFF;
    double rom = (double)cali * 15625 * (read_reg(d, 0x3FF5A010) & 0xFF) / 40;
    assert_true(rom > 33e6 && rom < 45e6);
    /* UART_DATE as observed on a real ESP32 */
    assert_int_equal(read_reg(d, 0x60000078), 0x15122500);
    elsim_free(d);
}

static void test_sim_rom__unsupported_opcode(void **state)
{
    (void)state;
    uint8_t ops[] = {0x14, 0xD0, 0xD2, 0x01};
    for (size_t k = 0; k < sizeof(ops); k++) {
        struct elsim *d = st_rom("esp32");
        st_cmd(d, ops[k], NULL, 0, 0);
        struct st_frames fr;
        st_collect(d, 0, &fr);
        /* 8 replies of 12 bytes (14 with delimiters): status 1, error 5, opcode not echoed */
        static const uint8_t want[] = {0x01, 0x00, 0x04, 0x00, 0x00, 0x00,
                                       0x00, 0x00, 0x01, 0x05, 0x00, 0x00};
        assert_int_equal(fr.n, 8);
        for (size_t i = 0; i < 8; i++)
            expect_frame(&fr, i, want, sizeof(want));
        st_frames_free(&fr);
        /* the ROM carries on */
        assert_int_equal(read_reg(d, 0x40001000), 0x00F01D83);
        elsim_free(d);
    }
}

static void test_sim_rom__checksum_error(void **state)
{
    (void)state;
    struct elsim *d = st_rom("esp32");
    st_cmd_words(d, EL_OP_SPI_ATTACH, 2, 0, 0);
    assert_int_equal(simple(d, EL_OP_SPI_ATTACH), 0);
    st_cmd_words(d, EL_OP_FLASH_BEGIN, 4, 0x1000, 1, 0x400, 0x10000);
    assert_int_equal(simple(d, EL_OP_FLASH_BEGIN), 0);
    uint8_t buf[16 + 0x400];
    el_put_le32(buf, 0x400);
    el_put_le32(buf + 4, 0);
    el_put_le32(buf + 8, 0);
    el_put_le32(buf + 12, 0);
    memset(buf + 16, 0x11, 0x400);
    st_cmd(d, EL_OP_FLASH_DATA, buf, sizeof(buf), 0x42); /* wrong checksum */
    struct st_frames fr;
    st_collect(d, 0, &fr);
    static const uint8_t want[] = {0x01, 0x03, 0x04, 0x00, 0x00, 0x00,
                                   0x00, 0x00, 0x01, 0x07, 0x00, 0x00};
    expect_frame(&fr, 0, want, sizeof(want));
    st_frames_free(&fr);
    elsim_free(d);
}

static void md5_of(const uint8_t *p, size_t n, char hex[33])
{
    MD5_CTX c;
    uint8_t dig[16];
    MD5Init(&c);
    MD5Update(&c, p, n);
    MD5Final(dig, &c);
    for (int i = 0; i < 16; i++)
        snprintf(hex + 2 * i, 3, "%02x", dig[i]);
}

static void rom_md5(struct elsim *d, uint32_t addr, uint32_t len, char hex[33])
{
    st_cmd_words(d, EL_OP_SPI_FLASH_MD5, 4, addr, len, 0, 0);
    struct st_frames fr;
    st_collect(d, 0, &fr);
    assert_int_equal(fr.n, 1);
    assert_int_equal(fr.len[0], 8 + 32 + 4); /* 32 ASCII hex chars + 4 status bytes */
    assert_int_equal(st_rom_status(&fr, 0, EL_OP_SPI_FLASH_MD5, NULL), 0);
    memcpy(hex, fr.f[0] + 8, 32);
    hex[32] = '\0';
    st_frames_free(&fr);
}

static void test_sim_rom__flash_write_md5(void **state)
{
    (void)state;
    struct elsim *d = st_rom("esp32");
    st_cmd_words(d, EL_OP_SPI_ATTACH, 2, 0, 0);
    assert_int_equal(simple(d, EL_OP_SPI_ATTACH), 0);
    /* dirty the flash first so the up-front erase matters */
    size_t fsz;
    const uint8_t *flash = elsim_flash(d, &fsz);
    assert_int_equal(fsz, 4u << 20);
    uint8_t data[3 * 0x400];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i * 7 + 3);
    st_cmd_words(d, EL_OP_FLASH_BEGIN, 4, sizeof(data), 3, 0x400, 0x20000);
    assert_int_equal(simple(d, EL_OP_FLASH_BEGIN), 0);
    for (uint32_t s = 0; s < 3; s++) {
        st_data(d, EL_OP_FLASH_DATA, data + s * 0x400, 0x400, s);
        assert_int_equal(simple(d, EL_OP_FLASH_DATA), 0);
    }
    assert_memory_equal(flash + 0x20000, data, sizeof(data));
    /* FLASH_BEGIN erased whole sectors: the rest of the sector is 0xFF */
    for (size_t i = sizeof(data); i < 0x1000; i++)
        assert_int_equal(flash[0x20000 + i], 0xFF);
    char want[33], got[33];
    md5_of(data, sizeof(data), want);
    rom_md5(d, 0x20000, sizeof(data), got);
    assert_string_equal(got, want);
    /* wrong sequence number is refused */
    st_cmd_words(d, EL_OP_FLASH_BEGIN, 4, 0x400, 1, 0x400, 0x30000);
    assert_int_equal(simple(d, EL_OP_FLASH_BEGIN), 0);
    st_data(d, EL_OP_FLASH_DATA, data, 0x400, 5);
    assert_int_equal(simple(d, EL_OP_FLASH_DATA), 0x0105);
    elsim_free(d);
}

/* D3: the ESP32 ROM takes exactly 4 words in FLASH_BEGIN / FLASH_DEFL_BEGIN; a fifth
 * ("encrypted", as esptool-js sends it) is refused 01 05. Later ROMs take 5 words. */
static void test_sim_rom__begin_five_words(void **state)
{
    (void)state;
    static const uint8_t ops[] = {EL_OP_FLASH_BEGIN, EL_OP_FLASH_DEFL_BEGIN};
    for (size_t k = 0; k < sizeof(ops); k++) {
        struct elsim *d = st_rom("esp32");
        st_cmd_words(d, EL_OP_SPI_ATTACH, 2, 0, 0);
        assert_int_equal(simple(d, EL_OP_SPI_ATTACH), 0);
        st_cmd_words(d, ops[k], 5, 0x400, 1, 0x400, 0x108000, 0);
        assert_int_equal(simple(d, ops[k]), 0x0105);
        /* no session was opened: a data block is refused too */
        uint8_t blk[0x400];
        memset(blk, 0x3C, sizeof(blk));
        st_data(d, ops[k] + 1, blk, sizeof(blk), 0);
        assert_int_not_equal(simple(d, (uint8_t)(ops[k] + 1)), 0);
        st_cmd_words(d, ops[k], 4, 0x400, 1, 0x400, 0x108000);
        assert_int_equal(simple(d, ops[k]), 0);
        st_cmd_words(d, ops[k], 3, 0x400, 1, 0x400);
        assert_int_equal(simple(d, ops[k]), 0x0105);
        elsim_free(d);
    }
    struct elsim *d = st_rom("esp32s3");
    st_cmd_words(d, EL_OP_FLASH_BEGIN, 5, 0x400, 1, 0x400, 0x108000, 0);
    assert_int_equal(simple(d, EL_OP_FLASH_BEGIN), 0);
    elsim_free(d);
}

/* A data block with the 16-byte header, size word `declared`, checksum `chk` (-1: right) */
static void data_raw(struct elsim *d, uint8_t op, const uint8_t *payload, uint32_t len,
                     uint32_t declared, uint32_t seq, int chk)
{
    uint8_t *buf = malloc(16 + len);
    el_put_le32(buf, declared);
    el_put_le32(buf + 4, seq);
    el_put_le32(buf + 8, 0);
    el_put_le32(buf + 12, 0);
    memcpy(buf + 16, payload, len);
    st_cmd(d, op, buf, 16 + len,
           chk >= 0 ? (uint32_t)chk : el_checksum(payload, len, EL_CHECKSUM_SEED));
    free(buf);
}

/* blocks of the ROM comparison (tests/conformance/dev/rom-compare.py) */
static void cmp_block(uint8_t *b, unsigned k)
{
    for (unsigned i = 0; i < 0x400; i++)
        b[i] = (uint8_t)(i * 7 + k * 13);
}

/* D4, golden from the ESP32 ROM (ECO3 under QEMU): 3 x 1 KiB at 0x100000; seq 0 ok, seq 1
 * with a bad checksum 01 07 (counted anyway), seq 1 again 01 05, seq 3 01 05, seq 2 ok and
 * written where block 1 should have gone: block0, block2, 0xFF. */
static void test_sim_rom__data_seq_after_bad_checksum(void **state)
{
    (void)state;
    static const uint8_t ops[] = {EL_OP_FLASH_DATA, EL_OP_MEM_DATA};
    struct elsim *d = st_rom("esp32");
    uint8_t blk[4][0x400];
    for (unsigned k = 0; k < 4; k++)
        cmp_block(blk[k], k);
    for (size_t k = 0; k < sizeof(ops); k++) {
        uint8_t op = ops[k];
        if (op == EL_OP_FLASH_DATA) {
            st_cmd_words(d, EL_OP_SPI_ATTACH, 2, 0, 0);
            assert_int_equal(simple(d, EL_OP_SPI_ATTACH), 0);
            st_cmd_words(d, EL_OP_FLASH_BEGIN, 4, 0xC00, 3, 0x400, 0x100000);
            assert_int_equal(simple(d, EL_OP_FLASH_BEGIN), 0);
        } else {
            st_cmd_words(d, EL_OP_MEM_BEGIN, 4, 0xC00, 3, 0x400, 0x3FFB0000);
            assert_int_equal(simple(d, EL_OP_MEM_BEGIN), 0);
        }
        data_raw(d, op, blk[0], 0x400, 0x400, 0, -1);
        assert_int_equal(simple(d, op), 0);
        data_raw(d, op, blk[1], 0x400, 0x400, 1, el_checksum(blk[1], 0x400, EL_CHECKSUM_SEED) ^ 1);
        assert_int_equal(simple(d, op), 0x0107);
        data_raw(d, op, blk[1], 0x400, 0x400, 1, -1);
        assert_int_equal(simple(d, op), 0x0105);
        data_raw(d, op, blk[3], 0x400, 0x400, 3, -1);
        assert_int_equal(simple(d, op), 0x0105);
        data_raw(d, op, blk[2], 0x400, 0x400, 2, -1);
        assert_int_equal(simple(d, op), 0);
    }
    char got[33];
    rom_md5(d, 0x100000, 0xC00, got);
    assert_string_equal(got, "6e23a5e55af57c8b0826d9156816b9a8");
    /* the same in RAM: block 2 follows block 0 */
    uint32_t w0 = (uint32_t)blk[2][0] | (uint32_t)blk[2][1] << 8 | (uint32_t)blk[2][2] << 16 |
                  (uint32_t)blk[2][3] << 24;
    assert_int_equal(read_reg(d, 0x3FFB0400), w0);
    elsim_free(d);
}

/* D5, golden from the ESP32 ROM: a size word (0x200) smaller than the data (0x400) is
 * accepted, only 0x200 bytes are written, the sequence number advances. */
static void test_sim_rom__data_size_word_smaller(void **state)
{
    (void)state;
    struct elsim *d = st_rom("esp32");
    uint8_t blk[0x400];
    cmp_block(blk, 0);
    st_cmd_words(d, EL_OP_SPI_ATTACH, 2, 0, 0);
    assert_int_equal(simple(d, EL_OP_SPI_ATTACH), 0);
    st_cmd_words(d, EL_OP_FLASH_BEGIN, 4, 0x400, 1, 0x400, 0x104000);
    assert_int_equal(simple(d, EL_OP_FLASH_BEGIN), 0);
    data_raw(d, EL_OP_FLASH_DATA, blk, 0x400, 0x200, 0, -1);
    assert_int_equal(simple(d, EL_OP_FLASH_DATA), 0);
    data_raw(d, EL_OP_FLASH_DATA, blk, 0x400, 0x400, 0, -1);
    assert_int_equal(simple(d, EL_OP_FLASH_DATA), 0x0105);
    char got[33];
    rom_md5(d, 0x104000, 0x400, got);
    assert_string_equal(got, "f86213715804fd8611ad11a7339a3223");
    /* a size word larger than the data is refused */
    st_cmd_words(d, EL_OP_FLASH_BEGIN, 4, 0x400, 1, 0x400, 0x105000);
    assert_int_equal(simple(d, EL_OP_FLASH_BEGIN), 0);
    data_raw(d, EL_OP_FLASH_DATA, blk, 0x200, 0x400, 0, -1);
    assert_int_equal(simple(d, EL_OP_FLASH_DATA), 0x0105);
    elsim_free(d);
}

static void test_sim_rom__deflate(void **state)
{
    (void)state;
    struct elsim *d = st_rom("esp32");
    st_cmd_words(d, EL_OP_SPI_ATTACH, 2, 0, 0);
    assert_int_equal(simple(d, EL_OP_SPI_ATTACH), 0);
    static uint8_t raw[20000];
    for (size_t i = 0; i < sizeof(raw); i++)
        raw[i] = (uint8_t)((i / 37) ^ (i % 11));
    uLongf clen = compressBound(sizeof(raw));
    uint8_t *comp = malloc(clen);
    assert_int_equal(compress2(comp, &clen, raw, sizeof(raw), 9), Z_OK);
    uint32_t blocks = (uint32_t)((clen + 0x3FF) / 0x400);
    uint32_t rsize = (sizeof(raw) + 0x3FF) & ~0x3FFu;
    st_cmd_words(d, EL_OP_FLASH_DEFL_BEGIN, 4, rsize, blocks, 0x400, 0x10000);
    assert_int_equal(simple(d, EL_OP_FLASH_DEFL_BEGIN), 0);
    for (uint32_t s = 0; s < blocks; s++) {
        uint32_t n = (uint32_t)(clen - s * 0x400 < 0x400 ? clen - s * 0x400 : 0x400);
        st_data(d, EL_OP_FLASH_DEFL_DATA, comp + s * 0x400, n, s);
        assert_int_equal(simple(d, EL_OP_FLASH_DEFL_DATA), 0);
    }
    char want[33], got[33];
    md5_of(raw, sizeof(raw), want);
    rom_md5(d, 0x10000, sizeof(raw), got);
    assert_string_equal(got, want);
    /* a corrupted stream is refused with a deflate error */
    st_cmd_words(d, EL_OP_FLASH_DEFL_BEGIN, 4, rsize, blocks, 0x400, 0x10000);
    assert_int_equal(simple(d, EL_OP_FLASH_DEFL_BEGIN), 0);
    uint8_t junk[64];
    memset(junk, 0x5A, sizeof(junk));
    st_data(d, EL_OP_FLASH_DEFL_DATA, junk, sizeof(junk), 0);
    assert_int_equal(simple(d, EL_OP_FLASH_DEFL_DATA), 0x010B);
    free(comp);
    elsim_free(d);
}

static void test_sim_rom__read_flash_slow(void **state)
{
    (void)state;
    struct elsim *d = st_rom("esp32");
    st_cmd_words(d, EL_OP_SPI_ATTACH, 2, 0, 0);
    assert_int_equal(simple(d, EL_OP_SPI_ATTACH), 0);
    uint8_t data[0x400];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(0xA0 + i);
    st_cmd_words(d, EL_OP_FLASH_BEGIN, 4, 0x400, 1, 0x400, 0x3000);
    assert_int_equal(simple(d, EL_OP_FLASH_BEGIN), 0);
    st_data(d, EL_OP_FLASH_DATA, data, 0x400, 0);
    assert_int_equal(simple(d, EL_OP_FLASH_DATA), 0);
    st_cmd_words(d, EL_OP_READ_FLASH_SLOW, 2, 0x3010, 16);
    struct st_frames fr;
    st_collect(d, 0, &fr);
    assert_int_equal(fr.n, 1);
    assert_int_equal(fr.len[0], 8 + 64 + 4); /* always 64 bytes + 4 status */
    assert_int_equal(st_rom_status(&fr, 0, EL_OP_READ_FLASH_SLOW, NULL), 0);
    assert_memory_equal(fr.f[0] + 8, data + 0x10, 16);
    st_frames_free(&fr);
    /* more than 64 bytes: read length error */
    st_cmd_words(d, EL_OP_READ_FLASH_SLOW, 2, 0x3000, 65);
    assert_int_equal(simple(d, EL_OP_READ_FLASH_SLOW), 0x010A);
    /* beyond the ROM's default 2 MB until SPI_SET_PARAMS */
    st_cmd_words(d, EL_OP_READ_FLASH_SLOW, 2, 0x300000, 16);
    assert_int_not_equal(simple(d, EL_OP_READ_FLASH_SLOW), 0);
    st_cmd_words(d, EL_OP_SPI_SET_PARAMS, 6, 0, 4u << 20, 0x10000, 0x1000, 0x100, 0xFFFF);
    assert_int_equal(simple(d, EL_OP_SPI_SET_PARAMS), 0);
    st_cmd_words(d, EL_OP_READ_FLASH_SLOW, 2, 0x300000, 16);
    assert_int_equal(simple(d, EL_OP_READ_FLASH_SLOW), 0);
    elsim_free(d);
}

static void test_sim_rom__write_beyond_2mb_needs_params(void **state)
{
    (void)state;
    struct elsim *d = st_rom("esp32");
    st_cmd_words(d, EL_OP_SPI_ATTACH, 2, 0, 0);
    assert_int_equal(simple(d, EL_OP_SPI_ATTACH), 0);
    st_cmd_words(d, EL_OP_FLASH_BEGIN, 4, 0x1000, 4, 0x400, 0x200000);
    assert_int_not_equal(simple(d, EL_OP_FLASH_BEGIN), 0);
    st_cmd_words(d, EL_OP_SPI_SET_PARAMS, 6, 0, 4u << 20, 0x10000, 0x1000, 0x100, 0xFFFF);
    assert_int_equal(simple(d, EL_OP_SPI_SET_PARAMS), 0);
    st_cmd_words(d, EL_OP_FLASH_BEGIN, 4, 0x1000, 4, 0x400, 0x200000);
    assert_int_equal(simple(d, EL_OP_FLASH_BEGIN), 0);
    elsim_free(d);
}

static void test_sim_rom__mem_upload_checks(void **state)
{
    (void)state;
    /* later chips (model, not verified): the ROM's own area and sizes beyond RAM refused */
    struct elsim *d = st_rom("esp32s3");
    st_cmd_words(d, EL_OP_MEM_BEGIN, 4, 0x100, 1, 0x1800, 0x10000000);
    assert_int_not_equal(simple(d, EL_OP_MEM_BEGIN), 0);
    elsim_free(d);
    d = st_rom("esp32");
    /* a normal upload, then reading it back with READ_REG */
    st_cmd_words(d, EL_OP_MEM_BEGIN, 4, 8, 1, 0x1800, 0x3FFB0000);
    assert_int_equal(simple(d, EL_OP_MEM_BEGIN), 0);
    uint8_t w[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    st_data(d, EL_OP_MEM_DATA, w, 8, 0);
    assert_int_equal(simple(d, EL_OP_MEM_DATA), 0);
    assert_int_equal(read_reg(d, 0x3FFB0004), 0x08070605);
    /* D8, as the ESP32 ROM: data beyond the announced size is accepted too */
    st_data(d, EL_OP_MEM_DATA, w, 8, 1);
    assert_int_equal(simple(d, EL_OP_MEM_DATA), 0);
    assert_int_equal(read_reg(d, 0x3FFB0008), 0x04030201);
    /* D8: the ROM's own data area is not refused by the ESP32 ROM */
    st_cmd_words(d, EL_OP_MEM_BEGIN, 4, 0x100, 1, 0x100, 0x3FFE0000);
    assert_int_equal(simple(d, EL_OP_MEM_BEGIN), 0);
    /* entry 0 / flag 1: the ROM stays */
    st_cmd_words(d, EL_OP_MEM_END, 2, 1, 0);
    assert_int_equal(simple(d, EL_OP_MEM_END), 0);
    assert_string_equal(elsim_state_name(d), "rom");
    elsim_free(d);
}

static struct elsim *rom_rev(const char *rev)
{
    struct elsim *d = st_new("esp32", "r0-wdt-ms", "0", "revision", rev, NULL);
    st_reset_download(d, 50);
    st_drain(d);
    return d;
}

/* D1: the ECO3 ROM (revision 3) answers an unknown opcode once, repeating the previous
 * reply's opcode and value (golden under QEMU); the older ROM 8 times (esptool's comment) */
static void test_sim_rom__unsupported_repeats_previous_reply(void **state)
{
    (void)state;
    static const uint8_t want[] = {0x01, 0x0A, 0x04, 0x00, 0x83, 0x1D,
                                   0xF0, 0x00, 0x01, 0x05, 0x00, 0x00};
    static const struct {
        const char *rev;
        size_t n;
    } cases[] = {{"3", 1}, {"0", 8}, {"1", 8}};
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        struct elsim *d = rom_rev(cases[k].rev);
        assert_int_equal(read_reg(d, 0x40001000), 0x00F01D83);
        static const uint8_t ops[] = {0x14, 0xD0, 0xD2, 0x00, 0xFF};
        for (size_t i = 0; i < sizeof(ops); i++) {
            st_cmd(d, ops[i], NULL, 0, 0);
            struct st_frames fr;
            st_collect(d, 0, &fr);
            assert_int_equal(fr.n, cases[k].n);
            for (size_t j = 0; j < fr.n; j++)
                expect_frame(&fr, j, want, sizeof(want));
            st_frames_free(&fr);
        }
        /* D10: a frame with direction byte 1 is the same invalid message */
        uint8_t resp[12] = {0x01, 0x0A, 0x04, 0x00, 0, 0, 0, 0, 0x00, 0x10, 0x00, 0x40};
        st_send_raw(d, resp, sizeof(resp), 115200);
        struct st_frames fr;
        st_collect(d, 0, &fr);
        assert_int_equal(fr.n, cases[k].n);
        expect_frame(&fr, 0, want, sizeof(want));
        st_frames_free(&fr);
        assert_int_equal(read_reg(d, 0x40001000), 0x00F01D83);
        elsim_free(d);
    }
}

/* D2 + D9: later replies carry the last READ_REG/SYNC value; a reply without payload keeps
 * the last error code in its error byte and stale bytes after it (golden pieces from the
 * ECO3 ROM: FLASH_BEGIN `01 02 04 00 83 1d f0 00 00 ..`, status `00 05 ..` after an
 * error, MD5 replies `00 00` + stale bytes). */
static void test_sim_rom__stale_value_and_status(void **state)
{
    (void)state;
    struct elsim *d = rom_rev("3");
    struct st_frames fr;
    uint8_t sync[36];
    el_sync_data(sync);
    st_cmd(d, EL_OP_SYNC, sync, sizeof(sync), 0);
    st_drain(d);
    st_cmd_words(d, EL_OP_SPI_ATTACH, 2, 0, 0);
    st_collect(d, 0, &fr);
    assert_int_equal(fr.n, 1);
    assert_int_equal(el_get_le32(fr.f[0] + 4), EL_ROM_SYNC_VALUE);
    st_frames_free(&fr);
    assert_int_equal(read_reg(d, 0x40001000), 0x00F01D83);
    st_cmd_words(d, EL_OP_FLASH_BEGIN, 4, 0x400, 1, 0x400, 0x100000);
    st_collect(d, 0, &fr);
    static const uint8_t begin_ok[] = {0x01, 0x02, 0x04, 0x00, 0x83, 0x1D,
                                       0xF0, 0x00, 0x00, 0x00, 0x00, 0x00};
    expect_frame(&fr, 0, begin_ok, sizeof(begin_ok));
    st_frames_free(&fr);
    /* an error, then a success: the error byte keeps 0x05 */
    st_cmd(d, 0x14, NULL, 0, 0);
    st_drain(d);
    st_cmd_words(d, EL_OP_SPI_ATTACH, 2, 0, 0);
    st_collect(d, 0, &fr);
    assert_int_equal(fr.len[0], 12);
    assert_int_equal(fr.f[0][8], 0x00);
    assert_int_equal(fr.f[0][9], 0x05);
    st_frames_free(&fr);
    /* an MD5 reply: status 00 00, and its digits stay in the buffer behind later statuses */
    char hex[33];
    rom_md5(d, 0, 0x1000, hex);
    st_cmd_words(d, EL_OP_SPI_ATTACH, 2, 0, 0);
    st_collect(d, 0, &fr);
    assert_int_equal(fr.len[0], 12);
    assert_int_equal(fr.f[0][8], 0x00);
    assert_memory_equal(fr.f[0] + 10, hex + 2, 2);
    st_frames_free(&fr);
    st_cmd_words(d, EL_OP_SPI_FLASH_MD5, 4, 0, 0x1000, 0, 0);
    st_collect(d, 0, &fr);
    assert_int_equal(fr.f[0][40], 0x00);
    assert_int_equal(fr.f[0][41], 0x00);
    st_frames_free(&fr);
    elsim_free(d);
}

/* D6: READ_REG and SPI_FLASH_MD5 take their words from the buffer whatever the lengths */
static void test_sim_rom__odd_lengths(void **state)
{
    (void)state;
    struct elsim *d = rom_rev("3");
    uint8_t pkt[8 + 8];
    uint32_t v;
    struct st_frames fr;
    /* no data: value 0 (golden 01 0a 04 00 00 00 00 00 00 ..) */
    st_cmd(d, EL_OP_READ_REG, NULL, 0, 0);
    st_collect(d, 0, &fr);
    assert_int_equal(fr.n, 1);
    assert_int_equal(st_rom_status(&fr, 0, EL_OP_READ_REG, &v), 0);
    assert_int_equal(v, 0);
    st_frames_free(&fr);
    /* 8 data bytes; length field 8 with 4 bytes; length field 4 with 8 bytes */
    static const struct {
        uint16_t lenf;
        size_t sent;
    } cases[] = {{8, 8}, {8, 4}, {4, 8}};
    for (size_t k = 0; k < 3; k++) {
        memset(pkt, 0, sizeof(pkt));
        pkt[1] = EL_OP_READ_REG;
        el_put_le16(pkt + 2, cases[k].lenf);
        el_put_le32(pkt + 8, 0x40001000u);
        st_send_raw(d, pkt, 8 + cases[k].sent, 115200);
        st_collect(d, 0, &fr);
        assert_int_equal(fr.n, 1);
        assert_int_equal(st_rom_status(&fr, 0, EL_OP_READ_REG, &v), 0);
        assert_int_equal(v, 0x00F01D83);
        st_frames_free(&fr);
    }
    /* MD5 with only address and size */
    char want[33], got[33];
    rom_md5(d, 0x1000, 0x800, want);
    st_cmd_words(d, EL_OP_SPI_FLASH_MD5, 2, 0x1000, 0x800);
    st_collect(d, 0, &fr);
    assert_int_equal(fr.n, 1);
    assert_int_equal(fr.len[0], 8 + 32 + 4);
    assert_int_equal(st_rom_status(&fr, 0, EL_OP_SPI_FLASH_MD5, NULL), 0);
    memcpy(got, fr.f[0] + 8, 32);
    got[32] = '\0';
    assert_string_equal(got, want);
    st_frames_free(&fr);
    elsim_free(d);
}

/* D7: READ_FLASH_SLOW always reads 64 bytes; a length above 64 gets them with 01 0a */
static void test_sim_rom__read_flash_slow_lengths(void **state)
{
    (void)state;
    struct elsim *d = st_rom("esp32");
    st_cmd_words(d, EL_OP_SPI_ATTACH, 2, 0, 0);
    assert_int_equal(simple(d, EL_OP_SPI_ATTACH), 0);
    uint8_t data[0x400];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(0x31 + i * 5);
    st_cmd_words(d, EL_OP_FLASH_BEGIN, 4, 0x400, 1, 0x400, 0x3000);
    assert_int_equal(simple(d, EL_OP_FLASH_BEGIN), 0);
    st_data(d, EL_OP_FLASH_DATA, data, 0x400, 0);
    assert_int_equal(simple(d, EL_OP_FLASH_DATA), 0);
    struct st_frames fr;
    st_cmd_words(d, EL_OP_READ_FLASH_SLOW, 2, 0x3010, 16);
    st_collect(d, 0, &fr);
    assert_int_equal(fr.len[0], 8 + 64 + 4);
    assert_memory_equal(fr.f[0] + 8, data + 0x10, 64);
    st_frames_free(&fr);
    st_cmd_words(d, EL_OP_READ_FLASH_SLOW, 2, 0x3000, 65);
    st_collect(d, 0, &fr);
    assert_int_equal(fr.n, 1);
    assert_int_equal(fr.len[0], 8 + 64 + 4);
    assert_int_equal(el_get_le16(fr.f[0] + 2), 0x44);
    assert_memory_equal(fr.f[0] + 8, data, 64);
    assert_int_equal(st_rom_status(&fr, 0, EL_OP_READ_FLASH_SLOW, NULL), 0x010A);
    st_frames_free(&fr);
    elsim_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sim_rom__sync_eight_replies),
        cmocka_unit_test(test_sim_rom__read_reg_magic_golden),
        cmocka_unit_test(test_sim_rom__efuse_identity),
        cmocka_unit_test(test_sim_rom__unsupported_opcode),
        cmocka_unit_test(test_sim_rom__checksum_error),
        cmocka_unit_test(test_sim_rom__flash_write_md5),
        cmocka_unit_test(test_sim_rom__begin_five_words),
        cmocka_unit_test(test_sim_rom__data_seq_after_bad_checksum),
        cmocka_unit_test(test_sim_rom__data_size_word_smaller),
        cmocka_unit_test(test_sim_rom__deflate),
        cmocka_unit_test(test_sim_rom__read_flash_slow),
        cmocka_unit_test(test_sim_rom__write_beyond_2mb_needs_params),
        cmocka_unit_test(test_sim_rom__mem_upload_checks),
        cmocka_unit_test(test_sim_rom__unsupported_repeats_previous_reply),
        cmocka_unit_test(test_sim_rom__stale_value_and_status),
        cmocka_unit_test(test_sim_rom__odd_lengths),
        cmocka_unit_test(test_sim_rom__read_flash_slow_lengths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
