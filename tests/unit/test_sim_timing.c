/* SPDX-License-Identifier: MIT */
/* Virtual device: baud changes and garbling, the timing model (wire time, ROM RX FIFO,
 * stub overlap). No wall-clock assertions: everything here is modelled time. */
#include "test_sim_util.h"

static int reply_status(struct elsim *d, uint8_t op, size_t *nframes)
{
    struct st_frames fr;
    st_collect(d, 0, &fr);
    *nframes = fr.n;
    int st = fr.n ? st_rom_status(&fr, fr.n - 1, op, NULL) : -1;
    st_frames_free(&fr);
    return st;
}

static void rom_change_baud(struct elsim *d, uint32_t value)
{
    size_t n;
    st_cmd_words(d, EL_OP_CHANGE_BAUDRATE, 2, value, 0);
    assert_int_equal(reply_status(d, EL_OP_CHANGE_BAUDRATE, &n), 0); /* read at the old rate */
    assert_int_equal(n, 1);
}

static uint32_t rr(struct elsim *d, uint32_t addr)
{
    struct st_frames fr;
    uint32_t v = 0;
    st_cmd_words(d, EL_OP_READ_REG, 1, addr);
    st_collect(d, 0, &fr);
    assert_int_equal(st_rom_status(&fr, 0, EL_OP_READ_REG, &v), 0);
    st_frames_free(&fr);
    return v;
}

static void test_sim_timing__rom_baud_scaling(void **state)
{
    (void)state;
    /* esptool esp32.py change_baud: send baud * rom_freq // valid_freq */
    struct elsim *d = st_rom("esp32");
    uint32_t cali = (rr(d, 0x3FF5F06C) >> 7) & 0x1FFFFFF;
    uint32_t ck8m = rr(d, 0x3FF5A010) & 0xFF;
    uint64_t rom_freq = (uint64_t)cali * 15625u * ck8m / 40u;
    uint64_t valid = rom_freq > 33000000u ? 40000000u : 26000000u;
    rom_change_baud(d, (uint32_t)(460800ull * rom_freq / valid));
    elsim_set_host_baud(d, 460800);
    uint8_t w[4];
    el_put_le32(w, 0x40001000u);
    st_cmd_baud(d, EL_OP_READ_REG, w, 4, 0, 460800);
    struct st_frames fr;
    st_collect(d, 0, &fr);
    assert_int_equal(fr.n, 1);
    assert_int_equal(el_get_le32(fr.f[0] + 4), 0x00F01D83);
    st_frames_free(&fr);
    elsim_free(d);

    /* unscaled value: the ROM's clock error puts the UART off by ~4 %: garbage both ways */
    d = st_rom("esp32");
    rom_change_baud(d, 460800);
    elsim_set_host_baud(d, 460800);
    st_cmd_baud(d, EL_OP_READ_REG, w, 4, 0, 460800);
    st_collect(d, 100000, &fr);
    assert_int_equal(fr.n, 0);
    st_frames_free(&fr);
    elsim_free(d);

    /* with an accurate ROM clock the plain value works too */
    d = st_new("esp32", "rom-clock-error", "0", "r0-wdt-ms", "0", NULL);
    st_reset_download(d, 50);
    st_drain(d);
    rom_change_baud(d, 460800);
    elsim_set_host_baud(d, 460800);
    st_cmd_baud(d, EL_OP_READ_REG, w, 4, 0, 460800);
    st_collect(d, 0, &fr);
    assert_int_equal(fr.n, 1);
    st_frames_free(&fr);
    elsim_free(d);
}

