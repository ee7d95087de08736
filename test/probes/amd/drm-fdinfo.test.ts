/**
 * AMD processes from DRM fdinfo. No real /proc capture of an AMD machine exists in the shared
 * fixtures: the fake trees here are built from the format the kernel documents
 * (Documentation/gpu/drm-usage-stats.rst; the pre-5.19 amdgpu keys from amdgpu_fdinfo.c).
 */
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { drmProcesses, parseFdinfo } from '../../../probes/amd/drm-fdinfo.js';
import { AmdSysfsProbe } from '../../../probes/amd/amd-probes.js';
import { ROOT, spawnCli, tempDir } from '../../helpers/gen.js';

const PDEV = '0000:03:00.0';
const CURRENT = `pos:\t0\nflags:\t02100002\ndrm-driver:\tamdgpu\ndrm-client-id:\t42\ndrm-pdev:\t${PDEV}\npasid:\t32771\ndrm-memory-vram:\t4194304 KiB\ndrm-memory-gtt:\t2048 KiB\ndrm-memory-cpu:\t0 KiB\ndrm-engine-gfx:\t88240153 ns\n`;
const LEGACY = `pos:\t0\nflags:\t02100002\npdev:\t${PDEV}\npasid:\t32770\nvram mem:\t1048576 kB\ngtt mem:\t2048 kB\ncpu mem:\t0 kB\ngfx0:\t12.50%\n`;

/** A fake /proc: pid → fds (fd → [link target, fdinfo text]). */
function fakeProc(procs: Record<number, Record<string, [string, string]>>): string {
  const root = tempDir('gw-proc-');
  for (const [pid, fds] of Object.entries(procs)) {
    mkdirSync(join(root, pid, 'fd'), { recursive: true });
    mkdirSync(join(root, pid, 'fdinfo'), { recursive: true });
    for (const [fd, [target, info]] of Object.entries(fds)) {
      symlinkSync(target, join(root, pid, 'fd', fd));
      writeFileSync(join(root, pid, 'fdinfo', fd), info);
    }
  }
  return root;
}

/** Fake amdgpu sysfs cards whose device links resolve to folders named by their PCI addresses. */
function fakeCards(pdevs: readonly string[] = [PDEV]): string {
  const root = tempDir('gw-drm-');
  pdevs.forEach((pdev, i) => {
    const pci = join(root, 'devices', pdev);
    mkdirSync(join(pci, 'hwmon/hwmon0'), { recursive: true });
    writeFileSync(join(pci, 'vendor'), '0x1002\n');
    writeFileSync(join(pci, 'mem_info_vram_total'), `${8 * 2 ** 30}\n`);
    writeFileSync(join(pci, 'mem_info_vram_used'), `${5 * 2 ** 30}\n`);
    writeFileSync(join(pci, 'hwmon/hwmon0/power1_average'), '16000000\n');
    mkdirSync(join(root, `card${i}`));
    symlinkSync(pci, join(root, `card${i}`, 'device'));
  });
  return root;
}

describe('DRM fdinfo', () => {
  it('parses the documented keys, and the keys amdgpu printed before them', () => {
    expect(parseFdinfo(CURRENT)).toEqual({ driver: 'amdgpu', clientId: '42', pdev: PDEV, vramBytes: 4 * 2 ** 30 });
    expect(parseFdinfo(LEGACY)).toEqual({ driver: 'amdgpu', pdev: PDEV, vramBytes: 2 ** 30 });
    expect(parseFdinfo('drm-driver:\tamdgpu\ndrm-pdev:\t0000:03:00.0\ndrm-total-vram:\t2 MiB\ndrm-resident-vram:\t1 MiB\n').vramBytes).toBe(2 ** 20);
    // hostile values: no number, an absurd unit, a bad address
    expect(parseFdinfo('drm-driver:\tamdgpu\ndrm-pdev:\t../../x\ndrm-memory-vram:\t1e99 KiB\n')).toEqual({ driver: 'amdgpu' });
  });

  it('one client seen through two fds counts once; other drivers and non-DRM fds are ignored', () => {
    const root = fakeProc({
      100: { 5: ['/dev/dri/renderD128', CURRENT], 6: ['/dev/dri/renderD128', CURRENT], 7: ['/tmp/x', CURRENT] },
      200: { 3: ['/dev/dri/card0', LEGACY] },
      300: { 4: ['/dev/dri/renderD129', 'drm-driver:\ti915\ndrm-pdev:\t0000:00:02.0\ndrm-client-id:\t3\n'] },
    });
    const m = drmProcesses('amdgpu', undefined, root);
    expect([...m.keys()]).toEqual([PDEV]);
    expect(Object.fromEntries(m.get(PDEV)!)).toEqual({ 100: 4 * 2 ** 30, 200: 2 ** 30 });
    expect([
      ...drmProcesses('amdgpu', new Set([200]), root)
        .get(PDEV)!
        .keys(),
    ]).toEqual([200]);
  });

  it('the amd-sysfs probe lists them per card (the process panel)', async () => {
    const proc = fakeProc({ 4242: { 5: ['/dev/dri/renderD128', CURRENT] } });
    const before = process.env.GENWATT_PROC;
    process.env.GENWATT_PROC = proc;
    try {
      const p = new AmdSysfsProbe(fakeCards());
      const det = await p.detect();
      expect(det.devices[0].id).toBe(PDEV);
      expect(await p.processes()).toEqual(new Map([[PDEV, [{ pid: 4242, usedBytes: 4 * 2 ** 30 }]]]));
    } finally {
      if (before === undefined) delete process.env.GENWATT_PROC;
      else process.env.GENWATT_PROC = before;
    }
  });

  it('genwatt run --gpu auto finds which of two GPUs the generator uses, and its VRAM peak (gen GiB), from fdinfo', async () => {
    const proc = tempDir('gw-proc-');
    const dir = tempDir();
    const rec = join(dir, 'r.json');
    const r = await spawnCli(
      [
        'run',
        '--probe',
        'amd-sysfs',
        '--gpu',
        'auto',
        '--idle',
        '0',
        '--plain',
        '--record',
        rec,
        '--out',
        join(dir, 'img'),
        '--',
        process.execPath,
        join(ROOT, 'test/fakes/drm-client-generator.mjs'),
        join(dir, 'img'),
        PDEV,
        '3072',
        '4',
      ],
      { GENWATT_AMD_SYSFS: fakeCards([PDEV, '0000:04:00.0']), GENWATT_PROC: proc },
    );
    expect(r.code, r.out + r.err).toBe(0);
    const s = JSON.parse(readFileSync(rec, 'utf8')) as { run: { gpus?: string[] }; rows: { processPeakVramBytes?: number }[] };
    expect(s.run.gpus).toEqual([PDEV]);
    expect(s.rows.length).toBe(4);
    expect(s.rows.filter((x) => x.processPeakVramBytes === 3 * 2 ** 30).length).toBeGreaterThanOrEqual(2);
  });
});
