/**
 * Plain line output (no TTY, CI, --plain): progress and notes on stderr, one line per image and the
 * final summary on stdout (or only the report JSON with --json), so scripts can read stdout.
 */
import { basename } from 'node:path';
import { isGpu, type DeviceInfo, type Reading } from '../../probes/types.js';
import type { ImageRow } from '../energy/image-rows.js';
import type { MeasureSession, SessionResult } from '../measure/measure-session.js';
import { asleepLine, fmtBytes, fmtClock, fmtNum, fmtPercent, fmtWatts, NA } from '../text/format.js';
import { printable } from '../text/text-width.js';
import { reportImage, summaryText } from '../report/report-text.js';
import type { LogLine, Note } from '../session/types.js';
import { jsonGuard } from '../text/output-guard.js';
import { etaSeconds, runningMean } from '../measure/eta.js';
import { memoryParts, offloadMark, tempText, throttleMark } from '../energy/resource-text.js';

export interface PlainOptions {
  json: boolean;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  /** Echo the generator's output to stderr. */
  showChildOutput: boolean;
}

/** A number and its unit, or n/a alone (never "n/a J"). */
function withUnit(v: number | null | undefined, digits: number, unit: string): string {
  return v === null || v === undefined || !Number.isFinite(v) ? NA : `${fmtNum(v, digits)} ${unit}`;
}

export function imageLine(r: ImageRow, target: number | null, eta: number | null = null): string {
  const marks = [
    r.warmup ? 'warm-up' : '',
    r.blank ? `BLANK (entropy ${r.entropyBits?.toFixed(2)} bits): left out of the means` : '',
    offloadMark(r),
    throttleMark(r.heat),
    r.batchSize > 1 ? `batch of ${r.batchSize}` : '',
    r.flagged ? 'AVG-POWER' : '',
    r.coverage < 0.95 ? `coverage ${fmtPercent(r.coverage)}` : '',
  ].filter(Boolean);
  return [
    `image ${r.index + 1}${target ? `/${target}` : ''}`,
    printable(basename(r.path)),
    withUnit(r.seconds, 3, 's'),
    withUnit(r.joules, 1, 'J'),
    `net ${withUnit(r.netJoules, 1, 'J')}`,
    withUnit(r.watts, 1, 'W'),
    `peak VRAM ${fmtBytes(r.peakVramBytes)}`,
    r.method ?? NA,
    // each external meter over the same window, named by what it measures
    ...(r.meters ?? []).map((m) => `meter ${withUnit(m.joules, 1, 'J')} (${m.scope})`),
    ...marks,
    // memory pressure and heat after the marks (scripts read the fields before them)
    ...memoryParts(r),
    tempText(r.heat),
    // Time left, last (scripts read the fields before it): only with a target and a steady image.
    ...(eta !== null && target !== null && r.index + 1 < target ? [`ETA ${fmtClock(Math.ceil(eta))}`] : []),
  ]
    .filter(Boolean)
    .join('  ');
}

export function deviceLine(d: DeviceInfo, r: Reading | undefined): string {
  const kind = r?.powerKind ? ` (${r.powerKind})` : '';
  const parts = [d.id.padEnd(16), (r?.powerWatts !== undefined ? fmtWatts(r.powerWatts) + kind : `power ${NA}`).padEnd(20)];
  if (r?.pmState !== undefined && r.powerWatts === undefined) return `${d.id.padEnd(16)}  ${asleepLine(r.pmState)}`;
  if (d.meter) return `${parts.join('  ')}  ${d.powerScope ?? 'external meter'}`;
  if (d.host) {
    parts.push(`CPU ${fmtNum(r?.cpuPercent, 1)}%`, `RAM ${fmtBytes(r?.ramUsedBytes)}`);
  } else {
    parts.push(
      `VRAM ${fmtBytes(r?.vramUsedBytes)}/${fmtBytes(d.vramTotalBytes)}`,
      `util ${fmtNum(r?.utilizationPercent, 0)}%`,
      `${fmtNum(r?.temperatureC, 0)} °C`,
      `${fmtNum(r?.clockMhz, 0)} MHz`,
    );
    if (r?.energyJoules !== undefined) parts.push(`counter ${fmtNum(r.energyJoules, 1)} J`);
  }
  return parts.join('  ');
}

