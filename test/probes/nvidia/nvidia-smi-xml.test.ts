/**
 * nvidia-smi -q -x on the real captures (fixtures/nvidia): the ≤ 530 layout (GTX 1660 Ti drv 418,
 * Tesla P100 drv 510) and the 550+ layout (RTX 3060 drv 570, H100 drv 580). No capture of the 535
 * layout (gpu_power_readings/power_draw) was found; it is covered by a test built from the 510 file
 * with only the block renamed, and says so.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseNvidiaSmiXml } from '../../../probes/nvidia/nvidia-smi-xml.js';
import { powerDrawAverageMs } from '../../../probes/nvidia/power-average.js';

const DIR = join(import.meta.dirname, '../../../fixtures/nvidia');
const read = (f: string) => readFileSync(join(DIR, f), 'utf8');
const MIB = 1024 * 1024;

describe('nvidia-smi -q -x', () => {
  it('H100, driver 580 (550+ layout): instant power draw, 700 W limit, 81559 MiB', () => {
    const f = parseNvidiaSmiXml(read('nvidia-smi-qx_h100-sxm_drv580.159.04.xml'));
    expect(f.driverVersion).toBe('580.159.04');
    expect(f.gpus).toEqual([
      {
        powerLayout: 'gpu_power_readings (average + instant)',
        busId: '00000000:00:06.0',
        uuid: 'GPU-6e71b43c-f5e1-a735-43ba-7cc4aa25d03b',
        name: 'NVIDIA H100 80GB HBM3',
        architecture: 'Hopper',
        vramTotalBytes: 81559 * MIB,
        powerDrawWatts: 71.01,
        powerDrawKind: 'instant',
        powerLimitWatts: 700,
      },
    ]);
  });

  it('two H200s, driver 580, each running a generator (the real two-GPU capture): both GPUs, in bus order', () => {
    const f = parseNvidiaSmiXml(read('nvidia-smi-qx_h200x2_drv580.159.04_two-generators.xml'));
    expect(f.driverVersion).toBe('580.159.04');
    expect(f.gpus.map((g) => [g.busId, g.uuid, g.name, g.powerLimitWatts, g.powerDrawKind])).toEqual([
      ['00000000:00:06.0', 'GPU-b823ecbd-bb17-cfb3-e35b-411dfeab51f3', 'NVIDIA H200', 700, 'instant'],
      ['00000000:00:07.0', 'GPU-0292134e-89c8-e84e-9386-500b30d6a4d6', 'NVIDIA H200', 700, 'instant'],
    ]);
    expect(f.gpus.every((g) => (g.powerDrawWatts ?? 0) > 300)).toBe(true); // under load
  });

  it('RTX 3060, driver 570 (550+ layout)', () => {
    const [g] = parseNvidiaSmiXml(read('nvidia-smi-qx_rtx3060_drv570.124.04_v12.xml')).gpus;
    expect(g).toMatchObject({
      busId: '00000000:2D:00.0',
      name: 'NVIDIA GeForce RTX 3060',
      vramTotalBytes: 12288 * MIB,
      powerDrawWatts: 11.63,
      powerDrawKind: 'instant',
      powerLimitWatts: 170,
    });
  });

  it('Tesla P100, driver 510 (power_readings layout): power_draw is an average', () => {
    const f = parseNvidiaSmiXml(read('nvidia-smi-qx_tesla-p100-pcie_drv510.47.03_v11.xml'));
    expect(f.driverVersion).toBe('510.47.03');
    expect(f.gpus[0]).toMatchObject({
      powerLayout: 'power_readings',
      busId: '00000000:00:04.0',
      name: 'Tesla P100-PCIE-16GB',
      vramTotalBytes: 16384 * MIB,
      powerDrawWatts: 26.16,
      powerDrawKind: 'average',
      powerLimitWatts: 250,
    });
  });

  it('GTX 1660 Ti, driver 418, no DOCTYPE', () => {
    const f = parseNvidiaSmiXml(read('nvidia-smi-qx_gtx1660ti-graphics-device_drv418.43_no-doctype.xml'));
    expect(f.gpus[0]).toMatchObject({
      powerLayout: 'power_readings',
      busId: '00000000:43:00.0',
      name: 'Graphics Device',
      vramTotalBytes: 5912 * MIB,
      powerDrawWatts: 8.93,
      powerDrawKind: 'average',
      powerLimitWatts: 130,
    });
  });

  it('535 layout (built from the 510 capture: the block renamed, no real capture found): power_draw under gpu_power_readings', () => {
    const xml = read('nvidia-smi-qx_tesla-p100-pcie_drv510.47.03_v11.xml').replace(/<(\/?)power_readings>/g, '<$1gpu_power_readings>');
    expect(parseNvidiaSmiXml(xml).gpus[0]).toMatchObject({
      powerLayout: 'gpu_power_readings',
      powerDrawWatts: 26.16,
      powerDrawKind: 'average',
      powerLimitWatts: 250,
    });
  });

  it('N/A values are absent; not nvidia-smi XML throws', () => {
    const xml = read('nvidia-smi-qx_h100-sxm_drv580.159.04.xml').replace(
      '<instant_power_draw>71.01 W</instant_power_draw>',
      '<instant_power_draw>N/A</instant_power_draw>',
    );
    expect(parseNvidiaSmiXml(xml).gpus[0]).toMatchObject({ powerDrawWatts: 70.53, powerDrawKind: 'average' });
    expect(() => parseNvidiaSmiXml('<html></html>')).toThrow(/nvidia_smi_log/);
  });
});

describe('power.draw averaging by architecture', () => {
  it('real captures: Hopper and Ampere average power.draw over 1 s (recovered), Pascal reports it as drawn (not)', () => {
    const arch = (f: string) => parseNvidiaSmiXml(read(f)).gpus.map((g) => g.architecture);
    expect(arch('nvidia-smi-qx_h100-sxm_drv580.159.04.xml')).toEqual(['Hopper']);
    expect(arch('nvidia-smi-qx_rtx3060_drv570.124.04_v12.xml')).toEqual(['Ampere']);
    expect(arch('nvidia-smi-qx_tesla-p100-pcie_drv510.47.03_v11.xml')).toEqual(['Pascal']);
    expect(powerDrawAverageMs('Hopper')).toBe(1000);
    expect(powerDrawAverageMs('Ampere')).toBe(1000);
    expect(powerDrawAverageMs('Ada Lovelace')).toBe(1000);
    expect(powerDrawAverageMs('Pascal')).toBeUndefined();
    expect(powerDrawAverageMs('Turing')).toBeUndefined();
    expect(powerDrawAverageMs(undefined)).toBeUndefined();
    // NVML's reference: GA100 boards report instantaneous power although Ampere
    expect(powerDrawAverageMs('Ampere', 'NVIDIA A100-SXM4-80GB')).toBeUndefined();
    expect(powerDrawAverageMs('Ampere', 'NVIDIA GeForce RTX 3090')).toBe(1000);
  });
});
