/* SPDX-License-Identifier: MIT */
/*
 * Flash writes: FLASH_BEGIN/FLASH_DEFL_BEGIN with the ROM's and the
 * stub's size rules, data blocks with retries, the stub write barrier, skip-unchanged and
 * changed-sector diffs, and the final MD5 verification (esptool cmds.py write_flash,
 * loader.py flash_begin/flash_defl_begin/flash_block/flash_defl_block).
 */
#include "loader/loader_int.h"
#include "port/port_os.h"

#include "espload/bytes.h"
#include "espload/err.h"
#include "espload/proto.h"

#include <md5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

/* ---------------------------------------------------------------------------------- */

void el_write_opts_init_fast(struct el_write_opts *o)
{
    if (!o)
        return;
    el_write_opts_init(o);
    o->compress = 1; /* the ROM inflates too: fewer bytes on the wire on both paths */
    o->compressor = EL_COMP_AUTO;
    o->skip_unchanged = true;
    o->diff_sectors = true;
}

void el_write_opts_init(struct el_write_opts *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof(*o));
    o->compress = -1;
    o->compressor = EL_COMP_ZLIB9;
}

static void md5_of(const uint8_t *d, size_t n, uint8_t out[16])
{
    MD5_CTX c;
    MD5Init(&c);
    MD5Update(&c, d, n);
    MD5Final(out, &c);
}

/* Sends one data block, retrying like esptool (WRITE_BLOCK_ATTEMPTS). */
static int send_block(struct el_loader *l, uint8_t op, const uint8_t *payload, size_t n,
                      uint32_t seq, unsigned timeout_ms)
{
    const size_t hdr = EL_DATA_HDR_LEN;
    uint8_t local[EL_DATA_HDR_LEN + EL_STUB_FLASH_BLOCK];
    if (n > EL_STUB_FLASH_BLOCK)
        return EL_E_ARG;
    el_put_le32(local, (uint32_t)n);
    el_put_le32(local + 4, seq);
    el_put_le32(local + 8, 0);
    el_put_le32(local + 12, 0);
    memcpy(local + hdr, payload, n);
    uint32_t chk = el_checksum(payload, n, EL_CHECKSUM_SEED);
    char what[64];
    snprintf(what, sizeof(what), "%s after seq %u",
             op == EL_OP_FLASH_DEFL_DATA ? "write compressed data to flash"
                                         : "write to target Flash",
             (unsigned)seq);
    int rc = EL_OK;
    for (int attempt = 1; attempt <= (int)l->tuning.write_block_attempts; attempt++) {
        rc = eli_check(l, what, op, local, hdr + n, chk, timeout_ms, NULL, NULL, NULL);
        if (rc == EL_OK || rc == EL_E_IO || rc == EL_E_ARG)
            return rc;
        /* The ESP32 ROM counts a block it rejects (01 07 checksum, ...): its sequence number
         * has moved on, so resending the same block can only get 01 05 and would hide the
         * real cause. Report the first error; the stub does not count rejected blocks. */
        if (!l->stub && rc == EL_E_DEVICE)
            return rc;
        if (attempt < (int)l->tuning.write_block_attempts)
            eli_event(l, EL_EV_BLOCK_RETRY, seq, attempt + 1, 0, NULL);
    }
    return rc;
}

/* Counts the bytes a compressed chunk inflates to (to size timeouts and progress). */
struct inflater {
    z_stream z;
    bool ok;
    uint8_t out[16384];
};

static size_t inflate_count(struct inflater *inf, const uint8_t *in, size_t n)
{
    if (!inf->ok)
        return 0;
    size_t total = 0;
    inf->z.next_in = (Bytef *)(uintptr_t)in;
    inf->z.avail_in = (uInt)n;
    for (;;) {
        inf->z.next_out = inf->out;
        inf->z.avail_out = sizeof(inf->out);
        int zr = inflate(&inf->z, Z_NO_FLUSH);
        total += sizeof(inf->out) - inf->z.avail_out;
        if (zr == Z_STREAM_END || zr == Z_BUF_ERROR)
            break;
        if (zr != Z_OK) {
            inf->ok = false;
            break;
        }
        if (inf->z.avail_in == 0 && inf->z.avail_out != 0)
            break;
    }
    return total;
}

