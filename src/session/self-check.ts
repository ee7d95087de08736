/**
 * A stored session checked against itself before anything is reported from it: every row's window,
 * seconds, joules and watts agree with one another and with what the charged GPUs can draw (else
 * the file is refused, naming the row's line), and the summary is recomputed from the rows (a stored
 * summary that disagrees is replaced, with a warning). A row of −1e9 J is never "least energy".
 */
import { isGpu, type DeviceInfo, type Reading } from '../../probes/types.js';
import { LIMIT_EXCURSION } from '../../probes/plausibility.js';
import { summarize } from '../energy/summary.js';
import { SessionFileError } from './session-file-error.js';
import type { SessionDoc } from './types.js';

/** Stored floats round-trip exactly; this only absorbs the order of operations. */
const close = (a: number, b: number) => Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a), Math.abs(b));

/** Most the charged GPUs can draw together, W; undefined when a limit is unknown. */
function chargedMaxWatts(devices: readonly DeviceInfo[], charged: readonly string[] | undefined): number | undefined {
  const gpus = devices.filter((d) => isGpu(d) && (!charged || charged.includes(d.id)));
  if (gpus.length === 0 || gpus.some((d) => d.powerLimitWatts === undefined)) return undefined;
  return LIMIT_EXCURSION * gpus.reduce((a, d) => a + d.powerLimitWatts!, 0);
}

/** Throws SessionFileError at the first row that contradicts itself or the hardware. */
export function checkRows(doc: SessionDoc, file: string, rowLine: (index: number) => number | undefined): void {
  const maxWatts = chargedMaxWatts(doc.devices, doc.run.gpus);
  doc.rows.forEach((r, i) => {
    const fail = (why: string) => {
      throw new SessionFileError(file, rowLine(i), `/rows/${i} ${why}`);
    };
    const windowSeconds = (r.windowEndMs - r.windowStartMs) / 1000;
    if (windowSeconds < 0) fail(`ends ${(-windowSeconds).toFixed(3)} s before it starts (windowEndMs < windowStartMs)`);
    if (!close(r.seconds, windowSeconds / r.batchSize)) fail(`lasts ${r.seconds} s, but its window is ${windowSeconds} s for ${r.batchSize} image(s)`);
    if (r.joules === null) return;
    if (r.joules < 0) fail(`has ${r.joules} J: energy is never negative`);
    if (r.netJoules !== null && r.netJoules > r.joules + 1e-6) fail(`has more energy net of idle (${r.netJoules} J) than in all (${r.joules} J)`);
    if (r.watts !== null && windowSeconds > 0 && !close(r.watts, (r.joules * r.batchSize) / windowSeconds))
      fail(`says ${r.watts} W, but ${r.joules} J over its ${r.seconds} s is ${r.joules / r.seconds} W`);
    if (maxWatts !== undefined && r.seconds > 0 && r.joules / r.seconds > maxWatts)
      fail(`draws ${(r.joules / r.seconds).toFixed(1)} W: more than the charged GPUs can (${maxWatts} W, twice their power limits)`);
  });
}

/**
 * The summary as the rows make it. Returns the warnings: a stored summary that failed its schema
 * (`setAside`) or disagrees with the rows is replaced by the recomputed one.
 */
export function recheckSummary(doc: SessionDoc, file: string, setAside: string | undefined): string[] {
  const stored = doc.summary;
  const storedDuration = setAside === undefined ? stored.durationSeconds : null;
  const runSeconds = doc.run.startMs !== null && doc.run.endMs !== null ? (doc.run.endMs - doc.run.startMs) / 1000 : null;
  const duration = storedDuration ?? (runSeconds !== null && runSeconds >= 0 ? runSeconds : null);
  const fresh = summarize(doc.rows, doc.idle ?? undefined, duration);
  if (setAside !== undefined) {
    doc.summary = fresh;
    return [`${file}: the stored summary is not valid (${setAside}): recomputed from the rows`];
  }
  const pairs: [string, number | null, number | null][] = [
    ['images', stored.images, fresh.images],
    ['steady images', stored.steadyImages ?? fresh.steadyImages, fresh.steadyImages],
    ['s/image mean', stored.secondsPerImage.mean, fresh.secondsPerImage.mean],
    ['J/image mean', stored.joulesPerImage.mean, fresh.joulesPerImage.mean],
    [
      'net J/image mean',
      stored.joulesPerImage.netMean === undefined ? fresh.joulesPerImage.netMean : stored.joulesPerImage.netMean,
      fresh.joulesPerImage.netMean,
    ],
  ];
  const differ = pairs.filter(([, a, b]) => (a === null || b === null ? a !== b : !close(a, b)));
  if (differ.length === 0) return [];
  doc.summary = fresh;
  const num = (v: number | null) => (v === null ? 'n/a' : String(Number(v.toPrecision(6))));
  const said = differ.map(([what, a, b]) => `${what} ${num(a)} stored, ${num(b)} from the rows`).join('; ');
  return [`${file}: the stored summary disagrees with its rows (${said}): the rows' figures are shown`];
}

/**
 * Power and energy samples of one device are recorded in time order (session-core drops a reading
 * earlier than the last): one out of order means the file was altered or is not genwatt's.
 */
export class SampleOrder {
  private readonly last = new Map<string, { tMs: number; where: string }>();

  constructor(private readonly file: string) {}

  fresh(): SampleOrder {
    return new SampleOrder(this.file);
  }

  check(r: Reading, index: number, line: number | undefined): void {
    if (r.powerWatts === undefined && r.energyJoules === undefined) return;
    const where = line !== undefined ? `line ${line}` : `/samples/${index}`;
    const prev = this.last.get(r.deviceId);
    if (prev && r.tMs < prev.tMs)
      throw new SessionFileError(
        this.file,
        line,
        `/samples/${index} (${r.deviceId}) is ${((prev.tMs - r.tMs) / 1000).toFixed(3)} s earlier than the sample before it (${prev.where}): samples are recorded in time order`,
      );
    this.last.set(r.deviceId, { tMs: r.tMs, where });
  }
}
