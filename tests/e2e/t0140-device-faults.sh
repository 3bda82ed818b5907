#!/bin/sh
# Bad devices and bad requests, each with its message and exit code: a region past the end
# of flash, a device that never answers, one that stops answering or vanishes mid-write, a
# device error status, write-protected flash, a busy port. Never "Hash of data verified."
# when it was not.
. "$(dirname "$0")/lib.sh"

sh "$EL_SRCDIR/scripts/demo.sh" --make-image "$T/image.bin"
head -c 65536 "$T/image.bin" >"$T/small.bin"

# --- regions past the end of the flash: exit 11, nothing sent to the flash ---
head -c 2097152 "$T/image.bin" >"$T/big.bin"
cat "$T/image.bin" "$T/image.bin" >>"$T/big.bin"
run "$ESPLOAD" --chip esp32 --port "sim://esp32?flash-size=2MB" write_flash 0x1000 "$T/big.bin"
expect_rc 11 "write past the end of a 2 MB flash"
expect_out "will not fit in 2097152 bytes of flash" "size message (esptool's)"
expect_no_out "Writing at" "nothing written"
run "$ESPLOAD" --chip esp32 --port "sim://esp32?flash-size=4MB" write_flash -fs 1MB 0x1000 \
    "$T/image.bin"
expect_rc 11 "write past a smaller --flash_size"
run "$ESPLOAD" --chip esp32 --port "sim://esp32?flash-size=4MB" read_flash 0x3ff000 0x2000 \
    "$T/r.bin"
expect_rc 11 "read_flash past the end"
expect_out "goes past the end of the 4MB flash" "read_flash size message"
run "$ESPLOAD" --chip esp32 --port "sim://esp32?flash-size=4MB" erase_region 0x3ff000 0x2000
expect_rc 11 "erase_region past the end"
run "$ESPLOAD" --chip esp32 --port "sim://esp32?flash-size=4MB" verify_flash 0x3ff000 \
    "$T/small.bin"
expect_rc 11 "verify_flash past the end"
run "$ESPLOAD" --chip esp32 --port "sim://esp32?flash-size=4MB" read_flash 0x100000 ALL \
    "$T/all.bin"
expect_rc 0 "read_flash ... ALL reads to the end"
expect_out "Detected flash size: 4MB" "ALL: detected size line"
[ "$(wc -c <"$T/all.bin" | tr -d ' ')" -eq 3145728 ] && ok "ALL: 3 MB read" || not_ok "ALL size"

# --- a device that never answers: exit 5 ---
P=$(free_port)
bg "$ESPLOAD_SIM" --chip esp32 --tcp "127.0.0.1:$P" --fault stall@0 --download-mode --quiet
sleep 1
run "$ESPLOAD" --chip esp32 --port "socket://127.0.0.1:$P" --connect-attempts 2 read_mac
expect_rc 5 "silent device: cannot connect"
expect_out "Failed to connect to ESP32" "silent device: esptool's message"
expect_out "Note: It's not possible to reset the chip over a TCP socket." "socket:// reset note"
expect_no_out "Chip is" "silent device: no chip line"

# --- stops answering mid-write (in the device's own time): exit 7, not verified ---
run "$ESPLOAD" --chip esp32 --port "sim://esp32?fault=stall@60000" write_flash -z 0x1000 \
    "$T/image.bin"
expect_rc 7 "device stops answering mid-write"
expect_out "Writing at 0x00001000" "write had started"
expect_out "A fatal error occurred: " "mid-write: fatal line"
expect_no_out "Hash of data verified." "mid-write: never verified"
expect_no_out "Hard resetting" "mid-write: no reset after a failure"

run "$ESPLOAD" --chip esp32 --port "sim://esp32?fault=vanish@60000" write_flash -z 0x1000 \
    "$T/image.bin"
expect_rc 7 "device vanishes mid-write"
expect_no_out "Hash of data verified." "vanished: never verified"

run "$ESPLOAD" --chip esp32 --port "sim://esp32?fault=reset@FLASH_DEFL_DATA:5" write_flash -z \
    0x1000 "$T/image.bin"
[ "$RC" -ne 0 ] && ok "chip reset mid-write fails (exit $RC)" || not_ok "reset mid-write: exit 0"
expect_no_out "Hash of data verified." "reset mid-write: never verified"

# --- device error status: exit 7 with the device's error ---
run "$ESPLOAD" --chip esp32 --port "sim://esp32?fault=status@FLASH_DEFL_BEGIN:1" write_flash -z \
    0x1000 "$T/small.bin"
expect_rc 7 "device error status"
expect_out "result was " "device status shown"
expect_no_out "Hash of data verified." "error status: never verified"
run "$ESPLOAD" --chip esp32 --port "sim://esp32?fault=status@SPI_FLASH_MD5:1" --no-stub \
    write_flash -z 0x1000 "$T/small.bin"
expect_rc 7 "error status on the verifying MD5"
expect_no_out "Hash of data verified." "MD5 error: never verified"
# a block that fails once is resent and the write succeeds, verified
run "$ESPLOAD" --chip esp32 --port "sim://esp32?fault=status@FLASH_DEFL_DATA:3" write_flash -z \
    0x1000 "$T/small.bin"
expect_rc 0 "one failed block is resent"
expect_out "Hash of data verified." "resent write verified"

# --- write-protected flash (status register BP bits) ---
run "$ESPLOAD" --chip esp32 --port "sim://esp32?write-protect=1" write_flash -z 0x1000 \
    "$T/small.bin"
if grep -q "Stub running" "$T/out"; then
    expect_rc 8 "write-protected flash: MD5 mismatch"
    expect_out "File  md5: " "MD5 mismatch: file md5 shown"
else
    expect_rc 7 "write-protected flash: the ROM reports the failed write"
fi
expect_out "write-protected" "write protection named"
expect_out "write_flash_status --non-volatile 0" "write protection fix given"
expect_no_out "Hash of data verified." "write-protected: never verified"

# --- a busy port: exit 4 ---
if command -v flock >/dev/null 2>&1; then
    bg "$ESPLOAD_SIM" --chip esp32 --pty --pty-link "$T/tty" --download-mode --quiet
    i=0
    while [ ! -e "$T/tty" ] && [ $i -lt 50 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    TTY=$(readlink -f "$T/tty")
    flock -n "$TTY" sleep 3 &
    LOCKER=$!
    sleep 0.5
    run "$ESPLOAD" --chip esp32 --port "$T/tty" --before no_reset read_mac
    expect_rc 4 "busy port"
    expect_out "busy" "busy port message"
    wait "$LOCKER" 2>/dev/null
    run "$ESPLOAD" --chip esp32 --port "$T/tty" --before no_reset --no-stub read_mac
    expect_rc 0 "the same pty once free (serial path, no reset)"
    expect_out "MAC: 30:ae:a4:80:55:e0" "pty: MAC"
    expect_out 'WARNING: Pre-connection option "no-reset" was selected.' "no_reset warning"
else
    not_ok "flock(1) is missing: cannot test a busy port (install util-linux)"
fi

done_testing
