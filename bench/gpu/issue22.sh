#!/usr/bin/env bash
# Issue 22's GPU figures, on the lent GPU machine, from the unpacked bundle:
#   bash .gpubundle/unpack.sh && export PATH=/tmp/gw/bin:$PATH && bash bench/gpu/issue22.sh OUTDIR
# 1. idle power with nothing polling vs with `genwatt monitor --interval 100` (the dashboard, in a pty)
#    running, A B A B A B, 30 s windows, the counter read only at the window edges (idle-ab.py);
# 2. new traces with counter truth: real-sdxl.py (sdxl, turbo) beside a 20 Hz NVML logger (record-trace.py).
set -u
O=${1:?OUTDIR}; mkdir -p "$O"
B=.gpubundle
G="node /tmp/gw/app/dist/src/cli.js"
mkdir -p /tmp/dif && { [ -d /tmp/dif/src ] || tar -C /tmp/dif -xJf $B/diffusers.tar.xz; }
export PYTHONPATH=/tmp/dif/src
nvidia-smi --query-gpu=name,driver_version,power.draw,power.draw.instant,pstate,persistence_mode,display_active --format=csv | tee "$O/gpu.txt"
python3 bench/gpu/idle-ab.py "${ROUNDS:-3}" "${WINDOW_S:-30}" 5 \
  "TERM=xterm-256color script -qfc 'stty rows 40 cols 120; $G monitor --probe nvml --interval 100 --no-record' /dev/null" | tee "$O/idle-ab.txt"
for spec in "sdxl --preset sdxl" "turbo --preset turbo --batches 30"; do
  set -- $spec; name=$1; shift
  rm -rf "/tmp/img-$name"
  python3 bench/gpu/record-trace.py "$O" "h-$name" "/tmp/img-$name" -- $B/real-sdxl.py "$@" 2>&1 | tail -3
done
