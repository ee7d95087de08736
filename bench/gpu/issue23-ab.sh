#!/usr/bin/env bash
# genwatt's own CPU and its J/image against the counter truth, a previous build beside this one on the
# same lent GPU (issue 23's ≤ 0.025 CPU s/s), plus the CPU of each NVML call under a real SDXL load.
# Here: build, pack (../shared/tools/pack-for-gpu.sh), then put the previous build's dist beside it:
#   git worktree add /tmp/old REV && (cd /tmp/old && ln -s $PWD/node_modules . && npm run build)
#   tar -C /tmp/old -cJf .gpubundle/old-dist.tar.xz dist
# There: bash .gpubundle/unpack.sh && export PATH=/tmp/gw/bin:$PATH && bash bench/gpu/issue23-ab.sh WORKDIR
# CONFIGS (default "old new new1000": the previous build, this one, this one reading the counter every
# second) and SCENARIOS (default "sdxl turbo81 batch4") pick a subset. Each result line is appended
# to WORKDIR/summary.txt as it comes.
set -u
O=${1:?WORKDIR}; mkdir -p "$O"
B=$PWD/.gpubundle
mkdir -p /tmp/dif
[ -d /tmp/dif/src ] || tar -C /tmp/dif -xJf "$B/diffusers.tar.xz"
export PYTHONPATH=/tmp/dif/src
if [ -f "$B/old-dist.tar.xz" ]; then
  # the app as unpacked (package.json, schema/, node_modules…), its dist/ replaced by the old build's
  rm -rf /tmp/gw/old && mkdir -p /tmp/gw/old
  for f in /tmp/gw/app/* /tmp/gw/app/.[!.]*; do [ -e "$f" ] && [ "$(basename "$f")" != dist ] && ln -s "$f" /tmp/gw/old/; done
  tar -C /tmp/gw/old -xJf "$B/old-dist.tar.xz"
fi
S="$O/summary.txt"
nvidia-smi --query-gpu=name,driver_version,pcie.link.gen.current,pcie.link.width.current --format=csv,noheader >> "$S"

# The CPU of each NVML call while a real SDXL pipeline runs (the energy counter read waits on the GPU's firmware).
rm -rf /tmp/img-load /tmp/gen-load.jsonl
python3 "$B/real-sdxl.py" /tmp/img-load /tmp/gen-load.jsonl --preset sdxl --batches 40 > "$O/load.out" 2>&1 &
LP=$!
for _ in $(seq 240); do grep -q '"loaded"' /tmp/gen-load.jsonl 2>/dev/null && break; sleep 0.5; done
sleep 3
(cd /tmp/gw/app && node bench/gpu/nvml-cost.mjs 60) > "$O/nvml-cost-loaded.json" 2>&1
kill $LP 2>/dev/null; wait $LP 2>/dev/null
echo "nvml cost under sdxl load (µs CPU/call): $(python3 -c "import json;d=json.load(open('$O/nvml-cost-loaded.json'));print({k:v['cpuUsPerCall'] for k,v in d.items()})")" >> "$S"

for cfg in ${CONFIGS:-old new new1000}; do
  case $cfg in
    old) G="node /tmp/gw/old/dist/src/cli.js"; X="" ;;
    new) G="node /tmp/gw/app/dist/src/cli.js"; X="" ;;
    new1000) G="node /tmp/gw/app/dist/src/cli.js"; X="--counter-interval 1000" ;;
    *) echo "unknown config $cfg" >> "$S"; continue ;;
  esac
  for spec in "sdxl --preset sdxl" "turbo81 --preset turbo --batches 81" "batch4 --preset batch4"; do
    set -- $spec; name=$1; shift
    case " ${SCENARIOS:-sdxl turbo81 batch4} " in *" $name "*) ;; *) continue ;; esac
    r="$cfg-$name"
    rm -rf "/tmp/img-$name"
    bash bench/gpu/self-cpu.sh "$r" $G run --probe nvml --idle 3 --plain $X --record "$O/$r.json" --out "/tmp/img-$name" \
      -- python3 "$B/real-sdxl.py" "/tmp/img-$name" "$O/gen-$r.jsonl" "$@" > "$O/$r.out" 2>&1
    tail -1 "$O/$r.out" >> "$S"
    $G report --json "$O/$r.json" > "$O/$r.report.json" 2>/dev/null && python3 "$B/truth-compare.py" "$O/$r.report.json" "$O/gen-$r.jsonl" "$r" >> "$S"
  done
done
