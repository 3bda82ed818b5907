#!/bin/sh
# The device suite (tests/device/run.sh, `make test-device`) against espload-sim's RFC 2217
# endpoint, as it would run against a board: reset, stub and ROM paths, baud change.
. "$(dirname "$0")/lib.sh"

start_sim "$T/sim" --chip esp32 --flash "$T/flash.bin" --flash-size 4MB --rfc2217 127.0.0.1:0 ||
    { not_ok "simulator did not start"; done_testing; }
port=$(ready_name "$T/sim")
if PORT="$port" CHIP=esp32 ESPLOAD="$ESPLOAD" sh "$EL_SRCDIR/tests/device/run.sh" >"$T/out" 2>&1; then
    ok "device suite passes against $port"
else
    not_ok "device suite against $port"
    sed 's/^/    | /' "$T/out" | tail -30
fi
expect_out "0 failed" "suite reports no failure"
expect_out "ok - stub: write at 460800 baud, verified" "baud change exercised"
expect_out "ok - rom: read back equals what was written" "ROM path exercised"
stop_sim
done_testing
