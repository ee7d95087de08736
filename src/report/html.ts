/**
 * `genwatt report --format html`: one self-contained page (no network, no CDN, no script): the
 * comparison table, bars of J/image and s/image with spread across sessions, and per session a power
 * timeline with VRAM and image markers. Light and dark themes follow the reader's setting; printable.
 */
import { basename } from 'node:path';
import type { CompareOptions, ComparisonRow } from './compare.js';
import { comparisonRow } from './compare.js';
import { comparisonCells } from './formats.js';
import { methodText } from './report-text.js';
import type { LoadedSession, SessionDigest } from '../session/reader.js';
import { SampleDigest } from '../session/sample-digest.js';
import type { SeriesPoint } from '../series/series.js';
import { barsSvg, esc, paretoSvg, timelineSvg } from './svg-charts.js';
import { groupSessions } from './report-text.js';
import { intervalText, ratioText, startTemperatureWarnings, type ConfigGroup } from './groups.js';
import { headroomCell, heatCell, pcieCell } from './group-output.js';
import { fmtBytes, fmtNum, fmtPercent } from '../text/format.js';
import { isGpu } from '../../probes/types.js';

const CSS = `
:root { color-scheme: light dark; --fg:#1b1f24; --bg:#ffffff; --muted:#5b6570; --grid:#dde2e7; --frame:#9aa4ae; --row:#f4f6f8;
  --s0:#d9480f; --s1:#1971c2; --s2:#2f9e44; --s3:#ae3ec9; --s4:#e8590c; --s5:#0c8599; --vram:#7048e8; --warm:#f08c00; --img:#495057; }
@media (prefers-color-scheme: dark) { :root { --fg:#e6e8eb; --bg:#14171b; --muted:#9aa4ae; --grid:#2c3238; --frame:#59626b; --row:#1c2026;
  --s0:#ff8a5b; --s1:#74b9ff; --s2:#69db7c; --s3:#e599f7; --s4:#ffa94d; --s5:#66d9e8; --vram:#b197fc; --warm:#ffd43b; --img:#ced4da; } }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); margin: 24px auto; max-width: 1400px; padding: 0 16px; box-sizing: border-box; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; } .muted { color: var(--muted); }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; font-size: 12.5px; }
th, td { padding: 4px 8px; border-bottom: 1px solid var(--grid); text-align: left; vertical-align: top; } td.num, th.num { text-align: right; white-space: nowrap; }
tbody tr:nth-child(odd) { background: var(--row); } .scroll { overflow-x: auto; }
td, th { overflow-wrap: normal; word-break: normal; hyphens: manual; } table.comparison, table.groups { font-size: 12px; } table.comparison th, table.groups th { white-space: nowrap; }
tr.runs > td { padding: 0 8px 6px 24px; background: var(--bg); } tr.runs table { font-size: 11.5px; } details > summary { cursor: pointer; color: var(--muted); }
svg .front { fill: none; stroke: var(--fg); stroke-width: 1.2; stroke-dasharray: 4 3; } svg .point { stroke: var(--bg); stroke-width: 1.5; } svg .label { font-size: 11px; }
.base { font-weight: 600; }
svg.chart { display: block; margin: 8px 0; font-size: 11px; } svg text { fill: var(--fg); } svg .tick, svg .axis { fill: var(--muted); }
svg .grid { stroke: var(--grid); stroke-width: 1; } svg .frame { fill: none; stroke: var(--frame); }
svg .power-line { fill: none; stroke-width: 1.4; } svg .vram-line { fill: none; stroke: var(--vram); stroke-width: 1.2; stroke-dasharray: 5 3; } svg .tick.vram { fill: var(--vram); }
svg .s0 { stroke: var(--s0); fill: var(--s0); } svg .s1 { stroke: var(--s1); fill: var(--s1); } svg .s2 { stroke: var(--s2); fill: var(--s2); }
svg .s3 { stroke: var(--s3); fill: var(--s3); } svg .s4 { stroke: var(--s4); fill: var(--s4); } svg .s5 { stroke: var(--s5); fill: var(--s5); }
svg .power-line.s0, svg .power-line.s1, svg .power-line.s2, svg .power-line.s3, svg .power-line.s4, svg .power-line.s5 { fill: none; }
svg .marker { fill: var(--img); } svg .marker.warmup { fill: none; stroke: var(--warm); stroke-width: 1.2; } svg .bar { stroke: none; opacity: .85; } svg .whisker { stroke: var(--fg); fill: none; stroke-width: 1.2; }
section.session { break-inside: avoid; page-break-inside: avoid; border-top: 1px solid var(--grid); }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 6px 0; font-size: 13px; } dt { color: var(--muted); } dd { margin: 0; }
.warn { color: var(--s4); }
@media print { :root { --fg:#000; --bg:#fff; --muted:#444; --grid:#ccc; --row:#f3f3f3; } body { margin: 0; max-width: none; font-size: 11px; } details { display: block; } details > summary { display: none; } .scroll { overflow: visible; } }
`;

