# Shared helpers for end-to-end tests. Source it: . "$(dirname "$0")/lib.sh"
# Each test runs the real binaries ($ESPLOAD, $ESPLOAD_SIM) against the virtual device.
set -u
: "${ESPLOAD:?ESPLOAD must point at the espload binary}"
: "${ESPLOAD_SIM:?ESPLOAD_SIM must point at the espload-sim binary}"
: "${EL_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
T=$(mktemp -d "${TMPDIR:-/tmp}/el-e2e.XXXXXX")
EL_PASS=0
EL_FAIL=0
EL_BG_PIDS=""
el_cleanup() {
    for p in $EL_BG_PIDS; do kill "$p" 2>/dev/null; done
    rm -rf "$T"
}
trap el_cleanup EXIT INT TERM

ok() { EL_PASS=$((EL_PASS + 1)); echo "ok - $*"; }
not_ok() { EL_FAIL=$((EL_FAIL + 1)); echo "not ok - $*"; }

# run CMD...: runs a command with a timeout, stores stdout+stderr in $T/out and status in $RC
run() {
    timeout 120 "$@" >"$T/out" 2>&1
    RC=$?
}
expect_rc() { # expect_rc N description
    if [ "$RC" -eq "$1" ]; then ok "$2 (exit $RC)"; else
        not_ok "$2: exit $RC, expected $1"; sed 's/^/    | /' "$T/out" | tail -20; fi
}
expect_out() { # expect_out 'fixed string' description
    if grep -qF -- "$1" "$T/out"; then ok "$2"; else
        not_ok "$2: output lacks '$1'"; sed 's/^/    | /' "$T/out" | tail -20; fi
}
expect_no_out() {
    if grep -qF -- "$1" "$T/out"; then not_ok "$2: output has '$1'"; else ok "$2"; fi
}
expect_same_file() { # expect_same_file a b description
    if cmp -s "$1" "$2"; then ok "$3"; else not_ok "$3: $1 and $2 differ"; fi
}
# Prints an unused TCP port on 127.0.0.1
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
        echo $((20000 + $$ % 20000))
}
# Starts a background process, remembered for cleanup
bg() { "$@" & EL_BG_PIDS="$EL_BG_PIDS $!"; }

done_testing() {
    echo "$EL_PASS passed, $EL_FAIL failed"
    [ "$EL_FAIL" -eq 0 ] && [ "$EL_PASS" -gt 0 ]
    exit $?
}
