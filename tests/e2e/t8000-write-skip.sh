#!/bin/sh
# write_flash's fast defaults against the virtual ESP32: an identical reflash sends no data
# and is verified; one changed byte writes one sector; --no-skip writes everything; after
# erase_flash the image's own 0xFF sectors are not sent; -s (esptool's --skip-flashed) skips
# only whole files; -u sends uncompressed; the ROM loader plans the same way. What the device
# received is read from its transcript, what it holds from its flash file.
. "$(dirname "$0")/lib.sh"

sh "$EL_SRCDIR/scripts/demo.sh" --make-image "$T/image.bin"
BOARD="sim://esp32?flash=$T/board.bin&flash-size=4MB"

# frames the device received with an opcode: count FILE OP
count() { grep -c "\"dir\":\"in\",\"op\":\"$2\"" "$1"; }

# board.bin at 0x1000 (the flash file is saved when espload exits)
at1000() { tail -c +4097 "$T/board.bin" | head -c "$(wc -c <"$1" | tr -d ' ')" >"$T/got.bin"; }

run "$ESPLOAD" --chip esp32 --port "$BOARD" write_flash 0x1000 "$T/image.bin"
expect_rc 0 "first write"
expect_out "Hash of data verified." "first write verified"
at1000 "$T/image.bin"
expect_same_file "$T/got.bin" "$T/image.bin" "flash holds the image"

# 1. identical image: one MD5 of the region, no data
run "$ESPLOAD" --chip esp32 --port "$BOARD&transcript=$T/tr1.jsonl" write_flash 0x1000 "$T/image.bin"
expect_rc 0 "identical reflash"
expect_out "already in flash, skipping write." "identical: skip line"
expect_out "Hash of data verified." "identical: verified"
expect_no_out "Wrote " "identical: nothing written"
expect_no_out "Compressed " "identical: nothing compressed"
[ "$(count "$T/tr1.jsonl" FLASH_DEFL_DATA)" -eq 0 ] && [ "$(count "$T/tr1.jsonl" FLASH_DATA)" -eq 0 ] &&
    [ "$(count "$T/tr1.jsonl" FLASH_DEFL_BEGIN)" -eq 0 ] && ok "identical: no write command on the wire" ||
    not_ok "identical: the device received write commands"
[ "$(count "$T/tr1.jsonl" SPI_FLASH_MD5)" -eq 1 ] && ok "identical: one MD5 query" ||
    not_ok "identical: $(count "$T/tr1.jsonl" SPI_FLASH_MD5) MD5 queries"

# 2. one byte changed: only its sector is written
cp "$T/image.bin" "$T/image2.bin"
printf '\132' | dd of="$T/image2.bin" bs=1 seek=300000 conv=notrunc 2>/dev/null
run "$ESPLOAD" --chip esp32 --port "$BOARD&transcript=$T/tr2.jsonl" write_flash 0x1000 "$T/image2.bin"
expect_rc 0 "one sector changed"
expect_out "Skipped 270 of 271 sectors already holding this data (device MD5); writing 1 changed sector..." \
    "one sector: skip line"
expect_out "Compressed 4096 bytes to " "one sector: 4096 bytes compressed"
expect_out "Wrote 4096 bytes (" "one sector: 4096 bytes written"
expect_out "Hash of data verified." "one sector: whole region verified"
[ "$(count "$T/tr2.jsonl" FLASH_DEFL_BEGIN)" -eq 1 ] && ok "one sector: one write session" ||
    not_ok "one sector: $(count "$T/tr2.jsonl" FLASH_DEFL_BEGIN) write sessions"
# FLASH_DEFL_BEGIN's address (last word of its data) is the changed sector: 0x1000 + 300000 -> 0x4a000
grep "\"dir\":\"in\",\"op\":\"FLASH_DEFL_BEGIN\"" "$T/tr2.jsonl" | grep -q '00a00400"' &&
    ok "one sector: written at 0x0004a000" || not_ok "one sector: wrong address"
at1000 "$T/image2.bin"
expect_same_file "$T/got.bin" "$T/image2.bin" "one sector: flash holds the new image"

# 3. --no-skip: everything, no planning MD5
run "$ESPLOAD" --chip esp32 --port "$BOARD&transcript=$T/tr3.jsonl" write_flash --no-skip 0x1000 "$T/image.bin"
expect_rc 0 "--no-skip"
expect_out "Compressed 1108080 bytes to " "--no-skip: whole image compressed"
expect_out "Wrote 1108080 bytes (" "--no-skip: whole image written"
expect_no_out "Skipped " "--no-skip: no skip line"
[ "$(count "$T/tr3.jsonl" SPI_FLASH_MD5)" -eq 1 ] && ok "--no-skip: only the final MD5" ||
    not_ok "--no-skip: $(count "$T/tr3.jsonl" SPI_FLASH_MD5) MD5 queries"
