/** amdgpu sysfs on the real LACT snapshots (fixtures/amd/sysfs_lact_*), plus trees built from them. */
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findAmdCards, readCard } from '../../../probes/amd/amd-sysfs.js';
import { tempDir } from '../../helpers/gen.js';

const FIX = join(import.meta.dirname, '../../../fixtures/amd');

describe('amdgpu sysfs', () => {
  it('Phoenix APU snapshot: power1_input (instant) is preferred over power1_average: 3.142 W', () => {
    const [c] = findAmdCards(join(FIX, 'sysfs_lact_phoenix-apu'));
    expect(c).toMatchObject({ card: 'card1', id: 'card1', powerFile: 'power1_input' });
    expect(c.hwmonDir).toMatch(/hwmon6$/);
    expect(readCard(c, 5)).toEqual({ deviceId: 'card1', tMs: 5, powerWatts: 3.142, powerKind: 'instant' });
  });

  it('RX 5500 XT snapshot: only power1_average (hwmon3), read as average: 16 W', () => {
    const [c] = findAmdCards(join(FIX, 'sysfs_lact_rx5500xt'));
    expect(c.powerFile).toBe('power1_average');
    expect(readCard(c, 1)).toEqual({ deviceId: 'card1', tMs: 1, powerWatts: 16, powerKind: 'average' });
  });

  it('other vendors are skipped; VRAM, busy %, temperature and clock are read where present (files written here, values from the snapshot)', () => {
    const root = tempDir('gw-sysfs-');
    cpSync(join(FIX, 'sysfs_lact_rx5500xt/card1'), join(root, 'card1'), { recursive: true });
    writeFileSync(join(root, 'card1/device/vendor'), '0x1002\n');
    writeFileSync(join(root, 'card1/device/mem_info_vram_total'), String(8 * 1024 ** 3));
    writeFileSync(join(root, 'card1/device/mem_info_vram_used'), String(1024 ** 3));
    writeFileSync(join(root, 'card1/device/gpu_busy_percent'), '97\n');
    writeFileSync(join(root, 'card1/device/hwmon/hwmon3/temp1_input'), '61000\n');
    mkdirSync(join(root, 'card0/device'), { recursive: true });
    writeFileSync(join(root, 'card0/device/vendor'), '0x10de\n'); // NVIDIA: not ours
    mkdirSync(join(root, 'card1-DP-1'), { recursive: true }); // a connector, not a card
    const cards = findAmdCards(root);
    expect(cards.map((c) => c.card)).toEqual(['card1']);
    expect(cards[0]).toMatchObject({ vramTotalBytes: 8 * 1024 ** 3, apu: false });
    expect(readCard(cards[0], 0)).toEqual({
      deviceId: 'card1',
      tMs: 0,
      powerWatts: 16,
      powerKind: 'average',
      vramUsedBytes: 1024 ** 3,
      utilizationPercent: 97,
      temperatureC: 61,
    });
  });

  it('a small VRAM carve-out marks an APU; an empty or missing root gives no card', () => {
    const root = tempDir('gw-sysfs-');
    cpSync(join(FIX, 'sysfs_lact_phoenix-apu/card1'), join(root, 'card1'), { recursive: true });
    writeFileSync(join(root, 'card1/device/mem_info_vram_total'), String(512 * 1024 ** 2));
    expect(findAmdCards(root)[0].apu).toBe(true);
    expect(findAmdCards(join(root, 'nope'))).toEqual([]);
  });
});
