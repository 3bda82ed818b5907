/* SPDX-License-Identifier: MIT */
/*
 * The stub's hardware layer, shared by the chips: UART0 by polling, SPI flash through the
 * SPI1 controller's user-command registers (the same recipe esptool runs over
 * READ_REG/WRITE_REG: command, address, MOSI/MISO bit lengths, W0..W15 data, USR start),
 * baud changes by rescaling the UART clock divider, and the main loop.
 *
 * Register addresses come from "chip.h" of the chip being built (stub/hal/<chip>/).
 * The UART receive FIFO is drained whenever the stub waits (SPI busy, flash WIP, TX FIFO
 * full) and through the core's poll hook during long computations, so bytes that arrive
 * while flash work runs are not lost. Bytes are handed to the core one at a time, which
 * keeps their order when the core is re-entered from a wait. Between frames the main loop
 * lets the core start the next erase of a running write in the background (erase-ahead);
 * every flash operation first waits until the flash is idle.
 *
 * This is firmware: the state below is the one instance on the chip.
 */
#include <stdint.h>

#include "chip.h"
#include "hal_chip.h"
#include "stub_core_int.h"

#define REG(a) (*(volatile uint32_t *)(uintptr_t)(a))

#define SPI_USR          (1u << 18)
#define SPI_USR_COMMAND  (1u << 31)
#define SPI_USR_ADDR     (1u << 30)
#define SPI_USR_MISO     (1u << 28)
#define SPI_USR_MOSI     (1u << 27)
#define SPI_MAX_DATA     64u         /* W0..W15 */
#define FLASH_ADDR_LIMIT (16u << 20) /* 24-bit addressing */

/* flash opcodes */
#define F_WRSR  0x01
#define F_PP    0x02
#define F_READ  0x03
#define F_RDSR  0x05
#define F_WREN  0x06
#define F_SE    0x20
#define F_RDSR2 0x35
#define F_RDID  0x9F
#define F_CE    0xC7
#define F_BE    0xD8

/* Wait limits in status polls; each poll is an SPI transaction of at least ~1 us, so
 * these are generous upper bounds in milliseconds x 1000. */
#define POLLS_PROGRAM  100000u    /* page program: >= 100 ms */
#define POLLS_SECTOR   4000000u   /* 4 KiB erase: >= 4 s */
#define POLLS_BLOCK    10000000u  /* 64 KiB erase: >= 10 s */
#define POLLS_CHIP     400000000u /* chip erase: >= 400 s */
#define SPI_DONE_LOOPS 200000u
#define UART_TX_LOOPS  2000000u

extern uint32_t _bss_start, _bss_end;
void stub_main(void);

static uint8_t core_mem[sizeof(struct stub_core)] __attribute__((aligned(8)));
static struct stub_core *core;

/* ------------------------------------------------------------------ UART */

static void uart_drain(void)
{
    if (!core)
        return;
    uint32_t n = UART_RXCNT(REG(UART_STATUS));
    while (n-- > 0) {
        uint8_t b = (uint8_t)REG(UART_FIFO_RD);
        stub_core_rx(core, &b, 1);
    }
}

static void hal_delay_us(void *ctx, uint32_t us)
{
    (void)ctx;
    while (us-- > 0) {
        for (volatile uint32_t i = 0; i < CPU_LOOPS_PER_US; i++) {
        }
        if ((us & 63u) == 0)
            uart_drain();
    }
}

static void hal_uart_tx(void *ctx, const uint8_t *buf, size_t len)
{
    (void)ctx;
    for (size_t i = 0; i < len; i++) {
        uint32_t loops = 0;
        while (UART_TXCNT(REG(UART_STATUS)) >= UART_TX_FIFO_DEPTH - 2) {
            uart_drain();
            if (++loops > UART_TX_LOOPS)
                return; /* the UART is stuck: drop the rest rather than hang */
        }
        REG(UART_FIFO_WR) = buf[i];
    }
}

