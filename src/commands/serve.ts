/** `genwatt serve`: argument checks, log lines, signals. */
import { hostname } from 'node:os';
import { isIP } from 'node:net';
import type { ProbeName } from '../../probes/types.js';
import { ServeNode, type ServeConfig } from '../serve/serve-node.js';
import type { RotateMode } from '../serve/recordings.js';
import { DEFAULT_MAX_CONNECTIONS } from '../serve/http-server.js';
import { DEFAULT_INTERVAL_MS, DEFAULT_WARMUP_BATCHES, numberFlag, RULES, UsageError, type RawFlags } from './flags.js';

/** `HOST:PORT`, `[V6]:PORT` or `PORT` (loopback). */
export function parseListen(s: string): { host: string; port: number } {
  if (/^\d+$/.test(s.trim())) return parseListen(`127.0.0.1:${s.trim()}`);
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+))?:?(\d+)$/.exec(s.trim());
  const host = m ? (m[1] ?? m[2] ?? '127.0.0.1') : '';
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port >= 0 && port <= 65535) || (m[1] && isIP(m[1]) !== 6))
    throw new UsageError(`--listen must be HOST:PORT, [IPv6]:PORT or PORT, got ${JSON.stringify(s)}`);
  return { host, port };
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** yargs' values for `serve` (numbers as typed), probes already parsed. */
export type ServeArgs = RawFlags & { probe?: ProbeName[] };

export function serveConfig(a: ServeArgs): ServeConfig {
  // Given twice, the last one wins (as for every other option).
  const listen = String(Array.isArray(a.listen) ? a.listen.at(-1) : (a.listen ?? '127.0.0.1:9464'));
  const { host, port } = parseListen(listen);
  const rotate = String(a.rotate ?? 'run');
  if (rotate !== 'run' && rotate !== 'hour') throw new UsageError(`--rotate must be run or hour, got ${JSON.stringify(rotate)}`);
  const runGapSeconds = numberFlag('run-gap', a['run-gap'], { must: 'a positive number of seconds', min: 0, above: true, max: RULES.timeoutSeconds.max }) ?? 60;
  const intervalMs = numberFlag('interval', a.interval, RULES.intervalMs) ?? DEFAULT_INTERVAL_MS;
  const maxFileMinutes = numberFlag('max-file-minutes', a['max-file-minutes'], { must: 'more than 0 and at most 1440', min: 0, above: true, max: 1440 }) ?? 60;
  const idleSeconds = numberFlag('idle', a.idle, RULES.idleSeconds) ?? 5;
  const simGpus = numberFlag('sim-gpus', a['sim-gpus'], { must: 'a whole number from 1 to 64', min: 1, integer: true, max: 64 });
  return {
    probes: a.probe,
    simGpus,
    intervalMs,
    idleSeconds,
    watch: ((a.watch as string[] | undefined) ?? []).map(String),
    recordDir: a['record-dir'] === undefined ? null : String(a['record-dir']),
    rotate: rotate as RotateMode,
    runGapMs: runGapSeconds * 1000,
    batchGapMs: numberFlag('batch-gap', a['batch-gap'], RULES.batchGapMs) ?? null,
    warmupBatches: numberFlag('warmup', a.warmup, RULES.warmupBatches) ?? DEFAULT_WARMUP_BATCHES,
    host,
    port,
    node: a.node === undefined ? hostname() : String(a.node),
    counterIntervalMs: numberFlag('counter-interval', a['counter-interval'], RULES.counterIntervalMs) ?? null,
    blankCheck: a['blank-check'] !== false,
    maxFileMs: maxFileMinutes * 60_000,
    allowHosts: ((a['allow-host'] as string[] | undefined) ?? [])
      .flatMap((h) => String(h).split(','))
      .map((h) => h.trim())
      .filter(Boolean),
    maxConnections:
      numberFlag('max-connections', a['max-connections'], { must: 'a whole number from 1 to 10000', min: 1, integer: true, max: 10000 }) ??
      DEFAULT_MAX_CONNECTIONS,
  };
}

/** Runs until SIGINT, SIGTERM or SIGHUP; returns the exit code. */
export async function runServe(a: ServeArgs): Promise<number> {
  const config = serveConfig(a);
  if (config.recordDir) {
    const { checkRecordFolder, RecordTargetError } = await import('../session/record-target.js');
    try {
      checkRecordFolder(config.recordDir);
    } catch (err) {
      if (err instanceof RecordTargetError) throw new UsageError(`--record-dir: ${err.message}`);
      throw err;
    }
  }
  const say = (m: string) => process.stdout.write(`genwatt serve: ${m}\n`);
  const node = new ServeNode(config);
  node.on('log', say);
  try {
    await node.start();
  } catch (err) {
    const { GpuSelectError } = await import('../measure/gpu-select.js');
    if (!(err instanceof GpuSelectError)) throw err;
    await node.stop().catch(() => undefined);
    throw new UsageError(`--watch: ${err.message}`);
  }
  const gpus = node.devices.filter((d) => !d.host);
  say(`node ${config.node}: ${gpus.length} GPU${gpus.length === 1 ? '' : 's'} (${gpus.map((d) => `${d.id} ${d.name} via ${d.probe}`).join('; ')})`);
  if (gpus.some((d) => d.simulated)) say('the simulated GPU is not real hardware: its numbers are a demo');
  // The warning before "listening": whoever waits for that line (a user, a script) has read it.
  if (!isLoopback(config.host))
    say(
      `${config.host} is reachable from other machines: you chose --listen ${config.host}:${config.port}; put a firewall or an authenticating proxy in front`,
    );
  say(`listening on ${node.url}/metrics`);
  say(
    config.recordDir
      ? `recording into ${config.recordDir} (one file per run, at most ${config.maxFileMs / 60_000} min each${config.rotate === 'hour' ? ', split at each clock hour, plus an hourly monitor file' : ''})`
      : 'not recording (--record-dir DIR to keep sessions)',
  );
  await new Promise<void>((resolve) => {
    const stop = (sig: string) => {
      say(`${sig}: stopping`);
      resolve();
    };
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(s, () => stop(s));
  });
  await node.stop();
  say('stopped');
  return 0;
}
