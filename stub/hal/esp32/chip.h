/* SPDX-License-Identifier: MIT */
#ifndef STUB_HAL_ESP32_CHIP_H
#define STUB_HAL_ESP32_CHIP_H
/*
 * ESP32 register facts for the stub HAL (ESP32 TRM; ESP-IDF soc/esp32 register headers;
 * esptool targets/esp32.py). Xtensa LX6, code built as call0 ABI.
 */
#define CHIP_NAME "esp32"

/* UART0: registers through the APB (DPORT) address, TX FIFO writes through the AHB
 * address, as ESP-IDF's uart_ll does on the ESP32. */
#define UART_BASE          0x3FF40000u
#define UART_FIFO_RD       0x3FF40000u
#define UART_FIFO_WR       0x60000000u
#define UART_INT_ENA       (UART_BASE + 0x0C)
#define UART_INT_CLR       (UART_BASE + 0x10)
#define UART_CLKDIV        (UART_BASE + 0x14)
#define UART_STATUS        (UART_BASE + 0x1C)
#define UART_RXCNT(st)     ((st)&0xFFu)
#define UART_TXCNT(st)     (((st) >> 16) & 0xFFu)
#define UART_TX_BUSY(st)   ((((st) >> 24) & 0xFu) != 0) /* ST_UTX_OUT in STATUS */
#define UART_TX_FSM        UART_STATUS
#define UART_CLKDIV_INT    0xFFFFFu
#define UART_TX_FIFO_DEPTH 128u

/* SPI1 (flash) controller */
#define SPI_BASE      0x3FF42000u
#define SPI_CMD       (SPI_BASE + 0x00)
#define SPI_ADDR      (SPI_BASE + 0x04)
#define SPI_CTRL      (SPI_BASE + 0x08)
#define SPI_CLOCK     (SPI_BASE + 0x18)
#define SPI_USER      (SPI_BASE + 0x1C)
#define SPI_USER1     (SPI_BASE + 0x20)
#define SPI_USER2     (SPI_BASE + 0x24)
#define SPI_MOSI_DLEN (SPI_BASE + 0x28)
#define SPI_MISO_DLEN (SPI_BASE + 0x2C)
#define SPI_W0        (SPI_BASE + 0x80)
#define SPI_ADDR_MSB  1 /* the address register is MSB-aligned on the ESP32 */
/* CTRL: FASTRD_MODE 13, FREAD_DUAL 14, FREAD_QUAD 20, FREAD_DIO 23, FREAD_QIO 24 */
#define SPI_CTRL_RDMODE ((1u << 13) | (1u << 14) | (1u << 20) | (1u << 23) | (1u << 24))
/* CLOCK: CLKCNT_N [17:12] = 3, CLKCNT_H [11:6] = 1, CLKCNT_L [5:0] = 3 -> APB / 4 */
#define SPI_CLOCK_SLOW ((3u << 12) | (1u << 6) | 3u)

/* IO_MUX of the default flash pins (GPIO6..11), function 1 = SPI */
#define IO_MUX_BASE       0x3FF49000u
#define EFUSE_SPI_PAD_REG 0x3FF5A014u /* BLK0 word 5, bits 0-19: custom pins if non-zero */

#define RTC_OPTIONS0   0x3FF48000u
#define RTC_SW_SYS_RST (1u << 31)

#define CPU_LOOPS_PER_US 10u /* busy-loop calibration, assumes >= 40 MHz */
#define IMAGE_CHIP_ID    0u

#endif
