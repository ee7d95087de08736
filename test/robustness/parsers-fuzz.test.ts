/**
 * Property-based fuzzing (fast-check) of every vendor parser on mutated REAL captures (fixtures/,
 * provenance in fixtures/SOURCES.md): truncated text and lines, dropped/duplicated/reordered lines,
 * reordered CSV columns, N/A everywhere, binary garbage, huge and negative numbers, JSON leaves of
 * the wrong type. Properties: nothing throws, and every number that comes out is finite (garbage
 * becomes an absent value, never NaN, Infinity or a made-up 0).
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAmdSmiMetric, parseAmdSmiStatic, parseRocmSmi } from '../../probes/amd/amd-parse.js';
import { findAmdCards, readCard } from '../../probes/amd/amd-sysfs.js';
import { isPowermetricsHeader, parseMacmonLine, parsePowermetricsBlock, parsePowermetricsDate } from '../../probes/apple/apple-parse.js';
import { chooseRail, parseTegrastatsLine } from '../../probes/jetson/tegrastats-parse.js';
import { deviceKey, parseCsv, parseTimestamp, rowToFacts, rowToReading } from '../../probes/nvidia/nvidia-smi-csv.js';
import { parseNvidiaSmiXml } from '../../probes/nvidia/nvidia-smi-xml.js';
import { sanitizeReading, VendorFormatError } from '../../probes/sanity.js';
import { readSession, SessionFileError } from '../../src/session/reader.js';
import { tempDir } from '../helpers/gen.js';

const FIX = join(import.meta.dirname, '../../fixtures');
const read = (f: string) => readFileSync(join(FIX, f), 'utf8');
const RUNS = Number(process.env.GENWATT_FUZZ_RUNS ?? 300);

/** Fails on any number that is not finite, anywhere in a parser's output. */
function assertFinite(v: unknown, path = '$'): void {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`${path} is ${v}`);
  } else if (typeof v === 'bigint' || typeof v === 'function') throw new Error(`${path} is a ${typeof v}`);
  else if (Array.isArray(v)) v.forEach((x, i) => assertFinite(x, `${path}[${i}]`));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) assertFinite(x, `${path}.${k}`);
}

/** Finite numbers anywhere in a parser's output. */
function numbersIn(v: unknown): number {
  if (typeof v === 'number') return Number.isFinite(v) ? 1 : 0;
  if (Array.isArray(v)) return v.reduce((a: number, x) => a + numbersIn(x), 0);
  if (v && typeof v === 'object') return Object.values(v).reduce((a: number, x) => a + numbersIn(x), 0);
  return 0;
}

/**
 * The unmutated capture must give real output (at least `min` numbers) before the fuzzing means
 * anything: a parser that returns nothing, or always refuses, passes every "never throws" property.
 */
function realOutput(label: string, out: unknown, min = 3): void {
  expect(numbersIn(out), `${label}: ${JSON.stringify(out).slice(0, 300)}`).toBeGreaterThanOrEqual(min);
}

const NASTY = [
  'N/A',
  '[N/A]',
  '[Not Supported]',
  '',
  '-',
  'nan',
  'NaN',
  'inf',
  '-inf',
  'Infinity',
  '1e309',
  '-1e309',
  '9'.repeat(400),
  '-12.5',
  '0x1F',
  '1,5',
  '12 W',
  '\u0000',
  '"',
  '{',
  'null',
  'true',
  '1e-400',
];
const nasty = fc.constantFrom(...NASTY);
const garbageBytes = fc.uint8Array({ minLength: 1, maxLength: 40 }).map((b) => Buffer.from(b).toString('latin1'));

type Op =
  | { k: 'truncate'; at: number }
  | { k: 'garbage'; at: number; s: string }
  | { k: 'numbers'; every: number; with: string }
  | { k: 'drop'; at: number }
  | { k: 'dup'; at: number }
  | { k: 'swap'; a: number; b: number }
  | { k: 'cols'; a: number; b: number }
  | { k: 'cutLine'; at: number; frac: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ k: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ k: fc.constant('garbage' as const), at: fc.nat(), s: garbageBytes }),
  fc.record({ k: fc.constant('numbers' as const), every: fc.integer({ min: 1, max: 5 }), with: nasty }),
  fc.record({ k: fc.constant('drop' as const), at: fc.nat() }),
  fc.record({ k: fc.constant('dup' as const), at: fc.nat() }),
  fc.record({ k: fc.constant('swap' as const), a: fc.nat(), b: fc.nat() }),
  fc.record({ k: fc.constant('cols' as const), a: fc.nat(20), b: fc.nat(20) }),
  fc.record({ k: fc.constant('cutLine' as const), at: fc.nat(), frac: fc.double({ min: 0, max: 1, noNaN: true }) }),
);