function safeWrite(stream: NodeJS.WritableStream, text: string): void {
  try {
    stream.write(text);
  } catch {
    // a dropped terminal (EPIO/EPIPE) must not stop the measurement
  }
}

/** Wires a session to plain output; returns a function that prints the end. */
export function attachPlain(session: MeasureSession, opts: PlainOptions): (result: SessionResult) => void {
  const info = (s: string) => safeWrite(opts.err, `genwatt: ${s}\n`);
  session.on('state', (s: string) => {
    if (s === 'idle-baseline') info(`measuring idle power for ${session.config.idleSeconds} s…`);
    if (s === 'running') {
      const devs = session.devices
        .filter(isGpu)
        .map((d) => `${d.name} [${d.id}]`)
        .join(', ');
      const idle = session.idle?.totalWatts;
      if (session.idle) info(`idle ${idle == null ? NA : fmtWatts(idle)} (${session.idle.devices.map((d) => d.method ?? NA).join(', ')})`);
      const meters = session.devices.filter((d) => d.meter).map((d) => `${d.name} (${d.powerScope ?? 'external meter'})`);
      info(
        `measuring ${devs}${meters.length ? `; meters apart: ${meters.join(', ')}` : ''}${session.recordFile ? `; recording to ${session.recordFile}` : ''}`,
      );
      if (session.simulated) info('SIMULATED GPU: these numbers are the demo model, not hardware');
    }
  });
  const said = new Set<string>();
  session.on('note', (n: Note) => {
    said.add(n.message);
    info(printable(n.source === 'genwatt' ? n.message : `${n.source}: ${n.message}`));
  });
  if (opts.showChildOutput) session.on('log', (l: LogLine) => safeWrite(opts.err, `  | ${l.line}\n`));
  const steady = runningMean();
  if (!opts.json)
    session.on('rows', (rows: ImageRow[]) =>
      rows.forEach((r) => {
        const target = session.config.count ?? session.config.expectedImages ?? null;
        // The steady mean so far, kept as rows come (no pass over all rows per image).
        if (!r.warmup && !r.blank) steady.add(r.seconds);
        const eta = etaSeconds({ done: r.index + 1, target, meanSeconds: steady.mean() });
        safeWrite(opts.out, imageLine(r, target, eta) + '\n');
      }),
    );
  // `monitor --plain | head -2`: the reader is gone, so is monitoring's only purpose. (A run keeps
  // measuring when its output goes: its recording is what matters, and a dropped ssh looks the same.)
  if (session.config.mode === 'monitor' && 'on' in opts.out)
    opts.out.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') session.stop('interrupted');
    });
  if (session.config.mode === 'monitor' && !opts.json) {
    const timer = setInterval(() => {
      for (const d of session.devices)
        safeWrite(opts.out, `${new Date().toISOString().slice(11, 19)}  ${deviceLine(d, session.timeline.devices.get(d.id)?.latest)}\n`);
    }, 1000);
    session.once('end', () => clearInterval(timer));
  }
  return (result) => {
    if (opts.json) {
      const file = result.recordFile ?? result.journalFile;
      const report = { sessions: [{ file, complete: result.doc.complete, summary: result.summary, images: result.rows.map(reportImage), warnings: [] }] };
      safeWrite(opts.out, jsonGuard(JSON.stringify(report, null, 2)) + '\n');
    } else if (session.config.mode !== 'monitor' || result.rows.length > 0) {
      safeWrite(opts.out, `\n${summaryText(result.summary, session.simulated)}\n`);
    }
    if (result.doc.run.exit?.message && result.doc.run.exit.reason !== 'exited') info(result.doc.run.exit.message);
    if (result.stderrTail.length) {
      info("the command's last lines on stderr:");
      for (const l of result.stderrTail) safeWrite(opts.err, `  | ${printable(l)}\n`);
    }
    if (result.error && !said.has(result.error)) info(result.error);
    if (result.recordFile) info(`session recorded to ${result.recordFile}`);
    else if (result.journalFile) info(`session journal kept at ${result.journalFile}`);
  };
}
