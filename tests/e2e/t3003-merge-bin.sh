#!/bin/sh
# merge_bin: raw layout (0xFF gaps, --target-offset, --fill-flash-size/--pad-to-size), the
# bootloader header patched with --flash_* (digest recomputed), Intel HEX and UF2 output
# checked by decoding them independently, overlap and argument errors.
. "$(dirname "$0")/lib.sh"
D="$EL_SRCDIR/tests/data/images"

run "$ESPLOAD" --chip esp32 elf2image --elf-sha256-offset 0xb0 -o "$T/app.bin" "$D/esp32_app.elf"
run "$ESPLOAD" --chip esp32 elf2image --flash_mode dio -o "$T/boot.bin" "$D/esp32_boot.elf"
printf 'nvs,data,nvs,,0x6000,\nphy_init,data,phy,,4K,\nfactory,app,factory,,1M,\n' >"$T/pt.csv"
run "$ESPLOAD" partition_table "$T/pt.csv" -o "$T/pt.bin"
size() { wc -c <"$1" | tr -d ' '; }
at() { # at FILE OFFSET LEN OUT: extract bytes
    dd if="$1" of="$4" bs=1 skip=$(($2)) count=$(($3)) 2>/dev/null
}

run "$ESPLOAD" --chip esp32 merge_bin -o "$T/m.bin" 0x10000 "$T/app.bin" 0x1000 "$T/boot.bin" \
    0x8000 "$T/pt.bin"
expect_rc 0 "merge_bin raw"
want=$((0x10000 + $(size "$T/app.bin")))
expect_out "$(printf 'Wrote 0x%x bytes to file %s, ready to flash to offset 0x0' "$want" "$T/m.bin")" \
    "esptool's Wrote line"
[ "$(size "$T/m.bin")" -eq "$want" ] && ok "raw size" || not_ok "raw size $(size "$T/m.bin")"
at "$T/m.bin" 0 4096 "$T/pad.bin"
od -An -v -tx1 "$T/pad.bin" | grep -qv '^\( ff\)*$' && not_ok "0..0x1000 not 0xFF" || ok "gap filled with 0xFF"
at "$T/m.bin" 0x1000 "$(size "$T/boot.bin")" "$T/x.bin"
expect_same_file "$T/x.bin" "$T/boot.bin" "bootloader at 0x1000 unchanged (all keep)"
at "$T/m.bin" 0x8000 3072 "$T/x.bin"
expect_same_file "$T/x.bin" "$T/pt.bin" "table at 0x8000"
at "$T/m.bin" 0x10000 "$(size "$T/app.bin")" "$T/x.bin"
expect_same_file "$T/x.bin" "$T/app.bin" "app at 0x10000"

# flash parameters patched in the bootloader only; its digest stays valid
run "$ESPLOAD" --chip esp32 merge_bin --flash_mode dout --flash_freq 80m --flash_size 4MB \
    -o "$T/p.bin" 0x1000 "$T/boot.bin" 0x10000 "$T/app.bin"
expect_rc 0 "merge with flash params"
expect_out "Flash params set to 0x032f" "params line"
expect_out "SHA digest in image updated" "digest line"
at "$T/p.bin" 0x1000 "$(size "$T/boot.bin")" "$T/pb.bin"
run "$ESPLOAD" image_info --version 2 "$T/pb.bin"
expect_out "Flash mode: DOUT" "mode patched"
expect_out "Flash freq: 80m" "freq patched"
expect_out "Flash size: 4MB" "size patched"
expect_no_out "(invalid" "checksum and digest valid after patching"
at "$T/p.bin" 0x10000 "$(size "$T/app.bin")" "$T/x.bin"
expect_same_file "$T/x.bin" "$T/app.bin" "app not patched"

# target offset and fill
run "$ESPLOAD" --chip esp32 merge_bin -t 0x1000 --fill-flash-size 1MB -o "$T/t.bin" \
    0x1000 "$T/boot.bin" 0x8000 "$T/pt.bin"
expect_rc 0 "target offset + fill"
[ "$(size "$T/t.bin")" -eq $((0x100000 - 0x1000)) ] && ok "filled to 1MB minus the offset" ||
    not_ok "filled size $(size "$T/t.bin")"
expect_out "ready to flash to offset 0x1000" "offset in the Wrote line"
run "$ESPLOAD" --chip esp32 merge_bin --pad-to-size 2MB -o "$T/t2.bin" 0x1000 "$T/boot.bin"
[ "$(size "$T/t2.bin")" -eq $((0x200000)) ] && ok "--pad-to-size (v5 spelling)" || not_ok "pad size"
run "$ESPLOAD" --chip esp32 merge_bin -t 0x2000 -o "$T/t3.bin" 0x1000 "$T/boot.bin"
expect_rc 3 "input before the target offset"
expect_out "Output file target offset is 0x2000. Input file offset 0x1000 is before this." "message"