/* One contiguous run of the region to write, with its own zlib stream when compressed. */
struct run {
    size_t off, len; /* relative to the region start */
    uint8_t *z;      /* compressed stream, or NULL */
    size_t zn;
};

/* Progress across all runs of one write: a single sequence from 0 to 100 %. */
struct wprog {
    struct el_progress pr;
    uint32_t block_base; /* blocks of the runs already written */
    uint64_t done_base;  /* raw bytes of the runs already written */
    uint64_t wire_base;  /* bytes sent for the runs already written */
};

/*
 * Compressed blocks for the stub shrink towards the end of a stream: the stub inflates and
 * programs a block while the next one is on the wire, so after the last block the link is
 * idle for that block's device work. Each block of the last ~64 KiB is a quarter of what is
 * left (at least TAPER_MIN bytes), so every block's device work overlaps the next one's
 * transfer and the last one is small. The ROM writes each block before it ACKs: full blocks.
 */
#define TAPER_MIN 1024u

static size_t defl_block_len(size_t remaining, uint32_t bs, bool taper)
{
    if (!taper)
        return remaining < bs ? remaining : bs;
    if (remaining <= TAPER_MIN)
        return remaining;
    size_t q = remaining / 4;
    if (q < TAPER_MIN)
        q = TAPER_MIN;
    return q < bs ? q : bs;
}

static uint32_t defl_block_count(size_t zn, uint32_t bs, bool taper)
{
    uint32_t n = 0;
    for (size_t off = 0; off < zn; n++)
        off += defl_block_len(zn - off, bs, taper);
    return n;
}

