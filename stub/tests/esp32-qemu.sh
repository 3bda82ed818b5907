#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs espload with its built-in stub against the chip's mask ROM under QEMU (Espressif's
# esp32 machine for qemu-system-xtensa with the ECO3 ROM, or esp32c3 for
# qemu-system-riscv32). Not part of `make test`: that QEMU is not a Debian package. Usage:
#   QEMU=/path/to/qemu-system-xtensa QEMU_BIOS=/path/to/pc-bios sh stub/tests/esp32-qemu.sh [BUILD_DIR]
#   CHIP=esp32c3 QEMU=/path/to/qemu-system-riscv32 QEMU_BIOS=... sh stub/tests/esp32-qemu.sh
# Checks: stub upload and OHAI on the real ROM, flash ID through the stub, compressed and
# plain writes with MD5 verification (blank and dirty flash), READ_FLASH read-back,
# ERASE_REGION, SYNC detecting the running stub, FLASH_END(0) returning to the ROM loader.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
bdir=${1:-${EL_BUILDDIR:-$root/build}}
: "${QEMU:?set QEMU to qemu-system-xtensa (esp32) or qemu-system-riscv32 (esp32c3)}"
: "${QEMU_BIOS:?set QEMU_BIOS to the directory holding esp32-v3-rom.bin / esp32c3-rom.bin}"
chip=${CHIP:-esp32}
case $chip in
esp32) strap=0x0f ;;  # boot:0xf UART_BOOT(UART0)
esp32c3) strap=0x02 ;; # UART0 download mode
*) echo "esp32-qemu: CHIP must be esp32 or esp32c3" >&2; exit 2 ;;
esac
E=$bdir/espload
[ -x "$E" ] || { echo "esp32-qemu: $E not built" >&2; exit 1; }
tmp=$(mktemp -d)
port=$((47000 + $$ % 900))
qpid=
cleanup() {
    [ -n "$qpid" ] && kill "$qpid" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
fail() {
    echo "esp32-qemu: FAIL: $*" >&2
    exit 1
}
ok() { echo "esp32-qemu: ok: $*"; }

head -c $((4 << 20)) /dev/zero | tr '\0' '\377' >"$tmp/flash.bin"
"$QEMU" -nographic -machine "$chip" -L "$QEMU_BIOS" \
    -drive file="$tmp/flash.bin",if=mtd,format=raw \
    -global driver="$chip".gpio,property=strap_mode,value=$strap \
    -serial tcp:127.0.0.1:$port,server,nowait -monitor none >"$tmp/qemu.log" 2>&1 &
qpid=$!
sleep 2
P="--chip $chip --port socket://127.0.0.1:$port --before no_reset"
run() { timeout 600 "$E" $P "$@" >"$tmp/out" 2>&1; }

run --after no_reset_stub flash_id || fail "flash_id: $(tail -3 "$tmp/out")"
grep -q "Stub running" "$tmp/out" || fail "stub did not start"
grep -q "Detected flash size" "$tmp/out" || fail "no flash ID through the stub"
ok "$chip: stub uploaded and running on the ROM; $(grep Manufacturer "$tmp/out")"

head -c 300000 /dev/urandom >"$tmp/rnd.bin"
(cat "$root"/stub/core/*.c "$root"/docs/*.md; head -c 100000 /dev/zero | tr '\0' '\377') >"$tmp/txt.bin"
run --after no_reset_stub write_flash 0x10000 "$tmp/txt.bin" 0x100000 "$tmp/rnd.bin" ||
    fail "write_flash: $(tail -3 "$tmp/out")"
grep -q "Stub is already running\|Stub flasher is already running" "$tmp/out" ||
    fail "SYNC did not detect the running stub"
[ "$(grep -c "Hash of data verified" "$tmp/out")" = 2 ] || fail "hash not verified"
ok "SYNC found the stub; write_flash (blank flash) verified"
run --after no_reset_stub write_flash 0x10000 "$tmp/txt.bin" || fail "rewrite"
grep -q "Hash of data verified" "$tmp/out" || fail "rewrite not verified"
ok "compressed rewrite over written flash verified"
run --after no_reset_stub read_flash 0x100000 300000 "$tmp/back.bin" || fail "read_flash"
cmp -s "$tmp/back.bin" "$tmp/rnd.bin" || fail "read_flash data differs"
ok "read_flash returns the written data"
run --after no_reset_stub erase_region 0x100000 0x10000 || fail "erase_region"
run --after no_reset_stub read_flash 0x100000 0x11000 "$tmp/back2.bin" || fail "read_flash 2"
head -c $((0x10000)) /dev/zero | tr '\0' '\377' >"$tmp/ff.bin"
head -c $((0x10000)) "$tmp/back2.bin" | cmp -s - "$tmp/ff.bin" || fail "region not erased"
tail -c $((0x1000)) "$tmp/back2.bin" >"$tmp/b2tail"
dd if="$tmp/rnd.bin" bs=4096 skip=16 count=1 2>/dev/null | cmp -s - "$tmp/b2tail" ||
    fail "erase_region went past its end"
ok "erase_region erased exactly its region"
if [ "$chip" = esp32c3 ]; then
    # no --chip: detection from the running stub's GET_SECURITY_INFO reply
    timeout 600 "$E" --port socket://127.0.0.1:$port --before no_reset --after no_reset_stub \
        get_security_info >"$tmp/out" 2>&1 || fail "get_security_info: $(tail -3 "$tmp/out")"
    grep -q "Chip ID: 5" "$tmp/out" || fail "security info lacks chip id 5"
    ok "GET_SECURITY_INFO from the running stub (chip detected without --chip)"
fi
run --after no_reset flash_id || fail "flash_id, after no_reset"
grep -q "Staying in bootloader" "$tmp/out" || fail "did not leave the stub"
sleep 1
run --after no_reset_stub flash_id || fail "reconnect after leaving the stub"
grep -q "Uploading stub" "$tmp/out" || fail "the ROM loader did not answer after FLASH_END(0)"
ok "FLASH_END(0) returned to the ROM loader"
echo "esp32-qemu: all checks passed"
