/** A fake NVML binding for probe tests (probes/nvidia/nvml-binding.ts's NvmlBinding). */
import {
  FI_DEV_PCIE_COUNT_RX_BYTES,
  FI_DEV_POWER_INSTANT,
  NVML,
  PCIE_UTIL_RX_BYTES,
  type Answer,
  type FieldAnswer,
  type NvmlBinding,
  type NvmlProcess,
} from '../../probes/nvidia/nvml-binding.js';

const ok = <T>(value: T): Answer<T> => ({ ret: NVML.SUCCESS, value });
const no = <T>(ret: number = NVML.ERROR_NOT_SUPPORTED): Answer<T> => ({ ret });

/**
 * A fake NVML: one H100-like GPU by default; options make it a laptop GPU or a broken driver. It
 * keeps its own clock (`clock.ms`): each memory read (one per device per probe tick) moves
 * it `stepMs` on, so what the probe decides at each tick depends on the ticks, never on the
 * machine's speed. Pass `now: () => nv.clock.ms` to the probe.
 */
export function fakeNvml(
  o: {
    init?: number;
    energy?: boolean;
    instant?: boolean;
    count?: number;
    lost?: boolean;
    stepMs?: number;
    name?: string;
    arch?: number;
    /**
     * PCIe: `fields` (byte counters 197/198, drivers 535+; host→GPU grows 2 GB each 50 ms of the
     * clock, GPU→host 1 MB), `throughput` (no such fields: nvmlDeviceGetPcieThroughput, KB/s),
     * `refuse` (the field call fails as a whole when 197/198 are asked; throughput answers), `none` (neither). Default `none`.
     */
    pcie?: 'fields' | 'throughput' | 'refuse' | 'none';
    /** The byte counters as the H100's driver 580 answers them: 32-bit unsigned (valueType 1), wrapping at 4 GiB. Default 64-bit. */
    pcie32?: boolean;
  } = {},
): NvmlBinding & { calls: Record<string, number>; shut: boolean; clock: { ms: number }; energyAtMs: number[] } {
  const clock = { ms: 0 };
  const energyAtMs: number[] = [];
  const calls: Record<string, number> = {};
  const count = (k: string) => (calls[k] = (calls[k] ?? 0) + 1);
  const f = {
    calls,
    clock,
    energyAtMs,
    shut: false,
    init: () => o.init ?? 0,
    shutdown: () => {
      f.shut = true;
      return 0;
    },
    errorString: (ret: number) => ({ 3: 'Not Supported', 9: 'Driver Not Loaded', 15: 'GPU is lost' })[ret] ?? 'Unknown Error',
    driverVersion: () => ok('580.159.04'),
    deviceCount: () => ok(o.count ?? 1),
    handle: (i: number) => ok({ i }),
    name: () => ok(o.name ?? 'NVIDIA H100 80GB HBM3'),
    // NVML_DEVICE_ARCH_HOPPER (nvml.h); drivers before 460 lack the call
    architecture: () => (o.arch === 0 ? no<number>(NVML.ERROR_FUNCTION_NOT_FOUND) : ok(o.arch ?? 9)),
    performanceState: () => ok(0),
    persistenceMode: () => ok(1),
    displayActive: () => ok(0),
    uuid: () => ok('GPU-055859d8-5e23-173b-46dd-77c952dac028'),
    pciBusId: (h: unknown) => ok(`00000000:0${(h as { i: number }).i}:06.0`),
    totalEnergyMj: () => {
      count('energy');
      energyAtMs.push(clock.ms);
      if (o.energy === false) return no<number>();
      return ok(2_880_400 + 72 * clock.ms); // 72 W: 72 mJ a millisecond
    },
    powerUsageMw: () => (count('average'), ok(71_500)),
    fieldValues: (_h: unknown, ids: readonly number[]) => {
      count('fields');
      const pcie = o.pcie ?? 'none';
      if (pcie === 'refuse' && ids.some((id) => id !== FI_DEV_POWER_INSTANT)) return no<FieldAnswer[]>(NVML.ERROR_INVALID_ARGUMENT);
      return ok(
        ids.map((fieldId): FieldAnswer => {
          if (fieldId === FI_DEV_POWER_INSTANT)
            return o.instant === false
              ? { fieldId, ret: NVML.ERROR_NOT_SUPPORTED, timestampUs: 0, value: 0 }
              : { fieldId, ret: 0, timestampUs: 0, value: 72_000 };
          // An id this driver does not know: NOT_SUPPORTED inside a successful call (as nvmlDeviceGetFieldValues answers per field).
          if (pcie !== 'fields') return { fieldId, ret: NVML.ERROR_NOT_SUPPORTED, timestampUs: 0, value: 0 };
          const bytes = fieldId === FI_DEV_PCIE_COUNT_RX_BYTES ? 2e9 * (clock.ms / 50) : 1e6 * (clock.ms / 50);
          return o.pcie32
            ? { fieldId, ret: 0, timestampUs: clock.ms * 1000, value: bytes % 2 ** 32, valueType: 1 }
            : { fieldId, ret: 0, timestampUs: clock.ms * 1000, value: bytes, valueType: 3 };
        }),
      );
    },
    pcieThroughputKBs: (_h: unknown, counter: number) => {
      count('throughput');
      return o.pcie === 'throughput' || o.pcie === 'refuse' ? ok(counter === PCIE_UTIL_RX_BYTES ? 4_000_000 : 1_000) : no<number>();
    },
    memory: () => {
      count('memory');
      // asked once per GPU at every tick; the probe took this tick's time before: the next tick sees the clock a step on
      queueMicrotask(() => (clock.ms += (o.stepMs ?? 50) / (o.count ?? 1)));
      return ok({ totalBytes: 85_520_809_984, usedBytes: 1_048_576, freeBytes: 84_987_740_160 });
    },
    utilization: () => (count('slow'), ok({ gpu: 0, memory: 0 })),
    temperatureC: () => (o.lost ? no<number>(NVML.ERROR_GPU_IS_LOST) : ok(34)),
    smClockMhz: () => ok(345),
    enforcedPowerLimitMw: () => ok(700_000),
    clockEventReasons: () => ok(0x1n),
    computeProcesses: () => ok<NvmlProcess[]>([]),
    graphicsProcesses: () => ok<NvmlProcess[]>([]),
  };
  return f;
}