/* Writes one run (addr already sector-aligned on the ROM): compressed when z is not NULL. */
static int write_run(struct el_loader *l, uint32_t addr, const uint8_t *buf, size_t n,
                     const uint8_t *z, size_t zn, bool barrier, struct wprog *wp,
                     unsigned *pending_ms)
{
    const uint32_t bs = l->stub ? EL_STUB_FLASH_BLOCK : EL_ROM_FLASH_BLOCK;
    int rc;
    uint8_t d[16];
    struct el_progress *pr = &wp->pr;
    uint64_t t0 = eli_port_now_ms();
    *pending_ms = 0;
    if (z) {
        uint32_t blocks = defl_block_count(zn, bs, l->stub);
        uint32_t begin_size = l->stub ? (uint32_t)n : (uint32_t)((n + bs - 1) / bs * bs);
        unsigned to = l->stub ? l->tuning.timeout_ms
                              : eli_timeout_per_mb(l, l->tuning.erase_region_ms_per_mb, begin_size);
        if (!l->stub)
            eli_event(l, EL_EV_ROM_ERASING, addr, begin_size, 0, NULL);
        el_put_le32(d, begin_size);
        el_put_le32(d + 4, blocks);
        el_put_le32(d + 8, bs);
        el_put_le32(d + 12, addr);
        rc = eli_check(l, "enter compressed flash mode", EL_OP_FLASH_DEFL_BEGIN, d, 16, 0, to, NULL,
                       NULL, NULL);
        if (rc != EL_OK)
            return rc;
        l->flash_begun = true;
        if (!l->stub)
            eli_event(l, EL_EV_ROM_ERASE_TOOK, (int64_t)(eli_port_now_ms() - t0), 0, 0, NULL);
        struct inflater *inf = calloc(1, sizeof(*inf));
        if (!inf)
            return EL_E_NOMEM;
        inf->ok = inflateInit(&inf->z) == Z_OK;
        unsigned timeout = l->tuning.timeout_ms;
        uint64_t written = 0;
        size_t off = 0;
        for (uint32_t seq = 0; seq < blocks; seq++) {
            size_t cn = defl_block_len(zn - off, bs, l->stub);
            pr->block = wp->block_base + seq;
            pr->done = wp->done_base + written;
            pr->wire_done = wp->wire_base + off;
            pr->addr = addr + (uint32_t)written;
            eli_progress(l, pr);
            size_t unc = inflate_count(inf, z + off, cn);
            if (!inf->ok)
                unc = bs * 4; /* cannot tell: assume a generous block */
            unsigned block_to = eli_timeout_per_mb(l, l->tuning.erase_write_ms_per_mb, unc);
            /* ROM writes before it ACKs; the stub ACKs first and writes while the next
             * block arrives, so its timeout applies to the block after */
            if (!l->stub)
                timeout = block_to;
            rc = send_block(l, EL_OP_FLASH_DEFL_DATA, z + off, cn, seq, timeout);
            if (rc != EL_OK) {
                if (inf->ok)
                    inflateEnd(&inf->z);
                free(inf);
                return rc;
            }
            if (l->stub)
                timeout = block_to;
            written += unc;
            off += cn;
        }
        if (inf->ok)
            inflateEnd(&inf->z);
        free(inf);
        wp->block_base += blocks;
        wp->done_base += n;
        wp->wire_base += zn;
        *pending_ms = l->stub ? timeout : 0;
        if (l->stub && barrier) {
            /* write barrier: answered only once the last block is in flash (not needed when
             * another command follows: the stub handles commands in order, so its reply
             * comes after the write) */
            uint32_t v;
            uint8_t ra[4];
            el_put_le32(ra, EL_CHIP_MAGIC_REG);
            rc = eli_check(l, "wait for the last block to be written", EL_OP_READ_REG, ra, 4, 0,
                           timeout, &v, NULL, NULL);
            if (rc != EL_OK)
                return rc;
        }
        return EL_OK;
    }
    /* uncompressed */
    uint32_t blocks = (uint32_t)((n + bs - 1) / bs);
    unsigned to = l->stub ? l->tuning.timeout_ms
                          : eli_timeout_per_mb(l, l->tuning.erase_region_ms_per_mb, (uint64_t)n);
    if (!l->stub)
        eli_event(l, EL_EV_ROM_ERASING, addr, (int64_t)n, 0, NULL);
    el_put_le32(d, (uint32_t)n); /* ESP32 get_erase_size is the identity */
    el_put_le32(d + 4, blocks);
    el_put_le32(d + 8, bs);
    el_put_le32(d + 12, addr);
    rc = eli_check(l, "enter Flash download mode", EL_OP_FLASH_BEGIN, d, 16, 0, to, NULL, NULL,
                   NULL);
    if (rc != EL_OK)
        return rc;
    l->flash_begun = true;
    if (!l->stub)
        eli_event(l, EL_EV_ROM_ERASE_TOOK, (int64_t)(eli_port_now_ms() - t0), 0, 0, NULL);
    uint8_t *pad = malloc(bs);
    if (!pad)
        return EL_E_NOMEM;
    unsigned block_to = eli_timeout_per_mb(l, l->tuning.erase_write_ms_per_mb, bs);
    for (uint32_t seq = 0; seq < blocks; seq++) {
        size_t off = (size_t)seq * bs;
        size_t cn = n - off < bs ? n - off : bs;
        pr->block = wp->block_base + seq;
        pr->done = wp->done_base + off;
        pr->wire_done = wp->wire_base + off;
        pr->addr = addr + (uint32_t)off;
        eli_progress(l, pr);
        memset(pad, 0xFF, bs);
        memcpy(pad, buf + off, cn); /* last block padded with 0xFF */
        rc = send_block(l, EL_OP_FLASH_DATA, pad, bs, seq,
                        l->stub ? l->tuning.timeout_ms : block_to);
        if (rc != EL_OK) {
            free(pad);
            return rc;
        }
    }
    free(pad);
    wp->block_base += blocks;
    wp->done_base += n;
    wp->wire_base += (uint64_t)blocks * bs;
    *pending_ms = l->stub ? eli_timeout_per_mb(l, l->tuning.erase_write_ms_per_mb, bs) : 0;
    if (l->stub && barrier) {
        uint32_t v;
        uint8_t ra[4];
        el_put_le32(ra, EL_CHIP_MAGIC_REG);
        rc = eli_check(l, "wait for the last block to be written", EL_OP_READ_REG, ra, 4, 0,
                       eli_timeout_per_mb(l, l->tuning.erase_write_ms_per_mb, bs), &v, NULL, NULL);
    }
    return rc;
}

