#!/usr/bin/env bash
# Runs on the GPU machine (../shared/docs/GPU.md), from /tmp/gw/app after unpacking the bundle:
# genwatt around gpu-truth-generator.py for each probe and scenario, then genwatt's own CPU next to
# `nvidia-smi -lms 100` over the same 60 s. Everything lands in $OUT/truth.tar.gz; analyse it here
# with `node bench/gpu/analyze-truth.mjs DIR`.
set -uo pipefail
GEN=${GEN:-$(dirname "$0")/../../.gpubundle/gpu-truth-generator.py}
[ -f "$GEN" ] || GEN=/tmp/gw/gpu-truth-generator.py
OUT_DIR=${OUT_DIR:-$OUT}
RES=$(mktemp -d)
export OUT=$RES   # the generator writes its logs here
scenarios=("sdxl 25 12 atomic 1" "turbo 9 16 atomic 1" "turbo-b2 9 16 atomic 2")
for probe in ${PROBES:-nvml nvidia-smi}; do
  for s in "${scenarios[@]}"; do
    set -- $s
    name="${probe}_$1"
    rm -rf "/tmp/gen_$name"
    node dist/src/cli.js run --plain --probe "$probe" --idle 3 --interval 100 --record "$RES/$name.json" \
      --tag scenario="$1" --out "/tmp/gen_$name" -- python3 "$GEN" "$name" "$2" "$3" "$4" "$5" > "$RES/$name.out" 2> "$RES/$name.err"
    echo "$name exit $?" >> "$RES/runs.txt"
  done
done
# CPU: genwatt monitoring (NVML at 10 Hz, counter once a second), genwatt with the counter read at
# every sample (as in a measured run), and nvidia-smi -lms 100, side by side for 60 s
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
node dist/src/cli.js monitor --plain --probe nvml --interval 100 > /dev/null 2>&1 &
G=$!
node dist/src/cli.js monitor --plain --probe nvml --interval 100 --counter-interval 100 > /dev/null 2>&1 &
P=$!
nvidia-smi --query-gpu=timestamp,power.draw.instant,memory.used,utilization.gpu,temperature.gpu,clocks.sm --format=csv,noheader,nounits -lms 100 > /dev/null 2>&1 &
S=$!
sleep 3
g0=$(cpu $G); p0=$(cpu $P); s0=$(cpu $S); t0=$(date +%s%N)
sleep 60
g1=$(cpu $G); p1=$(cpu $P); s1=$(cpu $S); t1=$(date +%s%N)
kill -INT $G $P; kill $S; wait $G $P $S 2>/dev/null
echo "{\"wallMs\": $(( (t1 - t0) / 1000000 )), \"genwattTicks\": $((g1 - g0)), \"genwattCounterEverySampleTicks\": $((p1 - p0)), \"nvidiaSmiTicks\": $((s1 - s0)), \"clkTck\": $(getconf CLK_TCK)}" > "$RES/cpu.json"
nvidia-smi -q -x > "$RES/nvidia-smi-q-x.xml" 2>/dev/null
tar -C "$RES" -czf "$OUT_DIR/truth.tar.gz" .