/** Applies text mutations to a capture. */
export function mutate(text: string, ops: readonly Op[]): string {
  let t = text;
  for (const o of ops) {
    const lines = t.split('\n');
    switch (o.k) {
      case 'truncate':
        t = t.slice(0, o.at % (t.length + 1));
        break;
      case 'garbage': {
        const at = o.at % (t.length + 1);
        t = t.slice(0, at) + o.s + t.slice(at);
        break;
      }
      case 'numbers': {
        let n = 0;
        t = t.replace(/-?\d+(?:\.\d+)?/g, (m) => (n++ % o.every === 0 ? o.with : m));
        break;
      }
      case 'drop':
        lines.splice(o.at % lines.length, 1);
        t = lines.join('\n');
        break;
      case 'dup': {
        const i = o.at % lines.length;
        lines.splice(i, 0, lines[i]);
        t = lines.join('\n');
        break;
      }
      case 'swap': {
        const a = o.a % lines.length;
        const b = o.b % lines.length;
        [lines[a], lines[b]] = [lines[b], lines[a]];
        t = lines.join('\n');
        break;
      }
      case 'cols':
        t = lines
          .map((l) => {
            const c = l.split(',');
            if (c.length < 2) return l;
            const a = o.a % c.length;
            const b = o.b % c.length;
            [c[a], c[b]] = [c[b], c[a]];
            return c.join(',');
          })
          .join('\n');
        break;
      case 'cutLine': {
        const i = o.at % lines.length;
        lines[i] = lines[i].slice(0, Math.floor(lines[i].length * o.frac));
        t = lines.join('\n');
        break;
      }
    }
  }
  return t;
}

const ops = fc.array(op, { minLength: 1, maxLength: 6 });

/** JSON captures: replace leaves with values of any type, drop keys, and text mutations too. */
const jsonLeaf = fc.oneof(
  nasty,
  fc.double(),
  fc.integer(),
  fc.constant(null),
  fc.boolean(),
  fc.constant({}),
  fc.constant([]),
  fc.constant(1e308),
  fc.constant(-1),
  fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 3 }),
);
function mutateJson(text: string, picks: readonly { at: number; v: unknown; drop: boolean }[]): string {
  const doc = JSON.parse(text) as unknown;
  const leaves: { parent: Record<string, unknown> | unknown[]; key: string | number }[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach((x, i) => (x && typeof x === 'object' ? walk(x) : leaves.push({ parent: v, key: i })));
    else if (v && typeof v === 'object')
      for (const [k, x] of Object.entries(v)) x && typeof x === 'object' ? walk(x) : leaves.push({ parent: v as Record<string, unknown>, key: k });
  };
  walk(doc);
  for (const p of picks) {
    if (leaves.length === 0) break;
    const l = leaves[p.at % leaves.length];
    if (p.drop && !Array.isArray(l.parent)) delete (l.parent as Record<string, unknown>)[l.key as string];
    else (l.parent as Record<string | number, unknown>)[l.key] = p.v;
  }
  return JSON.stringify(doc, null, 1);
}
const jsonPicks = fc.array(fc.record({ at: fc.nat(), v: jsonLeaf, drop: fc.boolean() }), { minLength: 1, maxLength: 12 });
const jsonOrText = (text: string) =>
  fc.oneof(
    jsonPicks.map((p) => mutateJson(text, p)),
    ops.map((o) => mutate(text, o)),
    fc.tuple(jsonPicks, ops).map(([p, o]) => mutate(mutateJson(text, p), o)),
  );

/**
 * Runs `check` on each mutated input. A parser may refuse a whole document that is not its tool's
 * format with a VendorFormatError (the probe reports it as a bad sample); any other throw fails.
 */
function prop<T>(arb: fc.Arbitrary<T>, check: (v: T) => void): void {
  fc.assert(
    fc.property(arb, (v) => {
      try {
        check(v);
      } catch (err) {
        if (!(err instanceof VendorFormatError)) throw err;
      }
    }),
    { numRuns: RUNS },
  );
}