static void free_runs(struct run *runs, size_t n)
{
    for (size_t i = 0; runs && i < n; i++)
        free(runs[i].z);
    free(runs);
}

/*
 * Writes the runs of buf (relative to start): compresses every run first with one
 * compressor (measured on the data to send when comp is AUTO), so that one COMPRESSED
 * event gives the real totals before anything is sent, then writes them in order with one
 * progress sequence. Fills the result's wire_len, compressed, compressor and regions.
 */
static int write_runs(struct el_loader *l, uint32_t start, const uint8_t *buf, struct run *runs,
                      size_t nr, bool compress, enum el_compressor comp, bool barrier,
                      struct el_write_result *r, unsigned *pending, const struct el_write_opts *wo)
{
    const uint32_t bs = l->stub ? EL_STUB_FLASH_BLOCK : EL_ROM_FLASH_BLOCK;
    size_t raw = 0, zsum = 0;
    int rc;
    for (size_t i = 0; i < nr; i++)
        raw += runs[i].len;
    /* a compression started earlier for exactly these bytes (wo->jobs): taken when its
     * compressor was asked for; with AUTO when finished and smaller than the fast choice, or
     * waited for while the wire time its saving buys exceeds its remaining host time */
    struct el_compress_job *job = NULL;
    for (size_t i = 0; compress && wo && nr == 1 && i < wo->n_jobs && !job; i++)
        if (wo->jobs[i] && el_compress_job_matches(wo->jobs[i], buf + runs[0].off, raw))
            job = wo->jobs[i];
    if (job && comp != EL_COMP_AUTO && comp != el_compress_job_compressor(job))
        job = NULL;
    if (job) {
        bool use = comp != EL_COMP_AUTO;
        size_t fast_len = 0;
        struct el_comp_measure m[3];
        size_t nm = 0;
        uint8_t *z6 = NULL;
        size_t n6 = 0;
        if (!use) {
            /* the fast choice's size: libdeflate 6 on all of it (a sample's ratio can be far
             * off), scaled by the sample's ratios for libdeflate 12 */
            comp = el_compress_measure_fast(buf + runs[0].off, raw, el_loader_baud(l), m, &nm);
            if (nm == 2 &&
                el_compress(EL_COMP_LIBDEFLATE6, buf + runs[0].off, raw, &z6, &n6) == EL_OK)
                fast_len = comp == EL_COMP_LIBDEFLATE6
                               ? n6
                               : (size_t)((double)n6 * m[1].ratio / m[0].ratio);
        }
        struct timespec ts;
        timespec_get(&ts, TIME_UTC);
        double t0 = (double)ts.tv_sec + ts.tv_nsec / 1e9, waited = 0, limit = -1;
        struct el_compress_progress pr;
        for (;;) {
            el_compress_job_progress(job, &pr);
            if (use && pr.finished)
                break;
            double w = 0;
            enum el_compress_job_choice ch =
                use ? EL_JOB_WAIT : el_compress_job_choose(&pr, fast_len, el_loader_baud(l), &w);
            if (ch != EL_JOB_WAIT) {
                use = ch == EL_JOB_USE;
                break;
            }
            if (limit < 0 && !use)
                limit = w; /* never wait longer than the first estimate of the saving */
            if (limit >= 0 && waited >= limit)
                break;
            (void)el_compress_job_wait(job, 100);
            timespec_get(&ts, TIME_UTC);
            waited = (double)ts.tv_sec + ts.tv_nsec / 1e9 - t0;
        }
        char msg[240];
        snprintf(msg, sizeof(msg),
                 "background %s: %zu of %zu bytes in %.2f s (%zu compressed), fast %s ~%zu "
                 "bytes, waited %.2f s: %s",
                 el_compressor_name(el_compress_job_compressor(job)), pr.done, pr.total,
                 pr.elapsed_s, pr.finished ? pr.out_len : pr.out_done, el_compressor_name(comp),
                 fast_len, waited, use ? "used" : "not used");
        eli_event(l, EL_EV_DEBUG, 0, 0, 0, msg);
        if (use && el_compress_job_take(job, &runs[0].z, &runs[0].zn) == EL_OK) {
            comp = el_compress_job_compressor(job);
        } else {
            el_compress_job_cancel(job); /* comp: the fast choice, or the one asked for */
            if (comp == EL_COMP_LIBDEFLATE6 && z6) {
                runs[0].z = z6;
                runs[0].zn = n6;
                z6 = NULL;
            }
        }
        free(z6);
    }
    if (compress && (comp == EL_COMP_AUTO || comp == EL_COMP_NONE)) {
        /* measure on the bytes that will be sent */
        uint8_t *cat = nr == 1 ? NULL : malloc(raw ? raw : 1);
        const uint8_t *sample = buf + runs[0].off;
        if (cat) {
            size_t o = 0;
            for (size_t i = 0; i < nr; i++) {
                memcpy(cat + o, buf + runs[i].off, runs[i].len);
                o += runs[i].len;
            }
            sample = cat;
        } else if (nr != 1) {
            return EL_E_NOMEM;
        }
        struct el_comp_measure m[3];
        size_t nm = 0;
        comp = el_compress_measure(sample, raw, el_loader_baud(l), m, &nm);
        free(cat);
        char msg[200];
        int o = snprintf(msg, sizeof(msg), "compressor: %s;", el_compressor_name(comp));
        for (size_t i = 0; i < nm && o > 0 && (size_t)o < sizeof(msg); i++)
            o += snprintf(msg + o, sizeof(msg) - (size_t)o, " %s %.1f MB/s ratio %.4f",
                          el_compressor_name(m[i].c), m[i].host_bytes_per_s / 1e6, m[i].ratio);
        eli_event(l, EL_EV_DEBUG, 0, 0, 0, msg);
    }
    if (compress) {
        for (size_t i = 0; i < nr; i++) {
            rc = runs[i].z
                     ? EL_OK
                     : el_compress(comp, buf + runs[i].off, runs[i].len, &runs[i].z, &runs[i].zn);
            if (rc != EL_OK)
                return eli_fail(l, rc, "compression failed");
            zsum += runs[i].zn;
        }
        if (zsum >= raw) {
            eli_event(l, EL_EV_COMPRESS_NOT_USEFUL, (int64_t)raw, (int64_t)zsum, comp, NULL);
            for (size_t i = 0; i < nr; i++) {
                free(runs[i].z);
                runs[i].z = NULL;
            }
            compress = false;
        }
    }
    struct wprog wp;
    memset(&wp, 0, sizeof(wp));
    wp.pr.op = EL_PROG_WRITE;
    wp.pr.start = start + (uint32_t)runs[0].off;
    wp.pr.total = raw;
    for (size_t i = 0; i < nr; i++) {
        size_t w = compress ? runs[i].zn : (runs[i].len + bs - 1) / bs * bs;
        wp.pr.blocks += compress ? defl_block_count(w, bs, l->stub) : (uint32_t)(w / bs);
        wp.pr.wire_total += w;
    }
    if (compress)
        eli_event(l, EL_EV_COMPRESSED, (int64_t)raw, (int64_t)zsum, comp, NULL);
    r->wire_len = 0;
    r->compressed = compress;
    r->compressor = compress ? comp : EL_COMP_NONE;
    for (size_t i = 0; i < nr; i++) {
        rc = write_run(l, start + (uint32_t)runs[i].off, buf + runs[i].off, runs[i].len, runs[i].z,
                       runs[i].zn, barrier && i + 1 == nr, &wp, pending);
        r->regions++;
        if (rc != EL_OK)
            return rc;
    }
    r->wire_len = (size_t)wp.wire_base;
    r->written = raw;
    wp.pr.block = wp.pr.blocks;
    wp.pr.done = raw;
    wp.pr.wire_done = wp.wire_base;
    wp.pr.addr = start + (uint32_t)(runs[nr - 1].off + runs[nr - 1].len);
    eli_progress(l, &wp.pr);
    return EL_OK;
}

