/* SPDX-License-Identifier: MIT */
/* Virtual device: reset circuit, boot messages, the rev-0 reset quirk, flash persistence. */
#include "test_sim_util.h"

#include <unistd.h>

static void text_of(struct elsim *d, uint64_t adv_us, char *out, size_t cap)
{
    struct st_frames fr;
    st_collect(d, adv_us, &fr);
    snprintf(out, cap, "%s", fr.text);
    st_frames_free(&fr);
}

static int count_of(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

static void test_sim_boot__power_on_erased_flash(void **state)
{
    (void)state;
    struct elsim *d = st_new("esp32", NULL);
    char t[8192];
    text_of(d, 0, t, sizeof(t));
    assert_non_null(strstr(t, "ets Jun  8 2016 00:22:57\r\n\r\n"
                              "rst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)\r\n"
                              "invalid header: 0xffffffff\r\n"));
    assert_string_equal(elsim_state_name(d), "boot");
    /* the ROM repeats the line, then the RTC watchdog resets the chip */
    text_of(d, 1000000, t, sizeof(t));
    assert_true(count_of(t, "invalid header: 0xffffffff") >= 8);
    assert_non_null(strstr(t, "rst:0x10 (RTCWDT_RTC_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)"));
    elsim_free(d);
}

static void test_sim_boot__download_mode_banner(void **state)
{
    (void)state;
    struct elsim *d = st_new("esp32", "r0-wdt-ms", "0", NULL);
    st_drain(d);
    st_reset_download(d, 50);
    char t[8192];
    text_of(d, 0, t, sizeof(t));
    assert_string_equal(t, "ets Jun  8 2016 00:22:57\r\n\r\n"
                           "rst:0x1 (POWERON_RESET),boot:0x3 (DOWNLOAD_BOOT(UART0/UART1/"
                           "SDIO_REI_REO_V2))\r\nwaiting for download\r\n");
    assert_string_equal(elsim_state_name(d), "rom");
    /* EN held low: the chip is in reset and silent */
    elsim_set_lines(d, false, true);
    assert_string_equal(elsim_state_name(d), "reset");
    text_of(d, 500000, t, sizeof(t));
    assert_string_equal(t, "");
    elsim_free(d);
}

/* A minimal valid ESP32 image: 2 RAM segments, checksum byte at offset % 16 == 15 */
static size_t make_image(uint8_t *img, size_t cap, bool bad_csum)
{
    memset(img, 0, cap);
    img[0] = 0xE9;
    img[1] = 2;
    img[2] = 2;    /* DIO */
    img[3] = 0x20; /* 4MB, 40m */
    el_put_le32(img + 4, 0x40080400);
    img[8] = 0xEE;
    size_t p = 24;
    uint8_t ck = 0xEF;
    uint32_t addrs[2] = {0x3FFF0018, 0x40080400};
    uint32_t lens[2] = {4, 64};
    for (int s = 0; s < 2; s++) {
        el_put_le32(img + p, addrs[s]);
        el_put_le32(img + p + 4, lens[s]);
        p += 8;
        for (uint32_t i = 0; i < lens[s]; i++) {
            img[p + i] = (uint8_t)(s * 50 + i);
            ck ^= img[p + i];
        }
        p += lens[s];
    }
    while (p % 16 != 15)
        p++;
    img[p++] = bad_csum ? (uint8_t)(ck ^ 1) : ck;
    return p;
}

static void write_flash_file(const char *path, size_t off, const uint8_t *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    for (size_t i = 0; i < off; i++)
        fputc(0xFF, f);
    fwrite(data, 1, n, f);
    fclose(f);
}

static void test_sim_boot__image_load_lines(void **state)
{
    (void)state;
    char path[] = "/tmp/elsim-boot-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    uint8_t img[256];
    size_t n = make_image(img, sizeof(img), false);
    write_flash_file(path, 0x1000, img, n);
    struct elsim *d = st_new("esp32", "flash", path, "flash-size", "4MB", NULL);
    char t[8192];
    text_of(d, 0, t, sizeof(t));
    assert_string_equal(t, "ets Jun  8 2016 00:22:57\r\n\r\n"
                           "rst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)\r\n"
                           "configsip: 0, SPIWP:0xee\r\n"
                           "clk_drv:0x00,q_drv:0x00,d_drv:0x00,cs0_drv:0x00,hd_drv:0x00,"
                           "wp_drv:0x00\r\n"
                           "mode:DIO, clock div:2\r\n"
                           "load:0x3fff0018,len:4\r\n"
                           "load:0x40080400,len:64\r\n"
                           "entry 0x40080400\r\n");
    assert_string_equal(elsim_state_name(d), "app");
    /* after entry: quiet */
    text_of(d, 2000000, t, sizeof(t));
    assert_string_equal(t, "");
    elsim_free(d);

    n = make_image(img, sizeof(img), true);
    write_flash_file(path, 0x1000, img, n);
    d = st_new("esp32", "flash", path, NULL);
    text_of(d, 0, t, sizeof(t));
    assert_non_null(strstr(t, "load:0x40080400,len:64\r\ncsum err:0x"));
    assert_non_null(strstr(t, "ets_main.c 371"));
    elsim_free(d);
    unlink(path);
}

static void test_sim_boot__rev0_needs_long_hold(void **state)
{
    (void)state;
    struct elsim *d = st_new("esp32", NULL); /* revision 0 by default */
    st_drain(d);
    char t[8192];
    /* esptool's normal reset: IO0 released 50 ms after EN rises */
    st_reset_download(d, 50);
    text_of(d, 1000000, t, sizeof(t));
    /* the ROM prints the reset line with the latched boot mode, then hangs (seed log) */
    assert_non_null(strstr(t, "rst:0x1 (POWERON_RESET),boot:0x3 (DOWNLOAD_BOOT(UART0/UART1/"
                              "SDIO_REI_REO_V2))\r\nets Jun  8 2016"));
    assert_null(strstr(t, "waiting for download"));
    assert_non_null(strstr(t, "rst:0x10 (RTCWDT_RTC_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)"));
    /* the "extra" 0.55 s hold outlasts the spurious watchdog reset */
    st_reset_download(d, 550);
    text_of(d, 0, t, sizeof(t));
    assert_non_null(strstr(
        t, "rst:0x10 (RTCWDT_RTC_RESET),boot:0x3 (DOWNLOAD_BOOT(UART0/UART1/SDIO_REI_REO_V2))"
           "\r\nwaiting for download"));
    assert_string_equal(elsim_state_name(d), "rom");
    elsim_free(d);

    /* a revision-1 chip takes the short hold */
    d = st_new("esp32", "revision", "1", NULL);
    st_drain(d);
    st_reset_download(d, 50);
    text_of(d, 0, t, sizeof(t));
    assert_non_null(strstr(t, "waiting for download"));
    elsim_free(d);
}

static void test_sim_boot__classic_reset_sequence(void **state)
{
    (void)state;
    /* esptool ClassicReset: D0|R1|W0.1|D1|R0|W0.05|D0 -- DTR and RTS change one at a time;
     * the EN RC delay makes the chip see IO0 low */
    struct elsim *d = st_new("esp32", "revision", "1", NULL);
    st_drain(d);
    elsim_set_lines(d, false, false);
    elsim_set_lines(d, false, true);
    elsim_advance(d, 100000);
    elsim_set_lines(d, true, true);
    elsim_set_lines(d, true, false);
    elsim_advance(d, 50000);
    elsim_set_lines(d, false, false);
    char t[8192];
    text_of(d, 0, t, sizeof(t));
    assert_non_null(strstr(t, "waiting for download"));
    elsim_free(d);
}

static void test_sim_boot__flash_persists(void **state)
{
    (void)state;
    char path[] = "/tmp/elsim-persist-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    unlink(path); /* must be created */
    struct elsim *d = st_new("esp32", "flash", path, "flash-size", "2MB", "r0-wdt-ms", "0", NULL);
    st_reset_download(d, 50);
    st_drain(d);
    st_cmd_words(d, EL_OP_SPI_ATTACH, 2, 0, 0);
    uint8_t data[0x400];
    memset(data, 0x3C, sizeof(data));
    st_cmd_words(d, EL_OP_FLASH_BEGIN, 4, 0x400, 1, 0x400, 0x8000);
    st_data(d, EL_OP_FLASH_DATA, data, sizeof(data), 0);
    st_drain(d);
    elsim_free(d);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    assert_int_equal(ftell(f), 2 << 20);
    fclose(f);
    d = st_new("esp32", "flash", path, NULL);
    size_t sz;
    const uint8_t *fl = elsim_flash(d, &sz);
    assert_int_equal(sz, 2 << 20); /* size from the file */
    assert_memory_equal(fl + 0x8000, data, sizeof(data));
    assert_int_equal(fl[0x7FFF], 0xFF);
    assert_int_equal(fl[0x8400], 0xFF);
    elsim_free(d);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sim_boot__power_on_erased_flash),
        cmocka_unit_test(test_sim_boot__download_mode_banner),
        cmocka_unit_test(test_sim_boot__image_load_lines),
        cmocka_unit_test(test_sim_boot__rev0_needs_long_hold),
        cmocka_unit_test(test_sim_boot__classic_reset_sequence),
        cmocka_unit_test(test_sim_boot__flash_persists),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
