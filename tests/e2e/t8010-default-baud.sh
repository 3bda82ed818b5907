#!/bin/sh
# The default baud: without --baud espload switches to the rate known to work on the port's USB
# bridge (a CP2102 here: 921600) before uploading the stub, and when the bridge cannot make
# it (max-baud=460800) it warns, reconnects at 115200 and still writes and verifies. --baud N
# is honoured as in esptool.
. "$(dirname "$0")/lib.sh"

sh "$EL_SRCDIR/scripts/demo.sh" --make-image "$T/image.bin"
CP2102="sim://esp32?flash=$T/board.bin&usb=10c4:ea60"

run "$ESPLOAD" --chip esp32 --port "$CP2102&transcript=$T/tr.jsonl" write_flash 0x1000 "$T/image.bin"
expect_rc 0 "CP2102, no --baud"
expect_out "Changing baud rate to 921600" "picks 921600 for the CP2102"
expect_out "Changed." "baud changed"
if awk '/^Changed\./ { c = NR } /^Uploading stub/ { u = NR } END { exit !(c && u > c) }' "$T/out"; then
    ok "baud changed before the stub upload"
else
    not_ok "baud change after the stub upload"
fi
expect_out "Hash of data verified." "written and verified at 921600"
expect_no_out "WARNING" "no warning"
grep -q '"event":"baud changed to 921600"' "$T/tr.jsonl" && ok "the device saw the new rate" ||
    not_ok "no baud change in the transcript"

# the bridge cannot make 921600: the round trip fails, espload falls back and goes on
run "$ESPLOAD" --chip esp32 --port "$CP2102&max-baud=460800" write_flash --no-skip 0x1000 "$T/image.bin"
expect_rc 0 "bridge limited to 460800"
expect_out "Changing baud rate to 921600" "tries 921600"
expect_out "WARNING: the link did not work at 921600 baud; continuing at 115200 baud" "fallback warning"
expect_out "give --baud to choose one that works" "the warning says what to do"
expect_out "Stub running..." "stub uploaded after the fallback"
expect_out "Hash of data verified." "written and verified after the fallback"

# --baud is honoured, and 115200 keeps the connect rate
run "$ESPLOAD" --chip esp32 --port "$CP2102" --baud 460800 flash_id
expect_rc 0 "--baud 460800"
expect_out "Changing baud rate to 460800" "--baud 460800 used"
run "$ESPLOAD" --chip esp32 --port "$CP2102" --baud 115200 flash_id
expect_rc 0 "--baud 115200"
expect_no_out "Changing baud rate" "--baud 115200: no change"
# an unknown bridge: no change
run "$ESPLOAD" --chip esp32 --port "sim://esp32?usb=1234:5678" flash_id
expect_rc 0 "unknown bridge"
expect_no_out "Changing baud rate" "unknown bridge: the rate stays"

done_testing
