/* SPDX-License-Identifier: MIT */
/*
 * bench-flash: one espload operation against a device, measured. Drives the library
 * directly (not the CLI) so that every speed option can be chosen.
 *
 *   bench-flash --port URL [--usb VID:PID] [--bridge-max BAUD] [--baud N] [--no-stub]
 *               [--no-skip] [--compressor auto|zlib-9|libdeflate-6|libdeflate-12|zopfli]
 *               [--no-background] [--erase-first] --op write|read|chip_id|erase [--file F] [--addr
 * A] [--size N] bench-flash --compressors FILE      host speed and size of each compressor on FILE
 *
 * A write starts zopfli in the background before connecting (as the CLI does) unless
 * --no-background; on sim:// the host then waits out the modelled connection time, so that
 * the compression gets the head start a real connection gives it (paced_s).
 * --baud 0 (default) = espload's default: the bridge's known rate (from --usb). Prints one
 * line of key=value pairs. On sim:// the times are the virtual device's modelled time
 * (plus the measured host compression time, which the model does not see); elsewhere
 * they are wall-clock times.
 */
#include "elsim.h"
#include "espload/err.h"
#include "espload/loader.h"
#include "espload/port.h"
#include "loader/port_bridge.h"
#include "port/port_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const struct eli_port_ops *const bench_force_sim_backend = &eli_sim_ops;

static double wall(void)
{
    struct timespec t;
    timespec_get(&t, TIME_UTC);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

struct counters {
    unsigned long tx_frames, rx_frames;
    int verbose;
    struct elsim *dev;
    double t_compressed; /* wall time of the COMPRESSED event (0: none) */
};

static void on_trace(void *user, enum el_trace_dir dir, const uint8_t *d, size_t n)
{
    struct counters *c = user;
    (void)d;
    (void)n;
    if (dir == EL_TRACE_TX)
        c->tx_frames++;
    else if (dir == EL_TRACE_RX)
        c->rx_frames++;
}

static void on_event(void *user, const struct el_event *ev)
{
    struct counters *c = user;
    if (ev->id == EL_EV_COMPRESSED && !c->t_compressed)
        c->t_compressed = wall();
    if (c->verbose || ev->id == EL_EV_BAUD_FAILED)
        fprintf(stderr, "  %.3f [%d] %s\n", c->dev ? (double)elsim_now_us(c->dev) / 1e6 : wall(),
                (int)ev->id, ev->text);
}

static uint8_t *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(2);
    }
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(sz > 0 ? (size_t)sz : 1);
    if (!b || fread(b, 1, (size_t)sz, f) != (size_t)sz) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(2);
    }
    fclose(f);
    *n = (size_t)sz;
    return b;
}

static int compressors(const char *path)
{
    size_t n;
    uint8_t *d = slurp(path, &n);
    static const enum el_compressor cs[] = {EL_COMP_ZLIB9, EL_COMP_LIBDEFLATE6,
                                            EL_COMP_LIBDEFLATE12, EL_COMP_ZOPFLI};
    for (size_t i = 0; i < sizeof(cs) / sizeof(cs[0]); i++) {
        uint8_t *z;
        size_t zn;
        double t0 = wall();
        if (el_compress(cs[i], d, n, &z, &zn) != EL_OK)
            return 1;
        double dt = wall() - t0;
        printf("compressor=%s raw=%zu compressed=%zu seconds=%.3f mb_per_s=%.2f\n",
               el_compressor_name(cs[i]), n, zn, dt, (double)n / dt / 1e6);
        free(z);
    }
    free(d);
    return 0;
}

static enum el_compressor comp_by_name(const char *s)
{
    for (int c = EL_COMP_NONE; c <= EL_COMP_LIBDEFLATE6; c++)
        if (!strcmp(el_compressor_name((enum el_compressor)c), s))
            return (enum el_compressor)c;
    fprintf(stderr, "unknown compressor %s\n", s);
    exit(2);
}