/* Device MD5 with extra time for a stub write that may still be running. */
static int md5_after(struct el_loader *l, uint32_t addr, uint32_t len, unsigned extra_ms,
                     uint8_t out[16])
{
    uint8_t d[16];
    el_put_le32(d, addr);
    el_put_le32(d + 4, len);
    el_put_le32(d + 8, 0);
    el_put_le32(d + 12, 0);
    const uint8_t *p;
    size_t n;
    memset(out, 0, 16);
    int rc =
        eli_check(l, "calculate md5sum", EL_OP_SPI_FLASH_MD5, d, 16, 0,
                  eli_timeout_per_mb(l, l->tuning.md5_ms_per_mb, len) + extra_ms, NULL, &p, &n);
    if (rc != EL_OK)
        return rc;
    if (n == 32)
        rc = eli_md5_hex_to_raw(p, out);
    else if (n == 16)
        memcpy(out, p, 16);
    else
        rc = EL_E_PROTO;
    if (rc != EL_OK)
        return eli_fail(l, EL_E_PROTO, "unexpected MD5 reply of %zu bytes", n);
    return EL_OK;
}

/* MD5 of len bytes of 0xFF (erased flash), computed incrementally. */
static void md5_blank(size_t len, uint8_t out[16])
{
    static const uint8_t ff[256] = {
#define FF4  0xFF, 0xFF, 0xFF, 0xFF
#define FF16 FF4, FF4, FF4, FF4
#define FF64 FF16, FF16, FF16, FF16
        FF64, FF64, FF64, FF64
#undef FF64
#undef FF16
#undef FF4
    };
    MD5_CTX c;
    MD5Init(&c);
    for (size_t o = 0; o < len; o += sizeof(ff))
        MD5Update(&c, ff, len - o < sizeof(ff) ? len - o : sizeof(ff));
    MD5Final(out, &c);
}

