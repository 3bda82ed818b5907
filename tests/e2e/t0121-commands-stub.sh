#!/bin/sh
# The command suite of t0120, with the flasher stub uploaded (the default mode).
MODE=stub
. "$(dirname "$0")/t0120-commands-rom.sh"
