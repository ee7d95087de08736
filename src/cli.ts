#!/usr/bin/env node
/**
 * genwatt's command line: argv → the command table, nothing else. What each command does after
 * parsing lives in src/commands/. Commands that draw nothing import nothing that draws; heavy
 * modules load only in the command that needs them.
 */
import { genwattVersion } from './package-info.js';
import { DEFAULT_INTERVAL_MS, UsageError, probesFlag, sessionFlags, type RawFlags } from './commands/flags.js';
import { monitorOptions, NUMBER_TEXT, probeOption, runOptions, serveOptions, sessionOptions } from './cli-options.js';
import { installOutputGuard } from './text/output-guard.js';
import { COMMAND_NAMES, didYouMean } from './commands/did-you-mean.js';
import { installInternalErrorHandler } from './text/internal-errors.js';
import { utf8Locale } from './text/ascii-symbols.js';
import { leaveAltScreen } from './dashboard/alt-screen.js';
import { skipHelpCache } from './commands/yargs-help-cache.js';

function usageExit(msg: string): never {
  leaveAltScreen();
  const cmd = (COMMAND_NAMES as readonly string[]).includes(rawArgs[0]) ? ` ${rawArgs[0]}` : '';
  process.stderr.write(`genwatt: ${msg}\n(see genwatt${cmd} --help)\n`);
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
// Every line genwatt prints passes one sanitiser (text/output-guard.ts).
installOutputGuard(undefined, { ascii: !utf8Locale(process.env) });
// An internal error leaves the dashboard's screen first: its message must stay on the terminal.
installInternalErrorHandler((l) => {
  leaveAltScreen();
  process.stderr.write(l);
});

// Ink takes most of the dashboard's start-up (~0.3 s here): when the dashboard is likely, start
// loading it now, so it overlaps argument parsing and device detection.
const DASHBOARD_COMMANDS = new Set([undefined, 'demo', 'run', 'watch', 'monitor', 'replay']);
if (DASHBOARD_COMMANDS.has(rawArgs[0]?.startsWith('-') ? undefined : rawArgs[0]) && !rawArgs.some((a) => a === '--plain' || a === '--json' || a === '--help')) {
  // Only a head start: a failure here is met again, and reported, where the dashboard is mounted.
  import('./dashboard/terminal.js')
    .then(async (t) => {
      if (t.plainReason({ stdinTTY: Boolean(process.stdin.isTTY), stdoutTTY: Boolean(process.stdout.isTTY), env: process.env }) === null) {
        const { loadInk } = await import('./dashboard/load-ink.js');
        await loadInk();
      }
    })
    .catch(() => undefined);
}

const strings = (v: unknown): string[] => ((v as (string | number | undefined)[] | undefined) ?? []).filter((x) => x !== undefined).map(String);

async function main(): Promise<number> {
  const { fastProbe, fastDashboard, fastMonitor } = await import('./commands/fast-paths.js');
  if (await fastProbe(rawArgs)) return 0;
  const fast = (await fastDashboard(rawArgs)) ?? (await fastMonitor(rawArgs));
  if (fast !== null) return fast;
  const [{ default: yargs }, { hideBin }] = await Promise.all([import('yargs'), import('yargs/helpers')]);
  let exitCode = 0;
  const set = (code: number) => void (exitCode = code);
  // The command table (declarative): name, description, options, what runs.
  const parser = yargs(hideBin(process.argv))
    .scriptName('genwatt')
    .usage('$0 [command]\n\nWhat does one generated image cost on this box: seconds, joules (gross and net of idle), watts, peak VRAM.')
    .parserConfiguration({ 'populate--': true })
    .example([
      ['$0', 'the dashboard (the demo on a simulated GPU when no GPU is found)'],
      ['$0 run --out o -- python gen.py', 'measure each image the command writes into o/'],
      ['$0 report', 'summarize the newest recorded session'],
      ['$0 init', 'write an example genwatt.config.json and plan into this folder'],
    ])
    .version(genwattVersion())
    .command(
      '$0',
      'the dashboard: live devices, launcher presets, per-image table (the demo on a simulated GPU when no GPU is found)',
      sessionOptions,
      async (a) => {
        const positional = strings(a._);
        if (positional.length) throw new UsageError(`unknown command "${positional[0]}"`);
        set(await (await import('./commands/default.js')).defaultCommand(sessionFlags(a as RawFlags)));
      },
    )
    .command(
      'demo',
      'the whole pipeline on a simulated GPU with a bundled generator writing real PNGs',
      (y) =>
        sessionOptions(y)
          .option('count', { alias: 'images', ...NUMBER_TEXT, describe: 'images the demo generator writes (default 10)' })
          .example([
            ['$0 demo --count 30', 'thirty demo images in the dashboard'],
            ['$0 demo --plain --sim-gpus 2', 'plain lines, two simulated GPUs'],
          ]),
      async (a) => {
        const { demoCommand, DEFAULT_DEMO_IMAGES } = await import('./commands/demo.js');
        const f = sessionFlags(a as RawFlags);
        set(await demoCommand({ ...f, count: null }, f.count ?? DEFAULT_DEMO_IMAGES));
      },
    )
    .command(
      'run',
      'measure every image of a generation: a command (genwatt run --out DIR -- CMD ARG…) or a server (--backend forge|comfyui --out ITS_OUTPUT_DIR)',
      (y) =>
        runOptions(y).example([
          ['$0 run --out o --count 8 -- python gen.py', 'a command; stop after 8 images'],
          ['$0 run --backend comfyui --workflow wf.json --requests 4 --out ~/ComfyUI/output', 'four ComfyUI prompts'],
          ['$0 run --backend forge --prompt "a cat" --out ~/forge/outputs', 'one Forge/A1111 request'],
          ['$0 run --tag model=sdxl --out o -- ./gen.sh', 'a tag that groups the report'],
        ]),
      async (a) => {
        set(await (await import('./commands/run.js')).runCommand(a as RawFlags, strings(a['--']), strings(a._).slice(1)));
      },
    )
    .command(
      'watch <dir>',
      'measure while something else generates into DIR (ends on Ctrl-C or --count)',
      (y) =>
        sessionOptions(y)
          .positional('dir', { type: 'string', describe: 'output folder to watch' })
          .example([['$0 watch ~/ComfyUI/output --count 10', 'measure the next ten images, whoever makes them']]),
      async (a) => {
        const [{ measureCommand }, { resolve }] = await Promise.all([import('./commands/measure.js'), import('node:path')]);
        set(
          await measureCommand(sessionFlags(a as RawFlags), {
            mode: 'watch',
            argv: null,
            outDir: resolve(String(a.dir)),
            defaultIdleSeconds: 5,
            defaultRecord: true,
          }),
        );
      },
    )
    .command(
      'monitor',
      'devices only, no run (plain: one line per device per second); --record FILE to keep it',
      (y) =>
        monitorOptions(y).example([
          ['$0 monitor', 'the live dashboard'],
          ['$0 monitor --plain --timeout 60 --record i.json', 'a minute of readings, kept'],
        ]),
      async (a) => {
        set(await (await import('./commands/monitor.js')).monitorCommand(a as RawFlags));
      },
    )
    .command(
      'replay <file>',
      'play a recorded session (.json, or the .jsonl of an unfinished one) in the dashboard, with pause and seek; without a terminal (or --plain) print its report',
      (y) =>
        y
          .positional('file', { type: 'string', describe: 'a session recording: FILE.json, or FILE.jsonl left by an unfinished run' })
          .option('speed', { type: 'number', default: 1, describe: 'playback speed (2 = twice as fast)' })
          .option('plain', { type: 'boolean', describe: 'print the report instead of the dashboard' })
          .option('color', { type: 'boolean', describe: 'colors (--no-color, or NO_COLOR, turns them off)' })
          .option('ascii', { type: 'boolean', describe: 'ASCII sparklines and rules' })
          .example([
            ['$0 replay session.json --speed 4', 'play it four times as fast'],
            ['$0 replay session.json --plain', 'print its report with per-image rows'],
          ]),
      async (a) => {
        await (
          await import('./commands/replay.js')
        ).replayCommand({
          file: String(a.file),
          speed: a.speed as number,
          plain: Boolean(a.plain),
          color: a.color as boolean | undefined,
          ascii: a.ascii as boolean | undefined,
        });
      },
    )
    .command(
      'plan <file>',
      'run an experiment plan: presets × repeats, cool-down between sessions, one session file each, a combined report; run it again to resume',
      (y) =>
        y
          .positional('file', { type: 'string', describe: 'plan JSON (schema/plan.schema.json; examples in docs/examples/plans)' })
          .option('probe', probeOption)
          .option('interval', { ...NUMBER_TEXT, describe: `sampling interval, ms (default ${DEFAULT_INTERVAL_MS})` })
          .example([['$0 plan genwatt-plan.json', 'run it (again: resumes where it stopped)']]),
      async (a) => {
        const f = sessionFlags({ probe: a.probe, interval: a.interval });
        set(await (await import('./commands/plan.js')).planCommand(String(a.file), f.probes, f.intervalMs));
      },
    )
    .command('serve', 'headless node mode: sample all GPUs, watch output folders, record on a rotation, serve Prometheus /metrics', serveOptions, async (a) => {
      set(await (await import('./commands/serve.js')).runServe({ ...(a as RawFlags), probe: probesFlag(a.probe as string[] | undefined) }));
    })
    .command(
      'init',
      'write an example genwatt.config.json (launcher presets) and genwatt-plan.json into this folder',
      (y) => y.option('force', { type: 'boolean', describe: 'replace files that exist' }),
      async (a) => {
        set((await import('./commands/init.js')).initCommand({ force: Boolean(a.force) }));
      },
    )
    .command(
      'probe',
      'detected devices and one reading each',
      (y) =>
        y
          .option('probe', probeOption)
          .option('json', { type: 'boolean', describe: 'JSON output' })
          .option('sim-gpus', { ...NUMBER_TEXT, describe: 'with --probe simulated: how many simulated GPUs' })
          .example([
            ['$0 probe', 'what genwatt finds here, with one reading each'],
            ['$0 probe --json --probe nvidia-smi', 'one probe, as JSON'],
          ]),
      async (a) => {
        const f = sessionFlags({ probe: a.probe, 'sim-gpus': a['sim-gpus'] });
        await (await import('./commands/probe.js')).probeCommand(f.probes, Boolean(a.json), { simGpus: f.simGpus });
      },
    )
    .command(
      'report [files..]',
      'summarize and compare recorded sessions (.json, or the .jsonl a killed genwatt left; or http://node:9464 for every finished session a genwatt serve recorded), grouped by configuration: table, csv, md, html or json',
      (y) =>
        y
          .positional('files', {
            type: 'string',
            describe: 'session files, or node URLs (http://node:9464) whose serve sessions are fetched',
            default: undefined,
          })
          .option('group-by', {
            type: 'string',
            describe:
              'group sessions by these keys (device, backend, model, attention, precision, steps, size, node, preset, or any tag), comma-separated; default: all of the first nine',
          })
          .option('group', { type: 'boolean', default: true, describe: 'group sessions by configuration (--no-group: one row per session)' })
          .option('baseline', { type: 'string', describe: 'the configuration others are compared with: its label or its number (default: the first)' })
          .option('start-temp-margin', {
            type: 'number',
            describe: 'warn when configurations started more than this many °C apart (default 5)',
          })
          .option('since', { type: 'string', describe: 'node URLs: only sessions modified since this date' })
          .option('save', { type: 'string', describe: 'node URLs: keep the fetched sessions in this folder (fetching only what it lacks)' })
          .option('format', {
            type: 'string',
            choices: ['table', 'csv', 'md', 'html', 'json'],
            describe: "output format (default: from --out's extension, else table; html is one self-contained page with SVG charts)",
          })
          .option('out', { type: 'string', describe: 'write to FILE instead of stdout' })
          .option('force', { type: 'boolean', describe: 'let --out replace an existing file (never one of the inputs)' })
          .option('json', { type: 'boolean', describe: 'same as --format json' })
          .option('images', { type: 'boolean', describe: "add each session's per-image table to the text report" })
          .option('width', { type: 'number', describe: "fit the text report to this many columns (default: the terminal's; whole when piped)" })
          .option('price-kwh', { type: 'number', describe: 'electricity price per kWh: adds the cost of one image' })
          .option('gco2-kwh', { type: 'number', describe: 'grid carbon intensity, g CO2e per kWh: adds the CO2 of one image' })
          .example([
            ['$0 report', 'the newest session in ./genwatt-sessions'],
            ['$0 report runs/*.json --group-by model', 'compare configurations'],
            ['$0 report a.json b.json --out report.html', 'one page with the Pareto chart'],
            ['$0 report http://edge-1:9464 --save f/', "a serve node's sessions"],
          ]),
      async (a) => {
        const { writeReport } = await import('./commands/report.js');
        const groupBy =
          a.group === false
            ? null
            : a['group-by'] === undefined
              ? undefined
              : String(a['group-by'])
                  .split(',')
                  .map((s) => s.trim())
                  .filter(Boolean);
        const r = await writeReport({
          files: strings(a.files),
          format: (a.format as string | undefined) ?? (a.json ? 'json' : undefined),
          out: a.out as string | undefined,
          force: Boolean(a.force),
          priceKwh: a['price-kwh'] as number | undefined,
          gco2Kwh: a['gco2-kwh'] as number | undefined,
          groupBy,
          baseline: a.baseline as string | undefined,
          startTempMarginC: a['start-temp-margin'] as number | undefined,
          since: a.since as string | undefined,
          images: Boolean(a.images),
          widthCols: a.width as number | undefined,
          save: a.save as string | undefined,
        });
        if ('usage' in r) throw new UsageError(r.usage);
        if ('failed' in r) set(r.failed);
      },
    )
    // yargs' own: a bash/zsh script that asks `genwatt --get-yargs-completions` for commands and flags.
    .completion(
      'completion',
      'print a shell completion script: genwatt completion >> ~/.bashrc (or ~/.zshrc)',
      // yargs' defaults, less the default command's internal name ($0).
      (_current: string, _argv: unknown, defaults: (cb: (err: Error | null, list?: string[]) => void) => void, done: (list: string[]) => void) =>
        defaults((_err, list) => done((list ?? []).filter((c) => c !== '$0'))),
    )
    .strict()
    .help()
    .alias('help', 'h')
    // Piped help (the man page's source) takes COLUMNS.
    .wrap(Math.min(100, process.stdout.columns || Number(process.env.COLUMNS) || 100))
    .fail((msg, err) => {
      if (err && !(err instanceof UsageError)) throw err;
      // `genwatt moniter`: the default command took the word as an unknown argument.
      const meant = /^Unknown arguments?: /.test(msg ?? '') ? didYouMean(rawArgs[0]) : null;
      usageExit(`${err?.message ?? msg}${meant ? `: did you mean \`genwatt ${meant}\`?` : ''}`);
    });
  skipHelpCache(parser);
  await parser.parseAsync();
  return exitCode;
}

main().then(
  (code) => {
    process.exitCode = code;
    // Leftover handles (a stuck child pipe) must not keep a finished genwatt alive.
    setTimeout(() => process.exit(code), 2000).unref();
  },
  (err: Error) => {
    leaveAltScreen();
    if (err instanceof UsageError) usageExit(err.message);
    process.stderr.write(`genwatt: ${err.message}\n`);
    process.exit(1);
  },
);
