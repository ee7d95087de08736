/**
 * Runs a plan: an idle reference first, then each session not yet recorded — cool-down, then a
 * measured session (idle baseline, warm-up, images) into its own file — and a combined report.
 * Resumable: a finished session file is kept and skipped; an interrupted or failed one is moved
 * aside (never deleted) and run again. Ctrl-C finishes the current session's recording and stops.
 */
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { ProbeName, Reading } from '../../probes/types.js';
import { isGpu } from '../../probes/types.js';
import { journalPath } from '../session/recorder.js';
import { MeasureSession } from '../measure/measure-session.js';
import type { CoolDown, Plan, PlanSession } from './plan-file.js';
import { orderFile, reportBase } from './plan-file.js';
import { presetArgv } from '../backends/presets.js';
import { readSession, type LoadedSession } from '../session/reader.js';
import { timelineNow } from '../../probes/timeline.js';
import { fmtClock } from '../text/format.js';

export interface PlanOptions {
  probes?: ProbeName[];
  intervalMs: number;
  log: (line: string) => void;
  /** Aborted on Ctrl-C. */
  signal: AbortSignal;
}

export interface PlanResult {
  exitCode: number;
  recorded: string[];
  skipped: string[];
  failed: string[];
  reportFiles: string[];
}

interface IdleReference {
  watts: Map<string, number>;
  temperatureC: Map<string, number>;
  /** The hottest GPU's last temperature before the first session (what `toC: "start"` cools to). */
  lastTemperatureC: number | null;
}

/** Why an existing session file does not count as done, or null when it does. */
export function notDone(s: LoadedSession): string | null {
  const d = s.doc;
  if (!s.finished) return 'unfinished recording';
  if (d.run.endReason === 'interrupted') return 'it was interrupted';
  // Reaching the image count stops the generator on purpose; otherwise it must have ended well.
  if (d.run.endReason !== 'count' && d.run.exit && d.run.exit.reason !== 'exited') return `the generator ${d.run.exit.reason}`;
  if (d.run.endReason === 'error' || d.run.endReason === 'timeout') return `it ended by ${d.run.endReason}`;
  if (d.rows.length === 0) return 'it has no images';
  return null;
}

/** Moves a file aside as NAME.interrupted-N.EXT (never overwriting). */
function moveAside(file: string): string {
  const m = /^(.*?)(\.jsonl?)$/.exec(file)!;
  for (let n = 1; ; n++) {
    const to = `${m[1]}.interrupted-${n}${m[2]}`;
    if (!existsSync(to)) {
      renameSync(file, to);
      return to;
    }
  }
}

/** Watches the GPUs (no recording) until `until` says stop, or the time is up. */
async function watchGpus(o: PlanOptions, seconds: number, onReading: (r: Reading, gpuIds: string[]) => boolean | void): Promise<void> {
  const s = new MeasureSession({
    mode: 'monitor',
    probes: o.probes,
    intervalMs: o.intervalMs,
    idleSeconds: 0,
    warmupBatches: 0,
    batchGapMs: null,
    count: null,
    timeoutMs: null,
    outDir: null,
    argv: null,
    cwd: process.cwd(),
    tags: {},
    record: null,
    counterIntervalMs: null,
  });
  await s.detect();
  const gpuIds = s.devices.filter(isGpu).map((d) => d.id);
  s.on('reading', (r: Reading) => {
    if (onReading(r, gpuIds) === true) s.stop('done');
  });
  const timer = setTimeout(() => s.stop('time'), seconds * 1000);
  const abort = () => s.stop('interrupted');
  o.signal.addEventListener('abort', abort, { once: true });
  await s.run();
  clearTimeout(timer);
  o.signal.removeEventListener('abort', abort);
}

async function idleReference(o: PlanOptions, seconds: number): Promise<IdleReference> {
  const sums = new Map<string, { w: number; nw: number; t: number; nt: number }>();
  const last = new Map<string, number>();
  await watchGpus(o, seconds, (r, gpus) => {
    if (!gpus.includes(r.deviceId)) return;
    if (r.temperatureC !== undefined) last.set(r.deviceId, r.temperatureC);
    const a = sums.get(r.deviceId) ?? { w: 0, nw: 0, t: 0, nt: 0 };
    if (r.powerWatts !== undefined) ((a.w += r.powerWatts), a.nw++);
    if (r.temperatureC !== undefined) ((a.t += r.temperatureC), a.nt++);
    sums.set(r.deviceId, a);
  });
  const ref: IdleReference = { watts: new Map(), temperatureC: new Map(), lastTemperatureC: last.size ? Math.max(...last.values()) : null };
  for (const [id, a] of sums) {
    if (a.nw) ref.watts.set(id, a.w / a.nw);
    if (a.nt) ref.temperatureC.set(id, a.t / a.nt);
  }
  return ref;
}

