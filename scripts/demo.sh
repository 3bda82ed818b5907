#!/bin/sh
# make demo: the seed's workflow on a virtual ESP32.
#
# The seed user flashed MicroPython onto an ESP32-DevKitC (ESP32-D0WDQ5 rev 0, 4 MB flash,
# MAC 30:ae:a4:80:55:e0) with
#     esptool.py --chip esp32 --port COM39 erase_flash
#     esptool.py --chip esp32 --port COM39 write_flash -z 0x1000 esp32-....bin
# This script does the same against the virtual device, with a firmware image of the same
# size (1,108,080 bytes) and layout (2nd-stage bootloader at 0x1000, partition table at
# 0x8000, app at 0x10000), then reads the flash back and shows what the chip prints on boot.
# Then the rest of the seed's story: the same image flashed again (nothing to send), the
# "esp32spiram" build flashed to this board without PSRAM (the pre-flight warning names the
# fix), and espload doctor on the boot log the seed's user got from that build.
#
#   sh scripts/demo.sh [BUILD_DIR]                 run the demo (default build dir: build)
#   sh scripts/demo.sh --make-image OUT.bin        only write the demo image (used by tests)
#   sh scripts/demo.sh --make-spiram-image OUT.bin the same built with PSRAM (SPIRAM) support
#   sh scripts/demo.sh --make-ram-image OUT.bin    a small RAM-only image for load_ram tests
#
# The image is deterministic: its segments are real machine code taken from the C library
# of this machine (so it compresses like firmware does), framed as valid ESP32 images.
set -eu

# ---- little helpers (POSIX sh + od/awk/md5sum) ----
# bytes V... : writes each value 0..255 as one byte
bytes() {
    for b in "$@"; do
        # shellcheck disable=SC2059
        printf "$(printf '\\%03o' "$b")"
    done
}
le16() { bytes $(($1 & 255)) $(($1 >> 8 & 255)); }
le32() { bytes $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)); }
# ff N : N bytes of 0xFF
ff() { [ "$1" -gt 0 ] && head -c "$1" /dev/zero | tr '\000' '\377' || true; }
zeros() { [ "$1" -gt 0 ] && head -c "$1" /dev/zero || true; }
fsize() { wc -c <"$1" | tr -d ' '; }
# xor8 FILE: XOR of all bytes of FILE, seeded with 0xEF (the ESP image checksum)
xor8() {
    od -An -v -tu1 "$1" | awk '
        { for (i = 1; i <= NF; i++) c[$i]++ }
        function bx(a, b,   r, bit) { r = 0; bit = 1
            while (a > 0 || b > 0) { if ((a % 2) != (b % 2)) r += bit
                a = int(a / 2); b = int(b / 2); bit *= 2 }
            return r }
        END { x = 239; for (v in c) if (c[v] % 2) x = bx(x, v + 0); print x }'
}

