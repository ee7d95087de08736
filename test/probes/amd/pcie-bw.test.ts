/**
 * amdgpu `pcie_bw`. No real capture of this file is in the capture set: the text below follows the
 * kernel's own format string in amdgpu_pm.c (amdgpu_get_pcie_bw: `"%llu %llu %i\n"`, messages received,
 * sent, max payload size); the probe reads it in the background from a sysfs tree built from the real
 * RX 5500 XT snapshot (fixtures/amd/sysfs_lact_rx5500xt).
 */
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePcieBw, PcieBwReader } from '../../../probes/amd/pcie-bw.js';
import { AmdSysfsProbe } from '../../../probes/amd/amd-probes.js';
import { tempDir, waitFor, waitForAsync } from '../../helpers/gen.js';
import type { Reading } from '../../../probes/types.js';

const FIX = join(import.meta.dirname, '../../../fixtures/amd');

describe('amdgpu pcie_bw', () => {
  it('count × max payload size, per second; anything else is not a figure', () => {
    expect(parsePcieBw('2000000 10000 256\n')).toEqual({ rxBytesPerSec: 512e6, txBytesPerSec: 2.56e6 });
    for (const t of ['', 'N/A\n', '1 2\n', '-1 2 256\n', '1 2 0\n', `${'9'.repeat(30)} 1 256\n`]) expect(parsePcieBw(t)).toBeUndefined();
  });

  it('read in the background, each answer handed over once; a card without the file (an APU: ENODATA) is asked no more', async () => {
    const dir = tempDir('gw-pciebw-');
    writeFileSync(join(dir, 'pcie_bw'), '4000 40 128\n');
    const r = new PcieBwReader(join(dir, 'pcie_bw'));
    expect(r.take()).toBeUndefined(); // the first read has just started
    let v: ReturnType<PcieBwReader['take']>;
    await waitFor(() => (v = r.take()) !== undefined, 5000, 2);
    expect(v!).toEqual({ rxBytesPerSec: 512_000, txBytesPerSec: 5120 });
    const none = new PcieBwReader(join(dir, 'missing'));
    none.take();
    await new Promise((res) => setTimeout(res, 50));
    expect(none.take()).toBeUndefined();
    expect((none as unknown as { done: boolean }).done).toBe(true);
  });

  it('the sysfs probe: PCIe rates and free VRAM on its readings where the card has them', async () => {
    const root = tempDir('gw-sysfs-');
    cpSync(join(FIX, 'sysfs_lact_rx5500xt/card1'), join(root, 'card1'), { recursive: true });
    writeFileSync(join(root, 'card1/device/vendor'), '0x1002\n');
    writeFileSync(join(root, 'card1/device/mem_info_vram_total'), String(8 * 1024 ** 3));
    writeFileSync(join(root, 'card1/device/mem_info_vram_used'), String(1024 ** 3));
    writeFileSync(join(root, 'card1/device/pcie_bw'), '1000000 2000 256\n');
    const p = new AmdSysfsProbe(root);
    expect((await p.detect()).status).toBe('ok');
    const seen: Reading[] = [];
    await waitForAsync(
      async () => {
        const [r] = await p.poll();
        seen.push(r);
        return r.pcieRxBytesPerSec !== undefined;
      },
      5000,
      5,
    );
    const r = seen[seen.length - 1];
    expect(r).toMatchObject({ pcieRxBytesPerSec: 256e6, pcieTxBytesPerSec: 512_000, vramFreeBytes: 7 * 1024 ** 3 });
    expect(seen.slice(0, -1).every((x) => x.pcieRxBytesPerSec === undefined)).toBe(true); // never a made-up 0
    await p.close();
  });
});
