#!/bin/sh
# A 100 MB endless boot loop streamed through `espload doctor` on stdin: the verdict holds
# and the peak memory does not grow with the input (compared with a tiny input).
. "$(dirname "$0")/lib.sh"
B="$EL_SRCDIR/tests/data/bootlogs"

python3 - "$ESPLOAD" "$B/seed-esp32spiram-20180719-v1.9.4-383.log" >"$T/res" 2>&1 <<'PY'
import resource, subprocess, sys
espload, seed = sys.argv[1], sys.argv[2]
boot = open(seed, "rb").read().replace(b"\n", b"\r\n") + b"ets Jun  8 2016 00:22:57\r\n\r\n"

def run(total):
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    p = subprocess.Popen([espload, "doctor"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    chunk = boot * max(1, (1 << 16) // len(boot))
    sent = 0
    while sent < total:
        p.stdin.write(chunk)
        sent += len(chunk)
    p.stdin.close()
    out = p.stdout.read().decode(errors="replace")
    rc = p.wait()
    # RUSAGE_CHILDREN's max RSS is the largest of the children waited for so far
    return rc, out, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, sent

rc_small, out_small, rss_small, _ = run(1)
rc, out, rss_big, sent = run(100 * 1024 * 1024)
print("rc", rc)
print("sent", sent)
print("rss_small_kb", rss_small)
print("rss_big_kb", rss_big)
print("verdict", [l for l in out.splitlines() if l.startswith("verdict:")][0][:40])
print("boot-loop", "[error] boot-loop" in out)
PY
grep -q "^rc 12$" "$T/res" && ok "100 MB boot loop: exit 12" || not_ok "exit: $(cat "$T/res")"
grep -q "^verdict verdict: psram-missing" "$T/res" && ok "100 MB: verdict psram-missing" ||
    not_ok "verdict: $(cat "$T/res")"
grep -q "^boot-loop True" "$T/res" && ok "100 MB: boot loop found" || not_ok "boot loop: $(cat "$T/res")"
small=$(sed -n 's/^rss_small_kb //p' "$T/res")
big=$(sed -n 's/^rss_big_kb //p' "$T/res")
if [ -n "$small" ] && [ -n "$big" ] && [ $((big - small)) -lt 16384 ] && [ "$big" -lt 204800 ]; then
    ok "peak memory bounded: $small KB for a tiny input, $big KB for 100 MB"
else
    not_ok "peak memory: $small KB tiny, $big KB for 100 MB"
fi
done_testing
