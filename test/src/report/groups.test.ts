/** Configurations, intervals, baseline ratios and the Pareto front (pure), then the CLI end to end. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ComparisonRow } from '../../../src/report/compare.js';
import { groupRows, interval, startTemperatureWarnings, t95 } from '../../../src/report/groups.js';
import { GENERATOR, ROOT, spawnCli, tempDir } from '../../helpers/gen.js';

function row(session: string, over: Partial<ComparisonRow> & { s: number; j: number }): ComparisonRow {
  const st = (m: number) => ({ mean: m, median: m, p95: m, stdev: 0 });
  return {
    session,
    file: `${session}.json`,
    complete: true,
    devices: 'GPU',
    simulated: false,
    backend: null,
    backendVersion: null,
    model: 'm',
    attention: null,
    precision: null,
    steps: 8,
    size: '512x512',
    images: 6,
    steadyImages: 5,
    secondsPerImage: st(over.s),
    joulesPerImage: st(over.j),
    netJoulesPerImage: over.j - 10,
    whPer1000Images: null,
    imagesPerKwh: null,
    meanWatts: null,
    peakVramBytes: 1e9,
    idleWatts: null,
    coverage: 1,
    method: 'counter',
    secondsPerStep: null,
    joulesPerStep: null,
    secondsPerMegapixel: null,
    joulesPerMegapixel: null,
    costPerImage: null,
    gco2PerImage: null,
    node: 'n',
    preset: null,
    tags: {},
    blankImages: 0,
    vramTotalBytes: 8e10,
    pcieRxBytesPerImage: null,
    pcieTxBytesPerImage: null,
    offloadShare: null,
    hostRssPeakBytes: null,
    startTemperatureC: null,
    meanTemperatureC: null,
    throttledShare: null,
    startedMs: null,
    ...over,
  };
}

/** `genwatt run` of the demo generator into DIR/o on the simulated GPU, recorded to `rec`. */
function demoRun(dir: string, rec: string, idleSeconds: string, flags: string[], generatorArgs: string[]) {
  const out = join(dir, 'o');
  return spawnCli([
    'run',
    '--probe',
    'simulated',
    '--idle',
    idleSeconds,
    '--plain',
    ...flags,
    '--record',
    rec,
    '--out',
    out,
    '--',
    process.execPath,
    GENERATOR,
    '--out',
    out,
    ...generatorArgs,
  ]);
}

