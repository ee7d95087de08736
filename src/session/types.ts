/** The recorded session: what a `.json` holds and what a `.jsonl` rebuilds to. Schema: schema/session.schema.json. */
import type { DeviceInfo, Gap, Reading } from '../../probes/types.js';
import type { ImageEvent } from '../images/batches.js';
import type { IdleBaseline, ImageRow } from '../energy/image-rows.js';
import type { Summary } from '../energy/summary.js';

/**
 * Why a measured session ended: `count` reached, `child-exit` (the generator ended), `interrupted`
 * (Ctrl-C, SIGHUP, the dashboard's stop), `timeout`, `error`, `switch` (the dashboard started
 * another preset), and a plan's `done` (readings settled) and `time` (its time was up).
 */
export type StopReason = 'count' | 'child-exit' | 'interrupted' | 'timeout' | 'error' | 'switch' | 'done' | 'time';
/** Why a `serve` recording ended (stored as these words since serve's first format). */
export type SegmentEndReason =
  'run ended (no image for the run gap)' | 'hourly rotation' | 'serve stopped' | 'stopped' | `file reached its length limit (${number} min)`;
export type EndReason = StopReason | SegmentEndReason;

const STOP_REASONS: ReadonlySet<string> = new Set<StopReason>(['count', 'child-exit', 'interrupted', 'timeout', 'error', 'switch', 'done', 'time']);
const SEGMENT_END_REASONS: ReadonlySet<string> = new Set<SegmentEndReason>([
  'run ended (no image for the run gap)',
  'hourly rotation',
  'serve stopped',
  'stopped',
]);

/** A stored end reason as this version knows it; anything else (hand-edited, a later version's) is null. */
export function endReasonOf(x: unknown): EndReason | null {
  if (typeof x !== 'string') return null;
  if (STOP_REASONS.has(x) || SEGMENT_END_REASONS.has(x)) return x as EndReason;
  return /^file reached its length limit \(\d+ min\)$/.test(x) ? (x as EndReason) : null;
}

export const SCHEMA_NAME = 'genwatt-session';
export const SCHEMA_VERSION = 1;

export type SessionMode = 'run' | 'watch' | 'monitor' | 'demo';

export interface HostFacts {
  hostname: string;
  platform: string;
  release: string;
  arch: string;
  cpuModel: string;
  cpuCount: number;
  ramTotalBytes: number;
  node: string;
}

export interface ProbeReport {
  name: string;
  status: 'ok' | 'unavailable' | 'error';
  reason?: string;
  method?: string;
}

export interface SessionOptions {
  intervalMs: number;
  idleSeconds: number;
  warmupBatches: number;
  gapLimitMs: number;
  /** Null = automatic. */
  batchGapMs: number | null;
  count: number | null;
}

export interface ChildExit {
  /** Exit code, when the child exited by itself. */
  code: number | null;
  signal: string | null;
  /** How it ended: `exited` (code 0), `failed`, `not-found`, `stopped` (by genwatt), `timeout`. */
  reason: 'exited' | 'failed' | 'not-found' | 'not-executable' | 'stopped' | 'timeout';
  message?: string;
}

export interface RunInfo {
  mode: SessionMode;
  argv: string[] | null;
  cwd: string;
  outDir: string | null;
  tags: Record<string, string>;
  /** Run start (after the idle baseline), epoch ms: the first image window opens here. */
  startMs: number | null;
  endMs: number | null;
  exit: ChildExit | null;
  /** Why genwatt stopped (null: not recorded, or a reason this version does not know). */
  endReason: EndReason | null;
  /** The GPUs charged to the run (device ids); absent: every GPU. */
  gpus?: string[];
  /** Why those (`--gpu 1`, `CUDA_VISIBLE_DEVICES=1`, the generator's processes, …). */
  gpuReason?: string;
  /** The charged GPUs are decided from the generator's processes once it appears (a `gpus` record follows). */
  gpusPending?: boolean;
}

export interface LogLine {
  tMs: number;
  stream: 'stdout' | 'stderr';
  line: string;
}

export interface Note {
  tMs: number;
  source: string;
  message: string;
}

export interface SessionDoc {
  schema: typeof SCHEMA_NAME;
  schemaVersion: number;
  genwatt: string;
  startedAt: string;
  endedAt: string | null;
  complete: boolean;
  host: HostFacts;
  devices: DeviceInfo[];
  probes: ProbeReport[];
  options: SessionOptions;
  run: RunInfo;
  idle: IdleBaseline | null;
  samples: Reading[];
  gaps: Gap[];
  images: ImageEvent[];
  rows: ImageRow[];
  summary: Summary;
  logs: LogLine[];
  notes: Note[];
}

/** The header line of a `.jsonl`. */
export interface HeaderRecord {
  type: 'header';
  schema: typeof SCHEMA_NAME;
  schemaVersion: number;
  genwatt: string;
  startedAt: string;
  host: HostFacts;
  devices: DeviceInfo[];
  probes: ProbeReport[];
  options: SessionOptions;
  run: RunInfo;
}

export type SessionRecord =
  | HeaderRecord
  | ({ type: 'sample' } & Reading)
  | ({ type: 'gap' } & Gap)
  | ({ type: 'note' } & Note)
  | ({ type: 'log' } & LogLine)
  | ({ type: 'idle' } & IdleBaseline)
  | { type: 'run-start'; startMs: number }
  | ({ type: 'image' } & ImageEvent)
  | { type: 'batch'; batch: number; paths: string[] }
  | { type: 'tags'; tags: Record<string, string> }
  | { type: 'gpus'; tMs: number; ids: string[]; reason: string }
  | { type: 'end'; endMs: number; endedAt: string; exit: ChildExit | null; endReason: EndReason | null };