static bool all_ff(const uint8_t *d, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (d[i] != 0xFF)
            return false;
    return true;
}

/* What the device holds in one part of the region. */
enum part_state { PART_UNKNOWN = 0, PART_SAME, PART_BLANK, PART_DIFFERENT };

static enum part_state classify(const uint8_t dev[16], const uint8_t *buf, size_t n)
{
    uint8_t mine[16], blank[16];
    md5_of(buf, n, mine);
    if (!memcmp(dev, mine, 16))
        return PART_SAME;
    md5_blank(n, blank);
    if (!memcmp(dev, blank, 16))
        return PART_BLANK;
    return PART_DIFFERENT;
}

/* Marks the sectors of [off, off+len) (relative to the region) as needed or not. Sectors
 * that are erased on the device and 0xFF in the data need nothing. */
static void mark(bool *need, const uint8_t *buf, size_t total, size_t off, size_t len,
                 enum part_state st)
{
    for (size_t s = off; s < off + len; s += EL_FLASH_SECTOR) {
        size_t sl = total - s < EL_FLASH_SECTOR ? total - s : EL_FLASH_SECTOR;
        bool n = true;
        if (st == PART_SAME)
            n = false;
        else if (st == PART_BLANK)
            n = !all_ff(buf + s, sl);
        need[s / EL_FLASH_SECTOR] = n;
    }
}

/*
 * Decides which 4 KiB sectors (relative to start) must be written: one device MD5 of the
 * whole region, then one per 64 KiB flash block (aligned on the flash, so a block the
 * stub or ROM erases whole is judged whole), then, only when at most half of the blocks
 * differ (sparse changes), one per sector inside the differing blocks. An MD5 equal to
 * that of erased flash marks blank parts: there only sectors holding data are written.
 * Returns EL_OK with *same = true when the whole region already matches.
 */
