#!/bin/sh
# SPDX-License-Identifier: MIT
# Cross-built flasher stubs: both ELF files exist, fit the RAM windows of docs/STUB.md,
# keep all data out of instruction RAM (IRAM takes 32-bit accesses only), and the JSON
# files and embedded images carry exactly the linked bytes.
# Uses the build directory $EL_BUILDDIR (default: ./build). Fails when a tool is missing.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
bdir=${EL_BUILDDIR:-$root/build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
fail() {
    echo "stub-cross: FAIL: $*" >&2
    exit 1
}
ok() { echo "stub-cross: ok: $*"; }

for tool in xtensa-lx106-elf-gcc xtensa-lx106-elf-objcopy xtensa-lx106-elf-nm \
    riscv64-unknown-elf-gcc riscv64-unknown-elf-objcopy riscv64-unknown-elf-nm \
    qemu-riscv32 qemu-xtensa "${CC:-cc}" base64 od; do
    command -v "$tool" >/dev/null 2>&1 ||
        fail "tool '$tool' not found (Debian: gcc-xtensa-lx106 gcc-riscv64-unknown-elf qemu-user)"
done

hex() { printf '%d' "0x$1"; }

# check chip prefix iram_lo iram_hi dram_lo dram_hi
check() {
    chip=$1 pfx=$2 ilo=$(hex "$3") ihi=$(hex "$4") dlo=$(hex "$5") dhi=$(hex "$6")
    elf=$bdir/stub/stub_$chip.elf
    json=$bdir/stub/json/$chip.json
    [ -f "$elf" ] || fail "$elf missing (cmake did not find the $chip cross compiler?)"
    [ -f "$json" ] || fail "$json missing"
    "$pfx-nm" "$elf" >"$tmp/syms"
    sym() { awk -v s="$1" '$3 == s { print $1 }' "$tmp/syms"; }
    ts=$(hex "$(sym _text_start)") te=$(hex "$(sym _text_end)") entry=$(hex "$(sym stub_entry)")
    ds=$(hex "$(sym _data_start)") st=$(hex "$(sym _stack_top)") bs=$(hex "$(sym _bss_start)")
    [ "$ts" -ge "$ilo" ] && [ "$te" -le "$ihi" ] || fail "$chip text outside its IRAM window"
    [ "$ds" -ge "$dlo" ] && [ "$st" -le "$dhi" ] || fail "$chip data/bss/stack outside its DRAM window"
    [ "$entry" -ge "$ts" ] && [ "$entry" -lt "$te" ] || fail "$chip entry outside the text"
    # every data object (r/d/b/R/D/B) lives in DRAM, none in IRAM
    bad=$(awk -v lo="$ilo" -v hi="$ihi" '$2 ~ /^[rdbRDB]$/ {
            v = 0; h = tolower($1)
            for (i = 1; i <= length(h); i++) v = v * 16 + index("0123456789abcdef", substr(h, i, 1)) - 1
            if (v >= lo && v < hi) print $3 }' "$tmp/syms")
    [ -z "$bad" ] || fail "$chip data objects in IRAM: $bad"
    # the JSON carries the linked bytes
    "$pfx-objcopy" -O binary -j .text "$elf" "$tmp/text.bin"
    "$pfx-objcopy" -O binary -j .data "$elf" "$tmp/data.bin"
    sed -n 's/^ *"text": "\(.*\)",$/\1/p' "$json" | base64 -d >"$tmp/text.json.bin"
    sed -n 's/^ *"data": "\(.*\)",$/\1/p' "$json" | base64 -d >"$tmp/data.json.bin"
    cmp -s "$tmp/text.bin" "$tmp/text.json.bin" || fail "$chip JSON text differs from the ELF"
    cmp -s "$tmp/data.bin" "$tmp/data.json.bin" || fail "$chip JSON data differs from the ELF"
    grep -q "\"entry\": $entry," "$json" || fail "$chip JSON entry is not stub_entry"
    grep -q "\"text_start\": $ts," "$json" || fail "$chip JSON text_start"
    grep -q "\"data_start\": $ds," "$json" || fail "$chip JSON data_start"
    grep -q "\"bss_start\": $bs$" "$json" || fail "$chip JSON bss_start"
    tsz=$((te - ts)) dsz=$((st - ds))
    ok "$chip text $tsz bytes at $3 (limit $((ihi - ilo))), data+bss+stack $dsz bytes at $5 (limit $((dhi - dlo)))"
}

check esp32 xtensa-lx106-elf 40098000 400a0000 3ffcc000 3ffe0000
check esp32c3 riscv64-unknown-elf 40380000 40388000 3fc88000 3fca0000

# Xtensa: the literal pools sit at the start of the text (before stub_entry). A literal
# pointing into the text must be a function address (call target or function pointer);
# anything else would be data read from IRAM. (_text_start/_text_end are only compared,
# by the MEM_DATA overlap check.)
elf=$bdir/stub/stub_esp32.elf
xtensa-lx106-elf-nm "$elf" >"$tmp/syms"
xtensa-lx106-elf-objcopy -O binary -j .text "$elf" "$tmp/text.bin"
ts=$(hex "$(awk '$3 == "_text_start" { print $1 }' "$tmp/syms")")
te=$(hex "$(awk '$3 == "_text_end" { print $1 }' "$tmp/syms")")
entry=$(hex "$(awk '$3 == "stub_entry" { print $1 }' "$tmp/syms")")
awk '$2 ~ /^[Tt]$/ || $3 == "_text_start" || $3 == "_text_end" { print tolower($1) }' \
    "$tmp/syms" | sort -u >"$tmp/funcs"
nlit=$(((entry - ts) / 4))
[ "$nlit" -gt 0 ] || fail "esp32: no literal pool found before stub_entry"
od -An -tx4 -v -N $((nlit * 4)) "$tmp/text.bin" | tr -s ' ' '\n' | sed '/^$/d' >"$tmp/lits"
bad=0
while read -r w; do
    v=$(hex "$w")
    if [ "$v" -ge "$ts" ] && [ "$v" -lt "$te" ]; then
        grep -qx "$w" "$tmp/funcs" || {
            echo "stub-cross: literal 0x$w points into the text but is no function" >&2
            bad=1
        }
    fi
done <"$tmp/lits"
[ "$bad" = 0 ] || fail "esp32: data references into IRAM"
ok "esp32: $nlit literals, none addresses data in IRAM"

# the library embeds the same images
if [ -x "$bdir/test_stub_blobs" ]; then
    "$bdir/test_stub_blobs" >/dev/null 2>&1 || fail "test_stub_blobs failed"
    grep -q "EL_HAVE_BUILTIN_STUBS" "$bdir/CMakeFiles/el_stub_blobs.dir/flags.make" ||
        fail "el_stub_blobs was built without the stubs"
    ok "el_builtin_stub() returns the cross-built images"
else
    fail "$bdir/test_stub_blobs not built"
fi
# The cross-compiled core, run under qemu user mode over a recorded host session
# (stub/tests/qemu_*.c), must send exactly the bytes the host build sends, and the host
# build must answer the session's MD5 checks correctly.
t=$root/stub/tests
core="$root/stub/core/stub_core.c $root/stub/core/stub_inflate.c $root/stub/core/stub_md5.c"
warn="-std=c11 -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes -Wno-unused-parameter"
inc="-I$root/stub/include -I$root/stub/core"
cross="$warn $inc -Os -ffreestanding -fno-builtin -fno-tree-loop-distribute-patterns -nostdlib -static"
"${CC:-cc}" $warn -O1 -o "$tmp/gen" "$t/qemu_gen.c" -lz -lmd || fail "building qemu_gen"
# shellcheck disable=SC2086
"${CC:-cc}" $warn $inc -O1 -o "$tmp/native" "$t/qemu_driver.c" "$t/qemu_sys.c" $core ||
    fail "building the native driver"
# shellcheck disable=SC2086
riscv64-unknown-elf-gcc -march=rv32imc_zicsr -mabi=ilp32 -mno-relax $cross -Wl,-Ttext=0x10000 \
    -Wl,--no-warn-rwx-segments -o "$tmp/rv32" "$t/qemu_start.S" "$t/qemu_driver.c" "$t/qemu_sys.c" \
    $core "$root/stub/hal/common/rt.c" || fail "building the RV32 driver"
# shellcheck disable=SC2086
xtensa-lx106-elf-gcc -mabi=call0 $cross -Wl,-Ttext=0x10000 -o "$tmp/xt" "$t/qemu_start.S" \
    "$t/qemu_driver.c" "$t/qemu_sys.c" $core "$root/stub/hal/common/rt.c" -lgcc ||
    fail "building the Xtensa driver"
"$tmp/gen" "$tmp/expect" >"$tmp/session" || fail "qemu_gen"
"$tmp/native" <"$tmp/session" >"$tmp/out.native" || fail "native driver exited with $?"
od -An -tx1 -v "$tmp/out.native" | tr -d ' \n' >"$tmp/out.hex"
nexp=0
while read -r frame; do
    grep -q "$frame" "$tmp/out.hex" || fail "host build: expected reply $frame missing"
    nexp=$((nexp + 1))
done <"$tmp/expect"
[ "$nexp" -ge 4 ] || fail "session has too few checks"
qemu-riscv32 "$tmp/rv32" <"$tmp/session" >"$tmp/out.rv32" || fail "RV32 driver exited with $?"
cmp -s "$tmp/out.native" "$tmp/out.rv32" || fail "RV32 core output differs from the host build"
qemu-xtensa "$tmp/xt" <"$tmp/session" >"$tmp/out.xt" || fail "Xtensa driver exited with $?"
cmp -s "$tmp/out.native" "$tmp/out.xt" || fail "Xtensa (call0) core output differs from the host build"
ok "core under qemu-riscv32 and qemu-xtensa: $(wc -c <"$tmp/out.native") output bytes identical to the host build, $nexp MD5 checks right"

echo "stub-cross: all checks passed"
