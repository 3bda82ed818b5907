/* SPDX-License-Identifier: MIT */
/* Virtual device: uploaded code runs the portable stub core through the host HAL. */
#include "test_sim_util.h"

#include <md5.h>
#include <zlib.h>

/* Uploads a few bytes of "code" and jumps to it, as esptool does with its stub JSON. With
 * ours, the code carries espload's stub identification right before its entry point. */
static struct elsim *start_stub_as(const char *chip, uint32_t text_addr, uint32_t data_addr,
                                   bool ours)
{
    struct elsim *d = st_rom(chip);
    uint8_t code[300];
    for (size_t i = 0; i < sizeof(code); i++)
        code[i] = (uint8_t)(i * 13);
    if (ours)
        memcpy(code, "espload-stub-id", 16); /* entry is text_addr + 0x10 */
    uint32_t addrs[2] = {text_addr, data_addr};
    struct st_frames fr;
    for (int s = 0; s < 2; s++) {
        st_cmd_words(d, EL_OP_MEM_BEGIN, 4, (uint32_t)sizeof(code), 1, 0x1800, addrs[s]);
        st_collect(d, 0, &fr);
        assert_int_equal(st_rom_status(&fr, 0, EL_OP_MEM_BEGIN, NULL), 0);
        st_frames_free(&fr);
        st_data(d, EL_OP_MEM_DATA, code, sizeof(code), 0);
        st_collect(d, 0, &fr);
        assert_int_equal(st_rom_status(&fr, 0, EL_OP_MEM_DATA, NULL), 0);
        st_frames_free(&fr);
    }
    st_cmd_words(d, EL_OP_MEM_END, 2, 0, text_addr + 0x10);
    /* the reply (which a real host may miss) and then the greeting */
    st_collect(d, 10000, &fr);
    assert_int_equal(fr.n, 2);
    assert_int_equal(st_rom_status(&fr, 0, EL_OP_MEM_END, NULL), 0);
    assert_int_equal(fr.len[1], 4);
    assert_memory_equal(fr.f[1], "OHAI", 4);
    st_frames_free(&fr);
    assert_string_equal(elsim_state_name(d), "stub");
    return d;
}

static struct elsim *start_stub(const char *chip, uint32_t text_addr, uint32_t data_addr)
{
    return start_stub_as(chip, text_addr, data_addr, false);
}

static int stub_status(struct elsim *d, uint8_t op, uint32_t *value, uint8_t *payload, size_t *plen)
{
    struct st_frames fr;
    st_collect(d, 0, &fr);
    assert_true(fr.n >= 1);
    const uint8_t *f = fr.f[fr.n - 1];
    size_t n = fr.len[fr.n - 1];
    assert_true(n >= 10);
    assert_int_equal(f[0], 1);
    assert_int_equal(f[1], op);
    if (value)
        *value = el_get_le32(f + 4);
    if (payload && plen) {
        *plen = n - 10;
        memcpy(payload, f + 8, n - 10);
    }
    int st = f[n - 2] << 8 | f[n - 1];
    st_frames_free(&fr);
    return st;
}

static void test_sim_stub__greeting_and_sync(void **state)
{
    (void)state;
    struct elsim *d = start_stub("esp32", 0x400BE000, 0x3FFDEBA8);
    uint8_t sync[36];
    el_sync_data(sync);
    st_cmd(d, EL_OP_SYNC, sync, sizeof(sync), 0);
    struct st_frames fr;
    st_collect(d, 0, &fr);
    assert_int_equal(fr.n, 8);
    static const uint8_t want[] = {0x01, 0x08, 0x02, 0x00, 0, 0, 0, 0, 0x00, 0x00};
    for (size_t i = 0; i < fr.n; i++) {
        assert_int_equal(fr.len[i], sizeof(want));
        assert_memory_equal(fr.f[i], want, sizeof(want));
    }
    st_frames_free(&fr);
    /* READ_REG through the stub: 2 status bytes, same registers */
    st_cmd_words(d, EL_OP_READ_REG, 1, 0x40001000u);
    uint32_t v;
    assert_int_equal(stub_status(d, EL_OP_READ_REG, &v, NULL, NULL), 0);
    assert_int_equal(v, 0x00F01D83);
    elsim_free(d);
}

static void md5raw(const uint8_t *p, size_t n, uint8_t out[16])
{
    MD5_CTX c;
    MD5Init(&c);
    MD5Update(&c, p, n);
    MD5Final(out, &c);
}

