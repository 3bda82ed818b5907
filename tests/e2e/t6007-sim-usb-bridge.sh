#!/bin/sh
# sim:// usb=VID:PID makes the port report a USB bridge, so espload picks that bridge's rate;
# max-baud=N makes the bridge garble rates above N, so the baud fallback runs end to end.
. "$(dirname "$0")/lib.sh"

F="$T/board.bin"

# a CP210x: espload goes to 921600 without --baud
run "$ESPLOAD" --port "sim://esp32?flash=$F&usb=10c4:ea60&transcript=$T/tr.jsonl" chip_id
expect_rc 0 "chip_id through a CP210x"
expect_out "Changing baud rate to 921600" "CP210x rate chosen"
expect_out "Changed." "rate changed"
expect_no_out "WARNING" "no warning"
grep -q '"event":"baud changed to 9[0-9][0-9][0-9][0-9][0-9]"' "$T/tr.jsonl" &&
    ok "the device switched to about 921600" || not_ok "no baud change to ~921600 in the transcript"

# no usb option: a plain UART, the rate stays
run "$ESPLOAD" --port "sim://esp32?flash=$F" chip_id
expect_rc 0 "chip_id without USB ids"
expect_no_out "Changing baud rate" "no USB ids: no baud change"

# the bridge cannot make 921600: the round trip at the new rate fails, espload falls back
run "$ESPLOAD" --port "sim://esp32?flash=$F&usb=10c4:ea60&max-baud=460800" read_mac
expect_rc 0 "read_mac through a bridge limited to 460800"
expect_out "Changing baud rate to 921600" "921600 tried"
expect_out "continuing at 115200 baud" "fell back to 115200"
expect_out "MAC: 30:ae:a4:80:55:e0" "MAC read after the fallback"

# within the limit nothing is garbled
run "$ESPLOAD" --port "sim://esp32?flash=$F&usb=10c4:ea60&max-baud=921600" read_mac
expect_rc 0 "bridge limit at the chosen rate"
expect_no_out "WARNING" "no fallback at the limit"

# bad values are refused with the option named
run "$ESPLOAD" --port "sim://esp32?usb=10c4" chip_id
[ "$RC" -ne 0 ] && ok "usb=10c4 refused (exit $RC)" || not_ok "usb=10c4 accepted"
expect_out "bad usb '10c4'" "usb error names the value"
run "$ESPLOAD" --port "sim://esp32?max-baud=fast" chip_id
[ "$RC" -ne 0 ] && ok "max-baud=fast refused (exit $RC)" || not_ok "max-baud=fast accepted"
expect_out "bad max-baud" "max-baud error names the option"

done_testing
