#!/bin/sh
# `make demo` end to end: the seed's workflow on a virtual board, read back, boot log.
. "$(dirname "$0")/lib.sh"

ESPLOAD="$ESPLOAD" run sh "$EL_SRCDIR/scripts/demo.sh" "$(dirname "$ESPLOAD")"
expect_rc 0 "demo runs"
expect_out "firmware image: 1108080 bytes" "demo image like the seed's"
expect_out "Chip erase completed successfully in " "demo erases"
expect_out "Wrote 1108080 bytes (" "demo writes"
expect_out "(effective " "demo reports the modelled transfer rate"
expect_out "Hash of data verified." "demo write verified"
expect_out "read back: identical to the image" "demo reads back"
expect_out "load:0x3fff001c,len:4596" "boot log shows the bootloader loading"
expect_out "entry 0x4007b288" "boot log reaches the bootloader entry"
expect_out "demo done." "demo finished"
expect_no_out "A fatal error" "no errors"

done_testing