static void test_sim_timing__wrong_host_baud_garbles(void **state)
{
    (void)state;
    struct elsim *d = st_rom("esp32s3");
    uint8_t w[4], sync[36];
    el_put_le32(w, 0x40001000u);
    /* the ROM follows the host's rate until the first SYNC (autobaud), then keeps it */
    el_sync_data(sync);
    st_cmd(d, EL_OP_SYNC, sync, sizeof(sync), 0);
    st_drain(d);
    /* sending at the wrong rate: the ROM sees garbage, no reply */
    st_cmd_baud(d, EL_OP_READ_REG, w, 4, 0, 230400);
    struct st_frames fr;
    st_collect(d, 100000, &fr);
    assert_int_equal(fr.n, 0);
    st_frames_free(&fr);
    /* reading at the wrong rate: the reply comes out garbled */
    elsim_set_host_baud(d, 57600);
    st_cmd_words(d, EL_OP_READ_REG, 1, 0x40001000u);
    elsim_set_host_baud(d, 57600);
    uint8_t buf[64];
    elsim_advance(d, 0);
    size_t n = elsim_host_read(d, buf, sizeof(buf));
    assert_true(n > 0);
    bool clean = n == 14 && buf[0] == 0xC0 && buf[1] == 0x01 && buf[2] == 0x0A;
    assert_false(clean);
    elsim_free(d);
}

static void test_sim_timing__wire_time(void **state)
{
    (void)state;
    struct elsim *d =
        st_new("esp32", "timing", "1", "r0-wdt-ms", "0", "usb-latency-us", "1000", NULL);
    st_reset_download(d, 50);
    elsim_advance(d, 100000);
    st_drain(d);
    uint64_t t0 = elsim_now_us(d);
    st_cmd_words(d, EL_OP_READ_REG, 1, 0x40001000u); /* 14 bytes */
    uint64_t done = elsim_host_write_done_us(d);
    assert_int_equal(done - t0, 14 * 87); /* 10 bits at 115200: 86.8 us a byte */
    elsim_advance(d, done - t0);
    uint64_t next = elsim_next_output_us(d);
    assert_true(next > elsim_now_us(d));
    /* reply: 14 bytes on the wire + USB latency after the ROM's processing */
    elsim_advance(d, next - elsim_now_us(d));
    uint8_t buf[64];
    size_t n = 0, k;
    while ((k = elsim_host_read(d, buf + n, sizeof(buf) - n)) > 0 || n < 14) {
        n += k;
        uint64_t nx = elsim_next_output_us(d);
        if (n >= 14 || nx == UINT64_MAX)
            break;
        elsim_advance(d, nx - elsim_now_us(d));
    }
    assert_int_equal(n, 14);
    uint64_t total = elsim_now_us(d) - t0;
    assert_true(total >= 28 * 87 + 1000);
    elsim_free(d);
}

static void test_sim_timing__rom_fifo_overflow(void **state)
{
    (void)state;
    /* The ROM writes a FLASH_DATA block before answering; a host that sends the next block
     * without waiting loses everything beyond the 128-byte RX FIFO. */
    struct elsim *d = st_new("esp32", "timing", "1", "r0-wdt-ms", "0", NULL);
    st_reset_download(d, 50);
    elsim_advance(d, 100000);
    st_drain(d);
    st_cmd_words(d, EL_OP_SPI_ATTACH, 2, 0, 0);
    elsim_advance(d, 100000);
    st_drain(d);
    uint8_t blk[0x400];
    memset(blk, 0x21, sizeof(blk));
    /* FLASH_BEGIN erases 64 KiB (250 ms) before answering; the pipelined block arrives
     * during the erase */
    st_cmd_words(d, EL_OP_FLASH_BEGIN, 4, 0x10000, 64, 0x400, 0x10000);
    st_data(d, EL_OP_FLASH_DATA, blk, sizeof(blk), 0);
    elsim_advance(d, 2000000);
    struct st_frames fr;
    st_collect(d, 0, &fr);
    assert_int_equal(fr.n, 1); /* only FLASH_BEGIN was answered */
    assert_int_equal(fr.f[0][1], EL_OP_FLASH_BEGIN);
    st_frames_free(&fr);
    struct elsim_stats s;
    elsim_get_stats(d, &s);
    assert_true(s.bytes_lost > 0);
    elsim_free(d);

    /* same with timing off: instant processing, nothing lost */
    d = st_rom("esp32");
    st_cmd_words(d, EL_OP_SPI_ATTACH, 2, 0, 0);
    st_cmd_words(d, EL_OP_FLASH_BEGIN, 4, 0x800, 2, 0x400, 0x10000);
    st_drain(d);
    st_data(d, EL_OP_FLASH_DATA, blk, sizeof(blk), 0);
    st_data(d, EL_OP_FLASH_DATA, blk, sizeof(blk), 1);
    st_collect(d, 0, &fr);
    assert_int_equal(fr.n, 2);
    st_frames_free(&fr);
    elsim_get_stats(d, &s);
    assert_int_equal(s.bytes_lost, 0);
    elsim_free(d);
}