static void uart_wait_tx_done(void)
{
    for (uint32_t loops = 0; loops < UART_TX_LOOPS; loops++) {
        if (UART_TXCNT(REG(UART_STATUS)) == 0 && !UART_TX_BUSY(REG(UART_TX_FSM)))
            return;
    }
}

/* New divider = old divider * old baud / new baud, in 1/16 steps: the ROM's autobaud set
 * the old divider against the host's real clock, so no clock source needs knowing. */
static void hal_set_baud(void *ctx, uint32_t new_baud, uint32_t old_baud)
{
    (void)ctx;
    if (new_baud == 0)
        return;
    if (old_baud == 0)
        old_baud = 115200;
    uart_wait_tx_done();
    uint32_t reg = REG(UART_CLKDIV);
    uint32_t div16 = ((reg & UART_CLKDIV_INT) << 4) | ((reg >> 20) & 0xFu);
    if (div16 == 0 || div16 > 0xFFFFFFFFu / old_baud)
        return;
    uint32_t prod = div16 * old_baud, nd = prod / new_baud;
    if (prod % new_baud >= new_baud - new_baud / 2)
        nd++; /* round to nearest */
    if ((nd >> 4) == 0 || (nd >> 4) > UART_CLKDIV_INT)
        return;
    REG(UART_CLKDIV) = (reg & ~(UART_CLKDIV_INT | (0xFu << 20))) | (nd >> 4) | ((nd & 0xFu) << 20);
#ifdef UART_CONF_UPDATE
    UART_CONF_UPDATE();
#endif
}

/* ------------------------------------------------------------------ SPI flash */

static int spi_wait_done(void)
{
    for (uint32_t i = 0; i < SPI_DONE_LOOPS; i++)
        if ((REG(SPI_CMD) & SPI_USR) == 0)
            return 0;
    return -1;
}

/* One user-defined SPI transaction: 8-bit opcode, optional 24-bit address, up to 64 bytes
 * out (mosi) or in (miso). */
static int spi_cmd(uint8_t opcode, int with_addr, uint32_t addr, const uint8_t *mosi,
                   uint32_t mosi_len, uint8_t *miso, uint32_t miso_len)
{
    if (mosi_len > SPI_MAX_DATA || miso_len > SPI_MAX_DATA || spi_wait_done() != 0)
        return -1;
    uint32_t user = SPI_USR_COMMAND;
    if (with_addr)
        user |= SPI_USR_ADDR;
    if (mosi_len)
        user |= SPI_USR_MOSI;
    if (miso_len)
        user |= SPI_USR_MISO;
    REG(SPI_USER) = user;
    REG(SPI_USER1) = with_addr ? (23u << 26) : 0;
    REG(SPI_USER2) = (7u << 28) | opcode;
    REG(SPI_MOSI_DLEN) = mosi_len ? mosi_len * 8 - 1 : 0;
    REG(SPI_MISO_DLEN) = miso_len ? miso_len * 8 - 1 : 0;
    if (with_addr)
        REG(SPI_ADDR) = SPI_ADDR_MSB ? addr << 8 : addr;
    for (uint32_t i = 0; i < mosi_len; i += 4) {
        uint32_t w = 0;
        for (uint32_t k = 0; k < 4 && i + k < mosi_len; k++)
            w |= (uint32_t)mosi[i + k] << (8 * k);
        REG(SPI_W0 + i) = w;
    }
    REG(SPI_CMD) = SPI_USR;
    if (spi_wait_done() != 0)
        return -1;
    for (uint32_t i = 0; i < miso_len; i += 4) {
        uint32_t w = REG(SPI_W0 + i);
        for (uint32_t k = 0; k < 4 && i + k < miso_len; k++)
            miso[i + k] = (uint8_t)(w >> (8 * k));
    }
    return 0;
}

static int flash_status(uint8_t op, uint8_t *st)
{
    return spi_cmd(op, 0, 0, 0, 0, st, 1);
}

