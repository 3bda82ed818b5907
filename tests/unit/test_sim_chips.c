/* SPDX-License-Identifier: MIT */
/* Virtual device: every modelled chip can be detected and flashed through its ROM. */
#include "test_sim_util.h"

#include "espload/chip.h"

static int reply(struct elsim *d, uint8_t op, uint32_t *value, uint8_t *payload, size_t *plen)
{
    struct st_frames fr;
    st_collect(d, 0, &fr);
    assert_int_equal(fr.n, 1);
    int st = st_rom_status(&fr, 0, op, value);
    if (payload) {
        *plen = fr.len[0] - 12;
        memcpy(payload, fr.f[0] + 8, *plen);
    }
    st_frames_free(&fr);
    return st;
}

static uint32_t rr(struct elsim *d, uint32_t addr)
{
    uint32_t v;
    st_cmd_words(d, EL_OP_READ_REG, 1, addr);
    assert_int_equal(reply(d, EL_OP_READ_REG, &v, NULL, NULL), 0);
    return v;
}

static void test_sim_chips__magic_and_security_info(void **state)
{
    (void)state;
    for (int id = EL_CHIP_ESP32; id < EL_CHIP_COUNT; id++) {
        const struct el_chip *c = el_chip_by_id((enum el_chip_id)id);
        struct elsim *d = st_rom(c->name);
        uint32_t magic = rr(d, 0x40001000u);
        assert_ptr_equal(el_chip_by_magic(magic), c);
        st_cmd(d, EL_OP_GET_SECURITY_INFO, NULL, 0, 0);
        struct st_frames fr;
        st_collect(d, 0, &fr);
        if (!c->has_security_info) {
            assert_int_equal(fr.n, 8); /* ESP32: not implemented */
        } else {
            assert_int_equal(fr.n, 1);
            assert_int_equal(st_rom_status(&fr, 0, EL_OP_GET_SECURITY_INFO, NULL), 0);
            assert_int_equal(fr.len[0], 8 + c->security_info_len + 4);
            if (c->security_info_len >= 20)
                assert_int_equal(el_get_le32(fr.f[0] + 8 + 12), c->image_chip_id);
        }
        st_frames_free(&fr);
        /* MAC words: low 32 bits then 16 high bits, nonzero Espressif-style address */
        uint32_t lo = rr(d, c->mac_efuse_reg), hi = rr(d, c->mac_efuse_reg + 4);
        assert_int_not_equal(lo, 0);
        assert_int_not_equal(hi & 0xFFFF, 0);
        elsim_free(d);
    }
}

static void test_sim_chips__download_banner_and_flash(void **state)
{
    (void)state;
    for (int id = EL_CHIP_ESP32; id < EL_CHIP_COUNT; id++) {
        const struct el_chip *c = el_chip_by_id((enum el_chip_id)id);
        struct elsim *d = st_new(c->name, "r0-wdt-ms", "0", NULL);
        st_drain(d);
        st_reset_download(d, 50);
        struct st_frames fr;
        st_collect(d, 0, &fr);
        assert_non_null(strstr(fr.text, "waiting for download"));
        assert_non_null(strstr(fr.text, "boot:0x"));
        st_frames_free(&fr);
        /* flash at the chip's bootloader offset; later ROMs get the 5th (encrypt) word */
        st_cmd_words(d, EL_OP_SPI_ATTACH, 2, 0, 0);
        assert_int_equal(reply(d, EL_OP_SPI_ATTACH, NULL, NULL, NULL), 0);
        if (id == EL_CHIP_ESP32)
            st_cmd_words(d, EL_OP_FLASH_BEGIN, 4, 0x400, 1, 0x400, c->bootloader_offset);
        else
            st_cmd_words(d, EL_OP_FLASH_BEGIN, 5, 0x400, 1, 0x400, c->bootloader_offset, 0);
        assert_int_equal(reply(d, EL_OP_FLASH_BEGIN, NULL, NULL, NULL), 0);
        uint8_t blk[0x400];
        for (size_t i = 0; i < sizeof(blk); i++)
            blk[i] = (uint8_t)(i ^ id);
        st_data(d, EL_OP_FLASH_DATA, blk, sizeof(blk), 0);
        assert_int_equal(reply(d, EL_OP_FLASH_DATA, NULL, NULL, NULL), 0);
        size_t sz;
        const uint8_t *fl = elsim_flash(d, &sz);
        assert_memory_equal(fl + c->bootloader_offset, blk, sizeof(blk));
        st_cmd_words(d, EL_OP_SPI_FLASH_MD5, 4, c->bootloader_offset, 0x400, 0, 0);
        uint8_t md5[64];
        size_t n;
        assert_int_equal(reply(d, EL_OP_SPI_FLASH_MD5, NULL, md5, &n), 0);
        assert_int_equal(n, 32);
        /* READ_FLASH_SLOW is ESP32-only */
        st_cmd_words(d, EL_OP_READ_FLASH_SLOW, 2, 0, 16);
        st_collect(d, 0, &fr);
        assert_int_equal(fr.n, id == EL_CHIP_ESP32 ? 1 : 8);
        st_frames_free(&fr);
        elsim_free(d);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sim_chips__magic_and_security_info),
        cmocka_unit_test(test_sim_chips__download_banner_and_flash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
