#!/bin/sh
# Installs the Debian packages espload needs to build and test.
# As root it runs apt-get; otherwise it prints the exact command and fails.
set -e
PKGS="build-essential cmake pkg-config clang clang-format zlib1g-dev libdeflate-dev libzopfli-dev \
libcmocka-dev libmd-dev libdw-dev libelf-dev ser2net socat \
gcc-xtensa-lx106 gcc-riscv64-unknown-elf libclang-rt-14-dev qemu-user \
gcc-mingw-w64-x86-64 libz-mingw-w64-dev wine wine64 \
picolibc-xtensa-lx106-elf firmware-microbit-micropython"
missing=""
# node and npm may come from elsewhere than Debian; only ask for them when absent
command -v node >/dev/null 2>&1 || PKGS="$PKGS nodejs"
command -v npm >/dev/null 2>&1 || PKGS="$PKGS npm"
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
    echo "installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    echo "installing:$missing"
    sudo DEBIAN_FRONTEND=noninteractive apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
else
    echo "missing Debian packages:$missing" >&2
    echo "run: sudo apt-get install -y$missing" >&2
    exit 1
fi
