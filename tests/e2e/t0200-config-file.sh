#!/bin/sh
# esptool's configuration file: found in the current directory (esptool.cfg, setup.cfg, tox.ini
# with an [esptool] section), ~/.config/esptool and the home directory, or named by
# ESPTOOL_CFGFILE; custom reset sequences, connect_attempts, unknown options, bad values.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/work" "$T/home/.config/esptool" "$T/other"
cd "$T/work" || exit 1
HOME="$T/home"
export HOME
unset ESPTOOL_CFGFILE ESPTOOL_CONNECT_ATTEMPTS 2>/dev/null
PORT="sim://esp32"
GOOD="D0|R1|W0.1|D1|R0|W0.5|D0" # the example of esptool's documentation
NOBOOT="D0|R1|W0.1|R0|W0.05" # resets with GPIO0 high: the chip boots from flash

run "$ESPLOAD" --port "$PORT" read_mac
expect_rc 0 "no configuration file"
expect_no_out "Loaded custom configuration" "nothing loaded without a file"

# a custom_reset_sequence that never pulls GPIO0 low: the connect fails with the boot mode
printf '# comment\n[esptool]\n; another comment\ncustom_reset_sequence = %s\nconnect_attempts: 2\n' \
    "$NOBOOT" >esptool.cfg
run "$ESPLOAD" -v --port "$PORT" read_mac
expect_rc 5 "custom_reset_sequence without GPIO0 low fails to connect"
expect_out "Loaded custom configuration from $T/work/esptool.cfg" "esptool.cfg in the current directory"
expect_out "Wrong boot mode detected (0x13)" "the sequence was used (boot from flash)"
expect_out "connect attempt 2 (CustomReset)" "connect_attempts = 2: second attempt"
expect_no_out "connect attempt 3" "connect_attempts = 2: no third attempt"
# the option and the environment variable win over the file
run "$ESPLOAD" -v --connect-attempts 1 --port "$PORT" read_mac
expect_rc 5 "--connect-attempts 1"
expect_no_out "connect attempt 2" "--connect-attempts overrides connect_attempts"
ESPTOOL_CONNECT_ATTEMPTS=3 run "$ESPLOAD" -v --port "$PORT" read_mac
expect_out "connect attempt 3 (CustomReset)" "ESPTOOL_CONNECT_ATTEMPTS overrides connect_attempts"
expect_no_out "connect attempt 4" "ESPTOOL_CONNECT_ATTEMPTS=3: three attempts"

# a working custom sequence connects
printf '[esptool]\ncustom_reset_sequence = %s\n' "$GOOD" >esptool.cfg
run "$ESPLOAD" -v --port "$PORT" read_mac
expect_rc 0 "working custom_reset_sequence"
expect_out "connect attempt 1 (CustomReset)" "custom sequence used"

# ESPTOOL_CFGFILE wins over the current directory
printf '[esptool]\ncustom_reset_sequence = %s\nconnect_attempts = 1\n' "$NOBOOT" >"$T/other/my.cfg"
ESPTOOL_CFGFILE="$T/other/my.cfg" run "$ESPLOAD" --port "$PORT" read_mac
expect_rc 5 "ESPTOOL_CFGFILE used"
expect_out "Loaded custom configuration from $T/other/my.cfg (set with ESPTOOL_CFGFILE)" \
    "ESPTOOL_CFGFILE line"
# a relative ESPTOOL_CFGFILE is reported with its absolute path
ESPTOOL_CFGFILE="../other/my.cfg" run "$ESPLOAD" --port "$PORT" read_mac
expect_out "Loaded custom configuration from $T/other/my.cfg (set with ESPTOOL_CFGFILE)" \
    "relative ESPTOOL_CFGFILE"
# ... unless it is not a configuration file: then the usual search
ESPTOOL_CFGFILE="$T/other/missing.cfg" run "$ESPLOAD" --port "$PORT" read_mac
expect_rc 0 "ESPTOOL_CFGFILE naming a missing file"
expect_out "Loaded custom configuration from $T/work/esptool.cfg" "falls back to the search"

# order: esptool.cfg before setup.cfg before tox.ini; files without [esptool] are skipped
rm esptool.cfg
printf '[metadata]\nname = x\n' >setup.cfg
printf '[esptool]\nconnect_attempts = 1\n' >tox.ini
run "$ESPLOAD" --port "$PORT" read_mac
expect_out "Loaded custom configuration from $T/work/tox.ini" "setup.cfg without [esptool] skipped"
printf '[metadata]\nname = x\n[esptool]\nconnect_attempts = 1\n' >setup.cfg
run "$ESPLOAD" --port "$PORT" read_mac
expect_out "Loaded custom configuration from $T/work/setup.cfg" "setup.cfg before tox.ini"
rm setup.cfg tox.ini
# then ~/.config/esptool, then the home directory
printf '[esptool]\nconnect_attempts = 1\n' >"$HOME/esptool.cfg"
printf '[esptool]\nconnect_attempts = 1\n' >"$HOME/.config/esptool/tox.ini"
run "$ESPLOAD" --port "$PORT" read_mac
expect_out "Loaded custom configuration from $HOME/.config/esptool/tox.ini" "~/.config/esptool"
rm "$HOME/.config/esptool/tox.ini"
run "$ESPLOAD" --port "$PORT" read_mac
expect_out "Loaded custom configuration from $HOME/esptool.cfg" "home directory"
rm "$HOME/esptool.cfg"

