#!/usr/bin/env node
/**
 * genwatt's command line. Commands that draw nothing import nothing that draws; heavy modules load
 * only in the command that needs them.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isProbeName, PROBE_NAMES } from '../probes/registry.js';
import type { ProbeName } from '../probes/types.js';
import { genwattVersion, packageRoot } from './package-info.js';

/** Bad usage: one line, exit code 2. */
export class UsageError extends Error {
  readonly usage = true;
}

function usageExit(msg: string): never {
  process.stderr.write(`genwatt: ${msg}\n(see genwatt --help)\n`);
  process.exit(2);
}

// Fast path: the version needs no argument parser.
const rawArgs = process.argv.slice(2);
if (rawArgs.length === 1 && (rawArgs[0] === '--version' || rawArgs[0] === '-v')) {
  process.stdout.write(`${genwattVersion()}\n`);
  process.exit(0);
}

// A dropped SSH session turns stdout/stderr writes into EIO/EPIPE: keep measuring, keep the recording.
for (const s of [process.stdout, process.stderr]) s.on('error', () => undefined);

const DEFAULTS = { interval: 100, warmup: 1, images: 10 } as const;

// Ink takes most of the dashboard's start-up (~0.3 s here): when the dashboard is likely, start
// loading it now, so it overlaps argument parsing and device detection.
const DASHBOARD_COMMANDS = new Set([undefined, 'demo', 'run', 'watch', 'monitor', 'replay']);
if (DASHBOARD_COMMANDS.has(rawArgs[0]?.startsWith('-') ? undefined : rawArgs[0]) && !rawArgs.includes('--plain') && !rawArgs.includes('--json') && !rawArgs.includes('--help')) {
  void import('./dashboard/terminal.js').then(async (t) => {
    if (t.plainReason({ stdinTTY: Boolean(process.stdin.isTTY), stdoutTTY: Boolean(process.stdout.isTTY), env: process.env }) === null) {
      const { loadInk } = await import('./dashboard/load-ink.js');
      void loadInk().catch(() => undefined);
    }
  });
}

interface SessionArgs {
  probe?: string[];
  interval: number;
  idle?: number;
  warmup: number;
  'batch-gap'?: number;
  count?: number;
  timeout?: number;
  record?: string | boolean;
  tag?: string[];
  plain?: boolean;
  json?: boolean;
  out?: string;
  'show-output'?: boolean;
  'counter-interval'?: number;
  color?: boolean;
  ascii?: boolean;
}

export function parseTags(tags: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags ?? []) {
    const m = /^([A-Za-z0-9_.-]+)=(.*)$/.exec(t);
    if (!m) throw new UsageError(`--tag must look like key=value (letters, digits, . _ - in the key), got "${t}"`);
    out[m[1]] = m[2];
  }
  return out;
}

function probesArg(v: string[] | undefined): ProbeName[] | undefined {
  if (!v || v.length === 0) return undefined;
  const names = v.flatMap((s) => String(s).split(',')).map((s) => s.trim()).filter(Boolean);
  for (const n of names) if (!isProbeName(n)) throw new UsageError(`unknown probe "${n}" (known: ${PROBE_NAMES.join(', ')})`);
  return [...new Set(names)] as ProbeName[];
}

function checkNumbers(a: SessionArgs): void {
  if (!(a.interval > 0) || !Number.isFinite(a.interval)) throw new UsageError(`--interval must be a positive number of milliseconds, got ${a.interval}`);
  if (a.idle !== undefined && (!(a.idle >= 0) || !Number.isFinite(a.idle))) throw new UsageError(`--idle must be 0 or more seconds, got ${a.idle}`);
  if (!Number.isInteger(a.warmup) || a.warmup < 0) throw new UsageError(`--warmup must be a whole number of batches, 0 or more, got ${a.warmup}`);
  if (a.count !== undefined && (!Number.isInteger(a.count) || a.count <= 0)) throw new UsageError(`--count must be a positive whole number, got ${a.count}`);
  if (a.timeout !== undefined && !(a.timeout > 0)) throw new UsageError(`--timeout must be a positive number of seconds, got ${a.timeout}`);
  if (a['batch-gap'] !== undefined && !(a['batch-gap'] >= 0)) throw new UsageError(`--batch-gap must be 0 or more milliseconds, got ${a['batch-gap']}`);
  if (a['counter-interval'] !== undefined && !(a['counter-interval'] > 0)) throw new UsageError(`--counter-interval must be a positive number of milliseconds, got ${a['counter-interval']}`);
}

