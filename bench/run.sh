#!/bin/sh
# make bench: builds a release tree, makes the benchmark images from Debian's real code,
# runs every scenario against the virtual ESP32 with its timing model on, and rewrites
# docs/BENCHMARKS.md with the measured numbers. Never run by the tests.
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BENCH_BUILD:-$SRC/build-bench}
WORK=${BENCH_WORK:-$(mktemp -d /tmp/espload-bench.XXXXXX)}
OUT=${BENCH_OUT:-$SRC/docs/BENCHMARKS.md}
BAUDS=${BENCH_BAUDS:-"115200 460800 921600 2000000"}
HEX=/usr/share/firmware-microbit-micropython/firmware.hex
LIBC=/usr/lib/xtensa-lx106-elf/lib/libc.a
LIBC_REL=/usr/lib/xtensa-lx106-elf/lib/release/libc.a
for f in "$HEX" "$LIBC" "$LIBC_REL"; do
    [ -f "$f" ] || { echo "bench: missing $f (apt-get install firmware-microbit-micropython picolibc-xtensa-lx106-elf)" >&2; exit 1; }
done
cmake -S "$SRC" -B "$BUILD" -DEL_SANITIZE=OFF -DCMAKE_BUILD_TYPE=Release -DEL_TESTS=OFF >/dev/null
cmake --build "$BUILD" -j2 --target espload espload-sim bench-flash bench-mkimage >/dev/null
BF=$BUILD/bench-flash

# images: all the code the inputs hold, in a fixed order; the app is its first 1,108,080
# bytes (the seed's size); the old app is the same code shifted by 100 KiB (a different
# build of similar code); the 4 MB full-flash image is bootloader + app + second app slot,
# the rest erased
"$BUILD/bench-mkimage" "$WORK/code.bin" 1840999 "$HEX" "$LIBC" "$LIBC_REL"
head -c 1108080 "$WORK/code.bin" > "$WORK/app.bin"
tail -c +102401 "$WORK/code.bin" | head -c 1108080 > "$WORK/old.bin"
cp "$WORK/app.bin" "$WORK/app1.bin"
printf '\125' | dd of="$WORK/app1.bin" bs=1 seek=600000 conv=notrunc 2>/dev/null
mkfull() { # $1 out, $2 app
    tr '\000' '\377' < /dev/zero | head -c 4194304 > "$1"
    dd if="$WORK/code.bin" of="$1" bs=4096 seek=1 count=6 conv=notrunc 2>/dev/null
    dd if="$2" of="$1" bs=65536 seek=1 conv=notrunc 2>/dev/null
    tail -c 700000 "$WORK/code.bin" | dd of="$1" bs=65536 seek=32 conv=notrunc 2>/dev/null
}
mkfull "$WORK/full.bin" "$WORK/app.bin"
mkfull "$WORK/fullold.bin" "$WORK/old.bin"

RES=$WORK/results.txt
: > "$RES"
# one run: label, baud, mode (stub|rom), flash-file prep (blank|old|keep), bench-flash args
run() {
    label=$1 baud=$2 mode=$3 prep=$4
    shift 4
    case $prep in
    blank) rm -f "$WORK/flash.bin" ;;
    old) cp "$WORK/$OLDIMG" "$WORK/flash.bin" ;;
    esac
    extra=""
    [ "$mode" = rom ] && extra="--no-stub"
    line=$("$BF" --port "sim://esp32?timing=1&flash=$WORK/flash.bin" --baud "$baud" $extra "$@") || {
        echo "bench: $label $baud $mode failed" >&2
        exit 1
    }
    echo "label=$label mode=$mode req_baud=$baud $line" | tee -a "$RES"
}
scenarios() { # image, address, old-image
    IMG=$1 ADDR=$2 OLDIMG=$3
    for mode in stub rom; do
        for b in $BAUDS; do
            name=$(basename "$IMG" .bin)
            # after erase_flash: a fresh (blank) flash file is what erase_flash leaves
            run "$name:first-after-erase" "$b" $mode blank --op write --file "$WORK/$IMG" --addr "$ADDR"
            run "$name:first-over-old" "$b" $mode old --op write --file "$WORK/$IMG" --addr "$ADDR"
            run "$name:reflash-identical" "$b" $mode keep --op write --file "$WORK/$IMG" --addr "$ADDR"
            if [ "$IMG" = app.bin ]; then
                run "$name:reflash-1-sector" "$b" $mode keep --op write --file "$WORK/app1.bin" --addr "$ADDR"
                run "$name:no-skip-over-old" "$b" $mode old --op write --no-skip --file "$WORK/$IMG" --addr "$ADDR"
            fi
        done
    done
}
scenarios app.bin 0x1000 old.bin
scenarios full.bin 0x0 fullold.bin
for mode in stub rom; do
    for b in $BAUDS; do
        [ $mode = rom ] && [ "$b" != 115200 ] && [ "$b" != 921600 ] && continue
        run "read-1MB" "$b" $mode keep --op read --addr 0x10000 --size 1048576
    done
done
run "chip_id" 115200 rom keep --op chip_id
# the seed's command with no --baud on a modelled CP2102 bridge
rm -f "$WORK/flash.bin"
"$BF" --port "sim://esp32?timing=1&flash=$WORK/flash.bin" --op erase --erase-first >/dev/null
line=$("$BF" --port "sim://esp32?timing=1&flash=$WORK/flash.bin" --usb 10c4:ea60 --op write --file "$WORK/app.bin" --addr 0x1000)
echo "label=seed-cp2102-default mode=stub req_baud=0 $line" | tee -a "$RES"
"$BF" --compressors "$WORK/app.bin" > "$WORK/comp.txt"

sh "$SRC/bench/report.sh" "$RES" "$WORK/comp.txt" "$WORK/app.bin" > "$OUT"
echo "bench: wrote $OUT (raw results in $RES)"
