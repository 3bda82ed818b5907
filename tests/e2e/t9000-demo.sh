#!/bin/sh
# `make demo` end to end: the seed's workflow on a virtual board, read back, boot log, the
# identical reflash skipped, the SPIRAM build's pre-flight warning, doctor on its boot log.
. "$(dirname "$0")/lib.sh"

ESPLOAD="$ESPLOAD" run sh "$EL_SRCDIR/scripts/demo.sh" "$(dirname "$ESPLOAD")"
expect_rc 0 "demo runs"
expect_out "firmware image: 1108080 bytes" "demo image like the seed's"
expect_out "Chip erase completed successfully in " "demo erases"
expect_out "Compressed " "demo compresses"
expect_out "Wrote " "demo writes"
expect_out "(effective " "demo reports the modelled transfer rate"
expect_out "Hash of data verified." "demo write verified"
expect_out "read back: identical to the image" "demo reads back"
expect_out "load:0x3fff001c,len:4596" "boot log shows the bootloader loading"
expect_out "entry 0x4007b288" "boot log reaches the bootloader entry"
expect_out "esp32-micropython.bin' at 0x00001000 already in flash, skipping write." \
    "identical reflash skipped"
expect_out "SPIRAM build: 1108080 bytes" "SPIRAM build made"
expect_out "is built for external RAM (PSRAM/SPIRAM" "pre-flight warning for the SPIRAM build"
expect_out "Flash the build without SPIRAM" "the warning names the fix"
expect_out "verdict: psram-missing" "doctor's verdict on the seed's SPIRAM boot log"
expect_out "(doctor exit code 12" "doctor exit code shown"
expect_out "demo done." "demo finished"
expect_no_out "A fatal error" "no errors"

done_testing
