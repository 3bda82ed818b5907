#!/bin/sh
# The transcript: one JSON object per line for every frame, text line and device event.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || { not_ok "python3 is needed to check the JSON"; done_testing; }
run "$ESPLOAD" --chip esp32 --port "sim://esp32?transcript=$T/tr.jsonl" read_mac
expect_rc 0 "read_mac with a transcript"
[ -s "$T/tr.jsonl" ] && ok "transcript written" || not_ok "no transcript"
python3 - "$T/tr.jsonl" >"$T/check" 2>&1 <<'PY'
import json, sys
ops = set(); texts = []; events = []; statuses = []
for n, line in enumerate(open(sys.argv[1]), 1):
    o = json.loads(line)
    assert isinstance(o["t_us"], int), n
    if "op" in o:
        assert o["dir"] in ("in", "out"), n
        h = o["hex"]
        assert o["len"] * 2 == len(h) or (h.endswith("...") and len(h) == 8195), n
        int(h.rstrip("."), 16) if h else 0
        ops.add((o["dir"], o["op"]))
        if o["dir"] == "out" and o["op"] == "SYNC":
            statuses.append(o["status"])
    elif "text" in o:
        texts.append(o["text"])
    else:
        events.append(o["event"])
print("in SYNC" if ("in", "SYNC") in ops else "no in SYNC")
print("out SYNC" if ("out", "SYNC") in ops else "no out SYNC")
print("out READ_REG" if ("out", "READ_REG") in ops else "no out READ_REG")
print("waiting" if "waiting for download" in texts else "no waiting")
print("EN events" if "EN low" in events and "EN high" in events else "no EN events")
print("sync ok" if statuses and all(s == 0 for s in statuses) else "sync status bad")
PY
[ $? -eq 0 ] && ok "every line is JSON with consistent fields" || { not_ok "bad JSON"; cat "$T/check"; }
for w in "in SYNC" "out SYNC" "out READ_REG" "waiting" "EN events" "sync ok"; do
    grep -qx "$w" "$T/check" && ok "transcript has: $w" || not_ok "transcript lacks: $w"
done

done_testing
