#!/bin/sh
# rfc2217:// through Debian's ser2net (RFC 2217 server) in front of espload-sim's pty.
# A pty has no modem lines, so ser2net cannot set DTR/RTS and does not confirm SET-CONTROL:
# connect without reset, or tell the client not to wait (?ign_set_control).
. "$(dirname "$0")/lib.sh"

if ! command -v ser2net >/dev/null 2>&1; then
    not_ok "ser2net is not installed (scripts/deps.sh installs it)"
    done_testing
fi


# each case starts from a fresh device waiting in download mode (ser2net opens the pty link
# anew for every connection)
fresh_sim() {
    if [ -n "${SIM_PID:-}" ]; then
        kill "$SIM_PID" 2>/dev/null
        wait "$SIM_PID" 2>/dev/null
    fi
    start_sim "$T/sim" --download-mode --pty --pty-link "$T/tty" || exit 1
}
SIM_PID=
fresh_sim
port=$(free_port)
cat >"$T/ser2net.yaml" <<YAML
connection: &esp
    accepter: telnet(rfc2217),tcp,127.0.0.1,$port
    enable: on
    options:
      kickolduser: true
      chardelay: false
    connector: serialdev,$T/tty,115200n81,local
YAML
ser2net -n -d -c "$T/ser2net.yaml" -P "$T/ser2net.pid" >"$T/ser2net.log" 2>&1 &
S2N=$!
EL_BG_PIDS="$EL_BG_PIDS $S2N"
i=0
until python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1).close()" 2>/dev/null; do
    i=$((i + 1))
    if [ $i -gt 100 ] || ! kill -0 "$S2N" 2>/dev/null; then
        not_ok "ser2net did not start"
        sed 's/^/    | /' "$T/ser2net.log"
        done_testing
    fi
    sleep 0.05
done
ok "ser2net listens on $port"
url="rfc2217://127.0.0.1:$port"

run "$ESPLOAD" --port "$url" --before no_reset --after no_reset chip_id
expect_rc 0 "chip_id through ser2net without reset"
expect_out "Chip is ESP32" "chip identified through ser2net"

fresh_sim
run "$ESPLOAD" --port "$url?ign_set_control" chip_id
expect_rc 0 "default reset with ?ign_set_control (lines cannot cross the pty; ignored)"
expect_out "MAC: 30:ae:a4:80:55:e0" "MAC read through ser2net"

fresh_sim
run "$ESPLOAD" --port "$url?timeout=0.5" --connect-attempts 1 chip_id
expect_rc 5 "default reset waiting for SET-CONTROL answers fails"
expect_out "did not confirm the DTR change" "unanswered DTR change reported"
expect_out "ign_set_control" "fix named"

# SET-BAUDRATE through ser2net reaches the pty's termios, which the simulator follows
fresh_sim
run "$ESPLOAD" --port "$url" --before no_reset --after no_reset --baud 460800 read_flash 0 0x1000 "$T/rf.bin"
expect_rc 0 "read_flash at 460800 through ser2net"
expect_out "Changed." "baud change through ser2net"
[ "$(wc -c <"$T/rf.bin" 2>/dev/null)" = 4096 ] && ok "4 KiB read" || not_ok "read size"

kill "$S2N" 2>/dev/null
sleep 0.2
kill -9 "$S2N" 2>/dev/null
kill "$SIM_PID"
done_testing
