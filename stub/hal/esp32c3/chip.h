/* SPDX-License-Identifier: MIT */
#ifndef STUB_HAL_ESP32C3_CHIP_H
#define STUB_HAL_ESP32C3_CHIP_H
/*
 * ESP32-C3 register facts for the stub HAL (ESP32-C3 TRM; ESP-IDF soc/esp32c3 register
 * headers; esptool targets/esp32c3.py). RISC-V RV32IMC.
 */
#define CHIP_NAME "esp32c3"

#define UART_BASE        0x60000000u
#define UART_FIFO_RD     0x60000000u
#define UART_FIFO_WR     0x60000000u
#define UART_INT_ENA     (UART_BASE + 0x0C)
#define UART_INT_CLR     (UART_BASE + 0x10)
#define UART_CLKDIV      (UART_BASE + 0x14)
#define UART_STATUS      (UART_BASE + 0x1C)
#define UART_RXCNT(st)   ((st)&0x3FFu)
#define UART_TXCNT(st)   (((st) >> 16) & 0x3FFu)
#define UART_TX_FSM      (UART_BASE + 0x6C) /* FSM_STATUS: ST_UTX_OUT [7:4] */
#define UART_TX_BUSY(st) ((((st) >> 4) & 0xFu) != 0)
#define UART_CLKDIV_INT  0xFFFu
/* ID register bit 31 UPDATE: synchronises configuration into the UART core clock domain
 * (automatic while HIGH_SPEED, its reset value, is set; requesting it is harmless) */
#define UART_CONF_UPDATE() (REG(UART_BASE + 0x80) |= (1u << 31))
#define UART_TX_FIFO_DEPTH 128u

/* SPI1 (SPI_MEM1) flash controller */
#define SPI_BASE      0x60002000u
#define SPI_CMD       (SPI_BASE + 0x00)
#define SPI_ADDR      (SPI_BASE + 0x04)
#define SPI_CTRL      (SPI_BASE + 0x08)
#define SPI_CLOCK     (SPI_BASE + 0x14)
#define SPI_USER      (SPI_BASE + 0x18)
#define SPI_USER1     (SPI_BASE + 0x1C)
#define SPI_USER2     (SPI_BASE + 0x20)
#define SPI_MOSI_DLEN (SPI_BASE + 0x24)
#define SPI_MISO_DLEN (SPI_BASE + 0x28)
#define SPI_W0        (SPI_BASE + 0x58)
#define SPI_ADDR_MSB  0 /* LSB-aligned address (esptool: SPI_ADDR_REG_MSB = False) */
/* CTRL: FDUMMY_OUT 3, FCMD_DUAL 7, FCMD_QUAD 8, FASTRD_MODE 13, FREAD_DUAL 14,
 * FREAD_QUAD 20, FREAD_DIO 23, FREAD_QIO 24 */
#define SPI_CTRL_RDMODE                                                                            \
    ((1u << 3) | (1u << 7) | (1u << 8) | (1u << 13) | (1u << 14) | (1u << 20) | (1u << 23) |       \
     (1u << 24))
/* CLOCK: CLKCNT_N [23:16] = 3, CLKCNT_H [15:8] = 1, CLKCNT_L [7:0] = 3 -> source / 4 */
#define SPI_CLOCK_SLOW ((3u << 16) | (1u << 8) | 3u)

#define RTC_OPTIONS0   0x60008000u
#define RTC_SW_SYS_RST (1u << 31)

#define CPU_LOOPS_PER_US 10u
#define IMAGE_CHIP_ID    5u

#endif
