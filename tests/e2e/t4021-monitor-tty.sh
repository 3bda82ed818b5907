#!/bin/sh
# espload monitor on a terminal (a pseudo-terminal driven by python3): raw mode, Ctrl-T H
# help, Ctrl-T R reset, Ctrl-] quit, and the terminal settings restored afterwards, also
# when the monitor is stopped by SIGTERM.
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
python3 -c "import sys; open(sys.argv[1],'wb').write(b'\xff' * 4194304)" "$T/flash.bin"
run "$ESPLOAD" --port "sim://esp32?flash=$T/flash.bin" write_flash 0x1000 "$T/boot.bin"
expect_rc 0 "bootloader written"

cat >"$T/drive_term.py" <<'PY'
import os, pty, select, signal, sys, time
espload, port, mode = sys.argv[1], sys.argv[2], sys.argv[3]
pid, fd = pty.fork()
if pid == 0:
    os.execvp("sh", ["sh", "-c", 'stty -g; "$0" --port "$1" monitor --timeout 20; echo "RC=$?"; stty -g',
                     espload, port])
out = b""
def pump(secs, until=None):
    global out
    end = time.time() + secs
    while time.time() < end:
        r = select.select([fd], [], [], 0.05)[0]
        if r:
            try:
                d = os.read(fd, 4096)
            except OSError:
                return False
            if not d:
                return False
            out += d
            if until and until in out:
                return True
    return True
pump(10, b"entry 0x40080400")
boots_before = out.count(b"entry 0x40080400")
if mode == "keys":
    os.write(fd, b"\x14h")          # Ctrl-T H
    pump(3, b"Ctrl-] quit")
    os.write(fd, b"\x14r")          # Ctrl-T R
    end = time.time() + 10
    while out.count(b"entry 0x40080400") <= boots_before and time.time() < end:
        pump(0.2)
    os.write(fd, b"\x1d")           # Ctrl-]
elif mode == "sigterm":
    # the monitor is the sh child's child: find it by its parent
    kids = os.popen("ps -o pid= --ppid %d" % pid).read().split()
    for k in kids:
        os.kill(int(k), signal.SIGTERM)
pump(10, b"RC=")
pump(2)
os.waitpid(pid, 0)
text = out.decode(errors="replace").replace("\r", "")
lines = text.split("\n")
stty = [l for l in lines if ":" in l and l.count(":") > 10]
print("STTY-SAME" if len(stty) >= 2 and stty[0] == stty[-1] else "STTY-DIFF %r" % stty)
print("MORE-BOOTS" if text.count("entry 0x40080400") > boots_before else "SAME-BOOTS")
for l in lines:
    if l.startswith("RC=") or l.startswith("--- "):
        print(l)
PY
run python3 "$T/drive_term.py" "$ESPLOAD" "sim://esp32?flash=$T/flash.bin" keys
expect_out "--- espload monitor on sim://esp32" "terminal: header"
expect_out "Ctrl-] quits, Ctrl-T H shows the keys" "terminal: keys announced"
expect_out "--- espload monitor keys: Ctrl-] quit | Ctrl-T R reset the chip" "Ctrl-T H shows help"
expect_out "--- resetting the chip" "Ctrl-T R resets"
expect_out "MORE-BOOTS" "the chip boots again after Ctrl-T R"
expect_out "RC=0" "Ctrl-] quits with exit 0"
expect_out "STTY-SAME" "terminal settings restored after Ctrl-]"

run python3 "$T/drive_term.py" "$ESPLOAD" "sim://esp32?flash=$T/flash.bin" sigterm
expect_out "RC=130" "SIGTERM: exit 130"
expect_out "STTY-SAME" "terminal settings restored after SIGTERM"

done_testing
