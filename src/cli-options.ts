/**
 * The options of each command, declared for yargs (the command table is in cli.ts). Numbers are
 * read as text and checked, with their units, in commands/flags.ts.
 */
import type { Argv } from 'yargs';
import { PROBE_NAMES } from '../probes/registry.js';
import { DEFAULT_INTERVAL_MS, DEFAULT_KILL_AFTER_SECONDS, DEFAULT_WARMUP_BATCHES } from './commands/flags.js';

/** A number flag: read as text, so that an error echoes what was typed (commands/flags.ts), shown as [number] in the help. */
export const NUMBER_TEXT = { type: 'string', number: true } as const;

export const probeOption = { type: 'string', array: true, describe: `force probes (repeatable): ${PROBE_NAMES.join(', ')}; default: auto-detect` } as const;

/** Options of every measuring command. Numbers are read as text and checked (with units) in commands/flags.ts. */
/** External power meters beside the GPUs (runs, monitor and the dashboard). */
function meterOptions(y: Argv): Argv {
  return y
    .option('meter', {
      type: 'string',
      array: true,
      describe:
        'an external power meter measured beside the GPUs (repeatable): shelly://HOST[:PORT][/CH] (Gen2+), shelly1://HOST[:PORT][/CH] (Gen1), tasmota://HOST[:PORT], ipmi: (ipmitool dcmi)',
    })
    .option('meter-cmd', { type: 'string', describe: 'a command that prints watts, one reading a line, measured as an external meter' })
    .option('meter-scope', { type: 'string', describe: "what --meter-cmd measures, shown with its figures (default 'as measured by --meter-cmd')" });
}

export function sessionOptions(y: Argv): Argv {
  const opts = y
    .option('probe', probeOption)
    .option('interval', { ...NUMBER_TEXT, describe: `sampling interval, ms (default ${DEFAULT_INTERVAL_MS})` })
    .option('idle', { ...NUMBER_TEXT, describe: 'seconds of idle baseline before the run (0 skips; default 5)' })
    .option('warmup', { ...NUMBER_TEXT, describe: `leading batches counted as warm-up, excluded from steady means (default ${DEFAULT_WARMUP_BATCHES})` })
    .option('batch-gap', { ...NUMBER_TEXT, describe: 'files within this many ms of each other are one batch (default: auto)' })
    .option('count', { ...NUMBER_TEXT, describe: 'stop after this many images' })
    .option('timeout', { ...NUMBER_TEXT, describe: 'stop after this many seconds' })
    .option('kill-after', {
      ...NUMBER_TEXT,
      describe: `seconds between SIGTERM and SIGKILL when the generator is stopped (default ${DEFAULT_KILL_AFTER_SECONDS})`,
    })
    .option('record', { type: 'string', describe: 'recording file (default: ./genwatt-sessions/<time>-<mode>.json); --no-record for none' })
    .option('tag', { type: 'string', array: true, describe: 'key=value recorded with the run (repeatable): model, steps, attention…' })
    .option('plain', { type: 'boolean', describe: 'plain line output instead of the dashboard' })
    .option('color', { type: 'boolean', describe: 'colors in the dashboard (--no-color, or NO_COLOR, turns them off)' })
    .option('ascii', { type: 'boolean', describe: 'ASCII sparklines and rules (default when the locale is not UTF-8)' })
    .option('json', { type: 'boolean', describe: 'print only the final report JSON on stdout' })
    .option('show-output', { type: 'boolean', describe: "echo the generator's output to stderr" })
    .option('counter-interval', {
      ...NUMBER_TEXT,
      describe:
        'NVML energy counter read period in a run, ms (default 2000; image edges lie between reads, placed by instant power; a read costs 4-5 ms of CPU on an H100, more under load)',
    })
    .option('sim-gpus', { ...NUMBER_TEXT, describe: 'with --probe simulated: how many simulated GPUs (a demo generator given --gpu I drives GPU I)' })
    .option('sim-process-list', {
      type: 'boolean',
      describe: 'with --probe simulated: the simulated GPUs list their processes (default on; --no-sim-process-list acts out an interface that lists none)',
    })
    .option('blank-check', {
      type: 'boolean',
      describe:
        'flag black/uniform images as blank (default on: an image whose file is too large for its pixel count to be uniform is not decoded; --no-blank-check decodes none)',
    })
    .option('entropy-all', {
      type: 'boolean',
      describe: "decode every image for its luminance entropy (the blank check's figure), not only those that could be blank",
    })
    .option('gpu', {
      type: 'string',
      describe:
        "GPUs charged to the run: indices, PCI bus ids or UUIDs (--gpu 1, --gpu 0000:41:00.0,GPU-5ca8…), or auto; default: the generator's CUDA_/HIP_/ROCR_VISIBLE_DEVICES, else the GPUs its processes use, else all",
    });
  return meterOptions(opts);
}

