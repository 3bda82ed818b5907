/* SPDX-License-Identifier: MIT */
#ifndef EL_LOADER_LOADER_INT_H
#define EL_LOADER_LOADER_INT_H
/*
 * Internals of struct el_loader shared by src/loader and src/flash. Buffers are sized once
 * for the largest frame (a 0x4000 stub block plus headers) and kept in the context: the
 * command and write paths do not allocate per packet.
 */
#include <stdarg.h>

#include "espload/loader.h"
#include "espload/proto.h"
#include "espload/slip.h"

#define ELI_MAX_DATA     (EL_DATA_HDR_LEN + EL_STUB_FLASH_BLOCK + 64) /* largest request data */
#define ELI_MAX_PKT      (EL_HDR_LEN + ELI_MAX_DATA)
#define ELI_RX_FRAME_CAP (EL_STUB_FLASH_BLOCK + 256)
#define ELI_RX_CHUNK     4096
#define ELI_JUNK_KEEP    512     /* bytes outside frames kept for panic detection */
#define ELI_JUNK_LIMIT   0x10000 /* junk bytes tolerated while waiting for one frame */
#define ELI_MAX_ROOTS    16

struct el_loader {
    struct el_port *port;
    el_event_cb ev_cb;
    void *ev_user;
    el_progress_cb prog_cb;
    void *prog_user;
    el_trace_cb trace_cb;
    void *trace_user;

    char errmsg[512];
    char errhint[320];
    unsigned last_status;
    bool panicked;   /* a panic report was seen in the junk (the chip crashed) */
    bool junk_fails; /* a byte outside frames ends the wait at once (SYNC, as esptool) */

    /* connection state */
    const struct el_chip *chip;
    bool connected;
    bool stub;            /* a stub answers (2-byte status, 0x4000 blocks) */
    int boot_mode;        /* strap value from the last banner, -1 if none */
    bool banner_download; /* "waiting for download" seen */
    unsigned rom_baud;    /* baud the ROM talked at (crystal estimate) */
    struct el_connect_opts copts;
    char *reset_seq; /* copy of copts.reset_sequence */
    struct el_tuning tuning;
    char *hard_reset_seq; /* copy of tuning.hard_reset_sequence */
    bool flash_attached;
    uint32_t flash_size_set;
    bool flash_begun; /* a FLASH_BEGIN/DEFL_BEGIN was sent in this session */

    /* stub sources */
    char *stub_dir;
    char *roots[ELI_MAX_ROOTS];
    size_t n_roots;
    struct el_stub_image *loaded_stub; /* owned JSON stub, if one was used */
    char stub_origin[256];

    /* receive side */
    uint8_t rx[ELI_RX_CHUNK];
    size_t rx_len, rx_pos;
    uint8_t frame[ELI_RX_FRAME_CAP];
    struct el_slip_dec dec;
    uint8_t junk[ELI_JUNK_KEEP + 1];
    size_t junk_len;
    size_t junk_total; /* junk bytes since the last frame */

    /* transmit side */
    uint8_t pkt[ELI_MAX_PKT];
    uint8_t tx[2 * ELI_MAX_PKT + 2];

    /* reply of the last command (copy) */
    uint8_t reply[ELI_RX_FRAME_CAP];
    size_t reply_len;
};

/* errors and events */
int eli_fail(struct el_loader *l, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void eli_hint(struct el_loader *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void eli_clear_error(struct el_loader *l);
void eli_event(struct el_loader *l, enum el_event_id id, int64_t a, int64_t b, int64_t c,
               const char *str);
void eli_progress(struct el_loader *l, const struct el_progress *p);

/* wire */
int eli_send_frame(struct el_loader *l, const uint8_t *payload, size_t len);
/* Reads one frame (inactivity timeout per read). *frame borrowed until the next read. */
int eli_read_frame(struct el_loader *l, unsigned timeout_ms, const uint8_t **frame, size_t *len);
/* Drops buffered and pending input. */
void eli_flush_input(struct el_loader *l);
/* Reads whatever arrives within timeout_ms into buf (raw, for the boot banner). */
size_t eli_read_raw(struct el_loader *l, uint8_t *buf, size_t cap, unsigned timeout_ms);

/* Sends a request; if want_reply, waits for the matching reply. On EL_OK rdata and rlen is the
 * full reply data (payload + status), borrowed from l->reply. */
int eli_command(struct el_loader *l, uint8_t op, const uint8_t *data, size_t len, uint32_t chk,
                bool want_reply, unsigned timeout_ms, uint32_t *value, const uint8_t **rdata,
                size_t *rlen);
/* Waits for a reply with opcode op (op < 0: any reply), esptool's matching rule. */
int eli_wait_reply(struct el_loader *l, int op, unsigned timeout_ms, uint32_t *value,
                   const uint8_t **rdata, size_t *rlen);
/* eli_command + status check. what: "enter Flash download mode" for the error text.
 * payload/plen (may be NULL): reply data before the status bytes. */
int eli_check(struct el_loader *l, const char *what, uint8_t op, const uint8_t *data, size_t len,
              uint32_t chk, unsigned timeout_ms, uint32_t *value, const uint8_t **payload,
              size_t *plen);
/* Status bytes at the end of replies: 2 with a stub, the chip's ROM length otherwise. */
size_t eli_status_len(const struct el_loader *l);

/* el_timeout_per_mb with the loader's floor and cap */
unsigned eli_timeout_per_mb(const struct el_loader *l, unsigned ms_per_mb, uint64_t size);

/* connect helpers (connect.c) */
int eli_sync(struct el_loader *l, bool *stub_detected);
int eli_reconnect(struct el_loader *l);

/* reset (reset.c) */
/* True when the text holds a boot line ("boot:0x..") followed by "waiting for download". */
bool eli_banner_waiting(const uint8_t *b, size_t n);
/* el_reset_run for a connect attempt: a wait while the chip is out of reset with IO0 held
 * low (DTR set, RTS clear) reads the boot text into buf and ends once that text shows the
 * chip waiting for download (the strapping pins are latched then). *got: bytes read. */
int eli_reset_run_watch(struct el_loader *l, const struct el_reset_step *steps, size_t n,
                        uint8_t *buf, size_t cap, size_t *got);

/* stub (stub.c) */
int eli_mem_upload(struct el_loader *l, uint32_t addr, const uint8_t *data, size_t len,
                   enum el_progress_op op);
int eli_mem_end(struct el_loader *l, uint32_t entry);

/* flash (src/flash) */
int eli_flash_ensure_attached(struct el_loader *l);
int eli_md5_hex_to_raw(const uint8_t *hex, uint8_t out[16]);

/* Custom ports for tests (port_custom.c): see port_custom.h in this directory */

#endif
