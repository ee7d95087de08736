/**
 * Commands scripts and `npm start` call often, parsed without yargs (its ~20-90 ms are a tenth of the
 * dashboard's time to first frame): `genwatt probe [--json] [--probe N]`, and bare `genwatt` or
 * `genwatt demo` with the common flags. Anything else (help, odd flags) returns null and goes through
 * the full parser, which explains what is wrong.
 */
import { parseArgs } from 'node:util';
import { probesFlag, sessionFlags } from './flags.js';

function tryParse(args: string[], options: NonNullable<Parameters<typeof parseArgs>[0]>['options']): Record<string, unknown> | null {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** `genwatt probe …`: true when handled. */
export async function fastProbe(args: string[]): Promise<boolean> {
  if (args[0] !== 'probe') return false;
  const v = tryParse(args.slice(1), { json: { type: 'boolean' }, probe: { type: 'string', multiple: true } });
  if (!v) return false;
  const { probeCommand } = await import('./probe.js');
  await probeCommand(probesFlag(v.probe as string[] | undefined), Boolean(v.json));
  return true;
}

const DASH_OPTIONS = {
  count: { type: 'string' },
  images: { type: 'string' },
  idle: { type: 'string' },
  record: { type: 'string' },
  'no-record': { type: 'boolean' },
  ascii: { type: 'boolean' },
  'no-ascii': { type: 'boolean' },
  'no-color': { type: 'boolean' },
  plain: { type: 'boolean' },
} as const;

const MONITOR_OPTIONS = {
  probe: { type: 'string', multiple: true },
  interval: { type: 'string' },
  timeout: { type: 'string' },
  record: { type: 'string' },
  ascii: { type: 'boolean' },
  'no-color': { type: 'boolean' },
  plain: { type: 'boolean' },
  'sim-gpus': { type: 'string' },
} as const;

/** `genwatt monitor` with its common flags (its first frame comes sooner without yargs); null: the full parser. */
export async function fastMonitor(args: string[]): Promise<number | null> {
  if (args[0] !== 'monitor') return null;
  const v = tryParse(args.slice(1), MONITOR_OPTIONS);
  if (!v) return null;
  // The same flags object yargs would give.
  const raw = {
    probe: v.probe,
    interval: v.interval,
    timeout: v.timeout,
    record: v.record,
    ascii: v.ascii,
    color: v['no-color'] ? false : undefined,
    plain: v.plain,
    'sim-gpus': v['sim-gpus'],
  };
  try {
    sessionFlags(raw); // a bad value: the full parser says it, with its help hint (nothing has run yet)
  } catch {
    return null;
  }
  const { monitorCommand } = await import('./monitor.js');
  return monitorCommand(raw);
}

/** Bare `genwatt` and `genwatt demo`: the exit code, or null when the full parser should take over. */
export async function fastDashboard(args: string[]): Promise<number | null> {
  const cmd = args[0] === 'demo' ? 'demo' : args.length === 0 || args[0].startsWith('-') ? '' : null;
  if (cmd === null) return null;
  const v = tryParse(cmd ? args.slice(1) : args, DASH_OPTIONS);
  if (!v || (v.count !== undefined && v.images !== undefined)) return null;
  let flags;
  try {
    flags = sessionFlags({
      count: v.count ?? v.images,
      idle: v.idle,
      record: v['no-record'] ? false : v.record,
      plain: v.plain,
      ascii: v['no-ascii'] ? false : v.ascii,
      color: v['no-color'] ? false : undefined,
    });
  } catch {
    return null; // let the full parser explain
  }
  if (cmd === 'demo') {
    const { demoCommand, DEFAULT_DEMO_IMAGES } = await import('./demo.js');
    return demoCommand({ ...flags, count: null }, flags.count ?? DEFAULT_DEMO_IMAGES);
  }
  if (v.images !== undefined) return null;
  const { defaultCommand } = await import('./default.js');
  return defaultCommand(flags);
}
