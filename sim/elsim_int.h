/* SPDX-License-Identifier: MIT */
#ifndef ELSIM_ELSIM_INT_H
#define ELSIM_ELSIM_INT_H
/*
 * Internals of the virtual device, shared by the files in sim/. Nothing here is API.
 *
 * Time model: the device has one clock (now_us). Host bytes are queued with their arrival
 * time; the consumer (ROM loader, stub, application or nothing) takes them in order at
 * max(arrival, busy_until). Output bytes are queued with the time at which the host can
 * read them (wire time + USB latency when the timing model is on, else the stamp itself).
 * Timed events (boot after EN rises, boot-loop lines, watchdog resets, the stub greeting)
 * sit in a small table and fire when the clock passes them.
 */
#include "elsim.h"
#include "espload/chip.h"
#include "espload/slip.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define ELSIM_MAX_FAULTS     16
#define ELSIM_PATH_MAX       1024
#define ELSIM_ROM_FIFO       128u       /* UART RX FIFO of the chip: what the ROM can buffer */
#define ELSIM_IN_CAP         (1u << 18) /* host bytes queued in the device model */
#define ELSIM_OUT_CAP        (1u << 18) /* bytes queued towards the host */
#define ELSIM_ROM_MAX_FRAME  (0x1800u + 16u + 8u + 64u)
#define ELSIM_STUB_MAX_FRAME (0x4000u + 16u + 8u + 64u)
#define ELSIM_ROM_RBUF       (64u + 4u) /* largest ROM reply data: 64 bytes + 4 status */

enum elsim_fault_kind {
    ELSIM_FAULT_DROP,    /* drop host->device byte N */
    ELSIM_FAULT_CORRUPT, /* invert host->device byte N */
    ELSIM_FAULT_STALL,   /* after host byte N, the device ignores everything until reset */
    ELSIM_FAULT_VANISH,  /* after host byte N, the device disappears (port read fails) */
    ELSIM_FAULT_RESET,   /* device resets in the middle of the Nth frame with an opcode */
    ELSIM_FAULT_STATUS   /* the Nth frame with an opcode is answered with an error status */
};

struct elsim_fault {
    enum elsim_fault_kind kind;
    uint64_t n; /* byte index (0-based) or occurrence (1-based) */
    int op;     /* opcode for RESET/STATUS */
    int code;   /* error code for STATUS; -1 = default */
    bool fired;
};

struct elsim_cfg {
    const struct el_chip *chip;
    char flash_path[ELSIM_PATH_MAX];
    uint32_t flash_size; /* 0 = from file or 4 MB */
    uint32_t jedec_id;   /* 0xMMTTCC: manufacturer, memory type, capacity */
    bool jedec_set;
    uint8_t mac[6];
    bool mac_set;
    int revision; /* major*100+minor; -1 = chip default */
    int package;  /* -1 = chip default */
    unsigned crystal_mhz;
    bool timing;
    struct elsim_fault faults[ELSIM_MAX_FAULTS];
    size_t n_faults;
    char transcript_path[ELSIM_PATH_MAX];
    bool write_protect;
    bool psram;
    bool secure_boot;
    bool flash_crypt;
    bool cpu_rated;         /* eFuse CHIP_CPU_FREQ_RATED (240 MHz rating) */
    int r0_wdt_ms;          /* rev-0 spurious watchdog delay; -1 = auto (300 on rev 0) */
    int rom_clock_permille; /* error of the ROM's idea of its clock (ESP32), per mille */
    uint32_t usb_latency_us;
    uint32_t en_delay_us;      /* EN RC delay before the chip samples its strapping pins */
    uint32_t max_baud;         /* USB bridge limit: host rates above it garble (0 = none) */
    uint16_t usb_vid, usb_pid; /* USB bridge ids the sim:// port reports */
    bool usb_set;
};

enum elsim_state {
    ELSIM_ST_RESET, /* held in reset (EN low) or waiting for the EN RC delay */
    ELSIM_ST_ROM,   /* ROM serial loader: waiting for download */
    ELSIM_ST_STUB,  /* flasher stub running */
    ELSIM_ST_APP,   /* user code running (quiet) */
    ELSIM_ST_BOOT,  /* ROM trying to boot from flash (boot loop, hung rev-0 chip, ...) */
    ELSIM_ST_STALL, /* fault: stopped answering */
    ELSIM_ST_GONE   /* fault: device vanished */
};

enum elsim_event {
    ELSIM_EV_BOOT,     /* strapping pins sampled, ROM starts */
    ELSIM_EV_LOOPLINE, /* next "invalid header" line of a failing flash boot */
    ELSIM_EV_WDT,      /* RTC watchdog reset */
    ELSIM_EV_GREET,    /* stub sends OHAI */
    ELSIM_EV_COUNT
};

struct elsim_in {
    uint64_t t;
    uint32_t baud; /* host baud the byte was sent at */
    uint8_t b;
    bool lost; /* arrived while the ROM was busy and its RX FIFO was full */
};

