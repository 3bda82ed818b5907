/* SPDX-License-Identifier: MIT */
/* Virtual device: baud changes and garbling, the timing model (wire time, ROM RX FIFO,
 * stub overlap). No wall-clock assertions: everything here is modelled time. */
#include "test_sim_util.h"

#include <zlib.h>

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

/* The model's constants (sim/flash.c, sim/stub_host.c). */
#define MODEL_BLOCK64_US          250000u /* 64 KiB block erase */
#define MODEL_PAGE_US             600u    /* page program */
#define MODEL_INFLATE_NS_PER_BYTE 5000u   /* stub CPU per compressed payload byte */

#define TW_BAUD  2000000u
#define TW_BLOCK 0x4000u
#define TW_SIZE  0x40000u /* 256 KiB: four 64 KiB blocks */
#define TW_ADDR  0x40000u

/* Host side: waits (in modelled time) for the next frame from the device. */
static size_t tw_frame(struct elsim *d, uint8_t *out, size_t cap)
{
    struct el_slip_dec dec;
    el_slip_dec_init(&dec, out, cap);
    for (int guard = 0; guard < 100000; guard++) {
        uint8_t b;
        while (elsim_host_read(d, &b, 1) == 1)
            if (el_slip_dec_feed(&dec, b) == EL_SLIP_FRAME)
                return dec.len;
        uint64_t next = elsim_next_output_us(d);
        assert_true(next != UINT64_MAX);
        elsim_advance(d, next > elsim_now_us(d) ? next - elsim_now_us(d) : 0);
    }
    fail();
    return 0;
}

static void tw_cmd(struct elsim *d, uint8_t op, const uint8_t *data, size_t len, uint32_t chk)
{
    st_cmd_baud(d, op, data, len, chk, TW_BAUD);
    uint8_t f[64];
    size_t n = tw_frame(d, f, sizeof(f));
    assert_int_equal(n, 10);
    assert_int_equal(f[1], op);
    assert_int_equal(f[8], 0);
}

/* Modelled times of the first data block of a tw_write. */
struct tw_first {
    uint64_t begin_reply_us; /* FLASH_DEFL_BEGIN reply read by the host */
    uint64_t wire_done_us;   /* the block's last byte on the wire */
    uint64_t ack_us;         /* its ACK read by the host */
    uint64_t erased_at_ack;  /* flash bytes erased so far when the ACK arrived */
};

/* A compressed write of img (TW_SIZE bytes) at TW_ADDR as the host does it: the next block
 * is sent when the previous one is ACKed. Returns the modelled time from FLASH_DEFL_BEGIN
 * to the FLASH_DEFL_END reply; *block_us gets the wire time of the first block, *first
 * (if not NULL) the times around the first block. */
static uint64_t tw_write(struct elsim *d, const uint8_t *z, uint32_t zlen, uint64_t *block_us,
                         struct tw_first *first)
{
    static uint8_t buf[16 + TW_BLOCK];
    uint8_t w[16];
    uint32_t nb = (zlen + TW_BLOCK - 1) / TW_BLOCK;
    uint64_t t0 = elsim_now_us(d);
    el_put_le32(w, TW_SIZE);
    el_put_le32(w + 4, nb);
    el_put_le32(w + 8, TW_BLOCK);
    el_put_le32(w + 12, TW_ADDR);
    tw_cmd(d, EL_OP_FLASH_DEFL_BEGIN, w, 16, 0);
    if (first)
        first->begin_reply_us = elsim_now_us(d);
    for (uint32_t i = 0; i < nb; i++) {
        uint32_t n = zlen - i * TW_BLOCK < TW_BLOCK ? zlen - i * TW_BLOCK : TW_BLOCK;
        el_put_le32(buf, n);
        el_put_le32(buf + 4, i);
        memset(buf + 8, 0, 8);
        memcpy(buf + 16, z + i * TW_BLOCK, n);
        uint64_t ts = elsim_now_us(d);
        tw_cmd(d, EL_OP_FLASH_DEFL_DATA, buf, 16 + n, el_checksum(buf + 16, n, EL_CHECKSUM_SEED));
        if (i == 0)
            *block_us = elsim_host_write_done_us(d) - ts;
        if (i == 0 && first) {
            struct elsim_stats st;
            elsim_get_stats(d, &st);
            first->wire_done_us = elsim_host_write_done_us(d);
            first->ack_us = elsim_now_us(d);
            first->erased_at_ack = st.flash_bytes_erased;
        }
    }
    el_put_le32(w, 1);
    tw_cmd(d, EL_OP_FLASH_DEFL_END, w, 4, 0);
    return elsim_now_us(d) - t0;
}

/* A timed ESP32 running espload's stub at TW_BAUD. */
static struct elsim *tw_stub_device(void)
{
    struct elsim *d = st_new("esp32", "timing", "1", "r0-wdt-ms", "0", NULL);
    st_reset_download(d, 50);
    elsim_advance(d, 100000);
    st_drain(d);
    uint8_t code[64] = {0};
    memcpy(code, "espload-stub-id", 16); /* espload's stub: identification before the entry */
    st_cmd_words(d, EL_OP_MEM_BEGIN, 4, 64, 1, 0x1800, 0x400BE000u);
    st_data(d, EL_OP_MEM_DATA, code, 64, 0);
    st_cmd_words(d, EL_OP_MEM_END, 2, 0, 0x400BE010u);
    elsim_advance(d, 200000);
    st_drain(d);
    assert_string_equal(elsim_state_name(d), "stub");
    st_cmd_words(d, EL_OP_CHANGE_BAUDRATE, 2, TW_BAUD, 115200);
    elsim_advance(d, 100000);
    st_drain(d);
    elsim_set_host_baud(d, TW_BAUD);
    return d;
}

