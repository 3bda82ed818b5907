#!/bin/sh
# Builds the libFuzzer targets of tests/fuzz (image parser, ELF reader / elf2image,
# partition tables) with clang and ASan+UBSan in their own build directory, runs each for a
# fixed time from its corpus (tests/fuzz/corpus/<name>/, copied: the run never writes into
# the source tree), then replays every corpus file, regression seeds included. Exits
# non-zero on any crash, leak or sanitizer report. FUZZ_SECONDS overrides the 20 s per target.
set -eu
SRC=$(cd "$(dirname "$0")/../.." && pwd)
B=${EL_FUZZ_BUILD:-$SRC/build-fuzz}
SECS=${FUZZ_SECONDS:-20}
CC=${CC_FUZZ:-clang}
command -v "$CC" >/dev/null || { echo "fuzz.sh: $CC not found (install clang)"; exit 1; }
mkdir -p "$B"
FLAGS="-g -O1 -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE -fno-omit-frame-pointer"
FLAGS="$FLAGS -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined"
LIBSRC="$SRC/src/image/*.c $SRC/src/chip/chips.c $SRC/src/common/err.c"
status=0
for t in image elf parttable; do
    echo "== fuzz_$t: build"
    # shellcheck disable=SC2086
    "$CC" $FLAGS -I"$SRC/include" -I"$SRC/src" -o "$B/fuzz_$t" "$SRC/tests/fuzz/fuzz_$t.c" \
        $LIBSRC -lmd
done
for t in image elf parttable; do
    work="$B/corpus_$t"
    rm -rf "$work" "$B/artifacts_$t"
    mkdir -p "$work" "$B/artifacts_$t"
    cp "$SRC/tests/fuzz/corpus/$t"/* "$work"/ 2>/dev/null || true
    echo "== fuzz_$t: ${SECS}s"
    if ! "$B/fuzz_$t" -max_total_time="$SECS" -rss_limit_mb=2048 -max_len=262144 \
        -artifact_prefix="$B/artifacts_$t/" -print_final_stats=1 "$work" \
        >"$B/fuzz_$t.log" 2>&1; then
        echo "fuzz_$t: CRASH (log: $B/fuzz_$t.log, input in $B/artifacts_$t/);"
        echo "  add the input to tests/fuzz/corpus/$t/ as regression_<what>.bin once fixed"
        tail -30 "$B/fuzz_$t.log"
        status=1
    else
        grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' "$B/fuzz_$t.log" || true
    fi
done
for t in image elf parttable; do
    n=$(ls "$SRC/tests/fuzz/corpus/$t" | wc -l | tr -d ' ')
    echo "== fuzz_$t: replay $n corpus and regression files"
    # shellcheck disable=SC2086
    if ! "$B/fuzz_$t" -runs=0 "$SRC/tests/fuzz/corpus/$t"/* >"$B/replay_$t.log" 2>&1; then
        echo "fuzz_$t: a corpus or regression file fails"
        tail -30 "$B/replay_$t.log"
        status=1
    fi
done
[ "$status" -eq 0 ] && echo "fuzz: no crashes"
exit "$status"
