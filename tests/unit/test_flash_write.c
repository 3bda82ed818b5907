/* SPDX-License-Identifier: MIT */
/* Write flows (ROM and stub), verification, skip/diff, erase emulation, compression. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "espload/err.h"
#include "espload/loader.h"
#include "mock_port.h"

struct fx {
    struct mock_port *m;
    struct mock_dev dev;
    struct el_loader *l;
    unsigned progress_calls;
    uint32_t last_block, last_blocks;
};

static void on_progress(void *user, const struct el_progress *p)
{
    struct fx *f = user;
    f->progress_calls++;
    assert_true(p->done <= p->total);
    assert_true(p->block <= p->blocks);
    f->last_block = p->block;
    f->last_blocks = p->blocks;
}

static struct fx *mk(bool stub)
{
    struct fx *f = calloc(1, sizeof(*f));
    f->m = mock_port_new();
    mock_dev_init(&f->dev, 1 << 20);
    f->dev.stub = stub;
    mock_dev_attach(f->m, &f->dev);
    assert_int_equal(el_loader_new(&f->l, mock_port_port(f->m)), EL_OK);
    el_loader_set_progress_cb(f->l, on_progress, f);
    struct el_connect_opts o;
    el_connect_opts_init(&o);
    o.before = EL_BEFORE_NO_RESET;
    o.chip = EL_CHIP_ESP32;
    assert_int_equal(el_loader_connect(f->l, &o), EL_OK);
    mock_port_tx_clear(f->m);
    return f;
}

static void rm(struct fx *f)
{
    el_loader_free(f->l);
    mock_port_free(f->m);
    mock_dev_release(&f->dev);
    free(f);
}

static uint8_t *pattern(size_t n, unsigned seed)
{
    uint8_t *p = malloc(n);
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        /* half random, half runs: compressible but not trivially */
        p[i] = (i / 64) % 2 ? (uint8_t)(x >> 16) : (uint8_t)(i / 64);
    }
    return p;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static void t_rom_compressed_unaligned(void **state)
{
    (void)state;
    struct fx *f = mk(false);
    size_t n = 5000;
    uint8_t *d = pattern(n, 1);
    memset(f->dev.flash + 0x1000, 0x00, 0x200); /* old data before the address gets erased */
    struct el_write_opts o;
    el_write_opts_init(&o);
    o.compress = 1;
    struct el_write_result r;
    assert_int_equal(el_flash_write(f->l, 0x1100, d, n, &o, &r), EL_OK);
    assert_true(r.verified);
    assert_true(r.compressed);
    /* ROM: moved down to 0x1000 with 0x100 bytes of 0xFF before the data */
    assert_int_equal(r.len, 0x100 + 5000);
    assert_memory_equal(f->dev.flash + 0x1100, d, n);
    for (int i = 0; i < 0x100; i++)
        assert_int_equal(f->dev.flash[0x1000 + i], 0xFF);
    size_t i = mock_port_tx_find_op(f->m, 0x10, 0);
    size_t len;
    const uint8_t *p = mock_port_tx_frame(f->m, i, &len);
    assert_int_equal(le32(p + 8), 0x1800);  /* 0x100 + 5000 = 5256, rounded up to 0x400 */
    assert_int_equal(le32(p + 16), 0x400);  /* ROM block size */
    assert_int_equal(le32(p + 20), 0x1000); /* sector-aligned start */
    uint32_t blocks = le32(p + 12);
    assert_int_equal(blocks, (r.wire_len + 0x3FF) / 0x400); /* compressed blocks */
    assert_int_equal(mock_port_tx_count_op(f->m, 0x11), blocks);
    for (uint32_t s = 0; s < blocks; s++) {
        p = mock_port_tx_frame(f->m, mock_port_tx_find_op(f->m, 0x11, s), &len);
        assert_int_equal(le32(p + 12), s); /* seq */
        if (s + 1 < blocks)
            assert_int_equal(le32(p + 8), 0x400);
    }
    assert_int_equal(mock_port_tx_count_op(f->m, 0x04), 0);
    assert_int_equal(mock_port_tx_count_op(f->m, 0x12), 0);
    assert_int_equal(f->last_block, f->last_blocks);
    free(d);
    rm(f);
}

