#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Local only (never in CI). Sends the same raw ROM-loader requests to two devices
# that are already in download mode behind raw TCP sockets (e.g. the ESP32 mask ROM
# under QEMU with -serial tcp:..., and espload-sim --tcp) and prints every reply
# frame of each, byte for byte, marking the requests whose replies differ.
#
#   rom-compare.py HOST:PORT_A HOST:PORT_B [--quiet-ms 300]
#
# Replies are collected until the line has been quiet for --quiet-ms. Values that
# depend on the individual chip (eFuse words, MAC) differ legitimately; the report
# says which requests those are.
import argparse
import socket
import struct
import sys
import time


def slip(payload):
    out = bytearray(b"\xc0")
    for b in payload:
        if b == 0xDB:
            out += b"\xdb\xdd"
        elif b == 0xC0:
            out += b"\xdb\xdc"
        else:
            out.append(b)
    out += b"\xc0"
    return bytes(out)


def req(op, data=b"", chk=0, length=None):
    n = len(data) if length is None else length
    return slip(struct.pack("<BBHI", 0, op, n, chk) + data)


def checksum(data):
    c = 0xEF
    for b in data:
        c ^= b
    return c


def data_cmd(op, seq, block, chk=None, declared=None):
    hdr = struct.pack("<IIII", len(block) if declared is None else declared, seq, 0, 0)
    return req(op, hdr + block, checksum(block) if chk is None else chk)


def frames(raw):
    """Splits received bytes into SLIP frames (decoded) plus any bytes outside frames."""
    out, cur, inframe, esc = [], bytearray(), False, False
    junk = bytearray()
    for b in raw:
        if not inframe:
            if b == 0xC0:
                inframe, cur = True, bytearray()
            else:
                junk.append(b)
            continue
        if esc:
            cur.append({0xDC: 0xC0, 0xDD: 0xDB}.get(b, b))
            esc = False
        elif b == 0xDB:
            esc = True
        elif b == 0xC0:
            if cur:
                out.append(bytes(cur))
                cur = bytearray()
            # an empty frame (C0 C0) is just two delimiters: stay in frame
        else:
            cur.append(b)
    return out, bytes(junk)


class Dev:
    def __init__(self, addr, quiet_ms):
        host, port = addr.rsplit(":", 1)
        self.s = socket.create_connection((host, int(port)), timeout=5)
        self.quiet = quiet_ms / 1000.0

    def drain(self, max_s=3.0):
        buf = bytearray()
        t_end = time.time() + max_s
        self.s.settimeout(self.quiet)
        while time.time() < t_end:
            try:
                d = self.s.recv(65536)
                if not d:
                    break
                buf += d
            except socket.timeout:
                break
        return bytes(buf)

    def xfer(self, data):
        self.s.sendall(data)
        return self.drain()


def fmt(raw):
    fr, junk = frames(raw)
    lines = []
    if junk:
        lines.append("junk %d bytes: %s" % (len(junk), junk[:48].hex(" ")))
    for f in fr:
        lines.append(f.hex(" "))
    return lines


# chip-specific: differ between two chips without either being wrong
CHIP_SPECIFIC = {"READ_REG efuse word 1 (MAC low)", "READ_REG efuse word 2 (MAC high)", "READ_REG efuse word 3"}


