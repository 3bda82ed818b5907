#!/bin/sh
# SPDX-License-Identifier: MIT
# Windows build: cross-compiles espload.exe with MinGW-w64 (cmake/mingw-w64.cmake) into
# build-win, then runs it under Wine against the Linux espload-sim:
#   - socket:// (Winsock): chip_id, write_flash with compression + MD5 verify, read back
#   - a COM port: Wine maps COMn to a Unix tty through $WINEPREFIX/dosdevices/comN; pointed at
#     the simulator's pty it exercises serial_win32.c (DCB, COMMTIMEOUTS, baud changes), but
#     has no modem lines (the client falls back to no reset, as on a Linux pty)
#   - a missing COM port
# Unit tests are not cross-built: cmocka has no MinGW package in Debian (docs/PORTS.md).
# Uses $EL_BUILDDIR/espload-sim (default ./build) for the simulator, building it if needed.
# Fails when a tool is missing (scripts/deps.sh installs them).
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
bdir=${EL_BUILDDIR:-$root/build}
wdir=$root/build-win
tmp=$(mktemp -d)
sim_pid=
cleanup() {
    [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null
    [ -d "${WINEPREFIX:-/nonexistent}" ] && wineserver -k 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
fail() {
    echo "windows: FAIL: $*" >&2
    [ -f "$tmp/out" ] && sed 's/^/    | /' "$tmp/out" >&2
    exit 1
}
ok() { echo "windows: ok: $*"; }

for tool in x86_64-w64-mingw32-gcc wine wineserver cmake python3; do
    command -v "$tool" >/dev/null 2>&1 ||
        fail "tool '$tool' not found (Debian: gcc-mingw-w64-x86-64 libz-mingw-w64-dev wine wine64)"
done
[ -f /usr/x86_64-w64-mingw32/include/zlib.h ] || fail "MinGW zlib missing (libz-mingw-w64-dev)"

# a private Wine prefix inside the build directory; the build runs the stub embedder under it
export WINEPREFIX="$wdir/wineprefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
mkdir -p "$wdir"
if [ ! -f "$WINEPREFIX/system.reg" ]; then
    timeout 300 wineboot -i >"$tmp/wineboot.log" 2>&1 || fail "wineboot failed"
fi
ok "Wine prefix ready ($WINEPREFIX)"

cmake -S "$root" -B "$wdir" -DCMAKE_TOOLCHAIN_FILE="$root/cmake/mingw-w64.cmake" \
    -DEL_TESTS=OFF -DCMAKE_BUILD_TYPE=Release >"$tmp/out" 2>&1 || fail "cmake configure"
cmake --build "$wdir" -j2 --target espload >"$tmp/out" 2>&1 || fail "cross build"
exe=$wdir/espload.exe
[ -f "$exe" ] || fail "no espload.exe"
head -c 2 "$exe" | grep -q MZ || fail "espload.exe is not a PE file"
ok "espload.exe built ($(wc -c <"$exe") bytes)"

sim=$bdir/espload-sim
if [ ! -x "$sim" ]; then
    cmake -S "$root" -B "$bdir" >/dev/null 2>&1 && cmake --build "$bdir" -j2 --target espload-sim \
        >"$tmp/out" 2>&1 || fail "native espload-sim build"
fi

run() { # run CMD...: output in $tmp/out, status in $rc
    set +e
    timeout 120 "$@" >"$tmp/out" 2>&1
    rc=$?
    set -e
}
start_sim() { # start_sim ARGS...: waits for the ready line; sets sim_pid and sim_name
    : >"$tmp/sim.out"
    "$sim" "$@" >"$tmp/sim.out" 2>"$tmp/sim.err" &
    sim_pid=$!
    i=0
    until grep -q "^espload-sim: .* on " "$tmp/sim.out"; do
        i=$((i + 1))
        [ $i -lt 200 ] && kill -0 "$sim_pid" 2>/dev/null || fail "espload-sim did not start"
        sleep 0.05
    done
    sim_name=$(sed -n 's/^espload-sim: [^ ]* on //p' "$tmp/sim.out" | head -1)
}
stop_sim() {
    kill "$sim_pid" 2>/dev/null
    wait "$sim_pid" 2>/dev/null || true
    sim_pid=
}

run wine "$exe" version
[ "$rc" -eq 0 ] && grep -q "espload v" "$tmp/out" || fail "espload.exe version (exit $rc)"
ok "espload.exe runs under Wine"

# --- socket:// through Winsock ---
python3 -c "import os; open('$tmp/app.bin','wb').write(os.urandom(65536) + bytes(65536))"
start_sim --download-mode --tcp 127.0.0.1:0 --flash "$tmp/flash_tcp.bin"
run wine "$exe" --port "$sim_name" chip_id
[ "$rc" -eq 0 ] && grep -q "Chip is ESP32" "$tmp/out" || fail "chip_id over socket:// (exit $rc)"
ok "chip_id over socket://"
run wine "$exe" --port "$sim_name" write_flash -z 0x10000 "$tmp/app.bin"
[ "$rc" -eq 0 ] && grep -q "Hash of data verified" "$tmp/out" ||
    fail "write_flash -z over socket:// (exit $rc)"
ok "write_flash -z over socket:// (zlib compression, MD5 verified)"
stop_sim
python3 - "$tmp/flash_tcp.bin" "$tmp/app.bin" <<'PY' || fail "flash contents differ from the image"
import sys
flash, app = open(sys.argv[1], 'rb').read(), open(sys.argv[2], 'rb').read()
sys.exit(0 if flash[0x10000:0x10000 + len(app)] == app else 1)
PY
ok "written image is in the simulator's flash"

# --- a COM port mapped by Wine onto the simulator's pty ---
start_sim --download-mode --pty --pty-link "$tmp/tty" --flash "$tmp/flash_tcp.bin"
mkdir -p "$WINEPREFIX/dosdevices"
ln -sfn "$tmp/tty" "$WINEPREFIX/dosdevices/com7"
run wine "$exe" --port COM7 chip_id
[ "$rc" -eq 0 ] && grep -q "Chip is ESP32" "$tmp/out" || fail "chip_id over COM7 (exit $rc)"
grep -q "resetting to bootloader has been disabled" "$tmp/out" ||
    fail "COM7 on a pty should report that it cannot reset"
ok "chip_id over COM7 (Wine -> pty; no modem lines, no reset)"
run wine "$exe" --port '\\.\COM7' --before no_reset --baud 460800 read_flash 0x10000 0x4000 \
    'Z:'"$tmp/rb.bin"
[ "$rc" -eq 0 ] && grep -q "Changed." "$tmp/out" || fail "read_flash at 460800 over \\\\.\\COM7 (exit $rc)"
head -c 16384 "$tmp/app.bin" | cmp -s - "$tmp/rb.bin" || fail "data read over COM7 differs"
ok "read_flash at 460800 over \\\\.\\COM7 returns the written data"
stop_sim
rm -f "$WINEPREFIX/dosdevices/com7"

run wine "$exe" --port COM42 chip_id
[ "$rc" -eq 4 ] && grep -q "cannot open 'COM42': no such port" "$tmp/out" ||
    fail "missing COM port: exit $rc"
ok "missing COM port: exit 4 with the port named"
echo "windows: all passed"
