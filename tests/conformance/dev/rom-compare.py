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
    import zlib

    sync = req(0x08, b"\x07\x07\x12\x20" + b"\x55" * 32)
    rd = lambda a: req(0x0A, struct.pack("<I", a))
    md5 = lambda a, n: req(0x13, struct.pack("<IIII", a, n, 0, 0))
    blk = [bytes(((i * 7) + k * 13) & 0xFF for i in range(0x400)) for k in range(4)]
    z = zlib.compress(bytes(range(256)) * 4, 9)
    return [
        # framing, header and unsupported commands
        ("SYNC", sync),
        ("READ_REG magic 0x40001000", rd(0x40001000)),
        ("READ_REG efuse word 1 (MAC low)", rd(0x3FF5A004)),
        ("READ_REG efuse word 2 (MAC high)", rd(0x3FF5A008)),
        ("READ_REG efuse word 3", rd(0x3FF5A00C)),
        ("READ_REG with no address (len 0)", req(0x0A, b"")),
        ("READ_REG with 8 data bytes", req(0x0A, struct.pack("<II", 0x40001000, 0))),
        ("length field larger than data", req(0x0A, struct.pack("<I", 0x40001000), length=8)),
        ("length field smaller than data", req(0x0A, struct.pack("<II", 0x40001000, 0), length=4)),
        ("GET_SECURITY_INFO 0x14 (unsupported)", req(0x14)),
        ("GET_SECURITY_INFO 0x14 again", req(0x14)),
        ("READ_FLASH 0xD2 (stub only)", req(0xD2, struct.pack("<IIII", 0, 0x1000, 0x1000, 64))),
        ("ERASE_FLASH 0xD0 (stub only)", req(0xD0)),
        ("opcode 0x00", req(0x00)),
        ("opcode 0xFF", req(0xFF)),
        ("direction byte 1 (a response sent to the chip)", slip(struct.pack("<BBHI", 1, 0x0A, 4, 0) + struct.pack("<I", 0x40001000))),
        ("READ_REG magic (after the errors)", rd(0x40001000)),
        ("WRITE_REG UART_DATE (harmless), 1 entry", req(0x09, struct.pack("<IIII", 0x60000078, 0, 0, 0))),
        ("SPI_SET_PARAMS 4MB", req(0x0B, struct.pack("<IIIIII", 0, 4 << 20, 0x10000, 0x1000, 0x100, 0xFFFF))),
        ("SPI_ATTACH 4 bytes", req(0x0D, struct.pack("<I", 0))),
        ("SPI_ATTACH 8 bytes", req(0x0D, struct.pack("<II", 0, 0))),
        ("SPI_FLASH_MD5 0..0x1000", md5(0, 0x1000)),
        ("SPI_FLASH_MD5 with 8 bytes", req(0x13, struct.pack("<II", 0, 0x1000))),
        # flash writes: retry after a bad checksum, a skipped sequence number
        ("FLASH_BEGIN 16 bytes, 3 x 1 KiB at 0x100000", req(0x02, struct.pack("<IIII", 0xC00, 3, 0x400, 0x100000))),
        ("FLASH_DATA seq 0", data_cmd(0x03, 0, blk[0])),
        ("FLASH_DATA seq 1, bad checksum", data_cmd(0x03, 1, blk[1], chk=checksum(blk[1]) ^ 1)),
        ("FLASH_DATA seq 1 again (esptool retries)", data_cmd(0x03, 1, blk[1])),
        ("FLASH_DATA seq 3 (skips 2)", data_cmd(0x03, 3, blk[3])),
        ("FLASH_DATA seq 2", data_cmd(0x03, 2, blk[2])),
        ("SPI_FLASH_MD5 0x100000..+0xC00", md5(0x100000, 0xC00)),
        ("READ_FLASH_SLOW 0x100000, 64", req(0x0E, struct.pack("<II", 0x100000, 64))),
        ("READ_FLASH_SLOW 0x100000, 16", req(0x0E, struct.pack("<II", 0x100000, 16))),
        ("READ_FLASH_SLOW 0x100000, 65", req(0x0E, struct.pack("<II", 0x100000, 65))),
        ("FLASH_BEGIN 16 bytes, 1 KiB at 0x104000", req(0x02, struct.pack("<IIII", 0x400, 1, 0x400, 0x104000))),
        ("FLASH_DATA header length != data", data_cmd(0x03, 0, blk[0], declared=0x200)),
        ("FLASH_DATA seq 0 after that", data_cmd(0x03, 0, blk[0])),
        ("SPI_FLASH_MD5 0x104000..+0x400", md5(0x104000, 0x400)),
        ("FLASH_BEGIN 20 bytes (esptool-js, uncompressed)", req(0x02, struct.pack("<IIIII", 0x400, 1, 0x400, 0x108000, 0))),
        ("FLASH_DEFL_BEGIN 16 bytes", req(0x10, struct.pack("<IIII", 0x400, 1, 0x400, 0x120000))),
        ("FLASH_DEFL_DATA zlib of 1 KiB", data_cmd(0x11, 0, z)),
        ("SPI_FLASH_MD5 0x120000..+0x400", md5(0x120000, 0x400)),
        ("FLASH_DEFL_BEGIN 20 bytes", req(0x10, struct.pack("<IIIII", 0x400, 1, 0x400, 0x124000, 0))),
        # RAM download
        ("MEM_BEGIN 0x3FFB0000 0x100", req(0x05, struct.pack("<IIII", 0x100, 1, 0x100, 0x3FFB0000))),
        ("MEM_DATA 0x100", data_cmd(0x07, 0, bytes(range(256)))),
        ("MEM_DATA beyond size", data_cmd(0x07, 1, bytes(range(256)))),
        ("READ_REG 0x3FFB0000 (RAM just written)", rd(0x3FFB0000)),
        ("MEM_BEGIN 0x3FFE0000 0x100 (ROM data area)", req(0x05, struct.pack("<IIII", 0x100, 1, 0x100, 0x3FFE0000))),
        ("MEM_BEGIN 0x400A8000 0x2000 (IRAM)", req(0x05, struct.pack("<IIII", 0x2000, 2, 0x1800, 0x400A8000))),
        # damage last: the ROM may not recover the same way
        ("truncated packet (4 bytes)", slip(b"\x00\x0a\x04\x00")),
        ("READ_REG magic (after truncated)", rd(0x40001000)),
        ("FLASH_BEGIN 16 bytes for a 16 KiB block", req(0x02, struct.pack("<IIII", 0x4000, 1, 0x4000, 0x110000))),
        ("FLASH_DATA 16 KiB block (esptool-js ROM block size)", data_cmd(0x03, 0, bytes(range(256)) * 64)),
        ("SYNC after the 16 KiB frame", sync),
    ]


