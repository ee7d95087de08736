#!/usr/bin/env bash
# Issue 13's GPU figures, on the lent GPU machine (../shared/docs/GPU.md), from the unpacked bundle:
#   bash .gpubundle/unpack.sh && export PATH=/tmp/gw/bin:$PATH && bash bench/gpu/cpu-and-truth.sh OUTDIR [cpu|truth|all]
# cpu:   genwatt vs nvidia-smi -lms 100 and vs nvitop, side by side in one cpu-meter run (CPU_SECONDS, default 30).
# truth: real-sdxl.py (sdxl, turbo ×81, batch4) under `genwatt run --probe nvml`, genwatt's own CPU
#        during each run (bench/gpu/self-cpu.sh) and its J/image against the generator's counter log.
#        GW_ARGS="--no-blank-check" SCENARIOS="sdxl turbo81": the same without decoding images, a subset.
set -u
O=${1:?OUTDIR}; what=${2:-all}; mkdir -p "$O"
B=.gpubundle
G="node /tmp/gw/app/dist/src/cli.js"
mkdir -p /tmp/dif /tmp/nvt
[ -d /tmp/dif/src ] || tar -C /tmp/dif -xJf $B/diffusers.tar.xz
[ -d /tmp/nvt/nvitop ] || tar -C /tmp/nvt -xJf $B/nvitop.tar.xz
export PYTHONPATH=/tmp/dif/src:/tmp/nvt
GPU=${GPU:-0}
if [ "$what" = cpu ] || [ "$what" = all ]; then
  F="timestamp,pci.bus_id,uuid,power.draw.instant,power.draw,memory.used,utilization.gpu,temperature.gpu,clocks.sm"
  TUI() { echo "TERM=xterm-256color script -qfc 'stty rows 40 cols 160; $1' /dev/null"; }
  python3 $B/cpu-meter.py "${CPU_SECONDS:-30}" \
    "gw-monitor-100=$G monitor --plain --probe nvml --interval 100 --no-record" \
    "nvidia-smi-lms100=nvidia-smi --query-gpu=$F --format=csv,noheader,nounits -lms 100" \
    "gw-dash-1000=$(TUI "$G monitor --probe nvml --interval 1000 --no-record")" \
    "nvitop-1=$(TUI "python3 -m nvitop --interval 1")" \
    "gw-dash-500=$(TUI "$G monitor --probe nvml --interval 500 --no-record")" \
    "nvitop-0.5=$(TUI "python3 -m nvitop --interval 0.5")" 2>&1 | tee "$O/cpu.txt"
fi
if [ "$what" = truth ] || [ "$what" = all ]; then
  # GW_ARGS: more `genwatt run` options (e.g. --no-blank-check); SCENARIOS: a subset (default all three).
  for spec in "sdxl --preset sdxl" "turbo81 --preset turbo --batches 81" "batch4 --preset batch4"; do
    set -- $spec; name=$1; shift
    case " ${SCENARIOS:-sdxl turbo81 batch4} " in *" $name "*) ;; *) continue ;; esac
    rm -rf "/tmp/img-$name"; rm -f "$O/gen-$name.jsonl"
    bash bench/gpu/self-cpu.sh "$name" $G run --gpu "$GPU" --probe nvml --idle 3 --plain ${GW_ARGS:-} --record "$O/$name.json" --out "/tmp/img-$name" \
      -- python3 $B/real-sdxl.py "/tmp/img-$name" "$O/gen-$name.jsonl" --gpu "$GPU" "$@" > "$O/$name.out" 2>&1
    tail -1 "$O/$name.out" | tee -a "$O/truth.txt"
    $G report --json "$O/$name.json" > "$O/$name.report.json" && python3 $B/truth-compare.py "$O/$name.report.json" "$O/gen-$name.jsonl" "$name" | tee -a "$O/truth.txt"
  done
fi
