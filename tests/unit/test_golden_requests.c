/* SPDX-License-Identifier: MIT */
/*
 * Golden request bytes: every opcode the client sends, compared with byte arrays written
 * by hand from the protocol facts (docs/PROTOCOL.md §2, §4), not produced by the code
 * under test.
 */
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
};

static int setup_common(void **state, bool stub)
{
    struct fx *f = calloc(1, sizeof(*f));
    f->m = mock_port_new();
    mock_dev_init(&f->dev, 1 << 20);
    f->dev.stub = stub;
    mock_dev_attach(f->m, &f->dev);
    assert_int_equal(el_loader_new(&f->l, mock_port_port(f->m)), EL_OK);
    struct el_connect_opts o;
    el_connect_opts_init(&o);
    o.before = EL_BEFORE_NO_RESET;
    o.chip = EL_CHIP_ESP32;
    assert_int_equal(el_loader_connect(f->l, &o), EL_OK);
    assert_int_equal(el_loader_is_stub(f->l), stub);
    mock_port_tx_clear(f->m);
    *state = f;
    return 0;
}

static int setup_rom(void **state)
{
    return setup_common(state, false);
}

static int setup_stub(void **state)
{
    return setup_common(state, true);
}

static int teardown(void **state)
{
    struct fx *f = *state;
    el_loader_free(f->l);
    mock_port_free(f->m);
    mock_dev_release(&f->dev);
    free(f);
    return 0;
}

static void dump(const char *what, const uint8_t *p, size_t n)
{
    fprintf(stderr, "%s (%zu):", what, n);
    for (size_t i = 0; i < n && i < 64; i++)
        fprintf(stderr, " %02x", p[i]);
    fprintf(stderr, "\n");
}

static void expect_frame(struct fx *f, size_t idx, const uint8_t *exp, size_t n)
{
    size_t len;
    const uint8_t *got = mock_port_tx_frame(f->m, idx, &len);
    assert_non_null(got);
    if (len != n || memcmp(got, exp, n) != 0) {
        dump("expected", exp, n);
        dump("got     ", got, len);
    }
    assert_int_equal(len, n);
    assert_memory_equal(got, exp, n);
}

static void t_sync(void **state)
{
    struct mock_port *m = mock_port_new();
    struct mock_dev dev;
    mock_dev_init(&dev, 4096);
    mock_dev_attach(m, &dev);
    struct el_loader *l;
    assert_int_equal(el_loader_new(&l, mock_port_port(m)), EL_OK);
    struct el_connect_opts o;
    el_connect_opts_init(&o);
    o.before = EL_BEFORE_NO_RESET;
    o.chip = EL_CHIP_ESP32;
    assert_int_equal(el_loader_connect(l, &o), EL_OK);
    uint8_t exp[44] = {0x00, 0x08, 0x24, 0x00, 0, 0, 0, 0, 0x07, 0x07, 0x12, 0x20};
    memset(exp + 12, 0x55, 32);
    struct fx f = {.m = m};
    expect_frame(&f, 0, exp, sizeof(exp));
    /* explicit ESP32: no GET_SECURITY_INFO, the magic register is read next */
    static const uint8_t rr[] = {0x00, 0x0a, 0x04, 0x00, 0, 0, 0, 0, 0x00, 0x10, 0x00, 0x40};
    expect_frame(&f, 1, rr, sizeof(rr));
    assert_int_equal(mock_port_tx_count(m), 2);
    el_loader_free(l);
    mock_port_free(m);
    mock_dev_release(&dev);
    (void)state;
}

static void t_read_write_reg(void **state)
{
    struct fx *f = *state;
    uint32_t v;
    mock_dev_set_reg(&f->dev, 0x3FF5A004, 0xA48055E0);
    assert_int_equal(el_loader_read_reg(f->l, 0x3FF5A004, &v), EL_OK);
    assert_int_equal(v, 0xA48055E0);
    static const uint8_t rr[] = {0x00, 0x0a, 0x04, 0x00, 0, 0, 0, 0, 0x04, 0xa0, 0xf5, 0x3f};
    expect_frame(f, 0, rr, sizeof(rr));
    assert_int_equal(el_loader_write_reg(f->l, 0x3FF42000, 0x40000, 0xFFFFFFFF, 0), EL_OK);
    static const uint8_t wr[] = {0x00, 0x09, 0x10, 0x00, 0,    0,    0,    0,
                                 0x00, 0x20, 0xf4, 0x3f, 0x00, 0x00, 0x04, 0x00,
                                 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00};
    expect_frame(f, 1, wr, sizeof(wr));
    /* with a delay: a second entry on UART_DATE_REG (0x60000078) carries it */
    assert_int_equal(el_loader_write_reg(f->l, 0x3FF42000, 1, 0xFF, 100), EL_OK);
    static const uint8_t wd[] = {0x00, 0x09, 0x20, 0x00, 0,    0,    0,    0,    0x00, 0x20,
                                 0xf4, 0x3f, 0x01, 0x00, 0x00, 0x00, 0xff, 0x00, 0x00, 0x00,
                                 0x00, 0x00, 0x00, 0x00, 0x78, 0x00, 0x00, 0x60, 0x00, 0x00,
                                 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x64, 0x00, 0x00, 0x00};
    expect_frame(f, 2, wd, sizeof(wd));
}

