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
# the same reflashes on a revision-1 chip (no spurious watchdog reset after EN)
for f in app.bin app1.bin; do
    name=reflash-identical
    [ $f = app1.bin ] && name=reflash-1-sector
    tr '\000' '\377' < /dev/zero | head -c 4194304 > "$WORK/flash-r1.bin"
    dd if="$WORK/app.bin" of="$WORK/flash-r1.bin" bs=4096 seek=1 conv=notrunc 2>/dev/null
    line=$("$BF" --port "sim://esp32?timing=1&revision=1&flash=$WORK/flash-r1.bin" --baud 921600 \
        --op write --file "$WORK/$f" --addr 0x1000)
    echo "label=app:$name-rev1 mode=stub req_baud=921600 $line" | tee -a "$RES"
done
"$BF" --compressors "$WORK/app.bin" > "$WORK/comp.txt"

# --- the espload CLI on sim:// (modelled time) ---
CLI=$WORK/cli.txt
: > "$CLI"
# one CLI write on sim://: label, extra URL options, extra espload options
cli_write() {
    label=$1 opts=$2
    shift 2
    rm -f "$WORK/cli-flash.bin" "$WORK/cli-tr.jsonl"
    url="sim://esp32?timing=1${opts}&flash=$WORK/cli-flash.bin&transcript=$WORK/cli-tr.jsonl"
    t0=$(date +%s%N)
    rc=0
    "$BUILD/espload" --chip esp32 --port "$url" "$@" write_flash -z 0x1000 "$WORK/app.bin" \
        > "$WORK/cli-$label.out" 2>&1 || rc=$?
    t1=$(date +%s%N)
    wrote=$(sed -n 's/^Wrote .* in \([0-9.]*\) seconds.*/\1/p' "$WORK/cli-$label.out" | tail -1)
    baud=$(sed -n 's/^Changing baud rate to \([0-9]*\).*/\1/p' "$WORK/cli-$label.out" | tail -1)
    dev=0
    [ -s "$WORK/cli-tr.jsonl" ] &&
        dev=$(sed -n 's/^{"t_us":\([0-9]*\).*/\1/p' "$WORK/cli-tr.jsonl" | sort -n | tail -1)
    ok=0
    [ $rc = 0 ] && grep -q '^Hash of data verified' "$WORK/cli-$label.out" && ok=1
    why=$(grep -m1 'fatal error' "$WORK/cli-$label.out" | sed 's/.*: //' | tr ' ' '_' | cut -c1-120)
    echo "label=$label ok=$ok rc=$rc args=$(echo "$opts $*" | tr ' ' '_') baud=${baud:-115200}" \
        "write_s=${wrote:-0} session_dev_s=$(awk "BEGIN{printf \"%.3f\", $dev/1e6}")" \
        "wall_s=$(awk "BEGIN{printf \"%.3f\", ($t1-$t0)/1e9}") why=${why:--}" | tee -a "$CLI"
}
# the seed's command: no --baud, a CP2102 bridge (usb=10c4:ea60)
cli_write cli-seed-cp2102 "&usb=10c4:ea60"
# references: no bridge and no --baud (the rate stays 115200, esptool's default), and --baud 921600
cli_write cli-no-bridge-default ""
cli_write cli-baud-921600 "" --baud 921600
cli_write cli-baud-2000000 "" --baud 2000000

# start-up: wall time of a whole chip_id on sim:// (timing off: the virtual clock never
# sleeps, so this is espload's own start-up and work) against Python's start-up
median_ms() { # runs "$@" 21 times, prints the median wall time in ms
    for i in $(seq 21); do
        t0=$(date +%s%N)
        "$@" > /dev/null 2>&1 || true
        t1=$(date +%s%N)
        echo $(((t1 - t0) / 1000))
    done | sort -n | sed -n 11p | awk '{printf "%.1f", $1/1000}'
}
"$BUILD/espload" --port sim://esp32 chip_id > "$WORK/chipid.out" 2>&1 ||
    { echo "bench: espload chip_id on sim:// failed" >&2; exit 1; }
echo "label=startup what=espload~--port~sim://esp32~chip_id ms=$(median_ms "$BUILD/espload" --port sim://esp32 chip_id)" | tee -a "$CLI"
echo "label=startup what=python3~-S~-c~pass ms=$(median_ms python3 -S -c pass)" | tee -a "$CLI"
echo "label=startup what=python3~-c~'import~zlib,~hashlib,~argparse' ms=$(median_ms python3 -c 'import zlib, hashlib, argparse')" | tee -a "$CLI"
if python3 -c 'import esptool' 2>/dev/null; then
    echo "label=startup what=python3~-m~esptool~version ms=$(median_ms python3 -m esptool version)" | tee -a "$CLI"
fi

# --- side by side: espload CLI and esptool-js 0.7.0 over espload-sim's RFC 2217 endpoint ---
# (real time: the device's timing model runs against the wall clock; a fresh device each run)
SIDE=$WORK/side.txt
: > "$SIDE"
SIDE_BAUDS=${BENCH_SIDE_BAUDS-"115200 460800 921600 2000000"}
SIDE_FAST_BAUDS=${BENCH_SIDE_FAST_BAUDS-"921600 2000000"}
SIDE_ROM_BAUDS=${BENCH_SIDE_ROM_BAUDS-"115200 921600"}
CONF=$SRC/tests/conformance
if [ "${BENCH_SIDE:-on}" != off ]; then
    command -v node > /dev/null || { echo "bench: node is needed for the esptool-js runs (BENCH_SIDE=off skips them)" >&2; exit 1; }
    [ -f "$CONF/node_modules/esptool-js/package.json" ] || (cd "$CONF" && npm ci --no-audit --no-fund > /dev/null)
    side() { # client, op, mode, baud, extra args
        c=$1 o=$2 m=$3 b=$4
        shift 4
        line=$(node "$SRC/bench/sidebyside.mjs" --sim "$BUILD/espload-sim" --espload "$BUILD/espload" \
            --client "$c" --op "$o" --mode "$m" --baud "$b" --image "$WORK/app.bin" --addr 0x1000 \
            --work "$WORK/side" "$@" 2>> "$WORK/side.err" | grep '^label=') || true
        [ -n "$line" ] || line="label=side:$o client=$c mode=$m baud=$b op=$o ok=0 why=no_result_line"
        echo "$line" | tee -a "$SIDE"
    }
    for b in $SIDE_BAUDS; do
        for c in espload esptool-js; do side $c write stub "$b"; done
    done
    for b in $SIDE_FAST_BAUDS; do
        for c in espload esptool-js; do side $c reflash stub "$b"; done
        for c in espload esptool-js; do side $c read stub "$b"; done
    done
    side espload reflash stub 921600 --image "$WORK/app1.bin" --on-flash "$WORK/app.bin" --label reflash-1-sector
    for c in espload esptool-js; do
        side $c reflash stub 921600 --on-flash "$WORK/old.bin" --label write-over-old
    done
    for b in $SIDE_ROM_BAUDS; do
        for c in espload esptool-js; do side $c write rom "$b"; done
    done
fi

ESPTOOL_JS=$(node "$SRC/bench/sidebyside.mjs" --esptool-js-version 2>/dev/null || echo none)
sh "$SRC/bench/report.sh" "$RES" "$WORK/comp.txt" "$WORK/app.bin" "$SIDE" "$CLI" "$ESPTOOL_JS" > "$OUT"
echo "bench: wrote $OUT (raw results in $WORK)"