static void test_sim_stub__deflate_write_md5(void **state)
{
    (void)state;
    struct elsim *d = start_stub("esp32", 0x400BE000, 0x3FFDEBA8);
    static uint8_t raw[70000];
    for (size_t i = 0; i < sizeof(raw); i++)
        raw[i] = (uint8_t)((i * 31) ^ (i >> 9));
    uLongf clen = compressBound(sizeof(raw));
    uint8_t *comp = malloc(clen);
    assert_int_equal(compress2(comp, &clen, raw, sizeof(raw), 9), Z_OK);
    uint32_t blocks = (uint32_t)((clen + 0x3FFF) / 0x4000);
    st_cmd_words(d, EL_OP_FLASH_DEFL_BEGIN, 4, (uint32_t)sizeof(raw), blocks, 0x4000, 0x10000);
    assert_int_equal(stub_status(d, EL_OP_FLASH_DEFL_BEGIN, NULL, NULL, NULL), 0);
    for (uint32_t s = 0; s < blocks; s++) {
        uint32_t n = (uint32_t)(clen - s * 0x4000 < 0x4000 ? clen - s * 0x4000 : 0x4000);
        st_data(d, EL_OP_FLASH_DEFL_DATA, comp + s * 0x4000, n, s);
        assert_int_equal(stub_status(d, EL_OP_FLASH_DEFL_DATA, NULL, NULL, NULL), 0);
    }
    st_cmd_words(d, EL_OP_FLASH_DEFL_END, 1, 1);
    assert_int_equal(stub_status(d, EL_OP_FLASH_DEFL_END, NULL, NULL, NULL), 0);
    st_cmd_words(d, EL_OP_SPI_FLASH_MD5, 4, 0x10000, (uint32_t)sizeof(raw), 0, 0);
    uint8_t pl[64], want[16];
    size_t plen = 0;
    assert_int_equal(stub_status(d, EL_OP_SPI_FLASH_MD5, NULL, pl, &plen), 0);
    assert_int_equal(plen, 16); /* stub: 16 raw bytes */
    md5raw(raw, sizeof(raw), want);
    assert_memory_equal(pl, want, 16);
    size_t sz;
    const uint8_t *fl = elsim_flash(d, &sz);
    assert_memory_equal(fl + 0x10000, raw, sizeof(raw));
    free(comp);
    elsim_free(d);
}

static void test_sim_stub__baud_change(void **state)
{
    (void)state;
    struct elsim *d = start_stub("esp32", 0x400BE000, 0x3FFDEBA8);
    /* the stub takes (new, current) and switches exactly */
    st_cmd_words(d, EL_OP_CHANGE_BAUDRATE, 2, 921600, 115200);
    assert_int_equal(stub_status(d, EL_OP_CHANGE_BAUDRATE, NULL, NULL, NULL), 0);
    struct elsim_stats stt;
    elsim_get_stats(d, &stt);
    assert_int_equal(stt.baud, 921600);
    elsim_set_host_baud(d, 921600);
    uint8_t w[4];
    el_put_le32(w, 0x40001000u);
    st_cmd_baud(d, EL_OP_READ_REG, w, 4, 0, 921600);
    uint32_t v;
    assert_int_equal(stub_status(d, EL_OP_READ_REG, &v, NULL, NULL), 0);
    assert_int_equal(v, 0x00F01D83);
    elsim_free(d);
}

static void test_sim_stub__erase_and_read_flash(void **state)
{
    (void)state;
    struct elsim *d = start_stub("esp32", 0x400BE000, 0x3FFDEBA8);
    st_cmd(d, EL_OP_ERASE_FLASH, NULL, 0, 0);
    assert_int_equal(stub_status(d, EL_OP_ERASE_FLASH, NULL, NULL, NULL), 0);
    /* READ_FLASH: reply, then 0x1000-byte data frames each acknowledged, then raw MD5 */
    st_cmd_words(d, EL_OP_READ_FLASH, 4, 0, 0x2000, 0x1000, 64);
    struct st_frames fr;
    st_collect(d, 0, &fr);
    assert_true(fr.n >= 2);
    assert_int_equal(fr.f[0][1], EL_OP_READ_FLASH);
    size_t got = 0, nf = 1;
    uint8_t ack[4];
    while (got < 0x2000) {
        if (nf >= fr.n) {
            st_frames_free(&fr);
            st_collect(d, 0, &fr);
            nf = 0;
            assert_true(fr.n >= 1);
        }
        assert_int_equal(fr.len[nf], 0x1000);
        for (size_t i = 0; i < 0x1000; i++)
            assert_int_equal(fr.f[nf][i], 0xFF);
        got += fr.len[nf++];
        el_put_le32(ack, (uint32_t)got);
        st_send_raw(d, ack, 4, 115200);
    }
    if (nf >= fr.n) {
        st_frames_free(&fr);
        st_collect(d, 0, &fr);
        nf = 0;
    }
    assert_int_equal(fr.len[nf], 16);
    st_frames_free(&fr);
    elsim_free(d);
}

