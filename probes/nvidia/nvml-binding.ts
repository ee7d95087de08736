/**
 * NVML called directly from Node through koffi (FFI): one library handle and one NVML session for
 * the process, ~1 ms a call on the H100, no process spawned per sample. Every call returns NVML's
 * status code with the value, so the caller decides what NOT_SUPPORTED means (an absent metric).
 * This file only declares and calls; mapping answers to readings is pure (nvml-map.ts).
 */

/** NVML status codes genwatt distinguishes (nvml.h). */
export const NVML = {
  SUCCESS: 0,
  ERROR_UNINITIALIZED: 1,
  ERROR_INVALID_ARGUMENT: 2,
  ERROR_NOT_SUPPORTED: 3,
  ERROR_NO_PERMISSION: 4,
  ERROR_NOT_FOUND: 6,
  ERROR_INSUFFICIENT_SIZE: 7,
  ERROR_DRIVER_NOT_LOADED: 9,
  ERROR_TIMEOUT: 10,
  ERROR_FUNCTION_NOT_FOUND: 13,
  ERROR_GPU_IS_LOST: 15,
  ERROR_ARGUMENT_VERSION_MISMATCH: 25,
  ERROR_UNKNOWN: 999,
} as const;

/** NVML_FI_DEV_POWER_INSTANT: instantaneous board power, mW (nvml.h). */
export const FI_DEV_POWER_INSTANT = 186;
/** NVML_FI_DEV_PCIE_COUNT_TX_BYTES / RX_BYTES: cumulative PCIe bytes sent / received by the GPU (drivers 535+). */
export const FI_DEV_PCIE_COUNT_TX_BYTES = 197;
export const FI_DEV_PCIE_COUNT_RX_BYTES = 198;
/** nvmlPcieUtilCounter_t */
export const PCIE_UTIL_TX_BYTES = 0;
export const PCIE_UTIL_RX_BYTES = 1;

export interface Answer<T> {
  ret: number;
  value?: T;
}

export interface NvmlMemory {
  totalBytes: number;
  usedBytes: number;
  /** v2 only: memory the driver reserves (not in "used"). */
  reservedBytes?: number;
  /** Free memory as the driver counts it. */
  freeBytes?: number;
}

export interface FieldAnswer {
  fieldId: number;
  ret: number;
  /** Microseconds since the epoch, when NVML took the value. */
  timestampUs: number;
  value: number;
  /** nvmlValueType_t of `value` (1: 32-bit unsigned, so a byte counter wraps at 4 GiB); undefined: 64-bit. */
  valueType?: number;
}

export type DeviceHandle = unknown;

/** A process using the GPU (nvmlProcessInfo_t): GPU memory in bytes, undefined when NVML does not say. */
export interface NvmlProcess {
  pid: number;
  usedBytes?: number;
}

