#!/bin/sh
# image_info: the v4 legacy (--version 1), v4 sectioned (--version 2) and v5 (--v5) formats
# against esptool's own output for the same images (tests/data/images/info_*.txt were
# produced by esptool v4.8.1 / v5.3.1, see tests/data/gen_expected.sh), chip detection,
# merged images (--parts) and bad input.
. "$(dirname "$0")/lib.sh"
D="$EL_SRCDIR/tests/data/images"

mk() { # chip elf name
    run "$ESPLOAD" --chip "$1" elf2image --elf-sha256-offset 0xb0 -o "$T/$3.bin" "$D/$2"
    [ "$RC" -eq 0 ] || not_ok "elf2image $2"
}
mk esp32 esp32_app.elf app
mk esp32 esp32_boot.elf boot
mk esp32c3 esp32c3_app.elf c3app

for name in app boot c3app; do
    for fmt in v4-1 v4-2 v5; do
        case $fmt in
        v4-1) args="--version 1" ;;
        v4-2) args="--version 2" ;;
        v5) args="--v5" ;;
        esac
        # shellcheck disable=SC2086
        (cd "$T" && "$ESPLOAD" image_info $args "$name.bin" >"$T/info.txt" 2>&1)
        tail -n +2 "$T/info.txt" >"$T/info2.txt"
        if cmp -s "$T/info2.txt" "$D/info_${name}_$fmt.txt"; then
            ok "image_info $fmt $name.bin: as esptool prints it"
        else
            not_ok "image_info $fmt $name.bin differs from esptool's"
            diff "$T/info2.txt" "$D/info_${name}_$fmt.txt" | head -10 | sed 's/^/    | /'
        fi
    done
done

# Intel HEX input is converted first, as esptool does
run "$ESPLOAD" --chip esp32 merge_bin --format hex -o "$T/app.hex" 0x10000 "$T/app.bin"
(cd "$T" && "$ESPLOAD" image_info --version 2 app.hex >"$T/info.txt" 2>&1)
tail -n +2 "$T/info.txt" | tail -n +2 >"$T/a.txt"
tail -n +2 "$D/info_app_v4-2.txt" >"$T/b.txt"
expect_same_file "$T/a.txt" "$T/b.txt" "image_info of the .hex equals that of the .bin"

# --chip given: no detection line; a different chip warns like esptool
run "$ESPLOAD" --chip esp32 image_info "$T/app.bin"
expect_rc 0 "--chip esp32"
expect_no_out "Detected image type" "no detection with --chip"
run "$ESPLOAD" --chip esp32c3 image_info "$T/app.bin"
expect_out "Unexpected chip id in image. Expected 5 but value was 0." "chip id mismatch warning"

# a corrupted image: checksum and digest reported invalid, not a crash
cp "$T/app.bin" "$T/bad.bin"
printf '\001' | dd of="$T/bad.bin" bs=1 seek=40 conv=notrunc 2>/dev/null
run "$ESPLOAD" image_info "$T/bad.bin"
expect_rc 0 "corrupted image still described"
expect_out "(invalid - calculated" "checksum invalid"
expect_out "Validation Hash: " "digest line"
expect_out "(invalid)" "digest invalid"

# bad input
: >"$T/empty.bin"
run "$ESPLOAD" image_info "$T/empty.bin"
expect_rc 3 "empty file"
expect_out "File is empty" "empty: esptool's message"
printf 'hello' >"$T/text.bin"
run "$ESPLOAD" image_info "$T/text.bin"
expect_rc 3 "not an image"
expect_out "This is not a valid image (invalid magic number: 0x68)" "magic message"
head -c 100 "$T/app.bin" >"$T/trunc.bin"
run "$ESPLOAD" image_info "$T/trunc.bin"
expect_rc 3 "truncated image"
expect_out "End of file reading segment" "truncated: says where"
run "$ESPLOAD" image_info "$T/missing.bin"
expect_rc 3 "missing file"

# a merged image: --parts finds the bootloader, the table and the app
printf 'nvs,data,nvs,0x9000,0x6000,\nphy_init,data,phy,0xf000,0x1000,\nfactory,app,factory,0x10000,1M,\n' >"$T/pt.csv"
run "$ESPLOAD" partition_table "$T/pt.csv" -o "$T/pt.bin"
expect_rc 0 "table for the merged image"
run "$ESPLOAD" --chip esp32 merge_bin -o "$T/merged.bin" 0x1000 "$T/boot.bin" 0x8000 "$T/pt.bin" \
    0x10000 "$T/app.bin"
expect_rc 0 "merge_bin"
tail -c +4097 "$T/merged.bin" >"$T/merged1000.bin"
run "$ESPLOAD" image_info --parts "$T/merged1000.bin"
expect_rc 0 "image_info --parts"
expect_out "File byte 0 is flash address 0x1000" "base found from the table position"
expect_out "0x00008000  partition table" "table found"
expect_out "0x00010000  app             factory" "app found"
expect_out "project 'espload-test'" "app descriptor of the app"
# the whole merged image from 0x0 starts with 0xFF: --parts still describes it
run "$ESPLOAD" image_info --parts "$T/merged.bin"
expect_rc 0 "image_info --parts on a file starting with 0xFF"
expect_out "Detected image type: ESP32" "chip from the bootloader at 0x1000"
expect_out "File byte 0 is flash address 0x0" "base 0x0"
expect_out "0x00001000  bootloader" "bootloader found"
run "$ESPLOAD" image_info "$T/merged.bin"
expect_rc 3 "without --parts: not an image, like esptool"
done_testing
