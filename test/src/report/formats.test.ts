/** Report formats on real recordings (fixtures/sessions: the real H100 NVML run and the demo). */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { comparisonRow } from '../../../src/report/compare.js';
import { comparisonCsv, comparisonMarkdown } from '../../../src/report/formats.js';
import { readSession } from '../../../src/session/reader.js';
import { CLI, ROOT, tempDir } from '../../helpers/gen.js';

const H100 = join(ROOT, 'fixtures/sessions/h100-nvml-turbo.json');
const DEMO = join(ROOT, 'fixtures/sessions/demo-8.json');

/** A small RFC 4180 reader, to check what a spreadsheet would see. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let q = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (q) {
      if (c === '"' && text[i + 1] === '"') ((cell += '"'), i++);
      else if (c === '"') q = false;
      else cell += c;
    } else if (c === '"') q = true;
    else if (c === ',') (row.push(cell), (cell = ''));
    else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  return rows;
}

describe('comparison rows', () => {
  it('the real H100 session: figures from its summary; images per kWh, cost and CO2 follow from J/image', async () => {
    const s = await readSession(H100);
    const r = comparisonRow(s, { priceKwh: 0.3, gco2Kwh: 400 });
    const j = s.doc.summary.joulesPerImage.mean!;
    expect(r.devices).toMatch(/H100/);
    expect(r.images).toBe(s.doc.summary.images);
    expect(r.secondsPerImage.mean).toBe(s.doc.summary.secondsPerImage.mean);
    expect(r.joulesPerImage.mean).toBeCloseTo(j, 9);
    expect(r.whPer1000Images).toBeCloseTo((j * 1000) / 3600, 9);
    expect(r.imagesPerKwh).toBeCloseTo(3.6e6 / j, 6);
    expect(r.costPerImage).toBeCloseTo((j / 3.6e6) * 0.3, 12);
    expect(r.gco2PerImage).toBeCloseTo((j / 3.6e6) * 400, 9);
    expect(r.method).toBe('counter');
    // no embedded settings in that recording: per step / per megapixel stay unknown, never 0
    expect(r.joulesPerStep).toBeNull();
    expect(comparisonRow(s).costPerImage).toBeNull();
  });
});

describe('csv and markdown', () => {
  it('CSV: one row per session, raw numbers, unknown = empty cell, quoting per RFC 4180', async () => {
    const a = await readSession(H100);
    const b = await readSession(DEMO);
    b.doc.run.tags.model = 'demo, "quoted" model';
    const rows = parseCsv(comparisonCsv([comparisonRow(a), comparisonRow(b)]));
    expect(rows).toHaveLength(3);
    const head = rows[0];
    const col = (name: string) => head.indexOf(name);
    expect(head).toEqual(
      expect.arrayContaining([
        'session',
        'devices',
        'backend',
        'model',
        'attention',
        'precision',
        'steps',
        'size',
        'images',
        'seconds_per_image_mean',
        'seconds_per_image_sd',
        'seconds_per_image_p95',
        'joules_per_image_mean',
        'joules_per_image_sd',
        'net_joules_per_image',
        'wh_per_1000_images',
        'images_per_kwh',
        'mean_watts',
        'peak_vram_bytes',
        'idle_watts',
        'coverage',
        'energy_method',
      ]),
    );
    expect(head).not.toContain('cost_per_image'); // only with --price-kwh
    expect(Number(rows[1][col('joules_per_image_mean')])).toBeCloseTo(a.doc.summary.joulesPerImage.mean!, 6);
    expect(rows[2][col('model')]).toBe('demo, "quoted" model');
    expect(rows[1][col('joules_per_step')]).toBe('');
  });

  it('Markdown: a header, an alignment row and one row per session; n/a for unknown', async () => {
    const demo = await readSession(DEMO);
    demo.doc.run.tags.attention = 'sdpa';
    const md = comparisonMarkdown([comparisonRow(await readSession(H100)), comparisonRow(demo)]);
    const lines = md.trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[1]).toMatch(/^\| --- \| --- \|.*---: \|/);
    expect(lines[0]).not.toMatch(/backend/); // unknown for every session: left out
    expect(lines[0]).toMatch(/attention/);
    expect(lines[2]).toMatch(/\| n\/a \|/); // the H100 run has no attention tag
    expect(lines[2]).toMatch(/± /);
  });

  it('CLI: --format csv|md|json|html, --out writes the file, --price-kwh adds the cost column; bad values are usage errors', () => {
    const dir = tempDir('gw-report-');
    const run = (args: string[]) => spawnSync(process.execPath, [CLI, 'report', H100, DEMO, ...args], { encoding: 'utf8', cwd: dir });
    const csv = run(['--format', 'csv', '--price-kwh', '0.25', '--out', join(dir, 'r.csv')]);
    expect(csv.status).toBe(0);
    expect(csv.stderr).toMatch(/report written to .*r\.csv/);
    const csvLines = readFileSync(join(dir, 'r.csv'), 'utf8').split('\r\n');
    expect(csvLines[0]).toMatch(/^configuration,run,session,.*,cost_per_image$/);
    expect(csvLines[1].split(',').at(-1)).toMatch(/^\d+\.\d+(e-\d+)?$/); // the H100 configuration's cost, a number
    expect(run(['--format', 'csv', '--no-group']).stdout.split('\r\n')[0]).toMatch(/^session,devices,/);
    const md = run(['--format', 'md']).stdout;
    expect(md).toMatch(/^## Configurations\n/);
    expect(md).toMatch(/\n## Sessions\n\n\| session \|/);
    expect(run(['--format', 'md', '--no-group']).stdout).toMatch(/^\| session \|/);
    const json = JSON.parse(run(['--format', 'json']).stdout) as { sessions: unknown[]; comparison: { images: number }[] };
    expect(json.sessions).toHaveLength(2);
    expect(json.comparison).toHaveLength(2);
    const html = run(['--format', 'html']).stdout;
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org\/2000\/svg)/); // self-contained: no script, no network
    const bad = run(['--price-kwh', '-1']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--price-kwh must be a number, 0 or more/);
    expect(run(['--format', 'pdf']).status).toBe(2);
  });
});
