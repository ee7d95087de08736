#!/usr/bin/env bash
# Issue 23's GPU figures, on the lent GPU machine (../shared/docs/GPU.md), from the unpacked bundle:
#   bash .gpubundle/unpack.sh && export PATH=/tmp/gw/bin:$PATH && bash bench/gpu/issue23.sh OUTDIR [offload|blank]
# offload: real-sdxl.py with and without --offload model under `genwatt run --probe nvml` (and the
#          offloaded one under --probe nvidia-smi: PCIe from `dmon -s t`), plus bench/gpu/pcie-capture.py
#          (NVML's PCIe byte counters and dmon's output beside the pipeline, as real captures);
#          bench/gpu/offload-compare.py prints each run's PCIe GB/image against the weights moved.
# blank:   genwatt's own CPU (bench/gpu/self-cpu.sh) with the blank check on (the default) on the
#          sdxl, turbo ×81 and batch4 presets; a black and a flat grey PNG are dropped among the sdxl images.
set -u
O=${1:?OUTDIR}; what=${2:-offload}; mkdir -p "$O"
B=.gpubundle
G="node /tmp/gw/app/dist/src/cli.js"
mkdir -p /tmp/dif
[ -d /tmp/dif/src ] || tar -C /tmp/dif -xJf $B/diffusers.tar.xz
export PYTHONPATH=/tmp/dif/src
run() { # NAME PROBE REAL-SDXL-ARGS…
  local name=$1 probe=$2; shift 2
  rm -rf "/tmp/img-$name"; rm -f "$O/gen-$name.jsonl"
  bash bench/gpu/self-cpu.sh "$name" $G run --probe "$probe" --idle 3 --plain --record "$O/$name.json" --out "/tmp/img-$name" \
    -- python3 $B/real-sdxl.py "/tmp/img-$name" "$O/gen-$name.jsonl" "$@" > "$O/$name.out" 2>&1
  tail -1 "$O/$name.out"
  $G report --json "$O/$name.json" > "$O/$name.report.json"
  python3 bench/gpu/offload-compare.py "$O/$name.report.json" "$O/gen-$name.jsonl" "$name"
}
if [ "$what" = offload ]; then
  nvidia-smi --query-gpu=name,driver_version,memory.total,pcie.link.gen.current,pcie.link.width.current --format=csv
  python3 bench/gpu/pcie-capture.py "$O/cap" off /tmp/img-cap -- $B/real-sdxl.py --preset sdxl --batches 4 --offload model | tail -1
  run offload nvml --preset sdxl --batches 6 --offload model
  run plain nvml --preset sdxl --batches 6
  run offload-smi nvidia-smi --preset sdxl --batches 5 --offload model
fi
if [ "$what" = blank ]; then
  ( sleep 20; python3 - <<'PY'
from PIL import Image
Image.new("RGB", (1024, 1024), (0, 0, 0)).save("/tmp/img-sdxl/zz-black.png")
Image.new("RGB", (1024, 1024), (128, 128, 128)).save("/tmp/img-sdxl/zz-grey.png")
PY
  ) &
  run sdxl nvml --preset sdxl
  run turbo81 nvml --preset turbo --batches 81
  run batch4 nvml --preset batch4
  python3 - "$O/sdxl.report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["sessions"][0]["images"]
print("blank:", [(x["path"].split("/")[-1], x["blank"], x["entropyBits"]) for x in r if x["blank"] or x["path"].endswith(("black.png", "grey.png"))])
print("decoded (entropyBits not null):", sum(1 for x in r if x["entropyBits"] is not None), "of", len(r))
PY
fi
