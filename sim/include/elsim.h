/* SPDX-License-Identifier: MIT */
#ifndef ELSIM_ELSIM_H
#define ELSIM_ELSIM_H
/*
 * The virtual ESP32: a byte-level model of a chip behind its UART0 and auto-program
 * circuit. It is transport-independent: endpoints (pty, TCP, RFC 2217, the in-process
 * sim:// port) move bytes and modem-line changes in and out and advance its clock.
 *
 * Time: the device has its own clock (microseconds). Endpoints call elsim_advance() with
 * elapsed time (real time for network endpoints, virtual time for sim://). With the timing
 * model off, everything happens instantly; with it on, output bytes become readable only
 * when their modelled wire/processing time has passed (see elsim_next_output_us()).
 *
 * No global state: any number of devices can live in one process.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct elsim;
struct elsim_cfg; /* defined in sim/elsim_int.h; configure through the functions below */

/* Creates a configuration for a chip ("esp32", "esp32s3", ...) with defaults (4 MB flash,
 * the seed board's ESP32-D0WDQ5 rev 0 identity for esp32, timing off). NULL if unknown. */
struct elsim_cfg *elsim_cfg_new(const char *chip);
void elsim_cfg_free(struct elsim_cfg *cfg);
/* Sets one option by name, as used by both `espload-sim --key value` and the
 * sim://chip?key=value URL (e.g. "flash", "flash-size", "mac", "jedec-id", "timing",
 * "fault", "transcript", "write-protect", "revision", "package"). Returns 0 or -1 with a
 * one-line message in err. */
int elsim_cfg_set(struct elsim_cfg *cfg, const char *key, const char *value, char *err,
                  size_t errlen);
/* Text for --help listing every option. */
const char *elsim_cfg_help(void);

/* Creates a device (the config is copied). NULL with a message in err on failure. The
 * device starts powered, with EN high and IO0 high: it has booted from flash (its boot
 * output is queued) unless the lines say otherwise. */
struct elsim *elsim_new(const struct elsim_cfg *cfg, char *err, size_t errlen);
/* Saves flash to its backing file (if any) and frees. NULL is fine. */
void elsim_free(struct elsim *dev);

/* --- the host side of the UART and modem lines --- */
/* Bytes sent by the host at host_baud (bytes at a baud other than the device's own
 * arrive garbled). With the timing model on, the bytes arrive over their wire time starting
 * now; the caller advances the clock (elsim_advance) for them to be processed. */
void elsim_host_write(struct elsim *dev, const uint8_t *buf, size_t len, uint32_t host_baud);
/* Device time at which the last byte written by the host has fully arrived (now, with the
 * timing model off). An in-process port advances the clock to it after a write. */
uint64_t elsim_host_write_done_us(const struct elsim *dev);
/* Takes up to cap bytes that have reached the host by now. Returns the count. */
size_t elsim_host_read(struct elsim *dev, uint8_t *buf, size_t cap);
/* Earliest device time at which something can happen: the next queued output byte becomes
 * readable, a timed event fires (boot, watchdog, boot-loop line, stub greeting) or queued
 * input gets processed. UINT64_MAX if nothing is pending. Endpoints advance the clock to it
 * (it may produce no output). */
uint64_t elsim_next_output_us(const struct elsim *dev);
/* DTR/RTS as the host set them (true = asserted). Drives IO0/EN via the usual
 * two-transistor circuit. */
void elsim_set_lines(struct elsim *dev, bool dtr, bool rts);

/* --- time --- */
uint64_t elsim_now_us(const struct elsim *dev);
void elsim_advance(struct elsim *dev, uint64_t us);

/* --- inspection --- */
struct elsim_stats {
    uint64_t bytes_in, bytes_out;   /* on the wire, each way */
    uint64_t frames_in, frames_out; /* SLIP frames */
    uint64_t round_trips;           /* commands answered */
    uint64_t modelled_us;           /* device clock */
    uint64_t flash_bytes_written, flash_bytes_erased;
    uint32_t baud;       /* device's current baud */
    uint64_t bytes_lost; /* host bytes lost (ROM busy with a full RX FIFO, queue full) */
};
void elsim_get_stats(const struct elsim *dev, struct elsim_stats *out);
/* Borrowed pointer to the flash contents, valid until the device is freed. */
const uint8_t *elsim_flash(const struct elsim *dev, size_t *size_out);
/* Writes flash to its backing file now. 0 or -1. */
int elsim_flash_save(struct elsim *dev);
/* "rom", "stub", "app" (running user code), "reset" (held in reset), "boot" (ROM trying
 * to boot from flash: boot loop, watchdog wait), "stalled" (fault), "gone" (fault) */
const char *elsim_state_name(const struct elsim *dev);
/* True once a vanish fault fired: the device has disconnected; endpoints should report an
 * I/O error / close the connection. */
bool elsim_gone(const struct elsim *dev);
/* Tells the device the host's current baud without writing (host-side reads at a baud other
 * than the device's come out garbled). elsim_host_write also records it. */
void elsim_set_host_baud(struct elsim *dev, uint32_t host_baud);
/* USB vendor/product id of the modelled USB-UART bridge (option usb=VID:PID): 0, or -1 with
 * both cleared when none is configured. */
int elsim_usb_ids(const struct elsim *dev, uint16_t *vid, uint16_t *pid);

#ifdef __cplusplus
}
#endif
#endif
