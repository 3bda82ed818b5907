#!/bin/sh
# --chip auto on every modelled chip (ROM and stub mode), the wrong --chip, and
# get_security_info where the ROM implements it.
. "$(dirname "$0")/lib.sh"

for spec in esp32:ESP32 esp32s2:ESP32-S2 esp32s3:ESP32-S3 esp32c3:ESP32-C3 esp32c6:ESP32-C6 \
    esp32h2:ESP32-H2 esp32c2:ESP32-C2; do
    chip=${spec%%:*} name=${spec#*:}
    for mode in --no-stub ""; do
        run "$ESPLOAD" --port "sim://$chip?flash=$T/$chip.bin" $mode flash_id
        expect_rc 0 "$chip ${mode:-stub}: flash_id with --chip auto"
        expect_out "Detecting chip type... $name" "$chip ${mode:-stub}: detected as $name"
        expect_out "Chip is $name" "$chip ${mode:-stub}: chip line"
        expect_out "MAC: " "$chip ${mode:-stub}: MAC line"
        expect_out "Manufacturer: " "$chip ${mode:-stub}: flash answers"
    done
    # an explicit, matching --chip in any spelling
    run "$ESPLOAD" --chip "$name" --port "sim://$chip" --no-stub read_mac
    expect_rc 0 "--chip $name (display spelling)"
    expect_no_out "Detecting chip type" "--chip $name: no detection"
done

# the wrong --chip: exit 6, message names both chips
run "$ESPLOAD" --chip esp32 --port sim://esp32s3 --no-stub read_mac
expect_rc 6 "--chip esp32 on an ESP32-S3"
expect_out "This chip is ESP32-S3, not ESP32. Wrong --chip argument?" "wrong chip message"
run "$ESPLOAD" --chip esp32c3 --port sim://esp32 --no-stub read_mac
expect_rc 6 "--chip esp32c3 on an ESP32"
expect_out "Wrong --chip argument?" "wrong chip message (ESP32)"
ESPTOOL_CHIP=esp32s2 run "$ESPLOAD" --port sim://esp32 --no-stub read_mac
expect_rc 6 "ESPTOOL_CHIP=esp32s2 on an ESP32"

# GET_SECURITY_INFO: answered by the newer ROMs
run "$ESPLOAD" --port sim://esp32s3 --no-stub get_security_info
expect_rc 0 "get_security_info on the ESP32-S3"
expect_out "Security Information:" "security info title"
expect_out "Flags: 0x00000000 (0b0)" "security flags"
expect_out "Chip ID: 9" "security info chip id"
expect_out "Secure Boot: Disabled" "secure boot state"
expect_out "Flash Encryption: Disabled" "flash encryption state"
run "$ESPLOAD" --port sim://esp32s2 --no-stub get-security-info
expect_rc 0 "get-security-info on the ESP32-S2 (12-byte reply)"
expect_no_out "Chip ID:" "ESP32-S2 reply has no chip id"
expect_out "Key Purposes: (" "key purposes listed"

done_testing
