/* SPDX-License-Identifier: MIT */
/*
 * The flasher stub inside the virtual device: after MEM_END jumps to uploaded code, the
 * device runs the portable stub core (stub/core) with this HAL, which maps flash, registers,
 * UART and baud onto the device model. Every simulator test of the stub path therefore runs
 * the same protocol logic that runs on the chips.
 *
 * Which stub: code that carries espload's identification right before its entry point
 * (stub/hal/<chip>/start.S) runs the core with espload's policies; any other uploaded code
 * (esptool's legacy stub, as esptool and esptool-js upload it) runs the core with the
 * esptool policy, which reproduces that stub's erase/program behaviour (docs/SIMULATOR.md).
 *
 * Timing: the stub ACKs a block when it takes it from its queue and writes it afterwards;
 * reception continues in the background (UART interrupt + frame buffers), so a command that
 * arrives during a write is handled when the CPU is free. A time cursor (d->cpu) advances
 * by the modelled cost of each CPU step and flash operation; replies are stamped with it.
 * The flash has its own clock (d->flash_busy_until): an erase started in the background
 * keeps it busy while the CPU goes on, and every flash operation first waits for it. While
 * the CPU is free before the next byte arrives, the core's idle work runs (erase-ahead).
 */
#include "elsim_int.h"
#include "espload/bytes.h"
#include "espload/proto.h"
#include "stub_core.h"

#include <stdlib.h>
#include <string.h>

#define STUB_READ_NS_PER_BYTE 100 /* SPI flash read at 40 MHz DIO: ~10 MB/s */
/* CPU time of the stub per received data byte after it has ACKed a block: checksum, inflate
 * and copying (compressed) or checksum and copying (plain). Estimate: with the flash erase
 * and program times on top it reproduces the ~17.6 s that a 1851472-byte (1063799 compressed)
 * write took at 921600 baud (docs/field/perf.md, esptool#919): 7.2 s erase + 4.3 s program +
 * 5.3 s CPU. */
#define STUB_INFLATE_NS_PER_BYTE 5000
#define STUB_PLAIN_NS_PER_BYTE   1000
#define STUB_IDLE_STEPS_MAX      64 /* idle steps per received byte (bounds host work) */

/* What espload's stub carries in the 16 bytes before its entry point. */
static const uint8_t stub_id[16] = "espload-stub-id";

static void cost(struct elsim *d, uint64_t us)
{
    if (d->cfg.timing)
        d->cpu += us;
}

/* Before a flash operation: with charge (writes and waited erases, which need the block's
 * data), the CPU work of the block being handled comes first (checksum, decompression);
 * reads and background erase starts may come before it. Then the flash must be idle. */
static void flash_ready(struct elsim *d, bool charge)
{
    if (!d->cfg.timing)
        return;
    if (charge) {
        d->cpu += d->stub_cpu_pending;
        d->stub_cpu_pending = 0;
    }
    if (d->cpu < d->flash_busy_until)
        d->cpu = d->flash_busy_until;
}

/* Rewrites the status byte of a reply frame for a status@OP:K fault. */
static bool patch_status(struct elsim *d, const uint8_t *buf, size_t len)
{
    if (d->stub_fault_op < 0 || len < 12 || len > 64 || buf[0] != 0xC0 || buf[len - 1] != 0xC0)
        return false;
    uint8_t pkt[64];
    size_t n = 0;
    for (size_t i = 1; i + 1 < len; i++) {
        uint8_t b = buf[i];
        if (b == 0xDB && i + 2 < len) {
            b = buf[++i] == 0xDC ? 0xC0 : 0xDB;
        }
        pkt[n++] = b;
    }
    if (n < 10 || pkt[0] != 0x01 || pkt[1] != (uint8_t)d->stub_fault_op)
        return false;
    pkt[n - 2] = (uint8_t)d->stub_fault_code;
    pkt[n - 1] = 0;
    d->stub_fault_op = -1;
    eli_sim_send_frame(d, pkt, n, d->cpu);
    return true;
}

static void hal_uart_tx(void *ctx, const uint8_t *buf, size_t len)
{
    struct elsim *d = ctx;
    if (patch_status(d, buf, len))
        return;
    for (size_t i = 0; i < len; i++)
        if (buf[i] == 0xC0 && i > 0)
            d->st.frames_out++;
    eli_sim_emit(d, buf, len, d->cpu);
}

static void hal_set_baud(void *ctx, uint32_t new_baud, uint32_t old_baud)
{
    struct elsim *d = ctx;
    (void)old_baud;
    if (new_baud) {
        d->baud = new_baud; /* the stub computes its divider from the real clock */
        char note[48];
        snprintf(note, sizeof(note), "baud changed to %u", (unsigned)d->baud);
        eli_tr_note(d, note, d->cpu);
    }
}

static int hal_flash_read(void *ctx, uint32_t addr, uint8_t *buf, uint32_t len)
{
    struct elsim *d = ctx;
    flash_ready(d, false);
    cost(d, (uint64_t)len * STUB_READ_NS_PER_BYTE / 1000u);
    return eli_flash_read(d, addr, buf, len);
}

