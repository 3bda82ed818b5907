#!/bin/sh
# Interrupted mid-write (Ctrl-C / SIGTERM): one fatal line, exit 130, never "Hash of data
# verified.". The simulator runs in real time (--timing on) so the write takes a while.
. "$(dirname "$0")/lib.sh"

P=$(free_port)
bg "$ESPLOAD_SIM" --chip esp32 --tcp "127.0.0.1:$P" --timing on --download-mode --quiet
sleep 1
head -c 1000000 /dev/urandom >"$T/r.bin"
for sig in INT TERM; do
    "$ESPLOAD" --chip esp32 --port "socket://127.0.0.1:$P" --no-stub --after no_reset \
        write_flash 0x10000 "$T/r.bin" >"$T/out" 2>&1 &
    pid=$!
    i=0
    while ! grep -q "Writing at" "$T/out" && [ $i -lt 100 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    kill -"$sig" "$pid"
    wait "$pid"
    RC=$?
    expect_rc 130 "SIG$sig during write_flash"
    expect_out "A fatal error occurred: interrupted by the user" "SIG$sig: message"
    expect_no_out "Hash of data verified." "SIG$sig: not verified"
    sleep 1
done

done_testing
