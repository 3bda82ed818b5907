#!/bin/sh
# The ROM loader (--no-stub) against the virtual ESP32 with its timing model on (flash erase
# and write times, wire time): long operations must finish within their timeouts, as on a
# real board, and report the device's time.
. "$(dirname "$0")/lib.sh"

sh "$EL_SRCDIR/scripts/demo.sh" --make-image "$T/image.bin"
tail -c 200000 "$T/image.bin" >"$T/part.bin"
PORT="sim://esp32?flash=$T/board.bin&timing=1"

run "$ESPLOAD" --chip esp32 --port "$PORT" --no-stub write_flash -z 0x10000 "$T/part.bin"
expect_rc 0 "ROM write_flash -z with timing"
expect_out "Hash of data verified." "ROM write verified"
run "$ESPLOAD" --chip esp32 --port "$PORT" --no-stub erase_region 0x10000 0x10000
expect_rc 0 "ROM erase_region with timing"
run "$ESPLOAD" --chip esp32 --port "$PORT" --no-stub erase_flash
expect_rc 0 "ROM erase_flash with timing (whole-chip erase takes seconds)"
expect_out "Chip erase completed successfully in " "ROM chip erase line"

done_testing
