#!/bin/sh
# Regenerates images/expected.txt: the SHA-256 of esptool's elf2image output for each test
# case. Needs esptool sources (v5.3.1 and, for the v4 column, v4.8.1) unpacked somewhere:
#   ESPTOOL5=/path/to/esptool-5.3.1 ESPTOOL4=/path/to/esptool-4.8.1 sh tests/data/gen_expected.sh
# Every hash in expected.txt comes from esptool, never from espload.
set -eu
D=$(cd "$(dirname "$0")/images" && pwd)
: "${ESPTOOL5:?set ESPTOOL5 to an esptool v5.3.1 source tree}"
PY=${PYTHON:-/usr/bin/python3}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
OUT="$D/expected.txt"
{
    echo "# elf2image outputs produced by esptool v5.3.1 (python3 -m esptool --chip CHIP elf2image"
    echo "# OPTIONS -o out.bin ELF, run from its sources by tests/data/gen_expected.sh)."
    echo "# chip|elf|options|sha256 of out.bin (or FAIL:<message> when esptool refuses)|v4=same"
    echo "# when esptool v4.8.1 writes the same bytes (v4 needs --elf-sha256-offset for the ELF"
    echo "# SHA-256 that v5 places by itself)."
} >"$OUT"
while IFS='|' read -r chip elf opts; do
    case "$chip" in '' | '#'*) continue ;; esac
    # shellcheck disable=SC2086
    if (cd "$ESPTOOL5" && $PY -m esptool --chip "$chip" elf2image $opts -o "$TMP/x5.bin" \
        "$D/$elf" >"$TMP/log" 2>&1); then
        h=$(sha256sum <"$TMP/x5.bin" | cut -d' ' -f1)
    else
        h="FAIL:$(grep -o 'A fatal error occurred: .*' "$TMP/log" | sed 's/A fatal error occurred: //; s/\x1b\[[0-9;]*m//g')"
    fi
    v4=diff
    if [ -n "${ESPTOOL4:-}" ] && (cd "$ESPTOOL4" && $PY -m esptool --chip "$chip" elf2image \
        $opts -o "$TMP/x4.bin" "$D/$elf" >/dev/null 2>&1) && [ -f "$TMP/x5.bin" ] &&
        cmp -s "$TMP/x4.bin" "$TMP/x5.bin"; then v4=same; fi
    rm -f "$TMP/x4.bin" "$TMP/x5.bin"
    echo "$chip|$elf|$opts|$h|v4=$v4" >>"$OUT"
done <"$D/cases.txt"
echo "wrote $OUT"

# image_info outputs, also from esptool: info_<name>_<format>.txt for images esptool makes
# from the test ELFs (v4.8.1 --version 1 and 2 with NUL bytes removed, v5.3.1 image-info
# with colour codes removed; the first line, esptool's banner, is dropped).
if [ -n "${ESPTOOL4:-}" ]; then
    for spec in "esp32|esp32_app.elf|app" "esp32|esp32_boot.elf|boot" "esp32c3|esp32c3_app.elf|c3app"; do
        chip=${spec%%|*}
        rest=${spec#*|}
        elf=${rest%%|*}
        name=${rest#*|}
        (cd "$ESPTOOL5" && $PY -m esptool --chip "$chip" elf2image --elf-sha256-offset 0xb0 \
            -o "$TMP/$name.bin" "$D/$elf" >/dev/null 2>&1) ||
            (cd "$ESPTOOL5" && $PY -m esptool --chip "$chip" elf2image -o "$TMP/$name.bin" \
                "$D/$elf" >/dev/null 2>&1)
        for v in 1 2; do
            (cd "$ESPTOOL4" && $PY -m esptool image_info --version $v "$TMP/$name.bin" 2>&1) |
                tail -n +2 | tr -d '\000' | sed "s|$TMP/||" >"$D/info_${name}_v4-$v.txt"
        done
        (cd "$ESPTOOL5" && $PY -m esptool image-info "$TMP/$name.bin" 2>&1) | tail -n +2 |
            sed 's/\x1b\[[0-9;]*m//g' | sed "s|$TMP/||" >"$D/info_${name}_v5.txt"
    done
    echo "wrote $D/info_*.txt"
fi