/* Polls WIP until clear, draining the UART meanwhile. */
static int flash_wait_idle(uint32_t max_polls)
{
    for (uint32_t i = 0; i < max_polls; i++) {
        uint8_t st = 0xFF;
        if (flash_status(F_RDSR, &st) != 0)
            return -1;
        if ((st & 1u) == 0)
            return 0;
        uart_drain();
    }
    return -1;
}

static int flash_write_enable(void)
{
    if (flash_wait_idle(POLLS_CHIP) != 0)
        return -1;
    return spi_cmd(F_WREN, 0, 0, 0, 0, 0, 0);
}

static int range_ok(uint32_t addr, uint32_t len)
{
    return addr < FLASH_ADDR_LIMIT && len <= FLASH_ADDR_LIMIT - addr;
}

static int hal_flash_read(void *ctx, uint32_t addr, uint8_t *buf, uint32_t len)
{
    (void)ctx;
    if (!range_ok(addr, len) || flash_wait_idle(POLLS_CHIP) != 0)
        return -1;
    while (len > 0) {
        uint32_t n = len < SPI_MAX_DATA ? len : SPI_MAX_DATA;
        if (spi_cmd(F_READ, 1, addr, 0, 0, buf, n) != 0)
            return -1;
        addr += n;
        buf += n;
        len -= n;
    }
    return 0;
}

static int hal_flash_program(void *ctx, uint32_t addr, const uint8_t *buf, uint32_t len)
{
    (void)ctx;
    if (!range_ok(addr, len))
        return -1;
    while (len > 0) { /* the controller moves at most 64 bytes per command */
        uint32_t n = len < SPI_MAX_DATA ? len : SPI_MAX_DATA;
        if (flash_write_enable() != 0 || spi_cmd(F_PP, 1, addr, buf, n, 0, 0) != 0 ||
            flash_wait_idle(POLLS_PROGRAM) != 0)
            return -1;
        addr += n;
        buf += n;
        len -= n;
    }
    return 0;
}

static int erase_cmd(uint8_t op, uint32_t addr, int with_addr, uint32_t polls)
{
    if (with_addr && !range_ok(addr, 1))
        return -1;
    if (flash_write_enable() != 0 || spi_cmd(op, with_addr, addr, 0, 0, 0, 0) != 0)
        return -1;
    return flash_wait_idle(polls);
}

static int hal_erase_sector(void *ctx, uint32_t addr)
{
    (void)ctx;
    return erase_cmd(F_SE, addr, 1, POLLS_SECTOR);
}

static int hal_erase_block(void *ctx, uint32_t addr)
{
    (void)ctx;
    return erase_cmd(F_BE, addr, 1, POLLS_BLOCK);
}

/* Background erase: write enable and the erase command, without waiting for WIP; every
 * other operation waits for the flash first (flash_write_enable, hal_flash_read). */
static int hal_erase_start(void *ctx, uint32_t addr, int block64)
{
    (void)ctx;
    if (!range_ok(addr, 1) || flash_write_enable() != 0)
        return -1;
    return spi_cmd(block64 ? F_BE : F_SE, 1, addr, 0, 0, 0, 0);
}

/* Non-zero while the flash reports write in progress (or cannot be asked). */
static int hal_flash_busy(void *ctx)
{
    (void)ctx;
    uint8_t st = 0xFF;
    if (flash_status(F_RDSR, &st) != 0)
        return 1;
    return (st & 1u) != 0;
}

static int hal_erase_chip(void *ctx)
{
    (void)ctx;
    return erase_cmd(F_CE, 0, 0, POLLS_CHIP);
}

/* Clears block protection when status register 1 shows any: BP0-BP2 (bits 2-4) or SRP0
 * (bit 7). Nothing is written otherwise (unlike the ROM routine esptool's stub calls on
 * every begin), and status register 2 (0x35, which some chips read as another command)
 * is only read when a write is needed, to keep its QE bit. Bit 6 of register 1 is kept
 * too: it is QE on some chips. */
