#!/bin/sh
# SPDX-License-Identifier: MIT
# Conformance: drives the virtual ESP32 (espload-sim) with esptool-js 0.7.0 (npm)
# through its RFC 2217 endpoint: reset into the bootloader, detect, upload
# esptool-js's stub, change baud, write/verify/read 1 MB; and a ROM-only session;
# then the stub session once more with the device's timing model on.
# See docs/CONFORMANCE.md. Needs node (>= 18.20) and npm; fails when they are missing.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${EL_BUILDDIR:-${BUILD:-build}}
case $build in /*) ;; *) build=$root/$build ;; esac
sim=$build/espload-sim
conf=$root/tests/conformance

fail() {
    echo "conformance-esptool-js: $*" >&2
    exit 1
}

command -v node >/dev/null 2>&1 || fail "node not found; install nodejs (scripts/deps.sh)"
command -v npm >/dev/null 2>&1 || fail "npm not found; install npm (scripts/deps.sh)"
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>18||(a===18&&b>=20)?0:1)' ||
    fail "node $(node --version) is too old; esptool-js 0.7.0 needs node >= 18.20"
[ -x "$sim" ] || fail "$sim not found; build first (make build) or set EL_BUILDDIR"

cd "$conf"
log=$(mktemp)
npm ci --no-audit --no-fund --loglevel=error >"$log" 2>&1 || {
    cat "$log" >&2
    rm -f "$log"
    fail "npm ci failed in tests/conformance"
}
rm -f "$log"
# instant device first, then the stub session again with the device's timing model on
# (wire time at each baud, flash and CPU time: real-time over the network endpoint)
node esptool-js-check.mjs --sim "$sim" --case all --mode rfc2217
node esptool-js-check.mjs --sim "$sim" --case stub --mode rfc2217 --sim-arg --timing
