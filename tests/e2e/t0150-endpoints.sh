#!/bin/sh
# The same commands over every transport the simulator serves: socket:// (raw TCP, no reset
# lines), rfc2217:// (baud and DTR/RTS over the network) and a pseudo-terminal (the serial
# port code path). The flash file is shared, so each step sees the previous one's writes.
. "$(dirname "$0")/lib.sh"

sh "$EL_SRCDIR/scripts/demo.sh" --make-image "$T/image.bin"
head -c 200000 "$T/image.bin" >"$T/part.bin"

wait_ready() { # wait_ready FILE: the simulator's ready line
    i=0
    while ! grep -q "espload-sim: " "$1" 2>/dev/null && [ $i -lt 100 ]; do
        sleep 0.1
        i=$((i + 1))
    done
}

# --- socket:// ---
P=$(free_port)
bg "$ESPLOAD_SIM" --chip esp32 --flash "$T/board.bin" --tcp "127.0.0.1:$P" --download-mode \
    --quiet >"$T/sim1.log"
wait_ready "$T/sim1.log"
run "$ESPLOAD" --chip esp32 --port "socket://127.0.0.1:$P" --no-stub --after no_reset \
    write_flash -z 0x1000 "$T/part.bin"
expect_rc 0 "socket:// ROM: write_flash"
expect_out "Note: It's not possible to reset the chip over a TCP socket." "socket:// reset note"
expect_out "Hash of data verified." "socket:// ROM: verified"
expect_out "Staying in bootloader." "socket:// ROM: stays in the bootloader"
run "$ESPLOAD" --port "socket://127.0.0.1:$P" --no-stub --after no_reset chip_id
expect_rc 0 "socket:// --chip auto"
expect_out "Detecting chip type... ESP32" "socket:// detection"
run "$ESPLOAD" --chip esp32 --port "socket://127.0.0.1:$P" --after no_reset_stub \
    write_flash -z 0x1000 "$T/part.bin"
expect_rc 0 "socket:// stub: write_flash"
expect_out "Stub running..." "socket:// stub uploaded"
expect_out "Hash of data verified." "socket:// stub: verified"
expect_out "Staying in flasher stub." "socket:// stub: stays in the stub"
run "$ESPLOAD" --chip esp32 --port "socket://127.0.0.1:$P" --after no_reset_stub read_flash \
    0x1000 200000 "$T/back1.bin"
expect_rc 0 "socket:// read_flash from the running stub"
expect_out "Stub is already running. No upload is necessary." "stub found running"
expect_same_file "$T/back1.bin" "$T/part.bin" "socket:// read back"
run "$ESPLOAD" --chip esp32 --port "socket://127.0.0.1:$P" -b 921600 --after no_reset_stub \
    read_mac
expect_rc 0 "socket:// with --baud"
expect_out "MAC: 30:ae:a4:80:55:e0" "socket:// MAC"
# leaving the stub with --after no_reset returns to the ROM loader (esptool: FLASH_BEGIN(0,0)
# + FLASH_END(reboot): a CPU reset keeps the latched download boot mode)
run "$ESPLOAD" --chip esp32 --port "socket://127.0.0.1:$P" --after no_reset read_mac
expect_rc 0 "socket:// stub, --after no_reset"
expect_out "Staying in bootloader." "back to the bootloader"
run "$ESPLOAD" --chip esp32 --port "socket://127.0.0.1:$P" --no-stub --after no_reset \
    --connect-attempts 2 read_mac
expect_rc 0 "socket:// the ROM loader answers after leaving the stub"
stop_sims() {
    for p in $EL_BG_PIDS; do kill "$p" 2>/dev/null; done
    for p in $EL_BG_PIDS; do wait "$p" 2>/dev/null; done
    EL_BG_PIDS=""
}
stop_sims

# --- rfc2217:// (resets work: the board starts by booting from flash) ---
P=$(free_port)
bg "$ESPLOAD_SIM" --chip esp32 --flash "$T/board.bin" --rfc2217 "127.0.0.1:$P" --quiet \
    >"$T/sim2.log"
wait_ready "$T/sim2.log"
run "$ESPLOAD" --chip esp32 --port "rfc2217://127.0.0.1:$P" verify_flash 0x1000 "$T/part.bin"
expect_rc 0 "rfc2217:// verify_flash of the socket:// write"
expect_out "-- verify OK (digest matched)" "rfc2217:// verify OK"
expect_out "Hard resetting via RTS pin..." "rfc2217:// hard reset"
run "$ESPLOAD" --chip esp32 --port "rfc2217://127.0.0.1:$P" -b 460800 write_flash -z 0x1000 \
    "$T/image.bin"
expect_rc 0 "rfc2217:// write_flash with a baud change"
expect_out "Changing baud rate to 460800" "rfc2217:// baud change"
expect_out "Hash of data verified." "rfc2217:// verified"
run "$ESPLOAD" --chip esp32 --port "rfc2217://127.0.0.1:$P" --no-stub erase_region 0x200000 \
    0x10000
expect_rc 0 "rfc2217:// ROM erase_region"
stop_sims
# the simulator saved its flash on exit
tail -c +4097 "$T/board.bin" | head -c 1108080 >"$T/at1000.bin"
expect_same_file "$T/at1000.bin" "$T/image.bin" "flash file holds the rfc2217:// write"

# --- a pseudo-terminal: the serial port path (no modem lines: --before no_reset) ---
bg "$ESPLOAD_SIM" --chip esp32 --flash "$T/board.bin" --pty --pty-link "$T/tty" \
    --download-mode --quiet >"$T/sim3.log"
wait_ready "$T/sim3.log"
run "$ESPLOAD" --chip esp32 --port "$T/tty" --before no_reset --after no_reset_stub \
    verify_flash 0x1000 "$T/image.bin"
expect_rc 0 "pty: verify_flash"
expect_out "-- verify OK (digest matched)" "pty: verify OK"
run "$ESPLOAD" --chip esp32 --port "$T/tty" --before no_reset --after no_reset_stub \
    -b 230400 read_flash 0x1000 200000 "$T/back3.bin"
expect_rc 0 "pty: read_flash at 230400 baud"
expect_same_file "$T/back3.bin" "$T/part.bin" "pty: read back"

done_testing