/** The session's samples as a chart-sized digest (the reader's, or made from the samples held). */
function digestOf(s: LoadedSession): SessionDigest {
  if (s.digest) return s.digest;
  const d = s.doc;
  const dg = new SampleDigest(
    d.devices.filter(isGpu).map((x) => x.id),
    d.options.gapLimitMs,
  );
  for (const r of d.samples) dg.add(r);
  return { series: dg.result(), firstMs: dg.firstMs, lastMs: dg.lastMs, resolutionMs: dg.resolutionMs, samples: d.samples.length };
}

const toPoints = (pts: readonly SeriesPoint[]): ([number, number] | null)[] => pts.map((p) => (p.value === undefined ? null : [p.tMs, p.value]));

/** Power per GPU and VRAM of the first GPU over the session, as chart points. */
function timelineData(s: LoadedSession) {
  const d = s.doc;
  const dg = digestOf(s);
  const gpus = d.devices.filter(isGpu);
  const power = gpus.map((g) => ({ label: `${g.name} (${g.id})`, points: toPoints(dg.series.get(g.id)?.power ?? []) }));
  // VRAM of the first GPU (a single GPU is the common case).
  const vram = toPoints(dg.series.get(gpus[0]?.id ?? '')?.vram ?? []);
  const total = gpus[0]?.vramTotalBytes;
  let start = Math.min(d.run.startMs ?? Infinity, dg.firstMs ?? Infinity);
  let end = Math.max(d.run.endMs ?? -Infinity, dg.lastMs ?? -Infinity);
  if (!Number.isFinite(start)) start = d.rows[0]?.windowStartMs ?? 0;
  if (!Number.isFinite(end)) end = d.rows.at(-1)?.tMs ?? start + 1;
  return { power, vram, total, start, end, samples: dg.samples, gapMs: Math.max(d.options.gapLimitMs, 2 * dg.resolutionMs) };
}

function sessionSection(s: LoadedSession, row: ComparisonRow, i: number): string {
  const d = s.doc;
  const t = timelineData(s);
  const chart = t.samples
    ? timelineSvg({
        title: `${row.session}: power and VRAM over the session`,
        startMs: t.start,
        endMs: t.end,
        power: t.power,
        vram: t.vram,
        vramTotalBytes: t.total,
        images: d.rows.map((r) => ({ tMs: r.tMs, warmup: r.warmup })),
        gapMs: t.gapMs,
      })
    : '<p class="muted">No samples in this file (a summary-only document): no timeline.</p>';
  const tags = Object.entries(d.run.tags)
    .map(([k, v]) => `${esc(k)}=${esc(v)}`)
    .join(' · ');
  const sum = d.summary;
  const rows = d.rows.slice(0, 500);
  const imageTable = `<details><summary>${d.rows.length} images${d.rows.length > rows.length ? ` (first ${rows.length} shown)` : ''}</summary><div class="scroll"><table class="images"><thead><tr><th class="num">#</th><th>file</th><th class="num">s</th><th class="num">J</th><th class="num">net J</th><th class="num">W</th><th class="num">peak VRAM</th><th>settings</th><th>marks</th></tr></thead><tbody>${rows
    .map((r) => {
      const m = r.meta;
      const settings = m
        ? [
            m.steps !== undefined ? `${m.steps} steps` : '',
            m.sampler ?? '',
            m.width && m.height ? `${m.width}×${m.height}` : '',
            m.seed !== undefined ? `seed ${m.seed}` : '',
            m.model ?? '',
          ]
            .filter(Boolean)
            .join(', ')
        : '';
      const marks = [
        r.warmup ? 'warm-up' : '',
        r.batchSize > 1 ? `batch ${r.batch}×${r.batchSize}` : '',
        r.flagged ? 'avg-power' : '',
        r.coverage < 0.95 ? `coverage ${fmtPercent(r.coverage)}` : '',
      ]
        .filter(Boolean)
        .join(' ');
      return `<tr><td class="num">${r.index + 1}</td><td>${esc(basename(r.path))}</td><td class="num">${fmtNum(r.seconds, 3)}</td><td class="num">${fmtNum(r.joules, 1)}</td><td class="num">${fmtNum(r.netJoules, 1)}</td><td class="num">${fmtNum(r.watts, 1)}</td><td class="num">${fmtBytes(r.peakVramBytes)}</td><td>${esc(settings)}</td><td>${esc(marks)}</td></tr>`;
    })
    .join('')}</tbody></table></div></details>`;
  return `<section class="session" id="session-${i}"><h2>${esc(row.session)}${d.complete ? '' : ' <span class="warn">(unfinished recording)</span>'}</h2>
<dl><dt>device(s)</dt><dd>${esc(row.devices)}</dd><dt>host</dt><dd>${esc(d.host.hostname)} · ${esc(d.host.platform)} ${esc(d.host.release)} · genwatt ${esc(d.genwatt)}</dd><dt>started</dt><dd>${esc(d.startedAt)}</dd>
<dt>run</dt><dd>${esc(d.run.argv ? d.run.argv.join(' ') : `${d.run.mode}${d.run.outDir ? ` ${d.run.outDir}` : ''}`)}</dd>${tags ? `<dt>tags</dt><dd>${tags}</dd>` : ''}
<dt>steady</dt><dd>${fmtNum(sum.secondsPerImage.mean, 3)} s/image · ${fmtNum(sum.joulesPerImage.mean, 1)} J/image (net ${fmtNum(sum.joulesPerImage.netMean, 1)}) · ${fmtNum(sum.meanWatts, 1)} W · idle ${fmtNum(sum.idleWatts, 1)} W · peak VRAM ${fmtBytes(sum.peakVramBytes)}</dd>
<dt>measured by</dt><dd>${esc(methodText(sum))}</dd>${s.warnings.map((w) => `<dt class="warn">warning</dt><dd class="warn">${esc(w)}</dd>`).join('')}</dl>
<figure>${chart}</figure>${imageTable}</section>`;
}

