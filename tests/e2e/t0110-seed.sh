#!/bin/sh
# The seed, replayed: the user's board (ESP32-D0WDQ5 rev 0, 4 MB flash, MAC 30:ae:a4:80:55:e0)
# as a virtual device, then
#     espload --chip esp32 --port ... erase_flash
#     espload --chip esp32 --port ... write_flash -z 0x1000 <1,108,080-byte image>
# must print the seed's lines in order, and the device's flash must then hold the image.
. "$(dirname "$0")/lib.sh"

# expect_in_order 'line'...: each fixed string must be found on a later line than the last
expect_in_order() {
    desc=$1
    shift
    if awk -v n=$# 'BEGIN { for (i = 1; i <= n; i++) want[i] = ARGV[i]; ARGC = 1; k = 1 }
        k <= n && index($0, want[k]) == 1 { k++ }
        END { if (k <= n) { print "    missing (in order): " want[k]; exit 1 } }' \
        "$@" <"$T/out" >"$T/order"; then
        ok "$desc"
    else
        not_ok "$desc"
        cat "$T/order"
        sed 's/^/    | /' "$T/out" | head -60
    fi
}

sh "$EL_SRCDIR/scripts/demo.sh" --make-image "$T/image.bin"
size=$(wc -c <"$T/image.bin" | tr -d ' ')
[ "$size" -eq 1108080 ] && ok "image is 1,108,080 bytes like the seed's" || not_ok "image size $size"

BOARD="flash=$T/board.bin&flash-size=4MB&mac=30:ae:a4:80:55:e0&revision=0&package=D0WDQ5"
PORT="sim://esp32?$BOARD"

# the board has something on it already
head -c 4194304 /dev/zero | tr '\000' '\125' >"$T/board.bin"

run "$ESPLOAD" --chip esp32 --port "$PORT" erase_flash
expect_rc 0 "erase_flash"
expect_in_order "erase_flash prints esptool's lines" \
    "espload v" "Serial port sim://esp32" "Connecting..." \
    "Chip is ESP32-D0WDQ5 (revision v0.0)" "Features: WiFi, BT, Dual Core" "Crystal is 40MHz" \
    "MAC: 30:ae:a4:80:55:e0" "Uploading stub..." "Running stub..." "Stub running..." \
    "Erasing flash (this may take a while)..." "Chip erase completed successfully in " \
    "Hard resetting via RTS pin..."
if od -An -v -tx1 "$T/board.bin" | grep -qv '^\( ff\)*$'; then
    not_ok "flash erased: some byte is not 0xff"
else
    ok "flash erased: all 0xff"
fi

run "$ESPLOAD" --chip esp32 --port "$PORT" write_flash -z 0x1000 "$T/image.bin"
expect_rc 0 "write_flash -z 0x1000 image"
expect_in_order "write_flash prints the seed's lines in order" \
    "espload v" "Serial port sim://esp32" "Connecting..." \
    "Chip is ESP32-D0WDQ5 (revision v0.0)" "Features: WiFi, BT, Dual Core" \
    "MAC: 30:ae:a4:80:55:e0" "Uploading stub..." "Running stub..." "Stub running..." \
    "Configuring flash size..." "Auto-detected Flash size: 4MB" \
    "Flash will be erased from 0x00001000 to 0x0010ffff..." "Compressed " \
    "Writing at 0x00001000... (" "Wrote " "Hash of data verified." "" \
    "Leaving..." "Hard resetting via RTS pin..."
expect_no_out "Flash params set" "flash params kept (default --flash_size keep)"
expect_no_out "A fatal error" "no error"
# after erase_flash the device holds 0xFF: the image's own 0xFF sectors are not sent again, and
# the lines say so with the real byte counts
ff=$(od -An -v -tx1 -w4096 "$T/image.bin" | grep -c '^\( ff\)\{4096\}$')
if [ "$ff" -gt 0 ]; then
    expect_out "Skipped $ff of 271 sectors already holding this data" "blank sectors skipped ($ff)"
fi
raw=$((1108080 - ff * 4096))
comp=$(sed -n "s/^Compressed $raw bytes to \([0-9]*\)\.\.\.\$/\1/p" "$T/out")
[ -n "$comp" ] && ok "Compressed line: the $raw bytes sent" || not_ok "no 'Compressed $raw bytes' line"
expect_out "Wrote $raw bytes ($comp compressed) " "Wrote line with the same numbers"
# the compressed size is at most zlib level 9's (esptool's) for the same bytes
if command -v python3 >/dev/null 2>&1 && [ -n "$comp" ]; then
    z=$(python3 -c 'import sys, zlib
d = open(sys.argv[1], "rb").read()
sent = b"".join(d[i:i + 4096] for i in range(0, len(d), 4096) if d[i:i + 4096] != b"\xff" * 4096)
print(len(zlib.compress(sent, 9)))' "$T/image.bin")
    [ "$comp" -le "$z" ] && ok "compressed $comp <= zlib -9's $z" || not_ok "compressed $comp > zlib -9's $z"
fi
# non-terminal progress: one line per 10 %
n=$(grep -c '^Writing at 0x' "$T/out")
if [ "$n" -ge 5 ] && [ "$n" -le 12 ]; then ok "progress: $n lines (one per 10 %)"; else
    not_ok "progress: $n lines"; fi
expect_out "(100 %)" "progress reaches 100 %"

# the device's flash (saved when the process exits) holds the image at 0x1000
tail -c +4097 "$T/board.bin" | head -c 1108080 >"$T/at1000.bin"
expect_same_file "$T/at1000.bin" "$T/image.bin" "flash at 0x1000 equals the image"
head -c 4096 "$T/board.bin" | od -An -v -tx1 | grep -qv '^\( ff\)*$' &&
    not_ok "bytes before 0x1000 changed" || ok "bytes before 0x1000 still erased"

# and read_flash agrees
run "$ESPLOAD" --chip esp32 --port "$PORT" read_flash 0x1000 1108080 "$T/readback.bin"
expect_rc 0 "read_flash 0x1000 1108080"
expect_out "Read 1108080 bytes at 0x00001000 in " "read_flash summary line"
expect_same_file "$T/readback.bin" "$T/image.bin" "read_flash returns the image"

# the seed's command line with v5 spelling and --chip auto works the same
run "$ESPLOAD" --port "$PORT" write-flash -z 0x1000 "$T/image.bin"
expect_rc 0 "write-flash (v5 spelling) with --chip auto"
expect_in_order "auto-detection line" "Connecting..." "Detecting chip type... ESP32" \
    "Chip is ESP32-D0WDQ5 (revision v0.0)" "Hash of data verified."

done_testing