/** What genwatt asks NVML; implemented by koffi here and by fakes in tests. */
export interface NvmlBinding {
  init(): number;
  shutdown(): number;
  errorString(ret: number): string;
  driverVersion(): Answer<string>;
  deviceCount(): Answer<number>;
  handle(index: number): Answer<DeviceHandle>;
  name(h: DeviceHandle): Answer<string>;
  uuid(h: DeviceHandle): Answer<string>;
  pciBusId(h: DeviceHandle): Answer<string>;
  /** mJ since the driver loaded. */
  totalEnergyMj(h: DeviceHandle): Answer<number>;
  /** mW, the driver's 1 s average on Ampere and newer. */
  powerUsageMw(h: DeviceHandle): Answer<number>;
  fieldValues(h: DeviceHandle, fieldIds: readonly number[]): Answer<FieldAnswer[]>;
  memory(h: DeviceHandle): Answer<NvmlMemory>;
  utilization(h: DeviceHandle): Answer<{ gpu: number; memory: number }>;
  temperatureC(h: DeviceHandle): Answer<number>;
  smClockMhz(h: DeviceHandle): Answer<number>;
  enforcedPowerLimitMw(h: DeviceHandle): Answer<number>;
  clockEventReasons(h: DeviceHandle): Answer<bigint>;
  /**
   * nvmlDeviceGetPcieThroughput: KB/s over a 20 ms sample that the call waits for (so it is asked
   * once a second, and only where the byte counter fields 197/198 are missing).
   */
  pcieThroughputKBs?(h: DeviceHandle, counter: typeof PCIE_UTIL_TX_BYTES | typeof PCIE_UTIL_RX_BYTES): Answer<number>;
  /** nvmlDeviceGetArchitecture (NVML_DEVICE_ARCH_*: 7 Ampere, 9 Hopper); absent in drivers before 460. */
  architecture?(h: DeviceHandle): Answer<number>;
  /** nvmlDeviceGetPerformanceState: 0 (P0, most power) … 15; 32 unknown. */
  performanceState?(h: DeviceHandle): Answer<number>;
  /** nvmlDeviceGetPersistenceMode: 1 enabled. */
  persistenceMode?(h: DeviceHandle): Answer<number>;
  /** nvmlDeviceGetDisplayActive: 1 when a display is initialised on the GPU. */
  displayActive?(h: DeviceHandle): Answer<number>;
  /** Processes running compute work on the GPU (nvmlDeviceGetComputeRunningProcesses). */
  computeProcesses(h: DeviceHandle): Answer<NvmlProcess[]>;
  /** Processes with a graphics context on the GPU. */
  graphicsProcesses(h: DeviceHandle): Answer<NvmlProcess[]>;
}

/** nvmlProcessInfo_t (v2/v3): pid u32 (+4 padding), usedGpuMemory u64, gpuInstanceId u32, computeInstanceId u32. */
const PROCESS_INFO_BYTES = 24;
/** NVML_VALUE_NOT_AVAILABLE for usedGpuMemory (e.g. under Windows WDDM, or without permission). */
const NOT_AVAILABLE = 0xffffffffffffffffn;

/** Decodes `count` nvmlProcessInfo_t entries. */
export function decodeProcessInfos(buf: Buffer, count: number): NvmlProcess[] {
  const out: NvmlProcess[] = [];
  for (let i = 0; i < count && (i + 1) * PROCESS_INFO_BYTES <= buf.length; i++) {
    const o = i * PROCESS_INFO_BYTES;
    const used = buf.readBigUInt64LE(o + 8);
    const p: NvmlProcess = { pid: buf.readUInt32LE(o) };
    if (used !== NOT_AVAILABLE) p.usedBytes = Number(used);
    out.push(p);
  }
  return out;
}

/** NVML's two-call pattern for process lists: ask the count, then fill a buffer a little larger. */
function processList(fn: ((h: DeviceHandle, count: number[], infos: Buffer | null) => number) | undefined, h: DeviceHandle): Answer<NvmlProcess[]> {
  if (!fn) return { ret: NVML.ERROR_FUNCTION_NOT_FOUND };
  const count = [0];
  let ret = fn(h, count, null);
  if (ret === NVML.SUCCESS) return { ret, value: [] };
  if (ret !== NVML.ERROR_INSUFFICIENT_SIZE) return { ret };
  const n = Math.min(4096, count[0] + 8); // processes may start between the two calls
  const buf = Buffer.alloc(n * PROCESS_INFO_BYTES);
  count[0] = n;
  ret = fn(h, count, buf);
  return ret === NVML.SUCCESS ? { ret, value: decodeProcessInfos(buf, count[0]) } : { ret };
}

const LIB_NAMES = ['libnvidia-ml.so.1', 'libnvidia-ml.so', 'nvml.dll'];

/**
 * The NVML symbols genwatt calls and the structs they fill (a declarative table: one line per
 * function, as nvml.h declares it). A symbol an older driver lacks is undefined, not an error.
 */
