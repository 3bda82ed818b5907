#!/bin/sh
# Virtual device options: the same keys for espload-sim and sim:// URLs; bad values are
# refused with a message naming the option, never a crash.
. "$(dirname "$0")/lib.sh"

run "$ESPLOAD_SIM" --help
for k in chip flash flash-size jedec-id mac revision package crystal cpu-rated timing \
    usb-latency-us en-delay-us r0-wdt-ms rom-clock-error write-protect psram secure-boot \
    flash-crypt transcript fault; do
    expect_out "  $k=" "--help documents $k"
done
expect_out "reset@OP:K" "--help documents the fault syntax"

run "$ESPLOAD" --chip esp32 --port "sim://esp32?flash-size=3MB" read_mac
expect_no_out "MAC:" "bad flash-size: no connection"
expect_out "flash-size" "bad flash-size: option named"
[ "$RC" -ne 0 ] && ok "bad flash-size: non-zero exit" || not_ok "bad flash-size: exit 0"

run "$ESPLOAD" --chip esp32 --port "sim://esp99" read_mac
expect_out "unknown chip" "unknown chip named"
[ "$RC" -ne 0 ] && ok "unknown chip: non-zero exit" || not_ok "unknown chip: exit 0"

run "$ESPLOAD" --chip esp32 --port "sim://esp32?fault=explode@3" read_mac
expect_out "unknown fault kind" "bad fault spec named"

run "$ESPLOAD" --chip esp32 --port "sim://esp32?nosuch=1" read_mac
expect_out "unknown option 'nosuch'" "unknown option named"

# a MAC given in the URL (percent-encoded colons too) is what the chip reports
run "$ESPLOAD" --chip esp32 --port "sim://esp32?mac=24%3A0a:c4:12:34:56" read_mac
expect_rc 0 "custom MAC"
expect_out "MAC: 24:0a:c4:12:34:56" "custom MAC read back with a valid CRC"

done_testing