static void test_sim_stub__security_info(void **state)
{
    (void)state;
    struct elsim *d = start_stub("esp32", 0x400BE000, 0x3FFDEBA8);
    st_cmd(d, EL_OP_GET_SECURITY_INFO, NULL, 0, 0);
    assert_int_equal(stub_status(d, EL_OP_GET_SECURITY_INFO, NULL, NULL, NULL) >> 8, 0xFF);
    elsim_free(d);
    d = start_stub("esp32s3", 0x40378000, 0x3FCB0000);
    st_cmd(d, EL_OP_GET_SECURITY_INFO, NULL, 0, 0);
    uint8_t pl[64];
    size_t plen;
    assert_int_equal(stub_status(d, EL_OP_GET_SECURITY_INFO, NULL, pl, &plen), 0);
    assert_int_equal(plen, 20);
    assert_int_equal(el_get_le32(pl + 12), 9);
    elsim_free(d);
}

static void test_sim_stub__reboot_back_to_rom(void **state)
{
    (void)state;
    /* esptool --after no_reset with the stub: FLASH_BEGIN(0,0) + FLASH_END(reboot) */
    struct elsim *d = start_stub("esp32", 0x400BE000, 0x3FFDEBA8);
    st_cmd_words(d, EL_OP_FLASH_BEGIN, 4, 0, 0, 0x4000, 0);
    assert_int_equal(stub_status(d, EL_OP_FLASH_BEGIN, NULL, NULL, NULL), 0);
    st_cmd_words(d, EL_OP_FLASH_END, 1, 0);
    struct st_frames fr;
    st_collect(d, 0, &fr);
    assert_int_equal(fr.n, 1);
    assert_non_null(strstr(fr.text, "rst:0x3 (SW_RESET),boot:0x3 (DOWNLOAD_BOOT"));
    assert_non_null(strstr(fr.text, "waiting for download"));
    st_frames_free(&fr);
    assert_string_equal(elsim_state_name(d), "rom");
    elsim_free(d);
}

static void test_sim_stub__pipelined_blocks_with_timing(void **state)
{
    (void)state;
    /* The stub ACKs a block on receipt and keeps receiving while it writes: a host that
     * sends the next block at once loses nothing (unlike the ROM, see test_sim_timing). */
    struct elsim *d = st_new("esp32", "timing", "1", "r0-wdt-ms", "0", NULL);
    st_reset_download(d, 50);
    elsim_advance(d, 100000);
    st_drain(d);
    uint8_t code[64] = {0};
    st_cmd_words(d, EL_OP_MEM_BEGIN, 4, 64, 1, 0x1800, 0x400BE000u);
    st_data(d, EL_OP_MEM_DATA, code, 64, 0);
    st_cmd_words(d, EL_OP_MEM_END, 2, 0, 0x400BE000u);
    elsim_advance(d, 200000);
    st_drain(d);
    assert_string_equal(elsim_state_name(d), "stub");
    static uint8_t blk[0x4000];
    for (size_t i = 0; i < sizeof(blk); i++)
        blk[i] = (uint8_t)(i * 3);
    st_cmd_words(d, EL_OP_FLASH_BEGIN, 4, 3 * 0x4000, 3, 0x4000, 0x20000);
    elsim_advance(d, 1000000);
    st_drain(d);
    for (uint32_t s = 0; s < 3; s++)
        st_data(d, EL_OP_FLASH_DATA, blk, sizeof(blk), s);
    elsim_advance(d, 5000000);
    struct st_frames fr;
    st_collect(d, 0, &fr);
    assert_int_equal(fr.n, 3);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(fr.f[i][fr.len[i] - 2], 0);
    st_frames_free(&fr);
    struct elsim_stats s;
    elsim_get_stats(d, &s);
    assert_int_equal(s.bytes_lost, 0);
    size_t sz;
    const uint8_t *fl = elsim_flash(d, &sz);
    for (uint32_t k = 0; k < 3; k++)
        assert_memory_equal(fl + 0x20000 + k * 0x4000, blk, sizeof(blk));
    elsim_free(d);
}

/* Code that is not espload's stub runs the model of esptool's legacy stub: it erases every
 * sector of the region, blank or not, and programs 0xFF pages; espload's stub does neither. */
