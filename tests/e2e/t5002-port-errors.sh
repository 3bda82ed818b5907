#!/bin/sh
# Port-level failures: missing device, refused/unresolvable network ports, a raw TCP server
# mistaken for RFC 2217, a port held by another process (advisory lock), permissions.
. "$(dirname "$0")/lib.sh"


run "$ESPLOAD" --port /dev/ttyUSB_el_missing9 chip_id
expect_rc 4 "missing serial port: exit 4"
expect_out "cannot open '/dev/ttyUSB_el_missing9': no such port; check the cable and \`espload --port\` name (available: " "missing port message names the fix and the candidates"

run "$ESPLOAD" --port /dev/null chip_id
expect_rc 4 "not a tty: exit 4"
expect_out "not a serial port" "not a tty named"

port=$(free_port)
run "$ESPLOAD" --port "socket://127.0.0.1:$port" chip_id
expect_rc 4 "refused TCP connection: exit 4"
expect_out "connection refused" "refusal named"

run "$ESPLOAD" --port "socket://no-such-host.invalid:5555" chip_id
expect_rc 4 "unknown host: exit 4"
expect_out "cannot resolve host" "resolution failure named"

run "$ESPLOAD" --port "socket://127.0.0.1" chip_id
expect_rc 2 "socket:// without a port is a usage error"

run "$ESPLOAD" --port "gopher://x:1" chip_id
expect_rc 2 "unknown scheme is a usage error"
expect_out "unknown port scheme" "unknown scheme named"

# an RFC 2217 client against a raw TCP server: no negotiation, a clear hint
start_sim "$T/raw" --tcp 127.0.0.1:0 || exit 1
url=$(ready_name "$T/raw")
run "$ESPLOAD" --port "rfc2217://${url#socket://}?timeout=0.5" chip_id
expect_rc 4 "rfc2217:// to a raw TCP server: exit 4"
expect_out "for raw TCP use socket://" "hint to use socket://"
kill "$SIM_PID"

# exclusive access: a port locked by another process is busy, and the holder is named
start_sim "$T/pty" --download-mode --pty --pty-link "$T/tty" || exit 1
python3 -c "
import fcntl, os, sys, time
fd = os.open('$T/tty', os.O_RDWR | os.O_NOCTTY)
fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
open('$T/locked', 'w').close()
time.sleep(30)
" &
HOLDER=$!
EL_BG_PIDS="$EL_BG_PIDS $HOLDER"
i=0
while [ ! -e "$T/locked" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
run "$ESPLOAD" --port "$T/tty" --before no_reset chip_id
expect_rc 4 "locked port: exit 4"
expect_out "port busy: in use by pid $HOLDER (python3)" "busy message names the holding process"
kill "$HOLDER"
wait "$HOLDER" 2>/dev/null
run "$ESPLOAD" --port "$T/tty" --before no_reset chip_id
expect_rc 0 "port usable once the holder is gone"

# permission: as an unprivileged user, a root-only tty gives a dialout hint
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1; then
    dev=$(readlink "$T/tty")
    chmod 0660 "$dev" && chgrp dialout "$dev" 2>/dev/null || chgrp 20 "$dev"
    chmod o+x "$T"
    run setpriv --reuid=65534 --regid=65534 --clear-groups "$ESPLOAD" --port "$dev" chip_id
    expect_rc 4 "no permission: exit 4"
    expect_out "permission denied; add your user to the \`dialout\` group" "permission message suggests dialout"
else
    echo "# skip: the permission check needs root and setpriv"
fi
kill "$SIM_PID"
done_testing