async function runSession(mode: 'run' | 'watch' | 'monitor' | 'demo', a: SessionArgs, extra: { argv: string[] | null; backend?: import('./backends/backend-types.js').BackendConfig; outDir: string | null; defaultIdle: number; simulateIfNoGpu?: boolean; defaultRecord: boolean; onNoGpu?: () => Promise<number> }): Promise<number> {
  checkNumbers(a);
  const tags = parseTags(a.tag);
  const probes = probesArg(a.probe);
  const { MeasureSession, NoGpuError } = await import('./measure-session.js');
  const { defaultRecordPath, RecordingExistsError } = await import('./recorder.js');
  let record: string | null = null;
  if (typeof a.record === 'string' && a.record !== '') record = resolve(a.record);
  else if (a.record === true || (a.record === undefined && extra.defaultRecord)) record = defaultRecordPath(resolve('genwatt-sessions'), mode);
  const tty = await dashboardWanted(a);
  if (tty) {
    return runDashboard(a, {
      initial:
        mode === 'monitor'
          ? null
          : { mode, label: extra.backend ? `${extra.backend.kind} ${extra.backend.url}` : extra.argv ? extra.argv.map((x) => x.split('/').pop()).join(' ') : `watching ${extra.outDir}`, argv: extra.argv, backend: extra.backend, outDir: extra.outDir, count: a.count ?? null, idleSeconds: a.idle ?? extra.defaultIdle, timeoutMs: a.timeout ? a.timeout * 1000 : null, record, tags },
      probes,
      tags,
      simulateIfNoGpu: Boolean(extra.simulateIfNoGpu),
      monitorRecord: mode === 'monitor' ? record : null,
      demoIfNoGpu: false,
    });
  }
  const session = new MeasureSession({
    mode,
    probes,
    intervalMs: a.interval,
    idleSeconds: a.idle ?? extra.defaultIdle,
    warmupBatches: a.warmup,
    batchGapMs: a['batch-gap'] ?? null,
    count: a.count ?? null,
    timeoutMs: a.timeout ? a.timeout * 1000 : null,
    outDir: extra.outDir,
    argv: extra.argv,
    backend: extra.backend,
    cwd: process.cwd(),
    tags,
    record,
    simulateIfNoGpu: extra.simulateIfNoGpu,
    counterIntervalMs: a['counter-interval'] ?? null,
  });
  try {
    await session.detect();
  } catch (err) {
    if (err instanceof NoGpuError) {
      if (extra.onNoGpu) return extra.onNoGpu();
      process.stderr.write(`genwatt: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const { attachPlain } = await import('./plain-output.js');
  const end = attachPlain(session, { json: Boolean(a.json), out: process.stdout, err: process.stderr, showChildOutput: Boolean(a['show-output']) });
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      process.stderr.write(`genwatt: ${sig} again: leaving now; the journal keeps what was recorded\n`);
      process.exit(130);
    }
    process.stderr.write(`genwatt: ${sig}: stopping and finishing the recording…\n`);
    session.stop('interrupted');
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, onSignal);
  try {
    const result = await session.run();
    end(result);
    return result.exitCode;
  } catch (err) {
    if (err instanceof RecordingExistsError) {
      process.stderr.write(`genwatt: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

async function runDemo(a: SessionArgs, n: number): Promise<number> {
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--images must be a positive whole number, got ${n}`);
  const out = mkdtempSync(join(tmpdir(), 'genwatt-demo-'));
  const argv = [process.execPath, join(packageRoot(), 'fixtures/demo-generator.mjs'), '--out', out, '--count', String(n), '--seconds', '0.8', '--batch-at', String(Math.min(4, Math.max(1, n - 2)))];
  const probes = a.probe && a.probe.length ? a.probe : ['simulated'];
  return runSession('demo', { ...a, probe: probes }, { argv, outDir: out, defaultIdle: 2, defaultRecord: true });
}

/** True when this command should open the dashboard (terminals, no CI, no --plain, TERM not dumb). */
async function dashboardWanted(a: { plain?: boolean; json?: boolean }): Promise<boolean> {
  if (a.json) return false;
  const { plainReason } = await import('./dashboard/terminal.js');
  return plainReason({ stdinTTY: Boolean(process.stdin.isTTY), stdoutTTY: Boolean(process.stdout.isTTY), env: process.env, plain: a.plain }) === null;
}

interface DashboardPlan {
  initial: import('./dashboard/live-source.js').RunSpec | null;
  probes: ProbeName[] | undefined;
  tags: Record<string, string>;
  simulateIfNoGpu: boolean;
  monitorRecord: string | null;
  /** No GPU found: run the bundled demo on the simulated GPU (the default command). */
  demoIfNoGpu: boolean;
}

/** Signals quit the dashboard the way `q` does: the run is stopped and its recording finished. */
function quitOnSignals(quit: () => void): void {
  let n = 0;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
    process.on(sig, () => {
      if (++n > 1) process.exit(130);
      quit();
    });
}

async function runDashboard(a: SessionArgs, plan: DashboardPlan): Promise<number> {
  const [{ LiveSource }, { DashboardController }, { mountDashboard }, { useAscii, useColor }, { NoGpuError }] = await Promise.all([
    import('./dashboard/live-source.js'),
    import('./dashboard/controller.js'),
    import('./dashboard/ink-host.js'),
    import('./dashboard/terminal.js'),
    import('./measure-session.js'),
  ]);
  const source = new LiveSource({ probes: plan.probes, intervalMs: a.interval, warmupBatches: a.warmup, batchGapMs: a['batch-gap'] ?? null, cwd: process.cwd(), recordDir: resolve('genwatt-sessions'), simulateIfNoGpu: plan.simulateIfNoGpu || plan.demoIfNoGpu, tags: plan.tags, counterIntervalMs: a['counter-interval'] ?? null });
  const demoOut = () => mkdtempSync(join(tmpdir(), 'genwatt-demo-'));
  const { demoPreset, loadPresets, presetArgv } = await import('./presets.js');
  const { defaultRecordPath } = await import('./recorder.js');
  try {
    await source.start(plan.initial, {
      monitorRecord: plan.monitorRecord,
      demoIfSimulated: plan.demoIfNoGpu
        ? () => {
            const p = demoPreset(demoOut());
            return { mode: 'demo', label: 'bundled demo generator', argv: presetArgv(p, p.count), cwd: p.cwd, outDir: p.out, count: p.count, idleSeconds: 2, timeoutMs: null, record: defaultRecordPath(resolve('genwatt-sessions'), 'demo'), tags: { ...plan.tags, ...p.tags } };
          }
        : undefined,
    });
  } catch (err) {
    if (err instanceof NoGpuError) {
      process.stderr.write(`genwatt: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const controller = new DashboardController(source, { ascii: useAscii(process.env, a.ascii), color: useColor(process.env, a.color) });
  const mounted = await mountDashboard(controller, { stdout: process.stdout, stdin: process.stdin, altScreen: true });
  quitOnSignals(() => void controller.quit());
  // The config is read after the first frame: its parser and validator are not on the start-up path.
  void loadPresets(process.cwd()).then((load) => controller.setPresets(load, [demoPreset(demoOut())]));
  await mounted.done;
  const results = source.results();
  const { summaryText } = await import('./report.js');
  for (const r of results) {
    if (r.doc.run.mode !== 'monitor' || r.rows.length) process.stdout.write(`${r.doc.run.mode} ${r.doc.run.argv ? r.doc.run.argv.join(' ') : ''}\n${summaryText(r.summary)}\n`);
    if (r.doc.run.exit?.message && r.doc.run.exit.reason !== 'exited' && r.doc.run.exit.reason !== 'stopped') process.stderr.write(`genwatt: ${r.doc.run.exit.message}\n`);
    if (r.error) process.stderr.write(`genwatt: ${r.error}\n`);
    if (r.recordFile) process.stdout.write(`session recorded to ${r.recordFile}\n\n`);
    else if (r.journalFile) process.stdout.write(`session journal kept at ${r.journalFile}\n\n`);
  }
  const lastRun = [...results].reverse().find((r) => r.doc.run.mode !== 'monitor');
  return lastRun ? lastRun.exitCode : 0;
}

async function probeCommand(names: ProbeName[] | undefined, json: boolean): Promise<void> {
  const { probeDevices } = await import('./probe-command.js');
  const res = await probeDevices(names);
  if (json) {
    process.stdout.write(JSON.stringify(res, null, 2) + '\n');
    return;
  }
  const { fmtBytes, fmtNum, fmtWatts, NA } = await import('./format.js');
  for (const p of res.probes) process.stdout.write(`probe ${p.name.padEnd(11)} ${p.status}${p.method ? `  ${p.method}` : ''}${p.reason ? `  (${p.reason})` : ''}\n`);
  for (const d of res.devices) {
    const r = d.reading;
    const util = r?.utilizationPercent != null ? `${fmtNum(r.utilizationPercent, 0)}%` : NA;
    const temp = r?.temperatureC != null ? `${fmtNum(r.temperatureC, 0)} °C` : `${NA} °C`;
    process.stdout.write(`${d.id}  ${d.name}  power ${r?.powerWatts != null ? `${fmtWatts(r.powerWatts)} ${r.powerKind}` : NA}  VRAM ${fmtBytes(r?.vramUsedBytes)}/${fmtBytes(d.vramTotalBytes)}  util ${util}  ${temp}  limit ${fmtWatts(d.powerLimitWatts)}\n`);
  }
  if (res.host) process.stdout.write(`host  ${res.host.name}  CPU ${fmtNum(res.host.reading?.cpuPercent, 1)}%  RAM ${fmtBytes(res.host.reading?.ramUsedBytes)}\n`);
  if (res.devices.length === 0) process.stdout.write('No GPU found. Try `genwatt demo` for the built-in demo on a simulated GPU.\n');
}

/**
 * `genwatt probe [--json] [--probe NAME]...` without loading yargs (~90 ms here): scripts call it
 * often. Anything else (help, odd flags) goes through the full parser.
 */
async function fastProbe(args: string[]): Promise<boolean> {
  if (args[0] !== 'probe') return false;
  const { parseArgs } = await import('node:util');
  let parsed;
  try {
    parsed = parseArgs({ args: args.slice(1), options: { json: { type: 'boolean' }, probe: { type: 'string', multiple: true } }, strict: true, allowPositionals: false });
  } catch {
    return false;
  }
  await probeCommand(probesArg(parsed.values.probe), Boolean(parsed.values.json));
  return true;
}

/**
 * `genwatt` and `genwatt demo` with the common flags, without loading yargs (its ~20-60 ms are a
 * tenth of the dashboard's time to first frame). Anything else goes through the full parser.
 */
async function fastDashboard(args: string[]): Promise<number | null> {
  const cmd = args[0] === 'demo' ? 'demo' : args.length === 0 || args[0].startsWith('-') ? '' : null;
  if (cmd === null) return null;
  const { parseArgs } = await import('node:util');
  let v;
  try {
    v = parseArgs({
      args: cmd ? args.slice(1) : args,
      options: { images: { type: 'string' }, record: { type: 'string' }, 'no-record': { type: 'boolean' }, ascii: { type: 'boolean' }, 'no-ascii': { type: 'boolean' }, 'no-color': { type: 'boolean' }, plain: { type: 'boolean' } },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch {
    return null;
  }
  const images = v.images === undefined ? DEFAULTS.images : Number(v.images);
  if (v.images !== undefined && !/^\d+$/.test(v.images)) return null; // let the full parser explain
  const a: SessionArgs = {
    interval: DEFAULTS.interval,
    warmup: DEFAULTS.warmup,
    plain: v.plain,
    record: v['no-record'] ? false : v.record,
    ascii: v['no-ascii'] ? false : v.ascii,
    color: v['no-color'] ? false : undefined,
  };
  if (cmd === 'demo') return runDemo(a, images);
  if (v.images !== undefined) return null;
  if (!(await dashboardWanted(a))) return null;
  return runDashboard(a, { initial: null, probes: undefined, tags: {}, simulateIfNoGpu: false, monitorRecord: typeof a.record === 'string' && a.record ? resolve(a.record) : null, demoIfNoGpu: true });
}

async function main(): Promise<number> {
  if (await fastProbe(rawArgs)) return 0;
  const fast = await fastDashboard(rawArgs);
  if (fast !== null) return fast;
  const { default: yargs } = await import('yargs');
  const { hideBin } = await import('yargs/helpers');
  let exitCode = 0;
  const sessionOptions = (y: import('yargs').Argv) =>
    y
      .option('probe', { type: 'string', array: true, describe: `force probes (repeatable): ${PROBE_NAMES.join(', ')}; default: auto-detect` })
      .option('interval', { type: 'number', default: DEFAULTS.interval, describe: 'sampling interval, ms' })
      .option('idle', { type: 'number', describe: 'seconds of idle baseline before the run (0 skips; default 5)' })
      .option('warmup', { type: 'number', default: DEFAULTS.warmup, describe: 'leading batches counted as warm-up, excluded from steady means' })
      .option('batch-gap', { type: 'number', describe: 'files within this many ms of each other are one batch (default: auto)' })
      .option('count', { type: 'number', describe: 'stop after this many images' })
      .option('timeout', { type: 'number', describe: 'stop after this many seconds' })
      .option('record', { type: 'string', describe: 'recording file (default: ./genwatt-sessions/<time>-<mode>.json); --no-record for none' })
      .option('tag', { type: 'string', array: true, describe: 'key=value recorded with the run (repeatable): model, steps, attention…' })
      .option('plain', { type: 'boolean', describe: 'plain line output instead of the dashboard' })
      .option('color', { type: 'boolean', describe: 'colors in the dashboard (--no-color, or NO_COLOR, turns them off)' })
      .option('ascii', { type: 'boolean', describe: 'ASCII sparklines and rules (default when the locale is not UTF-8)' })
      .option('json', { type: 'boolean', describe: 'print only the final report JSON on stdout' })
      .option('show-output', { type: 'boolean', describe: "echo the generator's output to stderr" })
      .option('counter-interval', { type: 'number', describe: 'NVML energy counter read period, ms (default: every sample in runs, 1000 when monitoring; a read costs ~4 ms of CPU on an H100)' });

  const parser = yargs(hideBin(process.argv))
    .scriptName('genwatt')
    .usage('$0 [command]\n\nWhat does one generated image cost on this box: seconds, joules (gross and net of idle), watts, peak VRAM.')
    .parserConfiguration({ 'populate--': true })
    .version(genwattVersion())
    .command(
      '$0',
      'the dashboard: live devices, launcher presets, per-image table (the demo on a simulated GPU when no GPU is found)',
      (y) => sessionOptions(y),
      async (a) => {
        const args = a as unknown as SessionArgs;
        const positional = (a._ as (string | number)[]).map(String);
        if (positional.length) throw new UsageError(`unknown command "${positional[0]}"`);
        if (await dashboardWanted(args)) {
          checkNumbers(args);
          const tags = parseTags(args.tag);
          exitCode = await runDashboard(args, { initial: null, probes: probesArg(args.probe), tags, simulateIfNoGpu: false, monitorRecord: typeof args.record === 'string' && args.record ? resolve(args.record) : null, demoIfNoGpu: true });
          return;
        }
        // Plain: monitor the GPUs, or the demo when there are none.
        exitCode = await runSession('monitor', args, {
          argv: null,
          outDir: null,
          defaultIdle: 0,
          defaultRecord: false,
          onNoGpu: () => {
            process.stderr.write('genwatt: no GPU found: running the bundled demo on a simulated GPU\n');
            return runDemo(args, 10);
          },
        });
      },
    )
    .command(
      'demo',
      'the whole pipeline on a simulated GPU with a bundled generator writing real PNGs',
      (y) => sessionOptions(y).option('images', { type: 'number', default: DEFAULTS.images, describe: 'images the demo generator writes' }),
      async (a) => {
        exitCode = await runDemo(a as unknown as SessionArgs, a.images as number);
      },
    )
    .command(
      'run',
      'measure every image of a generation: a command (genwatt run --out DIR -- CMD ARG…) or a server (--backend forge|comfyui --out ITS_OUTPUT_DIR)',
      (y) =>
        sessionOptions(y)
          .option('out', { type: 'string', describe: 'output folder to watch for images' })
          .option('backend', { type: 'string', choices: ['command', 'forge', 'comfyui'], describe: 'command (default), forge (Forge, Forge Neo, A1111 with --api) or comfyui' })
          .option('url', { type: 'string', describe: 'server address (default http://127.0.0.1:7860 for forge, :8188 for comfyui)' })
          .option('requests', { type: 'number', describe: 'server backends: generation requests, one after the other (default 1)' })
          .option('prompt', { type: 'string', describe: 'forge: prompt' })
          .option('negative-prompt', { type: 'string', describe: 'forge: negative prompt' })
          .option('steps', { type: 'number', describe: 'forge: sampling steps (default 20)' })
          .option('width', { type: 'number', describe: 'forge: width (default 1024)' })
          .option('height', { type: 'number', describe: 'forge: height (default 1024)' })
          .option('cfg', { type: 'number', describe: 'forge: CFG scale (default 7)' })
          .option('sampler', { type: 'string', describe: 'forge: sampler name (default Euler)' })
          .option('scheduler', { type: 'string', describe: 'forge: scheduler (Forge, A1111 1.9+)' })
          .option('seed', { type: 'number', describe: 'forge: seed (-1 random; each request continues the seeds)' })
          .option('batch-size', { type: 'number', describe: 'forge: images per batch (default 1)' })
          .option('batch-count', { type: 'number', describe: 'forge: batches per request (default 1)' })
          .option('workflow', { type: 'string', describe: 'comfyui: API-format workflow JSON (Workflow → Export (API))' })
          .option('set', { type: 'string', array: true, describe: 'comfyui: override NODE.input=value (repeatable), e.g. --set 3.steps=8 --set 6.text="a cat"' })
          .option('request-timeout', { type: 'number', describe: 'server backends: seconds one request may take (default 1800)' }),
      async (a) => {
        const cmd = ((a['--'] as string[] | undefined) ?? []).map(String);
        const positional = (a._ as (string | number)[]).slice(1).map(String);
        const { backendConfig, BackendConfigError } = await import('./backends/backend-config.js');
        let backend;
        try {
          backend = backendConfig({ backend: a.backend as string | undefined, url: a.url as string | undefined, prompt: a.prompt as string | undefined, negativePrompt: a['negative-prompt'] as string | undefined, steps: a.steps as number | undefined, width: a.width as number | undefined, height: a.height as number | undefined, cfg: a.cfg as number | undefined, sampler: a.sampler as string | undefined, scheduler: a.scheduler as string | undefined, seed: a.seed as number | undefined, batchSize: a['batch-size'] as number | undefined, batchCount: a['batch-count'] as number | undefined, requests: a.requests as number | undefined, workflow: a.workflow as string | undefined, set: a.set as string[] | undefined, requestTimeoutSeconds: a['request-timeout'] as number | undefined }, process.cwd());
        } catch (err) {
          if (err instanceof BackendConfigError) throw new UsageError(err.message);
          throw err;
        }
        if (backend) {
          if (cmd.length || positional.length) throw new UsageError(`--backend ${backend.kind} drives the server: give no command`);
          if (!a.out) throw new UsageError(`--backend ${backend.kind} needs --out: the folder the server saves its images into (images are counted there)`);
          exitCode = await runSession('run', a as unknown as SessionArgs, { argv: null, backend, outDir: resolve(a.out), defaultIdle: 5, defaultRecord: true });
          return;
        }
        if (cmd.length === 0) throw new UsageError(positional.length ? 'put the command after -- (genwatt run --out DIR -- CMD ARG…)' : 'no command given: genwatt run --out DIR -- CMD ARG…');
        if (positional.length) throw new UsageError(`unexpected argument "${positional[0]}" before -- (options go before --, the command after it)`);
        exitCode = await runSession('run', a as unknown as SessionArgs, { argv: cmd, outDir: a.out ? resolve(a.out) : null, defaultIdle: 5, defaultRecord: true });
      },
    )
    .command(
      'watch <dir>',
      'measure while something else generates into DIR (ends on Ctrl-C or --count)',
      (y) => sessionOptions(y).positional('dir', { type: 'string', describe: 'output folder to watch' }),
      async (a) => {
        exitCode = await runSession('watch', a as unknown as SessionArgs, { argv: null, outDir: resolve(String(a.dir)), defaultIdle: 5, defaultRecord: true });
      },
    )
    .command(
      'monitor',
      'devices only, no run (plain: one line per device per second); --record FILE to keep it',
      (y) => sessionOptions(y),
      async (a) => {
        exitCode = await runSession('monitor', a as unknown as SessionArgs, { argv: null, outDir: null, defaultIdle: 0, defaultRecord: false });
      },
    )
    .command(
      'replay <file>',
      'play a recorded session (.json, or the .jsonl of an unfinished one) in the dashboard; plain: its report',
      (y) =>
        y
          .positional('file', { type: 'string' })
          .option('speed', { type: 'number', default: 1, describe: 'playback speed (2 = twice as fast)' })
          .option('plain', { type: 'boolean', describe: 'print the report instead of the dashboard' })
          .option('color', { type: 'boolean', describe: 'colors (--no-color, or NO_COLOR, turns them off)' })
          .option('ascii', { type: 'boolean', describe: 'ASCII sparklines and rules' }),
      async (a) => {
        const speed = a.speed as number;
        if (!(speed > 0) || !Number.isFinite(speed)) throw new UsageError(`--speed must be a positive number, got ${speed}`);
        const { readSession } = await import('./session-reader.js');
        const loaded = await readSession(String(a.file));
        if (!(await dashboardWanted(a as { plain?: boolean }))) {
          const { reportText } = await import('./report.js');
          process.stdout.write(reportText([loaded]));
          return;
        }
        const [{ ReplaySource }, { DashboardController }, { mountDashboard }, { useAscii, useColor }] = await Promise.all([import('./dashboard/replay-source.js'), import('./dashboard/controller.js'), import('./dashboard/ink-host.js'), import('./dashboard/terminal.js')]);
        const source = new ReplaySource(loaded, { speed });
        const controller = new DashboardController(source, { ascii: useAscii(process.env, a.ascii as boolean | undefined), color: useColor(process.env, a.color as boolean | undefined) });
        const mounted = await mountDashboard(controller, { stdout: process.stdout, stdin: process.stdin, altScreen: true });
        quitOnSignals(() => void controller.quit());
        source.play();
        await mounted.done;
      },
    )
    .command(
      'plan <file>',
      'run an experiment plan: presets × repeats, cool-down between sessions, one session file each, a combined report; run it again to resume',
      (y) =>
        y
          .positional('file', { type: 'string', describe: 'plan JSON (schema/plan.schema.json; examples in docs/examples/plans)' })
          .option('probe', { type: 'string', array: true, describe: `force probes (repeatable): ${PROBE_NAMES.join(', ')}; default: auto-detect` })
          .option('interval', { type: 'number', default: DEFAULTS.interval, describe: 'sampling interval, ms' }),
      async (a) => {
        const [{ loadPlan, planLabel }, { runPlan }] = await Promise.all([import('./plan.js'), import('./plan-runner.js')]);
        let plan;
        try {
          plan = await loadPlan(String(a.file));
        } catch (err) {
          throw new UsageError((err as Error).message);
        }
        const ctl = new AbortController();
        const say = (l: string) => process.stdout.write(`${l}\n`);
        quitOnSignals(() => {
          if (!ctl.signal.aborted) say('stopping: the current session is finished and recorded; run the plan again to resume');
          ctl.abort();
        });
        say(`plan ${planLabel(plan)}: ${plan.sessions.length} session${plan.sessions.length === 1 ? '' : 's'} into ${plan.recordDir}`);
        const r = await runPlan(plan, { probes: probesArg(a.probe as string[] | undefined), intervalMs: a.interval as number, log: say, signal: ctl.signal });
        say(`recorded ${r.recorded.length}, skipped ${r.skipped.length} (already recorded), failed ${r.failed.length}`);
        for (const f of r.reportFiles) say(`report: ${f}`);
        exitCode = r.exitCode;
      },
    )
    .command(
      'serve',
      'headless node mode: sample all GPUs, watch output folders, record on a rotation, serve Prometheus /metrics',
      (y) =>
        y
          .option('probe', { type: 'string', array: true, describe: `force probes (repeatable): ${PROBE_NAMES.join(', ')}; default: auto-detect` })
          .option('listen', { type: 'string', default: '127.0.0.1:9464', describe: 'HOST:PORT for /metrics, /healthz, /api/sessions (another address than loopback is your explicit choice)' })
          .option('watch', { type: 'string', array: true, describe: 'output folder to attribute images in (repeatable)' })
          .option('record-dir', { type: 'string', describe: 'folder for recorded sessions (default: none)' })
          .option('rotate', { type: 'string', default: 'run', choices: ['run', 'hour'], describe: 'one file per run, or also split at clock hours with an hourly monitor file of all samples' })
          .option('run-gap', { type: 'number', default: 60, describe: 'seconds without an image that end a run' })
          .option('max-file-minutes', { type: 'number', default: 60, describe: 'longest a recording file may cover; a longer run continues in a new file' })
          .option('interval', { type: 'number', default: DEFAULTS.interval, describe: 'sampling interval, ms' })
          .option('idle', { type: 'number', default: 5, describe: 'seconds at start taken as the idle baseline (0: none)' })
          .option('warmup', { type: 'number', default: DEFAULTS.warmup, describe: "batches at a run's start counted as warm-up" })
          .option('batch-gap', { type: 'number', describe: 'files within this many ms of each other are one batch (default: auto)' })
          .option('node', { type: 'string', describe: 'node label on every metric (default: the host name)' })
          .option('sim-gpus', { type: 'number', describe: 'with --probe simulated: how many simulated GPUs' })
          .option('counter-interval', { type: 'number', describe: 'NVML energy counter read period, ms (default 1000)' }),
      async (a) => {
        const { runServe, ServeUsageError } = await import('./serve/serve-command.js');
        try {
          exitCode = await runServe({ ...(a as unknown as import('./serve/serve-command.js').ServeArgs), probe: probesArg(a.probe as string[] | undefined) });
        } catch (err) {
          if (err instanceof ServeUsageError) throw new UsageError(err.message);
          throw err;
        }
      },
    )
    .command(
      'probe',
      'detected devices and one reading each',
      (y) => y.option('probe', { type: 'string', array: true, describe: `force probes: ${PROBE_NAMES.join(', ')}` }).option('json', { type: 'boolean', describe: 'JSON output' }),
      async (a) => {
        await probeCommand(probesArg(a.probe as string[] | undefined), Boolean(a.json));
      },
    )
    .command(
      'report <files..>',
      'summarize and compare recorded sessions (.json, or the .jsonl a killed genwatt left): table, csv, md, html or json',
      (y) =>
        y
          .positional('files', { type: 'string', array: true })
          .option('format', { type: 'string', choices: ['table', 'csv', 'md', 'html', 'json'], describe: 'output format (default: table; html is one self-contained page with SVG charts)' })
          .option('out', { type: 'string', describe: 'write to FILE instead of stdout' })
          .option('json', { type: 'boolean', describe: 'same as --format json' })
          .option('price-kwh', { type: 'number', describe: 'electricity price per kWh: adds the cost of one image' })
          .option('gco2-kwh', { type: 'number', describe: 'grid carbon intensity, g CO2e per kWh: adds the CO2 of one image' }),
      async (a) => {
        const { writeReport } = await import('./report-command.js');
        const r = await writeReport({ files: a.files as string[], format: (a.format as string | undefined) ?? (a.json ? 'json' : 'table'), out: a.out as string | undefined, priceKwh: a['price-kwh'] as number | undefined, gco2Kwh: a['gco2-kwh'] as number | undefined });
        if ('usage' in r) throw new UsageError(r.usage);
      },
    )
    .strict()
    .help()
    .alias('help', 'h')
    .wrap(Math.min(100, process.stdout.columns || 100))
    .fail((msg, err) => {
      if (err && !(err instanceof UsageError)) throw err;
      usageExit(err?.message ?? msg);
    });
  await parser.parseAsync();
  return exitCode;
}

main().then(
  (code) => {
    process.exitCode = code;
    // Leftover handles (a stuck child pipe) must not keep a finished genwatt alive.
    setTimeout(() => process.exit(code), 2000).unref();
  },
  (err: Error & { invalidSession?: boolean; unreadable?: boolean }) => {
    if (err instanceof UsageError) usageExit(err.message);
    process.stderr.write(`genwatt: ${err.message}\n`);
    process.exit(1);
  },
);