static void t_stub_blocks(void **state)
{
    (void)state;
    struct fx *f = mk(true);
    size_t n = 0x4000 * 2 + 10; /* 3 uncompressed blocks, last padded */
    uint8_t *d = pattern(n, 2);
    struct el_write_opts o;
    el_write_opts_init(&o);
    o.compress = 0;
    struct el_write_result r;
    assert_int_equal(el_flash_write(f->l, 0x10002, d, n, &o, &r), EL_OK);
    /* the stub writes at the exact address: no sector prefix */
    assert_int_equal(r.len, n + 2); /* padded to 4 */
    assert_memory_equal(f->dev.flash + 0x10002, d, n);
    size_t len;
    const uint8_t *p = mock_port_tx_frame(f->m, mock_port_tx_find_op(f->m, 0x02, 0), &len);
    assert_int_equal(le32(p + 8), n + 2);
    assert_int_equal(le32(p + 12), 3);
    assert_int_equal(le32(p + 16), 0x4000);
    assert_int_equal(le32(p + 20), 0x10002);
    assert_int_equal(mock_port_tx_count_op(f->m, 0x03), 3);
    p = mock_port_tx_frame(f->m, mock_port_tx_find_op(f->m, 0x03, 2), &len);
    assert_int_equal(len, 8 + 16 + 0x4000);
    assert_int_equal(p[24 + 12], 0xFF); /* padding after the 12 real bytes */
    free(d);
    rm(f);
}

/* Stub, compressed: full 16 KiB blocks, then blocks that shrink over the last ~64 KiB of
 * the stream (each a quarter of what is left, at least 1 KiB), the last one small; the
 * FLASH_DEFL_BEGIN block count matches the blocks sent and the data arrives intact. */
static void t_stub_taper(void **state)
{
    (void)state;
    struct fx *f = mk(true);
    size_t n = 300000;
    uint8_t *d = pattern(n, 5); /* compresses to about half */
    struct el_write_opts o;
    el_write_opts_init(&o);
    o.compress = 1;
    struct el_write_result r;
    assert_int_equal(el_flash_write(f->l, 0x10000, d, n, &o, &r), EL_OK);
    assert_true(r.verified);
    assert_true(r.compressed);
    assert_memory_equal(f->dev.flash + 0x10000, d, n);
    size_t len;
    const uint8_t *p = mock_port_tx_frame(f->m, mock_port_tx_find_op(f->m, 0x10, 0), &len);
    uint32_t blocks = le32(p + 12);
    assert_int_equal(mock_port_tx_count_op(f->m, 0x11), blocks);
    assert_true(blocks * le32(p + 16) >= r.wire_len);
    size_t sent = 0, prev = 0x4000;
    for (uint32_t s = 0; s < blocks; s++) {
        p = mock_port_tx_frame(f->m, mock_port_tx_find_op(f->m, 0x11, s), &len);
        size_t bl = le32(p + 8);
        size_t left = r.wire_len - sent;
        assert_int_equal(le32(p + 12), s);
        assert_true(bl <= prev); /* never grows again */
        if (left > 0x14000)
            assert_int_equal(bl, 0x4000);
        else if (left > 1024)
            assert_true(bl <= left / 4 || bl == 1024);
        sent += bl;
        prev = bl;
    }
    assert_int_equal(sent, r.wire_len);
    assert_true(prev <= 1024);
    assert_int_equal(f->last_block, f->last_blocks);
    free(d);
    rm(f);
}

static void t_md5_mismatch(void **state)
{
    (void)state;
    for (int stub = 0; stub < 2; stub++) {
        struct fx *f = mk(stub);
        f->dev.corrupt_md5 = true;
        uint8_t *d = pattern(3000, 3);
        struct el_write_result r;
        assert_int_equal(el_flash_write(f->l, 0x8000, d, 3000, NULL, &r), EL_E_VERIFY);
        assert_false(r.verified);
        assert_string_equal(el_loader_errmsg(f->l), "MD5 of file does not match data in flash!");
        free(d);
        rm(f);
    }
}

static void t_block_retry(void **state)
{
    (void)state;
    struct fx *f = mk(true);
    f->dev.fail_op = 0x11;
    f->dev.fail_count = 2; /* two failures, then success: within WRITE_BLOCK_ATTEMPTS */
    f->dev.fail_status[0] = 0xC1;
    uint8_t *d = pattern(20000, 4);
    assert_int_equal(el_flash_write(f->l, 0, d, 20000, NULL, NULL), EL_OK);
    assert_memory_equal(f->dev.flash, d, 20000);
    rm(f);
    f = mk(true);
    f->dev.fail_op = 0x11;
    f->dev.fail_count = 0; /* always */
    f->dev.fail_status[0] = 0xC1;
    assert_int_equal(el_flash_write(f->l, 0, d, 20000, NULL, NULL), EL_E_DEVICE);
    assert_int_equal(el_loader_last_status(f->l), 0xC100);
    assert_int_equal(mock_port_tx_count_op(f->m, 0x11), 3);
    assert_non_null(strstr(el_loader_errmsg(f->l), "result was c100: bad data checksum"));
    free(d);
    rm(f);
}