static void test_sim_stub__stub_model(void **state)
{
    (void)state;
    for (int ours = 0; ours < 2; ours++) {
        struct elsim *d = start_stub_as("esp32", 0x400BE000, 0x3FFDEBA8, ours);
        static uint8_t blk[0x3000];
        memset(blk, 0xFF, sizeof(blk));
        memset(blk + 0x1000, 0x42, 0x100); /* one page of data in the middle sector */
        st_cmd_words(d, EL_OP_FLASH_BEGIN, 4, (uint32_t)sizeof(blk), 1, 0x4000, 0x30000);
        assert_int_equal(stub_status(d, EL_OP_FLASH_BEGIN, NULL, NULL, NULL), 0);
        st_data(d, EL_OP_FLASH_DATA, blk, sizeof(blk), 0);
        assert_int_equal(stub_status(d, EL_OP_FLASH_DATA, NULL, NULL, NULL), 0);
        st_cmd_words(d, EL_OP_FLASH_END, 1, 1);
        assert_int_equal(stub_status(d, EL_OP_FLASH_END, NULL, NULL, NULL), 0);
        struct elsim_stats s;
        elsim_get_stats(d, &s);
        assert_int_equal(s.flash_bytes_erased, ours ? 0 : sizeof(blk));
        assert_int_equal(s.flash_bytes_written, ours ? 0x100 : sizeof(blk));
        size_t sz;
        const uint8_t *fl = elsim_flash(d, &sz);
        assert_memory_equal(fl + 0x30000, blk, sizeof(blk));
        /* the legacy stub's own ERASE_REGION status for a misaligned address */
        st_cmd_words(d, EL_OP_ERASE_REGION, 2, 0x30001, 0x1000);
        assert_int_equal(stub_status(d, EL_OP_ERASE_REGION, NULL, NULL, NULL) >> 8,
                         ours ? 0xC0 : 0x32);
        elsim_free(d);
    }
}

/* Other foreign code (esp-flasher-stub, loaded at 0x400A8000 by esptool-js 0.7 and esptool
 * 5.3+): blank sectors are skipped until the first one that is not blank, from which on
 * every sector is erased; all data, 0xFF pages included, is programmed. */
static void test_sim_stub__esp_flasher_model(void **state)
{
    (void)state;
    struct elsim *d = start_stub_as("esp32", 0x400A8000, 0x3FFCB000, false);
    static uint8_t blk[0x3000];
    memset(blk, 0xFF, sizeof(blk));
    memset(blk + 0x1000, 0x42, 0x100);
    struct elsim_stats s;
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) /* dirty the region's second sector only */
            memset(blk + 0x1100, 0x17, 0x10);
        st_cmd_words(d, EL_OP_FLASH_BEGIN, 4, (uint32_t)sizeof(blk), 1, 0x4000, 0x30000);
        assert_int_equal(stub_status(d, EL_OP_FLASH_BEGIN, NULL, NULL, NULL), 0);
        st_data(d, EL_OP_FLASH_DATA, blk, sizeof(blk), 0);
        assert_int_equal(stub_status(d, EL_OP_FLASH_DATA, NULL, NULL, NULL), 0);
        st_cmd_words(d, EL_OP_FLASH_END, 1, 1);
        assert_int_equal(stub_status(d, EL_OP_FLASH_END, NULL, NULL, NULL), 0);
        elsim_get_stats(d, &s);
        size_t sz;
        const uint8_t *fl = elsim_flash(d, &sz);
        assert_memory_equal(fl + 0x30000, blk, sizeof(blk));
        if (pass == 0) {
            /* blank flash: nothing erased, everything programmed */
            assert_int_equal(s.flash_bytes_erased, 0);
            assert_int_equal(s.flash_bytes_written, sizeof(blk));
        } else {
            /* the first sector reads blank and is skipped; the second is not: it and the
             * third (blank) are erased */
            assert_int_equal(s.flash_bytes_erased, 0x2000);
            assert_int_equal(s.flash_bytes_written, 2 * sizeof(blk));
        }
    }
    elsim_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sim_stub__greeting_and_sync),
        cmocka_unit_test(test_sim_stub__deflate_write_md5),
        cmocka_unit_test(test_sim_stub__baud_change),
        cmocka_unit_test(test_sim_stub__erase_and_read_flash),
        cmocka_unit_test(test_sim_stub__security_info),
        cmocka_unit_test(test_sim_stub__reboot_back_to_rom),
        cmocka_unit_test(test_sim_stub__pipelined_blocks_with_timing),
        cmocka_unit_test(test_sim_stub__stub_model),
        cmocka_unit_test(test_sim_stub__esp_flasher_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
