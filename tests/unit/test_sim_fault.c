/* SPDX-License-Identifier: MIT */
/* Virtual device: fault injection, bad input, garbage fuzzing, options. */
#include "test_sim_util.h"

static struct elsim *rom_with(const char *fault)
{
    struct elsim *d = st_new("esp32", "r0-wdt-ms", "0", "fault", fault, NULL);
    st_reset_download(d, 50);
    st_drain(d);
    return d;
}

/* Host byte index of the first byte of the next command, counting from power-on. */
static void read_reg_cmd(struct elsim *d)
{
    st_cmd_words(d, EL_OP_READ_REG, 1, 0x40001000u);
}

static void test_sim_fault__drop(void **state)
{
    (void)state;
    /* SPI_ATTACH frame = 18 bytes (C0, 8 header, 8 data, C0); byte 10 is in the data: the
     * frame is one byte short of its length field */
    struct elsim *d = rom_with("drop@10");
    st_cmd_words(d, EL_OP_SPI_ATTACH, 2, 0, 0);
    struct st_frames fr;
    st_collect(d, 0, &fr);
    assert_int_equal(fr.n, 1);
    assert_int_equal(st_rom_status(&fr, 0, EL_OP_SPI_ATTACH, NULL), 0x0105); /* short frame */
    st_frames_free(&fr);
    st_cmd_words(d, EL_OP_SPI_ATTACH, 2, 0, 0); /* fires once only */
    st_collect(d, 0, &fr);
    assert_int_equal(st_rom_status(&fr, 0, EL_OP_SPI_ATTACH, NULL), 0);
    st_frames_free(&fr);
    /* READ_REG takes its address from the buffer whatever its length (as the ROM): a byte
     * lost in the address reads another register */
    elsim_free(d);
    d = rom_with("drop@10");
    read_reg_cmd(d);
    uint32_t v = 0;
    st_collect(d, 0, &fr);
    assert_int_equal(fr.n, 1);
    assert_int_equal(st_rom_status(&fr, 0, EL_OP_READ_REG, &v), 0);
    assert_int_not_equal(v, 0x00F01D83);
    st_frames_free(&fr);
    elsim_free(d);
}

static void test_sim_fault__corrupt(void **state)
{
    (void)state;
    struct elsim *d = rom_with("corrupt@2"); /* the opcode byte: 0x0A -> 0xF5 */
    read_reg_cmd(d);
    struct st_frames fr;
    st_collect(d, 0, &fr);
    assert_int_equal(fr.n, 8); /* unsupported command answer */
    assert_int_equal(fr.f[0][9], 0x05);
    st_frames_free(&fr);
    elsim_free(d);
}

static void test_sim_fault__stall_until_reset(void **state)
{
    (void)state;
    struct elsim *d = rom_with("stall@13");
    read_reg_cmd(d);
    struct st_frames fr;
    st_collect(d, 3000000, &fr);
    assert_int_equal(fr.n, 0);
    assert_string_equal(elsim_state_name(d), "stalled");
    read_reg_cmd(d);
    st_collect(d, 3000000, &fr);
    assert_int_equal(fr.n, 0);
    st_reset_download(d, 50);
    st_drain(d);
    assert_string_equal(elsim_state_name(d), "rom");
    read_reg_cmd(d);
    st_collect(d, 0, &fr);
    assert_int_equal(fr.n, 1);
    st_frames_free(&fr);
    elsim_free(d);
}

static void test_sim_fault__vanish(void **state)
{
    (void)state;
    struct elsim *d = rom_with("vanish@5");
    assert_false(elsim_gone(d));
    read_reg_cmd(d);
    assert_true(elsim_gone(d));
    uint8_t b[16];
    elsim_advance(d, 1000000);
    assert_int_equal(elsim_host_read(d, b, sizeof(b)), 0);
    assert_int_equal(elsim_next_output_us(d), UINT64_MAX);
    elsim_free(d);
}

static void test_sim_fault__reset_mid_flash_data(void **state)
{
    (void)state;
    struct elsim *d = rom_with("reset@FLASH_DATA:2");
    st_cmd_words(d, EL_OP_SPI_ATTACH, 2, 0, 0);
    st_cmd_words(d, EL_OP_FLASH_BEGIN, 4, 0x800, 2, 0x400, 0x10000);
    st_drain(d);
    uint8_t blk[0x400];
    memset(blk, 0x77, sizeof(blk));
    st_data(d, EL_OP_FLASH_DATA, blk, sizeof(blk), 0);
    struct st_frames fr;
    st_collect(d, 0, &fr);
    assert_int_equal(st_rom_status(&fr, 0, EL_OP_FLASH_DATA, NULL), 0);
    st_frames_free(&fr);
    st_data(d, EL_OP_FLASH_DATA, blk, sizeof(blk), 1);
    st_collect(d, 0, &fr);
    assert_int_equal(fr.n, 0); /* no answer: the chip rebooted */
    assert_non_null(strstr(fr.text, "rst:0x1 (POWERON_RESET),boot:0x13"));
    st_frames_free(&fr);
    size_t sz;
    const uint8_t *fl = elsim_flash(d, &sz);
    assert_int_equal(fl[0x10000], 0x77);
    assert_int_equal(fl[0x10400], 0xFF); /* second block never written */
    elsim_free(d);
}

