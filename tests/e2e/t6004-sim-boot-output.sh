#!/bin/sh
# What the ROM prints after a reset with IO0 high: the load/entry lines of the bootloader
# really in flash, computed from the image, or "invalid header" for erased flash.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || { not_ok "python3 is needed to build the image"; done_testing; }
# a small ESP32 image: 2 RAM segments, checksum at offset % 16 == 15
python3 - "$T/boot.bin" <<'PY'
import struct, sys
segs = [(0x3fff0018, bytes(range(4))), (0x40078000, bytes((i * 7) & 0xff for i in range(96)))]
out = bytearray([0xE9, len(segs), 2, 0x20]) + struct.pack("<I", 0x40078040)
out += bytes([0xEE, 0, 0, 0]) + bytes(12)
ck = 0xEF
for addr, data in segs:
    out += struct.pack("<II", addr, len(data)) + data
    for b in data:
        ck ^= b
while len(out) % 16 != 15:
    out.append(0)
out.append(ck)
open(sys.argv[1], "wb").write(out)
PY
F="$T/board.bin"
run "$ESPLOAD" --chip esp32 --port "sim://esp32?flash=$F" write_flash 0x1000 "$T/boot.bin"
expect_rc 0 "write the bootloader"
run "$ESPLOAD" --port "sim://esp32?flash=$F" monitor --timeout 1
# revision 0 (the default): the EN reset banner, a hang, then the spurious watchdog reset
# and the real boot, like the seed board's log
expect_out "rst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)" "EN reset banner"
expect_out "rst:0x10 (RTCWDT_RTC_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)" "rev-0 watchdog reset, then the boot"
expect_out "mode:DIO, clock div:2" "mode line from the header"
expect_out "load:0x3fff0018,len:4" "first segment"
expect_out "load:0x40078000,len:96" "second segment"
expect_out "entry 0x40078040" "entry point"
expect_no_out "invalid header" "no header error"

run "$ESPLOAD" --port "sim://esp32?flash=$T/empty.bin" monitor --timeout 1
expect_out "invalid header: 0xffffffff" "erased flash: invalid header"
expect_out "rst:0x10 (RTCWDT_RTC_RESET)" "erased flash: watchdog resets"

done_testing
