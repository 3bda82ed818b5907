/* SPDX-License-Identifier: MIT */
#ifndef ESPLOAD_LOADER_H
#define ESPLOAD_LOADER_H
/*
 * The protocol client: a loader context on an open port that resets the chip into its
 * serial bootloader, syncs, detects the chip, optionally uploads a flasher stub, and then
 * runs register, memory and flash operations (flash operations: espload/flash.h).
 *
 * Ownership and threading: the caller owns the port; it must outlive the loader. A loader
 * is used by one thread at a time. Nothing here prints, exits or reads the environment:
 * everything a user should see is reported through the event callback (ids plus numeric
 * and string parameters, so a front end can print esptool's exact wording), progress
 * through the progress callback, and every frame on the wire through the trace callback.
 * Every failing call leaves a one-line detail in el_loader_errmsg() (esptool's wording
 * where esptool has one) and, where we know the fix, a hint in el_loader_errhint().
 *
 * Who does what in write_flash: the front end reads files, pads nothing, patches the image
 * header at the bootloader offset with el_image_patch_flash_params() (image.h) and prints
 * "Flash params set to ..." itself; it then calls el_flash_write() with the final bytes.
 * The library pads to 4 bytes, compresses, erases/writes and verifies by MD5.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "espload/chip.h"
#include "espload/stub.h"

#ifdef __cplusplus
extern "C" {
#endif

struct el_port;
struct el_loader;

/* ------------------------------------------------------------------------------------ */
/* Events                                                                                 */
/* ------------------------------------------------------------------------------------ */

/* Every event has an id, up to three numbers (a, b, c) and an optional string. `text` is a
 * ready-made English line (never NULL) for front ends that do not want to format their own;
 * the CLI formats esptool's exact lines from the id and parameters. */
enum el_event_id {
    /* reset / connect */
    EL_EV_RESET_UNAVAILABLE = 1, /* port has no modem lines (str = port kind: "socket", ...);
                                    automatic reset disabled, reset the chip manually */
    EL_EV_CONNECTING,            /* connect started ("Connecting...", no newline) */
    EL_EV_CONNECT_ATTEMPT,       /* a = attempt number (1-based), str = reset strategy name */
    EL_EV_CONNECT_DOT,           /* one failed SYNC: a = attempt, b = sync try (print '.') */
    EL_EV_BOOT_BANNER,           /* str = boot text seen after reset; a = boot mode or -1,
                                    b = 1 if "waiting for download" was seen */
    EL_EV_CONNECTED,             /* synced; a = 1 if a stub was found already running */
    EL_EV_CONNECT_FAILED,        /* all attempts used; str = last error detail */
    EL_EV_STUB_ALREADY_RUNNING,  /* SYNC answered with value 0: stub running, no upload */
    EL_EV_PANIC,                 /* a panic message in the junk; str = the line */
    /* chip detection */
    EL_EV_DETECTING_CHIP,     /* "Detecting chip type..." (auto detection starts) */
    EL_EV_DETECT_FALLBACK,    /* GET_SECURITY_INFO unsupported; using the magic register */
    EL_EV_CHIP_DETECTED,      /* a = enum el_chip_id, str = display name ("ESP32") */
    EL_EV_CHIP_UNKNOWN_MAGIC, /* a = magic value; explicit --chip kept (warning) */
    EL_EV_UNSUPPORTED_CMD,    /* a = opcode answered "invalid message" by the ROM (drained) */
    /* stub */
    EL_EV_STUB_NONE,      /* no stub for the chip (str = display name): using the ROM loader */
    EL_EV_STUB_SOURCE,    /* str = origin of the stub image ("built-in" or a JSON path) */
    EL_EV_STUB_UPLOADING, /* "Uploading stub..." */
    EL_EV_STUB_RUNNING,   /* "Running stub..." */
    EL_EV_STUB_STARTED,   /* "Stub running..." (OHAI received) */
    /* baud */
    EL_EV_BAUD_CHANGING, /* a = new baud ("Changing baud rate to N") */
    EL_EV_BAUD_CHANGED,  /* a = new baud ("Changed.") */
    EL_EV_BAUD_FAILED,   /* a = baud that failed the round trip, b = baud now in use */
    /* flash */
    EL_EV_SPI_ATTACH,          /* a = SPI_ATTACH value, b = 0 default pins / 1 eFuse pads /
                                  2 caller's --spi-connection; str = "CLK:6, Q:7, ..." or NULL */
    EL_EV_FLASH_SET_PARAMS,    /* a = flash size in bytes ("Configuring flash size...") */
    EL_EV_COMPRESSED,          /* a = raw bytes, b = compressed bytes, c = enum el_compressor */
    EL_EV_COMPRESS_NOT_USEFUL, /* a = raw, b = compressed >= raw: sending uncompressed */
    EL_EV_ROM_ERASING,         /* ROM erases up front: a = addr, b = bytes ("Erasing flash...") */
    EL_EV_ROM_ERASE_TOOK,      /* a = milliseconds the ROM's erase took */
    EL_EV_ALREADY_IN_FLASH,    /* a = addr, b = len: region MD5 matches, write skipped */
    EL_EV_CHANGED_SECTORS,     /* a = changed 4 KiB sectors, b = sectors in the region */
    EL_EV_VERIFYING,           /* "Verifying written data..." */
    EL_EV_VERIFIED,            /* "Hash of data verified." */
    EL_EV_BLOCK_RETRY,         /* a = seq, b = attempt: resending a data block */
    /* leaving */
    EL_EV_HARD_RESET,             /* "Hard resetting via RTS pin..." */
    EL_EV_SOFT_RESET,             /* "Soft resetting..." */
    EL_EV_STAY_BOOTLOADER,        /* "Staying in bootloader." */
    EL_EV_STAY_STUB,              /* "Staying in flasher stub." */
    EL_EV_SOFT_RESET_UNSUPPORTED, /* soft reset from the stub is ESP8266-only (esptool's note) */
    EL_EV_WATCHDOG_UNSUPPORTED,   /* watchdog reset unsupported on this chip: hard reset used */
    /* generic */
    EL_EV_WARNING, /* str = one line */
    EL_EV_NOTE,    /* str = one line */
    EL_EV_DEBUG    /* str = verbose detail, normally hidden */
};