/** Waits until every GPU is at or below `toC` (held), or the cap; a GPU that reports no temperature is not waited for. */
async function coolDownTo(o: PlanOptions, c: CoolDown, toC: number): Promise<string> {
  const t0 = timelineNow();
  const latest = new Map<string, number>();
  let okSince: number | null = null;
  let cooled = false;
  await watchGpus(o, c.maxSeconds, (r, gpus) => {
    if (!gpus.includes(r.deviceId) || r.temperatureC === undefined) return;
    latest.set(r.deviceId, r.temperatureC);
    const ok = latest.size > 0 && [...latest.values()].every((t) => t <= toC);
    okSince = ok ? (okSince ?? timelineNow()) : null;
    if (okSince !== null && timelineNow() - okSince >= c.holdSeconds * 1000) return (cooled = true);
  });
  const waited = ((timelineNow() - t0) / 1000).toFixed(1);
  if (latest.size === 0) return `no GPU reports a temperature: waited the ${c.maxSeconds} s cap`;
  return cooled
    ? `at or below ${toC.toFixed(0)} °C after ${waited} s`
    : o.signal.aborted
      ? 'interrupted'
      : `still above ${toC.toFixed(0)} °C (${Math.max(...latest.values()).toFixed(0)} °C) after the ${c.maxSeconds} s cap; going on`;
}

/** Waits until power and temperature are back near idle (held), a fixed time, or the cap. */
async function coolDown(o: PlanOptions, c: CoolDown, ref: IdleReference, startC: number | null): Promise<string> {
  if (c.toC !== undefined && c.seconds === null) {
    const target = c.toC === 'start' ? startC : c.toC;
    if (target !== null) return coolDownTo(o, c, target);
  }
  if (c.seconds !== null) {
    await new Promise<void>((r) => {
      const t = setTimeout(r, c.seconds! * 1000);
      o.signal.addEventListener('abort', () => (clearTimeout(t), r()), { once: true });
    });
    return `fixed ${c.seconds} s`;
  }
  const t0 = timelineNow();
  const latest = new Map<string, { w?: number; t?: number }>();
  let okSince: number | null = null;
  let cooled = false;
  await watchGpus(o, c.maxSeconds, (r, gpus) => {
    if (!gpus.includes(r.deviceId)) return;
    const l = latest.get(r.deviceId) ?? {};
    if (r.powerWatts !== undefined) l.w = r.powerWatts;
    if (r.temperatureC !== undefined) l.t = r.temperatureC;
    latest.set(r.deviceId, l);
    // Every GPU within both margins (a metric the GPU does not report is not waited for).
    const ok = gpus.every((id) => {
      const v = latest.get(id);
      if (!v) return false;
      const wRef = ref.watts.get(id);
      const tRef = ref.temperatureC.get(id);
      return (
        (wRef === undefined || (v.w !== undefined && v.w <= wRef + c.powerMarginWatts)) &&
        (tRef === undefined || (v.t !== undefined && v.t <= tRef + c.temperatureMarginC))
      );
    });
    okSince = ok ? (okSince ?? timelineNow()) : null;
    if (okSince !== null && timelineNow() - okSince >= c.holdSeconds * 1000) return (cooled = true);
  });
  const waited = ((timelineNow() - t0) / 1000).toFixed(1);
  return cooled
    ? `back within ${c.powerMarginWatts} W and ${c.temperatureMarginC} °C of idle after ${waited} s`
    : o.signal.aborted
      ? 'interrupted'
      : `not back near idle after the ${c.maxSeconds} s cap; going on`;
}

async function runSession(p: PlanSession, o: PlanOptions): Promise<LoadedSession | null> {
  const s = new MeasureSession({
    mode: 'run',
    probes: o.probes,
    intervalMs: o.intervalMs,
    idleSeconds: p.idleSeconds,
    warmupBatches: p.warmup,
    batchGapMs: null,
    count: p.count,
    timeoutMs: p.timeoutSeconds ? p.timeoutSeconds * 1000 : null,
    outDir: p.preset.out,
    argv: p.preset.backend ? null : presetArgv(p.preset, p.count),
    backend: p.preset.backend ?? undefined,
    cwd: p.preset.cwd,
    tags: { ...p.tags },
    record: p.file,
    counterIntervalMs: null,
    gpu: p.gpu ?? undefined,
  });
  s.on('note', (n: { source: string; message: string }) => o.log(`  ${n.source}: ${n.message}`));
  const abort = () => s.stop('interrupted');
  o.signal.addEventListener('abort', abort, { once: true });
  try {
    const r = await s.run();
    if (r.error) o.log(`  ${r.error}`);
    return r.recordFile ? await readSession(r.recordFile, { samples: 'digest' }) : null;
  } finally {
    o.signal.removeEventListener('abort', abort);
  }
}