static void t_spi_attach_set_params_rom(void **state)
{
    struct fx *f = *state;
    /* eFuse SPI pad config all zero -> SPI_ATTACH(0) + 4 zero bytes (ROM only) */
    assert_int_equal(el_flash_attach(f->l, -1), EL_OK);
    size_t i = mock_port_tx_find_op(f->m, 0x0d, 0);
    static const uint8_t at[] = {0x00, 0x0d, 0x08, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    expect_frame(f, i, at, sizeof(at));
    assert_int_equal(el_flash_set_params(f->l, 4u << 20), EL_OK);
    i = mock_port_tx_find_op(f->m, 0x0b, 0);
    static const uint8_t sp[] = {0x00, 0x0b, 0x18, 0x00, 0,    0,    0,    0,    0,    0,    0,
                                 0,    0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x10,
                                 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0xff, 0xff, 0x00, 0x00};
    expect_frame(f, i, sp, sizeof(sp));
}

static void t_spi_attach_efuse_pins(void **state)
{
    struct fx *f = *state;
    /* word5: CLK 6, Q 17, D 8, CS 16; word3 bits 4-8: HD 11 */
    uint32_t w5 = 6u | (17u << 5) | (8u << 10) | (16u << 15);
    uint32_t w3 = 11u << 4;
    mock_dev_set_reg(&f->dev, 0x3FF5A014, w5);
    mock_dev_set_reg(&f->dev, 0x3FF5A00C, w3);
    assert_int_equal(el_flash_attach(f->l, -1), EL_OK);
    uint32_t v = (11u << 24) | (16u << 18) | (8u << 12) | (17u << 6) | 6u; /* 0x0B408446 */
    assert_int_equal(v, 0x0B408446);
    size_t i = mock_port_tx_find_op(f->m, 0x0d, 0);
    static const uint8_t at[] = {0x00, 0x0d, 0x08, 0x00, 0, 0, 0, 0,
                                 0x46, 0x84, 0x40, 0x0b, 0, 0, 0, 0};
    expect_frame(f, i, at, sizeof(at));
}

static void t_flash_write_rom_uncompressed(void **state)
{
    struct fx *f = *state;
    static const uint8_t data[] = {0xaa, 0xbb, 0xcc, 0xdd};
    struct el_write_opts o;
    el_write_opts_init(&o);
    o.compress = 0;
    struct el_write_result r;
    assert_int_equal(el_flash_write(f->l, 0x1000, data, 4, &o, &r), EL_OK);
    assert_true(r.verified);
    static const uint8_t fb[] = {0x00, 0x02, 0x10, 0x00, 0,    0,    0,    0,
                                 0x04, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
                                 0x00, 0x04, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00};
    expect_frame(f, mock_port_tx_find_op(f->m, 0x02, 0), fb, sizeof(fb));
    /* FLASH_DATA: 16-byte header + 0x400 bytes (data, then 0xFF padding); checksum
     * 0xEF^aa^bb^cc^dd = 0xEF (the 0x3FC 0xFF bytes cancel out) */
    uint8_t fd[8 + 16 + 0x400];
    memset(fd, 0, sizeof(fd));
    fd[0] = 0x00;
    fd[1] = 0x03;
    fd[2] = 0x10;
    fd[3] = 0x04;
    fd[4] = 0xef;
    fd[8] = 0x00;
    fd[9] = 0x04;
    memset(fd + 24, 0xff, 0x400);
    memcpy(fd + 24, data, 4);
    expect_frame(f, mock_port_tx_find_op(f->m, 0x03, 0), fd, sizeof(fd));
    static const uint8_t md[] = {0x00, 0x13, 0x10, 0x00, 0, 0, 0, 0, 0x00, 0x10, 0x00, 0x00,
                                 0x04, 0x00, 0x00, 0x00, 0, 0, 0, 0, 0,    0,    0,    0};
    expect_frame(f, mock_port_tx_find_op(f->m, 0x13, 0), md, sizeof(md));
    /* never FLASH_END to the ROM */
    assert_int_equal(mock_port_tx_count_op(f->m, 0x04), 0);
}

static void t_flash_defl_begin_stub_and_rom(void **state)
{
    struct fx *f = *state;
    bool stub = el_loader_is_stub(f->l);
    uint8_t data[1001];
    memset(data, 0x5A, sizeof(data));
    struct el_write_opts o;
    el_write_opts_init(&o);
    o.compress = 1;
    assert_int_equal(el_flash_write(f->l, 0x10000, data, sizeof(data), &o, NULL), EL_OK);
    size_t i = mock_port_tx_find_op(f->m, 0x10, 0);
    size_t len;
    const uint8_t *p = mock_port_tx_frame(f->m, i, &len);
    assert_int_equal(len, 8 + 16);
    static const uint8_t hdr[] = {0x00, 0x10, 0x10, 0x00, 0, 0, 0, 0};
    assert_memory_equal(p, hdr, 8);
    /* stub: exact (padded-to-4) size 1004; ROM: rounded up to 0x400 */
    static const uint8_t size_stub[] = {0xec, 0x03, 0x00, 0x00};
    static const uint8_t size_rom[] = {0x00, 0x04, 0x00, 0x00};
    assert_memory_equal(p + 8, stub ? size_stub : size_rom, 4);
    static const uint8_t blocks1[] = {0x01, 0x00, 0x00, 0x00};
    assert_memory_equal(p + 12, blocks1, 4);
    static const uint8_t bs_stub[] = {0x00, 0x40, 0x00, 0x00};
    static const uint8_t bs_rom[] = {0x00, 0x04, 0x00, 0x00};
    assert_memory_equal(p + 16, stub ? bs_stub : bs_rom, 4);
    static const uint8_t addr[] = {0x00, 0x00, 0x01, 0x00};
    assert_memory_equal(p + 20, addr, 4);
    /* the data block: header len = compressed length, seq 0, checksummed */
    i = mock_port_tx_find_op(f->m, 0x11, 0);
    p = mock_port_tx_frame(f->m, i, &len);
    size_t zlen = len - 24;
    assert_int_equal(p[2] | (p[3] << 8), 16 + zlen);
    assert_int_equal(p[8] | (p[9] << 8), zlen);
    assert_int_equal(p[12], 0);
    uint8_t chk = 0xEF;
    for (size_t k = 24; k < len; k++)
        chk ^= p[k];
    assert_int_equal(p[4], chk);
    assert_int_equal(p[24], 0x78); /* zlib header: the device inflates a zlib stream */
    if (stub) {
        /* no extra READ_REG barrier: the verification MD5 right after the last block is
         * answered only once the stub has written it */
        assert_int_equal(mock_port_tx_count_op(f->m, 0x0a), 0);
        assert_int_equal(mock_port_tx_find_op(f->m, 0x13, 0), i + 1);
    }
}

static void t_mem_load(void **state)
{
    struct fx *f = *state;
    static const uint8_t seg[] = {0x11, 0x22, 0x33, 0x44};
    struct el_ram_segment s = {.addr = 0x3FFE0000, .data = seg, .len = 4};
    assert_int_equal(el_loader_load_ram(f->l, &s, 1, 0x40080000, true), EL_OK);
    static const uint8_t mb[] = {0x00, 0x05, 0x10, 0x00, 0,    0,    0,    0,
                                 0x04, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
                                 0x00, 0x18, 0x00, 0x00, 0x00, 0x00, 0xfe, 0x3f};
    expect_frame(f, 0, mb, sizeof(mb));
    /* checksum 0xEF ^ 11 ^ 22 ^ 33 ^ 44 = 0xAB */
    static const uint8_t md[] = {0x00, 0x07, 0x14, 0x00, 0xab, 0,    0,    0,   0x04, 0,
                                 0,    0,    0,    0,    0,    0,    0,    0,   0,    0,
                                 0,    0,    0,    0,    0x11, 0x22, 0x33, 0x44};
    expect_frame(f, 1, md, sizeof(md));
    static const uint8_t me[] = {0x00, 0x06, 0x08, 0x00, 0,    0,    0,    0,
                                 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x40};
    expect_frame(f, 2, me, sizeof(me));
}

static void t_stub_only_ops(void **state)
{
    struct fx *f = *state;
    assert_int_equal(el_flash_erase_region(f->l, 0x10000, 0x2000), EL_OK);
    static const uint8_t er[] = {0x00, 0xd1, 0x08, 0x00, 0,    0,    0,    0,
                                 0x00, 0x00, 0x01, 0x00, 0x00, 0x20, 0x00, 0x00};
    expect_frame(f, mock_port_tx_find_op(f->m, 0xd1, 0), er, sizeof(er));
    assert_int_equal(el_flash_erase_all(f->l), EL_OK);
    static const uint8_t ef[] = {0x00, 0xd0, 0x00, 0x00, 0, 0, 0, 0};
    expect_frame(f, mock_port_tx_find_op(f->m, 0xd0, 0), ef, sizeof(ef));
    uint8_t buf[16];
    memcpy(f->dev.flash, "0123456789abcdef", 16);
    assert_int_equal(el_flash_read(f->l, 0, buf, 16), EL_OK);
    assert_memory_equal(buf, "0123456789abcdef", 16);
    size_t i = mock_port_tx_find_op(f->m, 0xd2, 0);
    static const uint8_t rf[] = {0x00, 0xd2, 0x10, 0x00, 0,    0,    0,    0,
                                 0,    0,    0,    0,    0x10, 0x00, 0x00, 0x00,
                                 0x00, 0x10, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00};
    expect_frame(f, i, rf, sizeof(rf)); /* 4 KiB packets, 16 KiB unacknowledged */
    static const uint8_t ack[] = {0x10, 0x00, 0x00, 0x00};
    expect_frame(f, i + 1, ack, sizeof(ack));
    assert_int_equal(el_loader_change_baud(f->l, 921600), EL_OK);
    static const uint8_t cb[] = {0x00, 0x0f, 0x08, 0x00, 0,    0,    0,    0,
                                 0x00, 0x10, 0x0e, 0x00, 0x00, 0xc2, 0x01, 0x00};
    expect_frame(f, mock_port_tx_find_op(f->m, 0x0f, 0), cb, sizeof(cb));
    assert_int_equal(mock_port_baud(f->m), 921600);
}

static void t_rom_read_slow_and_run(void **state)
{
    struct fx *f = *state;
    uint8_t buf[100];
    for (int k = 0; k < 100; k++)
        f->dev.flash[0x2000 + k] = (uint8_t)k;
    assert_int_equal(el_flash_read(f->l, 0x2000, buf, 100), EL_OK);
    for (int k = 0; k < 100; k++)
        assert_int_equal(buf[k], k);
    static const uint8_t r1[] = {0x00, 0x0e, 0x08, 0x00, 0,    0,    0,    0,
                                 0x00, 0x20, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00};
    static const uint8_t r2[] = {0x00, 0x0e, 0x08, 0x00, 0,    0,    0,    0,
                                 0x40, 0x20, 0x00, 0x00, 0x24, 0x00, 0x00, 0x00};
    expect_frame(f, mock_port_tx_find_op(f->m, 0x0e, 0), r1, sizeof(r1));
    expect_frame(f, mock_port_tx_find_op(f->m, 0x0e, 1), r2, sizeof(r2));
    mock_port_tx_clear(f->m);
    assert_int_equal(el_loader_run_app(f->l), EL_OK);
    static const uint8_t fb[] = {0x00, 0x02, 0x10, 0x00, 0,    0,    0, 0, 0, 0, 0, 0,
                                 0,    0,    0,    0,    0x00, 0x04, 0, 0, 0, 0, 0, 0};
    static const uint8_t fe[] = {0x00, 0x04, 0x04, 0x00, 0, 0, 0, 0, 0x01, 0, 0, 0};
    expect_frame(f, 0, fb, sizeof(fb));
    expect_frame(f, 1, fe, sizeof(fe));
}

static void t_security_info(void **state)
{
    struct fx *f = *state;
    f->dev.secinfo = 1;
    f->dev.secinfo_chip_id = 9;
    struct el_security_info si;
    assert_int_equal(el_loader_security_info(f->l, &si), EL_OK);
    static const uint8_t gs[] = {0x00, 0x14, 0x00, 0x00, 0, 0, 0, 0};
    expect_frame(f, 0, gs, sizeof(gs));
    assert_int_equal(si.flags, 5);
    assert_int_equal(si.flash_crypt_cnt, 1);
    assert_true(si.has_chip_id);
    assert_int_equal(si.chip_id, 9);
    assert_int_equal(si.api_version, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_sync),
        cmocka_unit_test_setup_teardown(t_read_write_reg, setup_rom, teardown),
        cmocka_unit_test_setup_teardown(t_spi_attach_set_params_rom, setup_rom, teardown),
        cmocka_unit_test_setup_teardown(t_spi_attach_efuse_pins, setup_rom, teardown),
        cmocka_unit_test_setup_teardown(t_flash_write_rom_uncompressed, setup_rom, teardown),
        cmocka_unit_test_setup_teardown(t_flash_defl_begin_stub_and_rom, setup_rom, teardown),
        cmocka_unit_test_setup_teardown(t_flash_defl_begin_stub_and_rom, setup_stub, teardown),
        cmocka_unit_test_setup_teardown(t_mem_load, setup_rom, teardown),
        cmocka_unit_test_setup_teardown(t_stub_only_ops, setup_stub, teardown),
        cmocka_unit_test_setup_teardown(t_rom_read_slow_and_run, setup_rom, teardown),
        cmocka_unit_test_setup_teardown(t_security_info, setup_rom, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