static void t_skip_and_diff(void **state)
{
    (void)state;
    struct fx *f = mk(true);
    size_t n = 0x30000;
    uint8_t *d = pattern(n, 5);
    assert_int_equal(el_flash_write(f->l, 0x10000, d, n, NULL, NULL), EL_OK);
    /* same data again: skipped after one MD5 */
    mock_port_tx_clear(f->m);
    struct el_write_opts o;
    el_write_opts_init(&o);
    o.skip_unchanged = true;
    struct el_write_result r;
    assert_int_equal(el_flash_write(f->l, 0x10000, d, n, &o, &r), EL_OK);
    assert_true(r.skipped);
    assert_int_equal(mock_port_tx_count_op(f->m, 0x10), 0);
    assert_int_equal(mock_port_tx_count_op(f->m, 0x13), 1);
    /* change two sectors: only those are rewritten */
    d[0x5000] ^= 1;
    d[0x21234] ^= 0x80;
    mock_port_tx_clear(f->m);
    o.skip_unchanged = false;
    o.diff_sectors = true;
    assert_int_equal(el_flash_write(f->l, 0x10000, d, n, &o, &r), EL_OK);
    assert_false(r.skipped);
    assert_true(r.verified);
    assert_int_equal(r.sectors_written, 2);
    assert_int_equal(mock_port_tx_count_op(f->m, 0x10), 2);
    size_t len;
    const uint8_t *p = mock_port_tx_frame(f->m, mock_port_tx_find_op(f->m, 0x10, 0), &len);
    assert_int_equal(le32(p + 20), 0x15000);
    assert_int_equal(le32(p + 8), 0x1000);
    p = mock_port_tx_frame(f->m, mock_port_tx_find_op(f->m, 0x10, 1), &len);
    assert_int_equal(le32(p + 20), 0x31000);
    assert_memory_equal(f->dev.flash + 0x10000, d, n);
    free(d);
    rm(f);
}

static void t_rom_erase_emulation(void **state)
{
    (void)state;
    struct fx *f = mk(false);
    memset(f->dev.flash + 0x3000, 0, 0x3000);
    mock_dev_set_reg(&f->dev, 0x3FF42080, 0x164020); /* W0: RDID -> 4MB GigaDevice */
    assert_int_equal(el_flash_erase_region(f->l, 0x4000, 0x1000), EL_OK);
    assert_int_equal(f->dev.flash[0x3FFF], 0);
    assert_int_equal(f->dev.flash[0x4000], 0xFF);
    assert_int_equal(f->dev.flash[0x5000], 0);
    size_t len;
    const uint8_t *p = mock_port_tx_frame(f->m, mock_port_tx_find_op(f->m, 0x0b, 0), &len);
    assert_int_equal(le32(p + 12), 4u << 20); /* SPI_SET_PARAMS with the detected size */
    p = mock_port_tx_frame(f->m, mock_port_tx_find_op(f->m, 0x02, 0), &len);
    assert_int_equal(le32(p + 8), 0x1000);
    assert_int_equal(le32(p + 20), 0x4000);
    assert_int_equal(el_flash_erase_region(f->l, 0x4001, 0x1000), EL_E_ARG);
    assert_int_equal(mock_port_tx_count_op(f->m, 0xd1), 0);
    /* chip erase on the ROM: WREN, 0xC7 through the SPI registers, then RDSR polling */
    mock_port_tx_clear(f->m);
    assert_int_equal(el_flash_erase_all(f->l), EL_OK);
    assert_int_equal(mock_port_tx_count_op(f->m, 0xd0), 0);
    int saw_c7 = 0;
    for (size_t i = 0; i < mock_port_tx_count(f->m); i++) {
        p = mock_port_tx_frame(f->m, i, &len);
        /* WRITE_REG of USR2 (0x3FF42024) = 7 << 28 | opcode */
        if (p[1] == 0x09 && le32(p + 8) == 0x3FF42024 && le32(p + 12) == 0x700000C7u)
            saw_c7++;
    }
    assert_int_equal(saw_c7, 1);
    rm(f);
}

