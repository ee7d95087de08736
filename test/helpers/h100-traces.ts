/** Loads the real H100 traces in fixtures/traces/h100 (see its README for provenance). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ImageEvent } from '../../src/images/batches.js';
import type { SeriesSample } from '../../src/energy/image-rows.js';

export const TRACE_DIR = join(import.meta.dirname, '../../fixtures/traces/h100');
export const SCENARIOS = ['sdxl-like', 'turbo-like', 'turbo-batch2', 'real-sdxl'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface TraceRow {
  epochMs: number;
  powerAvgW: number;
  powerInstantW: number;
  energyJ: number;
  memUsedBytes: number;
}

export interface GeneratorLine {
  kind: string;
  epoch_ms: number;
  energy_mj: number;
  index?: number;
  path?: string;
}

export function loadTrace(name: Scenario): TraceRow[] {
  const lines = readFileSync(join(TRACE_DIR, `${name}_trace.csv`), 'utf8')
    .trim()
    .split('\n')
    .slice(1);
  return lines.map((l) => {
    const [t, avg, inst, e, mem] = l.split(',').map(Number);
    return { epochMs: t, powerAvgW: avg / 1000, powerInstantW: inst / 1000, energyJ: e / 1000, memUsedBytes: mem };
  });
}

export function loadGenerator(name: Scenario): GeneratorLine[] {
  return readFileSync(join(TRACE_DIR, `${name}_generator.jsonl`), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

export function imageEvents(gen: GeneratorLine[]): ImageEvent[] {
  return gen.filter((g) => g.kind === 'image_saved').map((g) => ({ path: g.path!, mtimeMs: g.epoch_ms }));
}

/** Samples as a probe of the given kind would have delivered them. */
/**
 * The trace as a probe would have delivered it. `completion`: genwatt's NVML probe during a run —
 * instant power every sample, the counter once a second, plus `reads` (the counter read when an
 * image completed) merged in as counter-only samples.
 */
export function samplesAs(
  trace: TraceRow[],
  kind: 'counter' | 'instant' | 'average' | 'scaled' | 'completion',
  reads: readonly { tMs: number; energyJ: number }[] = [],
  /** The counter's read period for `scaled` and `completion`. */
  periodMs = 1000,
): SeriesSample[] {
  let lastCounterMs = -Infinity;
  if (kind === 'completion') {
    // As the NVML probe schedules them: a scheduled read a second after the last read of either kind.
    const sorted = [...reads].sort((a, b) => a.tMs - b.tMs);
    let next = 0;
    const out: SeriesSample[] = trace.map((r) => {
      while (next < sorted.length && sorted[next].tMs <= r.epochMs) lastCounterMs = Math.max(lastCounterMs, sorted[next++].tMs);
      const s: SeriesSample = { tMs: r.epochMs, powerWatts: r.powerInstantW, powerKind: 'instant', vramUsedBytes: r.memUsedBytes };
      if (r.epochMs - lastCounterMs >= periodMs) {
        s.energyJoules = r.energyJ;
        lastCounterMs = r.epochMs;
      }
      return s;
    });
    for (const c of reads) out.push({ tMs: c.tMs, energyJoules: c.energyJ });
    return out.sort((a, b) => a.tMs - b.tMs);
  }
  return trace.map((r) => {
    if (kind === 'counter') return { tMs: r.epochMs, energyJoules: r.energyJ, vramUsedBytes: r.memUsedBytes };
    if (kind === 'scaled') {
      // genwatt's NVML probe: instant power every sample, the counter once a period (a second in a run).
      const s: SeriesSample = { tMs: r.epochMs, powerWatts: r.powerInstantW, powerKind: 'instant', vramUsedBytes: r.memUsedBytes };
      if (r.epochMs - lastCounterMs >= periodMs) {
        s.energyJoules = r.energyJ;
        lastCounterMs = r.epochMs;
      }
      return s;
    }
    return { tMs: r.epochMs, powerWatts: kind === 'instant' ? r.powerInstantW : r.powerAvgW, powerKind: kind, vramUsedBytes: r.memUsedBytes };
  });
}
