/* SPDX-License-Identifier: MIT */
#ifndef ESPLOAD_FLASH_H
#define ESPLOAD_FLASH_H
/*
 * SPI flash operations through a connected loader (loader.h): attach, parameters, JEDEC
 * id and size, status registers, SFDP, write (compressed or not) with MD5 verification,
 * read, erase, MD5. Each works with the ROM loader and with a stub; the differences
 * (block sizes, status length, MD5 format, up-front erase, missing commands) are handled
 * inside. Errors: EL_E_DEVICE (device status, detail in el_loader_errmsg), EL_E_TIMEOUT,
 * EL_E_VERIFY (MD5 mismatch: never reported as success), EL_E_SIZE, EL_E_UNSUPPORTED.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct el_loader;

/* --- attach and parameters --- */

/* SPI_ATTACH. spi_conn < 0: ROM: pins from the eFuse SPI pad config (0 if unset), stub:
 * nothing sent; else the value given (0 SPI, 1 HSPI, or el_flash_spi_pins()). Event
 * EL_EV_SPI_ATTACH. Must precede flash commands on the ROM; el_flash_* call it once
 * themselves if the caller did not. */
int el_flash_attach(struct el_loader *l, long spi_conn);
/* Packs --spi-connection CLK,Q,D,HD,CS into the SPI_ATTACH value (ESP32: 32/33 -> 30/31).
 * EL_E_ARG if a pin is out of range. */
int el_flash_spi_pins(unsigned clk, unsigned q, unsigned d, unsigned hd, unsigned cs,
                      uint32_t *value);
/* SPI_SET_PARAMS(0, size, 0x10000, 0x1000, 0x100, 0xFFFF). Event EL_EV_FLASH_SET_PARAMS. */
int el_flash_set_params(struct el_loader *l, uint32_t size);

/* --- identification and registers (SPI1 register sequence: run_spiflash_command) --- */

/* Runs one SPI flash command: opcode, optional address (addr_bits 0 = none), dummy
 * cycles, up to 64 bytes out (tx, tx_bits) and up to 32 bits in (rx_bits). */
int el_flash_spi_command(struct el_loader *l, uint8_t opcode, const uint8_t *tx, unsigned tx_bits,
                         unsigned rx_bits, uint32_t addr, unsigned addr_bits, unsigned dummy,
                         uint32_t *rx);
/* RDID (0x9F): manufacturer = id & 0xFF, device = (id >> 8) & 0xFFFF (type, capacity). */
int el_flash_read_id(struct el_loader *l, uint32_t *id);
/* Flash size from a JEDEC id (esptool's table; Adesto handled), 0 if unknown. */
uint32_t el_flash_size_from_id(uint32_t id);
/* "4MB", "512KB", ... for a size in bytes; "unknown" for 0. */
const char *el_flash_size_name(uint32_t bytes);
/* RDSR/RDSR2/RDSR3: nbytes 1..3 registers, value = sr1 | sr2 << 8 | sr3 << 16. */
int el_flash_read_status(struct el_loader *l, unsigned nbytes, uint32_t *value);
/* esptool write_flash_status: WREN (or 0x50 unless non_volatile) then WRSR per byte
 * (0x01, 0x31, 0x11; also the 16-bit 0x01 form for 2 bytes), then WRDI. */
int el_flash_write_status(struct el_loader *l, uint32_t value, unsigned nbytes, bool non_volatile);
/* RDSFDP (0x5A, 24-bit address, 8 dummy cycles), bits <= 32. */
int el_flash_read_sfdp(struct el_loader *l, uint32_t addr, unsigned bits, uint32_t *value);

/* --- compression --- */

enum el_compressor {
    EL_COMP_NONE = 0,
    EL_COMP_ZLIB9 = 1,        /* zlib level 9 (esptool's choice) */
    EL_COMP_LIBDEFLATE12 = 2, /* libdeflate level 12, zlib wrapper */
    EL_COMP_ZOPFLI = 3,       /* zopfli, zlib wrapper */
    EL_COMP_AUTO = 4,         /* measured choice (el_compress_pick) */
    EL_COMP_LIBDEFLATE6 = 5   /* libdeflate level 6, zlib wrapper: fast, beats zlib 9 */
};
const char *el_compressor_name(enum el_compressor c);
/* Compresses into a zlib stream (header + Adler-32) the device can inflate. *out is
 * malloc'ed (caller frees). EL_E_ARG for NONE/AUTO. */
int el_compress(enum el_compressor c, const uint8_t *in, size_t len, uint8_t **out,
                size_t *out_len);
