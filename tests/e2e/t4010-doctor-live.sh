#!/bin/sh
# espload doctor and write_flash --monitor against the virtual device's own boot output:
# erased flash, a valid bootloader, the download strap, listening without a reset.
. "$(dirname "$0")/lib.sh"

# a minimal valid ESP32 bootloader image: one 16-byte segment, correct checksum
python3 - "$T/boot.bin" <<'PY'
import struct, sys
data = bytes(range(16))
hdr = bytes([0xE9, 1, 2, 0x20]) + struct.pack('<I', 0x40080400)
ext = bytes([0xEE, 0, 0, 0]) + struct.pack('<H', 0) + bytes([0]) + struct.pack('<HH', 0, 0xFFFF) + bytes(5)
body = hdr + ext + struct.pack('<II', 0x40080400, len(data)) + data
cs = 0xEF
for b in data:
    cs ^= b
open(sys.argv[1], 'wb').write(body + bytes(15 - len(body) % 16) + bytes([cs]))
PY
erased() { python3 -c "import sys; open(sys.argv[1],'wb').write(b'\xff' * 4194304)" "$1"; }

erased "$T/erased.bin"
run "$ESPLOAD" --port "sim://esp32?flash=$T/erased.bin" doctor
expect_rc 12 "erased flash: problem found"
expect_out "verdict: no-bootloader:" "erased flash: no-bootloader"
expect_out "[error] boot-loop" "erased flash: the ROM keeps retrying"
expect_out "Listening to the boot log on sim://esp32" "says what it does"

run "$ESPLOAD" --port "sim://esp32s3?flash=$T/erased.bin" doctor --json
expect_rc 12 "ESP32-S3 erased: problem found"
expect_out '"verdict":"no-bootloader"' "ESP32-S3 erased: no-bootloader"
expect_out '"chip":"esp32s3"' "ESP32-S3 named from its ROM banner"
expect_no_out "Serial port" "--json keeps stdout for the document"

# download strap: GPIO0 held low through the reset
run "$ESPLOAD" --port "sim://esp32?flash=$T/erased.bin" doctor --reset download
expect_rc 12 "download strap: problem found"
expect_out "verdict: download-mode:" "download strap: download-mode"
expect_out "DOWNLOAD_BOOT(UART0/UART1/SDIO_REI_REO_V2)" "download strap: the ROM's boot mode named"

# a valid bootloader at 0x1000: the ROM loads it, prints entry, then the device is quiet
cp "$T/erased.bin" "$T/flash.bin"
run "$ESPLOAD" --port "sim://esp32?flash=$T/flash.bin" write_flash 0x1000 "$T/boot.bin"
expect_rc 0 "write the bootloader"
run "$ESPLOAD" --port "sim://esp32?flash=$T/flash.bin" doctor
expect_rc 0 "valid bootloader: healthy"
expect_out "verdict: boot-ok: the ROM started the bootloader (entry 0x40080400)" "valid bootloader: boot-ok"
run "$ESPLOAD" --chip esp32 --port "sim://esp32?flash=$T/flash.bin" doctor --json
expect_rc 0 "valid bootloader, JSON"
expect_out '"verdict":"boot-ok"' "JSON boot-ok"
expect_out '"boot_mode":{"value":19,"name":"SPI_FAST_FLASH_BOOT","download":false' "JSON boot mode decoded"

# without a reset: the boot output the device queued when it powered up
run "$ESPLOAD" --port "sim://esp32?flash=$T/flash.bin" doctor --reset none
expect_rc 0 "--reset none: reads the power-up boot"
expect_out "verdict: boot-ok" "--reset none: boot-ok"

# a corrupted bootloader: checksum byte wrong
cp "$T/flash.bin" "$T/bad.bin"
python3 - "$T/bad.bin" <<'PY'
import sys
f = open(sys.argv[1], 'r+b'); f.seek(0x1000 + 0x3f); b = f.read(1); f.seek(0x1000 + 0x3f)
f.write(bytes([b[0] ^ 0x55])); f.close()
PY
run "$ESPLOAD" --port "sim://esp32?flash=$T/bad.bin" doctor
expect_rc 12 "corrupt bootloader: problem found"
expect_out "verdict: checksum-error:" "corrupt bootloader: checksum-error"

# write_flash --monitor: the boot log right after the reset is never missed
erased "$T/wf.bin"
run "$ESPLOAD" --port "sim://esp32?flash=$T/wf.bin" write_flash --monitor 0x1000 "$T/boot.bin" </dev/null
expect_rc 0 "write_flash --monitor"
expect_out "Hard resetting via RTS pin..." "flashed and reset"
expect_out "entry 0x40080400" "the boot right after the reset is shown"
expect_out "--- espload: verdict: boot-ok" "the monitor ends with the verdict"

# --identify: what espload reads from the chip joins the log. Flash encryption is on in
# eFuse and the boot offset holds data the ROM cannot parse: a plaintext write
python3 - "$T/erased.bin" "$T/enc.bin" <<'PY'
import sys
d = bytearray(open(sys.argv[1], 'rb').read())
d[0x1000:0x1100] = bytes([0x8b, 0x22, 0x89, 0xf0]) * 64
open(sys.argv[2], 'wb').write(d)
PY
run "$ESPLOAD" --port "sim://esp32?flash=$T/enc.bin&flash-crypt=1" doctor --identify
expect_rc 12 "--identify: problem found"
expect_out "Chip is ESP32" "--identify: the chip was read first"
expect_out "verdict: flash-encryption: the ROM read 0xf089228b" "--identify: flash encryption named"
run "$ESPLOAD" --port "sim://esp32?flash=$T/enc.bin&flash-crypt=1" doctor
expect_out "verdict: not-an-image:" "without --identify: only the log is known"
run "$ESPLOAD" --port "sim://esp32?flash=$T/flash.bin" doctor --identify --json
expect_rc 0 "--identify on a good board: healthy"
expect_out '"verdict":"boot-ok"' "--identify does not leave the chip in download mode"

# a port that cannot be opened
run "$ESPLOAD" --port /dev/nonexistent-espload-tty doctor
expect_rc 4 "doctor on a missing port: port error"

done_testing
