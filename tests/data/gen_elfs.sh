#!/bin/sh
# Rebuilds the test ELFs in tests/data/images from src/ with Debian's cross compilers
# (xtensa-lx106-elf-gcc, riscv64-unknown-elf-gcc). The ELFs are committed so tests do not
# depend on compiler versions; rerun this only when src/ changes, then regenerate
# expected.txt with esptool (docs/IMAGES.md says how).
set -eu
D=$(cd "$(dirname "$0")/images" && pwd)
X="xtensa-lx106-elf-gcc -Os -mlongcalls -mtext-section-literals -ffreestanding -nostdlib"
X="$X -Wl,--gc-sections"
$X -Wl,-T,"$D/src/esp32.ld" -o "$D/esp32_app.elf" "$D/src/app.c" -lgcc
$X -DWITH_SPIRAM -Wl,-T,"$D/src/esp32.ld" -o "$D/esp32_app_spiram.elf" "$D/src/app.c" -lgcc
$X -Wl,-T,"$D/src/esp32_boot.ld" -o "$D/esp32_boot.elf" "$D/src/app.c" -lgcc
riscv64-unknown-elf-gcc -Os -march=rv32imc -mabi=ilp32 -ffreestanding -nostdlib \
    -Wl,--gc-sections -Wl,-T,"$D/src/esp32c3.ld" -o "$D/esp32c3_app.elf" "$D/src/app.c" -lgcc
echo "built the test ELFs in $D"