struct el_event {
    enum el_event_id id;
    int64_t a, b, c;
    const char *str;  /* may be NULL; valid only during the callback */
    const char *text; /* default English rendering; never NULL; valid during the callback */
};
typedef void (*el_event_cb)(void *user, const struct el_event *ev);

/* Progress of a long operation. Reported before each block (block = index of the block about
 * to be sent, done = bytes before it: esptool v4 prints "(100 * (block + 1) / blocks %)" on
 * these) and once at the end (block == blocks, done == total). For writes `addr` is start +
 * uncompressed bytes written so far (esptool's "Writing at 0x%08x"), `wire_done/wire_total` count
 * bytes actually sent (compressed). */
enum el_progress_op {
    EL_PROG_WRITE = 1,
    EL_PROG_READ,
    EL_PROG_ERASE,
    EL_PROG_VERIFY,
    EL_PROG_RAM,
    EL_PROG_DUMP
};
struct el_progress {
    enum el_progress_op op;
    uint32_t start;      /* start address of the region */
    uint32_t addr;       /* current address */
    uint64_t done;       /* bytes done (uncompressed) */
    uint64_t total;      /* bytes in all (uncompressed) */
    uint64_t wire_done;  /* bytes sent so far (compressed, for writes) */
    uint64_t wire_total; /* bytes to send */
    uint32_t block;      /* blocks done */
    uint32_t blocks;     /* blocks in all; percent as esptool v4: 100 * block / blocks */
};
typedef void (*el_progress_cb)(void *user, const struct el_progress *p);

/* Every decoded frame each way (unescaped SLIP payload) and every run of bytes outside a
 * frame (junk, boot text), for --trace. */
enum el_trace_dir {
    EL_TRACE_TX = 0,    /* host -> chip, one frame */
    EL_TRACE_RX = 1,    /* chip -> host, one frame */
    EL_TRACE_RX_RAW = 2 /* chip -> host bytes outside frames (boot banner, noise) */
};
typedef void (*el_trace_cb)(void *user, enum el_trace_dir dir, const uint8_t *data, size_t len);

