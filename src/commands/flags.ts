/**
 * Flags as they come from the command line (strings), turned into numbers with their units in the
 * name at the door: nothing past this file converts seconds to milliseconds. A bad value is a
 * {@link UsageError} that echoes what the user typed.
 */
import { resolve } from 'node:path';
import { isProbeName, PROBE_NAMES } from '../../probes/registry.js';
import type { ProbeName } from '../../probes/types.js';
import { meterCommand, MeterSpecError, parseMeter, type MeterSpec } from '../../probes/meter/meter-spec.js';

/** Bad usage: one line, exit code 2. */
export class UsageError extends Error {
  readonly usage = true;
}

/** Node's timers hold at most 2^31 − 1 ms (about 24.8 days); a longer delay would fire at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export interface NumberRule {
  /** What the message says the value must be, e.g. "a positive number of milliseconds". */
  must: string;
  /** Smallest allowed value. */
  min?: number;
  /** The minimum itself is not allowed (positive numbers). */
  above?: boolean;
  integer?: boolean;
  /** Largest allowed value (timers: {@link MAX_TIMER_MS} in the flag's unit). */
  max?: number;
}

/** Parses a number flag; undefined when not given. Echoes the raw text in the error. */
export function numberFlag(name: string, raw: unknown, rule: NumberRule): number | undefined {
  if (raw === undefined || raw === null) return undefined;
  const last = Array.isArray(raw) ? raw[raw.length - 1] : raw; // given twice: the last one wins
  const text = String(last).trim();
  const v = text === '' ? NaN : Number(text);
  const ok =
    Number.isFinite(v) &&
    (rule.min === undefined || (rule.above ? v > rule.min : v >= rule.min)) &&
    (!rule.integer || Number.isInteger(v)) &&
    (rule.max === undefined || v <= rule.max);
  if (!ok) {
    const tooBig = Number.isFinite(v) && rule.max !== undefined && v > rule.max;
    throw new UsageError(`--${name} must be ${rule.must}${tooBig ? ` (at most ${rule.max})` : ''}, got ${text === '' ? '""' : text}`);
  }
  // -0 is 0 (no "-0.0" anywhere downstream)
  return v === 0 ? 0 : v;
}

const MS = MAX_TIMER_MS;
const S = Math.floor(MAX_TIMER_MS / 1000);

/** The number rules every command shares, so a flag means the same everywhere. */
export const RULES = {
  intervalMs: { must: 'a positive number of milliseconds', min: 0, above: true, max: 3_600_000 },
  idleSeconds: { must: '0 or more seconds', min: 0, max: S },
  warmupBatches: { must: 'a whole number of batches, 0 or more', min: 0, integer: true, max: 1_000_000 },
  count: { must: 'a positive whole number', min: 1, integer: true, max: 1e9 },
  timeoutSeconds: { must: 'a positive number of seconds', min: 0, above: true, max: S },
  batchGapMs: { must: '0 or more milliseconds', min: 0, max: MS },
  counterIntervalMs: { must: 'a positive number of milliseconds', min: 0, above: true, max: MS },
  killAfterSeconds: { must: '0 or more seconds', min: 0, max: S },
} satisfies Record<string, NumberRule>;

/** `--tag k=v …` as a record. */
export function parseTags(tags: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags ?? []) {
    const m = /^([A-Za-z0-9_.-]+)=(.*)$/s.exec(String(t));
    if (!m) throw new UsageError(`--tag must look like key=value (letters, digits, . _ - in the key), got "${t}"`);
    out[m[1]] = m[2];
  }
  return out;
}