/** `monitor` measures no run: only the flags that mean something without one (--count and --json are refused with a hint). */
export function monitorOptions(y: Argv): Argv {
  return meterOptions(
    y
      .option('probe', probeOption)
      .option('interval', { ...NUMBER_TEXT, describe: `sampling interval, ms (default ${DEFAULT_INTERVAL_MS})` })
      .option('timeout', { ...NUMBER_TEXT, describe: 'stop after this many seconds' })
      .option('record', { type: 'string', describe: 'keep the samples in this recording file (default: none)' })
      .option('tag', { type: 'string', array: true, describe: 'key=value recorded with it (repeatable)' })
      .option('plain', { type: 'boolean', describe: 'one line per device per second instead of the dashboard' })
      .option('color', { type: 'boolean', describe: 'colors in the dashboard (--no-color, or NO_COLOR, turns them off)' })
      .option('ascii', { type: 'boolean', describe: 'ASCII sparklines and rules (default when the locale is not UTF-8)' })
      .option('counter-interval', { ...NUMBER_TEXT, describe: 'NVML energy counter read period, ms (default: not read while monitoring)' })
      .option('sim-gpus', { ...NUMBER_TEXT, describe: 'with --probe simulated: how many simulated GPUs' })
      .option('sim-process-list', { type: 'boolean', describe: 'with --probe simulated: the simulated GPUs list their processes (default on)' })
      .option('count', { ...NUMBER_TEXT, hidden: true })
      .option('json', { type: 'boolean', hidden: true }),
  );
}

export function runOptions(y: Argv): Argv {
  return sessionOptions(y)
    .option('out', { type: 'string', describe: 'output folder to watch for images' })
    .option('backend', {
      type: 'string',
      choices: ['command', 'forge', 'comfyui'],
      describe: 'command (default), forge (Forge, Forge Neo, A1111 with --api) or comfyui',
    })
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
    .option('request-timeout', { type: 'number', describe: 'server backends: seconds one request may take (default 1800)' })
    .option('api-auth-file', {
      type: 'string',
      describe: 'server backends: a file holding one line user:password for a server started with --api-auth (or set GENWATT_API_AUTH); never recorded',
    });
}

export function serveOptions(y: Argv): Argv {
  return y
    .option('probe', probeOption)
    .option('listen', {
      type: 'string',
      default: '127.0.0.1:9464',
      describe: 'HOST:PORT for /metrics, /healthz, /api/sessions (another address than loopback is your explicit choice)',
    })
    .option('watch', {
      type: 'string',
      array: true,
      describe: 'output folder to attribute images in (repeatable); DIR=GPULIST charges it those GPUs only (--watch /srv/a/out=0 --watch /srv/b/out=1)',
    })
    .option('record-dir', { type: 'string', describe: 'folder for recorded sessions (default: none)' })
    .option('rotate', {
      type: 'string',
      default: 'run',
      choices: ['run', 'hour'],
      describe: 'one file per run, or also split at clock hours with an hourly monitor file of all samples',
    })
    .option('run-gap', { ...NUMBER_TEXT, describe: 'seconds without an image that end a run (default 60)' })
    .option('max-file-minutes', { ...NUMBER_TEXT, describe: 'longest a recording file may cover, minutes (default 60); a longer run continues in a new file' })
    .option('interval', { ...NUMBER_TEXT, describe: `sampling interval, ms (default ${DEFAULT_INTERVAL_MS})` })
    .option('idle', { ...NUMBER_TEXT, describe: 'seconds at start taken as the idle baseline (0: none; default 5)' })
    .option('warmup', { ...NUMBER_TEXT, describe: `batches at a run's start counted as warm-up (default ${DEFAULT_WARMUP_BATCHES})` })
    .option('batch-gap', { ...NUMBER_TEXT, describe: 'files within this many ms of each other are one batch (default: auto)' })
    .option('node', { type: 'string', describe: 'node label on every metric (default: the host name)' })
    .option('sim-gpus', { ...NUMBER_TEXT, describe: 'with --probe simulated: how many simulated GPUs' })
    .option('counter-interval', { ...NUMBER_TEXT, describe: 'NVML energy counter read period, ms (default 1000)' })
    .option('blank-check', {
      type: 'boolean',
      describe: 'flag black/uniform images as blank (default on: only a file small enough for its pixel count to be uniform is decoded)',
    })
    .option('allow-host', {
      type: 'string',
      array: true,
      describe: 'while listening on loopback, also answer requests for this Host name (repeatable); others get 421',
    })
    .option('max-connections', { ...NUMBER_TEXT, describe: 'most HTTP connections at once (default 64; more are refused)' })
    .example([
      ['$0 serve --watch /srv/out --record-dir runs/', 'a node: /metrics on :9464, runs recorded'],
      ['$0 serve --watch /a=0 --watch /b=1', 'two generators on GPUs 0 and 1'],
    ]);
}
