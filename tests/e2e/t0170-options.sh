#!/bin/sh
# Less common options end to end: --after variants, --override-vddsdio, --spi-connection,
# read_flash_sfdp, --skip-flashed, --encrypt (refused), --stub-dir with a bad stub,
# --before no_reset_no_sync against a stub left running, v5 option spellings.
. "$(dirname "$0")/lib.sh"

sh "$EL_SRCDIR/scripts/demo.sh" --make-image "$T/image.bin"
tail -c 100000 "$T/image.bin" >"$T/part.bin"
PORT="sim://esp32?flash=$T/board.bin"
e() { run "$ESPLOAD" --chip esp32 --port "$PORT" "$@"; }

e --after soft_reset read_mac
expect_rc 10 "--after soft_reset from the stub: esptool's refusal"
expect_out "Soft resetting is currently only supported on ESP8266" "soft reset message"
e --no-stub --after soft-reset read_mac
expect_rc 0 "--after soft-reset from the ROM"
expect_out "Soft resetting..." "ROM soft reset line"
e --after watchdog-reset read_mac
expect_rc 0 "--after watchdog-reset on the ESP32"
expect_out "Watchdog reset is not supported on ESP32" "watchdog note"
expect_out "Hard resetting via RTS pin..." "falls back to a hard reset"

e --override-vddsdio 1.8V read_mac
expect_rc 0 "--override-vddsdio 1.8V"
expect_out "VDDSDIO regulator set to 1.8V" "vddsdio line"
run "$ESPLOAD" --port "sim://esp32s3" --override-vddsdio 1.9V read_mac
expect_rc 10 "--override-vddsdio on an ESP32-S3"

e --no-stub flash_id --spi-connection HSPI
expect_rc 0 "--spi-connection HSPI"
expect_out "Configuring SPI flash mode (HSPI)..." "HSPI line"
e --no-stub flash_id -sc 6,17,8,11,16
expect_rc 0 "-sc pins"
expect_out "Configuring SPI flash mode (CLK:6, Q:17, D:8, HD:11, CS:16)..." "pins line"
e flash_id -sc 6,17,8
expect_rc 2 "-sc with three pins"
e flash_id -sc 6,17,8,11,99
expect_rc 2 "-sc pin out of range"

e read_flash_sfdp 0 4
expect_rc 0 "read_flash_sfdp"
expect_out "SFDP[0..3]: 53 46 44 50 " "SFDP signature"

e write_flash -z 0x20000 "$T/part.bin"
expect_rc 0 "write before --skip-flashed"
e write_flash --skip-flashed -z 0x20000 "$T/part.bin"
expect_rc 0 "--skip-flashed"
expect_out "already in flash, skipping write." "skip line"
expect_no_out "Writing at" "nothing rewritten"
e write-flash -s --flash-mode keep --flash-freq keep --flash-size keep 0x30000 "$T/part.bin"
expect_rc 0 "v5 spellings: -s, --flash-mode, --flash-freq, --flash-size"
expect_out "Hash of data verified." "new data written and verified"
e write_flash --no-skip 0x20000 "$T/part.bin"
expect_rc 0 "--no-skip accepted"
expect_out "Writing at" "--no-skip writes"

# Intel HEX input (esptool converts it to binary from the given address)
head -c 3000 "$T/part.bin" >"$T/small.bin"
od -An -v -tu1 "$T/small.bin" | awk '
    function hx(v) { return sprintf("%02X", v) }
    { for (i = 1; i <= NF; i++) b[n++] = $i }
    END {
        base = 262144; printf ":02000004%04X%s\n", int(base / 65536), hx((256 - (2 + 4 + int(base / 65536) % 256 + int(base / 16777216))) % 256)
        for (o = 0; o < n; o += 16) {
            c = n - o < 16 ? n - o : 16; s = c + int(o / 256) + o % 256; line = ""
            for (k = 0; k < c; k++) { line = line hx(b[o + k]); s += b[o + k] }
            printf ":%s%04X00%s%s\n", hx(c), o, line, hx((256 - s % 256) % 256)
        }
        print ":00000001FF"
    }' >"$T/small.hex"
e write_flash 0x40000 "$T/small.hex"
expect_rc 0 "write_flash of an Intel HEX file"
expect_out "Wrote 3000 bytes" "hex converted to 3000 bytes"
e read_flash 0x40000 3000 "$T/small.back"
expect_same_file "$T/small.back" "$T/small.bin" "hex data landed at its address"

e write_flash --encrypt 0x20000 "$T/part.bin"
expect_rc 10 "--encrypt refused"
expect_out "not supported" "--encrypt message"
e write_flash --encrypt --encrypt-files 0x20000 "$T/part.bin" 0x20000 "$T/part.bin"
expect_rc 2 "--encrypt with --encrypt-files"

mkdir -p "$T/stubs"
printf '{"entry": 1, "text": 12' >"$T/stubs/esp32.json"
e --stub-dir "$T/stubs" read_mac
expect_rc 3 "--stub-dir with a malformed stub"
expect_out "esp32.json" "bad stub named"
ESPLOAD_STUB_DIR="$T/stubs" run "$ESPLOAD" --chip esp32 --port "$PORT" read_mac
expect_rc 3 "ESPLOAD_STUB_DIR with a malformed stub"
ESPLOAD_STUB_DIR="$T/stubs" run "$ESPLOAD" --chip esp32 --port "$PORT" --no-stub read_mac
expect_rc 0 "--no-stub ignores the stub directory"

# --before no_reset_no_sync: a loader is assumed to be listening already (pass-through setups)
P=$(free_port)
bg "$ESPLOAD_SIM" --chip esp32 --flash "$T/board2.bin" --tcp "127.0.0.1:$P" --download-mode \
    --quiet
sleep 1
run "$ESPLOAD" --chip esp32 --port "socket://127.0.0.1:$P" --no-stub --after no_reset read_mac
expect_rc 0 "ROM loader synced once"
run "$ESPLOAD" --chip esp32 --port "socket://127.0.0.1:$P" --before no_reset_no_sync --no-stub -t \
    --after no_reset write_flash 0x1000 "$T/small.bin"
expect_rc 0 "--before no_reset_no_sync --no-stub"
expect_no_out "TX SYNC" "no sync sent"
expect_out "Hash of data verified." "no_reset_no_sync write verified"
run "$ESPLOAD" --port "socket://127.0.0.1:$P" --before no-reset-no-sync --no-stub --after no_reset \
    read_mac
expect_rc 0 "--before no-reset-no-sync with --chip auto"
expect_out "MAC: 30:ae:a4:80:55:e0" "chip detected without syncing"

done_testing