struct elsim_out {
    uint64_t t;
    uint32_t baud; /* device baud the byte was sent at */
    uint8_t b;
};

/* flash write session of the ROM (FLASH_BEGIN / FLASH_DEFL_BEGIN / MEM_BEGIN) */
struct elsim_rom_session {
    bool active;
    bool deflate;
    uint32_t offset; /* next flash address to write */
    uint32_t size;   /* bytes announced */
    uint32_t num_blocks;
    uint32_t block_size;
    uint32_t next_seq;
    uint32_t written;
};

struct elsim_ram {
    uint32_t start, end;
    uint8_t *buf; /* allocated on first write */
};

struct elsim_spi {
    uint32_t cmd, addr, ctrl, user, user1, user2, mosi_dlen, miso_dlen;
    uint32_t w[16];
};

struct stub_core;

struct elsim {
    struct elsim_cfg cfg;
    const struct el_chip *chip;
    uint64_t now;

    /* flash */
    uint8_t *flash;
    uint32_t flash_size;
    uint8_t sr[3];             /* status registers 1..3 */
    bool wel;                  /* write enable latch */
    bool attached;             /* SPI flash attached (SPI_ATTACH or stub/boot) */
    uint32_t rom_flash_size;   /* ROM's idea of the flash size (SPI_SET_PARAMS; default 2 MB) */
    uint64_t flash_busy_until; /* WIP: program/erase started through the SPI registers */

    /* eFuse words (BLOCK0 .. as many as modelled) */
    uint32_t efuse[32];
    uint32_t rtc_cali; /* ESP32 RTCCALICFG1 value */
    uint32_t apb_date; /* ESP32 APB_CTL_DATE */
    uint8_t mac[6];
    int rev_major, rev_minor;

    /* lines and reset */
    bool dtr, rts, en, io0;
    bool en_was_low; /* EN went low since power-on (next boot is an EN reset) */
    enum elsim_state state;
    uint8_t rst_cause;   /* 0x1 POWERON, 0x10 RTCWDT_RTC_RESET, 0xC SW_CPU_RESET */
    bool r0_hung;        /* rev-0 chip waiting for its spurious watchdog reset */
    bool r0_quirk;       /* this chip has the rev-0 watchdog behaviour */
    bool strap_download; /* strapping pins latched at the last chip reset: IO0 low */
    bool rom_locked;     /* ROM baud fixed (synced or changed); no more autobaud */
    int pending_status;  /* status fault for the frame being delivered: -1 none, -2 default */
    uint64_t ev[ELSIM_EV_COUNT]; /* UINT64_MAX = not scheduled */
    unsigned loop_lines;
    char loop_text[96];

    /* UART */
    uint32_t baud;      /* device's current baud */
    uint32_t host_baud; /* last host baud seen */
    uint64_t rx_free;   /* host->device line free at */
    uint64_t tx_free;   /* device->host line free at */
    struct elsim_in *in;
    size_t in_head, in_len;
    struct elsim_out *out;
    size_t out_head, out_len;
    uint64_t busy_until; /* consumer busy (ROM processing) until */
    unsigned fifo_fill;  /* bytes waiting in the RX FIFO while busy */
    uint64_t in_index;   /* host->device bytes seen so far (fault indices) */

    /* ROM loader */
    struct el_slip_dec slip;
    struct elsim_ram *ram_regions;
    size_t n_ram;
    uint8_t *frame;
    struct elsim_rom_session fl; /* flash write */
    struct elsim_rom_session mem;
    void *zs; /* z_stream for FLASH_DEFL_* */
    uint8_t *inflate_buf;
    uint32_t mem_entry;
    uint32_t op_count[256];
    struct elsim_spi spi;
    /* what the ROM leaves behind in its replies (docs/CONFORMANCE.md D1, D2, D9) */
    uint8_t rom_op;                   /* opcode field of the last reply */
    uint32_t rom_value;               /* value field: last READ_REG result or SYNC value */
    uint8_t rom_err;                  /* last error code sent */
    uint8_t rom_rbuf[ELSIM_ROM_RBUF]; /* reply data buffer: stale bytes after the status */

    /* stub */
    void *stub_mem;
    struct stub_core *stub;
    uint64_t cpu; /* stub time cursor during stub_core_rx */
    uint8_t stub_txbuf[64];
    int stub_fault_op;   /* status fault: next stub reply with this opcode gets ... */
    int stub_fault_code; /* ... this status byte */
    bool stub_run_pending;
    bool frame_done;       /* the byte being delivered completed a host frame ... */
    int frame_done_op;     /* ... a request with this opcode (-1 otherwise) ... */
    size_t frame_done_len; /* ... of this many bytes */
    uint32_t stub_run_entry;
    uint64_t stub_cpu_pending; /* CPU time of the data block being handled, charged before
                                  its first flash operation (after its ACK) */
    bool stub_legacy;          /* the code started is not espload's stub: esptool's model */