/* Pure: picks the compressor whose host time never costs more than the wire time it
 * saves at `baud`, from measured-or-nominal speeds: est_ratio is the zlib-9 ratio
 * (compressed/raw, 0 = unknown). Never returns AUTO. */
enum el_compressor el_compress_choose(size_t raw_len, unsigned baud, double est_ratio);

/* Measured speed and output size of one compressor on a sample of the data. */
struct el_comp_measure {
    enum el_compressor c;
    double host_bytes_per_s; /* raw bytes compressed per second on this host */
    double ratio;            /* compressed / raw on the sample */
};
/* Pure: among the measured compressors, the one with the least host time plus wire time
 * (10 bits per byte at baud) for raw_len bytes, so a slower compressor is picked only when
 * the wire time it saves exceeds the host time it costs. EL_COMP_LIBDEFLATE6 if n == 0. */
enum el_compressor el_compress_pick(const struct el_comp_measure *m, size_t n, size_t raw_len,
                                    unsigned baud);
/* Measures libdeflate 6 and 12 (and zopfli when the wire time is long enough for its extra
 * saving to matter) on a sample of data and returns the el_compress_pick() choice; fills
 * m[0..*n_out) when m is not NULL (cap 3). */
enum el_compressor el_compress_measure(const uint8_t *data, size_t len, unsigned baud,
                                       struct el_comp_measure *m, size_t *n_out);

/* Like el_compress_measure() with libdeflate 6 and 12 only (the fast compressors). */
enum el_compressor el_compress_measure_fast(const uint8_t *data, size_t len, unsigned baud,
                                            struct el_comp_measure *m, size_t *n_out);

/* --- background compression --- */

/*
 * A compression running on threads while the caller does other work (connecting, uploading
 * the stub), so that a slow, strong compressor can be ready when the write starts. The job
 * compresses a copy of the data padded with 0xFF to a multiple of 4 bytes (what
 * el_flash_write sends), into one zlib stream. EL_COMP_ZOPFLI is split into 64 KiB chunks
 * compressed in parallel (each with the input before it as its window) and joined
 * bit-exactly; other compressors run whole on one thread. Cancelling stops the workers
 * between chunks. A job is used by el_flash_write through el_write_opts.jobs.
 */
struct el_compress_job;

struct el_compress_progress {
    size_t total;     /* raw bytes to compress (padded to 4) */
    size_t done;      /* raw bytes of the finished chunks */
    size_t out_done;  /* compressed bytes of those chunks */
    double elapsed_s; /* host seconds since the start */
    bool finished;    /* the result is ready, or error says why there is none */
    int error;        /* EL_OK, or EL_E_INTERRUPTED (cancelled), EL_E_NOMEM */
    size_t out_len;   /* the result's size when finished */
};

/* threads 0 = one per online CPU (at most 16, at most one per chunk). EL_E_ARG for NONE/AUTO
 * or data NULL with len; EL_E_NOMEM. */
int el_compress_job_start(const uint8_t *data, size_t len, enum el_compressor c, unsigned threads,
                          struct el_compress_job **out);
/* Snapshot of the job's progress (p cleared first). */
void el_compress_job_progress(struct el_compress_job *j, struct el_compress_progress *p);
/* Waits up to timeout_ms for the job to finish: EL_OK when finished (with or without an
 * error: see progress), EL_E_TIMEOUT. */
int el_compress_job_wait(struct el_compress_job *j, unsigned timeout_ms);
/* Hands over the finished result (*out malloc'ed, caller frees): EL_E_TIMEOUT if not finished,
 * the job's error if it failed or was cancelled, EL_E_ARG if already taken. */
int el_compress_job_take(struct el_compress_job *j, uint8_t **out, size_t *out_len);
/* Asks the workers to stop after their current chunk; returns at once. */
void el_compress_job_cancel(struct el_compress_job *j);
/* Cancels, waits for the workers and frees everything (NULL is fine). */
void el_compress_job_free(struct el_compress_job *j);
/* The compressor and whether the job compresses exactly these bytes (len padded to 4). */
enum el_compressor el_compress_job_compressor(const struct el_compress_job *j);
bool el_compress_job_matches(const struct el_compress_job *j, const uint8_t *data, size_t len);

enum el_compress_job_choice {
    EL_JOB_SKIP = 0, /* compress with the fast choice (and cancel the job) */
    EL_JOB_USE = 1,  /* finished and smaller than the fast choice */
    EL_JOB_WAIT = 2  /* worth waiting for: at most *max_wait_s */
};
/* Pure: whether a job beats the fast compressor whose output is fast_len bytes, so that the
 * host never waits longer than the wire time the job's saving buys at baud (10 bits per
 * byte): its size is estimated from the ratio of the finished chunks and its remaining time
 * from their rate. *max_wait_s (may be NULL) gets that saving for EL_JOB_WAIT, else 0. */
