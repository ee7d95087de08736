#!/usr/bin/env bash
# Where genwatt's own CPU goes on the lent GPU's host (issue 23's ≤ 0.025 CPU s/s): the CPU time of
# each NVML call genwatt makes (bench/gpu/nvml-cost.mjs), then the sdxl, turbo ×81 and batch4 presets
# under `genwatt run --probe nvml` with a V8 CPU profile of genwatt (node --cpu-prof), each beside its
# self-cpu figure. From the unpacked bundle:
#   bash .gpubundle/unpack.sh && export PATH=/tmp/gw/bin:$PATH && bash bench/gpu/issue23-cpu.sh OUTDIR
set -u
O=${1:?OUTDIR}; mkdir -p "$O/prof"
B=.gpubundle
mkdir -p /tmp/dif
[ -d /tmp/dif/src ] || tar -C /tmp/dif -xJf $B/diffusers.tar.xz
export PYTHONPATH=/tmp/dif/src
(cd /tmp/gw/app && node bench/gpu/nvml-cost.mjs 300) > "$O/nvml-cost.json" 2>&1
cat "$O/nvml-cost.json"
for p in sdxl turbo batch4; do
  args="--preset $p"; [ $p = turbo ] && args="$args --batches 81"
  rm -rf "/tmp/img-$p"
  bash bench/gpu/self-cpu.sh "$p-prof" node --cpu-prof --cpu-prof-dir="$O/prof" --cpu-prof-name="$p.cpuprofile" /tmp/gw/app/dist/src/cli.js \
    run --probe nvml --idle 3 --plain --no-record --out "/tmp/img-$p" -- python3 $B/real-sdxl.py "/tmp/img-$p" "/tmp/gen-$p.jsonl" $args > "$O/$p.out" 2>&1
  tail -1 "$O/$p.out"
done