/* ------------------------------------------------------------------------------------ */
/* Lifecycle                                                                              */
/* ------------------------------------------------------------------------------------ */

/* Creates a loader on an open port (not yet connected). *out is NULL on failure. */
int el_loader_new(struct el_loader **out, struct el_port *port);
/* Frees (does not close the port, sends nothing). NULL is fine. */
void el_loader_free(struct el_loader *l);

void el_loader_set_event_cb(struct el_loader *l, el_event_cb cb, void *user);
void el_loader_set_progress_cb(struct el_loader *l, el_progress_cb cb, void *user);
void el_loader_set_trace_cb(struct el_loader *l, el_trace_cb cb, void *user);

/* Detail of the last failure ("Wrong boot mode detected (0x13)! The chip needs to be in
 * download mode."). Never NULL; "" if none. Borrowed until the next call on l. */
const char *el_loader_errmsg(const struct el_loader *l);
/* What to do about the last failure ("GPIO0 was not low at reset: ..."), or "". */
const char *el_loader_errhint(const struct el_loader *l);
/* The port the loader was created on. */
struct el_port *el_loader_port(const struct el_loader *l);

/* ------------------------------------------------------------------------------------ */
/* Reset strategies                                                                       */
/* ------------------------------------------------------------------------------------ */

enum el_before {
    EL_BEFORE_DEFAULT_RESET = 0,
    EL_BEFORE_USB_RESET,
    EL_BEFORE_NO_RESET,
    EL_BEFORE_NO_RESET_NO_SYNC
};
enum el_after {
    EL_AFTER_HARD_RESET = 0,
    EL_AFTER_SOFT_RESET,
    EL_AFTER_NO_RESET,
    EL_AFTER_NO_RESET_STUB,
    EL_AFTER_WATCHDOG_RESET
};
/* Parse "default-reset"/"default_reset", ...; EL_OK or EL_E_ARG. */
int el_before_parse(const char *s, enum el_before *out);
int el_after_parse(const char *s, enum el_after *out);
const char *el_before_name(enum el_before b); /* dashed spelling */
const char *el_after_name(enum el_after a);

/* One step of a reset sequence (esptool's custom_reset_sequence syntax:
 * "D0|R1|W0.1|D1|R0|W0.05|D0"; D = DTR, R = RTS, U<dtr>,<rts> = both at once, W = wait s). */
enum el_reset_op { EL_RST_DTR = 1, EL_RST_RTS, EL_RST_BOTH, EL_RST_WAIT };
struct el_reset_step {
    enum el_reset_op op;
    bool dtr, rts;    /* value for D (dtr), R (rts), U (both) */
    unsigned wait_ms; /* for W */
};
#define EL_RESET_MAX_STEPS 32
/* Parses a sequence string into steps. EL_E_ARG with a message in err (e.g. "invalid
 * command 'X0' in reset sequence"). */
int el_reset_parse(const char *s, struct el_reset_step *steps, size_t cap, size_t *n_out, char *err,
                   size_t errlen);
/* Runs steps on a port (el_port_set_lines / el_port_sleep_ms). Like esptool, every RTS
 * change re-writes DTR with its current value. */
int el_reset_run(struct el_port *p, const struct el_reset_step *steps, size_t n);

/* Built-in strategies. delay_ms: esptool's 50 ms (or the "extra" 550 ms). */
enum el_reset_kind {
    EL_RESET_CLASSIC = 1,
    EL_RESET_UNIX_TIGHT,
    EL_RESET_USB_JTAG,
    EL_RESET_CUSTOM
};
struct el_reset_strategy {
    enum el_reset_kind kind;
    unsigned delay_ms;
};
/* Fills steps for a built-in strategy (not CUSTOM). */
int el_reset_steps(const struct el_reset_strategy *s, struct el_reset_step *steps, size_t cap,
                   size_t *n_out);
