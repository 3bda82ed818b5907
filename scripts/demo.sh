#!/bin/sh
# make demo: the seed's workflow on a virtual ESP32 (filled in as features land)
set -e
B=${1:-build}
"$B/espload" version 2>/dev/null || "$B/espload"
