#!/bin/sh
# The device suite: end-to-end checks of espload against any port — a real board, or a
# socket:// / rfc2217:// endpoint of an emulator or of espload-sim.
#   make test-device PORT=/dev/ttyUSB0 [CHIP=esp32] [SCRATCH=0x300000] [BAUD=460800]
# DESTRUCTIVE: it writes and erases SCRATCH .. SCRATCH+256 KiB of the chip's flash (default:
# the last quarter of a 4 MB chip), nothing else.
set -u
ESPLOAD=${ESPLOAD:-build/espload}
PORT=${PORT:?set PORT to the device, e.g. PORT=/dev/ttyUSB0}
CHIP=${CHIP:-auto}
SCRATCH=${SCRATCH:-0x300000}
BAUD=${BAUD:-460800}
T=$(mktemp -d "${TMPDIR:-/tmp}/el-device.XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
bad() { fail=$((fail + 1)); echo "not ok - $*"; sed 's/^/    | /' "$T/out" | tail -15; }
el() { timeout 300 "$ESPLOAD" --chip "$CHIP" --port "$PORT" "$@" >"$T/out" 2>&1; }
check() { # check DESC CMD...: the command succeeds
    desc=$1
    shift
    if el "$@"; then ok "$desc"; else bad "$desc (exit $?)"; fi
}
has() { grep -qF -- "$1" "$T/out"; }

# deterministic test data: 256 KiB of mixed compressible/incompressible bytes
head -c 131072 /dev/urandom >"$T/rand.bin"
yes "espload device suite" | head -c 131072 >"$T/text.bin"
cat "$T/rand.bin" "$T/text.bin" >"$T/data.bin"
head -c 65536 "$T/data.bin" >"$T/small.bin"
scratch2=$(printf '0x%x' $((SCRATCH + 0x10000)))

check "chip_id" chip_id
check "read_mac" read_mac && has "MAC:" || bad "read_mac prints a MAC"
check "flash_id" flash_id && has "Detected flash size" || bad "flash_id prints the size"

for mode in stub rom; do
    opt=""
    data="$T/data.bin"
    [ "$mode" = rom ] && opt="--no-stub" && data="$T/small.bin"
    size=$(wc -c <"$data")
    if el $opt write_flash -z "$SCRATCH" "$data" && has "Hash of data verified."; then
        ok "$mode: compressed write, verified"
    else bad "$mode: compressed write"; fi
    if el $opt read_flash "$SCRATCH" "$size" "$T/back.bin" && cmp -s "$data" "$T/back.bin"; then
        ok "$mode: read back equals what was written"
    else bad "$mode: read back"; fi
    check "$mode: verify_flash" $opt verify_flash "$SCRATCH" "$data"
    if el $opt write_flash -u "$scratch2" "$T/small.bin" && has "Hash of data verified."; then
        ok "$mode: uncompressed write, verified"
    else bad "$mode: uncompressed write"; fi
    check "$mode: erase_region" $opt erase_region "$SCRATCH" 0x20000
    head -c 4096 /dev/zero | tr '\0' '\377' >"$T/ff.bin"
    if el $opt read_flash "$SCRATCH" 4096 "$T/blank.bin" && cmp -s "$T/ff.bin" "$T/blank.bin"; then
        ok "$mode: erased region reads 0xFF"
    else bad "$mode: erased region reads 0xFF"; fi
done

case "$PORT" in
socket://*) echo "# baud change skipped: socket:// ports cannot change the baud rate" ;;
*)
    if el --baud "$BAUD" write_flash -z "$SCRATCH" "$T/data.bin" && has "Hash of data verified."; then
        ok "stub: write at $BAUD baud, verified"
    else bad "stub: write at $BAUD baud"; fi
    ;;
esac

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
