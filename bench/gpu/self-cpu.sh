#!/usr/bin/env bash
# Runs a command and prints the CPU seconds per wall second of that one process (not its children:
# genwatt's own cost, without the generator it starts), from /proc/PID/stat polled every 0.2 s.
# Usage: self-cpu.sh LABEL CMD ARG…   (prints "self-cpu LABEL: X CPU s/s over W s")
label=$1; shift
"$@" &
pid=$!
tick=$(getconf CLK_TCK)
first=""; last=""; t0=$(date +%s.%N); t1=$t0
while kill -0 "$pid" 2>/dev/null; do
  if s=$(cut -d' ' -f14,15 "/proc/$pid/stat" 2>/dev/null); then
    v=$(( ${s% *} + ${s#* } ))
    [ -z "$first" ] && first=$v && t0=$(date +%s.%N)
    last=$v; t1=$(date +%s.%N)
  fi
  sleep 0.2
done
wait "$pid"; rc=$?
python3 -c "import sys; a,b,t0,t1,tk=map(float,sys.argv[1:6]); print(f'self-cpu $label: {(b-a)/tk/max(1e-9,t1-t0):.4f} CPU s/s over {t1-t0:.1f} s (exit $rc)')" "${first:-0}" "${last:-0}" "$t0" "$t1" "$tick"
exit $rc