describe('vendor parsers on mutated real captures never throw and never emit a non-finite number', () => {
  const csvFiles = [
    'nvidia/nvidia-smi-lms100_h100-sxm_drv580_under-load_nounits.csv',
    'nvidia/nvidia-smi-query-gpu_h100-sxm_drv580.159.04_csv-header-and-nounits.csv',
    'nvidia/nvidia-smi-query-gpu_tesla-t4_drv510_csv-nounits.csv',
    'nvidia/nvidia-smi-query-gpu_tesla-p100_csv-nounits.csv',
  ];
  it.each(csvFiles)('nvidia-smi CSV: %s', (f) => {
    const text = read(f);
    const streamFields = ['timestamp', 'power.draw', 'power.draw.instant', 'memory.used', 'utilization.gpu'];
    const fieldsOf = f.includes('lms100') ? streamFields : undefined;
    realOutput(
      f,
      parseCsv(text, fieldsOf).rows.map((rec) => rowToReading(rec, deviceKey(rec) ?? 'gpu', parseTimestamp(rec.timestamp) ?? 0)),
      3,
    );
    prop(ops, (o) => {
      const m = mutate(text, o);
      for (const fields of [undefined, streamFields]) {
        const parsed = parseCsv(m, fields);
        for (const rec of parsed.rows) {
          const r = rowToReading(rec, deviceKey(rec) ?? 'gpu', parseTimestamp(rec.timestamp) ?? 0);
          assertFinite(r);
          assertFinite(rowToFacts(rec));
        }
      }
    });
  });

  const xmlFiles = [
    'nvidia-smi-qx_h100-sxm_drv580.159.04.xml',
    'nvidia-smi-qx_rtx3060_drv570.124.04_v12.xml',
    'nvidia-smi-qx_tesla-p100-pcie_drv510.47.03_v11.xml',
    'nvidia-smi-qx_gtx1660ti-graphics-device_drv418.43_no-doctype.xml',
  ];
  it.each(xmlFiles)('nvidia-smi -q -x: %s', (f) => {
    const text = read(`nvidia/${f}`);
    realOutput(f, parseNvidiaSmiXml(text), 2);
    prop(ops, (o) => assertFinite(parseNvidiaSmiXml(mutate(text, o))));
  });

  it.each([
    ['amd-smi metric', 'amd/amd-smi_metric_rx6600xt_pve-kernel.json', parseAmdSmiMetric],
    ['amd-smi static', 'amd/amd-smi_static_rx6600xt_pve-kernel.json', parseAmdSmiStatic],
    ['rocm-smi 4.3', 'amd/rocm-smi_rx6700xt_rocm4.3.0_all.json', parseRocmSmi],
    ['rocm-smi 6.1', 'amd/rocm-smi_rx6700xt_rocm6.1.2_all.json', parseRocmSmi],
    ['rocm-smi vega', 'amd/rocm-smi_vega10-xt_driver5.9.25_all.json', parseRocmSmi],
  ] as const)('%s: %s', (_n, f, parse) => {
    const text = read(f);
    realOutput(f, (parse as (t: string) => unknown)(text), 1);
    prop(jsonOrText(text), (m) => assertFinite((parse as (t: string) => unknown)(m)));
  });

  it('amd-smi metric given the MI300X CSV capture (the wrong format) parses to nothing, without throwing', () => {
    prop(ops, (o) => assertFinite(parseAmdSmiMetric(mutate(read('amd/amd-smi_metric_8x-mi300x_csv.csv'), o))));
  });

  it.each([
    'jetson/tegrastats_agx-orin-64gb_jp6_timestamped_mW.log',
    'jetson/tegrastats_mixed-boards_tx2-tx1-tx2off-agxxavier_with-date-header.log',
    'jetson/tegrastats_nano-4gb_pom-rails_EXCERPT-first-lines.log',
  ])('tegrastats: %s', (f) => {
    const text = read(f);
    realOutput(
      f,
      text.split('\n').map((l) => parseTegrastatsLine(l)),
      5,
    );
    prop(ops, (o) => {
      for (const line of mutate(text, o).split('\n')) {
        const p = parseTegrastatsLine(line);
        assertFinite(p);
        if (p) assertFinite(chooseRail(p.rails));
      }
    });
  });

  it.each([
    'apple/powermetrics-text_m1-macbookpro17,1_macos14.6-23G93_default-samplers.txt',
    'apple/powermetrics-text_m4max-mac16,6_macos15.5-24F74_default-samplers.txt',
  ])('powermetrics: %s', (f) => {
    const text = read(f);
    realOutput(
      f,
      text.split(/\n(?=\*\*\* Sampled system activity)/).map((b) => parsePowermetricsBlock(b)),
      3,
    );
    prop(ops, (o) => {
      const m = mutate(text, o);
      // blocks as the probe cuts them: at each "*** Sampled system activity" header
      const blocks = m.split(/\n(?=\*\*\* Sampled system activity)/);
      for (const b of blocks) {
        assertFinite(parsePowermetricsBlock(b));
        const first = b.split('\n')[0];
        if (isPowermetricsHeader(first)) assertFinite(parsePowermetricsDate(first));
      }
    });
  });

  it('macmon pipe: fixtures/apple/macmon-pipe_8gb-m-series_no-timestamp.jsonl', () => {
    const text = read('apple/macmon-pipe_8gb-m-series_no-timestamp.jsonl');
    const lines = text.trim().split('\n');
    realOutput(
      'macmon',
      lines.map((l) => parseMacmonLine(l)),
      5,
    );
    prop(fc.tuple(fc.nat(lines.length - 1), jsonOrText(lines[0]), ops), ([i, j, o]) => {
      assertFinite(parseMacmonLine(j));
      for (const l of mutate(lines[i], o).split('\n')) assertFinite(parseMacmonLine(l));
    });
  });

  it('amdgpu sysfs: files of the real snapshot replaced by garbage, huge or negative numbers', async () => {
    const root = tempDir('gw-fuzz-sysfs-');
    cpSync(join(FIX, 'amd/sysfs_lact_phoenix-apu'), root, { recursive: true });
    const dev = join(root, 'card1/device');
    writeFileSync(join(dev, 'vendor'), '0x1002\n');
    const files = [
      join(dev, 'hwmon/hwmon6/power1_input'),
      join(dev, 'hwmon/hwmon6/power1_average'),
      join(dev, 'mem_info_vram_used'),
      join(dev, 'mem_info_vram_total'),
      join(dev, 'gpu_busy_percent'),
      join(dev, 'hwmon/hwmon6/temp1_input'),
      join(dev, 'hwmon/hwmon6/freq1_input'),
    ];
    const original = files.map((f) => {
      try {
        return readFileSync(f, 'utf8');
      } catch {
        return '1000\n';
      }
    });
    realOutput(
      'amdgpu sysfs',
      findAmdCards(root).map((c) => readCard(c, 1)),
      2,
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.tuple(
            fc.nat(files.length - 1),
            fc.oneof(
              nasty,
              garbageBytes,
              ops.map((o) => mutate(original[0], o)),
            ),
          ),
          { minLength: 1, maxLength: 7 },
        ),
        async (edits) => {
          files.forEach((f, i) => writeFileSync(f, original[i]));
          for (const [i, v] of edits) writeFileSync(files[i], v);
          for (const c of findAmdCards(root)) {
            assertFinite(c);
            assertFinite(readCard(c, 1));
          }
        },
      ),
      { numRuns: Math.min(RUNS, 100) },
    );
  });
});

