#!/bin/sh
# Every device command end to end on the virtual ESP32, talking to the ROM loader
# (--no-stub). t0121 runs the same file with the flasher stub (MODE=stub).
. "$(dirname "$0")/lib.sh"

MODE=${MODE:-rom}
if [ "$MODE" = rom ]; then
    STUBOPT=--no-stub
else
    STUBOPT=
fi
PORT="sim://esp32?flash=$T/board.bin&flash-size=4MB"
# e CMD...: runs espload on the virtual board in this mode
e() { run "$ESPLOAD" --chip esp32 --port "$PORT" $STUBOPT "$@"; }

stub_lines() {
    if [ "$MODE" = stub ]; then
        expect_out "Stub running..." "$1: stub running"
    else
        expect_no_out "Uploading stub" "$1: ROM loader only"
    fi
}

e chip_id
expect_rc 0 "chip_id"
expect_out "Warning: ESP32 has no Chip ID. Reading MAC instead." "chip_id: esptool's warning"
expect_out "MAC: 30:ae:a4:80:55:e0" "chip_id: MAC"
expect_out "Hard resetting via RTS pin..." "chip_id: hard reset after"
stub_lines chip_id

e read_mac
expect_rc 0 "read_mac"
expect_out "MAC: 30:ae:a4:80:55:e0" "read_mac: MAC"

e flash_id
expect_rc 0 "flash_id"
expect_out "Manufacturer: c8" "flash_id: manufacturer"
expect_out "Device: 4016" "flash_id: device"
expect_out "Detected flash size: 4MB" "flash_id: size"

e read_flash_status
expect_rc 0 "read_flash_status"
expect_out "Status value: 0x" "read_flash_status: value"

e write_flash_status --bytes 1 0
expect_rc 0 "write_flash_status --bytes 1 0"
expect_out "Initial flash status: 0x" "write_flash_status: initial"
expect_out "Setting flash status: 0x00" "write_flash_status: setting"
expect_out "After flash status:   0x00" "write_flash_status: after"

e get_security_info
expect_rc 10 "get_security_info on the ESP32 is unsupported"
expect_out "does not support GET_SECURITY_INFO" "get_security_info: message"

e read_mem 0x3ff5a004
expect_rc 0 "read_mem"
expect_out "0x3ff5a004 = 0xa48055e0" "read_mem: eFuse MAC word"

e write_mem 0x3ffb0000 0x12345678 0xffff
expect_rc 0 "write_mem"
expect_out "Wrote 12345678, mask 0000ffff to 3ffb0000" "write_mem: esptool's line"

e dump_mem 0x3ff5a000 28 "$T/efuse.bin"
expect_rc 0 "dump_mem"
expect_out "Read 28 bytes" "dump_mem: read line"
expect_out "Done!" "dump_mem: done"
[ "$(wc -c <"$T/efuse.bin" | tr -d ' ')" -eq 28 ] && ok "dump_mem: 28 bytes" || not_ok "dump_mem size"
od -An -tx1 -j4 -N4 "$T/efuse.bin" | grep -q "e0 55 80 a4" && ok "dump_mem: eFuse word 1" ||
    not_ok "dump_mem: eFuse word 1 is $(od -An -tx1 -j4 -N4 "$T/efuse.bin")"

# writes, reads, verification
head -c 20000 /dev/urandom >"$T/rand.bin"
e write_flash -u 0x10000 "$T/rand.bin"
expect_rc 0 "write_flash -u (uncompressed)"
expect_out "Flash will be erased from 0x00010000 to 0x00014fff..." "erase range line"
expect_out "Wrote 20000 bytes at 0x00010000 in " "uncompressed Wrote line"
expect_no_out "compressed)" "really uncompressed"
expect_out "Hash of data verified." "uncompressed write verified"

sh "$EL_SRCDIR/scripts/demo.sh" --make-image "$T/image.bin"
tail -c 40000 "$T/image.bin" >"$T/code.bin"
e write_flash -z 0x20000 "$T/code.bin" 0x30000 "$T/rand.bin"
expect_rc 0 "write_flash -z two files"
n=$(grep -c "Hash of data verified." "$T/out")
[ "$n" -eq 2 ] && ok "two files, two verifications" || not_ok "verifications: $n"
expect_out "Wrote 40000 bytes (" "compressed Wrote line"
expect_out "Compressed 40000 bytes to " "Compressed line"
expect_out "Wrote 20000 bytes at 0x00030000" "incompressible data sent as is"

e verify_flash 0x10000 "$T/rand.bin" 0x20000 "$T/code.bin"
expect_rc 0 "verify_flash"
expect_out "-- verify OK (digest matched)" "verify_flash: OK"

cp "$T/rand.bin" "$T/changed.bin"
printf 'XY' | dd of="$T/changed.bin" bs=1 seek=100 conv=notrunc 2>/dev/null
e verify_flash 0x10000 "$T/changed.bin"
expect_rc 8 "verify_flash detects a difference"
expect_out "-- verify FAILED (digest mismatch)" "verify_flash: digest mismatch"
expect_out "Verify failed." "verify_flash: fatal"
e verify_flash --diff yes 0x10000 "$T/changed.bin"
expect_rc 8 "verify_flash --diff yes"
expect_out "-- verify FAILED: " "verify_flash --diff: summary"
expect_out "   00010064 " "verify_flash --diff: first differing byte listed"
e verify-flash --diff 0x10000 "$T/changed.bin"
expect_rc 8 "verify-flash --diff (v5 flag form)"
expect_out "   00010064 " "v5 --diff lists bytes"