static int hal_flash_unlock(void *ctx)
{
    (void)ctx;
    uint8_t sr1 = 0, sr2 = 0;
    if (flash_wait_idle(POLLS_CHIP) != 0 || flash_status(F_RDSR, &sr1) != 0)
        return -1;
    if ((sr1 & 0x9Cu) == 0)
        return 0;
    if (flash_status(F_RDSR2, &sr2) != 0)
        return -1;
    uint8_t v[2] = {(uint8_t)(sr1 & 0x40u), (uint8_t)(sr2 & 0x02u)};
    if (flash_write_enable() != 0 || spi_cmd(F_WRSR, 0, 0, v, 2, 0, 0) != 0 ||
        flash_wait_idle(POLLS_SECTOR) != 0 || flash_status(F_RDSR, &sr1) != 0)
        return -1;
    return (sr1 & 0x9Cu) == 0 ? 0 : -1;
}

static uint32_t flash_detect_size(void)
{
    uint8_t id[3] = {0, 0, 0};
    if (spi_cmd(F_RDID, 0, 0, 0, 0, id, 3) != 0)
        return 0;
    uint8_t c = id[2];
    if (c >= 0x12 && c <= 0x18)
        return 1u << c;
    if (c >= 0x32 && c <= 0x38)
        return 1u << (c - 0x20);
    return 0;
}

/* ------------------------------------------------------------------ misc */

static uint32_t hal_read_reg(void *ctx, uint32_t addr)
{
    (void)ctx;
    return REG(addr & ~3u);
}

static void hal_write_reg(void *ctx, uint32_t addr, uint32_t v)
{
    (void)ctx;
    REG(addr & ~3u) = v;
}

/* RAM download: word writes only (IRAM takes no byte stores); the length must be a
 * multiple of 4 and the address aligned, as the ROM loader requires. */
static int hal_mem_write(void *ctx, uint32_t addr, const uint8_t *buf, uint32_t len)
{
    (void)ctx;
    if ((addr & 3u) || (len & 3u))
        return -1;
    if (stub_hal_mem_protected(addr, len))
        return -1;
    for (uint32_t i = 0; i < len; i += 4)
        REG(addr + i) = (uint32_t)buf[i] | ((uint32_t)buf[i + 1] << 8) |
                        ((uint32_t)buf[i + 2] << 16) | ((uint32_t)buf[i + 3] << 24);
    return 0;
}

static void hal_run(void *ctx, uint32_t entry)
{
    (void)ctx;
    uart_wait_tx_done();
    hal_delay_us(0, 2000);
    if (entry == 0) {
        REG(RTC_OPTIONS0) |= RTC_SW_SYS_RST; /* system reset: boots the flashed app */
    } else {
        void (*fn)(void) = (void (*)(void))(uintptr_t)entry;
        fn();
    }
    for (;;) {
    }
}

static int hal_security_info(void *ctx, uint8_t *out, uint32_t cap)
{
    (void)ctx;
    return stub_chip_security_info(out, cap);
}

static void hal_poll(void *ctx)
{
    (void)ctx;
    uart_drain();
}

void stub_main(void)
{
    for (uint32_t *p = &_bss_start; p < &_bss_end; p++)
        *p = 0;
    REG(UART_INT_ENA) = 0; /* the stub polls; the ROM's handlers must not take bytes */
    REG(UART_INT_CLR) = 0xFFFFFFFFu;
    stub_chip_init();
    REG(SPI_CTRL) &= ~SPI_CTRL_RDMODE; /* plain single-line reads for user commands */
    REG(SPI_CLOCK) = SPI_CLOCK_SLOW;

    static const struct stub_hal hal = {
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
        .poll = hal_poll,
        .flash_unlock = hal_flash_unlock,
        .security_info = hal_security_info,
        .flash_erase_start = hal_erase_start,
        .flash_busy = hal_flash_busy,
    };
    core = stub_core_init(core_mem, &hal, flash_detect_size());
    stub_core_greet(core);
    for (;;) {
        uart_drain();
        stub_core_idle(core); /* erase-ahead while no frame is being handled */
    }
}
