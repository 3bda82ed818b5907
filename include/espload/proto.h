/* SPDX-License-Identifier: MIT */
#ifndef ESPLOAD_PROTO_H
#define ESPLOAD_PROTO_H
/*
 * Wire-level facts of the Espressif serial download protocol, shared by the client, the
 * virtual device and the flasher stub's host build. Sources: esptool loader.py and
 * docs/en/advanced-topics/serial-protocol.rst (see ../docs/PROTOCOL notes).
 *
 * Request:  u8 0x00, u8 op, u16 len, u32 checksum, data[len]
 * Response: u8 0x01, u8 op, u16 len, u32 value,    data[len] (payload then status bytes)
 * All fields little-endian. Framed with SLIP (slip.h).
 */
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum el_op {
    EL_OP_FLASH_BEGIN = 0x02,
    EL_OP_FLASH_DATA = 0x03,
    EL_OP_FLASH_END = 0x04,
    EL_OP_MEM_BEGIN = 0x05,
    EL_OP_MEM_END = 0x06,
    EL_OP_MEM_DATA = 0x07,
    EL_OP_SYNC = 0x08,
    EL_OP_WRITE_REG = 0x09,
    EL_OP_READ_REG = 0x0A,
    EL_OP_SPI_SET_PARAMS = 0x0B,
    EL_OP_SPI_ATTACH = 0x0D,
    EL_OP_READ_FLASH_SLOW = 0x0E,
    EL_OP_CHANGE_BAUDRATE = 0x0F,
    EL_OP_FLASH_DEFL_BEGIN = 0x10,
    EL_OP_FLASH_DEFL_DATA = 0x11,
    EL_OP_FLASH_DEFL_END = 0x12,
    EL_OP_SPI_FLASH_MD5 = 0x13,
    EL_OP_GET_SECURITY_INFO = 0x14,
    /* stub only */
    EL_OP_ERASE_FLASH = 0xD0,
    EL_OP_ERASE_REGION = 0xD1,
    EL_OP_READ_FLASH = 0xD2,
    EL_OP_RUN_USER_CODE = 0xD3
};

/* ROM loader error byte (ESP32 and later ROMs send status=1, error=<this>, 0, 0) */
enum el_rom_err {
    EL_ROM_ERR_UNDEFINED = 0x00,
    EL_ROM_ERR_INVALID_PARAM = 0x01,
    EL_ROM_ERR_MALLOC = 0x02,
    EL_ROM_ERR_SEND = 0x03,
    EL_ROM_ERR_RECV = 0x04,
    EL_ROM_ERR_INVALID_MSG = 0x05, /* also: unsupported command */
    EL_ROM_ERR_RESULT = 0x06,
    EL_ROM_ERR_CHECKSUM = 0x07,
    EL_ROM_ERR_FLASH_WRITE = 0x08,
    EL_ROM_ERR_FLASH_READ = 0x09,
    EL_ROM_ERR_FLASH_READ_LEN = 0x0A,
    EL_ROM_ERR_DEFLATE = 0x0B,
    EL_ROM_ERR_DEFLATE_ADLER = 0x0C,
    EL_ROM_ERR_DEFLATE_PARAM = 0x0D,
    EL_ROM_ERR_RAM_SIZE = 0x0E,
    EL_ROM_ERR_RAM_ADDR = 0x0F,
    EL_ROM_ERR_PARAM = 0x64,
    EL_ROM_ERR_FORMAT = 0x65,
    EL_ROM_ERR_DESC_LONG = 0x66,
    EL_ROM_ERR_DESC_ENC = 0x67,
    EL_ROM_ERR_STORAGE = 0x69
};

/* Flasher stub status byte (stub sends status=<this>, error=0) */
enum el_stub_err {
    EL_STUB_ERR_BAD_DATA_LEN = 0xC0,
    EL_STUB_ERR_BAD_DATA_CHECKSUM = 0xC1,
    EL_STUB_ERR_BAD_BLOCKSIZE = 0xC2,
    EL_STUB_ERR_INVALID_COMMAND = 0xC3,
    EL_STUB_ERR_FAILED_SPI_OP = 0xC4,
    EL_STUB_ERR_FAILED_SPI_UNLOCK = 0xC5,
    EL_STUB_ERR_NOT_IN_FLASH_MODE = 0xC6,
    EL_STUB_ERR_INFLATE = 0xC7,
    EL_STUB_ERR_NOT_ENOUGH_DATA = 0xC8,
    EL_STUB_ERR_TOO_MUCH_DATA = 0xC9,
    EL_STUB_ERR_CMD_NOT_IMPLEMENTED = 0xFF
};

#define EL_HDR_LEN          8u      /* request and response header length */
#define EL_DATA_HDR_LEN     16u     /* size, seq, 0, 0 before *_DATA payloads */
#define EL_CHECKSUM_SEED    0xEFu   /* XOR seed of data checksums and image checksums */
#define EL_RAM_BLOCK        0x1800u /* MEM_DATA block size (ROM and stub) */
#define EL_ROM_FLASH_BLOCK  0x400u  /* FLASH_DATA block size of the ROM */
#define EL_STUB_FLASH_BLOCK 0x4000u /* FLASH_DATA block size of the stub */
#define EL_FLASH_SECTOR     0x1000u
#define EL_FLASH_BLOCK64K   0x10000u
#define EL_READ_SLOW_BLOCK  64u         /* READ_FLASH_SLOW bytes per request */
#define EL_SYNC_DATA_LEN    36u         /* 07 07 12 20 + 32 x 0x55 */
#define EL_ROM_SYNC_VALUE   0x20120707u /* value field of the real ESP32 ROM's SYNC replies */
#define EL_STUB_GREETING    "OHAI"
#define EL_CHIP_MAGIC_REG   0x40001000u

/* 0xEF-seeded XOR over data (used for *_DATA payloads and image checksums). */
uint8_t el_checksum(const uint8_t *data, size_t len, uint8_t seed);

/* Fills out[36] with the SYNC request data. */
void el_sync_data(uint8_t out[EL_SYNC_DATA_LEN]);

/*
 * Builds a request packet (unframed) into out (capacity cap). Returns the packet length
 * (8 + data_len), or a negative EL_E_* if it does not fit.
 */
int el_req_build(uint8_t *out, size_t cap, uint8_t op, const uint8_t *data, uint16_t data_len,
                 uint32_t checksum);

/* A decoded response packet. data points into the caller's buffer. */
struct el_resp {
    uint8_t op;
    uint16_t len;
    uint32_t value;
    const uint8_t *data; /* len bytes: payload followed by status bytes */
};
/* Parses an unframed response. Returns EL_OK or EL_E_PROTO (not a response / too short). */
int el_resp_parse(const uint8_t *pkt, size_t n, struct el_resp *out);

/* Human-readable meaning of a ROM error byte or stub status byte; NULL if unknown. */
const char *el_rom_err_str(uint8_t code);
const char *el_stub_err_str(uint8_t code);
/* Name of an opcode ("FLASH_BEGIN"), or NULL if unknown. */
const char *el_op_name(uint8_t op);

#ifdef __cplusplus
}
#endif
#endif
