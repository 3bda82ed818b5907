#!/bin/sh
# Output modes (writes with --no-skip: each sends the whole image): progress rewritten in
# place with \r on a terminal, one line per 10 % when stdout is not a terminal, every block
# with --verbose, none with --no-progress; --silent; errors on stderr (after a blank line, as
# esptool) with stdout untouched; no port given and none found.
. "$(dirname "$0")/lib.sh"

sh "$EL_SRCDIR/scripts/demo.sh" --make-image "$T/image.bin"
PORT="sim://esp32?flash=$T/board.bin"

# a terminal (script(1) gives the command a pseudo-terminal as stdout)
if command -v script >/dev/null 2>&1; then
    script -qec "\"$ESPLOAD\" --chip esp32 --port \"$PORT\" write_flash --no-skip -z 0x1000 \"$T/image.bin\"" \
        /dev/null >"$T/tty.out" </dev/null
    n=$(tr '\r' '\n' <"$T/tty.out" | grep -c '^Writing at 0x')
    lines=$(grep -c 'Writing at 0x' "$T/tty.out")
    if [ "$n" -gt 20 ] && [ "$lines" -eq 1 ]; then
        ok "terminal: $n progress updates on one line"
    else
        not_ok "terminal: $n updates on $lines lines"
    fi
    grep -q "$(printf '\r')Wrote 1108080 bytes (" "$T/tty.out" && ok "terminal: Wrote replaces the progress" ||
        not_ok "terminal: Wrote line"
    grep -q "Hash of data verified." "$T/tty.out" && ok "terminal: verified" || not_ok "terminal: verified"
else
    not_ok "script(1) is missing: cannot test terminal output (install bsdutils)"
fi

# not a terminal: one line per 10 %
run "$ESPLOAD" --chip esp32 --port "$PORT" write_flash --no-skip -z 0x1000 "$T/image.bin"
expect_rc 0 "pipe: write"
n=$(grep -c '^Writing at 0x' "$T/out")
[ "$n" -ge 5 ] && [ "$n" -le 12 ] && ok "pipe: $n progress lines" || not_ok "pipe: $n progress lines"
grep -q "$(printf '\r')" "$T/out" && not_ok "pipe: no carriage returns" || ok "pipe: no carriage returns"

# --verbose: every block
run "$ESPLOAD" --chip esp32 --port "$PORT" --verbose write_flash --no-skip -z 0x1000 "$T/image.bin"
expect_rc 0 "--verbose write"
v=$(grep -c '^Writing at 0x' "$T/out")
[ "$v" -gt "$n" ] && ok "--verbose: $v progress lines (more than $n)" || not_ok "--verbose: $v lines"

# --no-progress / -p
run "$ESPLOAD" --chip esp32 --port "$PORT" write_flash --no-skip -p -z 0x1000 "$T/image.bin"
expect_rc 0 "write_flash -p"
expect_no_out "Writing at" "-p: no progress"
expect_out "Hash of data verified." "-p: still verified"

# --silent: nothing but errors
run "$ESPLOAD" --chip esp32 --port "$PORT" --silent write_flash --no-skip -z 0x1000 "$T/image.bin"
expect_rc 0 "--silent write"
[ -s "$T/out" ] && not_ok "--silent printed something" || ok "--silent: no output"
run "$ESPLOAD" --chip esp32 --port "sim://esp32?flash-size=1MB" --silent write_flash 0x1000 \
    "$T/image.bin"
expect_rc 11 "--silent still fails"
expect_out "A fatal error occurred" "--silent: the error is printed"

# errors: stderr only, stdout keeps what happened before
"$ESPLOAD" --chip esp32 --port "sim://esp32?flash-size=1MB" write_flash 0x1000 "$T/image.bin" \
    >"$T/o" 2>"$T/e"
rc=$?
[ $rc -eq 11 ] && ok "error exit code" || not_ok "error exit code $rc"
grep -q "Chip is ESP32" "$T/o" && ok "stdout: progress before the error" || not_ok "stdout"
grep -q "A fatal error occurred" "$T/o" && not_ok "error on stdout" || ok "error not on stdout"
# as esptool: a blank line, then the one error line
[ "$(wc -l <"$T/e" | tr -d ' ')" -eq 2 ] && [ -z "$(head -n 1 "$T/e")" ] &&
    sed -n 2p "$T/e" | grep -q '^A fatal error occurred: ' && ok "stderr: blank line, one error line" ||
    not_ok "stderr: $(cat "$T/e")"

# no --port: the serial ports are tried; with none found the message says what to do
ESPTOOL_PORT= run "$ESPLOAD" --connect-attempts 1 read_mac
case $RC in
4)
    expect_out "Found 0 serial ports" "no ports: esptool's count line"
    expect_out "give --port" "no ports: what to do"
    ;;
5) expect_out "Could not connect to an Espressif device on any of the" "ports found, none answered" ;;
*) not_ok "no --port: exit $RC" ;;
esac

done_testing
