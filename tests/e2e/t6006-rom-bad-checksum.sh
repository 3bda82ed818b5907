#!/bin/sh
# A data block that arrives with a bad checksum in ROM mode (--no-stub): the ESP32 ROM
# answers 01 07 but has counted the block, so resending it would be refused (01 05) and the
# write cannot be completed. espload must fail and never claim a verified hash.
# The corrupted byte is placed inside the third data frame of a clean run's transcript.
. "$(dirname "$0")/lib.sh"

# byte index (0-based, over every host byte) of the K-th frame with opcode OP
frame_start() { # frame_start TRANSCRIPT OP K
    python3 - "$1" "$2" "$3" <<'PY'
import json, sys
path, op, k = sys.argv[1], sys.argv[2], int(sys.argv[3])
total = n = 0
for line in open(path):
    j = json.loads(line)
    if j.get("dir") != "in" or "hex" not in j:
        continue
    b = bytes.fromhex(j["hex"])
    if j.get("op") == op:
        n += 1
        if n == k:
            print(total)
            break
    total += 2 + sum(2 if x in (0xC0, 0xDB) else 1 for x in b)
PY
}

head -c 20000 /dev/urandom >"$T/random.bin"
seq 1 40000 >"$T/text.bin"

for case in "random.bin FLASH_DATA -u" "text.bin FLASH_DEFL_DATA -z"; do
    set -- $case
    img=$1 op=$2 mode=$3
    F="$T/flash-$op.bin"
    run "$ESPLOAD" --chip esp32 --port "sim://esp32?flash=$F&flash-size=2MB&transcript=$T/clean.json" \
        --no-stub write_flash "$mode" 0x10000 "$T/$img"
    expect_rc 0 "$op: clean ROM write"
    expect_out "Hash of data verified." "$op: clean write verified"
    start=$(frame_start "$T/clean.json" "$op" 3)
    if [ -z "$start" ]; then
        not_ok "$op: no third $op frame in the clean transcript"
        continue
    fi
    n=$((start + 300))
    rm -f "$F"
    run "$ESPLOAD" --chip esp32 \
        --port "sim://esp32?flash=$F&flash-size=2MB&fault=corrupt@$n&transcript=$T/bad.json" \
        --no-stub write_flash "$mode" 0x10000 "$T/$img"
    if grep -q "\"op\":\"$op\".*\"status\":1,\"error\":7" "$T/bad.json"; then
        ok "$op: the corrupted byte gave a checksum error (01 07)"
    else
        not_ok "$op: no checksum error in the transcript (fault at byte $n missed the payload)"
    fi
    # the ROM has counted the rejected block: a resend could only get 01 05, so espload
    # stops at the first error and names it
    if grep -q "\"op\":\"$op\".*\"status\":1,\"error\":5" "$T/bad.json"; then
        not_ok "$op: the block was resent after the ROM counted it (01 05 seen)"
    else
        ok "$op: no futile resend of a block the ROM already counted"
    fi
    expect_out "checksum error" "$op: the error names the checksum error"
    if [ "$RC" -ne 0 ]; then ok "$op: espload fails (exit $RC)"; else
        not_ok "$op: espload exit 0 after a lost block"; sed 's/^/    | /' "$T/out" | tail -20; fi
    expect_no_out "Hash of data verified." "$op: no verified hash claimed"
done

done_testing