static int plan_sectors(struct el_loader *l, uint32_t start, const uint8_t *buf, size_t total,
                        bool *need, size_t n_sec, bool *same, uint32_t *queries)
{
    uint8_t dev[16];
    *same = false;
    int rc = md5_after(l, start, (uint32_t)total, 0, dev);
    if (rc != EL_OK)
        return rc;
    (*queries)++;
    enum part_state st = classify(dev, buf, total);
    if (st == PART_SAME) {
        *same = true;
        return EL_OK;
    }
    if (st == PART_BLANK || total <= EL_FLASH_SECTOR) {
        mark(need, buf, total, 0, total, st);
        return EL_OK;
    }
    /* 64 KiB blocks, aligned on the flash */
    size_t n_blk = 0;
    size_t first = EL_FLASH_BLOCK64K - (start % EL_FLASH_BLOCK64K);
    enum part_state *bst = calloc(total / EL_FLASH_BLOCK64K + 2, sizeof(*bst));
    if (!bst)
        return EL_E_NOMEM;
    for (size_t off = 0; off < total; n_blk++) {
        size_t bl = off == 0 ? first : EL_FLASH_BLOCK64K;
        if (bl > total - off)
            bl = total - off;
        rc = md5_after(l, start + (uint32_t)off, (uint32_t)bl, 0, dev);
        if (rc != EL_OK) {
            free(bst);
            return rc;
        }
        (*queries)++;
        bst[n_blk] = classify(dev, buf + off, bl);
        off += bl;
    }
    /* descend into differing blocks while that finds unchanged sectors: the first block
     * whose sectors all differ (new firmware over old, everything moved) stops it, so at
     * most one block's worth of sector queries is spent in vain */
    bool descend = true;
    size_t off = 0;
    for (size_t b = 0; b < n_blk; b++) {
        size_t bl = off == 0 ? first : EL_FLASH_BLOCK64K;
        if (bl > total - off)
            bl = total - off;
        if (bst[b] != PART_DIFFERENT || !descend) {
            mark(need, buf, total, off, bl, bst[b]);
        } else {
            bool found = false;
            for (size_t s = off; s < off + bl; s += EL_FLASH_SECTOR) {
                size_t sl = total - s < EL_FLASH_SECTOR ? total - s : EL_FLASH_SECTOR;
                rc = md5_after(l, start + (uint32_t)s, (uint32_t)sl, 0, dev);
                if (rc != EL_OK) {
                    free(bst);
                    return rc;
                }
                (*queries)++;
                mark(need, buf, total, s, sl, classify(dev, buf + s, sl));
                found = found || !need[s / EL_FLASH_SECTOR];
            }
            descend = found;
        }
        off += bl;
    }
    free(bst);
    (void)n_sec;
    return EL_OK;
}

