#!/usr/bin/env python3
"""Capture what the real interfaces print about PCIe traffic and heat beside real-sdxl.py (issue 23):
`nvidia-smi dmon -s t` and `dmon -s pucmt` verbatim, and NVML every 100 ms — the PCIe byte counter
fields (NVML_FI_DEV_PCIE_COUNT_TX_BYTES 197 / RX_BYTES 198, with their value type), the 20 ms
nvmlDeviceGetPcieThroughput (and what one call costs), memory used/free, temperature, SM clock and
clock event reasons — so genwatt's parsers follow real output and its per-image bytes have a truth.

Usage: pcie-capture.py OUTDIR NAME IMGDIR -- real-sdxl.py-args...
Writes OUTDIR/NAME_nvml.csv, NAME_dmon-t.txt, NAME_dmon-pucmt.txt, NAME_gen.jsonl, NAME_facts.json."""
import json, os, subprocess, sys, threading, time
import pynvml as N

out, name, imgdir = sys.argv[1], sys.argv[2], sys.argv[3]
gen_args = sys.argv[sys.argv.index("--") + 1:]
os.makedirs(out, exist_ok=True)
N.nvmlInit()
h = N.nvmlDeviceGetHandleByIndex(0)
facts = {"driver": N.nvmlSystemGetDriverVersion(), "name": N.nvmlDeviceGetName(h)}
fv = N.nvmlDeviceGetFieldValues(h, [197, 198])
facts["field_ret"] = [v.nvmlReturn for v in fv]
facts["field_type"] = [v.valueType for v in fv]
t0 = time.perf_counter()
try:
    facts["throughput_rx_kbs"] = N.nvmlDeviceGetPcieThroughput(h, 1)
    facts["throughput_tx_kbs"] = N.nvmlDeviceGetPcieThroughput(h, 0)
except N.NVMLError as e:
    facts["throughput_error"] = str(e)
facts["throughput_two_calls_ms"] = (time.perf_counter() - t0) * 1000
t0 = time.perf_counter()
for _ in range(100):
    N.nvmlDeviceGetFieldValues(h, [197, 198])
facts["fields_call_ms"] = (time.perf_counter() - t0) * 10
stop = threading.Event()
rows = []


def val(v):
    return {0: v.value.dVal, 1: v.value.uiVal, 2: v.value.ulVal, 3: v.value.ullVal, 4: v.value.sllVal}.get(v.valueType, v.value.ullVal)


def sample():
    nxt = time.time()
    k = 0
    while not stop.is_set():
        t = time.time()
        try:
            f = N.nvmlDeviceGetFieldValues(h, [197, 198])
            tx = val(f[0]) if f[0].nvmlReturn == 0 else ""
            rx = val(f[1]) if f[1].nvmlReturn == 0 else ""
            thr = ""
            if k % 10 == 0:  # 20 ms a direction: once a second
                thr = f"{N.nvmlDeviceGetPcieThroughput(h, 1)}/{N.nvmlDeviceGetPcieThroughput(h, 0)}"
            m = N.nvmlDeviceGetMemoryInfo(h)
            temp = N.nvmlDeviceGetTemperature(h, 0)
            sm = N.nvmlDeviceGetClockInfo(h, 1)
            rs = N.nvmlDeviceGetCurrentClocksEventReasons(h)
            e = N.nvmlDeviceGetTotalEnergyConsumption(h)
            rows.append(f"{int(t * 1000)},{tx},{rx},{thr},{m.used},{m.free},{temp},{sm},{rs},{e}")
        except N.NVMLError as err:
            print("nvml:", err, file=sys.stderr)
        k += 1
        nxt += 0.1
        stop.wait(max(0, nxt - time.time()))


th = threading.Thread(target=sample, daemon=True)
th.start()
d1 = subprocess.Popen(["nvidia-smi", "dmon", "-s", "t", "-d", "1"], stdout=open(os.path.join(out, f"{name}_dmon-t.txt"), "w"), stderr=subprocess.STDOUT)
d2 = subprocess.Popen(["nvidia-smi", "dmon", "-s", "pucmt", "-d", "1", "-o", "T"], stdout=open(os.path.join(out, f"{name}_dmon-pucmt.txt"), "w"), stderr=subprocess.STDOUT)
time.sleep(3)
gen = os.path.join(out, f"{name}_gen.jsonl")
if os.path.exists(gen):
    os.remove(gen)
rc = subprocess.call(["python3", *gen_args[:1], imgdir, gen, *gen_args[1:]])
time.sleep(3)
stop.set()
th.join()
for d in (d1, d2):
    d.terminate()
    d.wait()
facts["rc"] = rc
with open(os.path.join(out, f"{name}_nvml.csv"), "w") as f:
    f.write("epoch_ms,pcie_tx_bytes,pcie_rx_bytes,throughput_rx_tx_kbs,mem_used_bytes,mem_free_bytes,temp_c,sm_mhz,clock_event_reasons,energy_mj\n")
    f.write("\n".join(rows) + "\n")
with open(os.path.join(out, f"{name}_facts.json"), "w") as f:
    json.dump(facts, f, indent=1)
print(json.dumps(facts))
