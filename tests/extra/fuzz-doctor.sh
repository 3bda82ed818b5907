#!/bin/sh
# Fuzzes the boot-log doctor with libFuzzer (clang -fsanitize=fuzzer) for about 20 seconds,
# starting from tests/fuzz/corpus/doctor. Fails when clang or the fuzzer runtime is missing
# (scripts/deps.sh installs them), when the fuzzer finds a crash, or on a timeout.
set -eu
SRC=$(cd "$(dirname "$0")/../.." && pwd)
SECONDS_TO_RUN=${FUZZ_SECONDS:-20}
command -v clang >/dev/null 2>&1 || { echo "fuzz-doctor: clang is missing (run scripts/deps.sh)"; exit 1; }
W=$(mktemp -d "${TMPDIR:-/tmp}/el-fuzz-doctor.XXXXXX")
trap 'rm -rf "$W"' EXIT INT TERM
LIBDW_FLAGS=$(pkg-config --cflags --libs libdw 2>/dev/null || echo "-ldw -lelf")
if ! clang -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -D_DEFAULT_SOURCE -D_GNU_SOURCE -DEL_HAVE_LIBDW=1 -I"$SRC/include" -I"$SRC/src" \
    -o "$W/fuzz_doctor" "$SRC/tests/fuzz/fuzz_doctor.c" "$SRC"/src/doctor/*.c \
    "$SRC/src/chip/chips.c" "$SRC/src/common/err.c" $LIBDW_FLAGS -lmd 2>"$W/cc.err"; then
    echo "fuzz-doctor: cannot build the fuzzer (clang with libFuzzer: libclang-rt-dev):"
    cat "$W/cc.err"
    exit 1
fi
mkdir -p "$W/corpus"
cp "$SRC"/tests/fuzz/corpus/doctor/* "$W/corpus/"
cd "$W"
if ! ./fuzz_doctor -max_total_time="$SECONDS_TO_RUN" -max_len=8192 -timeout=10 -rss_limit_mb=512 \
    -print_final_stats=1 "$W/corpus" >"$W/log" 2>&1; then
    tail -40 "$W/log"
    for c in crash-* timeout-* oom-* leak-*; do
        [ -f "$c" ] && cp "$c" "$SRC/tests/fuzz/" && echo "fuzz-doctor: kept $c in tests/fuzz/"
    done
    echo "fuzz-doctor: FAILED"
    exit 1
fi
grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$W/log" || true
echo "fuzz-doctor: ok"