at1000 "$T/image.bin"
expect_same_file "$T/got.bin" "$T/image.bin" "--no-skip: flash holds the image"

# 4. erase_flash, then write: the image's 0xFF sectors are already there
run "$ESPLOAD" --chip esp32 --port "$BOARD" erase_flash
expect_rc 0 "erase_flash"
ff=$(od -An -v -tx1 -w4096 "$T/image.bin" | grep -c '^\( ff\)\{4096\}$')
run "$ESPLOAD" --chip esp32 --port "$BOARD" write_flash 0x1000 "$T/image.bin"
expect_rc 0 "write after erase"
if [ "$ff" -gt 0 ]; then
    expect_out "Skipped $ff of 271 sectors already holding this data" "after erase: $ff blank sectors skipped"
    expect_out "Wrote $((1108080 - ff * 4096)) bytes (" "after erase: the other sectors written"
else
    not_ok "the demo image has no 0xFF sector: blank handling untested"
fi
expect_out "Hash of data verified." "after erase: verified"
at1000 "$T/image.bin"
expect_same_file "$T/got.bin" "$T/image.bin" "after erase: flash holds the image"

# 5. -s / --skip-flashed: esptool's meaning, whole files only
run "$ESPLOAD" --chip esp32 --port "$BOARD" write_flash -s 0x1000 "$T/image.bin"
expect_rc 0 "-s identical"
expect_out "already in flash, skipping write." "-s identical: skipped"
run "$ESPLOAD" --chip esp32 --port "$BOARD" write_flash -s 0x1000 "$T/image2.bin"
expect_rc 0 "-s changed"
expect_out "Wrote 1108080 bytes (" "-s changed: whole file written"
expect_no_out "Skipped " "-s changed: no sector plan"
at1000 "$T/image2.bin"
expect_same_file "$T/got.bin" "$T/image2.bin" "-s changed: flash holds the file"

# 6. -u: uncompressed
run "$ESPLOAD" --chip esp32 --port "$BOARD" write_flash -u --no-skip 0x1000 "$T/image.bin"
expect_rc 0 "-u"
expect_out "Wrote 1108080 bytes at 0x00001000 in " "-u: uncompressed Wrote line"
expect_no_out "Compressed " "-u: nothing compressed"

# 7. the ROM loader plans too; "Erasing flash..." once sectors are to be written
run "$ESPLOAD" --chip esp32 --no-stub --port "$BOARD&transcript=$T/tr7.jsonl" write_flash 0x1000 "$T/image2.bin"
expect_rc 0 "ROM: one sector changed"
if awk '/^Skipped 270 of 271/ { s = NR } /^Erasing flash\.\.\./ { e = NR } END { exit !(s && e > s) }' "$T/out"; then
    ok "ROM: skip line, then Erasing flash..."
else
    not_ok "ROM: line order"
fi
[ "$(count "$T/tr7.jsonl" FLASH_DEFL_BEGIN)" -eq 1 ] && ok "ROM: one write session" ||
    not_ok "ROM: $(count "$T/tr7.jsonl" FLASH_DEFL_BEGIN) write sessions"
at1000 "$T/image2.bin"
expect_same_file "$T/got.bin" "$T/image2.bin" "ROM: flash holds the new image"

# ROM after erase_flash: several runs around the blank sectors, one erase-time line
run "$ESPLOAD" --chip esp32 --port "$BOARD" erase_flash
run "$ESPLOAD" --chip esp32 --no-stub --port "$BOARD" write_flash 0x1000 "$T/image.bin"
expect_rc 0 "ROM: write after erase"
[ "$(grep -c '^Took ' "$T/out")" -eq 1 ] && ok "ROM: one 'Took ...s to erase' line" ||
    not_ok "ROM: $(grep -c '^Took ' "$T/out") erase-time lines"
at1000 "$T/image.bin"
expect_same_file "$T/got.bin" "$T/image.bin" "ROM after erase: flash holds the image"

# bad input
run "$ESPLOAD" --chip esp32 --port "$BOARD" write_flash -s --no-skip 0x1000 "$T/image.bin"
expect_rc 2 "-s with --no-skip is a usage error"

done_testing