static int hal_flash_program(void *ctx, uint32_t addr, const uint8_t *buf, uint32_t len)
{
    struct elsim *d = ctx;
    flash_ready(d, true);
    uint64_t us;
    int rc = eli_flash_program(d, addr, buf, len, &us);
    cost(d, us);
    return rc;
}

static int hal_erase_sector(void *ctx, uint32_t addr)
{
    struct elsim *d = ctx;
    flash_ready(d, true);
    uint64_t us;
    int rc = eli_flash_erase_sector(d, addr, &us);
    cost(d, us);
    return rc;
}

static int hal_erase_block(void *ctx, uint32_t addr)
{
    struct elsim *d = ctx;
    flash_ready(d, true);
    uint64_t us;
    int rc = eli_flash_erase_block(d, addr, &us);
    cost(d, us);
    return rc;
}

static int hal_erase_chip(void *ctx)
{
    struct elsim *d = ctx;
    flash_ready(d, true);
    uint64_t us;
    int rc = eli_flash_erase_chip(d, &us);
    cost(d, us);
    return rc;
}

static int hal_erase_start(void *ctx, uint32_t addr, int block64)
{
    struct elsim *d = ctx;
    flash_ready(d, false);
    uint64_t us;
    /* the contents change at once: every later operation waits for the erase to end */
    int rc = block64 ? eli_flash_erase_block(d, addr, &us) : eli_flash_erase_sector(d, addr, &us);
    if (d->cfg.timing)
        d->flash_busy_until = d->cpu + us;
    return rc;
}

static int hal_flash_busy(void *ctx)
{
    struct elsim *d = ctx;
    return d->cfg.timing && d->cpu < d->flash_busy_until;
}

static uint32_t hal_read_reg(void *ctx, uint32_t addr)
{
    return eli_reg_read(ctx, addr);
}

static void hal_write_reg(void *ctx, uint32_t addr, uint32_t value)
{
    eli_reg_write(ctx, addr, value);
}

static int hal_mem_write(void *ctx, uint32_t addr, const uint8_t *buf, uint32_t len)
{
    struct elsim *d = ctx;
    if (eli_ram_check(d, addr, len))
        return -1;
    return eli_ram_write(d, addr, buf, len);
}

static void hal_run(void *ctx, uint32_t entry)
{
    struct elsim *d = ctx;
    d->stub_run_pending = true;
    d->stub_run_entry = entry;
}

static void hal_delay_us(void *ctx, uint32_t us)
{
    cost(ctx, us);
}

static int hal_security_info(void *ctx, uint8_t *out, uint32_t cap)
{
    struct elsim *d = ctx;
    if (!d->chip->has_security_info || cap < d->chip->security_info_len)
        return 0;
    memset(out, 0, d->chip->security_info_len);
    el_put_le32(out, d->cfg.secure_boot ? 1u : 0u);
    out[4] = d->cfg.flash_crypt ? 1 : 0;
    if (d->chip->security_info_len >= 20)
        el_put_le32(out + 12, d->chip->image_chip_id);
    return d->chip->security_info_len;
}

/* Is the code at entry espload's stub (its identification right before the entry)? */
#define LEGACY_ESP32_TEXT     0x400BE000u
#define LEGACY_ESP32_TEXT_END 0x400C0000u

static bool is_espload_stub(const struct elsim *d, uint32_t entry)
{
    if (entry < sizeof(stub_id))
        return false;
    uint32_t a = entry - (uint32_t)sizeof(stub_id);
    for (size_t i = 0; i < d->n_ram; i++) {
        const struct elsim_ram *m = &d->ram_regions[i];
        if (a >= m->start && a < m->end && m->end - a >= sizeof(stub_id))
            return m->buf && memcmp(m->buf + (a - m->start), stub_id, sizeof(stub_id)) == 0;
    }
    return false;
}

bool eli_stub_available(void)
{
    return true;
}