describe('configuration groups (pure)', () => {
  it('Student t quantiles; a mean with its 95 % interval', () => {
    expect(t95(1)).toBe(12.706);
    expect(t95(9)).toBe(2.262);
    expect(t95(1000)).toBe(1.96);
    const i = interval([10, 12, 14], 'runs');
    expect(i.mean).toBe(12);
    expect(i.ci95).toBeCloseTo((4.303 * 2) / Math.sqrt(3), 6);
    expect(interval([5], 'runs')).toEqual({ mean: 5, ci95: null, over: 'runs' });
  });

  it('groups by configuration, intervals across runs, ratios to the baseline, the Pareto front named', () => {
    const rows = [
      row('a1', { s: 1.0, j: 100, attention: 'sdpa' }),
      row('a2', { s: 1.2, j: 110, attention: 'sdpa' }),
      row('b1', { s: 0.6, j: 80, attention: 'sage' }),
      row('b2', { s: 0.64, j: 76, attention: 'sage' }),
      row('c1', { s: 0.5, j: 150, attention: 'xformers' }),
    ];
    const g = groupRows(rows, undefined, (r) => ({
      seconds: [r.secondsPerImage.mean!, r.secondsPerImage.mean! + 0.1],
      joules: [r.joulesPerImage.mean!, r.joulesPerImage.mean! + 2],
    }));
    expect(g.map((x) => [x.label, x.runs])).toEqual([
      ['sdpa', 2],
      ['sage', 2],
      ['xformers', 1],
    ]);
    expect(g[0].secondsPerImage.mean).toBeCloseTo(1.1, 9);
    expect(g[0].secondsPerImage.ci95).toBeCloseTo(1.2706, 4); // t(1) × sd 0.1414 / √2
    expect(g[0].baseline).toBe(true);
    expect(g[1].vsBaseline!.seconds).toBeCloseTo(0.62 / 1.1, 6);
    expect(g[1].vsBaseline!.joules).toBeCloseTo(78 / 105, 6);
    // one run: the interval is over its images, and says so
    expect(g[2].secondsPerImage.over).toBe('images');
    expect(g.map((x) => x.pareto)).toEqual([false, true, true]);
    expect(g[1].paretoNames).toEqual(['least energy']);
    expect(g[2].paretoNames).toEqual(['fastest']);
    // another baseline, by label or number
    expect(groupRows(rows, undefined, undefined, 'sage').find((x) => x.baseline)!.label).toBe('sage');
    expect(groupRows(rows, undefined, undefined, '3').find((x) => x.baseline)!.label).toBe('xformers');
    // --group-by a tag
    expect(groupRows(rows, ['model']).length).toBe(1);
  });

  it('memory and heat per configuration: PCIe GB/image, offloading, host RAM, VRAM headroom; a pair started too far apart in temperature is flagged', () => {
    const rows = [
      row('a1', {
        s: 1.7,
        j: 700,
        attention: 'sdpa',
        startTemperatureC: 40,
        meanTemperatureC: 55,
        pcieRxBytesPerImage: 3e6,
        offloadShare: 0,
        hostRssPeakBytes: 4e9,
        throttledShare: 0,
      }),
      row('a2', {
        s: 1.7,
        j: 702,
        attention: 'sdpa',
        startTemperatureC: 42,
        meanTemperatureC: 56,
        pcieRxBytesPerImage: 5e6,
        offloadShare: 0,
        hostRssPeakBytes: 5e9,
        throttledShare: 0.1,
      }),
      row('b1', {
        s: 4.9,
        j: 1900,
        attention: 'offload',
        startTemperatureC: 49,
        meanTemperatureC: 50,
        pcieRxBytesPerImage: 5.3e9,
        offloadShare: 1,
        hostRssPeakBytes: 11e9,
        peakVramBytes: 2e10,
      }),
      row('c1', { s: 1.2, j: 500, attention: 'sage', startTemperatureC: 44, meanTemperatureC: 54 }),
    ];
    const g = groupRows(rows);
    expect(g[0]).toMatchObject({
      pcieRxBytesPerImage: 4e6,
      offloading: false,
      hostRssPeakBytes: 5e9,
      startTemperatureC: { min: 40, max: 42 },
      throttledShare: 0.05,
    });
    expect(g[0].vramHeadroom).toBeCloseTo(1 - 1e9 / 8e10, 9);
    expect(g[1]).toMatchObject({ pcieRxBytesPerImage: 5.3e9, offloadShare: 1, offloading: true, vramHeadroom: 0.75 });
    expect(g[2]).toMatchObject({ pcieRxBytesPerImage: null, offloadShare: null, hostRssPeakBytes: null }); // not measured: n/a, never 0
    // sdpa (40–42 °C) vs offload (49 °C): 9 °C apart; sage (44 °C) is within 5 °C of both
    const w = startTemperatureWarnings(g);
    expect(w).toHaveLength(1);
    expect(w[0]).toMatch(
      /^sdpa \(started at 40–42 °C\) and offload \(49 °C\) were compared at starting temperatures up to 9 °C apart, more than the 5 °C margin/,
    );
    expect(startTemperatureWarnings(g, 10)).toEqual([]);
    expect(startTemperatureWarnings(g, 2)).toHaveLength(3);
  });
});