export async function runPlan(plan: Plan, o: PlanOptions): Promise<PlanResult> {
  mkdirSync(plan.recordDir, { recursive: true });
  // The order and its seed, kept: a resumed shuffled plan runs the same order.
  writeFileSync(
    orderFile(plan.recordDir, plan.name),
    JSON.stringify({ order: plan.order, seed: plan.seed, sessions: plan.sessions.map((s) => s.id) }, null, 2) + '\n',
  );
  const res: PlanResult = { exitCode: 0, recorded: [], skipped: [], failed: [], reportFiles: [] };
  const todo: PlanSession[] = [];
  for (const p of plan.sessions) {
    if (existsSync(p.file)) {
      let why: string | null;
      try {
        why = notDone(await readSession(p.file, { samples: 'digest' }));
      } catch (err) {
        why = `unreadable (${(err as Error).message})`;
      }
      if (why === null) {
        o.log(`${p.id}: already recorded in ${basename(p.file)}, skipped`);
        res.skipped.push(p.file);
        continue;
      }
      o.log(`${p.id}: ${basename(p.file)} does not count (${why}): kept as ${basename(moveAside(p.file))}, running it again`);
    }
    const j = journalPath(p.file);
    if (existsSync(j)) o.log(`${p.id}: a killed run left ${basename(j)}: kept as ${basename(moveAside(j))}, running it again`);
    todo.push(p);
  }
  if (todo.length) {
    const refSeconds = Math.max(1, todo[0].idleSeconds);
    o.log(`idle reference: ${refSeconds} s of power and temperature before the first session`);
    const ref = await idleReference(o, refSeconds);
    o.log(
      `  ${[...ref.watts].map(([id, w]) => `${id} ${w.toFixed(1)} W${ref.temperatureC.has(id) ? ` ${ref.temperatureC.get(id)!.toFixed(1)} °C` : ''}`).join('; ') || 'no power readings'}`,
    );
    // The temperature the plan's first session started at (coolDown.toC "start"): its recording's, or now's.
    let startC: number | null = ref.lastTemperatureC;
    if (todo[0] !== plan.sessions[0] && existsSync(plan.sessions[0].file)) {
      const firstDone = await readSession(plan.sessions[0].file, { samples: 'digest' }).catch(() => null);
      startC = firstDone?.doc.summary.heat?.startC ?? startC;
    }
    if (plan.order !== 'sequential')
      o.log(`order: ${plan.order}${plan.seed !== null ? ` (seed ${plan.seed})` : ''}: ${plan.sessions.map((s) => s.id).join(', ')}`);
    let first = true;
    const planStartMs = timelineNow();
    for (const [k, p] of todo.entries()) {
      if (o.signal.aborted) break;
      if (!first) {
        const cooled = await coolDown(o, p.coolDown, ref, startC);
        o.log(`${p.id}: cool-down: ${cooled}`);
        p.tags['cool-down'] = cooled;
        if (p.coolDown.toC !== undefined)
          p.tags['cool-down-to-c'] = String(p.coolDown.toC === 'start' ? (startC?.toFixed(0) ?? 'start (unknown)') : p.coolDown.toC);
      }
      first = false;
      if (o.signal.aborted) break;
      o.log(`${p.id} (${k + 1}/${todo.length} to do): ${p.preset.name}, ${p.count ?? 'all'} images, warm-up ${p.warmup} batch${p.warmup === 1 ? '' : 'es'}`);
      const loaded = await runSession(p, o);
      if (!loaded) {
        res.failed.push(p.file);
        continue;
      }
      const why = notDone(loaded);
      const m = loaded.doc.summary;
      o.log(
        `  ${m.images} images (${m.warmupImages} warm-up): ${m.secondsPerImage.mean?.toFixed(3) ?? 'n/a'} s/image, ${m.joulesPerImage.mean?.toFixed(1) ?? 'n/a'} J/image → ${basename(p.file)}${why ? ` (does not count: ${why})` : ''}`,
      );
      (why ? res.failed : res.recorded).push(p.file);
      // The plan's progress: sessions done, and what the rest will take at the pace so far (cool-downs included).
      const spentS = (timelineNow() - planStartMs) / 1000;
      const left = todo.length - (k + 1);
      if (left > 0) o.log(`  plan: ${k + 1}/${todo.length} sessions done in ${fmtClock(spentS)}, ETA ${fmtClock(Math.ceil((spentS / (k + 1)) * left))}`);
    }
  }
  // The combined report: every session of the plan that counts.
  const done: LoadedSession[] = [];
  for (const p of plan.sessions)
    if (existsSync(p.file)) {
      const l = await readSession(p.file, { samples: 'digest' }).catch(() => null);
      if (l && notDone(l) === null) done.push(l);
    }
  if (done.length) {
    const { renderReport } = await import('../report/render.js');
    for (const fmt of ['html', 'md', 'csv'] as const) {
      const f = `${reportBase(plan)}.${fmt}`;
      writeFileSync(f, await renderReport(done, fmt, {}));
      res.reportFiles.push(f);
    }
  }
  if (o.signal.aborted) res.exitCode = 130;
  else if (res.failed.length) res.exitCode = 1;
  return res;
}
