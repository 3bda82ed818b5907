#!/bin/sh
# The revision-0 ESP32 needs the long reset hold: the client's first (0.05 s) attempt ends in
# a flash boot, a later 0.55 s attempt gets download mode. A revision-1 chip and r0-wdt-ms=0
# connect on the first attempt. The device's own log shows which reset won.
. "$(dirname "$0")/lib.sh"

run "$ESPLOAD" --chip esp32 --port "sim://esp32?transcript=$T/r0.jsonl" read_mac
expect_rc 0 "revision 0 connects"
expect_out "MAC: 30:ae:a4:80:55:e0" "revision 0: MAC"
grep -q 'rst:0x10 (RTCWDT_RTC_RESET),boot:0x13' "$T/r0.jsonl" &&
    ok "revision 0: a short hold ended in a flash boot" ||
    not_ok "revision 0: no flash boot after the short hold"
grep -q 'rst:0x10 (RTCWDT_RTC_RESET),boot:0x3 ' "$T/r0.jsonl" &&
    ok "revision 0: download mode after the spurious watchdog reset" ||
    not_ok "revision 0: no download mode via the watchdog reset"

run "$ESPLOAD" --chip esp32 --port "sim://esp32?revision=1&transcript=$T/r1.jsonl" read_mac
expect_rc 0 "revision 1 connects"
grep -q 'RTCWDT_RTC_RESET' "$T/r1.jsonl" && not_ok "revision 1: watchdog reset seen" ||
    ok "revision 1: no watchdog reset"
grep -q 'rst:0x1 (POWERON_RESET),boot:0x3 ' "$T/r1.jsonl" &&
    ok "revision 1: download mode right after EN" || not_ok "revision 1: no direct download mode"

done_testing