int eli_stub_start(struct elsim *d, uint64_t t)
{
    eli_stub_free(d);
    size_t sz = stub_core_size();
    d->stub_mem = calloc(1, sz);
    if (!d->stub_mem)
        return -1;
    struct stub_hal hal = {
        .ctx = d,
        .uart_tx = hal_uart_tx,
        .set_baud = hal_set_baud,
        .flash_read = hal_flash_read,
        .flash_program = hal_flash_program,
        .flash_erase_sector = hal_erase_sector,
        .flash_erase_block = hal_erase_block,
        .flash_erase_chip = hal_erase_chip,
        .read_reg = hal_read_reg,
        .write_reg = hal_write_reg,
        .mem_write = hal_mem_write,
        .run = hal_run,
        .delay_us = hal_delay_us,
        .security_info = hal_security_info,
        .flash_erase_start = hal_erase_start,
        .flash_busy = hal_flash_busy,
    };
    d->stub = stub_core_init(d->stub_mem, &hal, d->flash_size);
    if (!d->stub) {
        eli_stub_free(d);
        return -1;
    }
    d->stub_legacy = !is_espload_stub(d, d->mem_entry);
    /* code that is not ours: esptool's legacy ESP32 stub loads its text at 0x400BE000
     * (esptool stub set 1); anything else is taken for esp-flasher-stub, the stub of
     * esptool 5.3+ and esptool-js 0.7 (its ESP32 text at 0x400A8000) */
    bool legacy_addr = d->mem_entry >= LEGACY_ESP32_TEXT && d->mem_entry < LEGACY_ESP32_TEXT_END;
    if (d->stub_legacy)
        stub_core_set_policy(d->stub, legacy_addr ? STUB_POLICY_ESPTOOL : STUB_POLICY_ESP_FLASHER);
    d->stub_cpu_pending = 0;
    d->attached = true; /* the stub attaches the flash from the eFuse config at start */
    d->state = ELSIM_ST_STUB;
    d->stub_fault_op = -1;
    d->cpu = t;
    eli_tr_note(d, "stub running", t);
    if (d->stub_legacy)
        eli_tr_note(d, legacy_addr ? "stub model: esptool legacy" : "stub model: esp-flasher-stub",
                    t);
    stub_core_greet(d->stub);
    return 0;
}

/* Idle work of the stub's main loop while the CPU is free before t: each step starts when
 * both the CPU and the flash are free (a step only starts an erase when the flash is idle). */
static void run_idle(struct elsim *d, uint64_t t)
{
    for (int n = 0; n < STUB_IDLE_STEPS_MAX; n++) {
        uint64_t start = d->cpu;
        if (d->cfg.timing && start < d->flash_busy_until)
            start = d->flash_busy_until;
        if (start >= t)
            return;
        uint64_t cpu = d->cpu;
        d->cpu = start;
        if (!stub_core_idle(d->stub)) {
            d->cpu = cpu;
            return;
        }
    }
}

void eli_stub_rx(struct elsim *d, uint8_t b, uint64_t t)
{
    if (!d->stub)
        return;
    run_idle(d, t);
    if (d->cpu < t)
        d->cpu = t;
    if (d->pending_status != -1) {
        /* status@OP:K fault: the stub does the command but its reply carries an error */
        int op = d->tr_in.len >= 2 ? d->tr_in.buf[1] : -1;
        int code = d->pending_status >= 0 ? d->pending_status : EL_STUB_ERR_FAILED_SPI_OP;
        d->pending_status = -1;
        if (b == 0xC0 &&
            (op == EL_OP_FLASH_DATA || op == EL_OP_FLASH_DEFL_DATA || op == EL_OP_MEM_DATA)) {
            /* a data block is rejected unexecuted, as the stub does with a bad checksum: an
             * invalid SLIP escape makes the stub drop the frame, the error reply is ours */
            static const uint8_t bad_escape[] = {0xDB, 0x00};
            stub_core_rx(d->stub, bad_escape, sizeof(bad_escape));
            stub_core_rx(d->stub, &b, 1);
            uint8_t pkt[10] = {0x01, (uint8_t)op, 2, 0, 0, 0, 0, 0, (uint8_t)code, 0};
            eli_sim_send_frame(d, pkt, sizeof(pkt), d->cpu);
            return;
        }
        d->stub_fault_op = op;
        d->stub_fault_code = code;
    }
    d->stub_run_pending = false;
    d->stub_cpu_pending = 0;
    if (d->cfg.timing && d->frame_done && d->frame_done_len > 24) {
        /* the block completed by this byte: checksum, copying and (compressed) inflating,
         * after its ACK, before its first flash operation */
        uint64_t payload = d->frame_done_len - 24;
        if (d->frame_done_op == EL_OP_FLASH_DEFL_DATA)
            d->stub_cpu_pending = payload * STUB_INFLATE_NS_PER_BYTE / 1000u;
        else if (d->frame_done_op == EL_OP_FLASH_DATA)
            d->stub_cpu_pending = payload * STUB_PLAIN_NS_PER_BYTE / 1000u;
    }
    stub_core_rx(d->stub, &b, 1);
    cost(d, d->stub_cpu_pending);
    d->stub_cpu_pending = 0;
    if (d->cpu > t)
        eli_sim_set_busy(d, d->cpu);
    if (d->stub_run_pending) {
        uint32_t entry = d->stub_run_entry;
        d->stub_run_pending = false;
        eli_stub_free(d);
        if (entry == 0) {
            /* software system reset (rst:0x3): the strapping pins stay latched from the last
             * chip reset, so a chip reset into download mode returns to the ROM loader
             * (esptool --after no_reset relies on this) */
            eli_sim_reboot(d, 0x03, d->cpu);
        } else {
            d->state = ELSIM_ST_APP;
        }
    }
}

void eli_stub_free(struct elsim *d)
{
    free(d->stub_mem);
    d->stub_mem = NULL;
    d->stub = NULL;
}