function nvmlSymbols(koffi: typeof import('koffi'), l: import('koffi').IKoffiLib) {
  const opt = (proto: string) => {
    try {
      return l.func(proto);
    } catch {
      return undefined; // older driver: the symbol is missing
    }
  };
  // Registered by name: the signatures below refer to these types as strings.
  koffi.pointer('nvmlDevice_t', koffi.opaque());
  koffi.struct('nvmlPciInfo_t', {
    busIdLegacy: koffi.array('char', 16, 'String'),
    domain: 'uint',
    bus: 'uint',
    device: 'uint',
    pciDeviceId: 'uint',
    pciSubSystemId: 'uint',
    busId: koffi.array('char', 32, 'String'),
  });
  koffi.struct('nvmlMemory_t', { total: 'ulonglong', free: 'ulonglong', used: 'ulonglong' });
  const MemoryV2 = koffi.struct('nvmlMemory_v2_t', { version: 'uint', total: 'ulonglong', reserved: 'ulonglong', free: 'ulonglong', used: 'ulonglong' });
  koffi.struct('nvmlUtilization_t', { gpu: 'uint', memory: 'uint' });
  koffi.struct('nvmlFieldValue_t', {
    fieldId: 'uint',
    scopeId: 'uint',
    timestamp: 'longlong',
    latencyUsec: 'longlong',
    valueType: 'int',
    nvmlReturn: 'int',
    value: koffi.union('nvmlValue_t', {
      dVal: 'double',
      uiVal: 'uint',
      ulVal: 'ulong',
      ullVal: 'ulonglong',
      sllVal: 'longlong',
      siVal: 'int',
      usVal: 'ushort',
    }),
  });
  const f = {
    init: l.func('int nvmlInit_v2()'),
    shutdown: l.func('int nvmlShutdown()'),
    errorString: l.func('const char *nvmlErrorString(int result)'),
    driverVersion: l.func('int nvmlSystemGetDriverVersion(_Out_ char *version, uint length)'),
    count: l.func('int nvmlDeviceGetCount_v2(_Out_ uint *count)'),
    handle: l.func('int nvmlDeviceGetHandleByIndex_v2(uint index, _Out_ nvmlDevice_t *device)'),
    name: l.func('int nvmlDeviceGetName(nvmlDevice_t device, _Out_ char *name, uint length)'),
    uuid: l.func('int nvmlDeviceGetUUID(nvmlDevice_t device, _Out_ char *uuid, uint length)'),
    pci: opt('int nvmlDeviceGetPciInfo_v3(nvmlDevice_t device, _Out_ nvmlPciInfo_t *pci)'),
    energy: opt('int nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_t device, _Out_ ulonglong *energy)'),
    power: l.func('int nvmlDeviceGetPowerUsage(nvmlDevice_t device, _Out_ uint *power)'),
    fields: opt('int nvmlDeviceGetFieldValues(nvmlDevice_t device, int valuesCount, _Inout_ nvmlFieldValue_t *values)'),
    memV2: opt('int nvmlDeviceGetMemoryInfo_v2(nvmlDevice_t device, _Inout_ nvmlMemory_v2_t *memory)'),
    mem: l.func('int nvmlDeviceGetMemoryInfo(nvmlDevice_t device, _Out_ nvmlMemory_t *memory)'),
    util: l.func('int nvmlDeviceGetUtilizationRates(nvmlDevice_t device, _Out_ nvmlUtilization_t *utilization)'),
    temp: l.func('int nvmlDeviceGetTemperature(nvmlDevice_t device, int sensorType, _Out_ uint *temp)'),
    clock: l.func('int nvmlDeviceGetClockInfo(nvmlDevice_t device, int type, _Out_ uint *clock)'),
    pcieThroughput: opt('int nvmlDeviceGetPcieThroughput(nvmlDevice_t device, int counter, _Out_ uint *value)'),
    limit: opt('int nvmlDeviceGetEnforcedPowerLimit(nvmlDevice_t device, _Out_ uint *limit)'),
    arch: opt('int nvmlDeviceGetArchitecture(nvmlDevice_t device, _Out_ uint *arch)'),
    pstate: opt('int nvmlDeviceGetPerformanceState(nvmlDevice_t device, _Out_ int *pState)'),
    persistence: opt('int nvmlDeviceGetPersistenceMode(nvmlDevice_t device, _Out_ int *mode)'),
    display: opt('int nvmlDeviceGetDisplayActive(nvmlDevice_t device, _Out_ int *isActive)'),
    reasons:
      opt('int nvmlDeviceGetCurrentClocksEventReasons(nvmlDevice_t device, _Out_ ulonglong *reasons)') ??
      opt('int nvmlDeviceGetCurrentClocksThrottleReasons(nvmlDevice_t device, _Out_ ulonglong *reasons)'),
    // v3 (driver 510+) and v2 fill the same 24-byte nvmlProcessInfo_t.
    computeProcs:
      opt('int nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t device, _Inout_ uint *infoCount, void *infos)') ??
      opt('int nvmlDeviceGetComputeRunningProcesses_v2(nvmlDevice_t device, _Inout_ uint *infoCount, void *infos)'),
    graphicsProcs:
      opt('int nvmlDeviceGetGraphicsRunningProcesses_v3(nvmlDevice_t device, _Inout_ uint *infoCount, void *infos)') ??
      opt('int nvmlDeviceGetGraphicsRunningProcesses_v2(nvmlDevice_t device, _Inout_ uint *infoCount, void *infos)'),
  };
  return { f, MemoryV2 };
}