/** A name that breaks only between words (hyphens made non-breaking), shortened to `max` with the full name on hover. */
function name(s: string, max = 28): string {
  const short = s.length > max ? `${s.slice(0, max - 1)}…` : s;
  const nb = esc(short).replace(/-/g, '\u2011');
  return short === s ? nb : `<span title="${esc(s)}">${nb}</span>`;
}

/** Per-step, per-megapixel and cost columns go to a second table, so the first fits 1400 px. */
const SECOND_TABLE = new Set(['s/step', 'J/step', 's/MP', 'J/MP', 'cost/image', 'g CO₂e/image', 's p95', 'idle W', 'version']);

function cellsTable(cls: string, cells: { head: string[]; body: string[][]; numeric: boolean[] }, keep: (h: string) => boolean): string {
  const idx = cells.head.map((h, i) => (keep(h) ? i : -1)).filter((i) => i >= 0);
  if (idx.length <= 1) return '';
  return `<div class="scroll"><table class="${cls}"><thead><tr>${idx.map((i) => `<th${cells.numeric[i] ? ' class="num"' : ''}>${esc(cells.head[i])}</th>`).join('')}</tr></thead><tbody>${cells.body
    .map(
      (r) =>
        `<tr>${idx.map((i) => `<td${cells.numeric[i] ? ' class="num"' : ''}>${cells.head[i] === 'session' || cells.head[i] === 'device(s)' || cells.head[i] === 'model' ? name(r[i], cells.head[i] === 'session' ? 34 : 24) : esc(r[i])}</td>`).join('')}</tr>`,
    )
    .join('')}</tbody></table></div>`;
}