# source of code bytes: the largest C library found
code_source() {
    for f in /usr/lib/x86_64-linux-gnu/libc.so.6 /lib/x86_64-linux-gnu/libc.so.6 \
        /usr/lib/aarch64-linux-gnu/libc.so.6 /lib/aarch64-linux-gnu/libc.so.6; do
        [ -f "$f" ] && { echo "$f"; return; }
    done
    ls -S /usr/lib/*/*.so* /usr/lib/*.so* 2>/dev/null | head -n 1
}

# image OUT ENTRY FLASHMODE SIZEFREQ "ADDR:LEN:SRCOFF ..." : an ESP32 image whose segment
# data are LEN bytes of the code source from SRCOFF (LEN 0 = empty segment)
image() {
    im_out=$1 im_entry=$2 im_mode=$3 im_sf=$4 im_segs=$5
    set -- $im_segs
    im_n=$#
    im_work=$im_out.segs
    : >"$im_work"
    {
        bytes 233 "$im_n" "$im_mode" "$im_sf"
        le32 "$im_entry"
        # extended header: WP pin 0xEE (disabled), drive settings, chip id 0 (ESP32),
        # min revision 0, min/max full revision 0/0xFFFF, reserved, no SHA-256 appended
        bytes 238 0 0 0
        le16 0
        bytes 0
        le16 0
        le16 65535
        bytes 0 0 0 0 0
    } >"$im_out"
    for im_s in "$@"; do
        im_addr=${im_s%%:*} im_rest=${im_s#*:}
        im_len=${im_rest%%:*} im_off=${im_rest#*:}
        { le32 "$im_addr"; le32 "$im_len"; } >>"$im_out"
        if [ "$im_len" -gt 0 ]; then
            tail -c +$((im_off + 1)) "$SRC" | head -c "$im_len" >"$im_work.one"
            cat "$im_work.one" >>"$im_out"
            cat "$im_work.one" >>"$im_work"
        fi
    done
    im_size=$(fsize "$im_out")
    im_pad=$((15 - im_size % 16))
    zeros "$im_pad" >>"$im_out"
    bytes "$(xor8 "$im_work")" >>"$im_out"
    rm -f "$im_work" "$im_work.one"
}

# partition table entry: TYPE SUBTYPE OFFSET SIZE LABEL
part() {
    bytes 170 80 "$1" "$2"
    le32 "$3"
    le32 "$4"
    printf '%s' "$5"
    zeros $((16 - ${#5}))
    le32 0
}

make_image() {
    out=$1
    SRC=$(code_source)
    [ -n "$SRC" ] && [ "$(fsize "$SRC")" -gt 1300000 ] || {
        echo "demo: no C library large enough to take code bytes from" >&2
        exit 1
    }
    tmp=$out.parts
    mkdir -p "$tmp"
    if [ "${2:-}" = spiram ]; then
        # a build with CONFIG_SPIRAM: ESP-IDF compiles in its external-RAM start-up code, whose
        # messages are in the app's read-only data (the first segment of the app below starts
        # at source offset 200000: the strings go there)
        head -c 200000 "$SRC" >"$tmp/src"
        printf '%s\0' "Failed to init external RAM!" "SPI SRAM memory test" \
            "PSRAM ID read error: 0x%08x" "esp_psram" >>"$tmp/src"
        tail -c +200001 "$SRC" >>"$tmp/src"
        SRC=$tmp/src
    fi
    # 2nd-stage bootloader, laid out like the seed's (its "load:" lines in the boot log)
    image "$tmp/boot.bin" 0x4007b288 2 0x20 \
        "0x3fff0018:4:0 0x3fff001c:4596:4096 0x40078000:0:0 0x40078000:14140:65536"
    # partition table: nvs, phy_init, factory app at 0x10000; then the MD5 row
    {
        part 1 2 0x9000 0x6000 nvs
        part 1 1 0xf000 0x1000 phy_init
        part 0 0 0x10000 0x180000 factory
    } >"$tmp/pt.bin"
    md5=$(md5sum "$tmp/pt.bin" | cut -c1-32)
    {
        bytes 235 235
        ff 14
        for i in 0 2 4 6 8 10 12 14 16 18 20 22 24 26 28 30; do
            bytes "$(printf '%d' "0x$(echo "$md5" | cut -c$((i + 1))-$((i + 2)))")"
        done
    } >>"$tmp/pt.bin"
    # the application: DROM, DRAM, IRAM and IROM segments, flash segments 64 KiB-aligned as
    # elf2image lays them out; sized so the whole file is 1,108,080 bytes like the seed's
    image "$tmp/app.bin" 0x40081234 2 0x20 \
        "0x3f400020:262080:200000 0x3ffb0000:8192:500000 0x40080000:16384:520000 \
0x400d5ff8:759924:560000"
    {
        cat "$tmp/boot.bin"
        ff $((0x7000 - $(fsize "$tmp/boot.bin")))
        cat "$tmp/pt.bin"
        ff $((0xF000 - 0x7000 - $(fsize "$tmp/pt.bin")))
        cat "$tmp/app.bin"
    } >"$out"
    rm -rf "$tmp"
}

if [ "${1:-}" = "--make-image" ]; then
    make_image "$2"
    exit 0
fi
if [ "${1:-}" = "--make-spiram-image" ]; then
    make_image "$2" spiram
    exit 0
fi
if [ "${1:-}" = "--make-ram-image" ]; then
    # a small image that runs from RAM (load_ram): DRAM and IRAM segments only
    SRC=$(code_source)
    image "$2" 0x40080400 2 0x20 "0x3ffb0000:2048:300000 0x40080000:6144:310000"
    exit 0
fi

B=${1:-build}
ESPLOAD=${ESPLOAD:-$B/espload}
T=$(mktemp -d "${TMPDIR:-/tmp}/espload-demo.XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM
PORT="sim://esp32?flash=$T/board.bin&timing=1&flash-size=4MB&mac=30:ae:a4:80:55:e0&revision=0&package=D0WDQ5"
# the DevKitC's USB bridge is a CP2102 (10c4:ea60): with a simulator that models it, espload
# picks the bridge's rate by itself
if "$ESPLOAD" --chip esp32 --port "sim://esp32?usb=10c4:ea60" --silent chip_id >/dev/null 2>&1; then
    PORT="$PORT&usb=10c4:ea60"
fi

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

echo "== espload demo: the seed's ESP32-DevKitC, virtual =="
make_image "$T/esp32-micropython.bin"
echo "firmware image: $(fsize "$T/esp32-micropython.bin") bytes (bootloader at 0x1000, partition table at 0x8000, app at 0x10000)"

step espload --chip esp32 --port "sim://esp32?..." erase_flash
"$ESPLOAD" --chip esp32 --port "$PORT" erase_flash

step espload --chip esp32 --port "sim://esp32?..." write_flash -z 0x1000 esp32-micropython.bin
"$ESPLOAD" --chip esp32 --port "$PORT" write_flash -z 0x1000 "$T/esp32-micropython.bin"

step espload --chip esp32 --port "sim://esp32?..." read_flash 0x1000 1108080 readback.bin
"$ESPLOAD" --chip esp32 --port "$PORT" read_flash 0x1000 "$(fsize "$T/esp32-micropython.bin")" \
    "$T/readback.bin"
if cmp -s "$T/esp32-micropython.bin" "$T/readback.bin"; then
    echo "read back: identical to the image"
else
    echo "read back: DIFFERENT from the image" >&2
    exit 1
fi

step "what the chip prints when it boots (monitor)"
if "$ESPLOAD" help monitor >/dev/null 2>&1 &&
    "$ESPLOAD" --chip esp32 --port "$PORT" monitor --help 2>/dev/null | grep -q -- '--timeout'; then
    "$ESPLOAD" --chip esp32 --port "$PORT" monitor --timeout 2 || true
else
    "$ESPLOAD" --chip esp32 --port "$PORT" --after hard-reset verify_flash 0x1000 \
        "$T/esp32-micropython.bin"
fi

echo
echo "== the same image again: the device's MD5 says it is already there, nothing is sent =="
step espload --chip esp32 --port "sim://esp32?..." write_flash -z 0x1000 esp32-micropython.bin
"$ESPLOAD" --chip esp32 --port "$PORT" write_flash -z 0x1000 "$T/esp32-micropython.bin"

echo
echo "== the seed's next step: the esp32spiram build, on this board without PSRAM =="
make_image "$T/esp32spiram-micropython.bin" spiram
echo "SPIRAM build: $(fsize "$T/esp32spiram-micropython.bin") bytes; its app carries ESP-IDF's external-RAM start-up code"
step espload --chip esp32 --port "sim://esp32?..." write_flash -z 0x1000 esp32spiram-micropython.bin
"$ESPLOAD" --chip esp32 --port "$PORT" write_flash -z 0x1000 "$T/esp32spiram-micropython.bin"

echo
echo "== the boot log the seed's user got from that build, diagnosed =="
LOG=$(dirname "$0")/../tests/data/bootlogs/seed-esp32spiram-20180630-v1.9.4-227.log
step espload doctor --log seed-esp32spiram-20180630-v1.9.4-227.log
sed 's/^/    | /' "$LOG"
echo
rc=0
"$ESPLOAD" doctor --log "$LOG" || rc=$?
echo "(doctor exit code $rc: 12 = a problem was found)"
[ "$rc" -eq 12 ]

echo
echo "demo done."
