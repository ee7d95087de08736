#!/usr/bin/env bash
# Runs a command and prints the CPU seconds per wall second of that one process (not its children:
# genwatt's own cost, without the generator it starts), from /proc/PID/stat polled every 0.2 s:
# over its whole life, and over the steady part (from 5 s after the start to 2 s before the end:
# without Node's start-up and the final file's writing).
# Usage: self-cpu.sh LABEL CMD ARG…
label=$1; shift
"$@" &
pid=$!
tick=$(getconf CLK_TCK)
log=$(mktemp)
while kill -0 "$pid" 2>/dev/null; do
  if s=$(cut -d' ' -f14,15 "/proc/$pid/stat" 2>/dev/null); then echo "$(date +%s.%N) $(( ${s% *} + ${s#* } ))" >> "$log"; fi
  sleep 0.2
done
wait "$pid"; rc=$?
python3 - "$log" "$tick" "$label" "$rc" <<'PY'
import sys
rows = [tuple(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
tick, label, rc = float(sys.argv[2]), sys.argv[3], sys.argv[4]
if len(rows) < 2: print(f"self-cpu {label}: too short"); sys.exit()
(t0, c0), (t1, c1) = rows[0], rows[-1]
steady = [r for r in rows if r[0] >= t0 + 5 and r[0] <= t1 - 2]
s = f", steady {(steady[-1][1] - steady[0][1]) / tick / (steady[-1][0] - steady[0][0]):.4f} over {steady[-1][0] - steady[0][0]:.1f} s" if len(steady) >= 2 else ""
print(f"self-cpu {label}: {(c1 - c0) / tick / (t1 - t0):.4f} CPU s/s over its life ({t1 - t0:.1f} s){s} (exit {rc})")
PY
rm -f "$log"
exit $rc
