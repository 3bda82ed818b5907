#!/bin/sh
# elf2image: byte-identical output to esptool for the committed test ELFs (the expected
# SHA-256 values in tests/data/images/expected.txt were produced by esptool v5.3.1, see
# tests/data/gen_expected.sh), esptool's refusals, output naming and bad input.
. "$(dirname "$0")/lib.sh"
D="$EL_SRCDIR/tests/data/images"

sha() { sha256sum "$1" 2>/dev/null | cut -d' ' -f1; }

n=0
while IFS='|' read -r chip elf opts want v4; do
    case "$chip" in '' | '#'*) continue ;; esac
    n=$((n + 1))
    rm -f "$T/out.bin"
    # shellcheck disable=SC2086
    run "$ESPLOAD" --chip "$chip" elf2image $opts -o "$T/out.bin" "$D/$elf"
    case "$want" in
    FAIL:*)
        msg=${want#FAIL:}
        if [ "$RC" -ne 0 ] && grep -qF -- "$msg" "$T/out"; then
            ok "$chip $elf $opts: refused like esptool"
        else
            not_ok "$chip $elf $opts: expected refusal '$msg' (exit $RC)"
            sed 's/^/    | /' "$T/out" | tail -5
        fi
        ;;
    *)
        got=$(sha "$T/out.bin")
        if [ "$RC" -eq 0 ] && [ "$got" = "$want" ]; then
            ok "$chip $elf $opts: same bytes as esptool"
        else
            not_ok "$chip $elf $opts: exit $RC, sha256 $got, esptool's $want"
            sed 's/^/    | /' "$T/out" | tail -5
        fi
        ;;
    esac
done <"$D/expected.txt"
[ "$n" -ge 20 ] && ok "$n esptool cases checked" || not_ok "only $n cases in expected.txt"

# esptool v4's section merging rule (equal EXEC flags) gives the same bytes on this ELF
run "$ESPLOAD" --chip esp32 elf2image --merge-exec-v4 --elf-sha256-offset 0xb0 -o "$T/v4.bin" \
    "$D/esp32_app.elf"
expect_rc 0 "--merge-exec-v4"
[ "$(sha "$T/v4.bin")" = "$(grep '^esp32|esp32_app.elf|--elf-sha256-offset 0xb0|' "$D/expected.txt" | cut -d'|' -f4)" ] &&
    ok "--merge-exec-v4 output matches" || not_ok "--merge-exec-v4 output differs"

# output lines (v4 wording)
run "$ESPLOAD" --chip esp32 elf2image -o "$T/a.bin" "$D/esp32_app.elf"
expect_out "Creating esp32 image..." "Creating line"
expect_out "Successfully created esp32 image." "Successfully line"

# default output name: the ELF name with .bin
cp "$D/esp32_app.elf" "$T/my.app.elf"
(cd "$T" && run "$ESPLOAD" --chip esp32 elf2image my.app.elf)
[ -f "$T/my.app.bin" ] && ok "default output my.app.bin" || not_ok "no my.app.bin"
expect_same_file "$T/my.app.bin" "$T/a.bin" "default-named output has the same bytes"

# the image parses back: app descriptor, ELF SHA-256 at 0xb0, valid digest
run "$ESPLOAD" image_info --version 2 "$T/a.bin"
expect_rc 0 "image_info of the result"
expect_out "Project name: espload-test" "app descriptor read back"
expect_out "Checksum: " "checksum line"
expect_out "(valid)" "valid checksum/digest"
elfsha=$(sha "$D/esp32_app.elf")
expect_out "ELF file SHA256: $elfsha" "ELF SHA-256 placed at 0xb0"

# bad input
printf 'not an elf file at all, just text.........................................' >"$T/bad.elf"
run "$ESPLOAD" --chip esp32 elf2image -o "$T/x.bin" "$T/bad.elf"
expect_rc 3 "not an ELF: input error"
expect_out "invalid ELF magic header" "says why"
head -c 100 "$D/esp32_app.elf" >"$T/trunc.elf"
run "$ESPLOAD" --chip esp32 elf2image -o "$T/x.bin" "$T/trunc.elf"
expect_rc 3 "truncated ELF"
expect_out "No section header found" "truncated: says so"
run "$ESPLOAD" elf2image -o "$T/x.bin" "$D/esp32_app.elf"
expect_rc 2 "no --chip: usage error"
run "$ESPLOAD" --chip esp32 elf2image --flash_mode fast "$D/esp32_app.elf"
expect_rc 2 "bad --flash_mode"
run "$ESPLOAD" --chip esp32 elf2image --flash_freq 48m -o "$T/x.bin" "$D/esp32_app.elf"
expect_rc 2 "a frequency the ESP32 does not have"
expect_out "Flash frequency '48m' is not supported by this chip type." "frequency message"
run "$ESPLOAD" --chip esp32 elf2image -o "$T/x.bin" "$T/missing.elf"
expect_rc 3 "missing input file"
done_testing