describe('readings are sane before anything uses them', () => {
  it('values no device can have become absent; real ones pass unchanged', () => {
    const num = fc.oneof(fc.double(), fc.constant(Number.NaN), fc.constant(Infinity), fc.integer({ min: -1e6, max: 1e12 }));
    prop(
      fc.record(
        {
          powerWatts: num,
          energyJoules: num,
          vramUsedBytes: num,
          utilizationPercent: num,
          temperatureC: num,
          clockMhz: num,
          cpuPercent: num,
          ramUsedBytes: num,
        },
        { requiredKeys: [] },
      ),
      (fields) => {
        const r = sanitizeReading({ deviceId: 'x', tMs: 1, ...fields });
        assertFinite(r);
        if (r.powerWatts !== undefined) expect(r.powerWatts).toBeGreaterThanOrEqual(0);
        if (r.utilizationPercent !== undefined) expect(r.utilizationPercent).toBeLessThanOrEqual(100);
        for (const [k, v] of Object.entries(fields))
          if (Number.isFinite(v) && (v as number) >= 0 && (v as number) <= 100) expect(r[k as keyof typeof r], k).toBe(v);
      },
    );
    // the H100 at its cap, a real VRAM figure, a real counter
    expect(sanitizeReading({ deviceId: 'g', tMs: 1, powerWatts: 699.6, vramUsedBytes: 85520809984, energyJoules: 123456789.5 })).toEqual({
      deviceId: 'g',
      tMs: 1,
      powerWatts: 699.6,
      vramUsedBytes: 85520809984,
      energyJoules: 123456789.5,
    });
  });
});

describe('session files: any corruption is a SessionFileError naming the file, never a crash', () => {
  it.each(['sessions/demo-killed.jsonl', 'sessions/demo-8.json'])('%s', async (f) => {
    const text = read(f);
    const dir = tempDir('gw-fuzz-session-');
    // the unmutated recording loads, with its images
    writeFileSync(join(dir, `original${f.endsWith('.jsonl') ? '.jsonl' : '.json'}`), text);
    const original = await readSession(join(dir, `original${f.endsWith('.jsonl') ? '.jsonl' : '.json'}`));
    expect(original.doc.rows.length).toBeGreaterThanOrEqual(1);
    realOutput(f, original.doc.summary, 5);
    let n = 0;
    await fc.assert(
      fc.asyncProperty(f.endsWith('.json') ? jsonOrText(text) : ops.map((o) => mutate(text, o)), async (m) => {
        const file = join(dir, `s${n++}${f.endsWith('.jsonl') ? '.jsonl' : '.json'}`);
        writeFileSync(file, m);
        try {
          const loaded = await readSession(file);
          assertFinite(loaded.doc.summary);
        } catch (err) {
          if (!(err instanceof SessionFileError)) throw err;
          expect((err as Error).message).toContain(file);
        }
      }),
      { numRuns: Math.min(RUNS, 100) },
    );
  });
});
