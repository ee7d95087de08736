#!/usr/bin/env bash
# Issue 16's evidence on a two-GPU machine (device kind nvidia-h200-x2), from the unpacked bundle:
#   bash .gpubundle/unpack.sh && export PATH=/tmp/gw/bin:$PATH && bash bench/gpu/multi-gpu.sh OUTDIR
# 1. real captures with both GPUs: nvidia-smi detect/stream CSV (genwatt's own queries), -q -x, and
#    --query-compute-apps / -q -x while two generators run; `genwatt probe --json`.
# 2. two real-sdxl.py generators at once, one per GPU, each under `genwatt run --gpu I --probe nvml`,
#    each compared with its own counter log.
# 3. CUDA_VISIBLE_DEVICES=1 without --gpu (only GPU 1 charged), and --gpu auto (the generator on GPU 1
#    found by its processes).
set -u
O=${1:?OUTDIR}; mkdir -p "$O"
B=.gpubundle
G="node /tmp/gw/app/dist/src/cli.js"
mkdir -p /tmp/dif && { [ -d /tmp/dif/src ] || tar -C /tmp/dif -xJf $B/diffusers.tar.xz; }
export PYTHONPATH=/tmp/dif/src
D="index,uuid,pci.bus_id,name,memory.total,enforced.power.limit,power.limit,driver_version"
F="timestamp,pci.bus_id,uuid,power.draw.instant,power.draw,memory.used,utilization.gpu,temperature.gpu,clocks.sm"
nvidia-smi --version > "$O/nvidia-smi-version.txt" 2>&1
nvidia-smi --query-gpu=$D --format=csv,noheader,nounits > "$O/detect.csv"
timeout 6 nvidia-smi --query-gpu=$F --format=csv,noheader,nounits -lms 100 > "$O/stream-idle.csv"
nvidia-smi -q -x > "$O/q-idle.xml"
$G probe --json > "$O/probe.json" 2>&1
cmp() { $G report --json "$O/$1.json" > "$O/$1.report.json" && python3 $B/truth-compare.py "$O/$1.report.json" "$O/gen-$1.jsonl" "$1" | tee -a "$O/multi.txt"; }
rm -rf /tmp/img-g0 /tmp/img-g1
$G run --gpu 0 --probe nvml --idle 3 --plain --record "$O/g0.json" --out /tmp/img-g0 -- python3 $B/real-sdxl.py /tmp/img-g0 "$O/gen-g0.jsonl" --preset sdxl --gpu 0 > "$O/g0.out" 2>&1 &
p0=$!
$G run --gpu 1 --probe nvml --idle 3 --plain --record "$O/g1.json" --out /tmp/img-g1 -- python3 $B/real-sdxl.py /tmp/img-g1 "$O/gen-g1.jsonl" --preset sdxl --gpu 1 > "$O/g1.out" 2>&1 &
p1=$!
# while both generate: the process lists and a loaded stream
for i in $(seq 1 60); do [ -s /tmp/img-g0/00003.png ] || [ "$(ls /tmp/img-g0 2>/dev/null | wc -l)" -ge 3 ] && break; sleep 1; done
nvidia-smi --query-compute-apps=pid,process_name,gpu_uuid,gpu_bus_id,used_memory --format=csv > "$O/compute-apps.csv"
nvidia-smi --query-compute-apps=pid,process_name,gpu_uuid,gpu_bus_id,used_memory --format=csv,noheader,nounits > "$O/compute-apps_nounits.csv"
nvidia-smi -q -x > "$O/q-load.xml"
timeout 6 nvidia-smi --query-gpu=$F --format=csv,noheader,nounits -lms 100 > "$O/stream-load.csv"
wait $p0 $p1
cmp g0; cmp g1
rm -rf /tmp/img-cvd
CUDA_VISIBLE_DEVICES=1 $G run --probe nvml --idle 3 --plain --record "$O/cvd.json" --out /tmp/img-cvd -- python3 $B/real-sdxl.py /tmp/img-cvd "$O/gen-cvd.jsonl" --preset turbo > "$O/cvd.out" 2>&1
cmp cvd
rm -rf /tmp/img-auto
$G run --probe nvml --idle 3 --plain --record "$O/auto.json" --out /tmp/img-auto -- python3 $B/real-sdxl.py /tmp/img-auto "$O/gen-auto.jsonl" --preset turbo --gpu 1 > "$O/auto.out" 2>&1
cmp auto
for f in g0 g1 cvd auto; do python3 -c "import json,sys; d=json.load(open('$O/$f.json')); r=d['run']; print('$f', 'charged', r.get('gpus'), '|', r.get('gpuReason'))" | tee -a "$O/multi.txt"; done
grep -h "charging" "$O"/*.out | tee -a "$O/multi.txt"