int main(int argc, char **argv)
{
    const char *url = NULL, *op = "chip_id", *file = NULL;
    unsigned vid = 0, pid = 0, bridge_max = 0, baud = 0;
    unsigned long addr = 0x1000, size = 0;
    int no_stub = 0, no_skip = 0, erase_first = 0, no_background = 0;
    enum el_compressor comp = EL_COMP_AUTO;
    struct counters cnt = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--compressors") && v)
            return compressors(v);
        if (!strcmp(a, "--port") && v)
            url = v, i++;
        else if (!strcmp(a, "--usb") && v)
            sscanf(v, "%x:%x", &vid, &pid), i++;
        else if (!strcmp(a, "--bridge-max") && v)
            bridge_max = (unsigned)strtoul(v, NULL, 0), i++;
        else if (!strcmp(a, "--baud") && v)
            baud = (unsigned)strtoul(v, NULL, 0), i++;
        else if (!strcmp(a, "--op") && v)
            op = v, i++;
        else if (!strcmp(a, "--file") && v)
            file = v, i++;
        else if (!strcmp(a, "--addr") && v)
            addr = strtoul(v, NULL, 0), i++;
        else if (!strcmp(a, "--size") && v)
            size = strtoul(v, NULL, 0), i++;
        else if (!strcmp(a, "--compressor") && v)
            comp = comp_by_name(v), i++;
        else if (!strcmp(a, "--no-stub"))
            no_stub = 1;
        else if (!strcmp(a, "--no-background"))
            no_background = 1;
        else if (!strcmp(a, "--no-skip"))
            no_skip = 1;
        else if (!strcmp(a, "--erase-first"))
            erase_first = 1;
        else if (!strcmp(a, "-v"))
            cnt.verbose = 1;
        else {
            fprintf(stderr, "bad argument %s (see the comment at the top of bench/flash.c)\n", a);
            return 2;
        }
    }
    if (!url)
        return 2;
    char err[512];
    struct el_port *inner, *p;
    if (el_port_open(&inner, url, NULL, err, sizeof(err)) != EL_OK) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    if (el_port_open_bridge(&p, inner, (uint16_t)vid, (uint16_t)pid, bridge_max) != EL_OK)
        return 1;
    struct elsim *dev = el_port_sim_device(p);
    cnt.dev = dev;
    struct elsim_stats s0, s1;
    if (dev)
        elsim_get_stats(dev, &s0);
    double w0 = wall();
    uint64_t m0 = dev ? elsim_now_us(dev) : 0;
    /* as the CLI: the image is known before connecting, so its compression starts now */
    uint8_t *wd = NULL;
    size_t wn = 0;
    struct el_compress_job *job = NULL;
    if (!strcmp(op, "write")) {
        wd = slurp(file, &wn);
        if (!no_background && (comp == EL_COMP_AUTO || comp == EL_COMP_ZOPFLI))
            (void)el_compress_job_start(wd, wn, EL_COMP_ZOPFLI, 0, &job);
    }

    struct el_loader *l;
    el_loader_new(&l, p);
    el_loader_set_trace_cb(l, on_trace, &cnt);
    el_loader_set_event_cb(l, on_event, &cnt);
    struct el_connect_opts co;
    el_connect_opts_init(&co);
    int rc = el_loader_connect(l, &co);
    /* the baud first (the ROM changes rates too), so the stub uploads at the fast rate */
    unsigned tried = 0;
    if (rc == EL_OK && strcmp(op, "chip_id"))
        rc = el_loader_auto_baud(l, baud, &tried);
    if (rc == EL_OK && !no_stub && strcmp(op, "chip_id")) {
        rc = el_loader_run_stub(l, NULL);
        if (rc == EL_E_UNSUPPORTED)
            rc = EL_OK;
    }
    if (rc == EL_OK && strcmp(op, "chip_id"))
        rc = el_flash_set_params(l, 4u << 20); /* as write_flash's "Configuring flash size" */
    uint64_t m_op = dev ? elsim_now_us(dev) : 0;
    /* the model's connection took no real time: give the background compression the head
     * start a real connection gives it (the modelled time up to here) */
    double paced = 0;
    if (dev && job) {
        double lag = (double)(m_op - m0) / 1e6 - (wall() - w0);
        if (lag > 0) {
            struct timespec ts = {(time_t)lag, (long)((lag - (double)(time_t)lag) * 1e9)};
            nanosleep(&ts, NULL);
            paced = lag;
        }
    }
    double w_op = wall();
    struct el_bridge_stats b0;
    el_port_bridge_stats(p, &b0);
    unsigned long f_op = cnt.tx_frames;
    struct el_write_result wr;
    memset(&wr, 0, sizeof(wr));
    double host_comp = 0;
    if (rc == EL_OK && erase_first)
        rc = el_flash_erase_all(l);
    if (rc == EL_OK && !strcmp(op, "write")) {
        struct el_write_opts wo;
        el_write_opts_init_fast(&wo);
        wo.compressor = comp;
        if (no_skip)
            wo.skip_unchanged = wo.diff_sectors = false;
        wo.jobs = &job;
        wo.n_jobs = job ? 1 : 0;
        /* the model does not see host time: the write's wall time up to its COMPRESSED event
         * is the host's compression (measuring, waiting for the job, compressing) plus the
         * simulator's own work for the device MD5s before it (small) */
        double t0 = wall();
        rc = el_flash_write(l, (uint32_t)addr, wd, wn, &wo, &wr);
        if (dev && wr.compressed && cnt.t_compressed > t0)
            host_comp = cnt.t_compressed - t0;
        if (rc == EL_OK && el_loader_is_stub(l))
            rc = el_flash_finish(l, false);
    } else if (rc == EL_OK && !strcmp(op, "read")) {
        uint8_t *d = malloc(size ? size : 1);
        rc = el_flash_read(l, (uint32_t)addr, d, size);
        free(d);
    } else if (rc == EL_OK && !strcmp(op, "erase")) {
        /* erase_first did it */
    } else if (rc == EL_OK && strcmp(op, "chip_id")) {
        fprintf(stderr, "unknown op %s\n", op);
        rc = EL_E_ARG;
    }
    if (rc != EL_OK) {
        fprintf(stderr, "failed: %s (%s)\n", el_loader_errmsg(l), el_strerror(rc));
        return 1;
    }
    struct el_bridge_stats b1;
    el_port_bridge_stats(p, &b1);
    double total, optime;
    if (dev) {
        elsim_get_stats(dev, &s1);
        total = (double)(elsim_now_us(dev) - m0) / 1e6 + host_comp;
        optime = (double)(elsim_now_us(dev) - m_op) / 1e6 + host_comp;
    } else {
        total = wall() - w0;
        optime = wall() - w_op;
    }
    printf("op=%s stub=%d baud=%u baud_tried=%u total_s=%.3f op_s=%.3f host_compress_s=%.3f "
           "tx_bytes=%llu rx_bytes=%llu op_tx_bytes=%llu op_rx_bytes=%llu commands=%lu "
           "op_commands=%lu len=%zu wire_len=%zu compressor=%s sectors=%u md5_queries=%u "
           "regions=%u skipped=%d verified=%d",
           op, el_loader_is_stub(l), el_loader_baud(l), tried, total, optime, host_comp,
           (unsigned long long)b1.tx_bytes, (unsigned long long)b1.rx_bytes,
           (unsigned long long)(b1.tx_bytes - b0.tx_bytes),
           (unsigned long long)(b1.rx_bytes - b0.rx_bytes), cnt.tx_frames, cnt.tx_frames - f_op,
           wr.len, wr.wire_len, el_compressor_name(wr.compressor), wr.sectors_written,
           wr.md5_queries, wr.regions, wr.skipped, wr.verified);
    if (dev)
        printf(" paced_s=%.3f", paced);
    if (dev)
        printf(" dev_round_trips=%llu flash_erased=%llu flash_written=%llu",
               (unsigned long long)(s1.round_trips - s0.round_trips),
               (unsigned long long)(s1.flash_bytes_erased - s0.flash_bytes_erased),
               (unsigned long long)(s1.flash_bytes_written - s0.flash_bytes_written));
    printf("\n");
    el_compress_job_free(job);
    free(wd);
    el_loader_free(l);
    el_port_close(p);
    return 0;
}
