#!/bin/sh
# The timing model on (as in benchmarks): writes through the ROM and through the stub still
# verify, at 115200 and after a baud change. Functional checks only (no timing assertions);
# the clock is virtual, so this runs instantly.
. "$(dirname "$0")/lib.sh"

head -c 150000 /dev/urandom >"$T/rand.bin"
for mode in stub rom; do
    opt=
    [ "$mode" = rom ] && opt=--no-stub
    for baud in 115200 921600; do
        run "$ESPLOAD" --chip esp32 --port "sim://esp32?timing=1&flash=$T/$mode.bin" -b $baud \
            $opt write_flash 0x10000 "$T/rand.bin"
        expect_rc 0 "$mode at $baud with timing: write_flash"
        expect_out "Hash of data verified." "$mode at $baud with timing: verified"
    done
done
cmp -s "$T/stub.bin" "$T/rom.bin" && ok "ROM and stub wrote the same flash" ||
    not_ok "ROM and stub flash differ"

done_testing