int el_flash_write(struct el_loader *l, uint32_t addr, const uint8_t *data, size_t len,
                   const struct el_write_opts *o, struct el_write_result *res)
{
    struct el_write_opts def;
    if (res)
        memset(res, 0, sizeof(*res));
    if (!l || (!data && len))
        return EL_E_ARG;
    eli_clear_error(l);
    if (!el_loader_chip(l))
        return eli_fail(l, EL_E_ARG, "not connected");
    if (!len)
        return eli_fail(l, EL_E_ARG, "nothing to write (empty data)");
    if (!o) {
        el_write_opts_init(&def);
        o = &def;
    }
    if ((uint64_t)addr + len > 0x100000000ull)
        return eli_fail(l, EL_E_SIZE, "region 0x%08x + %zu bytes is beyond 4 GiB", addr, len);
    int rc = eli_flash_ensure_attached(l);
    if (rc != EL_OK)
        return rc;

    /* pad to 4 bytes; on the ROM also start at the sector boundary (0xFF before) */
    uint32_t prefix = l->stub ? 0 : addr % EL_FLASH_SECTOR;
    size_t padded = (len + 3) & ~(size_t)3;
    size_t total = prefix + padded;
    uint8_t *buf = malloc(total);
    if (!buf)
        return EL_E_NOMEM;
    memset(buf, 0xFF, total);
    memcpy(buf + prefix, data, len);
    uint32_t start = addr - prefix;
    uint8_t md5[16];
    md5_of(buf, total, md5);

    struct el_write_result r = {.len = total, .wire_len = total};
    memcpy(r.md5, md5, 16);
    bool compress = o->compress < 0 ? l->stub : o->compress != 0;
    enum el_compressor comp = o->compressor ? o->compressor : EL_COMP_ZLIB9;
    size_t n_sec = (total + EL_FLASH_SECTOR - 1) / EL_FLASH_SECTOR;
    r.sectors_written = (uint32_t)n_sec;
    bool barrier = o->no_verify; /* the final MD5 is the barrier otherwise */
    unsigned pending = 0;

    if (o->skip_unchanged && !o->diff_sectors) {
        uint8_t dev[16];
        rc = md5_after(l, start, (uint32_t)total, 0, dev);
        if (rc != EL_OK)
            goto out;
        r.md5_queries++;
        if (!memcmp(dev, md5, 16)) {
            eli_event(l, EL_EV_ALREADY_IN_FLASH, start, (int64_t)total, 0, NULL);
            r.skipped = true;
            r.verified = true;
            r.wire_len = 0;
            r.sectors_written = 0;
            goto out;
        }
    }
    if (o->diff_sectors) {
        bool *ch = calloc(n_sec, sizeof(bool));
        if (!ch) {
            rc = EL_E_NOMEM;
            goto out;
        }
        bool same = false;
        rc = plan_sectors(l, start, buf, total, ch, n_sec, &same, &r.md5_queries);
        if (rc != EL_OK) {
            free(ch);
            goto out;
        }
        if (same) {
            free(ch);
            eli_event(l, EL_EV_ALREADY_IN_FLASH, start, (int64_t)total, 0, NULL);
            r.skipped = true;
            r.verified = true;
            r.wire_len = 0;
            r.sectors_written = 0;
            goto out;
        }
        uint32_t n_changed = 0;
        for (size_t i = 0; i < n_sec; i++)
            n_changed += ch[i];
        eli_event(l, EL_EV_CHANGED_SECTORS, n_changed, (int64_t)n_sec, 0, NULL);
        r.sectors_written = n_changed;
        size_t nr = 0;
        for (size_t i = 0; i < n_sec; i++)
            nr += ch[i] && (i == 0 || !ch[i - 1]);
        struct run *runs = calloc(nr ? nr : 1, sizeof(*runs));
        if (!runs) {
            free(ch);
            rc = EL_E_NOMEM;
            goto out;
        }
        nr = 0;
        for (size_t i = 0; i < n_sec;) {
            if (!ch[i]) {
                i++;
                continue;
            }
            size_t j = i;
            while (j < n_sec && ch[j])
                j++;
            size_t off = i * EL_FLASH_SECTOR;
            size_t end = j * EL_FLASH_SECTOR < total ? j * EL_FLASH_SECTOR : total;
            runs[nr].off = off;
            runs[nr].len = end - off;
            nr++;
            i = j;
        }
        free(ch);
        r.wire_len = 0;
        if (nr == 0) {
            /* only blank sectors that stay blank: nothing to send (the final MD5 tells) */
            free(runs);
        } else {
            rc = write_runs(l, start, buf, runs, nr, compress, comp, barrier, &r, &pending, o);
            free_runs(runs, nr);
            if (rc != EL_OK)
                goto out;
        }
    } else {
        struct run one = {.off = 0, .len = total};
        rc = write_runs(l, start, buf, &one, 1, compress, comp, barrier, &r, &pending, o);
        free(one.z);
        if (rc != EL_OK)
            goto out;
    }

    if (!o->no_verify) {
        eli_event(l, EL_EV_VERIFYING, 0, 0, 0, NULL);
        uint8_t dev[16];
        rc = md5_after(l, start, (uint32_t)total, pending, dev);
        if (rc != EL_OK)
            goto out;
        if (memcmp(dev, md5, 16) != 0) {
            char a[33], b[33];
            for (int i = 0; i < 16; i++) {
                snprintf(a + 2 * i, 3, "%02x", md5[i]);
                snprintf(b + 2 * i, 3, "%02x", dev[i]);
            }
            rc = eli_fail(l, EL_E_VERIFY, "MD5 of file does not match data in flash!");
            eli_hint(l,
                     "file md5 %s, flash md5 %s: the flash did not take the data (write "
                     "protection, a failing flash chip or an unstable supply)",
                     a, b);
            goto out;
        }
        r.verified = true;
        eli_event(l, EL_EV_VERIFIED, 0, 0, 0, NULL);
    }
out:
    free(buf);
    if (res)
        *res = r;
    return rc;
}
