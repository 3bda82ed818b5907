#!/bin/sh
# espload doctor on captured boot logs (tests/data/bootlogs): the verdict code of every
# fixture through --log and stdin, text and JSON output, exit codes, and bad input.
. "$(dirname "$0")/lib.sh"
B="$EL_SRCDIR/tests/data/bootlogs"

# json_field FILE KEY: a top-level field of the JSON document in FILE (after any banner)
json_field() {
    python3 - "$1" "$2" <<'PY'
import json, sys
t = open(sys.argv[1]).read()
doc = json.loads(t[t.index("{"):])
v = doc[sys.argv[2]]
print(json.dumps(v) if isinstance(v, (dict, list, bool)) or v is None else v)
PY
}

check() { # check FIXTURE CODE RC
    run "$ESPLOAD" doctor --json --log "$B/$1"
    expect_rc "$3" "$1: exit code"
    v=$(json_field "$T/out" verdict 2>&1)
    if [ "$v" = "$2" ]; then ok "$1: verdict $2"; else not_ok "$1: verdict '$v', expected $2"; fi
}

check seed-esp32spiram-20180630-v1.9.4-227.log psram-missing 12
check seed-esp32spiram-20180719-v1.9.4-383.log psram-missing 12
check seed-esp32spiram-20180728-v1.9.4-410.log psram-missing 12
check seed-esp32-generic-20180630-v1.9.4-227.log micropython-repl 0
check download-mode-esp32.log download-mode 12
check download-mode-esp32s3.log download-mode 12
check no-bootloader-esp32.log no-bootloader 12
check no-bootloader-esp32s3.log no-bootloader 12
check not-an-image-esp32.log not-an-image 12
check not-an-image-esp32s3.log not-an-image 12
check wrong-chip-image-esp32s3.log wrong-chip-image 12
check wrong-chip-image-esp32s2.log wrong-chip-image 12
check flash-read-error-esp32.log flash-read-error 12
check flash-read-error-mtdi.log flash-read-error 12
check checksum-error-esp32c3.log checksum-error 12
check checksum-error-app.log checksum-error 12
check flash-size-mismatch-app.log flash-size-mismatch 12
check flash-size-mismatch-partition.log flash-size-mismatch 12
check flash-mode-qio-esp32.log flash-mode 12
check psram-missing-esp32s3-idf5.log psram-missing 12
check brownout-esp32.log brownout 12
check brownout-esp32s3.log brownout 12
check power-reset-loop-esp32.log power-reset-loop 12
check power-reset-loop-esp32c3.log power-reset-loop 12
check panic-esp32-loadprohibited.log panic 12
check panic-esp32c3-riscv.log panic 12
check watchdog-task.log watchdog 12
check watchdog-interrupt.log watchdog 12
check partition-table-missing.log partition-table 12
check partition-table-md5.log partition-table 12
check no-app-erased.log no-app 12
check no-app-too-big.log no-app 12
check secure-boot-rom.log secure-boot 12
check secure-boot-app-signature.log secure-boot 12
check flash-encryption-plaintext-app.log flash-encryption 12
check flash-encryption-failed.log flash-encryption 12
check micropython-repl-v1.22.log micropython-repl 0
check boot-ok-esp32-idf5.log boot-ok 0
check boot-ok-esp32c3.log boot-ok 0
check unknown-text.log unknown 12
check unknown-noise.bin unknown 12

# the seed, as a person reads it
run "$ESPLOAD" doctor --log "$B/seed-esp32spiram-20180719-v1.9.4-383.log"
expect_rc 12 "seed SPIRAM build: problem found"
expect_out "verdict: psram-missing: this firmware is built for boards with PSRAM (SPIRAM) and this board has none; flash the build without SPIRAM" "seed verdict line"
expect_out "[error] boot-loop" "seed: boot loop reported"
expect_out "seen: line 12: E (252) cpu_start: Failed to init external RAM!" "seed: evidence line"
expect_out "0x40090fa3" "seed: backtrace listed"
run "$ESPLOAD" doctor --log "$B/seed-esp32-generic-20180630-v1.9.4-227.log"
expect_rc 0 "seed generic build: healthy"
expect_out "MicroPython: v1.9.4-227-gab02abe9 on 2018-06-30, board: ESP32 module with ESP32" "MicroPython version and board"

# stdin, and --log -
run "$ESPLOAD" doctor <"$B/no-app-erased.log"
expect_rc 12 "piped log on stdin"
expect_out "verdict: no-app:" "stdin verdict"
run "$ESPLOAD" doctor --json --log - <"$B/boot-ok-esp32c3.log"
expect_rc 0 "--log - reads stdin"
[ "$(json_field "$T/out" healthy)" = "true" ] && ok "JSON healthy flag" || not_ok "JSON healthy flag"

# JSON: one entry per finding, stable codes, the panic
run "$ESPLOAD" doctor --json --log "$B/panic-esp32-loadprohibited.log"
python3 - "$T/out" >"$T/j" 2>&1 <<'PY'
import json, sys
t = open(sys.argv[1]).read()
d = json.loads(t[t.index("{"):])
codes = [f["code"] for f in d["findings"]]
print("codes", ",".join(codes))
print("pc", d["panic"]["pc"]["addr"], "cause", d["panic"]["cause_name"])
print("bt", len(d["panic"]["backtrace"]))
for f in d["findings"]:
    assert set(f) >= {"code", "severity", "what", "why", "fix", "evidence", "line", "count"}
print("fields ok")
PY
grep -q "codes panic,boot-loop" "$T/j" && ok "JSON findings: panic then boot-loop" || not_ok "JSON codes: $(cat "$T/j")"
grep -q "pc 0x400d5a1e cause LoadProhibited" "$T/j" && ok "JSON panic PC and cause" || not_ok "JSON panic: $(cat "$T/j")"
grep -q "bt 4" "$T/j" && ok "JSON backtrace" || not_ok "JSON backtrace: $(cat "$T/j")"
grep -q "fields ok" "$T/j" && ok "JSON finding fields" || not_ok "JSON fields: $(cat "$T/j")"

# bad input
run "$ESPLOAD" doctor --log "$T/nope.log"
expect_rc 3 "missing log file"
expect_out "cannot read the log" "missing log: message"
run "$ESPLOAD" doctor --reset sometimes --log "$B/boot-ok-esp32c3.log"
expect_rc 2 "bad --reset"
run "$ESPLOAD" doctor --timeout soon --log "$B/boot-ok-esp32c3.log"
expect_rc 2 "bad --timeout"
run "$ESPLOAD" doctor extra-argument
expect_rc 2 "positional argument rejected"
run "$ESPLOAD" doctor --elf "$B/boot-ok-esp32c3.log" --log "$B/panic-esp32c3-riscv.log"
expect_rc 3 "--elf that is not an ELF"
expect_out "not an ELF" "--elf: message"
head -c 2000000 /dev/urandom >"$T/random.bin"
run "$ESPLOAD" doctor --log "$T/random.bin"
expect_rc 12 "random bytes: no crash, a problem verdict"
expect_out "verdict: unknown" "random bytes: unknown"
python3 -c "import sys; sys.stdout.write('x' * 3000000 + 'invalid header: 0xffffffff')" >"$T/longline.log"
run "$ESPLOAD" doctor --log "$T/longline.log"
expect_rc 12 "3 MB line: bounded and no crash"
: >"$T/empty.log"
run "$ESPLOAD" doctor --log "$T/empty.log"
expect_rc 12 "empty log"
expect_out "no output from the board" "empty log: said so"

done_testing
