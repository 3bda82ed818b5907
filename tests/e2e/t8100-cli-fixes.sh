#!/bin/sh
# Command-line details: doctor --json prints nothing but the JSON document; the monitor and
# doctor usage lines name the command once; Intel HEX inputs of write_flash and verify_flash
# (converted from the given address, as esptool does; a truncated file is not taken for HEX);
# the revision of chips after the ESP32; a blank line before the fatal error on stderr.
. "$(dirname "$0")/lib.sh"

# doctor --json: stdout is one JSON document, no banner
LOG="$EL_SRCDIR/tests/data/bootlogs/seed-esp32spiram-20180630-v1.9.4-227.log"
"$ESPLOAD" doctor --json --log "$LOG" >"$T/j" 2>"$T/je"
rc=$?
[ $rc -eq 12 ] && ok "doctor --json: exit 12 (problem found)" || not_ok "doctor --json: exit $rc"
head -c 1 "$T/j" | grep -q '{' && ok "doctor --json: stdout starts with the document" ||
    not_ok "doctor --json: stdout starts with $(head -n 1 "$T/j")"
grep -q "espload v" "$T/j" && not_ok "doctor --json: banner on stdout" || ok "doctor --json: no banner"
if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert d["verdict"] == "psram-missing"' "$T/j" &&
        ok "doctor --json: the whole of stdout parses as JSON" || not_ok "doctor --json: not pure JSON"
fi
run "$ESPLOAD" doctor --log "$LOG"
expect_out "espload v" "doctor without --json keeps the banner"

# usage lines
run "$ESPLOAD" monitor --help
expect_rc 0 "monitor --help"
expect_out "usage: espload monitor [options]" "monitor usage line"
expect_no_out "monitor monitor" "monitor named once"
run "$ESPLOAD" doctor --help
expect_out "usage: espload doctor [options]" "doctor usage line"
expect_no_out "doctor doctor" "doctor named once"

# Intel HEX: records at 0x10000 (8 bytes) and 0x10010 (4 bytes)
cat >"$T/a.hex" <<'EOF'
:020000040001F9
:080000000102030405060708D4
:04001000AABBCCDDDE
:00000001FF
EOF
printf '\001\002\003\004\005\006\007\010\377\377\377\377\377\377\377\377\252\273\314\335' >"$T/a.bin"
PORT="sim://esp32?flash=$T/board.bin"
run "$ESPLOAD" --chip esp32 --port "$PORT" write_flash 0x10000 "$T/a.hex"
expect_rc 0 "write_flash a .hex"
expect_out "Hash of data verified." "hex write verified"
run "$ESPLOAD" --chip esp32 --port "$PORT" verify_flash 0x10000 "$T/a.hex"
expect_rc 0 "verify_flash a .hex"
expect_out "Verifying 0x14 (20) bytes @ 0x00010000 in flash against" "hex converted to 20 bytes"
expect_out "-- verify OK (digest matched)" "hex verifies"
run "$ESPLOAD" --chip esp32 --port "$PORT" verify_flash 0x10000 "$T/a.bin"
expect_rc 0 "the flash holds the converted bytes"
# from an address above the first record: the bytes below it are dropped
run "$ESPLOAD" --chip esp32 --port "$PORT" verify_flash 0x10010 "$T/a.hex"
expect_rc 0 "verify_flash a .hex from 0x10010"
expect_out "Verifying 0x4 (4) bytes @ 0x00010010" "bytes below the address dropped"
# a hex file cut short (no end record) is taken as it is, and then does not match
head -n 3 "$T/a.hex" >"$T/cut.hex"
run "$ESPLOAD" --chip esp32 --port "$PORT" verify_flash 0x10000 "$T/cut.hex"
expect_rc 8 "truncated .hex is not converted (verify fails)"

# chips after the ESP32 show their revision (read from eFuse; the virtual chips read v0.0)
for c in esp32s2 esp32s3 esp32c3 esp32c6 esp32h2 esp32c2; do
    run "$ESPLOAD" --port "sim://$c" chip_id
    grep -q '^Chip is ESP32-[A-Z0-9]* (revision v0\.0)$' "$T/out" && ok "$c: revision shown" ||
        not_ok "$c: $(grep '^Chip is' "$T/out")"
done

run "$ESPLOAD" --port "sim://esp32s2" chip_id
expect_out "Features: WiFi, No Embedded Flash, No Embedded PSRAM" "ESP32-S2 features as esptool lists them"

# fatal errors: a blank line, then the message, on stderr
"$ESPLOAD" --chip esp32 --port "$PORT" verify_flash 0x10000 "$T/missing.bin" >"$T/o" 2>"$T/e"
[ "$(head -n 1 "$T/e")" = "" ] && sed -n 2p "$T/e" | grep -q '^A fatal error occurred: ' &&
    ok "blank line before 'A fatal error occurred'" || not_ok "stderr: $(cat "$T/e")"

done_testing