function groupsHtml(groups: readonly ConfigGroup[]): string {
  const head = [
    'configuration',
    'runs',
    'images',
    's/image (95% CI)',
    'J/image (95% CI)',
    'net J',
    'Wh/1000',
    'img/kWh',
    'peak VRAM',
    'PCIe in/image',
    'heat',
    'vs baseline',
    'Pareto',
  ];
  const num = [false, true, true, true, true, true, true, true, true, true, true, false, false];
  const rows = groups
    .map((g) => {
      const cells = [
        name(g.label, 60),
        String(g.runs),
        `${g.images}${g.blankImages ? ` (${g.blankImages} blank)` : ''}`,
        esc(intervalText(g.secondsPerImage, 3)),
        esc(intervalText(g.joulesPerImage, 1)),
        fmtNum(g.joulesPerImage.netMean, 1),
        fmtNum(g.whPer1000Images, 1),
        fmtNum(g.imagesPerKwh, 0),
        // two short lines a cell, so the table still fits a laptop screen
        `${fmtBytes(g.peakVramBytes)}${g.vramHeadroom === null ? '' : `<br><span class="muted">${esc(headroomCell(g))} free</span>`}`,
        `${esc(pcieCell(g))}${g.hostRssPeakBytes === null ? '' : `<br><span class="muted">host RAM ${fmtBytes(g.hostRssPeakBytes)}</span>`}`,
        esc(heatCell(g)),
        esc(ratioText(g)),
        g.pareto ? `★${g.paretoNames.length ? ` ${esc(g.paretoNames.join(', '))}` : ''}` : '',
      ];
      const runs = `<tr class="runs"><td colspan="${head.length}"><details><summary>${g.runs} run${g.runs === 1 ? '' : 's'}</summary><table><thead><tr><th>run</th><th>session</th><th class="num">images</th><th class="num">s/image</th><th class="num">J/image</th><th class="num">net J</th><th class="num">peak VRAM</th></tr></thead><tbody>${g.rows
        .map(
          (r, i) =>
            `<tr><td class="num">${i + 1}</td><td>${name(r.session, 60)}</td><td class="num">${r.images}</td><td class="num">${fmtNum(r.secondsPerImage.mean, 3)}</td><td class="num">${fmtNum(r.joulesPerImage.mean, 1)}</td><td class="num">${fmtNum(r.netJoulesPerImage, 1)}</td><td class="num">${fmtBytes(r.peakVramBytes)}</td></tr>`,
        )
        .join('')}</tbody></table></details></td></tr>`;
      return `<tr${g.baseline ? ' class="base"' : ''}>${cells.map((c, i) => `<td${num[i] ? ' class="num"' : ''}>${c}</td>`).join('')}</tr>${runs}`;
    })
    .join('');
  return `<div class="scroll"><table class="groups"><thead><tr>${head.map((h, i) => `<th${num[i] ? ' class="num"' : ''}>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows}</tbody></table></div>`;
}

export function reportHtml(sessions: readonly LoadedSession[], opts: CompareOptions = {}, now = new Date()): string {
  const rows = sessions.map((s) => comparisonRow(s, opts));
  const cells = comparisonCells(rows);
  const table = cellsTable('comparison', cells, (h) => !SECOND_TABLE.has(h)) + cellsTable('per-unit', cells, (h) => h === 'session' || SECOND_TABLE.has(h));
  const groups = opts.groupBy === null || sessions.length < 2 ? null : groupSessions(sessions, rows, opts);
  const groupSection = groups
    ? `<section id="configurations"><h2>Configurations</h2><p class="muted">${sessions.length} runs in ${groups.length} configuration${groups.length === 1 ? '' : 's'}; mean ± 95 % confidence interval across runs (Student t; a configuration with one run shows its images' spread); ratios to the baseline (${esc(groups.find((g) => g.baseline)?.label ?? 'n/a')}).</p>${groupsHtml(groups)}${startTemperatureWarnings(
        groups,
        opts.startTempMarginC,
      )
        .map((w) => `<p class="warn">Warning: ${esc(w)}</p>`)
        .join(
          '',
        )}<figure>${paretoSvg(groups.map((g) => ({ label: g.label, seconds: g.secondsPerImage.mean, joules: g.joulesPerImage.mean, secondsCi: g.secondsPerImage.ci95, joulesCi: g.joulesPerImage.ci95, pareto: g.pareto, names: g.paretoNames, peakVramBytes: g.peakVramBytes, offloading: g.offloading })))}</figure></section>`
    : '';
  // One label for the same run everywhere: the session's name.
  const label = (r: ComparisonRow) => r.session;
  const bars =
    barsSvg(
      'Energy per image',
      'J',
      rows.map((r) => ({ label: label(r), mean: r.joulesPerImage.mean, sd: r.joulesPerImage.stdev })),
      1,
    ) +
    barsSvg(
      'Time per image',
      's',
      rows.map((r) => ({ label: label(r), mean: r.secondsPerImage.mean, sd: r.secondsPerImage.stdev })),
      3,
    );
  const prices = [opts.priceKwh !== undefined ? `price ${opts.priceKwh} per kWh` : '', opts.gco2Kwh !== undefined ? `${opts.gco2Kwh} g CO₂e per kWh` : '']
    .filter(Boolean)
    .join(', ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="generator" content="genwatt">
<title>genwatt report: ${sessions.length} session${sessions.length === 1 ? '' : 's'}</title><style>${CSS}</style></head>
<body><header><h1>genwatt report</h1><p class="muted">${sessions.length} session${sessions.length === 1 ? '' : 's'} · generated ${esc(now.toISOString())}${prices ? ` · ${esc(prices)}` : ''} · steady means exclude warm-up images; ± is one standard deviation; n/a = not measured (never 0)</p></header>
${groupSection}
<section id="comparison"><h2>Sessions</h2>${table}</section>
<section id="charts"><h2>Across sessions</h2>${bars}</section>
${sessions.map((s, i) => sessionSection(s, rows[i], i)).join('\n')}
</body></html>
`;
}
