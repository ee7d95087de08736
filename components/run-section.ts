/** Run panel (pure): last image, steady means with spread, idle, throughput, energy method. */
import { offloadMark } from '../src/energy/resource-text.js';
import { basename } from 'node:path';
import { fixed, fmtNum, NA } from '../src/text/format.js';
import type { Glyphs } from './glyphs.js';
import { packSegments, seg, type Line } from './lines.js';
import { rule } from './text-fit.js';
import type { DashboardView } from './view-model.js';

function s3(v: number | null | undefined): string {
  return v === null || v === undefined ? NA : `${fixed(v, v < 10 ? 2 : 1)} s`;
}

function j1(v: number | null | undefined): string {
  return v === null || v === undefined ? NA : `${fixed(v, Math.abs(v) < 100 ? 1 : 0)} J`;
}

function pm(v: number | null | undefined, digits: number): string {
  return v === null || v === undefined ? '' : ` ±${fixed(v, digits)}`;
}

export function methodWords(m: DashboardView['energyMethod'], coverage: number | null, flagged: boolean): string {
  const name =
    m === null
      ? NA
      : m === 'counter'
        ? 'energy counter'
        : m === 'scaled'
          ? 'power scaled to counter'
          : m === 'instant'
            ? 'instant power'
            : m === 'average'
              ? 'AVERAGE power (flagged)'
              : 'mixed methods';
  return `energy: ${name}${flagged && m !== 'average' ? ' (some flagged)' : ''}, coverage ${coverage === null ? NA : `${Math.round(coverage * 100)}%`}`;
}

export function runLines(v: DashboardView, g: Glyphs, width: number, lines: number): Line[] {
  const s = v.summary;
  const warm = v.rows.filter((r) => r.warmup).length;
  const title =
    s && s.images > 0 ? `run ${g.dot} ${s.steadyImages} steady image${s.steadyImages === 1 ? '' : 's'}${warm ? ` after ${warm} warm-up` : ''}` : 'run';
  const out: Line[] = [[seg(rule(title, width, g.rule), 'title')]];
  const last = v.rows.length ? v.rows[v.rows.length - 1] : null;
  if (!s || !last) {
    const waiting =
      v.run.mode === 'monitor'
        ? 'monitoring: no run (l: launcher, s: start the selected preset, r: record)'
        : v.run.mode === 'replay'
          ? 'no image yet at this point of the recording'
          : v.run.state === 'idle-baseline'
            ? 'measuring idle power before the run…'
            : 'waiting for the first image…';
    out.push([seg(waiting, 'dim')]);
    const idle = v.idleWatts !== null ? `idle ${fmtNum(v.idleWatts, 1)} W` : '';
    if (lines > 1) out.push(idle ? [seg(idle)] : []);
    while (out.length < lines + 1) out.push([]);
    return out.slice(0, lines + 1);
  }
  const lastLine = packSegments(
    [
      [seg('last ', 'dim'), seg(`#${last.index + 1}`)],
      [seg(s3(last.seconds), undefined, true), seg(' '), seg(j1(last.joules), 'power', true)],
      // an offloading image says so next to its cost (what moved over PCIe is often why)
      ...(offloadMark(last) ? [[seg(offloadMark(last).toUpperCase(), 'warn')]] : []),
      [seg('steady ', 'dim'), seg(`${s3(s.secondsPerImage.mean)}${pm(s.secondsPerImage.stdev, 2)}`, undefined, true)],
      [seg(`${j1(s.joulesPerImage.mean)}${pm(s.joulesPerImage.stdev, 1)}`, 'power', true)],
      [seg('net ', 'dim'), seg(j1(s.joulesPerImage.netMean))],
      [seg(basename(last.path), 'dim')],
    ],
    width,
  );
  const second = packSegments(
    [
      [seg(`idle ${v.idleWatts === null ? NA : `${fmtNum(v.idleWatts, 1)} W`}`)],
      [seg(`${s.imagesPerHour === null ? NA : Math.round(s.imagesPerHour)} img/h`)],
      [seg(`${fmtNum(s.whPer1000Images, 1)} Wh/1000 img`)],
      [seg(methodWords(s.method, s.coverage, s.flagged), s.flagged ? 'warn' : 'dim')],
    ],
    width,
  );
  out.push(lastLine, second);
  if (lines > 2) {
    out.push(
      packSegments(
        [
          [seg(`s/img median ${s3(s.secondsPerImage.median)} p95 ${s3(s.secondsPerImage.p95)}`)],
          [seg(`J/img median ${j1(s.joulesPerImage.median)} p95 ${j1(s.joulesPerImage.p95)}`)],
          [seg(`mean ${fmtNum(s.meanWatts, 1)} W`)],
        ],
        width,
      ),
    );
  }
  return out.slice(0, lines + 1);
}