def stub_tests():
    """Requests for a running flasher stub (upload it first on both devices, e.g. with
    esptool --before no_reset --after no_reset_stub flash_id)."""
    sync = req(0x08, b"\x07\x07\x12\x20" + b"\x55" * 32)
    rd = lambda a: req(0x0A, struct.pack("<I", a))
    md5 = lambda a, n: req(0x13, struct.pack("<IIII", a, n, 0, 0))
    blk = bytes((i * 11) & 0xFF for i in range(0x1000))
    return [
        ("SYNC", sync),
        ("READ_REG magic", rd(0x40001000)),
        ("GET_SECURITY_INFO 0x14", req(0x14)),
        ("opcode 0xFF", req(0xFF)),
        ("READ_FLASH_SLOW 0x0E", req(0x0E, struct.pack("<II", 0, 64))),
        ("READ_REG len 0", req(0x0A, b"")),
        ("SPI_ATTACH 4 bytes", req(0x0D, struct.pack("<I", 0))),
        ("SPI_ATTACH 8 bytes", req(0x0D, struct.pack("<II", 0, 0))),
        ("SPI_SET_PARAMS 4MB", req(0x0B, struct.pack("<IIIIII", 0, 4 << 20, 0x10000, 0x1000, 0x100, 0xFFFF))),
        ("SPI_FLASH_MD5 0..0x1000", md5(0, 0x1000)),
        ("ERASE_REGION 0x100000 0x1000", req(0xD1, struct.pack("<II", 0x100000, 0x1000))),
        ("ERASE_REGION unaligned", req(0xD1, struct.pack("<II", 0x100001, 0x1000))),
        ("FLASH_BEGIN 4 KiB at 0x100000 (16 bytes)", req(0x02, struct.pack("<IIII", 0x1000, 1, 0x1000, 0x100000))),
        ("FLASH_DATA bad checksum", data_cmd(0x03, 0, blk, chk=checksum(blk) ^ 1)),
        ("FLASH_DATA header length != data", data_cmd(0x03, 0, blk, declared=0x800)),
        ("FLASH_DATA seq 0", data_cmd(0x03, 0, blk)),
        ("FLASH_DATA one block too many", data_cmd(0x03, 1, blk)),
        ("FLASH_END stay (1)", req(0x04, struct.pack("<I", 1))),
        ("SPI_FLASH_MD5 0x100000..+0x1000", md5(0x100000, 0x1000)),
        ("FLASH_BEGIN 20 bytes", req(0x02, struct.pack("<IIIII", 0x1000, 1, 0x1000, 0x101000, 0))),
        ("FLASH_BEGIN block size 0x8000", req(0x02, struct.pack("<IIII", 0x8000, 1, 0x8000, 0x102000))),
        ("FLASH_END with nothing begun", req(0x04, struct.pack("<I", 1))),
        ("READ_FLASH 0x100000 100 bytes, packets of 64", req(0xD2, struct.pack("<IIII", 0x100000, 100, 64, 1))),
        ("  host ACK 64", slip(struct.pack("<I", 64))),
        ("  host ACK 100", slip(struct.pack("<I", 100))),
        ("READ_REG after READ_FLASH", rd(0x40001000)),
        ("MEM_BEGIN over the stub's own text (0x400BE000)", req(0x05, struct.pack("<IIII", 0x100, 1, 0x100, 0x400BE000))),
        ("SYNC again", sync),
    ]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--quiet-ms", type=int, default=600)
    ap.add_argument("--only-diff", action="store_true")
    ap.add_argument("--stub", action="store_true", help="use the flasher-stub request set")
    args = ap.parse_args()
    devs = [Dev(args.a, args.quiet_ms), Dev(args.b, args.quiet_ms)]
    for d in devs:
        pre = d.drain(1.0)
        if pre:
            print("# %s sent %d bytes before the first request: %r" % (d.s.getpeername(), len(pre), pre[:80]))
    ndiff = 0
    for name, data in (stub_tests() if args.stub else tests()):
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
