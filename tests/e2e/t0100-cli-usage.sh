#!/bin/sh
# espload's command line without a device: help, version, both spellings, usage errors and
# input-file errors, each with its message and exit code (docs/EXIT-CODES.md).
. "$(dirname "$0")/lib.sh"

# help and version
run "$ESPLOAD" --help
expect_rc 0 "--help"
expect_out "write-flash" "--help lists commands"
expect_out "--connect-attempts" "--help lists global options"
run "$ESPLOAD" help write_flash
expect_rc 0 "help write_flash"
expect_out "--flash-mode" "help write_flash shows its options"
run "$ESPLOAD" write-flash --help
expect_rc 0 "write-flash --help"
expect_out "--no-compress" "write-flash --help shows -u"
expect_no_out "espload v" "help prints no banner"
run "$ESPLOAD" version
expect_rc 0 "version"
expect_out "espload v" "version banner"
run "$ESPLOAD" -v
expect_rc 0 "-v alone prints the version"
expect_out "espload v" "-v banner"
run "$ESPLOAD"
expect_rc 1 "no command: help and failure, like esptool"
expect_out "usage: espload" "no command prints usage"

# usage errors: exit 2
run "$ESPLOAD" frobnicate
expect_rc 2 "unknown command"
expect_out "invalid command: 'frobnicate'" "unknown command named"
run "$ESPLOAD" --bogus chip_id
expect_rc 2 "unknown global option"
run "$ESPLOAD" --chip esp99 chip_id
expect_rc 2 "unknown chip"
expect_out "invalid choice: 'esp99'" "unknown chip named"
run "$ESPLOAD" --chip esp8266 chip_id
expect_rc 10 "chip esptool knows but espload does not"
expect_out "does not support esp8266" "unsupported chip named"
run "$ESPLOAD" --before sometimes chip_id
expect_rc 2 "bad --before"
run "$ESPLOAD" --after hard_resetx chip_id
expect_rc 2 "bad --after"
ESPTOOL_BAUD=fast run "$ESPLOAD" chip_id
expect_rc 2 "bad ESPTOOL_BAUD"
expect_out "ESPTOOL_BAUD" "bad environment variable named"

printf 'hello world' >"$T/small.bin"
run "$ESPLOAD" -p /dev/null write_flash --flash_mode fast 0x1000 "$T/small.bin"
expect_rc 2 "invalid --flash_mode choice"
expect_out "invalid choice: 'fast'" "invalid choice named"
ESPTOOL_FM=fast run "$ESPLOAD" -p /dev/null write_flash 0x1000 "$T/small.bin"
expect_rc 2 "invalid ESPTOOL_FM"
run "$ESPLOAD" -p /dev/null write_flash -z -u 0x1000 "$T/small.bin"
expect_rc 2 "-z with -u"
run "$ESPLOAD" -p /dev/null write_flash 0x1000
expect_rc 2 "address without file"
expect_out "must be pairs" "pairs message"
run "$ESPLOAD" -p /dev/null write_flash zz "$T/small.bin"
expect_rc 2 "address not a number"
expect_out 'address "zz" must be a number' "bad address named"
run "$ESPLOAD" -p /dev/null write_flash 0x1002 "$T/small.bin"
expect_rc 2 "address not 4-byte aligned"
expect_out "not 4-byte aligned" "alignment message"
head -c 8192 /dev/zero >"$T/eight.bin"
run "$ESPLOAD" -p /dev/null write_flash 0x1000 "$T/eight.bin" 0x2000 "$T/small.bin"
expect_rc 2 "overlapping regions"
expect_out "overlap at address: 0x2000" "overlap message"
run "$ESPLOAD" -p /dev/null write_flash 0x1000 "$T/small.bin" 0x1800 "$T/small.bin"
expect_rc 2 "two files in one sector"
run "$ESPLOAD" -p /dev/null erase_region 0x1001 0x1000
expect_rc 2 "erase_region offset not a multiple of 4096"
expect_out "multiple of 4096" "erase alignment message"
run "$ESPLOAD" -p /dev/null erase_region 0x1000 0x100
expect_rc 2 "erase_region size not a multiple of 4096"
run "$ESPLOAD" -p /dev/null read_flash 0 0x1000
expect_rc 2 "read_flash without file"
run "$ESPLOAD" -p /dev/null read_flash 0 lots "$T/out.bin"
expect_rc 2 "read_flash bad size"
run "$ESPLOAD" -p /dev/null write_mem 0x3ff00000
expect_rc 2 "write_mem without value"
run "$ESPLOAD" -p /dev/null read_flash_status --bytes 4
expect_rc 2 "--bytes out of range"

# input files: exit 3, before any port is opened
run "$ESPLOAD" -p /dev/nonexistent-port write_flash 0x1000 "$T/missing.bin"
expect_rc 3 "missing file"
expect_out "cannot open '$T/missing.bin'" "missing file named"
expect_no_out "Serial port" "missing file: no port opened"
: >"$T/empty.bin"
run "$ESPLOAD" -p /dev/nonexistent-port write_flash 0x1000 "$T/empty.bin"
expect_rc 3 "empty file"
expect_out "is empty" "empty file message"
run "$ESPLOAD" -p /dev/nonexistent-port write_flash 0x1000 "$T"
expect_rc 3 "directory as file"
if [ "$(id -u)" != 0 ]; then
    cp "$T/small.bin" "$T/noread.bin"
    chmod 000 "$T/noread.bin"
    run "$ESPLOAD" -p /dev/nonexistent-port write_flash 0x1000 "$T/noread.bin"
    expect_rc 3 "unreadable file"
fi
run "$ESPLOAD" -p /dev/nonexistent-port verify_flash 0x1000 "$T/missing.bin"
expect_rc 3 "verify_flash missing file"
run "$ESPLOAD" -p /dev/nonexistent-port load_ram "$T/small.bin"
expect_rc 3 "load_ram of a non-image"
run "$ESPLOAD" @"$T/no-such-args-file"
expect_rc 3 "missing @args file"

# ports: exit 4
run "$ESPLOAD" --port /dev/nonexistent-port chip_id
expect_rc 4 "no such port"
expect_out "A fatal error occurred: cannot open '/dev/nonexistent-port'" "no such port message"
run "$ESPLOAD" --port bogus://x chip_id
expect_rc 2 "unknown port scheme is a usage error"

# errors are one line on stderr; stdout keeps the banner only
"$ESPLOAD" --port /dev/nonexistent-port chip_id >"$T/o" 2>"$T/e"
if [ "$(grep -c 'A fatal error occurred' "$T/e")" -eq 1 ] && ! grep -q 'fatal' "$T/o"; then
    ok "fatal error on stderr only"
else
    not_ok "fatal error placement"
fi

# @file arguments
printf -- '--port /dev/nonexistent-port\nchip_id\n' >"$T/args"
run "$ESPLOAD" @"$T/args"
expect_rc 4 "@file arguments are read"
expect_out "espload --port /dev/nonexistent-port chip_id" "@file expansion echoed"

done_testing