e read_flash 0x10000 20000 "$T/back.bin"
expect_rc 0 "read_flash"
expect_same_file "$T/back.bin" "$T/rand.bin" "read_flash returns what was written"
e read_flash --no-progress 0x10000 20000 "$T/back2.bin"
expect_rc 0 "read_flash --no-progress"
expect_no_out "(50 %)" "no progress lines"

e erase_region 0x10000 0x1000
expect_rc 0 "erase_region"
expect_out "Erasing region (may be slow depending on size)..." "erase_region: line"
expect_out "Erase completed successfully in " "erase_region: done"
e read_flash 0x10000 0x1000 "$T/erased.bin"
od -An -v -tx1 "$T/erased.bin" | grep -qv '^\( ff\)*$' && not_ok "region erased" ||
    ok "region erased"
e read_flash 0x11000 0x100 "$T/kept.bin"
head -c 4352 "$T/rand.bin" | tail -c 256 >"$T/kept.want"
expect_same_file "$T/kept.bin" "$T/kept.want" "erase_region left the next sector alone"

# header patching at the bootloader offset
head -c 18800 "$T/image.bin" >"$T/boot.bin"
e write_flash --flash_mode qio --flash_freq 80m 0x1000 "$T/boot.bin"
expect_rc 0 "write_flash --flash_mode qio --flash_freq 80m"
expect_out "Flash params set to 0x002f" "header patched: qio, 4MB, 80m"
e read_flash 0x1000 4 "$T/hdr.bin"
od -An -tx1 "$T/hdr.bin" | grep -q "e9 04 00 2f" && ok "patched header on the device" ||
    not_ok "header on the device: $(od -An -tx1 "$T/hdr.bin")"
e write_flash --flash-size detect 0x1000 "$T/boot.bin"
expect_rc 0 "write_flash --flash-size detect"
expect_out "Auto-detected Flash size: 4MB" "detect: auto-detected line"
expect_no_out "Flash params set" "detect: header already says 4MB"
e write_flash -fm dio -fs 2MB 0x1000 "$T/boot.bin"
expect_rc 0 "write_flash -fm dio -fs 2MB"
expect_out "Flash params set to 0x0210" "header patched: dio, 2MB"
e write_flash -fm dout 0x10000 "$T/boot.bin"
expect_rc 9 "pre-flight refuses a bootloader at 0x10000"
expect_out "use --force to flash anyway" "refusal names --force"
expect_no_out "Writing at" "refused: nothing written"
e write_flash --force -fm dout 0x10000 "$T/boot.bin"
expect_rc 0 "--force overrides the pre-flight check"
expect_out "WARNING: " "--force: the finding is a warning"
expect_no_out "Flash params set" "0x10000 left alone"
e read_flash 0x10000 4 "$T/hdr2.bin"
od -An -tx1 "$T/hdr2.bin" | grep -q "e9 04 02 20" && ok "header away from 0x1000 unchanged" ||
    not_ok "header at 0x10000: $(od -An -tx1 "$T/hdr2.bin")"

# --verify, --erase-all, after-actions, trace, baud
e write_flash --verify 0x40000 "$T/rand.bin"
expect_rc 0 "write_flash --verify"
expect_out "Verifying just-written flash..." "--verify line"
expect_out "-- verify OK (digest matched)" "--verify result"
e --after no_reset read_mac
expect_rc 0 "--after no_reset"
expect_out "Staying in bootloader." "no_reset: staying"
expect_no_out "Hard resetting" "no_reset: no reset"
e --after no-reset-stub read_mac
expect_rc 0 "--after no-reset-stub"
expect_out "Staying in flasher stub." "no-reset-stub line"
e --trace read_mem 0x3ff5a004
expect_rc 0 "--trace"
expect_out "TRACE +" "trace lines"
expect_out "TX SYNC (0x08)" "trace names opcodes"
expect_out "RX READ_REG (0x0a)" "trace shows replies"
e -b 460800 read_mac
expect_rc 0 "-b 460800"
expect_out "Changing baud rate to 460800" "baud change line"
expect_out "Changed." "baud changed"

# load_ram runs an image from RAM and leaves the chip alone
sh "$EL_SRCDIR/scripts/demo.sh" --make-ram-image "$T/ram.bin"
e load_ram "$T/ram.bin"
expect_rc 0 "load_ram"
expect_out "RAM boot..." "load_ram: RAM boot"
expect_out "Downloading 2048 bytes at 3ffb0000... done!" "load_ram: segment line"
expect_out "Downloading 6144 bytes at 40080000... done!" "load_ram: second segment"
expect_out "All segments done, executing at 40080400" "load_ram: entry"
expect_out "Exiting immediately." "load_ram: exiting"
expect_no_out "Hard resetting" "load_ram: no reset"

e run
expect_rc 0 "run"

e write_flash -e 0x50000 "$T/rand.bin"
expect_rc 0 "write_flash --erase-all"
expect_out "Erasing flash (this may take a while)..." "--erase-all erases"
expect_out "Hash of data verified." "--erase-all write verified"
e read_flash 0x10000 0x100 "$T/gone.bin"
od -An -v -tx1 "$T/gone.bin" | grep -qv '^\( ff\)*$' && not_ok "erase-all erased old data" ||
    ok "erase-all erased old data"

e erase_flash
expect_rc 0 "erase_flash"
expect_out "Chip erase completed successfully in " "erase_flash line"
e read_flash 0x50000 0x100 "$T/gone2.bin"
od -An -v -tx1 "$T/gone2.bin" | grep -qv '^\( ff\)*$' && not_ok "erase_flash erased" ||
    ok "erase_flash erased"

done_testing