static void t_flash_id_and_sizes(void **state)
{
    (void)state;
    assert_int_equal(el_flash_size_from_id(0x1640EF), 4u << 20);
    assert_int_equal(el_flash_size_from_id(0x1840C8), 16u << 20);
    assert_int_equal(el_flash_size_from_id(0x154068), 2u << 20);
    assert_int_equal(el_flash_size_from_id(0x39BA20), 32u << 20);
    assert_int_equal(el_flash_size_from_id(0x2140EF), 128u << 20);
    assert_int_equal(el_flash_size_from_id(0x00FFFFFF), 0);
    assert_int_equal(el_flash_size_from_id(0x0000481F), 8u << 20);   /* Adesto code 0x08 */
    assert_int_equal(el_flash_size_from_id(0x0000441F), 512u << 10); /* Adesto code 0x04 */
    assert_string_equal(el_flash_size_name(4u << 20), "4MB");
    assert_string_equal(el_flash_size_name(512u << 10), "512KB");
    assert_string_equal(el_flash_size_name(3), "unknown");
    struct fx *f = mk(false);
    mock_dev_set_reg(&f->dev, 0x3FF42080, 0x1640EF);
    uint32_t id;
    assert_int_equal(el_flash_read_id(f->l, &id), EL_OK);
    assert_int_equal(id, 0x1640EF);
    size_t len;
    const uint8_t *p;
    int saw = 0;
    for (size_t i = 0; i < mock_port_tx_count(f->m); i++) {
        p = mock_port_tx_frame(f->m, i, &len);
        if (p[1] == 0x09 && le32(p + 8) == 0x3FF4202C && le32(p + 12) == 23)
            saw++; /* MISO_DLEN = 24 - 1 */
        if (p[1] == 0x09 && le32(p + 8) == 0x3FF42000 && le32(p + 12) == (1u << 18))
            saw++; /* CMD = USR */
    }
    assert_int_equal(saw, 2);
    rm(f);
}

static void t_compressor_choice(void **state)
{
    (void)state;
    /* 1 MB at 2 Mbaud: libdeflate's 3% saves 0.08 s of wire but costs 0.1 s: zlib-9 */
    assert_int_equal(el_compress_choose(1 << 20, 2000000, 0.5), EL_COMP_ZLIB9);
    /* 1 MB at 921600: libdeflate pays (0.2 s saved for 0.1 s); zopfli does not (4 s) */
    assert_int_equal(el_compress_choose(1 << 20, 921600, 0.6), EL_COMP_LIBDEFLATE12);
    assert_int_equal(el_compress_choose(4096, 115200, 0.5), EL_COMP_LIBDEFLATE12);
    /* slow links (9600 baud): the strongest compressor wins */
    assert_int_equal(el_compress_choose(1 << 20, 9600, 0.6), EL_COMP_ZOPFLI);
    assert_int_not_equal(el_compress_choose(1 << 20, 115200, 0.6), EL_COMP_AUTO);
    assert_int_equal(el_compress_choose(0, 115200, 0.6), EL_COMP_ZLIB9);
    /* every compressor produces a zlib stream that inflates back */
    uint8_t *d = pattern(50000, 7);
    for (int c = EL_COMP_ZLIB9; c <= EL_COMP_ZOPFLI; c++) {
        uint8_t *z;
        size_t zn;
        assert_int_equal(el_compress((enum el_compressor)c, d, 50000, &z, &zn), EL_OK);
        assert_true(zn < 50000);
        assert_int_equal(z[0] & 0x0F, 8); /* CM = deflate */
        assert_int_equal(((z[0] << 8) | z[1]) % 31, 0);
        struct fx *f = mk(true);
        struct el_write_opts o;
        el_write_opts_init(&o);
        o.compressor = (enum el_compressor)c;
        struct el_write_result r;
        assert_int_equal(el_flash_write(f->l, 0x2000, d, 50000, &o, &r), EL_OK);
        assert_int_equal(r.compressor, c);
        assert_int_equal(r.wire_len, zn);
        assert_memory_equal(f->dev.flash + 0x2000, d, 50000);
        rm(f);
        free(z);
    }
    free(d);
    uint8_t *z;
    size_t zn;
    assert_int_equal(el_compress(EL_COMP_AUTO, (const uint8_t *)"x", 1, &z, &zn), EL_E_ARG);
}

static void t_read_back(void **state)
{
    (void)state;
    for (int stub = 0; stub < 2; stub++) {
        struct fx *f = mk(stub);
        uint8_t *d = pattern(stub ? 0x2345 : 300, 8);
        size_t n = stub ? 0x2345 : 300;
        memcpy(f->dev.flash + 0x7000, d, n);
        uint8_t *b = malloc(n);
        assert_int_equal(el_flash_read(f->l, 0x7000, b, n), EL_OK);
        assert_memory_equal(b, d, n);
        uint8_t md5[16];
        assert_int_equal(el_flash_md5(f->l, 0x7000, (uint32_t)n, md5), EL_OK);
        free(b);
        free(d);
        rm(f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_rom_compressed_unaligned),
        cmocka_unit_test(t_stub_blocks),
        cmocka_unit_test(t_stub_taper),
        cmocka_unit_test(t_md5_mismatch),
        cmocka_unit_test(t_block_retry),
        cmocka_unit_test(t_skip_and_diff),
        cmocka_unit_test(t_rom_erase_emulation),
        cmocka_unit_test(t_flash_id_and_sizes),
        cmocka_unit_test(t_compressor_choice),
        cmocka_unit_test(t_read_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
