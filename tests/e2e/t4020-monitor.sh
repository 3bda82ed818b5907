#!/bin/sh
# espload monitor without a terminal: the virtual device over sim://, RFC 2217 and raw TCP,
# a MicroPython board on a pty and on TCP (banner recognised, Ctrl-C and Ctrl-D passed
# through), --log, --timestamps, --timeout, end of stdin, and bad options.
. "$(dirname "$0")/lib.sh"

python3 - "$T/boot.bin" <<'PY'
import struct, sys
data = bytes(range(16))
hdr = bytes([0xE9, 1, 2, 0x20]) + struct.pack('<I', 0x40080400)
ext = bytes([0xEE, 0, 0, 0]) + struct.pack('<H', 0) + bytes([0]) + struct.pack('<HH', 0, 0xFFFF) + bytes(5)
body = hdr + ext + struct.pack('<II', 0x40080400, len(data)) + data
cs = 0xEF
for b in data:
    cs ^= b
open(sys.argv[1], 'wb').write(body + bytes(15 - len(body) % 16) + bytes([cs]))
PY
python3 -c "import sys; open(sys.argv[1],'wb').write(b'\xff' * 4194304)" "$T/erased.bin"
cp "$T/erased.bin" "$T/flash.bin"
run "$ESPLOAD" --port "sim://esp32?flash=$T/flash.bin" write_flash 0x1000 "$T/boot.bin"
expect_rc 0 "bootloader written"

# sim://: the monitor resets the chip and shows its boot
run "$ESPLOAD" --port "sim://esp32?flash=$T/flash.bin" monitor --timeout 3 --log "$T/mon.log" </dev/null
expect_rc 0 "sim monitor"
expect_out "--- espload monitor on sim://esp32" "monitor header"
expect_out "rst:0x" "the reset's boot banner"
expect_out "entry 0x40080400" "the ROM loaded the bootloader"
expect_out "--- espload: verdict: boot-ok" "verdict at the end"
grep -q "entry 0x40080400" "$T/mon.log" && ok "--log holds the device output" || not_ok "--log content"
grep -q "^---" "$T/mon.log" && not_ok "--log has monitor notes" || ok "--log holds only device output"

# end of stdin ends the session once the device is quiet (no --timeout needed)
run "$ESPLOAD" --port "sim://esp32?flash=$T/flash.bin" monitor </dev/null
expect_rc 0 "end of stdin: the monitor stops by itself"
expect_out "entry 0x40080400" "end of stdin: output read first"

# timestamps
run "$ESPLOAD" --port "sim://esp32?flash=$T/flash.bin" monitor --timestamps --timeout 2 </dev/null
if grep -Eq '^\[[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}\] entry 0x40080400' "$T/out"; then
    ok "--timestamps prefixes device lines"
else
    not_ok "--timestamps: $(grep entry "$T/out")"
fi

# erased flash: the failure is announced while it happens
run "$ESPLOAD" --port "sim://esp32?flash=$T/erased.bin" monitor --timeout 2 </dev/null
expect_rc 0 "monitor on a failing board still exits 0"
expect_out "--- espload: no-bootloader:" "failure announced live"

# espload-sim over RFC 2217 (reset works) and raw TCP (no modem lines)
start_sim "$T/rfc.out" --flash "$T/flash.bin" --rfc2217 127.0.0.1:0 || not_ok "espload-sim rfc2217"
run "$ESPLOAD" --port "$(ready_name "$T/rfc.out")" monitor --timeout 3 </dev/null
expect_rc 0 "rfc2217 monitor"
expect_out "entry 0x40080400" "rfc2217: reset over the network shows the boot"
kill "$SIM_PID" 2>/dev/null
wait "$SIM_PID" 2>/dev/null
start_sim "$T/tcp.out" --flash "$T/erased.bin" --tcp 127.0.0.1:0 || not_ok "espload-sim tcp"
run "$ESPLOAD" --port "$(ready_name "$T/tcp.out")" monitor --timeout 2 </dev/null
expect_rc 0 "socket monitor"
expect_out "cannot reset the chip: press EN" "socket: explains that it cannot reset"
expect_out "invalid header: 0xffffffff" "socket: device output shown"
kill "$SIM_PID" 2>/dev/null
wait "$SIM_PID" 2>/dev/null

