/**
 * SVG charts for the HTML report (pure: data in, markup out). Colours come from CSS variables of the
 * page (light and dark themes, print); a missing sample is a gap in the line, never a drop to 0.
 */
import { fixed } from '../text/format.js';

export const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export interface TimelineInput {
  title: string;
  startMs: number;
  endMs: number;
  /** Per device: [tMs, watts] samples, sorted; null breaks the line (a gap). */
  power: { label: string; points: readonly (readonly [number, number] | null)[] }[];
  /** Summed VRAM in bytes: [tMs, bytes], sorted; null breaks the line. */
  vram: readonly (readonly [number, number] | null)[];
  vramTotalBytes?: number;
  /** Image events (file times); warm-ups drawn apart. */
  images: readonly { tMs: number; warmup: boolean }[];
  /** Samples further apart than this are a gap. */
  gapMs: number;
  width?: number;
  height?: number;
}

/** Nice round step for an axis spanning `span` in about `n` ticks. */
export function niceStep(span: number, n = 5): number {
  if (!(span > 0)) return 1;
  const raw = span / n;
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

/**
 * Downsamples to at most `buckets` points (mean per bucket). Samples further apart than `gapMs`, or
 * a null between them, break the line; buckets between two close samples have no point of their own.
 */
export function bucketize(
  points: readonly (readonly [number, number] | null)[],
  startMs: number,
  endMs: number,
  buckets: number,
  gapMs: number,
): ([number, number] | null)[] {
  const out: ([number, number] | null)[] = [];
  const span = Math.max(1, endMs - startMs);
  const sums = new Float64Array(buckets);
  const counts = new Uint32Array(buckets);
  let prevT: number | undefined;
  const breaks = new Set<number>();
  let broken = false;
  for (const p of points) {
    if (p === null) {
      broken = true;
      continue;
    }
    const [t, v] = p;
    if (t < startMs || t > endMs || !Number.isFinite(v)) continue;
    const b = Math.min(buckets - 1, Math.floor(((t - startMs) / span) * buckets));
    if ((prevT !== undefined && t - prevT > gapMs) || broken) breaks.add(b);
    broken = false;
    sums[b] += v;
    counts[b]++;
    prevT = t;
  }
  for (let b = 0; b < buckets; b++) {
    if (breaks.has(b)) out.push(null);
    if (counts[b]) out.push([startMs + ((b + 0.5) / buckets) * span, sums[b] / counts[b]]);
  }
  return out;
}

function path(pts: readonly ([number, number] | null)[], x: (t: number) => number, y: (v: number) => number): string {
  let d = '';
  let pen = false;
  for (const p of pts) {
    if (!p) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`;
    pen = true;
  }
  return d;
}

const fmtTime = (s: number) => (s >= 120 ? `${(s / 60).toFixed(s >= 600 ? 0 : 1)} min` : `${s.toFixed(0)} s`);

/** Power over time per device (W, left axis), VRAM (GiB, right axis, dashed), image markers. */
export function timelineSvg(inp: TimelineInput): string {
  const W = inp.width ?? 900;
  const H = inp.height ?? 260;
  const m = { l: 52, r: 56, t: 14, b: 42 };
  const iw = W - m.l - m.r;
  const ih = H - m.t - m.b;
  const span = Math.max(1, inp.endMs - inp.startMs);
  const x = (t: number) => m.l + ((t - inp.startMs) / span) * iw;
  let pMax = 0;
  for (const s of inp.power) for (const p of s.points) if (p && Number.isFinite(p[1]) && p[1] > pMax) pMax = p[1];
  const pStep = niceStep(pMax || 1, 4);
  const pTop = Math.max(pStep, Math.ceil((pMax || 1) / pStep) * pStep);
  const yP = (v: number) => m.t + ih - (v / pTop) * ih;
  let vMax = inp.vramTotalBytes ?? 0;
  for (const p of inp.vram) if (p && p[1] > vMax) vMax = p[1];
  const gib = vMax / 1024 ** 3;
  const vStep = niceStep(gib || 1, 4);
  const vTop = Math.max(vStep, Math.ceil((gib || 1) / vStep) * vStep);
  const yV = (bytes: number) => m.t + ih - (bytes / 1024 ** 3 / vTop) * ih;
  const buckets = Math.max(50, Math.min(1200, Math.floor(iw)));
  const parts: string[] = [];
  parts.push(`<svg class="chart timeline" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${esc(inp.title)}" xmlns="http://www.w3.org/2000/svg">`);
  parts.push(`<title>${esc(inp.title)}</title>`);
  for (let v = 0; v <= pTop + 1e-9; v += pStep)
    parts.push(
      `<line class="grid" x1="${m.l}" x2="${m.l + iw}" y1="${yP(v).toFixed(1)}" y2="${yP(v).toFixed(1)}"/><text class="tick" x="${m.l - 6}" y="${(yP(v) + 4).toFixed(1)}" text-anchor="end">${+v.toFixed(6)}</text>`,
    );
  for (let v = 0; v <= vTop + 1e-9; v += vStep)
    parts.push(`<text class="tick vram" x="${m.l + iw + 6}" y="${(m.t + ih - (v / vTop) * ih + 4).toFixed(1)}">${+v.toFixed(6)}</text>`);
  const tStep = niceStep(span / 1000, 6);
  for (let s = 0; s <= span / 1000 + 1e-9; s += tStep)
    parts.push(`<text class="tick" x="${x(inp.startMs + s * 1000).toFixed(1)}" y="${m.t + ih + 16}" text-anchor="middle">${fmtTime(s)}</text>`);
  parts.push(`<text class="axis" x="${m.l}" y="${H - 4}">W (lines) · VRAM GiB (dashed, right) · ▲ image, △ warm-up</text>`);
  if (inp.vram.length) parts.push(`<path class="vram-line" d="${path(bucketize(inp.vram, inp.startMs, inp.endMs, buckets, inp.gapMs), x, yV)}"/>`);
  inp.power.forEach((s, i) =>
    parts.push(
      `<path class="power-line s${i % 6}" d="${path(bucketize(s.points, inp.startMs, inp.endMs, buckets, inp.gapMs), x, yP)}"><title>${esc(s.label)}</title></path>`,
    ),
  );
  for (const im of inp.images) {
    const cx = x(im.tMs);
    // Inside the plot, standing on the time axis: clear of the time labels below it.
    const y0 = m.t + ih - 8;
    parts.push(`<path class="marker${im.warmup ? ' warmup' : ''}" d="M${cx.toFixed(1)},${y0} l-3.5,7 h7 z"/>`);
  }
  parts.push(`<rect class="frame" x="${m.l}" y="${m.t}" width="${iw}" height="${ih}"/>`);
  parts.push('</svg>');
  return parts.join('');
}

export interface BarItem {
  label: string;
  mean: number | null;
  sd: number | null;
}

/** Horizontal bars (mean) with ±sd whiskers, one per session; unknown is written as n/a, no bar. */
export function barsSvg(title: string, unit: string, items: readonly BarItem[], digits = 1, width = 900): string {
  const rowH = 26;
  const m = { l: 260, r: 90, t: 26, b: 24 };
  const H = m.t + m.b + rowH * items.length;
  const iw = width - m.l - m.r;
  const max = Math.max(1e-9, ...items.map((i) => (i.mean ?? 0) + (i.sd ?? 0)));
  const step = niceStep(max, 4);
  const top = Math.ceil(max / step) * step;
  const x = (v: number) => m.l + (v / top) * iw;
  const parts = [
    `<svg class="chart bars" viewBox="0 0 ${width} ${H}" width="100%" role="img" aria-label="${esc(title)}" xmlns="http://www.w3.org/2000/svg"><title>${esc(title)}</title>`,
  ];
  parts.push(`<text class="axis" x="${m.l}" y="14">${esc(title)} (${esc(unit)}), mean ± sd of steady images</text>`);
  for (let v = 0; v <= top + 1e-9; v += step) {
    parts.push(`<line class="grid" x1="${x(v).toFixed(1)}" x2="${x(v).toFixed(1)}" y1="${m.t}" y2="${H - m.b}"/>`);
    // The value axis: a labelled tick under each grid line.
    parts.push(`<text class="tick" x="${x(v).toFixed(1)}" y="${H - 8}" text-anchor="middle">${fixed(v, step < 1 ? 2 : 0)}</text>`);
  }
  items.forEach((it, i) => {
    const y = m.t + i * rowH;
    const label = it.label.length > 38 ? `${it.label.slice(0, 37)}…` : it.label;
    parts.push(`<text class="label" x="${m.l - 8}" y="${y + 17}" text-anchor="end">${esc(label)}<title>${esc(it.label)}</title></text>`);
    if (it.mean === null) {
      parts.push(`<text class="value" x="${m.l + 4}" y="${y + 17}">n/a</text>`);
      return;
    }
    parts.push(
      `<rect class="bar s${i % 6}" x="${m.l}" y="${y + 5}" width="${Math.max(0.5, x(it.mean) - m.l).toFixed(1)}" height="${rowH - 10}"><title>${esc(`${it.label}: ${fixed(it.mean, digits)} ${unit}${it.sd !== null ? ` ± ${fixed(it.sd, digits)}` : ''}`)}</title></rect>`,
    );
    if (it.sd !== null && it.sd > 0) {
      const a = x(Math.max(0, it.mean - it.sd));
      const b = x(it.mean + it.sd);
      parts.push(
        `<path class="whisker" d="M${a.toFixed(1)},${y + 13}H${b.toFixed(1)}M${a.toFixed(1)},${y + 8}V${y + 18}M${b.toFixed(1)},${y + 8}V${y + 18}"/>`,
      );
    }
    parts.push(`<text class="value" x="${(x(it.mean + (it.sd ?? 0)) + 6).toFixed(1)}" y="${y + 17}">${fixed(it.mean, digits)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

export interface ParetoPoint {
  label: string;
  seconds: number | null;
  joules: number | null;
  /** 95 % CI half-widths. */
  secondsCi: number | null;
  joulesCi: number | null;
  pareto: boolean;
  names: string[];
  /** Peak VRAM: the point's area grows with it (absent: the plain size). */
  peakVramBytes?: number | null;
  /** Some of its images moved their model over PCIe (offloading): drawn hollow and labelled. */
  offloading?: boolean;
}

/**
 * The trade-off figure: s/image (x) against J/image (y), one point per configuration with both
 * 95 % intervals as whiskers; the Pareto-optimal ones joined by a line and named.
 */
export function paretoSvg(points: readonly ParetoPoint[], width = 900, height = 420): string {
  const known = points.filter((p) => p.seconds !== null && p.joules !== null);
  const m = { l: 70, r: 30, t: 30, b: 46 };
  const iw = width - m.l - m.r;
  const ih = height - m.t - m.b;
  const xs = known.flatMap((p) => [p.seconds! - (p.secondsCi ?? 0), p.seconds! + (p.secondsCi ?? 0)]);
  const ys = known.flatMap((p) => [p.joules! - (p.joulesCi ?? 0), p.joules! + (p.joulesCi ?? 0)]);
  const span = (v: number[]) => {
    const lo = Math.max(0, Math.min(...v));
    const hi = Math.max(...v);
    const pad = (hi - lo || hi || 1) * 0.12;
    const step = niceStep(hi - lo + 2 * pad, 5);
    return { lo: Math.max(0, Math.floor((lo - pad) / step) * step), hi: Math.ceil((hi + pad) / step) * step, step };
  };
  const parts = [
    `<svg class="chart pareto" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="Time against energy per image" xmlns="http://www.w3.org/2000/svg"><title>Time against energy per image</title>`,
  ];
  parts.push(
    `<text class="axis" x="${m.l}" y="16">Energy against time per image: mean ± 95 % CI; ★ = Pareto-optimal (no configuration is both faster and leaner)</text>`,
  );
  if (!known.length) {
    parts.push(`<text class="value" x="${m.l}" y="${m.t + 20}">n/a: no configuration has both figures</text></svg>`);
    return parts.join('');
  }
  const X = span(xs);
  const Y = span(ys);
  const x = (v: number) => m.l + ((v - X.lo) / (X.hi - X.lo || 1)) * iw;
  const y = (v: number) => m.t + ih - ((v - Y.lo) / (Y.hi - Y.lo || 1)) * ih;
  const d = (v: number, step: number) => fixed(v, step < 0.1 ? 2 : step < 1 ? 1 : 0);
  for (let v = X.lo; v <= X.hi + 1e-9; v += X.step)
    parts.push(
      `<line class="grid" x1="${x(v).toFixed(1)}" x2="${x(v).toFixed(1)}" y1="${m.t}" y2="${m.t + ih}"/><text class="tick" x="${x(v).toFixed(1)}" y="${m.t + ih + 16}" text-anchor="middle">${d(v, X.step)}</text>`,
    );
  for (let v = Y.lo; v <= Y.hi + 1e-9; v += Y.step)
    parts.push(
      `<line class="grid" x1="${m.l}" x2="${m.l + iw}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}"/><text class="tick" x="${m.l - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${d(v, Y.step)}</text>`,
    );
  parts.push(`<rect class="frame" x="${m.l}" y="${m.t}" width="${iw}" height="${ih}"/>`);
  parts.push(
    `<text class="axis" x="${m.l + iw / 2}" y="${height - 8}" text-anchor="middle">seconds per image</text><text class="axis" transform="translate(16 ${m.t + ih / 2}) rotate(-90)" text-anchor="middle">joules per image</text>`,
  );
  // VRAM as the point's area (√ scale, 4–14 px radius over the shown peaks), so "what fits" reads off the chart.
  const vrams = known.map((p) => p.peakVramBytes).filter((v): v is number => typeof v === 'number' && v > 0);
  const vmax = vrams.length ? Math.max(...vrams) : 0;
  const radius = (p: ParetoPoint) => (vmax > 0 && p.peakVramBytes ? 4 + 10 * Math.sqrt(p.peakVramBytes / vmax) : p.pareto ? 6 : 4.5);
  if (vmax > 0 || known.some((p) => p.offloading))
    parts.push(
      `<text class="tick" x="${m.l + iw}" y="16" text-anchor="end">${vmax > 0 ? `point area: peak VRAM (largest ${fixed(vmax / 1024 ** 3, 1)} GiB)` : ''}${known.some((p) => p.offloading) ? `${vmax > 0 ? '; ' : ''}hollow: offloading` : ''}</text>`,
    );
  const front = known.filter((p) => p.pareto).sort((a, b) => a.seconds! - b.seconds!);
  if (front.length > 1)
    parts.push(`<path class="front" d="${front.map((p, i) => `${i ? 'L' : 'M'}${x(p.seconds!).toFixed(1)},${y(p.joules!).toFixed(1)}`).join('')}"/>`);
  known.forEach((p, i) => {
    const cx = x(p.seconds!);
    const cy = y(p.joules!);
    if (p.secondsCi)
      parts.push(
        `<path class="whisker" d="M${x(Math.max(X.lo, p.seconds! - p.secondsCi)).toFixed(1)},${cy.toFixed(1)}H${x(p.seconds! + p.secondsCi).toFixed(1)}"/>`,
      );
    if (p.joulesCi)
      parts.push(
        `<path class="whisker" d="M${cx.toFixed(1)},${y(Math.max(Y.lo, p.joules! - p.joulesCi)).toFixed(1)}V${y(p.joules! + p.joulesCi).toFixed(1)}"/>`,
      );
    parts.push(
      `<circle class="point s${i % 6}${p.offloading ? ' offload' : ''}" cx="${cx.toFixed(1)}" cy="${cy.toFixed(1)}" r="${radius(p).toFixed(1)}"${p.offloading ? ' fill-opacity="0.15" stroke-width="2.5"' : ''}><title>${esc(`${p.label}: ${fixed(p.seconds!, 3)} s, ${fixed(p.joules!, 1)} J${p.peakVramBytes ? `, peak VRAM ${fixed(p.peakVramBytes / 1024 ** 3, 2)} GiB` : ''}${p.offloading ? ', OFFLOADING' : ''}`)}</title></circle>`,
    );
    const name = `${p.pareto ? '★ ' : ''}${p.label.length > 40 ? `${p.label.slice(0, 39)}…` : p.label}${p.names.length ? ` (${p.names.join(', ')})` : ''}${p.offloading ? ' [offload]' : ''}`;
    parts.push(`<text class="label" x="${(cx + 9).toFixed(1)}" y="${(cy - 8).toFixed(1)}">${esc(name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}
