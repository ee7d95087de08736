/**
 * Guarantee: a stored session is checked against itself before anything is reported from it. Each
 * case alters the real demo recording (fixtures/sessions/demo-8.json) as a hostile or damaged file
 * would and runs `genwatt report` as a process. On 02294be a −1e9 J row was reported as the least
 * energy, a false summary was printed beside its rows, a duplicated key silently won, samples out
 * of order and windows ending before they start were accepted, and one bad file ended a report of many.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, spawnCli, tempDir } from '../helpers/gen.js';

const DEMO = readFileSync(join(ROOT, 'fixtures/sessions/demo-8.json'), 'utf8');
const LINES = DEMO.split('\n');
const at = (prefix: string) => LINES.findIndex((l) => l.startsWith(prefix));
const ROWS = at('  "rows"');
const SAMPLES = at('  "samples"');
const SUMMARY = at('  "summary"');

/** The demo recording with line `i` (0-based) made by `edit` from its JSON value. */
function withItem(i: number, edit: (v: Record<string, unknown>) => void): string {
  const lines = [...LINES];
  const m = /^(\s*(?:"[a-z]+": )?)(.*?)(,?)$/.exec(lines[i])!;
  const v = JSON.parse(m[2]) as Record<string, unknown>;
  edit(v);
  lines[i] = `${m[1]}${JSON.stringify(v)}${m[3]}`;
  return lines.join('\n');
}

function file(dir: string, name: string, text: string): string {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}

describe('a stored session checked against itself', () => {
  it('refuses rows that contradict themselves, naming the file and line', async () => {
    const dir = tempDir('gw-self-');
    const cases: [string, string, RegExp][] = [
      [
        'negative.json',
        withItem(ROWS + 3, (r) => (r.joules = -1e9)),
        new RegExp(`negative\\.json:${ROWS + 4}: /rows/2 has -1000000000 J: energy is never negative`),
      ],
      [
        'backwards.json',
        withItem(ROWS + 2, (r) => (r.windowEndMs = (r.windowStartMs as number) - 5000)),
        new RegExp(`backwards\\.json:${ROWS + 3}: /rows/1 ends 5\\.000 s before it starts`),
      ],
      ['watts.json', withItem(ROWS + 2, (r) => (r.watts = 9000)), /watts\.json:\d+: \/rows\/1 says 9000 W, but/],
      [
        'impossible.json',
        withItem(ROWS + 2, (r) => {
          r.joules = 5000;
          r.watts = (5000 * (r.batchSize as number)) / (((r.windowEndMs as number) - (r.windowStartMs as number)) / 1000);
        }),
        /impossible\.json:\d+: \/rows\/1 draws \d+\.\d W: more than the charged GPUs can \(500 W, twice their power limits\)/,
      ],
      [
        'order.json',
        (() => {
          const l = [...LINES];
          [l[SAMPLES + 2], l[SAMPLES + 5]] = [l[SAMPLES + 5], l[SAMPLES + 2]];
          return l.join('\n');
        })(),
        /order\.json:\d+: \/samples\/\d \(sim-0\) is \d\.\d{3} s earlier than the sample before it/,
      ],
      [
        'dup.json',
        DEMO.replace('  "summary": ', `${LINES[SUMMARY].replace(/"mean":[0-9.]+/, '"mean":1')}\n  "summary": `),
        new RegExp(`dup\\.json:${SUMMARY + 2}: "summary" appears twice \\(lines ${SUMMARY + 1} and ${SUMMARY + 2}\\)`),
      ],
      [
        'dup-whole.json',
        JSON.stringify(JSON.parse(DEMO), null, 1).replace('"complete": true,', '"complete": true, "complete": false,'),
        /dup-whole\.json:\d+: "complete" appears twice in one object/,
      ],
      ['deep.json', DEMO.replace('  "host": {', `  "host": {"x":${'['.repeat(10_000)}${']'.repeat(10_000)},`), /deep\.json:\d+: nested deeper than 64 levels/],
      [
        'deep-whole.json',
        JSON.stringify(JSON.parse(DEMO)).replace('"host":{', `"host":{"x":${'['.repeat(10_000)}${']'.repeat(10_000)},`),
        /deep-whole\.json: nested deeper than 64 levels/,
      ],
    ];
    for (const [name, text, said] of cases) {
      const r = await spawnCli(['report', file(dir, name, text)]);
      expect(r.code, `${name}: ${r.out}`).toBe(1);
      expect(r.err, name).toMatch(said);
      expect(r.out, name).toBe('');
    }
  }, 90_000);

  it('a 70 MB line fails naming the file and line, in bounded memory', async () => {
    const dir = tempDir('gw-self-');
    const l = [...LINES];
    l[SAMPLES + 2] = `    {"deviceId":"sim-0","tMs":1,"pad":"${'a'.repeat(70_000_000)}"},`;
    const f = file(dir, 'long.json', l.join('\n'));
    const r = await spawnCli(['report', f]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`long\\.json:${SAMPLES + 3}: line is longer than 64 MiB`));
  }, 60_000);

  it('a summary that disagrees with its rows, or fails its schema (an old negative duration), is recomputed and said', async () => {
    const dir = tempDir('gw-self-');
    const lying = file(
      dir,
      'lying.json',
      withItem(SUMMARY, (s) => ((s.joulesPerImage as { mean: number }).mean = 1)),
    );
    const old = file(
      dir,
      'old.json',
      withItem(SUMMARY, (s) => (s.durationSeconds = -30)),
    );
    for (const f of [lying, old]) {
      const r = await spawnCli(['report', f]);
      expect(r.code, r.err).toBe(0);
      expect(r.out).toMatch(/J\/image\s+mean 138\.8 J/);
      expect(r.out).not.toMatch(/mean 1\.0 J/);
    }
    expect((await spawnCli(['report', lying])).out).toMatch(
      /warning: .*lying\.json: the stored summary disagrees with its rows \(J\/image mean 1 stored, 138\.839 from the rows\)/,
    );
    expect((await spawnCli(['report', old])).out).toMatch(
      /warning: .*old\.json: the stored summary is not valid \(\/summary\/durationSeconds must be >= 0\): recomputed/,
    );
  }, 60_000);

  it('a journal record of a type genwatt does not know is named as such, with file and line', async () => {
    const dir = tempDir('gw-self-');
    const journal = readFileSync(join(ROOT, 'fixtures/sessions/demo-killed.jsonl'), 'utf8').trimEnd().split('\n');
    journal.splice(3, 0, '{"type":"bogus","tMs":1}');
    const r = await spawnCli(['report', file(dir, 'bogus.jsonl', journal.join('\n') + '\n')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/bogus\.jsonl:4: unknown record type "bogus"/);
  }, 30_000);

  it('one bad file in a report of many is named and skipped; the others are reported; the exit code says so', async () => {
    const dir = tempDir('gw-self-');
    const good = file(dir, 'good.json', DEMO);
    const bad = file(
      dir,
      'bad.json',
      withItem(ROWS + 3, (r) => (r.joules = -1e9)),
    );
    const r = await spawnCli(['report', good, bad, join(ROOT, 'fixtures/sessions/h100-nvml-turbo.json')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/genwatt: skipped .*bad\.json:\d+: \/rows\/2 has -1000000000 J/);
    expect(r.out).toMatch(/== .*good\.json/);
    expect(r.out).toMatch(/== .*h100-nvml-turbo\.json/);
    expect(r.out).not.toMatch(/bad\.json/);
    expect(r.out).not.toMatch(/-1000000000/);
  }, 60_000);
});