# a MicroPython board (a stand-in speaking like the seed's generic build) on TCP and a pty
cat >"$T/mpy.py" <<'PY'
import os, select, socket, sys, time
BANNER = (b"ets Jun  8 2016 00:22:57\r\n\r\nrst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)\r\n"
          b"entry 0x4007ad68\r\nI (228) cpu_start: Pro cpu up.\r\n"
          b"I (263) cpu_start: Pro cpu start user code\r\n"
          b"MicroPython v1.9.4-227-gab02abe9 on 2018-06-30; ESP32 module with ESP32\r\n"
          b"Type \"help()\" for more information.\r\n>>> ")
mode = sys.argv[1]
if mode == "tcp":
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    print(srv.getsockname()[1], flush=True)
    c, _ = srv.accept()
    fd = c.fileno()
    send, recv = c.sendall, lambda: c.recv(100)
else:
    import pty, tty
    m, s = pty.openpty()
    tty.setraw(s)
    os.symlink(os.ttyname(s), sys.argv[2])
    print(sys.argv[2], flush=True)
    fd = m
    send, recv = (lambda b: os.write(m, b)), (lambda: os.read(m, 100))
if mode == "tcp":
    send(BANNER)
end = time.time() + 30
while time.time() < end:
    if not select.select([fd], [], [], 0.1)[0]:
        continue
    try:
        d = recv()
    except OSError:
        break
    if not d:
        break
    for ch in d:
        if ch == 3:
            send(b"\r\nTraceback (most recent call last):\r\nKeyboardInterrupt: \r\n>>> ")
        elif ch == 4:
            send(b"\r\nMPY: soft reboot\r\nMicroPython v1.9.4-227-gab02abe9 on 2018-06-30; "
                 b"ESP32 module with ESP32\r\nType \"help()\" for more information.\r\n>>> ")
        elif ch == 13 and mode != "tcp":
            send(BANNER)
        else:
            send(bytes([ch]))
PY
python3 "$T/mpy.py" tcp >"$T/mpy.port" 2>&1 &
EL_BG_PIDS="$EL_BG_PIDS $!"
i=0
while [ ! -s "$T/mpy.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
printf 'x\003\004' >"$T/keys"
run "$ESPLOAD" --port "socket://127.0.0.1:$(cat "$T/mpy.port")" monitor --no-reset --timeout 5 <"$T/keys"
expect_rc 0 "MicroPython over TCP"
expect_out "--- MicroPython v1.9.4-227-gab02abe9 on ESP32 module with ESP32" "MicroPython version and board announced"
expect_out "KeyboardInterrupt" "Ctrl-C passed through"
expect_out "MPY: soft reboot" "Ctrl-D passed through"
expect_out "--- espload: verdict: micropython-repl" "verdict: MicroPython REPL"

python3 "$T/mpy.py" pty "$T/ttyMPY" >"$T/mpy.pty" 2>&1 &
EL_BG_PIDS="$EL_BG_PIDS $!"
i=0
while [ ! -s "$T/mpy.pty" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
printf '\r\003' >"$T/keys2"
run "$ESPLOAD" --port "$T/ttyMPY" monitor --no-reset --timeout 5 <"$T/keys2"
expect_rc 0 "MicroPython on a pty"
expect_out "MicroPython v1.9.4-227-gab02abe9 on 2018-06-30" "pty: the board's output shown"
expect_out "KeyboardInterrupt" "pty: Ctrl-C passed through"

# bad options
run "$ESPLOAD" --port "sim://esp32?flash=$T/flash.bin" monitor --timeout never </dev/null
expect_rc 2 "bad --timeout"
run "$ESPLOAD" --port "sim://esp32?flash=$T/flash.bin" monitor stray </dev/null
expect_rc 2 "stray argument"
run "$ESPLOAD" --port "sim://esp32?flash=$T/flash.bin" monitor --log /nonexistent/dir/x.log --timeout 1 </dev/null
expect_rc 3 "unwritable --log"
run "$ESPLOAD" --port /dev/nonexistent-espload-tty monitor --timeout 1 </dev/null
expect_rc 4 "missing port"

done_testing
