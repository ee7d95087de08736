#!/usr/bin/env python3
"""Record a real power trace with counter truth, in the format of fixtures/traces/h100 (its README):
NVML every 50 ms (1 s average, instant, energy counter, memory, utilisation, temperature, SM clock)
beside a generator that reads the counter itself after every saved image (real-sdxl.py).

Usage: record-trace.py OUTDIR NAME IMGDIR -- real-sdxl.py-args...
Writes OUTDIR/NAME_trace.csv, NAME_generator.jsonl (load_start, load_end, image_saved..., done, as the
H100 traces name them) and NAME_meta.json. 5 s of idle before the generator and after it."""
import json, os, subprocess, sys, threading, time
import pynvml as N

out, name, imgdir = sys.argv[1], sys.argv[2], sys.argv[3]
gen_args = sys.argv[sys.argv.index("--") + 1:]
os.makedirs(out, exist_ok=True)
N.nvmlInit()
h = N.nvmlDeviceGetHandleByIndex(int(os.environ.get("GPU", "0")))
FI_INSTANT = 186  # NVML_FI_DEV_POWER_INSTANT
stop = threading.Event()
rows = []

def sample():
    nxt = time.time()
    while not stop.is_set():
        t = time.time()
        try:
            avg = N.nvmlDeviceGetPowerUsage(h)
            fv = N.nvmlDeviceGetFieldValues(h, [FI_INSTANT])[0]
            inst = fv.value.uiVal if fv.nvmlReturn == 0 else ""
            e = N.nvmlDeviceGetTotalEnergyConsumption(h)
            mem = N.nvmlDeviceGetMemoryInfo(h).used
            util = N.nvmlDeviceGetUtilizationRates(h).gpu
            temp = N.nvmlDeviceGetTemperature(h, 0)
            sm = N.nvmlDeviceGetClockInfo(h, 1)
            rows.append(f"{int(t * 1000)},{avg},{inst},{e},{mem},{util},{temp},{sm}")
        except N.NVMLError as err:
            print("nvml:", err, file=sys.stderr)
        nxt += 0.05
        stop.wait(max(0, nxt - time.time()))

th = threading.Thread(target=sample, daemon=True)
th.start()
time.sleep(5)
raw = os.path.join(out, f"{name}_raw.jsonl")
if os.path.exists(raw):
    os.remove(raw)
rc = subprocess.call(["python3", *gen_args[:1], imgdir, raw, *gen_args[1:]])
time.sleep(5)
stop.set()
th.join()
with open(os.path.join(out, f"{name}_trace.csv"), "w") as f:
    f.write("epoch_ms,power_avg_mw,power_instant_mw,energy_mj,mem_used_bytes,util_gpu_pct,temp_c,sm_mhz\n")
    f.write("\n".join(rows) + "\n")
kinds = {"start": "load_start", "loaded": "load_end", "image_saved": "image_saved", "end": "done"}
n = 0
with open(raw) as src, open(os.path.join(out, f"{name}_generator.jsonl"), "w") as dst:
    for line in src:
        ev = json.loads(line)
        if ev["ev"] not in kinds:
            continue
        o = {"kind": kinds[ev["ev"]], "epoch_ms": int(ev["t"] * 1000), "energy_mj": ev["mj"]}
        if ev["ev"] == "image_saved":
            o.update(index=n, path=ev["name"]); n += 1
        dst.write(json.dumps(o) + "\n")
arch = {7: "Ampere", 8: "Ada", 9: "Hopper", 10: "Blackwell"}
try:
    a = N.nvmlDeviceGetArchitecture(h)
except N.NVMLError:
    a = None
meta = dict(gpu=N.nvmlDeviceGetName(h), driver=N.nvmlSystemGetDriverVersion(), architecture=arch.get(a, a),
            generator=" ".join(gen_args), images=n, power_limit_mw=N.nvmlDeviceGetPowerManagementLimit(h),
            memory_total_bytes=N.nvmlDeviceGetMemoryInfo(h).total, sample_ms=50, rc=rc)
json.dump(meta, open(os.path.join(out, f"{name}_meta.json"), "w"), indent=1)
print(name, "rows", len(rows), "images", n, "rc", rc)