/* Name for traces: "ClassicReset(0.05)", "UnixTightReset(0.55)", "USBJTAGSerialReset". */
const char *el_reset_name(const struct el_reset_strategy *s, char *buf, size_t len);
/* The rotation esptool uses, one strategy per attempt:
 * usb (USB-Serial/JTAG port or --before usb-reset) -> USBJTAG only;
 * posix && !rfc2217 -> UnixTight(50), UnixTight(550), Classic(50), Classic(550);
 * otherwise -> Classic(50), Classic(550). reset_delay_ms != 0 replaces both delays.
 * Returns the number written (<= cap). */
size_t el_reset_rotation(bool usb_jtag, bool posix, bool rfc2217, unsigned reset_delay_ms,
                         struct el_reset_strategy *out, size_t cap);
/* Hard reset (RTS pulse: 100 ms, or 200 ms on USB-Serial/JTAG). */
int el_reset_hard(struct el_port *p, bool usb_jtag);

/* ------------------------------------------------------------------------------------ */
/* Connect and chip detection                                                             */
/* ------------------------------------------------------------------------------------ */

struct el_connect_opts {
    enum el_before before;
    int attempts;               /* <= 0: forever (esptool); el_connect_opts_init: 7 */
    enum el_chip_id chip;       /* EL_CHIP_UNKNOWN = auto-detect */
    const char *reset_sequence; /* custom sequence replacing the rotation, or NULL */
    unsigned reset_delay_ms;    /* 0 = esptool defaults (50 / 550 ms), unless reset_delay_set */
    bool reset_delay_set;       /* reset_delay_ms replaces both delays, 0 included */
    unsigned sync_tries;        /* SYNCs per attempt; init: 5 */
};
void el_connect_opts_init(struct el_connect_opts *o);

/*
 * Resets into the bootloader (per o->before), syncs and detects or checks the chip.
 * Events: RESET_UNAVAILABLE, CONNECTING, CONNECT_ATTEMPT, CONNECT_DOT, BOOT_BANNER,
 * CONNECTED, STUB_ALREADY_RUNNING, DETECTING_CHIP, DETECT_FALLBACK, CHIP_DETECTED.
 * Returns EL_OK, EL_E_CONNECT (errmsg says why, from the boot banner when one was seen:
 * wrong boot mode, no sync reply though in download mode, no data at all), EL_E_CHIP
 * ("This chip is ESP32-S3, not ESP32. Wrong --chip argument?"), EL_E_IO.
 * With EL_BEFORE_NO_RESET_NO_SYNC no reset and no SYNC are sent; the chip is o->chip, or
 * detected with READ_REG/GET_SECURITY_INFO; the loader is assumed to be the ROM.
 */
int el_loader_connect(struct el_loader *l, const struct el_connect_opts *o);

/* The detected/confirmed chip; NULL before a successful connect. */
const struct el_chip *el_loader_chip(const struct el_loader *l);
/* Boot mode strap value from the last banner (0x13 ...), or -1 if none was seen. */
int el_loader_boot_mode(const struct el_loader *l);
/* True once a stub answers (uploaded, or found running). */
bool el_loader_is_stub(const struct el_loader *l);

/* Security information (GET_SECURITY_INFO, 0x14). */
struct el_security_info {
    uint32_t flags; /* bit 0 SECURE_BOOT_EN, 1 AGGRESSIVE_REVOKE, 2 SECURE_DOWNLOAD_ENABLE, ... */
    uint8_t flash_crypt_cnt;
    uint8_t key_purposes[7];
    bool has_chip_id; /* false on the 12-byte ESP32-S2 reply */
    uint32_t chip_id;
    uint32_t api_version;
};
/* EL_E_UNSUPPORTED when the loader answers "invalid message" (ESP32 ROM) or 0xFF00. */
int el_loader_security_info(struct el_loader *l, struct el_security_info *out);

/* Description of the connected chip. Strings are esptool's; where v4 and v5 spell a thing
 * differently both are given (index EL_STYLE_V4 / EL_STYLE_V5). */