describe('report: configurations, blank images (CLI)', () => {
  it('the demo plan: two groups of two runs each, intervals, a baseline ratio and the Pareto chart in the HTML', async () => {
    const dir = tempDir('gw-plan-report-');
    const plan = JSON.parse(readFileSync(join(ROOT, 'docs/examples/plans/demo-two-presets.json'), 'utf8').replace(/^\s*\/\/.*$/gm, ''));
    plan.recordDir = join(dir, 'rec');
    for (const p of plan.presets) {
      p.cwd = ROOT;
      p.out = join(dir, p.name);
    }
    for (const r of plan.runs) Object.assign(r, { count: 4, idleSeconds: 0.5 });
    plan.coolDown = { powerMarginWatts: 1000, temperatureMarginC: 100, holdSeconds: 0, maxSeconds: 1 };
    writeFileSync(join(dir, 'plan.json'), JSON.stringify(plan));
    const ran = await spawnCli(['plan', join(dir, 'plan.json'), '--probe', 'simulated']);
    expect(ran.code, ran.err).toBe(0);
    // the plan's progress after each session but the last: done, time spent, time left
    expect(ran.out.match(/^ {2}plan: \d\/4 sessions done in \d\d:\d\d, ETA \d\d:\d\d$/gm)).toHaveLength(3);
    const files = ['demo-0.5s', 'demo-0.8s'].flatMap((p) =>
      [1, 2].map((k) => join(dir, 'rec', `demo-two-presets-0${p === 'demo-0.5s' ? 1 : 2}-${p}-r${k}.json`)),
    );
    const rep = JSON.parse((await spawnCli(['report', ...files, '--json'])).out);
    expect(rep.groups.map((g: { label: string; runs: number }) => [g.label, g.runs])).toEqual([
      ['demo-0.5s (simulated)', 2], // the simulated GPU's numbers keep their mark in every label
      ['demo-0.8s (simulated)', 2],
    ]);
    for (const g of rep.groups) {
      expect(g.secondsPerImage.ci95).not.toBeNull();
      expect(g.joulesPerImage.ci95).not.toBeNull();
      expect(g.key).toMatchObject({ preset: g.label.replace(' (simulated)', ''), model: 'demo', steps: '8' });
      expect(g.sessions).toHaveLength(2);
    }
    expect(rep.groups[0].baseline).toBe(true);
    expect(rep.groups[1].vsBaseline.seconds).toBeGreaterThan(1.3); // 0.8 s against 0.5 s images
    expect(rep.groups[0].pareto).toBe(true);
    expect(rep.blankImages).toBe(0);
    const text = (await spawnCli(['report', ...files])).out;
    expect(text).toMatch(/== configurations \(4 runs in 2 groups/);
    expect(text).toMatch(/↳ run 2: demo-two-presets-02-demo-0\.8s-r2/);
    expect(text).toMatch(/Pareto front .*demo-0\.5s \(simulated\) \(fastest, least energy\)/);
    const csv = (await spawnCli(['report', ...files, '--format', 'csv'])).out.split('\r\n');
    expect(csv[0]).toMatch(/^configuration,run,session,/);
    expect(csv.filter((l) => /^demo-0\.8s \(simulated\),2,/.test(l))).toHaveLength(1);
    const html = (await spawnCli(['report', ...files, '--format', 'html'])).out;
    expect(html).toMatch(/<svg class="chart pareto"/);
    expect(html).toMatch(/<details><summary>2 runs<\/summary>/);
    expect((await spawnCli(['report', ...files, '--no-group', '--json'])).out).toMatch(/"groups": \[\]/);
  }, 120000);

  it('a black and a flat grey PNG among normal ones are blank: marked, left out of the steady mean, their energy apart; the normal ones are not decoded (too large to be uniform)', async () => {
    const dir = tempDir('gw-blank-');
    const rec = join(dir, 'r.json');
    const r = await demoRun(dir, rec, '0.3', [], ['--count', '6', '--seconds', '0.3', '--load-seconds', '0.3', '--black-at', '3', '--grey-at', '4']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/image 4 .*BLANK \(entropy 0\.00 bits\): left out of the means/);
    const rep = JSON.parse((await spawnCli(['report', rec, '--json'])).out);
    const s = rep.sessions[0];
    expect(r.out).toMatch(/image 5 .*BLANK \(entropy 0\.00 bits\): left out of the means/);
    expect(rep.blankImages).toBe(2);
    expect(s.images.map((i: { blank: boolean }) => i.blank)).toEqual([false, false, false, true, true, false]);
    expect(s.images[3].entropyBits).toBe(0);
    expect(s.images[4].entropyBits).toBe(0);
    // 2.8 compressed bytes a pixel: no uniform image is that large, so it is not decoded (not computed: null)
    expect(s.images[1].entropyBits).toBeNull();
    expect(s.summary.steadyImages).toBe(3);
    expect(s.summary.blankImages).toBe(2);
    expect(s.summary.blankJoules).toBeCloseTo(s.images[3].joules + s.images[4].joules, 6);
    const steadyMean = [1, 2, 5].map((i) => s.images[i].joules).reduce((a: number, b: number) => a + b, 0) / 3;
    expect(s.summary.joulesPerImage.mean).toBeCloseTo(steadyMean, 6);
  }, 30000);

  it('--entropy-all: every image decoded, its entropy exact', async () => {
    const dir = tempDir('gw-entropy-');
    const rec = join(dir, 'r.json');
    const r = await demoRun(dir, rec, '0', ['--entropy-all'], ['--count', '2', '--seconds', '0.2', '--load-seconds', '0.1']);
    expect(r.code, r.err).toBe(0);
    const s = JSON.parse((await spawnCli(['report', rec, '--json'])).out).sessions[0];
    for (const i of s.images) expect(i.entropyBits).toBeGreaterThan(5);
  }, 30000);

  it('--no-blank-check: nothing decoded, the black image counted like the rest, the recording says the check was off', async () => {
    const dir = tempDir('gw-noblank-');
    const rec = join(dir, 'r.json');
    const r = await demoRun(dir, rec, '0', ['--no-blank-check'], ['--count', '3', '--seconds', '0.2', '--load-seconds', '0.1', '--black-at', '1']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).not.toMatch(/BLANK/);
    const s = JSON.parse((await spawnCli(['report', rec, '--json'])).out).sessions[0];
    expect(s.images.map((i: { entropyBits: unknown; blank: unknown }) => [i.entropyBits, i.blank])).toEqual([
      [null, false],
      [null, false],
      [null, false],
    ]);
    expect(s.summary.blankImages ?? 0).toBe(0);
    expect(JSON.parse(readFileSync(rec, 'utf8')).notes.map((n: { message: string }) => n.message)).toContain(
      'blank check off (--no-blank-check): black or uniform images are not flagged',
    );
  }, 30000);
});
