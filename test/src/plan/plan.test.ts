/** `genwatt plan`: a 2-session plan on the simulated GPU, interrupted (Ctrl-C) and resumed. Real processes. */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPlan } from '../../../src/plan/plan-file.js';
import { readSession } from '../../../src/session/reader.js';
import { GENERATOR, ROOT, signalWhen, spawnCli, tempDir } from '../../helpers/gen.js';

function plan(dir: string): string {
  const file = join(dir, 'plan.json');
  const gen = (seconds: string) => [process.execPath, GENERATOR, '--out', '{out}', '--count', '{count}', '--seconds', seconds, '--load-seconds', '0.2'];
  writeFileSync(
    file,
    `// a test plan (comments allowed)
${JSON.stringify(
  {
    name: 'tworuns',
    recordDir: 'rec',
    coolDown: { powerMarginWatts: 8, temperatureMarginC: 40, holdSeconds: 0.3, maxSeconds: 5 },
    presets: [
      { name: 'fast', command: gen('0.3'), out: 'out-fast', tags: { speed: 'fast' } },
      { name: 'slow', command: gen('0.6'), out: 'out-slow', tags: { speed: 'slow' } },
    ],
    runs: [
      { preset: 'fast', count: 4, idleSeconds: 0.5 },
      { preset: 'slow', count: 6, idleSeconds: 0.5 },
    ],
  },
  null,
  2,
)}`,
  );
  return file;
}