enum { EL_STYLE_V4 = 0, EL_STYLE_V5 = 1 };
struct el_chip_info {
    enum el_chip_id chip;
    char name[2][40];        /* package name: "ESP32-D0WDQ5" */
    char description[2][64]; /* "ESP32-D0WDQ5 (revision v0.0)" */
    unsigned rev_major, rev_minor;
    bool rev_known;
    char features[2][256]; /* "WiFi, BT, Dual Core, ..." / "Wi-Fi, BT, Dual Core + LP Core, ..." */
    unsigned crystal_mhz;  /* 0 if not measured (must be read at the ROM's baud) */
    bool crystal_warning;  /* estimate was more than 1 MHz off the normalised value */
    uint8_t mac[6];
    bool mac_valid;
    char mac_str[18];      /* "30:ae:a4:80:55:e0" */
    bool secure_boot;      /* from eFuses or security info */
    bool flash_encryption; /* odd popcount of FLASH_CRYPT_CNT */
    bool secure_download;  /* security info flag bit 2 */
    uint32_t package;      /* raw package code (ESP32) */
    uint32_t efuse[7];     /* ESP32 BLOCK0 words 0..6 as read (0 for other chips) */
};
/* Reads eFuses etc. and fills info. Call at the ROM baud (crystal uses UART CLKDIV). */
int el_loader_chip_info(struct el_loader *l, struct el_chip_info *info);
/* Pure: builds an ESP32 description from BLOCK0 words 0..6, APB_CTL_DATE and the CLKDIV
 * value at `baud` (clkdiv 0 = do not estimate the crystal). Exposed for tests. */
void el_esp32_describe(const uint32_t efuse[7], uint32_t apb_ctl_date, uint32_t clkdiv,
                       unsigned baud, struct el_chip_info *info);
/* Where the chips after the ESP32 keep their revision (esptool's get_major/minor_chip_version):
 * words [0, n) from address *base (BLOCK1 words 0..5; BLOCK2 words 0..1 on the ESP32-C2), and
 * on the ESP32-S3 also *extra (BLOCK2 word 4, the block version). false for other chips. */
bool el_chip_rev_words(enum el_chip_id chip, uint32_t efuse_base, uint32_t *base, size_t *n,
                       uint32_t *extra);
/* Pure: ESP32-S2 package name, description and features (embedded flash and PSRAM, BLK2
 * calibration, as esptool lists them) from BLOCK1 words 0..5 and BLOCK2 word 4; uses
 * info->rev_major/rev_minor. */
void el_esp32s2_describe(const uint32_t w[6], uint32_t blk2_w4, struct el_chip_info *info);
/* Pure: the revision from those words (w[0..n), extra as read). */
void el_chip_rev_decode(enum el_chip_id chip, const uint32_t *w, uint32_t extra, unsigned *major,
                        unsigned *minor);

/* ------------------------------------------------------------------------------------ */
/* Flasher stub                                                                           */
/* ------------------------------------------------------------------------------------ */

/* Parses an esptool-format stub JSON text ({"entry":..,"text_start":..,"text":"<base64>",
 * "data_start":..,"data":"<base64>","bss_start":..}; esptool-js names accepted too).
 * *out is heap-allocated (free with el_stub_image_free) with origin = a copy of `origin`.
 * EL_E_FORMAT with a message in err on bad JSON, missing fields or bad base64. */
int el_stub_parse_json(const char *text, size_t len, const char *origin, struct el_stub_image **out,
                       char *err, size_t errlen);
/* Reads and parses a file. EL_E_IO if unreadable, EL_E_FORMAT if malformed. */
int el_stub_load_json(const char *path, struct el_stub_image **out, char *err, size_t errlen);
void el_stub_image_free(struct el_stub_image *img);

/* Candidate stub JSON files for chip under the given roots, in preference order. A root
 * may be a stub directory (holding esp32.json, or 1/esp32.json and 2/esp32.json, or
 * stub_flasher_32.json), a Python site-packages directory (esptool/targets/stub_flasher/...)
 * or a node_modules directory (esptool-js/lib/targets/stub_flasher/stub_flasher_32.json).
 * Only existing files are listed. *paths_out is NULL-terminated; free with
 * el_stub_paths_free(). */
int el_stub_candidates(enum el_chip_id chip, const char *const *roots, size_t n_roots,
                       char ***paths_out, size_t *n_out);
void el_stub_paths_free(char **paths);

