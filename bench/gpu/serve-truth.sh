#!/usr/bin/env bash
# Runs on the GPU machine (../shared/docs/GPU.md), from /tmp/gw/app after unpacking the bundle:
# `genwatt serve --probe nvml` watching the folder gpu-truth-generator.py writes into, scraped before
# and after; the session serve recorded is copied as serve_<scenario>.json next to the generator's
# truth so `node bench/gpu/analyze-truth.mjs DIR` compares them. Results: $OUT/serve-truth.tar.gz.
set -uo pipefail
GEN=${GEN:-$(dirname "$0")/../../.gpubundle/gpu-truth-generator.py}
[ -f "$GEN" ] || GEN=/tmp/gw/gpu-truth-generator.py
OUT_DIR=${OUT_DIR:-$OUT}
RES=$(mktemp -d)
export OUT=$RES
scrape() { echo "# scraped_at_ms $(date +%s%3N)"; node -e "fetch('http://127.0.0.1:9464/metrics').then(r=>r.text()).then(t=>process.stdout.write(t))"; }
for s in "turbo 9 16 atomic 1" "sdxl 25 10 atomic 1"; do
  set -- $s
  name="serve_$1"
  rm -rf "/tmp/gen_$name" "$RES/rec_$1"
  mkdir -p "/tmp/gen_$name"
  node dist/src/cli.js serve --probe nvml --listen 127.0.0.1:9464 --watch "/tmp/gen_$name" --record-dir "$RES/rec_$1" \
    --idle 3 --run-gap 8 --interval 100 > "$RES/$name.serve.log" 2>&1 &
  SP=$!
  sleep 5
  scrape > "$RES/$name.metrics0.txt"
  python3 "$GEN" "$name" "$2" "$3" "$4" "$5" > "$RES/$name.out" 2> "$RES/$name.err"
  echo "$name generator exit $?" >> "$RES/runs.txt"
  sleep 10   # the run gap (8 s) ends the run; its file is finished
  scrape > "$RES/$name.metrics1.txt"
  kill -TERM $SP; wait $SP
  echo "$name serve exit $?" >> "$RES/runs.txt"
  f=$(ls "$RES/rec_$1"/*-gen_$name.json 2>/dev/null | head -1)
  [ -n "$f" ] && cp "$f" "$RES/$name.json"
done
tar -C "$RES" -czf "$OUT_DIR/serve-truth.tar.gz" .