static void test_sim_fault__status(void **state)
{
    (void)state;
    struct elsim *d = rom_with("status@READ_REG:2=0x09,status@0x0a:3");
    struct st_frames fr;
    read_reg_cmd(d);
    st_collect(d, 0, &fr);
    assert_int_equal(st_rom_status(&fr, 0, EL_OP_READ_REG, NULL), 0);
    st_frames_free(&fr);
    read_reg_cmd(d);
    st_collect(d, 0, &fr);
    assert_int_equal(st_rom_status(&fr, 0, EL_OP_READ_REG, NULL), 0x0109);
    st_frames_free(&fr);
    read_reg_cmd(d);
    st_collect(d, 0, &fr);
    assert_int_equal(st_rom_status(&fr, 0, EL_OP_READ_REG, NULL), 0x0106);
    st_frames_free(&fr);
    elsim_free(d);
}

static void test_sim_fault__bad_specs(void **state)
{
    (void)state;
    static const char *bad[] = {"",
                                "drop",
                                "drop@",
                                "drop@x",
                                "drop@-1",
                                "explode@3",
                                "reset@3",
                                "reset@NOPE:1",
                                "reset@FLASH_DATA:0",
                                "status@SYNC:1=0",
                                "status@SYNC:1=300",
                                "stall@1,bogus@2"};
    char err[256];
    struct elsim_cfg *cfg = elsim_cfg_new("esp32");
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        assert_int_equal(elsim_cfg_set(cfg, "fault", bad[i], err, sizeof(err)), -1);
        assert_true(strlen(err) > 0);
    }
    assert_int_equal(
        elsim_cfg_set(cfg, "fault", "drop@1,corrupt@2,reset@MEM_END:1", err, sizeof(err)), 0);
    /* other options: bad values refused with a message */
    static const char *badopt[][2] = {
        {"flash-size", "3MB"}, {"flash-size", "64MB"}, {"mac", "zz"},       {"jedec-id", "1234567"},
        {"crystal", "33"},     {"timing", "maybe"},    {"chip", "esp8266"}, {"nosuch", "1"},
        {"revision", "v1.x"},  {"package", "Q99"}};
    for (size_t i = 0; i < sizeof(badopt) / sizeof(badopt[0]); i++) {
        err[0] = '\0';
        assert_int_equal(elsim_cfg_set(cfg, badopt[i][0], badopt[i][1], err, sizeof(err)), -1);
        assert_true(strlen(err) > 0);
    }
    assert_null(elsim_cfg_new("esp8266"));
    assert_non_null(strstr(elsim_cfg_help(), "fault=SPEC"));
    elsim_cfg_free(cfg);
}

static uint32_t rng(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static void fuzz(const char *chip, bool stub, uint32_t seed)
{
    struct elsim *d = st_rom(chip);
    if (stub) {
        uint8_t code[16] = {0};
        st_cmd_words(d, EL_OP_MEM_BEGIN, 4, 16, 1, 0x1800,
                     strcmp(chip, "esp32") ? 0x3FCB0000u : 0x3FFB0000u);
        st_data(d, EL_OP_MEM_DATA, code, 16, 0);
        st_cmd_words(d, EL_OP_MEM_END, 2, 0, 0x40080000u);
        st_drain(d);
        elsim_advance(d, 10000);
        st_drain(d);
        assert_string_equal(elsim_state_name(d), "stub");
    }
    uint8_t buf[600];
    uint32_t s = seed;
    for (int it = 0; it < 3000; it++) {
        size_t n = rng(&s) % sizeof(buf);
        int mode = (int)(rng(&s) % 4);
        for (size_t i = 0; i < n; i++)
            buf[i] = (uint8_t)rng(&s);
        if (mode == 0 && n >= 8) {
            /* frame-shaped: random opcode and length, plausible header */
            buf[0] = 0;
            buf[1] = (uint8_t)(rng(&s) % 0x16);
            if (rng(&s) % 2)
                el_put_le16(buf + 2, (uint16_t)(n - 8));
            st_send_raw(d, buf, n, 115200);
        } else if (mode == 1) {
            st_send_raw(d, buf, n, 115200);
        } else {
            elsim_host_write(d, buf, n, rng(&s) % 8 ? 115200 : 460800);
        }
        if (rng(&s) % 16 == 0)
            elsim_advance(d, rng(&s) % 200000);
        st_drain(d);
    }
    /* still alive: a reset brings it back to a working ROM */
    st_reset_download(d, 50);
    st_drain(d);
    st_cmd_words(d, EL_OP_READ_REG, 1, 0x40001000u);
    struct st_frames fr;
    st_collect(d, 0, &fr);
    assert_true(fr.n >= 1);
    st_frames_free(&fr);
    elsim_free(d);
}

static void test_sim_fault__garbage_fuzz(void **state)
{
    (void)state;
    fuzz("esp32", false, 0x12345678u);
    fuzz("esp32", true, 0x9E3779B9u);
    fuzz("esp32s3", false, 0xCAFEBABEu);
    fuzz("esp32s3", true, 0x0BADF00Du);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sim_fault__drop),
        cmocka_unit_test(test_sim_fault__corrupt),
        cmocka_unit_test(test_sim_fault__stall_until_reset),
        cmocka_unit_test(test_sim_fault__vanish),
        cmocka_unit_test(test_sim_fault__reset_mid_flash_data),
        cmocka_unit_test(test_sim_fault__status),
        cmocka_unit_test(test_sim_fault__bad_specs),
        cmocka_unit_test(test_sim_fault__garbage_fuzz),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
