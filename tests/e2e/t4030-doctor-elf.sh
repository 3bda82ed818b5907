#!/bin/sh
# espload doctor --elf: panic addresses named by function and file:line through libdw, for
# firmware ELFs built with Debian's cross compilers (RISC-V like the ESP32-C3, Xtensa like
# the ESP8266/ESP32 family); addresses taken from nm. A mismatched ELF is reported.
. "$(dirname "$0")/lib.sh"

cat >"$T/fw.c" <<'C'
int counter;
__attribute__((noinline)) int crash_here(int *p)
{
    return *p + 1;
}
__attribute__((noinline)) int caller(void)
{
    counter++;
    return crash_here(0) + counter;
}
void app_main(void)
{
    caller();
}
C

build() { # build NAME CC ARGS...: compiles fw.c to $T/NAME.elf
    name=$1 cc=$2
    shift 2
    if ! command -v "$cc" >/dev/null 2>&1; then
        not_ok "$cc is missing (scripts/deps.sh installs it)"
        return 1
    fi
    "$cc" -g -O1 -nostdlib -Wl,-e,app_main "$@" -o "$T/$name.elf" "$T/fw.c" >"$T/cc.out" 2>&1 ||
        { not_ok "$name: compile failed: $(cat "$T/cc.out")"; return 1; }
    ok "$name: firmware ELF built"
}
addr_of() { # addr_of ELF SYMBOL: link address as 0x%08x
    printf '0x%08x' "0x$(nm "$1" | awk -v s="$2" '$3 == s { print $1 }')"
}
plus() { printf '0x%08x' $(($1 + $2)); }
expect_re() { # expect_re 'extended regex' description
    if grep -Eq -- "$1" "$T/out"; then ok "$2"; else
        not_ok "$2: output lacks /$1/"; sed 's/^/    | /' "$T/out" | tail -20; fi
}

# RISC-V: a Load access fault inside crash_here, called from caller
if build rv riscv64-unknown-elf-gcc -march=rv32imc -mabi=ilp32 -Wl,-Ttext=0x42000020; then
    pc=$(plus "$(addr_of "$T/rv.elf" crash_here)" 2)
    ra=$(plus "$(addr_of "$T/rv.elf" caller)" 6)
    sha=$(sha256sum "$T/rv.elf" | cut -c1-16)
    cat >"$T/rv.log" <<LOG
ESP-ROM:esp32c3-api1-20210207
rst:0x1 (POWERON),boot:0xc (SPI_FAST_FLASH_BOOT)
entry 0x403cc710
I (30) boot: ESP-IDF v5.1.2 2nd stage bootloader
I (262) main_task: Calling app_main()
Guru Meditation Error: Core  0 panic'ed (Load access fault). Exception was unhandled.

Core  0 register dump:
MEPC    : $pc  RA      : $ra  SP      : 0x3fc94a30  GP      : 0x3fc8d200
MSTATUS : 0x00001881  MTVEC   : 0x40380001  MCAUSE  : 0x00000005  MTVAL   : 0x00000000

ELF file SHA256: $sha

Rebooting...
LOG
    run "$ESPLOAD" doctor --log "$T/rv.log" --elf "$T/rv.elf"
    expect_rc 12 "RISC-V panic: problem found"
    expect_out "verdict: panic: the firmware crashed: Load access fault" "RISC-V: verdict names the fault"
    expect_re "$pc  crash_here at $T/fw.c:[2-5]\$" "RISC-V: MEPC named with file:line"
    expect_out "$ra  caller at $T/fw.c:" "RISC-V: RA named"
    expect_no_out "does not match the running app" "matching ELF: no warning"
    run "$ESPLOAD" doctor --json --log "$T/rv.log" --elf "$T/rv.elf"
    expect_re '"function":"crash_here","file":"'"$T"'/fw.c","line":[2-5]}' "JSON: symbolized PC"
    expect_out '"matches_device":true' "JSON: ELF matches the device"
    sed "s/ELF file SHA256: .*/ELF file SHA256: 0123456789abcdef/" "$T/rv.log" >"$T/rv2.log"
    run "$ESPLOAD" doctor --log "$T/rv2.log" --elf "$T/rv.elf"
    expect_out "does not match the running app" "another build's ELF: warned"
fi

# Xtensa: a LoadProhibited with a backtrace through caller and app_main
if build xt xtensa-lx106-elf-gcc -Wl,-Ttext=0x40201000; then
    pc=$(plus "$(addr_of "$T/xt.elf" crash_here)" 3)
    b1=$(plus "$(addr_of "$T/xt.elf" caller)" 6)
    b2=$(plus "$(addr_of "$T/xt.elf" app_main)" 3)
    cat >"$T/xt.log" <<LOG
Guru Meditation Error: Core  1 panic'ed (LoadProhibited). Exception was unhandled.
Core  1 register dump:
PC      : $pc  PS      : 0x00060130  A0      : 0x800d5a5b  A1      : 0x3ffb4e70
A14     : 0x00000000  A15     : 0x00000000  SAR     : 0x00000004  EXCCAUSE: 0x0000001c
EXCVADDR: 0x00000000  LBEG    : 0x40082bb9  LEND    : 0x40082bc1  LCOUNT  : 0x00000027


Backtrace: $pc:0x3ffb4e70 $b1:0x3ffb4e90 $b2:0x3ffb4eb0 0x00000000:0x00000000 |<-CORRUPTED
LOG
    run "$ESPLOAD" doctor --log "$T/xt.log" --elf "$T/xt.elf"
    expect_rc 12 "Xtensa panic: problem found"
    expect_out "cause: EXCCAUSE 28 (LoadProhibited)" "Xtensa: cause decoded"
    expect_re "$pc  crash_here at $T/fw.c:[2-5]\$" "Xtensa: PC named"
    expect_out "$b1  caller at $T/fw.c:" "Xtensa: backtrace frame named"
    expect_out "$b2  app_main at $T/fw.c:" "Xtensa: outer frame named"
    expect_out "backtrace (cut off or corrupted)" "corrupted backtrace flagged"
    run "$ESPLOAD" doctor --log "$T/xt.log" --elf "$T/nope.elf"
    expect_rc 3 "missing ELF file"
fi

done_testing