/** Loads libnvidia-ml through koffi. Throws with the reason when it cannot. */
export async function loadNvml(): Promise<NvmlBinding> {
  const koffi = (await import('koffi')).default;
  let lib: ReturnType<typeof koffi.load> | undefined;
  const errors: string[] = [];
  for (const n of LIB_NAMES) {
    try {
      lib = koffi.load(n);
      break;
    } catch (err) {
      errors.push(`${n}: ${(err as Error).message}`);
    }
  }
  if (!lib) throw new Error(`NVML library not found (${errors[0] ?? 'no candidates'})`);
  const { f, MemoryV2 } = nvmlSymbols(koffi, lib);
  const missing = <T>(): Answer<T> => ({ ret: NVML.ERROR_FUNCTION_NOT_FOUND });
  const str = (fn: (buf: Buffer, n: number) => number, n: number): Answer<string> => {
    const buf = Buffer.alloc(n);
    const ret = fn(buf, n);
    return ret === 0 ? { ret, value: buf.toString('utf8', 0, Math.max(0, buf.indexOf(0) < 0 ? n : buf.indexOf(0))) } : { ret };
  };
  const num = (call: (out: number[]) => number): Answer<number> => {
    const out = [0];
    const ret = call(out);
    return ret === 0 ? { ret, value: Number(out[0]) } : { ret };
  };
  // nvmlMemory_v2 = sizeof(nvmlMemory_v2_t) | (2 << 24)
  const MEMORY_V2_VERSION = (koffi.sizeof(MemoryV2) | (2 << 24)) >>> 0;
  return {
    init: () => f.init(),
    shutdown: () => f.shutdown(),
    errorString: (ret) => String(f.errorString(ret) ?? `NVML error ${ret}`),
    driverVersion: () => str((b, n) => f.driverVersion(b, n), 96),
    deviceCount: () => num((o) => f.count(o)),
    handle: (i) => {
      const out = [null];
      const ret = f.handle(i, out);
      return ret === 0 ? { ret, value: out[0] } : { ret };
    },
    name: (h) => str((b, n) => f.name(h, b, n), 96),
    uuid: (h) => str((b, n) => f.uuid(h, b, n), 96),
    pciBusId: (h) => {
      if (!f.pci) return missing();
      const out: Record<string, unknown> = {};
      const ret = f.pci(h, out);
      return ret === 0 ? { ret, value: String(out.busId) } : { ret };
    },
    totalEnergyMj: (h) => (f.energy ? num((o) => f.energy!(h, o)) : missing()),
    powerUsageMw: (h) => num((o) => f.power(h, o)),
    architecture: (h) => (f.arch ? num((o) => f.arch!(h, o)) : missing()),
    performanceState: (h) => (f.pstate ? num((o) => f.pstate!(h, o)) : missing()),
    persistenceMode: (h) => (f.persistence ? num((o) => f.persistence!(h, o)) : missing()),
    displayActive: (h) => (f.display ? num((o) => f.display!(h, o)) : missing()),
    fieldValues: (h, ids) => {
      if (!f.fields) return missing();
      const vals = ids.map((fieldId) => ({ fieldId, scopeId: 0, timestamp: 0, latencyUsec: 0, valueType: 0, nvmlReturn: 0, value: { ullVal: 0 } }));
      const ret = f.fields(h, vals.length, vals);
      if (ret !== 0) return { ret };
      // koffi wrote NVML's answers back into `vals`: the value union comes back with the member NVML filled.
      return {
        ret,
        value: (
          vals as unknown as { fieldId: number; nvmlReturn: number; timestamp: number | bigint; valueType: number; value: Record<string, number | bigint> }[]
        ).map((v) => ({
          fieldId: v.fieldId,
          ret: v.nvmlReturn,
          timestampUs: Number(v.timestamp),
          valueType: v.valueType,
          // valueType 0 double, 1 uint, 2 ulong, 3 ulonglong, 4 sll, 5 int, 6 ushort
          value: Number(
            v.valueType === 0
              ? v.value.dVal
              : v.valueType === 1
                ? v.value.uiVal
                : v.valueType === 5
                  ? v.value.siVal
                  : v.valueType === 6
                    ? v.value.usVal
                    : v.valueType === 4
                      ? v.value.sllVal
                      : v.value.ullVal,
          ),
        })),
      };
    },
    memory: (h) => {
      if (f.memV2) {
        const out: Record<string, unknown> = { version: MEMORY_V2_VERSION, total: 0, reserved: 0, free: 0, used: 0 };
        const ret = f.memV2(h, out);
        if (ret === 0)
          return {
            ret,
            value: { totalBytes: Number(out.total), usedBytes: Number(out.used), reservedBytes: Number(out.reserved), freeBytes: Number(out.free) },
          };
        if (ret !== NVML.ERROR_NOT_SUPPORTED && ret !== NVML.ERROR_FUNCTION_NOT_FOUND && ret !== NVML.ERROR_ARGUMENT_VERSION_MISMATCH) return { ret };
      }
      const out: Record<string, unknown> = {};
      const ret = f.mem(h, out);
      return ret === 0 ? { ret, value: { totalBytes: Number(out.total), usedBytes: Number(out.used), freeBytes: Number(out.free) } } : { ret };
    },
    utilization: (h) => {
      const out: Record<string, unknown> = {};
      const ret = f.util(h, out);
      return ret === 0 ? { ret, value: { gpu: Number(out.gpu), memory: Number(out.memory) } } : { ret };
    },
    temperatureC: (h) => num((o) => f.temp(h, 0, o)), // NVML_TEMPERATURE_GPU
    smClockMhz: (h) => num((o) => f.clock(h, 1, o)), // NVML_CLOCK_SM
    pcieThroughputKBs: (h, counter) => (f.pcieThroughput ? num((o) => f.pcieThroughput!(h, counter, o)) : missing()),
    enforcedPowerLimitMw: (h) => (f.limit ? num((o) => f.limit!(h, o)) : missing()),
    clockEventReasons: (h) => {
      if (!f.reasons) return missing();
      const out = [0n];
      const ret = f.reasons(h, out);
      return ret === 0 ? { ret, value: BigInt(out[0]) } : { ret };
    },
    computeProcesses: (h) => processList(f.computeProcs, h),
    graphicsProcesses: (h) => processList(f.graphicsProcs, h),
  };
}