# reset_delay replaces both delays of the built-in rotation (0 included)
printf '[esptool]\nreset_delay = 0.6\n' >esptool.cfg
run "$ESPLOAD" -v --port "$PORT" read_mac
expect_rc 0 "reset_delay = 0.6"
expect_out "connect attempt 1 (UnixTightReset(0.6))" "reset_delay used"
printf '[esptool]\nreset_delay = 0\n' >esptool.cfg
run "$ESPLOAD" -v --connect-attempts 2 --port "$PORT" read_mac
expect_out "connect attempt 2 (UnixTightReset(0.0))" "reset_delay = 0 kept"

# unknown options are listed (sorted, keys in lower case)
printf '[esptool]\nZeta = 1\nalpha: 2\ntimeout = 5\n' >esptool.cfg
run "$ESPLOAD" --verbose --port "$PORT" read_mac
expect_rc 0 "unknown options are not fatal"
expect_out "Ignoring unknown config file options: alpha, zeta" "unknown options listed"
printf '[esptool]\nfoo = 1\n' >esptool.cfg
run "$ESPLOAD" --verbose --port "$PORT" read_mac
expect_out "Ignoring unknown config file option: foo" "one unknown option"

# bad values: one fatal line naming the file, the key and the value, exit 2
for kv in "timeout = abc" "sync_timeout = 0" "write_block_attempts = 0" "connect_attempts = 1.5" \
    "reset_delay = -1" "max_timeout = nan" "custom_reset_sequence = X1|W0.1" \
    "custom_hard_reset_sequence = R2"; do
    printf '[esptool]\n%s\n' "$kv" >esptool.cfg
    key=${kv%% =*}
    val=${kv#*= }
    run "$ESPLOAD" --port "$PORT" read_mac
    expect_rc 2 "bad value: $kv"
    expect_out "configuration file $T/work/esptool.cfg: invalid value '$val' for $key" \
        "message names file, key and value ($key)"
done
# a broken file is skipped with a note, like esptool
printf '[esptool]\nthis line has no delimiter\n' >esptool.cfg
run "$ESPLOAD" --port "$PORT" read_mac
expect_rc 0 "invalid file ignored"
expect_out "Ignoring invalid config file $T/work/esptool.cfg: line 2:" "invalid file note"
rm esptool.cfg

# custom_hard_reset_sequence: two EN pulses at the end instead of the RTS pulse's one
command -v python3 >/dev/null || { not_ok "python3 is needed to read the transcript"; done_testing; }
count_final_resets() { # EN-low events after the stub started
    python3 - "$1" <<'PY'
import json, sys
n = None
for line in open(sys.argv[1]):
    o = json.loads(line)
    ev = o.get("event")
    if ev == "stub running":
        n = 0
    elif ev == "EN low" and n is not None:
        n += 1
print(n)
PY
}
run "$ESPLOAD" --port "sim://esp32?transcript=$T/tr1.jsonl" read_mac
expect_rc 0 "default hard reset"
[ "$(count_final_resets "$T/tr1.jsonl")" = 1 ] && ok "default hard reset: one EN pulse" ||
    not_ok "default hard reset: $(count_final_resets "$T/tr1.jsonl") EN pulses"
printf '[esptool]\ncustom_hard_reset_sequence = R1|W0.1|R0|W0.1|R1|W0.1|R0\n' >esptool.cfg
run "$ESPLOAD" --port "sim://esp32?transcript=$T/tr2.jsonl" read_mac
expect_rc 0 "custom hard reset"
expect_out "Hard resetting via RTS pin..." "esptool's line for the custom hard reset"
[ "$(count_final_resets "$T/tr2.jsonl")" = 2 ] && ok "custom hard reset: two EN pulses" ||
    not_ok "custom hard reset: $(count_final_resets "$T/tr2.jsonl") EN pulses"
run "$ESPLOAD" --after no-reset --port "sim://esp32?transcript=$T/tr3.jsonl" read_mac
[ "$(count_final_resets "$T/tr3.jsonl")" = 0 ] && ok "--after no-reset: sequence not run" ||
    not_ok "--after no-reset: $(count_final_resets "$T/tr3.jsonl") EN pulses"

done_testing
