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

# start_sim OUT ARGS...: starts espload-sim in the background (stdout in OUT, stderr in OUT.err)
# and waits for its ready line ("espload-sim: esp32 on socket://..."); SIM_PID is its pid
start_sim() {
    out=$1
    shift
    : >"$out"
    "$ESPLOAD_SIM" "$@" >"$out" 2>"$out.err" &
    SIM_PID=$!
    EL_BG_PIDS="$EL_BG_PIDS $SIM_PID"
    i=0
    while [ $i -lt 200 ]; do
        grep -q "^espload-sim: .* on " "$out" && return 0
        kill -0 "$SIM_PID" 2>/dev/null || break
        sleep 0.05
        i=$((i + 1))
    done
    echo "espload-sim did not get ready:" && cat "$out" "$out.err"
    return 1
}
# ready_name OUT: the port name from the ready line
ready_name() { sed -n 's/^espload-sim: [^ ]* on //p' "$1" | head -1; }
# stop_sim: stops the last simulator started (it saves its flash file on the way out)
stop_sim() {
    kill "$SIM_PID" 2>/dev/null
    wait "$SIM_PID" 2>/dev/null
}
