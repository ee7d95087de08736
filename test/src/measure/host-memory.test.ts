/**
 * The generator's host memory and the swap counters from /proc: a fake /proc tree built from real
 * captures of this VM's /proc (fixtures/proc: only VmRSS and pswpin/pswpout values changed), and a
 * real process tree on the real /proc.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { HostMemoryReader, pageSizeBytes, processTree, statusKb, swapPages, treeRssBytes } from '../../../src/measure/host-memory.js';
import { ROOT, sleep, tempDir } from '../../helpers/gen.js';

const STATUS = readFileSync(join(ROOT, 'fixtures/proc/status_linux-6.18.44.txt'), 'latin1');
const VMSTAT = readFileSync(join(ROOT, 'fixtures/proc/vmstat_linux-6.18.44.txt'), 'latin1');

/** A fake /proc: pid → [RSS kB, children]; vmstat with these swap page counts; `self` 4 KiB pages. */
function fakeProc(tree: Record<number, [number | null, number[]]>, swap: { in: number; out: number } | null): string {
  const root = tempDir('gw-proc-');
  for (const [pid, [rssKb, kids]] of Object.entries(tree)) {
    mkdirSync(join(root, pid, 'task', pid), { recursive: true });
    writeFileSync(join(root, pid, 'task', pid, 'children'), kids.map((k) => `${k} `).join(''));
    // A process that exited between the listing and the read has no status file.
    if (rssKb !== null) writeFileSync(join(root, pid, 'status'), STATUS.replace(/^VmRSS:.*$/m, `VmRSS:\t${String(rssKb).padStart(8)} kB`));
  }
  mkdirSync(join(root, 'self'));
  writeFileSync(join(root, 'self', 'status'), STATUS.replace(/^VmRSS:.*$/m, 'VmRSS:\t    1748 kB'));
  writeFileSync(join(root, 'self', 'statm'), '1234 437 380 5 0 80 0\n'); // 437 pages × 4 KiB = 1748 kB
  if (swap) writeFileSync(join(root, 'vmstat'), VMSTAT.replace(/^pswpin \d+$/m, `pswpin ${swap.in}`).replace(/^pswpout \d+$/m, `pswpout ${swap.out}`));
  return root;
}

describe('host memory from /proc', () => {
  it('parses the real formats: VmRSS in kB, pswpin/pswpout pages', () => {
    expect(statusKb(STATUS, 'VmRSS')).toBe(1748 * 1024);
    expect(swapPages(VMSTAT)).toEqual({ in: 0, out: 0 });
    expect(swapPages('nr_free_pages 5\n')).toEqual({ in: undefined, out: undefined });
  });

  it("sums the generator's whole process tree (a child's child too), skips one that vanished, and reads swap as bytes", () => {
    const root = fakeProc({ 100: [1000, [101, 102]], 101: [2000, [103]], 102: [null, []], 103: [4000, []], 200: [9999, []] }, { in: 25, out: 3 });
    expect(processTree(100, root).pids).toEqual([100, 101, 102, 103]);
    expect(treeRssBytes(100, root)).toBe(7000 * 1024); // pid 200 is not the generator's
    expect(pageSizeBytes(root)).toBe(4096);
    const r = new HostMemoryReader(root).read(100, 5);
    expect(r).toEqual({ deviceId: 'host', tMs: 5, generatorRssBytes: 7000 * 1024, swapInBytes: 25 * 4096, swapOutBytes: 3 * 4096 });
  });

  it('no generator, no vmstat, nothing readable: no reading at all (n/a, never 0)', () => {
    const root = fakeProc({ 100: [null, []] }, null);
    const reader = new HostMemoryReader(root);
    expect(reader.read(100, 1)).toBeNull();
    expect(reader.read(undefined, 1)).toBeNull();
    // A loop in the children files (a crafted /proc) ends: each pid once.
    const loop = fakeProc({ 1: [10, [2]], 2: [10, [1]] }, null);
    expect(processTree(1, loop).pids).toEqual([1, 2]);
  });

  it.skipIf(process.platform !== 'linux')('a real process tree on the real /proc: a parent holding 64 MiB and its child holding 96 MiB', async () => {
    const hold = (mib: number) => `const b = Buffer.alloc(${mib} * 2 ** 20, 1); setInterval(() => b[0]++, 1000);`;
    const child = spawn(
      process.execPath,
      [
        '-e',
        `${hold(64)} require('node:child_process').spawn(process.execPath, ['-e', ${JSON.stringify(hold(96))}], { stdio: 'inherit' }); console.log('up');`,
      ],
      {
        stdio: ['ignore', 'pipe', 'ignore'],
        detached: true, // its own process group: killed whole below
      },
    );
    try {
      await new Promise((r) => child.stdout!.once('data', r));
      let rss = 0;
      // The grandchild needs a moment to start and touch its buffer.
      for (let i = 0; i < 100 && rss < 160 * 2 ** 20; i++) {
        await sleep(100);
        rss = new HostMemoryReader().read(child.pid!, 0)?.generatorRssBytes ?? 0;
      }
      expect(processTree(child.pid!).pids).toHaveLength(2);
      expect(rss).toBeGreaterThanOrEqual(160 * 2 ** 20);
    } finally {
      process.kill(-child.pid!, 'SIGKILL');
    }
  });
});