/* Where el_loader_run_stub() looks: first stub_dir (--stub-dir / ESPLOAD_STUB_DIR, may be
 * NULL; a bad JSON there is an error, not skipped), then the built-in stub, then the
 * discovery roots (site-packages, node_modules, ...; the caller gathers them; unreadable
 * or bad files there are skipped with a DEBUG event). Strings are copied. */
int el_loader_set_stub_sources(struct el_loader *l, const char *stub_dir,
                               const char *const *discovery_roots, size_t n_roots);

/*
 * Uploads and starts a stub (MEM_BEGIN/MEM_DATA/MEM_END per segment, then waits for OHAI).
 * img = NULL: pick from the sources above. If a stub is already running, does nothing.
 * If no stub exists for the chip: emits EL_EV_STUB_NONE and returns EL_E_UNSUPPORTED
 * (the loader stays on the ROM and works; callers normally continue).
 */
int el_loader_run_stub(struct el_loader *l, const struct el_stub_image *img);
/* Origin of the running stub ("built-in", a path, "already running"), or NULL. */
const char *el_loader_stub_origin(const struct el_loader *l);

/* ------------------------------------------------------------------------------------ */
/* Registers, memory, baud, leaving                                                       */
/* ------------------------------------------------------------------------------------ */

int el_loader_read_reg(struct el_loader *l, uint32_t addr, uint32_t *value);
/* WRITE_REG {addr, value, mask, 0}; with delay_us, esptool's trailing no-op write carrying
 * the delay. mask 0xFFFFFFFF = whole word. */
int el_loader_write_reg(struct el_loader *l, uint32_t addr, uint32_t value, uint32_t mask,
                        uint32_t delay_us);
/* READ_REG loop over [addr, addr+len) (len multiple of 4), progress EL_PROG_DUMP. */
int el_loader_dump_mem(struct el_loader *l, uint32_t addr, uint8_t *buf, size_t len);

struct el_ram_segment {
    uint32_t addr;
    const uint8_t *data;
    size_t len;
};
/* Loads segments into RAM (MEM_BEGIN/MEM_DATA per segment) and, if run, MEM_END(entry)
 * which starts it (a lost reply is tolerated on the ROM). The caller extracts segments
 * from an ELF or image (image.h). */
int el_loader_load_ram(struct el_loader *l, const struct el_ram_segment *segs, size_t n,
                       uint32_t entry, bool run);

/* Changes the baud on both sides (CHANGE_BAUDRATE; ESP32 ROM scaled by its clock), proves
 * it with a READ_REG round trip, and if that fails resets, reconnects at 115200 (stub
 * re-uploaded if one was running) and returns EL_OK with EL_EV_BAUD_FAILED emitted
 * (check el_loader_baud()). EL_E_UNSUPPORTED on ports without baud control. */
int el_loader_change_baud(struct el_loader *l, unsigned baud);
unsigned el_loader_baud(const struct el_loader *l);
/* espload's default speed. requested > 0: as --baud in esptool (el_loader_change_baud, only
 * when above the current rate). requested == 0: the rate known to work on the port's USB
 * bridge (el_port_usb_ids + el_baud_for_usb), proved by a round trip, with the reset and
 * reconnect at 115200 of el_loader_change_baud when it fails; nothing is changed for
 * unknown bridges or ports without USB ids. *chosen (may be NULL) gets the baud tried (0 =
 * none). EL_OK also when the port cannot change rates (socket://): the rate stays. */
int el_loader_auto_baud(struct el_loader *l, unsigned requested, unsigned *chosen);
/* Default --baud for a USB bridge (CP210x, CH340, FTDI, CH9102, ...; at most 921600) or 0
 * if the bridge is unknown. */
unsigned el_baud_for_usb(uint16_t vid, uint16_t pid);

/* Leaves per --after (events HARD_RESET, STAY_BOOTLOADER, ...). The hard reset runs the
 * tuning's hard_reset_sequence when one is set. */
int el_loader_after(struct el_loader *l, enum el_after after);
/* Leaves the loader and runs the app: ROM: FLASH_BEGIN(0,0)+FLASH_END(1); stub: RUN_USER_CODE
 * is not used (hard reset instead is the caller's choice). */