static void test_sim_timing__flash_erase_takes_time(void **state)
{
    (void)state;
    struct elsim *d = st_new("esp32", "timing", "1", "r0-wdt-ms", "0", NULL);
    st_reset_download(d, 50);
    elsim_advance(d, 100000);
    st_drain(d);
    st_cmd_words(d, EL_OP_SPI_ATTACH, 2, 0, 0);
    elsim_advance(d, 100000);
    st_drain(d);
    uint64_t t0 = elsim_now_us(d);
    st_cmd_words(d, EL_OP_FLASH_BEGIN, 4, 0x10000, 64, 0x400, 0x10000); /* one 64 KiB block */
    uint8_t b[64];
    size_t n = 0;
    for (int i = 0; i < 100 && n == 0; i++) {
        uint64_t next = elsim_next_output_us(d);
        assert_true(next != UINT64_MAX);
        elsim_advance(d, next > elsim_now_us(d) ? next - elsim_now_us(d) : 0);
        n = elsim_host_read(d, b, sizeof(b));
    }
    assert_true(n > 0);
    assert_true(elsim_now_us(d) - t0 >= 150000); /* block erase is at least 150 ms */
    elsim_free(d);
}

/* max-baud: a bridge that cannot make the host's rate garbles both directions */
static void test_sim_timing__bridge_max_baud(void **state)
{
    (void)state;
    uint8_t sync[36];
    el_sync_data(sync);
    /* at or below the limit: the ROM follows the host (autobaud) and answers */
    struct elsim *d = st_new("esp32", "r0-wdt-ms", "0", "max-baud", "460800", NULL);
    st_reset_download(d, 50);
    st_drain(d);
    elsim_set_host_baud(d, 460800);
    st_cmd_baud(d, EL_OP_SYNC, sync, sizeof(sync), 0, 460800);
    size_t n;
    assert_int_equal(reply_status(d, EL_OP_SYNC, &n), 0);
    assert_int_equal(n, 8);
    elsim_free(d);
    /* above it: the SYNC arrives as garbage and is not answered */
    d = st_new("esp32", "r0-wdt-ms", "0", "max-baud", "460800", NULL);
    st_reset_download(d, 50);
    st_drain(d);
    elsim_set_host_baud(d, 921600);
    st_cmd_baud(d, EL_OP_SYNC, sync, sizeof(sync), 0, 921600);
    struct st_frames fr;
    st_collect(d, 100000, &fr);
    for (size_t i = 0; i < fr.n; i++)
        assert_false(fr.len[i] >= 2 && fr.f[i][0] == 1 && fr.f[i][1] == EL_OP_SYNC);
    st_frames_free(&fr);
    elsim_free(d);
    /* output too: the boot banner read through a bridge limited below the rate */
    static const char *limits[] = {"0", "57600"};
    for (size_t k = 0; k < 2; k++) {
        d = st_new("esp32", "r0-wdt-ms", "0", "max-baud", limits[k], NULL);
        st_reset_download(d, 50);
        st_collect(d, 0, &fr);
        bool readable = strstr(fr.text, "waiting for download") != NULL;
        assert_int_equal(readable, k == 0);
        st_frames_free(&fr);
        elsim_free(d);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sim_timing__rom_baud_scaling),
        cmocka_unit_test(test_sim_timing__wrong_host_baud_garbles),
        cmocka_unit_test(test_sim_timing__wire_time),
        cmocka_unit_test(test_sim_timing__rom_fifo_overflow),
        cmocka_unit_test(test_sim_timing__flash_erase_takes_time),
        cmocka_unit_test(test_sim_timing__bridge_max_baud),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
