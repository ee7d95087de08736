/**
 * Offloading end to end on real processes: `genwatt run` of the demo generator on the simulated GPU,
 * once unloading its model to host RAM after every image (`--offload`: the weights come back over
 * PCIe before the next) and once plain. The offloaded run's steady images are marked `offload` with
 * the GB moved in the live line, the report JSON and the text report; the plain run's are not. The
 * generator's host memory comes from the real /proc.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GENERATOR, spawnCli, tempDir } from '../../helpers/gen.js';

async function run(dir: string, name: string, extra: string[]) {
  const out = join(dir, name);
  const rec = join(dir, `${name}.json`);
  // one file a batch (the automatic batch gap may join images this quick)
  const genwatt = '--probe simulated --idle 0.3 --plain --batch-gap 60'.split(' ');
  const generator = '--count 3 --seconds 0.3 --load-seconds 0.4'.split(' ');
  const r = await spawnCli(['run', ...genwatt, '--record', rec, '--out', out, '--', process.execPath, GENERATOR, '--out', out, ...generator, ...extra]);
  expect(r.code, r.err).toBe(0);
  const rep = await spawnCli(['report', '--json', rec]);
  const text = await spawnCli(['report', rec, '--images']);
  return {
    live: r.out,
    json: JSON.parse(rep.out) as {
      sessions: {
        summary: { memory: Record<string, number | null> };
        images: { warmup: boolean; memory: { offload: boolean; pcieRxBytes: number | null; hostRssPeakBytes: number | null } }[];
      }[];
    },
    text: text.out,
  };
}

describe('offloading, end to end', () => {
  it('the offloaded run is marked (live line, report JSON and text, summary share); the plain run is not', async () => {
    const dir = tempDir('gw-offload-');
    const [off, plain] = await Promise.all([run(dir, 'off', ['--offload']), run(dir, 'plain', [])]);
    const steadyOff = off.json.sessions[0].images.filter((i) => !i.warmup);
    expect(steadyOff.length).toBe(2);
    for (const i of steadyOff) {
      expect(i.memory.offload).toBe(true);
      expect(i.memory.pcieRxBytes).toBeGreaterThan(1e9); // 0.4 s of an 8 GB/s weight upload
      expect(i.memory.hostRssPeakBytes).toBeGreaterThan(10 * 2 ** 20); // a Node process, from the real /proc
    }
    expect(off.live).toMatch(/image 2 .*offload \d+\.\d GB  PCIe to GPU \d+\.\d GB, from GPU /);
    expect(off.text).toMatch(/OFFLOAD \d+\.\d GB/);
    expect(off.text).toMatch(/memory +PCIe to GPU \d+\.\d GB, from GPU .* \/image\noffloading +2 of the steady images \(100%\)/);
    expect(off.json.sessions[0].summary.memory.offloadShare).toBe(1);
    // plain: the warm-up loaded the model once (not offloading), the rest move MBs
    const p = plain.json.sessions[0].images;
    expect(p.every((i) => !i.memory.offload)).toBe(true);
    expect(p.filter((i) => !i.warmup).every((i) => i.memory.pcieRxBytes !== null && i.memory.pcieRxBytes < 1e8)).toBe(true);
    expect(p[0].memory.pcieRxBytes).toBeGreaterThan(1e9);
    expect(plain.live).not.toMatch(/ offload \d/i);
    expect(plain.live, plain.live).toMatch(/offloading +0 of the steady images \(0%\)/);
    expect(plain.json.sessions[0].summary.memory.offloadShare, JSON.stringify(plain.json.sessions[0])).toBe(0);
  }, 60000);
});
