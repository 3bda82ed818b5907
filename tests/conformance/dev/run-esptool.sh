#!/bin/sh
# SPDX-License-Identifier: MIT
# Local-only conformance run (never in CI): Espressif's esptool, from a source
# tree, against the virtual ESP32 over its raw TCP (socket://) and RFC 2217
# (rfc2217://) endpoints. Python modules come from Debian packages
# (python3-serial python3-bitstring python3-cryptography python3-yaml
# python3-intelhex python3-click python3-rich-click); /usr/bin/python3 is used.
#
#   run-esptool.sh ESPTOOL_SRC [ESPLOAD_SIM] [socket|rfc2217|both]
#
# ESPTOOL_SRC: an unpacked esptool source tree (v4.x or v5.x). Prints one line per
# step: PASS/FAIL, version, transport, step; logs in $OUT (default /tmp/conf-esptool).
set -u
src=${1:?usage: run-esptool.sh ESPTOOL_SRC [ESPLOAD_SIM] [socket|rfc2217|both]}
src=$(cd "$src" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
sim=${2:-${ESPLOAD_SIM:-$root/build-conf/espload-sim}}
which=${3:-both}
py=${PYTHON:-/usr/bin/python3}
out=${OUT:-/tmp/conf-esptool}

ver=$(cd /tmp && PYTHONPATH=$src $py -m esptool version 2>/dev/null | tail -1)
case $ver in
4.*) v=4 ;;
5.*) v=5 ;;
*) echo "cannot run esptool from $src (got '$ver')" >&2; exit 2 ;;
esac
[ -x "$sim" ] || { echo "no simulator at $sim" >&2; exit 2; }
work=$out/v$ver
rm -rf "$work"
mkdir -p "$work"
cd "$work" || exit 2

# command names per major version
if [ $v = 4 ]; then
    C_CHIP=chip_id C_FID=flash_id C_MAC=read_mac C_WF=write_flash C_VF=verify_flash C_RF=read_flash
    C_EF=erase_flash C_ER=erase_region C_RM=read_mem C_WM=write_mem
else
    C_CHIP=chip-id C_FID=flash-id C_MAC=read-mac C_WF=write-flash C_VF=verify-flash C_RF=read-flash
    C_EF=erase-flash C_ER=erase-region C_RM=read-mem C_WM=write-mem
fi

# test images (deterministic)
$py - <<'EOF'
import random
r = random.Random(1)
a = bytearray()
for i in range(64):  # 256 KiB: random, pattern and 0xFF pieces
    k = i % 4
    if k in (0, 3):
        a += bytes(r.getrandbits(8) for _ in range(4096))
    elif k == 1:
        a += bytes([0xC0, 0xDB, 0xDC, 0xDD, 0xFF, 0x00] * 683)[:4096]
    else:
        a += b"\xff" * 4096
open("img1.bin", "wb").write(a)
open("img2.bin", "wb").write(bytes(r.getrandbits(8) for _ in range(10001)))
open("ff4k.bin", "wb").write(b"\xff" * 4096)
EOF

pass=0
fail=0
# step NAME EXPECTED_RC GREP_PATTERN -- esptool args...
step() {
    name=$1 want_rc=$2 pat=$3
    shift 4
    log=$work/$tr-$(echo "$name" | tr ' /' '__').log
    echo "\$ esptool $*" >"$log"
    PYTHONPATH=$src timeout 180 $py -m esptool --chip esp32 --port "$url" "$@" >>"$log" 2>&1
    rc=$?
    echo "rc=$rc" >>"$log"
    ok=1
    [ "$rc" = "$want_rc" ] || ok=0
    if [ -n "$pat" ] && ! grep -Eq "$pat" "$log"; then ok=0; fi
    if [ $ok = 1 ]; then
        pass=$((pass + 1))
        echo "PASS v$ver $tr $name"
    else
        fail=$((fail + 1))
        echo "FAIL v$ver $tr $name (rc=$rc, want $want_rc${pat:+, /$pat/}; log $log)"
    fi
    return $((1 - ok))
}
same() { # NAME FILE1 FILE2 [SKIP_BYTES_IN_FILE2]
    if cmp -s "$2" "$3"; then
        pass=$((pass + 1)); echo "PASS v$ver $tr $1"
    else
        fail=$((fail + 1)); echo "FAIL v$ver $tr $1 ($(cmp "$2" "$3" 2>&1 | head -1))"
    fi
}

