#!/bin/sh
# espload-sim endpoints (raw TCP, RFC 2217, pty) reached by an independent client (python3,
# standard library only): a SYNC gets the ROM's 8 replies; RFC 2217 DTR/RTS reset the chip.
. "$(dirname "$0")/lib.sh"

# expect_exact TEXT DESC: the whole output is TEXT
expect_exact() {
    if [ "$(cat "$T/out")" = "$1" ]; then ok "$2"; else
        not_ok "$2: output '$(head -c 200 "$T/out")', expected '$1'"; fi
}

cat >"$T/probe.py" <<'PY'
import os, select, socket, sys, time, termios, tty
IAC, SB, SE = 255, 250, 240
def slip(pkt):
    out = bytearray([0xc0])
    for b in pkt:
        out += {0xc0: b'\xdb\xdc', 0xdb: b'\xdb\xdd'}.get(b, bytes([b]))
    out.append(0xc0)
    return bytes(out)
SYNC = slip(bytes([0, 8, 36, 0, 0, 0, 0, 0]) + bytes([7, 7, 0x12, 0x20]) + b'\x55' * 32)
def strip_telnet(buf):
    out, i = bytearray(), 0
    while i < len(buf):
        c = buf[i]
        if c != IAC:
            out.append(c); i += 1; continue
        if i + 1 >= len(buf): break
        n = buf[i + 1]
        if n == IAC: out.append(IAC); i += 2
        elif n == SB:
            j = buf.find(bytes([IAC, SE]), i)
            if j < 0: break
            i = j + 2
        elif 251 <= n <= 254: i += 3
        else: i += 2
    return bytes(out)
def replies(buf):
    n = 0
    for fr in buf.split(b'\xc0'):
        fr = fr.replace(b'\xdb\xdc', b'\xc0').replace(b'\xdb\xdd', b'\xdb')
        if len(fr) >= 10 and fr[0] == 1 and fr[1] == 8:
            n += 1
    return n
def ctl(v):
    return bytes([IAC, SB, 44, 5, v, IAC, SE])
kind, target = sys.argv[1], sys.argv[2]
reset = len(sys.argv) > 3 and sys.argv[3] == 'reset'
if kind == 'pty':
    fd = os.open(target, os.O_RDWR | os.O_NOCTTY)
    tty.setraw(fd)
    termios.tcflush(fd, termios.TCIFLUSH)
    send = lambda b: os.write(fd, b)
    recv = lambda: os.read(fd, 4096)
else:
    host, port = target.rsplit(':', 1)
    s = socket.create_connection((host, int(port)), timeout=5)
    fd = s.fileno()
    send = s.sendall
    recv = lambda: s.recv(4096)
    if kind == 'rfc2217':
        send(bytes([IAC, 251, 44]))  # WILL COM-PORT-OPTION
        if reset:  # classic reset: EN low, then IO0 low while EN rises
            send(ctl(9) + ctl(11)); time.sleep(0.1)
            send(ctl(8) + ctl(12)); time.sleep(0.05)
            send(ctl(9))
time.sleep(0.3)
# drop the boot output, then SYNC
end = time.time() + 0.2
while time.time() < end:
    if select.select([fd], [], [], 0.05)[0]:
        if not recv(): break
buf = b''
send(SYNC)
end = time.time() + 2
while time.time() < end and replies(strip_telnet(buf)) < 8:
    if select.select([fd], [], [], 0.1)[0]:
        d = recv()
        if not d: break
        buf += d
print(replies(strip_telnet(buf)))
PY

# raw TCP, device held in download mode
start_sim "$T/tcp" --download-mode --tcp 127.0.0.1:0 || exit 1
name=$(ready_name "$T/tcp")
case "$name" in socket://127.0.0.1:[0-9]*) ok "ready line names the TCP port ($name)" ;; *) not_ok "ready line: $name" ;; esac
run python3 "$T/probe.py" tcp "${name#socket://}"
expect_exact 8 "raw TCP: SYNC answered 8 times"
# a second client while one is connected is turned away, the first keeps working
run python3 -c "
import socket,sys,time
a=socket.create_connection(('127.0.0.1',${name##*:}));time.sleep(0.2)
b=socket.create_connection(('127.0.0.1',${name##*:}));b.settimeout(3)
print('second-closed' if b.recv(10)==b'' else 'second-open')"
expect_out second-closed "second TCP client refused while one is connected"
run python3 "$T/probe.py" tcp "${name#socket://}"
expect_exact 8 "next client served after the others left"
kill "$SIM_PID"
wait "$SIM_PID" 2>/dev/null
RC=$?
expect_rc 0 "SIGTERM: espload-sim exits cleanly"

# RFC 2217: the chip boots from flash; a DTR/RTS reset over the network enters download mode
start_sim "$T/rfc" --revision 1 --rfc2217 127.0.0.1:0 || exit 1
name=$(ready_name "$T/rfc")
case "$name" in rfc2217://127.0.0.1:[0-9]*) ok "ready line names the RFC 2217 port" ;; *) not_ok "ready line: $name" ;; esac
run python3 "$T/probe.py" rfc2217 "${name#rfc2217://}"
expect_exact 0 "RFC 2217 without reset: the chip is not in the ROM loader (no SYNC replies)"
run python3 "$T/probe.py" rfc2217 "${name#rfc2217://}" reset
expect_exact 8 "RFC 2217: DTR/RTS reset into download mode, then SYNC answered 8 times"
grep -q "lines DTR=1 RTS=0" "$T/rfc.err" && ok "server logged the line change" || not_ok "no line log"
kill "$SIM_PID"
wait "$SIM_PID" 2>/dev/null

# pty with a link; the link disappears on exit
start_sim "$T/pty" --download-mode --pty --pty-link "$T/ttyESP" --once || exit 1
[ "$(ready_name "$T/pty")" = "$T/ttyESP" ] && ok "ready line names the pty link" || not_ok "pty ready line"
[ -c "$T/ttyESP" ] && ok "link points at a character device" || not_ok "no pty link"
run python3 "$T/probe.py" pty "$T/ttyESP"
expect_exact 8 "pty: SYNC answered 8 times"
i=0
while kill -0 "$SIM_PID" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
kill -0 "$SIM_PID" 2>/dev/null && not_ok "--once: still running after the pty client left" ||
    ok "--once: exited after the pty client left"
[ -e "$T/ttyESP" ] && not_ok "pty link left behind" || ok "pty link removed on exit"

# bad endpoints
run "$ESPLOAD_SIM" --tcp 127.0.0.1:notaport
[ "$RC" -ne 0 ] && ok "bad --tcp address refused (exit $RC)" || not_ok "bad --tcp accepted"
expect_out "cannot use address" "bad address named"
start_sim "$T/busy" --tcp 127.0.0.1:0 || exit 1
name=$(ready_name "$T/busy")
run "$ESPLOAD_SIM" --tcp "127.0.0.1:${name##*:}"
expect_out "Address already in use" "port in use reported"
kill "$SIM_PID"
run "$ESPLOAD_SIM"
expect_rc 2 "no endpoint is a usage error"
expect_out "no endpoint" "no endpoint named"
run "$ESPLOAD_SIM" --tcp 127.0.0.1:0 --no-such-option 3
expect_rc 2 "unknown device option rejected"
run "$ESPLOAD_SIM" --pty-link /tmp/x
expect_rc 2 "--pty-link without --pty rejected"
run "$ESPLOAD_SIM" --help
expect_out "--rfc2217 HOST:PORT" "--help documents the endpoints"
expect_out "flash-size" "--help lists the device options"
done_testing
