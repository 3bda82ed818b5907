#!/bin/sh
# The flash file: created 0xFF-filled when missing, written data lands at its offset, and the
# contents persist between runs (a second process reads back what the first wrote).
. "$(dirname "$0")/lib.sh"

F="$T/board.bin"
head -c 20000 /dev/urandom >"$T/app.bin"
PORT="sim://esp32?flash=$F&flash-size=2MB"

run "$ESPLOAD" --chip esp32 --port "$PORT" write_flash 0x10000 "$T/app.bin"
expect_rc 0 "write_flash to a new flash file"
expect_out "Hash of data verified." "write verified"
[ "$(wc -c <"$F")" -eq 2097152 ] && ok "flash file is 2 MB" || not_ok "flash file size $(wc -c <"$F")"
dd if="$F" of="$T/back.bin" bs=4096 skip=16 count=5 2>/dev/null
head -c 20000 "$T/back.bin" >"$T/back20000.bin"
expect_same_file "$T/app.bin" "$T/back20000.bin" "data at 0x10000 in the file"
dd if="$F" of="$T/before.bin" bs=4096 count=16 2>/dev/null
head -c 65536 /dev/zero | tr '\0' '\377' >"$T/ff.bin"
expect_same_file "$T/ff.bin" "$T/before.bin" "untouched flash stays 0xFF"

# a second run (other process) sees the data: read it back through the chip
run "$ESPLOAD" --chip esp32 --port "$PORT" read_flash 0x10000 20000 "$T/read.bin"
expect_rc 0 "read_flash in a second run"
expect_same_file "$T/app.bin" "$T/read.bin" "contents persisted between runs"

# the ROM path (no stub) sees the same file
run "$ESPLOAD" --chip esp32 --port "$PORT" --no-stub verify_flash 0x10000 "$T/app.bin"
expect_rc 0 "verify_flash through the ROM loader"

done_testing
