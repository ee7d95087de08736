#!/usr/bin/env python3
"""Per-image PCIe traffic genwatt recorded against what real-sdxl.py says it moved (issue 23).
Usage: offload-compare.py REPORT.json GEN.jsonl NAME — prints, for the steady images: how many are
marked offload, host→GPU and GPU→host GB/image, their sum against the script's moved_bytes per batch
(2 × the weights: GPU→host after a batch, host→GPU before the next), host RAM peak, free VRAM, heat."""
import json, statistics, sys

rep, gen, name = sys.argv[1:4]
s = json.load(open(rep))["sessions"][0]
ev = [json.loads(l) for l in open(gen) if l.strip()]
w = next((e for e in ev if e["ev"] == "weights"), {})
moved = [e["moved_bytes"] for e in ev if e["ev"] == "offloaded"]
per = max(1, next((e.get("per", 1) for e in ev if e["ev"] == "start"), 1))
steady = [i for i in s["images"] if not i["warmup"] and not i["blank"]]
m = [i.get("memory") or {} for i in steady]
rx = [x["pcieRxBytes"] for x in m if x.get("pcieRxBytes") is not None]
tx = [x["pcieTxBytes"] for x in m if x.get("pcieTxBytes") is not None]
off = sum(1 for x in m if x.get("offload"))
gb = lambda v: f"{v / 1e9:.3f}" if v is not None else "n/a"
mean = lambda v: statistics.mean(v) if v else None
expect = (moved[0] / per) if moved else None
both = mean([a + b for a, b in zip(rx, tx)]) if rx and tx else None
print(f"{name}: {len(steady)} steady images, {off} marked offload; PCIe to GPU {gb(mean(rx))} GB/image, from GPU {gb(mean(tx))} GB/image"
      f" (method {m[0].get('pcieMethod') if m else 'n/a'}); weights {gb(w.get('bytes'))} GB"
      + (f"; moved per image (script) {gb(expect)} GB, genwatt {gb(both)} GB: {100 * (both / expect - 1):+.1f} %" if expect and both else "")
      + (f"; to GPU vs weights {100 * (mean(rx) / w['bytes'] - 1):+.1f} %" if rx and w.get("bytes") and moved else ""))
sm = s["summary"]
print(f"  summary memory {json.dumps(sm.get('memory'))}")
print(f"  summary heat {json.dumps(sm.get('heat'))}")
print(f"  J/image {sm['joulesPerImage']['mean']}, s/image {sm['secondsPerImage']['mean']}")
