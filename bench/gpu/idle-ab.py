#!/usr/bin/env python3
"""Idle power with nothing polling (A) against with a poller running (B), alternated A B A B ...
Each window is WINDOW_S long; only the hardware energy counter at its two edges is read (no other
NVML call during a window), so the figure is the GPU's own energy over the window.

Usage: idle-ab.py ROUNDS WINDOW_S SETTLE_S 'B-command'   (prints one line per window, then the summary)"""
import os, signal, statistics, subprocess, sys, time
import pynvml as N

rounds, window, settle, cmd = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
N.nvmlInit()
h = N.nvmlDeviceGetHandleByIndex(int(os.environ.get("GPU", "0")))

def watts():
    e0, t0 = N.nvmlDeviceGetTotalEnergyConsumption(h), time.time()
    time.sleep(window)
    e1, t1 = N.nvmlDeviceGetTotalEnergyConsumption(h), time.time()
    return (e1 - e0) / 1000 / (t1 - t0)

res = {"A": [], "B": []}
time.sleep(settle)
for r in range(rounds):
    for k in "AB":
        p = None
        if k == "B":
            p = subprocess.Popen(["bash", "-c", cmd], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
            time.sleep(settle)
        w = watts()
        if p:
            os.killpg(p.pid, signal.SIGTERM)
            p.wait()
            time.sleep(settle)
        res[k].append(w)
        print(f"round {r + 1} {k} {w:.2f} W", flush=True)
a, b = res["A"], res["B"]
d = [y - x for x, y in zip(a, b)]
print(f"A (nothing polling) {statistics.mean(a):.2f} W (min {min(a):.2f}, max {max(a):.2f}); "
      f"B (poller) {statistics.mean(b):.2f} W (min {min(b):.2f}, max {max(b):.2f}); "
      f"B-A per round {', '.join(f'{x:+.2f}' for x in d)} W, mean {statistics.mean(d):+.2f} W"
      + (f", sd {statistics.stdev(d):.2f} W" if len(d) > 1 else ""))
