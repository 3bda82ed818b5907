#!/bin/sh
# Pre-flight checks in write_flash against the virtual ESP32: each refusal exits 9 with its
# code and --force writes anyway; warnings (PSRAM, QIO bootloader) print and write. Images
# come from the committed test ELFs through elf2image, partition_table and merge_bin.
. "$(dirname "$0")/lib.sh"
D="$EL_SRCDIR/tests/data/images"
E="$ESPLOAD"

"$E" --chip esp32 elf2image --flash_mode dio --flash_size 4MB -o "$T/boot.bin" "$D/esp32_boot.elf" >/dev/null
"$E" --chip esp32 elf2image --flash_mode qio -o "$T/boot_qio.bin" "$D/esp32_boot.elf" >/dev/null
"$E" --chip esp32 elf2image --flash_size 16MB -o "$T/boot16.bin" "$D/esp32_boot.elf" >/dev/null
"$E" --chip esp32 elf2image --flash_mode dio --flash_size 4MB -o "$T/app.bin" "$D/esp32_app.elf" >/dev/null
"$E" --chip esp32 elf2image --flash_mode dio --flash_size 4MB -o "$T/spiram.bin" "$D/esp32_app_spiram.elf" >/dev/null
"$E" --chip esp32 elf2image --flash_mode dio --min-rev-full 300 -o "$T/app_r3.bin" "$D/esp32_app.elf" >/dev/null
"$E" --chip esp32c3 elf2image -o "$T/c3.bin" "$D/esp32c3_app.elf" >/dev/null
printf 'nvs,data,nvs,0x9000,0x6000,\nphy_init,data,phy,0xf000,0x1000,\nfactory,app,factory,0x10000,1M,\n' >"$T/pt.csv"
"$E" partition_table "$T/pt.csv" -o "$T/pt.bin" >/dev/null
"$E" --chip esp32 merge_bin -o "$T/merged.bin" 0x1000 "$T/boot.bin" 0x8000 "$T/pt.bin" 0x10000 "$T/spiram.bin" >/dev/null
for f in boot boot_qio boot16 app spiram app_r3 c3 pt merged; do
    [ -s "$T/$f.bin" ] || not_ok "test input $f.bin not made"
done

FLASH="$T/flash.bin"
dev() { echo "sim://esp32?flash=$FLASH${1:+&$1}"; }
refused() { # refused CODE description: exit 9 with the finding's code in the message
    if [ "$RC" -eq 9 ] && grep -qF "[$1]" "$T/out" && grep -qF -- "use --force" "$T/out"; then
        ok "$2: refused [$1]"
    else
        not_ok "$2: exit $RC, expected 9 with [$1]"
        sed 's/^/    | /' "$T/out" | tail -6
    fi
    grep -q '^Writing at' "$T/out" && not_ok "$2: wrote although refused" || ok "$2: nothing written"
}

# wrong chip: an ESP32-C3 application on an ESP32
run "$E" --port "$(dev)" write_flash 0x10000 "$T/c3.bin"
refused wrong-chip "ESP32-C3 image on an ESP32"
expect_out "flash the ESP32 build" "says what to flash"
run "$E" --port "$(dev)" write_flash --force 0x10000 "$T/c3.bin"
expect_rc 0 "--force writes it anyway"
expect_out "writing anyway: --force" "--force says so"

# bootloader at the wrong offset (ESP32: 0x1000)
run "$E" --port "$(dev)" write_flash 0x0 "$T/boot.bin"
refused bootloader-offset "bootloader at 0x0"
expect_out "write it at 0x1000" "names the right offset"
run "$E" --port "$(dev)" write_flash 0x1000 "$T/boot.bin"
expect_rc 0 "bootloader at 0x1000 passes"

# merged image: made for 0x1000, written at 0x0
tail -c +4097 "$T/merged.bin" >"$T/merged1000.bin"
run "$E" --port "$(dev)" write_flash 0x0 "$T/merged1000.bin"
refused merged-image-offset "merged image at the wrong offset"
run "$E" --port "$(dev)" write_flash 0x0 "$T/merged.bin"
expect_rc 0 "full merged image at 0x0 passes"

# application where the device's partition table has no app partition
run "$E" --port "$(dev)" write_flash 0x8000 "$T/pt.bin"
expect_rc 0 "table written"
run "$E" --port "$(dev)" write_flash 0x20000 "$T/app.bin"
refused no-app-partition "app at 0x20000, table has factory at 0x10000"
expect_out "factory 0x10000" "lists the app partitions"
run "$E" --port "$(dev)" write_flash 0x10000 "$T/app.bin"
expect_rc 0 "app at its partition passes"

# chip revision: image needs v3.0, the chip is v1.0
run "$E" --port "$(dev revision=1)" write_flash 0x10000 "$T/app_r3.bin"
refused chip-revision "image for v3.0+ on a v1.0 chip"
run "$E" --port "$(dev revision=3)" write_flash 0x10000 "$T/app_r3.bin"
expect_rc 0 "same image on a v3.0 chip passes"

# header flash size larger than the chip's
run "$E" --port "$(dev flash-size=4MB)" write_flash 0x1000 "$T/boot16.bin"
refused header-flash-size "16MB header on a 4MB chip"

# QIO in the bootloader header: warning, written
run "$E" --port "$(dev)" write_flash 0x1000 "$T/boot_qio.bin"
expect_rc 0 "QIO bootloader written"
expect_out "WARNING: " "QIO warning printed"
expect_out "--flash_mode dio" "QIO: says what to use"

# secure boot in eFuse: no plaintext bootloader
run "$E" --port "$(dev secure-boot=1)" write_flash 0x1000 "$T/boot.bin"
if [ "$RC" -eq 9 ]; then ok "secure boot: plaintext bootloader refused (exit 9)"; else
    not_ok "secure boot: exit $RC"
    sed 's/^/    | /' "$T/out" | tail -4
fi
grep -qE "plaintext bootloader|Secure Boot detected" "$T/out" && ok "secure boot: says why" ||
    not_ok "secure boot: no reason given"
# flash encryption in eFuse: the pre-flight check refuses a plaintext bootloader
run "$E" --port "$(dev flash-crypt=1)" write_flash 0x1000 "$T/boot.bin"
refused secure-boot-plaintext "flash encryption on: plaintext bootloader"

# the seed: a SPIRAM build on a board without PSRAM writes, after a warning that names
# the symptom and the fix; on an ESP32 with in-package PSRAM there is no warning
run "$E" --port "$(dev package=D0WDQ6)" write_flash 0x1000 "$T/merged1000.bin"
expect_rc 0 "SPIRAM build on a board without known PSRAM: written"
expect_out "is built for external RAM (PSRAM/SPIRAM" "psram-missing finding"
expect_out "Failed to init external RAM" "names the boot failure"
expect_out "without SPIRAM" "names what to flash instead"
awk '/psram-missing|external RAM \(PSRAM/ { w = NR } /^Writing at/ && !x { x = NR } END { exit !(w && x && w < x) }' "$T/out" &&
    ok "warning comes before writing" || not_ok "warning not before writing"
run "$E" --port "$(dev package=D0WDR2-V3)" write_flash 0x1000 "$T/merged1000.bin"
expect_rc 0 "SPIRAM build on an ESP32-D0WDR2-V3 (in-package PSRAM)"
expect_no_out "built for external RAM" "no PSRAM warning there"
run "$E" --port "$(dev package=D0WDQ6)" write_flash 0x10000 "$T/app.bin"
expect_no_out "built for external RAM" "no PSRAM warning for a build without SPIRAM"
done_testing