describe('genwatt plan', () => {
  it('interrupted in the second session, then resumed: the finished session is kept and skipped, the interrupted one set aside and run again, one combined report', async () => {
    const dir = tempDir('gw-plan-');
    const file = plan(dir);
    const rec = join(dir, 'rec');
    const first = join(rec, 'tworuns-01-fast-r1.json');
    const second = join(rec, 'tworuns-02-slow-r1.json');
    const r1 = await spawnCli(['plan', file, '--probe', 'simulated'], {}, (p) => {
      // Ctrl-C once the second session has written an image
      signalWhen(p, () => existsSync(join(dir, 'out-slow')) && readdirSync(join(dir, 'out-slow')).some((f) => f.endsWith('.png')), 'SIGINT', 40000);
    });
    expect(r1.code, r1.out).toBe(130);
    expect(r1.out).toMatch(/stopping: the current session is finished and recorded/);
    const a = await readSession(first);
    expect(a.doc.rows).toHaveLength(4);
    expect(a.doc.run.tags).toMatchObject({ plan: 'tworuns', 'plan-run': '01-fast-r1', preset: 'fast', speed: 'fast', repeat: '1/1' });
    expect(a.doc.idle?.totalWatts).toBeGreaterThan(0);
    expect((await readSession(second)).doc.run.endReason).toBe('interrupted');
    const before = readFileSync(first, 'utf8');

    const r2 = await spawnCli(['plan', file, '--probe', 'simulated']);
    expect(r2.code, r2.out).toBe(0);
    expect(r2.out).toMatch(/01-fast-r1: already recorded in tworuns-01-fast-r1\.json, skipped/);
    expect(r2.out).toMatch(
      /02-slow-r1: tworuns-02-slow-r1\.json does not count \(it was interrupted\): kept as tworuns-02-slow-r1\.interrupted-1\.json, running it again/,
    );
    expect(r2.out).toMatch(/recorded 1, skipped 1 .*failed 0/);
    expect(readFileSync(first, 'utf8')).toBe(before); // untouched
    expect(existsSync(join(rec, 'tworuns-02-slow-r1.interrupted-1.json'))).toBe(true);
    const b = await readSession(second);
    expect(b.doc.rows).toHaveLength(6);
    expect(b.doc.rows[0].warmup).toBe(true);
    for (const f of ['tworuns-report.html', 'tworuns-report.md', 'tworuns-report.csv']) expect(existsSync(join(rec, f))).toBe(true);
    // Two presets, one run each: two configurations, then the two sessions.
    const md = readFileSync(join(rec, 'tworuns-report.md'), 'utf8');
    const [configs, perSession] = md.split('## Sessions');
    expect(
      configs
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('| **')),
    ).toHaveLength(2);
    expect(perSession.trim().split('\n')).toHaveLength(4); // header, alignment, two sessions
    const r3 = await spawnCli(['plan', file, '--probe', 'simulated']);
    expect(r3.code).toBe(0);
    expect(r3.out).toMatch(/recorded 0, skipped 2/);
    expect(r3.out).not.toMatch(/idle reference/); // nothing to run: no measuring at all
  }, 120000);

  it('order "interleaved": two presets × 3 repeats run A B A B A B, each session recording its place and its cool-down', async () => {
    const dir = tempDir('gw-plan-');
    const file = join(dir, 'abab.json');
    const gen = [process.execPath, GENERATOR, '--out', '{out}', '--count', '{count}', '--seconds', '0.05', '--load-seconds', '0'];
    writeFileSync(
      file,
      JSON.stringify({
        name: 'abab',
        recordDir: 'rec',
        order: 'interleaved',
        // back to the temperature the first session started at (the simulated GPU idles at 38 °C)
        coolDown: { toC: 'start', holdSeconds: 0, maxSeconds: 20 },
        presets: [
          { name: 'a', command: gen, out: 'out-a' },
          { name: 'b', command: gen, out: 'out-b' },
        ],
        runs: [
          { preset: 'a', count: 1, repeats: 3, idleSeconds: 0, warmup: 0 },
          { preset: 'b', count: 1, repeats: 3, idleSeconds: 0, warmup: 0 },
        ],
      }),
    );
    const loaded = await loadPlan(file);
    expect(loaded.sessions.map((s) => s.id)).toEqual(['01-a-r1', '02-b-r1', '01-a-r2', '02-b-r2', '01-a-r3', '02-b-r3']);
    const r = await spawnCli(['plan', file, '--probe', 'simulated']);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/order: interleaved: 01-a-r1, 02-b-r1, 01-a-r2, 02-b-r2, 01-a-r3, 02-b-r3/);
    const docs = await Promise.all(loaded.sessions.map((s) => readSession(s.file)));
    // Started in that order (each session's own start time), presets alternating.
    const started = docs.map((d) => Date.parse(d.doc.startedAt));
    expect([...started].sort((x, y) => x - y)).toEqual(started);
    expect(docs.map((d) => d.doc.run.tags.preset).join('')).toBe('ababab');
    expect(docs.map((d) => d.doc.run.tags['plan-position'])).toEqual(['1/6', '2/6', '3/6', '4/6', '5/6', '6/6']);
    expect(docs[0].doc.run.tags['cool-down']).toBeUndefined(); // the first has none
    for (const d of docs.slice(1)) {
      expect(d.doc.run.tags['cool-down']).toMatch(/^at or below 38 °C after \d+\.\d s$/);
      expect(d.doc.run.tags).toMatchObject({ 'cool-down-to-c': '38', 'plan-order': 'interleaved' });
    }
    expect(JSON.parse(readFileSync(join(dir, 'rec', 'abab-order.json'), 'utf8'))).toMatchObject({ order: 'interleaved', seed: null });
  }, 120000);

  it('order "shuffled": the order follows the seed (given, or drawn once and kept for a resumed plan)', async () => {
    const dir = tempDir('gw-plan-');
    const file = join(dir, 'shuf.json');
    const body = (seed?: number) =>
      JSON.stringify({
        name: 'shuf',
        order: 'shuffled',
        ...(seed === undefined ? {} : { seed }),
        presets: [
          { name: 'a', command: ['x'], out: 'o' },
          { name: 'b', command: ['x'], out: 'o' },
        ],
        runs: [
          { preset: 'a', count: 1, repeats: 4 },
          { preset: 'b', count: 1, repeats: 4 },
        ],
      });
    writeFileSync(file, body(7));
    const a = await loadPlan(file);
    const b = await loadPlan(file);
    expect(a.sessions.map((s) => s.id)).toEqual(b.sessions.map((s) => s.id));
    expect(a.sessions.map((s) => s.id)).not.toEqual([...a.sessions.map((s) => s.id)].sort());
    expect(a.sessions[0].tags).toMatchObject({ 'plan-order': 'shuffled', 'plan-seed': '7', 'plan-position': '1/8' });
    writeFileSync(file, body());
    mkdirSync(join(dir, 'genwatt-plans', 'shuf'), { recursive: true });
    writeFileSync(join(dir, 'genwatt-plans', 'shuf', 'shuf-order.json'), JSON.stringify({ order: 'shuffled', seed: 7 }));
    expect((await loadPlan(file)).sessions.map((s) => s.id)).toEqual(a.sessions.map((s) => s.id)); // the kept seed
  });

  it('the shipped example plans load; errors name the file, line and field', async () => {
    expect((await loadPlan(join(ROOT, 'docs/examples/plans/sdxl-vs-zimage_forge-neo_comfyui.json'))).sessions).toHaveLength(18);
    expect((await loadPlan(join(ROOT, 'docs/examples/plans/demo-two-presets.json'))).sessions).toHaveLength(4);
    const dir = tempDir('gw-plan-bad-');
    const f = join(dir, 'p.json');
    writeFileSync(f, '{\n  "name": "x",\n  "presets": [{ "name": "a", "command": ["true"], "count": 2 }],\n  "runs": [{ "preset": "a", "repeats": 0 }]\n}\n');
    await expect(loadPlan(f)).rejects.toThrow(/p\.json line 4: runs\[0\]\.repeats must be >= 1/);
    writeFileSync(f, '{"name": "x", "presets": [{ "name": "a", "command": ["true"], "count": 2 }], "runs": [{ "preset": "b" }]}');
    await expect(loadPlan(f)).rejects.toThrow(/runs\[0\]\.preset "b" is not one of the plan's presets \(a\)/);
    writeFileSync(f, '{"name": "x", "presets": [{ "name": "a", "command": ["true"] }], "runs": [{ "preset": "a" }]}');
    await expect(loadPlan(f)).rejects.toThrow(/has no image count/);
    writeFileSync(f, '{"name": "x", "presets": [{ "name": "a", "comand": ["true"] }], "runs": [{ "preset": "a" }]}');
    await expect(loadPlan(f)).rejects.toThrow(/line 1: presets\[0\]\.comand is not a known field/);
  });
});