enum el_compress_job_choice el_compress_job_choose(const struct el_compress_progress *p,
                                                   size_t fast_len, unsigned baud,
                                                   double *max_wait_s);

/* --- write --- */

struct el_write_opts {
    int compress;                  /* 1 yes, 0 no, -1 default (yes with stub, as esptool) */
    enum el_compressor compressor; /* EL_COMP_ZLIB9 default; AUTO to choose */
    bool skip_unchanged;           /* device MD5 of the region first; equal -> skip */
    bool diff_sectors;             /* MD5 per 64 KiB/4 KiB, write only changed sectors */
    bool no_verify;                /* skip the final MD5 (never implied) */
    /* compressions started earlier (el_compress_job_start), not owned: a run that is exactly
     * a job's data (the whole image, matched by content) takes the job's result when
     * el_compress_job_choose() says so (AUTO), or always if its compressor was asked for */
    struct el_compress_job *const *jobs;
    size_t n_jobs;
};
void el_write_opts_init(struct el_write_opts *o);
/* espload's fast defaults: measured compressor choice (EL_COMP_AUTO), skip-unchanged and
 * changed-sector diff on (device MD5s of the whole region, then 64 KiB blocks, then 4 KiB
 * sectors where few blocks differ; sectors that are erased on the device and 0xFF in the
 * data are not written at all). `--no-skip` = clear skip_unchanged and diff_sectors. */
void el_write_opts_init_fast(struct el_write_opts *o);

struct el_write_result {
    size_t len;      /* bytes written (padded to 4) */
    size_t wire_len; /* bytes sent (compressed size, or len) */
    size_t written;  /* bytes of the region written (the changed sectors; len without a plan) */
    bool compressed;
    enum el_compressor compressor;
    bool skipped;             /* already in flash */
    uint32_t sectors_written; /* diff mode: changed sectors; else all sectors */
    uint32_t md5_queries;     /* device MD5 requests made to plan the write (not the final) */
    uint32_t regions;         /* FLASH_(DEFL_)BEGIN sessions used */
    bool verified;            /* MD5 matched */
    uint8_t md5[16];          /* MD5 of the padded data */
};

/*
 * Writes data at addr (the caller has already patched the header if needed). Pads to 4
 * bytes with 0xFF; ROM: start moves down to the sector boundary with 0xFF prefix (those
 * bytes are erased, as esptool warns). Progress EL_PROG_WRITE per block. Events
 * COMPRESSED, ROM_ERASING/ROM_ERASE_TOOK, ALREADY_IN_FLASH, CHANGED_SECTORS, VERIFYING,
 * VERIFIED. Never sends FLASH_END to the ROM. Returns EL_E_VERIFY if the MD5 differs.
 */
int el_flash_write(struct el_loader *l, uint32_t addr, const uint8_t *data, size_t len,
                   const struct el_write_opts *o, struct el_write_result *res);
/* After all writes with a stub, esptool v4 sends FLASH_BEGIN(0,0)+FLASH_END(1) ("stay");
 * with reboot=true FLASH_END(0). On the ROM this does nothing unless reboot. */
int el_flash_finish(struct el_loader *l, bool reboot);

/* --- read, erase, MD5 --- */

/* Stub: READ_FLASH streaming with ACKs and final MD5 check; ROM: READ_FLASH_SLOW 64 bytes
 * per request. Progress EL_PROG_READ. */
int el_flash_read(struct el_loader *l, uint32_t addr, uint8_t *buf, size_t len);
/* SPI_FLASH_MD5 (ROM: hex text, stub: raw) into md5[16]. */
int el_flash_md5(struct el_loader *l, uint32_t addr, uint32_t len, uint8_t md5[16]);
/* Stub: ERASE_FLASH; ROM: WREN + chip erase (0xC7) + poll WIP via RDSR (120 s). */
int el_flash_erase_all(struct el_loader *l);
/* addr and len multiples of 4 KiB. Stub: ERASE_REGION; ROM: SPI_SET_PARAMS +
 * FLASH_BEGIN(len, addr) (the ROM erases on begin). */
int el_flash_erase_region(struct el_loader *l, uint32_t addr, uint32_t len);
/* Flash size set with el_flash_set_params (0 = not set; the ROM assumes 2 MB). */
uint32_t el_flash_params_size(const struct el_loader *l);

#ifdef __cplusplus
}
#endif
#endif
