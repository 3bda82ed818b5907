/* SPDX-License-Identifier: MIT */
#ifndef ESPLOAD_STUB_CORE_INT_H
#define ESPLOAD_STUB_CORE_INT_H
/*
 * Internals of the stub core, visible to its unit tests. All state of one stub instance
 * lives here; nothing is allocated and there are no globals.
 */
#include "stub_core.h"
#include "stub_inflate.h"
#include "stub_md5.h"

#define STUB_MAX_BLOCK    0x4000u                     /* FLASH_DATA payload limit */
#define STUB_FRAME_MAX    (8u + 16u + STUB_MAX_BLOCK) /* largest valid request */
#define STUB_FRAME_CAP    (STUB_FRAME_MAX + 8u)       /* receive buffer per frame */
#define STUB_SECTOR       0x1000u
#define STUB_BLOCK64      0x10000u
#define STUB_PAGE         0x100u
#define STUB_READ_CHUNK   0x100u  /* flash reads for blank checks, MD5, READ_FLASH */
#define STUB_TX_BUF       0x210u  /* SLIP-encoded output staging */
#define STUB_READ_PKT_MAX 0x4000u /* largest READ_FLASH packet accepted */
#define STUB_INFLATE_STEP 256u    /* output bytes per inflate call (poll between calls) */
#define STUB_WRITE_BATCH  4096u   /* decompressed bytes collected before writing */
/* A 64 KiB block erase is used when at least this many of its 16 sectors hold data
 * (typical NOR: 4 KiB erase ~45 ms, 64 KiB erase ~150-300 ms). */
#define STUB_BLOCK_ERASE_MIN_DIRTY 4u
/* Erase-ahead stays within this distance of the write position, so erases are spread over
 * the write instead of all coming first (which would leave the flash idle at the end). */
#ifndef STUB_ERASE_AHEAD_MAX
#define STUB_ERASE_AHEAD_MAX 0x20000u
#endif
/* Waiting for a background erase: poll step and limit (a 64 KiB erase takes up to ~2 s on
 * slow parts; chip HALs wait inside their own operations with their own limits). */
#define STUB_BUSY_POLL_US  100u
#define STUB_BUSY_WAIT_MAX 100000u /* polls: 10 s */
/* esptool's legacy stub: READ_FLASH packets larger than its 4 KiB buffer are not sent. */
#define STUB_LEGACY_READ_PKT_MAX 0x1000u

enum stub_buf_state { STUB_BUF_FREE = 0, STUB_BUF_FILLING, STUB_BUF_QUEUED, STUB_BUF_BUSY };

struct stub_core {
    struct stub_hal hal;
    uint32_t flash_size;

    /* SLIP receive: two frame buffers, one may be handled while the other fills */
    int rx_fill; /* buffer being filled, -1 = none (dropping the frame) */
    uint32_t rx_len;
    uint8_t rx_in_frame, rx_escape, rx_bad, busy;
    uint8_t buf_state[2];
    uint32_t frame_len[2]; /* > STUB_FRAME_CAP: the frame overflowed */
    uint8_t queue[2];
    uint32_t queue_len;
    uint8_t policy; /* enum stub_policy */

    /* SLIP transmit */
    uint32_t tx_len;

    /* flash write (FLASH_BEGIN / FLASH_DEFL_BEGIN) */
    uint8_t fw_active, fw_deflate, fw_inflate_done, fw_error;
    uint32_t fw_next;                     /* next flash address to write */
    uint32_t fw_remaining;                /* uncompressed bytes still expected */
    uint32_t fw_erase_next, fw_erase_end; /* sectors [erase_next, erase_end) not yet prepared */
    uint8_t fw_dirty_seen;                /* esp-flasher-stub policy: a non-blank sector was met */
    uint32_t fw_erase_mask; /* dirty sectors of the 64 KiB block at fw_erase_next still to
                               erase one by one (too few for a block erase); 0 = none */
    uint32_t fw_compressed_remaining;
    uint32_t fw_win_flushed; /* window offset up to which output has been written */

    /* RAM download through the stub */
    uint8_t mem_active;
    uint32_t mem_addr, mem_remaining;

    /* READ_FLASH in progress */
    uint8_t rd_active;
    uint32_t rd_addr, rd_len, rd_sent, rd_acked, rd_packet, rd_inflight;
    struct stub_md5 md5;

    struct stub_inflate inf;
    uint8_t scratch[STUB_READ_CHUNK];
    uint8_t tx[STUB_TX_BUF];
    uint8_t rx[2][STUB_FRAME_CAP];
    uint8_t window[STUB_INF_WINDOW];
};

#endif