run_transport() {
    tr=$1
    port=$($py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    rm -f flash-$tr.bin
    if [ $tr = socket ]; then
        url=socket://127.0.0.1:$port
        "$sim" --chip esp32 --download-mode --flash flash-$tr.bin --tcp 127.0.0.1:$port >sim-$tr.log 2>&1 &
    else
        url=rfc2217://127.0.0.1:$port
        "$sim" --chip esp32 --flash flash-$tr.bin --rfc2217 127.0.0.1:$port >sim-$tr.log 2>&1 &
    fi
    simpid=$!
    sleep 1
    B=""
    [ $tr = socket ] && B="--before no_reset"
    # ROM-only steps first: over socket:// nothing can reset the chip, so once a stub
    # has been uploaded it keeps answering every later session
    step "chip id (no stub)" 0 "" -- $B --no-stub $C_CHIP
    step "write -z (no stub)" 0 "Hash of data verified" -- $B --no-stub $C_WF -z 0x20000 img2.bin
    step "write -u (no stub)" 0 "Hash of data verified" -- $B --no-stub $C_WF -u 0x30000 img2.bin
    step "verify (no stub)" 0 "verify OK|[Vv]erification successful" -- $B --no-stub $C_VF 0x20000 img2.bin
    step "read (no stub, READ_FLASH_SLOW)" 0 "" -- $B --no-stub $C_RF 0x20000 10001 rd2.bin && same "read-back equals image (no stub)" img2.bin rd2.bin
    if [ $v = 4 ]; then # v4 has no ROM erase_region; v5 emulates it with FLASH_BEGIN
        step "erase region (no stub): refused by esptool" 2 "does not support" -- $B --no-stub $C_ER 0x30000 0x1000
    else
        step "erase region (no stub)" 0 "erased successfully" -- $B --no-stub $C_ER 0x30000 0x1000
        step "read erased (no stub)" 0 "" -- $B --no-stub $C_RF 0x30000 4096 rd4.bin && same "ROM-erased region reads 0xFF" ff4k.bin rd4.bin
    fi
    step "read mem (no stub)" 0 "0x00f01d83" -- $B --no-stub $C_RM 0x40001000
    step "chip id" 0 "" -- $B $C_CHIP
    step "flash id" 0 "Manufacturer: " -- $B $C_FID
    step "read mac" 0 "MAC: *([0-9a-f]{2}:){5}" -- $B $C_MAC
    step "write -z (stub)" 0 "Hash of data verified" -- $B $C_WF -z 0x10000 img1.bin
    step "verify (stub)" 0 "verify OK|[Vv]erification successful" -- $B $C_VF 0x10000 img1.bin
    step "read (stub)" 0 "" -- $B $C_RF 0x10000 262144 rd1.bin && same "read-back equals image (stub)" img1.bin rd1.bin
    step "write -u (stub)" 0 "Hash of data verified" -- $B $C_WF -u 0x60000 img2.bin
    step "erase region (stub)" 0 "" -- $B $C_ER 0x20000 0x1000
    step "read erased (stub)" 0 "" -- $B $C_RF 0x20000 4096 rd3.bin && same "erased region reads 0xFF" ff4k.bin rd3.bin
    step "read mem" 0 "0x00f01d83" -- $B $C_RM 0x40001000
    step "write mem" 0 "" -- $B $C_WM 0x3ffe0000 0x12345678 0xffffffff
    step "erase flash (stub)" 0 "" -- $B $C_EF
    step "verify after erase fails" 2 "" -- $B $C_VF 0x10000 img1.bin
    kill "$simpid" 2>/dev/null
    wait "$simpid" 2>/dev/null
}

case $which in
socket | both) run_transport socket ;;
esac
case $which in
rfc2217 | both) run_transport rfc2217 ;;
esac
echo "v$ver: $pass passed, $fail failed (logs in $work)"
[ $fail = 0 ]