int el_loader_run_app(struct el_loader *l);

/* ------------------------------------------------------------------------------------ */
/* Raw command access (for tools and tests)                                               */
/* ------------------------------------------------------------------------------------ */

/* Sends a command and waits for its reply with esptool's matching rule. On success
 * *value is the header value, payload/payload_len the reply data before the status bytes
 * (borrowed until the next call). EL_E_DEVICE on a failure status (errmsg has "result was
 * 0105: ..."), EL_E_UNSUPPORTED on the ROM's "invalid message", EL_E_TIMEOUT. */
int el_loader_command(struct el_loader *l, uint8_t op, const uint8_t *data, size_t len,
                      uint32_t checksum, unsigned timeout_ms, uint32_t *value,
                      const uint8_t **payload, size_t *payload_len);
/* Device status of the last failed command ((status << 8) | error), 0 if none. */
unsigned el_loader_last_status(const struct el_loader *l);

/* esptool timeouts with the defaults: max(3 s, rate_ms_per_mb * size / 1e6), capped at 240 s. */
unsigned el_timeout_per_mb(unsigned ms_per_mb, uint64_t size);
/* The same with a floor (the default command timeout) and a cap (the longest any command may
 * wait) of the caller's choice. */
unsigned el_timeout_per_mb_in(unsigned ms_per_mb, uint64_t size, unsigned floor_ms,
                              unsigned cap_ms);

/* Timings and retry counts of a loader (esptool's configuration-file options). All values
 * are milliseconds (or milliseconds per MB of data) and counts; el_tuning_init() fills
 * esptool's defaults (the EL_* values below). */
struct el_tuning {
    unsigned timeout_ms;              /* most commands ("timeout"): 3000 */
    unsigned chip_erase_timeout_ms;   /* ERASE_FLASH ("chip_erase_timeout"): 120000 */
    unsigned max_timeout_ms;          /* cap of any command ("max_timeout"): 240000 */
    unsigned sync_timeout_ms;         /* one SYNC ("sync_timeout"): 100 */
    unsigned md5_ms_per_mb;           /* SPI_FLASH_MD5 ("md5_timeout_per_mb"): 8000 */
    unsigned erase_region_ms_per_mb;  /* erase before a write ("erase_region_..."): 30000 */
    unsigned erase_write_ms_per_mb;   /* one written block ("erase_write_..."): 40000 */
    unsigned mem_end_rom_timeout_ms;  /* MEM_END on the ROM ("mem_end_rom_timeout"): 200 */
    unsigned serial_write_timeout_ms; /* one port write ("serial_write_timeout"): 10000 */
    unsigned write_block_attempts;    /* tries per data block ("write_block_attempts"): 3 */
    /* Sequence for the hard reset after a command ("custom_hard_reset_sequence", same syntax
     * as el_reset_parse), or NULL for the RTS pulse of el_reset_hard(). */
    const char *hard_reset_sequence;
};
void el_tuning_init(struct el_tuning *t);
/* Replaces the loader's tuning (copied, the sequence string too). EL_E_ARG (errmsg says
 * why) if a time or count is 0 or the hard reset sequence does not parse; then nothing is
 * changed. */
int el_loader_set_tuning(struct el_loader *l, const struct el_tuning *t);
/* The loader's tuning (hard_reset_sequence borrowed from the loader). */
const struct el_tuning *el_loader_tuning(const struct el_loader *l);
#define EL_DEFAULT_TIMEOUT_MS      3000u
#define EL_SYNC_TIMEOUT_MS         100u
#define EL_CHIP_ERASE_TIMEOUT_MS   120000u
#define EL_MAX_TIMEOUT_MS          240000u
#define EL_MD5_MS_PER_MB           8000u
#define EL_ERASE_REGION_MS_PER_MB  30000u
#define EL_ERASE_WRITE_MS_PER_MB   40000u
#define EL_MEM_END_ROM_TIMEOUT_MS  200u
#define EL_WRITE_BLOCK_ATTEMPTS    3
#define EL_SERIAL_WRITE_TIMEOUT_MS 10000u

#ifdef __cplusplus
}
#endif

#include "espload/flash.h"

#endif
