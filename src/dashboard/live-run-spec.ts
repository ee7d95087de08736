/**
 * What a dashboard run is measured with: the dashboard's options and one run's spec as a session's
 * config, and a launcher preset as a run spec (pure).
 */
import type { Preset } from '../backends/presets.js';
import { presetArgv } from '../backends/presets.js';
import { expectedImages } from '../backends/backend-config.js';
import type { MeasureConfig } from '../measure/measure-config.js';
import type { LiveOptions, RunSpec } from './live-options.js';

export function measureConfigOf(opts: LiveOptions, mode: MeasureConfig['mode'], spec: Partial<RunSpec> & { record: string | null }): MeasureConfig {
  return {
    mode,
    probes: opts.probes,
    intervalMs: opts.intervalMs,
    idleSeconds: spec.idleSeconds ?? 0,
    warmupBatches: spec.warmupBatches ?? opts.warmupBatches,
    batchGapMs: opts.batchGapMs,
    count: spec.count ?? null,
    timeoutMs: spec.timeoutMs ?? null,
    outDir: spec.outDir ?? null,
    argv: spec.argv ?? null,
    backend: spec.backend,
    cwd: spec.cwd ?? opts.cwd,
    tags: { ...opts.tags, ...(spec.tags ?? {}) },
    record: spec.record,
    simulateIfNoGpu: opts.simulateIfNoGpu,
    simGpus: opts.simGpus,
    simNoProcessList: opts.simNoProcessList,
    meters: opts.meters,
    killAfterMs: opts.killAfterMs,
    counterIntervalMs: opts.counterIntervalMs ?? null,
    blankCheck: opts.blankCheck,
    entropyAll: opts.entropyAll,
    removeOutDir: spec.removeOutDir,
    expectedImages: spec.expectedImages,
    gpu: mode === 'monitor' ? undefined : (spec.gpu ?? opts.gpu),
  };
}

/** A preset started from the launcher, recorded into `record`. */
export function presetRunSpec(p: Preset, count: number | null, record: string): RunSpec {
  const spec: RunSpec = {
    mode: 'run',
    label: `preset ${p.name}`,
    argv: p.backend ? null : presetArgv(p, count),
    cwd: p.cwd,
    outDir: p.out,
    count,
    idleSeconds: p.idleSeconds ?? 5,
    timeoutMs: p.timeoutSeconds ? p.timeoutSeconds * 1000 : null,
    ...(p.gpu ? { gpu: p.gpu } : {}),
    record,
    tags: { preset: p.name, ...p.tags },
  };
  if (p.backend) {
    spec.backend = p.backend;
    const expected = expectedImages(p.backend);
    if (expected !== null) spec.expectedImages = expected;
  }
  if (p.ownOutDir) spec.removeOutDir = true;
  if (p.warmup !== null) spec.warmupBatches = p.warmup;
  return spec;
}
