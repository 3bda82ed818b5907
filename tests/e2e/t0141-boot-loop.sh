#!/bin/sh
# A board that is not in download mode and cannot be reset (socket://): the ROM boot-loops on
# an erased flash, printing "invalid header: 0xffffffff" without end. Connecting must give up
# within the attempts allowed, with exit 5 and the boot mode named, like esptool's "Wrong
# boot mode detected (0x13)!" (esptool stops at the first junk byte of each attempt).
. "$(dirname "$0")/lib.sh"

P=$(free_port)
bg "$ESPLOAD_SIM" --chip esp32 --tcp "127.0.0.1:$P" --quiet
sleep 1
run "$ESPLOAD" --chip esp32 --port "socket://127.0.0.1:$P" --connect-attempts 2 read_mac
expect_rc 5 "boot-looping board over socket://: cannot connect"
expect_out "Failed to connect to ESP32" "esptool's message"
expect_out "boot" "the boot mode or boot log is named"
expect_no_out "Chip is" "no chip line"

done_testing
