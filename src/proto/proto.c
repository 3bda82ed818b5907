/* SPDX-License-Identifier: MIT */
#include "espload/proto.h"
#include "espload/bytes.h"
#include "espload/err.h"

#include <string.h>

uint8_t el_checksum(const uint8_t *data, size_t len, uint8_t seed)
{
    uint8_t c = seed;
    for (size_t i = 0; i < len; i++)
        c ^= data[i];
    return c;
}

void el_sync_data(uint8_t out[EL_SYNC_DATA_LEN])
{
    out[0] = 0x07;
    out[1] = 0x07;
    out[2] = 0x12;
    out[3] = 0x20;
    memset(out + 4, 0x55, EL_SYNC_DATA_LEN - 4);
}

int el_req_build(uint8_t *out, size_t cap, uint8_t op, const uint8_t *data, uint16_t data_len,
                 uint32_t checksum)
{
    if (!out || (data_len && !data))
        return EL_E_ARG;
    if (cap < (size_t)EL_HDR_LEN + data_len)
        return EL_E_SIZE;
    out[0] = 0x00;
    out[1] = op;
    el_put_le16(out + 2, data_len);
    el_put_le32(out + 4, checksum);
    if (data_len)
        memcpy(out + EL_HDR_LEN, data, data_len);
    return (int)(EL_HDR_LEN + data_len);
}

int el_resp_parse(const uint8_t *pkt, size_t n, struct el_resp *out)
{
    if (!pkt || !out || n < EL_HDR_LEN || pkt[0] != 0x01)
        return EL_E_PROTO;
    out->op = pkt[1];
    out->len = el_get_le16(pkt + 2);
    out->value = el_get_le32(pkt + 4);
    if ((size_t)EL_HDR_LEN + out->len > n)
        return EL_E_PROTO;
    out->data = pkt + EL_HDR_LEN;
    return EL_OK;
}

const char *el_rom_err_str(uint8_t code)
{
    switch (code) {
    case 0x00:
        return "undefined error";
    case 0x01:
        return "invalid input parameter";
    case 0x02:
        return "failed to allocate memory";
    case 0x03:
        return "failed to send message";
    case 0x04:
        return "failed to receive message";
    case 0x05:
        return "received message is invalid (unsupported command or bad parameters)";
    case 0x06:
        return "message is valid but the result is wrong";
    case 0x07:
        return "checksum error";
    case 0x08:
        return "flash write error (read-back check failed)";
    case 0x09:
        return "flash read error";
    case 0x0A:
        return "flash read length error";
    case 0x0B:
        return "deflate failed";
    case 0x0C:
        return "deflate Adler-32 error";
    case 0x0D:
        return "deflate parameter error";
    case 0x0E:
        return "invalid RAM binary size";
    case 0x0F:
        return "invalid RAM binary address";
    case 0x64:
        return "invalid parameter";
    case 0x65:
        return "invalid format";
    case 0x66:
        return "description too long";
    case 0x67:
        return "bad encoding description";
    case 0x69:
        return "insufficient storage";
    default:
        return NULL;
    }
}

const char *el_stub_err_str(uint8_t code)
{
    switch (code) {
    case 0xC0:
        return "bad data length";
    case 0xC1:
        return "bad data checksum";
    case 0xC2:
        return "bad block size";
    case 0xC3:
        return "invalid command";
    case 0xC4:
        return "SPI operation failed";
    case 0xC5:
        return "SPI unlock failed";
    case 0xC6:
        return "not in flash mode";
    case 0xC7:
        return "inflate error";
    case 0xC8:
        return "not enough data";
    case 0xC9:
        return "too much data";
    case 0xFF:
        return "command not implemented";
    default:
        return NULL;
    }
}

const char *el_op_name(uint8_t op)
{
    switch (op) {
    case 0x02:
        return "FLASH_BEGIN";
    case 0x03:
        return "FLASH_DATA";
    case 0x04:
        return "FLASH_END";
    case 0x05:
        return "MEM_BEGIN";
    case 0x06:
        return "MEM_END";
    case 0x07:
        return "MEM_DATA";
    case 0x08:
        return "SYNC";
    case 0x09:
        return "WRITE_REG";
    case 0x0A:
        return "READ_REG";
    case 0x0B:
        return "SPI_SET_PARAMS";
    case 0x0D:
        return "SPI_ATTACH";
    case 0x0E:
        return "READ_FLASH_SLOW";
    case 0x0F:
        return "CHANGE_BAUDRATE";
    case 0x10:
        return "FLASH_DEFL_BEGIN";
    case 0x11:
        return "FLASH_DEFL_DATA";
    case 0x12:
        return "FLASH_DEFL_END";
    case 0x13:
        return "SPI_FLASH_MD5";
    case 0x14:
        return "GET_SECURITY_INFO";
    case 0xD0:
        return "ERASE_FLASH";
    case 0xD1:
        return "ERASE_REGION";
    case 0xD2:
        return "READ_FLASH";
    case 0xD3:
        return "RUN_USER_CODE";
    default:
        return NULL;
    }
}