/* The next TW_SIZE image of 4-bit noise (about half compressible) into img, compressed
 * into z (compressBound(TW_SIZE) bytes); returns the compressed length. */
static uint32_t tw_noise_image(uint32_t *x, uint8_t *img, uint8_t *z)
{
    for (uint32_t i = 0; i < TW_SIZE; i++) {
        *x = *x * 1103515245u + 12345u;
        img[i] = (uint8_t)((*x >> 16) & 0x0F);
    }
    uLongf zl = compressBound(TW_SIZE);
    assert_int_equal(compress2(z, &zl, img, TW_SIZE, 9), Z_OK);
    return (uint32_t)zl;
}

/* espload's stub erases ahead in the background: over old contents the write takes less
 * than the device's serial work (what the write used to take at least: the first block on
 * the wire, then every erase, program and decompression step one after the other). */
static void test_sim_timing__stub_erase_ahead(void **state)
{
    (void)state;
    struct elsim *d = tw_stub_device();
    /* two images, the second over the first */
    uint8_t *img = malloc(TW_SIZE);
    uLongf cap = compressBound(TW_SIZE);
    uint8_t *z[2] = {malloc(cap), malloc(cap)};
    uint32_t zlen[2];
    uint32_t x = 12345;
    for (int k = 0; k < 2; k++)
        zlen[k] = tw_noise_image(&x, img, z[k]);
    uint64_t block_us = 0;
    uint64_t blank_us = tw_write(d, z[0], zlen[0], &block_us, NULL); /* over blank flash */
    uint64_t old_us = tw_write(d, z[1], zlen[1], &block_us, NULL);   /* over the first image */
    size_t sz;
    const uint8_t *fl = elsim_flash(d, &sz);
    assert_memory_equal(fl + TW_ADDR, img, TW_SIZE);
    uint64_t erase_us = (uint64_t)(TW_SIZE / 0x10000u) * MODEL_BLOCK64_US;
    uint64_t program_us = (uint64_t)(TW_SIZE / 256u) * MODEL_PAGE_US;
    uint64_t cpu_us = (uint64_t)zlen[1] * MODEL_INFLATE_NS_PER_BYTE / 1000u;
    uint64_t serial_us = block_us + erase_us + program_us + cpu_us;
    print_message("blank %llu us, old %llu us, serial %llu us (first block on the wire %llu us)\n",
                  (unsigned long long)blank_us, (unsigned long long)old_us,
                  (unsigned long long)serial_us, (unsigned long long)block_us);
    assert_true(old_us < serial_us);
    /* and it cannot beat the flash: every erase and program, one after the other */
    assert_true(old_us >= erase_us + program_us);
    /* over blank flash nothing is erased: faster than over old contents */
    assert_true(blank_us < old_us);
    free(z[0]);
    free(z[1]);
    free(img);
    elsim_free(d);
}

/* A data block that arrives while a background erase runs is ACKed as soon as it is in,
 * not when the erase ends: over old contents the first 64 KiB block erase starts right
 * after FLASH_DEFL_BEGIN (erase-ahead while the block is on the wire) and takes longer
 * than the block's wire time at TW_BAUD. */
static void test_sim_timing__stub_ack_during_erase(void **state)
{
    (void)state;
    struct elsim *d = tw_stub_device();
    uint8_t *img = malloc(TW_SIZE);
    uint8_t *z = malloc(compressBound(TW_SIZE));
    uint32_t x = 777;
    uint64_t block_us = 0;
    uint32_t zlen = tw_noise_image(&x, img, z);
    tw_write(d, z, zlen, &block_us, NULL); /* old contents */
    struct elsim_stats st;
    elsim_get_stats(d, &st);
    uint64_t erased0 = st.flash_bytes_erased;
    assert_int_equal(erased0, 0);
    zlen = tw_noise_image(&x, img, z);
    struct tw_first first;
    tw_write(d, z, zlen, &block_us, &first);
    /* the premise: a block (SLIP-escaped at worst to twice its size, 10 bits a byte) takes
     * less time on the wire than one block erase */
    assert_true((uint64_t)2 * (16 + TW_BLOCK + 8) * 10u * 1000000u / TW_BAUD < MODEL_BLOCK64_US);
    /* an erase was started before the ACK ... */
    assert_true(first.erased_at_ack >= 0x10000u);
    /* ... and cannot have ended yet when the ACK was read */
    assert_true(first.ack_us < first.begin_reply_us + MODEL_BLOCK64_US);
    /* the ACK follows the block at once (its 10 bytes on the wire, no flash wait) */
    assert_true(first.ack_us >= first.wire_done_us);
    assert_true(first.ack_us - first.wire_done_us < 1000u);
    size_t sz;
    const uint8_t *fl = elsim_flash(d, &sz);
    assert_memory_equal(fl + TW_ADDR, img, TW_SIZE);
    free(z);
    free(img);
    elsim_free(d);
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
        cmocka_unit_test(test_sim_timing__stub_erase_ahead),
        cmocka_unit_test(test_sim_timing__stub_ack_during_erase),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