    /* observability */
    struct elsim_stats st;
    FILE *transcript;
    struct el_slip_dec tr_in, tr_out;
    uint8_t *tr_in_buf, *tr_out_buf;
    char tr_text[256];
    size_t tr_text_len;
};

/* device.c */
void eli_sim_emit(struct elsim *d, const uint8_t *buf, size_t len, uint64_t t);
void eli_sim_emit_str(struct elsim *d, const char *s, uint64_t t);
void eli_sim_send_frame(struct elsim *d, const uint8_t *pkt, size_t len, uint64_t t);
void eli_sim_schedule(struct elsim *d, enum elsim_event ev, uint64_t t);
void eli_sim_reboot(struct elsim *d, uint8_t cause, uint64_t t);
/* Chip reset with the strapping pins sampled now (IO0 as the lines drive it). */
void eli_sim_restart(struct elsim *d, uint8_t cause, uint64_t t);
/* ROM/stub busy until t (ROM: bytes beyond the RX FIFO are lost meanwhile). */
void eli_sim_set_busy(struct elsim *d, uint64_t t);
void eli_boot_loop(struct elsim *d, const char *line, uint64_t t);
void eli_boot_fatal(struct elsim *d, const char *msg, uint64_t t);
uint64_t eli_sim_byte_us(uint32_t baud);

/* flash.c */
int eli_flash_init(struct elsim *d, char *err, size_t errlen);
int eli_flash_save(struct elsim *d);
bool eli_flash_protected(const struct elsim *d, uint32_t addr);
/* NOR operations; return 0, or -1 for an address outside the chip. Protected areas
 * silently keep their contents, like real flash. *us_out gets the modelled duration. */
int eli_flash_erase(struct elsim *d, uint32_t addr, uint32_t len, uint64_t *us_out);
int eli_flash_erase_sector(struct elsim *d, uint32_t addr, uint64_t *us_out);
int eli_flash_erase_block(struct elsim *d, uint32_t addr, uint64_t *us_out);
int eli_flash_erase_chip(struct elsim *d, uint64_t *us_out);
int eli_flash_program(struct elsim *d, uint32_t addr, const uint8_t *buf, uint32_t len,
                      uint64_t *us_out);
int eli_flash_read(const struct elsim *d, uint32_t addr, uint8_t *buf, uint32_t len);
/* SPI flash command through the controller registers; returns the MISO bits (LE) */
void eli_flash_spi_cmd(struct elsim *d, uint8_t opcode, uint32_t addr, uint32_t addr_bits,
                       const uint8_t *mosi, uint32_t mosi_bits, uint8_t *miso, uint32_t miso_bits);

/* regs.c */
void eli_regs_init(struct elsim *d);
uint32_t eli_reg_read(struct elsim *d, uint32_t addr);
void eli_reg_write(struct elsim *d, uint32_t addr, uint32_t value);
uint32_t eli_rom_clock_hz(const struct elsim *d);
/* RAM: 0 ok, -1 address outside RAM, -2 overlaps memory the ROM itself uses */
int eli_ram_check(const struct elsim *d, uint32_t addr, uint32_t len);
int eli_ram_write(struct elsim *d, uint32_t addr, const uint8_t *buf, uint32_t len);
void eli_ram_free(struct elsim *d);

/* rom.c */
void eli_rom_enter(struct elsim *d);
void eli_rom_rx(struct elsim *d, uint8_t b, uint64_t t);
void eli_rom_free(struct elsim *d);

/* boot.c */
void eli_boot_banner(struct elsim *d, bool download, uint64_t t);
/* the banner up to the reset line only (a chip that hangs right after it) */
void eli_boot_banner_rst(struct elsim *d, bool download, uint64_t t);
void eli_boot_flash(struct elsim *d, uint64_t t);

/* stub_host.c */
bool eli_stub_available(void);
int eli_stub_start(struct elsim *d, uint64_t t);
void eli_stub_rx(struct elsim *d, uint8_t b, uint64_t t);
void eli_stub_free(struct elsim *d);

/* fault.c */
int eli_fault_parse(struct elsim_cfg *cfg, const char *spec, char *err, size_t errlen);
/* Returns the (possibly changed) byte, or -1 to drop it; may change the state. */
int eli_fault_on_byte(struct elsim *d, uint8_t b);
/* Called when a complete request frame with opcode op arrives. Returns the fault that
 * applies to this occurrence (RESET or STATUS) or NULL. */
struct elsim_fault *eli_fault_on_frame(struct elsim *d, uint8_t op);

/* transcript.c */
int eli_tr_open(struct elsim *d);
void eli_tr_close(struct elsim *d);
void eli_tr_bytes(struct elsim *d, bool to_host, const uint8_t *buf, size_t len, uint64_t t);
void eli_tr_frame(struct elsim *d, bool to_host, const uint8_t *f, size_t n, uint64_t t);
void eli_tr_note(struct elsim *d, const char *what, uint64_t t);

/* crc8 of the ESP32 MAC eFuse (CRC-8, reflected poly 0x8C, init 0) */
uint8_t eli_mac_crc8(const uint8_t mac[6]);

#endif
