#!/bin/sh
# espload over each transport to espload-sim: socket:// (no reset possible), rfc2217:// (reset
# and baud changes over the network), a pty (no modem lines; baud read back from termios).
. "$(dirname "$0")/lib.sh"


# --- socket:// ---
start_sim "$T/s" --download-mode --tcp 127.0.0.1:0 --flash "$T/flash_tcp.bin" || exit 1
url=$(ready_name "$T/s")
run "$ESPLOAD" --port "$url" chip_id
expect_rc 0 "chip_id over socket://"
expect_out "Chip is ESP32" "chip identified over socket://"
expect_out "It's not possible to reset the chip over a TCP socket" "socket:// explains that it cannot reset"
expect_no_out "A fatal error" "no error over socket://"
# a second run on the same server (the first client has left)
run "$ESPLOAD" --port "$url" read_mac
expect_rc 0 "read_mac over socket:// (second client)"
expect_out "MAC: 30:ae:a4:80:55:e0" "MAC over socket://"
python3 -c "import os; open('$T/blob.bin', 'wb').write(os.urandom(8192))"
run "$ESPLOAD" --port "$url" write_flash 0x20000 "$T/blob.bin"
expect_rc 0 "write_flash over socket://"
kill -INT "$SIM_PID"
wait "$SIM_PID"
RC=$?
expect_rc 0 "SIGINT: espload-sim exits cleanly"
[ "$(wc -c <"$T/flash_tcp.bin" 2>/dev/null)" = 4194304 ] && ok "4 MB flash file saved on exit" ||
    not_ok "flash file missing or wrong size"
dd if="$T/flash_tcp.bin" of="$T/back.bin" bs=4096 skip=32 count=2 2>/dev/null
expect_same_file "$T/blob.bin" "$T/back.bin" "data written over socket:// is in the saved flash file"

# --- rfc2217:// (revision 1: the classic reset works on the first attempt) ---
start_sim "$T/r" --revision 1 --rfc2217 127.0.0.1:0 || exit 1
url=$(ready_name "$T/r")
run "$ESPLOAD" --port "$url" chip_id
expect_rc 0 "chip_id over rfc2217:// with a DTR/RTS reset"
expect_out "Chip is ESP32" "chip identified over rfc2217://"
expect_no_out "not possible to reset" "rfc2217:// can reset"
grep -q "lines DTR=1 RTS=0" "$T/r.err" && ok "reset reached the device over RFC 2217" ||
    not_ok "no DTR/RTS change seen by the server"
# a higher baud after connecting: the server follows SET-BAUDRATE
run "$ESPLOAD" --port "$url" --baud 460800 read_flash 0 0x4000 "$T/rf.bin"
expect_rc 0 "read_flash at 460800 over rfc2217://"
expect_out "Changed." "baud changed over rfc2217://"
grep -q "client set 460800 baud" "$T/r.err" && ok "server saw SET-BAUDRATE 460800" ||
    not_ok "no SET-BAUDRATE 460800"
[ "$(wc -c <"$T/rf.bin")" -eq 16384 ] && ok "16 KiB read over rfc2217://" || not_ok "read size"
stop_sim

# --- pty ---
start_sim "$T/p" --download-mode --pty --pty-link "$T/tty" || exit 1
run "$ESPLOAD" --port "$T/tty" chip_id
expect_rc 0 "chip_id over a pty (default reset falls back to no reset)"
expect_out "resetting to bootloader has been disabled" "pty: no modem lines, told so"
run "$ESPLOAD" --port "$T/tty" --before no_reset --baud 460800 read_flash 0 0x4000 "$T/pf.bin"
expect_rc 0 "read_flash at 460800 over a pty"
expect_out "Changed." "baud changed over a pty"
[ "$(wc -c <"$T/pf.bin")" -eq 16384 ] && ok "16 KiB read over the pty" || not_ok "read size"
cmp -s "$T/pf.bin" "$T/rf.bin" && ok "same (blank) flash read over both transports" ||
    not_ok "flash contents differ"
stop_sim

# --- baud mismatch garbles, as on real hardware: once the ROM has locked onto 115200 (first
# SYNC), a host that switches its pty to 9600 gets no answer ---
start_sim "$T/m" --download-mode --pty --pty-link "$T/tty2" || exit 1
run python3 -c "
import os, termios, tty, time, select
fd = os.open('$T/tty2', os.O_RDWR | os.O_NOCTTY)
tty.setraw(fd)
def sync_at(speed):
    a = termios.tcgetattr(fd); a[4] = a[5] = speed; termios.tcsetattr(fd, termios.TCSANOW, a)
    time.sleep(0.05)
    termios.tcflush(fd, termios.TCIFLUSH)
    os.write(fd, b'\xc0\x00\x08\x24\x00\x00\x00\x00\x00\x07\x07\x12\x20' + b'\x55' * 32 + b'\xc0')
    buf = b''
    end = time.time() + 0.7
    while time.time() < end:
        if select.select([fd], [], [], 0.1)[0]:
            buf += os.read(fd, 4096)
    return buf.count(b'\xc0\x01\x08')
print('at115200', sync_at(termios.B115200), 'at9600', sync_at(termios.B9600))
"
expect_out "at115200 8 at9600 0" "after locking at 115200 the device does not understand 9600"
stop_sim
done_testing