def tests():
    sync = req(0x08, b"\x07\x07\x12\x20" + b"\x55" * 32)
    block_1k = bytes((i * 7) & 0xFF for i in range(0x400))
    t = [
        ("SYNC", sync),
        ("READ_REG magic 0x40001000", req(0x0A, struct.pack("<I", 0x40001000))),
        ("READ_REG efuse word 1 (MAC low)", req(0x0A, struct.pack("<I", 0x3FF5A004))),
        ("READ_REG efuse word 2 (MAC high)", req(0x0A, struct.pack("<I", 0x3FF5A008))),
        ("READ_REG efuse word 3", req(0x0A, struct.pack("<I", 0x3FF5A00C))),
        ("READ_REG with no address (len 0)", req(0x0A, b"")),
        ("READ_REG with 8 data bytes", req(0x0A, struct.pack("<II", 0x40001000, 0))),
        ("GET_SECURITY_INFO 0x14 (unsupported)", req(0x14)),
        ("READ_FLASH 0xD2 (stub only)", req(0xD2, struct.pack("<IIII", 0, 0x1000, 0x1000, 64))),
        ("ERASE_FLASH 0xD0 (stub only)", req(0xD0)),
        ("opcode 0x00", req(0x00)),
        ("opcode 0xFF", req(0xFF)),
        ("direction byte 1 (a response sent to the chip)", slip(struct.pack("<BBHI", 1, 0x0A, 4, 0) + struct.pack("<I", 0x40001000))),
        ("length field larger than data", req(0x0A, struct.pack("<I", 0x40001000), length=8)),
        ("length field smaller than data", req(0x0A, struct.pack("<II", 0x40001000, 0), length=4)),
        ("truncated packet (4 bytes)", slip(b"\x00\x0a\x04\x00")),
        ("WRITE_REG UART_DATE (harmless), 1 entry", req(0x09, struct.pack("<IIII", 0x60000078, 0, 0, 0))),
        ("SPI_SET_PARAMS 4MB", req(0x0B, struct.pack("<IIIIII", 0, 4 << 20, 0x10000, 0x1000, 0x100, 0xFFFF))),
        ("SPI_ATTACH 4 bytes", req(0x0D, struct.pack("<I", 0))),
        ("SPI_ATTACH 8 bytes", req(0x0D, struct.pack("<II", 0, 0))),
        ("SPI_FLASH_MD5 0..0x1000", req(0x13, struct.pack("<IIII", 0, 0x1000, 0, 0))),
        ("SPI_FLASH_MD5 with 8 bytes", req(0x13, struct.pack("<II", 0, 0x1000))),
        ("READ_FLASH_SLOW 0, 64", req(0x0E, struct.pack("<II", 0, 64))),
        ("READ_FLASH_SLOW 0, 16", req(0x0E, struct.pack("<II", 0, 16))),
        ("READ_FLASH_SLOW 0, 65", req(0x0E, struct.pack("<II", 0, 65))),
        ("FLASH_BEGIN 16 bytes (esptool)", req(0x02, struct.pack("<IIII", 0x1000, 4, 0x400, 0x100000))),
        ("FLASH_DATA seq 0, 1 KiB", data_cmd(0x03, 0, block_1k)),
        ("FLASH_DATA seq 1, bad checksum", data_cmd(0x03, 1, block_1k, chk=checksum(block_1k) ^ 1)),
        ("FLASH_DATA seq 5 (out of order)", data_cmd(0x03, 5, block_1k)),
        ("FLASH_DATA header length != data", data_cmd(0x03, 1, block_1k, declared=0x200)),
        ("FLASH_DATA seq 1, 1 KiB", data_cmd(0x03, 1, block_1k)),
        ("SPI_FLASH_MD5 0x100000..+0x800", req(0x13, struct.pack("<IIII", 0x100000, 0x800, 0, 0))),
        ("FLASH_BEGIN 20 bytes (esptool-js)", req(0x02, struct.pack("<IIIII", 0x4000, 1, 0x4000, 0x110000, 0))),
        ("FLASH_DATA 16 KiB block (esptool-js ROM block size)", data_cmd(0x03, 0, bytes(range(256)) * 64)),
        ("SPI_FLASH_MD5 0x110000..+0x4000", req(0x13, struct.pack("<IIII", 0x110000, 0x4000, 0, 0))),
        ("FLASH_DATA without FLASH_BEGIN? (seq 1)", data_cmd(0x03, 1, block_1k)),
        ("MEM_BEGIN 0x3FFE0000 0x100", req(0x05, struct.pack("<IIII", 0x100, 1, 0x100, 0x3FFE0000))),
        ("MEM_DATA 0x100", data_cmd(0x07, 0, bytes(range(256)))),
        ("READ_REG 0x3FFE0000 (RAM just written)", req(0x0A, struct.pack("<I", 0x3FFE0000))),
        ("MEM_DATA beyond size", data_cmd(0x07, 1, bytes(range(256)))),
        ("FLASH_DEFL_BEGIN 16 bytes", req(0x10, struct.pack("<IIII", 0x400, 1, 0x400, 0x120000))),
        ("FLASH_DEFL_DATA zlib of 1 KiB 0x5A", None),
        ("SPI_FLASH_MD5 0x120000..+0x400", req(0x13, struct.pack("<IIII", 0x120000, 0x400, 0, 0))),
        ("SYNC again", sync),
    ]
    import zlib

    z = zlib.compress(b"\x5a" * 0x400, 9)
    t = [(n, data_cmd(0x11, 0, z) if d is None else d) for n, d in t]
    return t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--quiet-ms", type=int, default=300)
    ap.add_argument("--only-diff", action="store_true")
    args = ap.parse_args()
    devs = [Dev(args.a, args.quiet_ms), Dev(args.b, args.quiet_ms)]
    for d in devs:
        pre = d.drain(1.0)
        if pre:
            print("# %s sent %d bytes before the first request: %r" % (d.s.getpeername(), len(pre), pre[:80]))
    ndiff = 0
    for name, data in tests():
        ra = fmt(devs[0].xfer(data))
        rb = fmt(devs[1].xfer(data))
        same = ra == rb
        tag = "same" if same else ("DIFF (chip-specific)" if name in CHIP_SPECIFIC else "DIFF")
        if not same and name not in CHIP_SPECIFIC:
            ndiff += 1
        if args.only_diff and same:
            continue
        print("== %s: %s  (request %s%s)" % (name, tag, data[:24].hex(" "), " ..." if len(data) > 24 else ""))
        if same:
            for line in ra:
                print("   A=B " + line)
        else:
            for line in ra:
                print("   A   " + line)
            for line in rb:
                print("     B " + line)
    print("# %d request(s) with differing replies (excluding chip-specific values)" % ndiff)
    return 1 if ndiff else 0


if __name__ == "__main__":
    sys.exit(main())