# Intel HEX: decode it with objcopy and compare with the raw merge
run "$ESPLOAD" --chip esp32 merge_bin --format hex -o "$T/m.hex" 0x1000 "$T/boot.bin" \
    0x8000 "$T/pt.bin" 0x10000 "$T/app.bin"
expect_rc 0 "hex output"
head -1 "$T/m.hex" | grep -q '^:020000040000FA$' && ok "hex starts with an extended address record" ||
    not_ok "hex first record: $(head -1 "$T/m.hex")"
tail -1 "$T/m.hex" | grep -q '^:00000001FF$' && ok "hex ends with EOF record" || not_ok "hex EOF"
OBJCOPY=$(command -v xtensa-lx106-elf-objcopy || command -v objcopy || true)
if [ -n "$OBJCOPY" ]; then
    "$OBJCOPY" -I ihex -O binary --gap-fill 0xff "$T/m.hex" "$T/hex.bin"
    at "$T/m.bin" 0x1000 $(($(size "$T/m.bin") - 0x1000)) "$T/m1000.bin"
    expect_same_file "$T/hex.bin" "$T/m1000.bin" "hex decodes to the raw merge"
else
    not_ok "no objcopy to decode Intel HEX"
fi

# UF2: 512-byte blocks, magics, family id, per-file block numbering
run "$ESPLOAD" --chip esp32 merge_bin --format uf2 -o "$T/m.uf2" 0x1000 "$T/boot.bin" \
    0x10000 "$T/app.bin"
expect_rc 0 "uf2 output"
expect_out "Adding $T/boot.bin at 0x1000" "Adding line"
expect_out "ready to be flashed with any ESP USB Bridge" "uf2 Wrote line"
nb=$((($(size "$T/boot.bin") + 451) / 452 + ($(size "$T/app.bin") + 451) / 452))
[ "$(size "$T/m.uf2")" -eq $((nb * 512)) ] && ok "uf2: $nb blocks of 512 bytes (452 data bytes with MD5)" ||
    not_ok "uf2 size $(size "$T/m.uf2"), want $((nb * 512))"
hdr=$(od -An -v -tx4 -N32 "$T/m.uf2" | tr -s ' \n' '  ' | sed 's/^ //; s/ $//')
[ "$hdr" = "0a324655 9e5d5157 00006000 00001000 000001c4 00000000 00000002 1c5f21b0" ] &&
    ok "uf2 first block header (magics, flags, addr, len, numbering, ESP32 family)" ||
    not_ok "uf2 header: $hdr"
run "$ESPLOAD" --chip esp32 merge_bin --format uf2 --chunk-size 256 --md5-disable \
    -o "$T/c.uf2" 0x1000 "$T/boot.bin"
hdr=$(od -An -v -tx4 -N32 "$T/c.uf2" | tr -s ' \n' '  ' | sed 's/^ //; s/ $//')
case "$hdr" in "0a324655 9e5d5157 00002000 00001000 00000100 "*) ok "--chunk-size 256 --md5-disable" ;;
*) not_ok "chunked header: $hdr" ;; esac
run "$ESPLOAD" --chip esp32 merge_bin --format uf2 --chunk-size 6 -o "$T/c.uf2" 0x1000 "$T/boot.bin"
expect_rc 2 "chunk size not a multiple of 4"

# errors
run "$ESPLOAD" --chip esp32 merge_bin -o "$T/o.bin" 0x1000 "$T/boot.bin" 0x1100 "$T/pt.bin"
expect_rc 2 "overlapping inputs refused"
expect_out "overlap" "overlap message"
run "$ESPLOAD" merge_bin -o "$T/o.bin" 0x1000 "$T/boot.bin"
expect_rc 2 "no --chip"
run "$ESPLOAD" --chip esp32 merge_bin 0x1000 "$T/boot.bin"
expect_rc 2 "no --output"
run "$ESPLOAD" --chip esp32 merge_bin -o "$T/o.bin" 0x1000
expect_rc 2 "odd address/file list"
printf 'XYZ.....' >"$T/notimg.bin"
run "$ESPLOAD" --chip esp32 merge_bin --flash_mode dio -o "$T/o.bin" 0x1000 "$T/notimg.bin"
expect_rc 0 "non-image at the bootloader offset is merged unchanged"
expect_out "Warning: Image file at 0x1000 doesn't look like an image file, so not changing any flash settings." "esptool's warning"
done_testing