/** `--probe a,b --probe c` as probe names (undefined: auto-detect). */
export function probesFlag(v: readonly unknown[] | undefined): ProbeName[] | undefined {
  if (!v || v.length === 0) return undefined;
  const names = v
    .flatMap((s) => String(s).split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  for (const n of names) if (!isProbeName(n)) throw new UsageError(`unknown probe "${n}" (known: ${PROBE_NAMES.join(', ')})`);
  return [...new Set(names)] as ProbeName[];
}

/** Where a session records: a file, the default timestamped file, or nowhere; unset = the mode's default. */
export type RecordChoice = { file: string } | 'default' | 'none' | undefined;

export function recordFlag(v: unknown): RecordChoice {
  if (v === undefined) return undefined;
  if (v === false) return 'none';
  if (v === true || v === '') return 'default';
  return { file: resolve(String(Array.isArray(v) ? v[v.length - 1] : v)) };
}

/** What every measuring command (run, watch, monitor, demo, the dashboard) takes, in units. */
export interface SessionFlags {
  probes: ProbeName[] | undefined;
  intervalMs: number;
  /** Unset: the mode's default. */
  idleSeconds: number | undefined;
  warmupBatches: number;
  batchGapMs: number | null;
  count: number | null;
  timeoutMs: number | null;
  record: RecordChoice;
  tags: Record<string, string>;
  plain: boolean;
  json: boolean;
  showOutput: boolean;
  counterIntervalMs: number | null;
  color: boolean | undefined;
  ascii: boolean | undefined;
  /** Grace between SIGTERM and SIGKILL for the generator's process group. */
  killAfterMs: number;
  /** `--gpu`: a list (indices, bus ids, UUIDs) or `auto`; undefined: visibility variables, then auto. */
  gpu: string | undefined;
  /** `--sim-gpus`: simulated GPUs (with --probe simulated). */
  simGpus: number | undefined;
  /** `--no-sim-process-list`: the simulated GPUs list no processes. */
  simNoProcessList: boolean;
  /** Decode each image for its entropy (blank images); `--no-blank-check` turns it off. */
  blankCheck: boolean;
  /** `--entropy-all`: decode every image, not only those small enough to be blank. */
  entropyAll: boolean;
  /** External power meters (`--meter`, `--meter-cmd`). */
  meters: MeterSpec[];
}

export const DEFAULT_INTERVAL_MS = 100;
export const DEFAULT_WARMUP_BATCHES = 1;
export const DEFAULT_KILL_AFTER_SECONDS = 10;

/** The raw yargs (or parseArgs) values the session flags come from. */
export type RawFlags = Record<string, unknown>;

export function sessionFlags(a: RawFlags): SessionFlags {
  const intervalMs = numberFlag('interval', a.interval, RULES.intervalMs) ?? DEFAULT_INTERVAL_MS;
  const idleSeconds = numberFlag('idle', a.idle, RULES.idleSeconds);
  const warmupBatches = numberFlag('warmup', a.warmup, RULES.warmupBatches) ?? DEFAULT_WARMUP_BATCHES;
  const count = numberFlag('count', a.count, RULES.count) ?? null;
  const timeoutSeconds = numberFlag('timeout', a.timeout, RULES.timeoutSeconds);
  const batchGapMs = numberFlag('batch-gap', a['batch-gap'], RULES.batchGapMs) ?? null;
  const counterIntervalMs = numberFlag('counter-interval', a['counter-interval'], RULES.counterIntervalMs) ?? null;
  const killAfterSeconds = numberFlag('kill-after', a['kill-after'], RULES.killAfterSeconds) ?? DEFAULT_KILL_AFTER_SECONDS;
  return {
    probes: probesFlag(a.probe as unknown[] | undefined),
    intervalMs,
    idleSeconds,
    warmupBatches,
    batchGapMs,
    count,
    timeoutMs: timeoutSeconds === undefined ? null : timeoutSeconds * 1000,
    record: recordFlag(a.record),
    tags: parseTags(a.tag as string[] | undefined),
    plain: Boolean(a.plain),
    json: Boolean(a.json),
    showOutput: Boolean(a['show-output']),
    counterIntervalMs,
    gpu: a.gpu === undefined || a.gpu === null ? undefined : String(a.gpu),
    simGpus: numberFlag('sim-gpus', a['sim-gpus'], { must: 'a whole number from 1 to 64', min: 1, integer: true, max: 64 }),
    simNoProcessList: a['sim-process-list'] === false,
    color: a.color === undefined ? undefined : Boolean(a.color),
    ascii: a.ascii === undefined ? undefined : Boolean(a.ascii),
    killAfterMs: killAfterSeconds * 1000,
    blankCheck: a['blank-check'] !== false,
    entropyAll: Boolean(a['entropy-all']),
    meters: meterFlags(a),
  };
}

/** `--meter URL…`, `--meter-cmd CMD [--meter-scope TEXT]`: external meters, each checked here (FlagError names it). */
function meterFlags(a: RawFlags): MeterSpec[] {
  const out: MeterSpec[] = [];
  try {
    const list = a.meter === undefined ? [] : (Array.isArray(a.meter) ? a.meter : [a.meter]).map(String);
    if (list.length > 8) throw new MeterSpecError('--meter: at most 8 meters');
    for (const m of list) out.push(parseMeter(m));
    if (a['meter-cmd'] !== undefined) out.push(meterCommand(String(a['meter-cmd']), a['meter-scope'] === undefined ? undefined : String(a['meter-scope'])));
    else if (a['meter-scope'] !== undefined) throw new MeterSpecError('--meter-scope goes with --meter-cmd');
  } catch (err) {
    if (err instanceof MeterSpecError) throw new UsageError(err.message);
    throw err;
  }
  if (new Set(out.map((m) => m.id)).size !== out.length) throw new UsageError('--meter: the same meter twice');
  return out;
}
