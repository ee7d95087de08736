/** Configuration groups as a text table, Markdown, CSV and the report JSON's `groups` (pure). */
import { fmtBytes, fmtNum, NA } from '../text/format.js';
import { fitTable, leftOutNote, wrapWords, type FitColumn } from '../text/fit-table.js';
import { csvCell, markdownCell } from './formats.js';
import { intervalText, ratioText, startTemperatureWarnings, type ConfigGroup } from './groups.js';
import { fmtGb } from '../energy/resource-text.js';

/** `5.3 GB offload 100%` / `0.004 GB` / n/a: host→GPU per image, and the offloading share when any. */
export const pcieCell = (g: Pick<ConfigGroup, 'pcieRxBytesPerImage' | 'offloadShare'>) =>
  g.pcieRxBytesPerImage === null ? NA : `${fmtGb(g.pcieRxBytesPerImage)}${g.offloadShare ? ` OFFLOAD ${Math.round(g.offloadShare * 100)}%` : ''}`;
export const heatCell = (g: Pick<ConfigGroup, 'meanTemperatureC' | 'throttledShare'>) =>
  g.meanTemperatureC === null ? NA : `${fmtNum(g.meanTemperatureC, 0)} °C${g.throttledShare ? ` thr ${Math.round(g.throttledShare * 100)}%` : ''}`;
export const headroomCell = (g: Pick<ConfigGroup, 'vramHeadroom'>) => (g.vramHeadroom === null ? NA : `${Math.round(g.vramHeadroom * 100)}%`);

const paretoText = (g: ConfigGroup) => (g.pareto ? `★${g.paretoNames.length ? ` ${g.paretoNames.join(', ')}` : ''}` : '');

/** One line per configuration, its runs indented beneath; the Pareto front named. */
export function groupsText(groups: readonly ConfigGroup[], widthCols?: number, marginC?: number): string {
  const cols: FitColumn[] = [
    { head: 'configuration', keep: Infinity, minWidth: 20 },
    { head: 'runs', right: true, keep: 40 }, // the runs are the rows beneath
    { head: 'images', right: true, keep: 70 },
    { head: 's/image (95% CI)', right: true, keep: 100 },
    { head: 'J/image (95% CI)', right: true, keep: 100 },
    { head: 'net J', right: true, keep: 50 },
    { head: 'Wh/1000', right: true, keep: 30 },
    { head: 'img/kWh', right: true, keep: 20 },
    { head: 'peak VRAM', right: true, keep: 80 },
    // VRAM headroom and host RAM are in the Markdown, CSV, HTML and JSON (and each session's summary)
    { head: 'PCIe in/img', right: true, keep: 60 },
    { head: 'heat', right: true, keep: 32 },
    { head: 'vs baseline', keep: 40 },
    { head: 'Pareto', keep: 45 }, // the Pareto front line below names it too
  ];
  const body: string[][] = [];
  for (const g of groups) {
    body.push([
      g.label,
      String(g.runs),
      `${g.images}${g.blankImages ? ` (${g.blankImages} blank)` : ''}`,
      intervalText(g.secondsPerImage, 3, '*'),
      intervalText(g.joulesPerImage, 1, '*'),
      fmtNum(g.joulesPerImage.netMean, 1),
      fmtNum(g.whPer1000Images, 1),
      fmtNum(g.imagesPerKwh, 0),
      fmtBytes(g.peakVramBytes),
      pcieCell(g),
      heatCell(g),
      ratioText(g),
      paretoText(g),
    ]);
    if (g.runs > 1)
      g.rows.forEach((r, i) =>
        body.push([
          `  ↳ run ${i + 1}: ${r.session}`,
          '',
          String(r.images),
          fmtNum(r.secondsPerImage.mean, 3),
          fmtNum(r.joulesPerImage.mean, 1),
          fmtNum(r.netJoulesPerImage, 1),
          fmtNum(r.whPer1000Images, 1),
          fmtNum(r.imagesPerKwh, 0),
          fmtBytes(r.peakVramBytes),
          pcieCell(r),
          heatCell({ meanTemperatureC: r.startTemperatureC, throttledShare: r.throttledShare }).replace(/^(\d+ °C)/, 'start $1'),
          '',
          '',
        ]),
      );
  }
  const front = groups.filter((g) => g.pareto).map((g) => `${g.label}${g.paretoNames.length ? ` (${g.paretoNames.join(', ')})` : ''}`);
  const t = fitTable(cols, body, widthCols);
  const oneRun = groups.some((g) => g.secondsPerImage.over === 'images' || g.joulesPerImage.over === 'images')
    ? '\n* one run: the interval is across its images, not across runs'
    : '';
  const warn = startTemperatureWarnings(groups, marginC).map((w) => `\n${wrapWords(`WARNING: ${w}`, widthCols)}`);
  return `${t.text}${leftOutNote(t, widthCols)}${oneRun}\n\n${wrapWords(`Pareto front (no other configuration is both faster and leaner): ${front.join('; ') || NA}`, widthCols)}\n${warn.join('')}${warn.length ? '\n' : ''}`;
}

export function groupsMarkdown(groups: readonly ConfigGroup[], marginC?: number): string {
  const esc = markdownCell;
  const lines = [
    '| configuration | runs | images | s/image (95% CI) | J/image (95% CI) | net J | Wh/1000 | img/kWh | peak VRAM | VRAM free | PCIe in/image | host RAM | heat | vs baseline | Pareto |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |',
  ];
  for (const g of groups) {
    lines.push(
      `| **${esc(g.label)}** | ${g.runs} | ${g.images} | ${intervalText(g.secondsPerImage, 3)} | ${intervalText(g.joulesPerImage, 1)} | ${fmtNum(g.joulesPerImage.netMean, 1)} | ${fmtNum(g.whPer1000Images, 1)} | ${fmtNum(g.imagesPerKwh, 0)} | ${fmtBytes(g.peakVramBytes)} | ${headroomCell(g)} | ${pcieCell(g)} | ${fmtBytes(g.hostRssPeakBytes)} | ${heatCell(g)} | ${ratioText(g)} | ${paretoText(g)} |`,
    );
    if (g.runs > 1)
      for (const [i, r] of g.rows.entries())
        lines.push(
          `| &nbsp;&nbsp;↳ run ${i + 1}: ${esc(r.session)} |  | ${r.images} | ${fmtNum(r.secondsPerImage.mean, 3)} | ${fmtNum(r.joulesPerImage.mean, 1)} | ${fmtNum(r.netJoulesPerImage, 1)} | ${fmtNum(r.whPer1000Images, 1)} | ${fmtNum(r.imagesPerKwh, 0)} | ${fmtBytes(r.peakVramBytes)} |  | ${pcieCell(r)} | ${fmtBytes(r.hostRssPeakBytes)} | ${r.startTemperatureC === null ? NA : `start ${fmtNum(r.startTemperatureC, 0)} °C`} |  |  |`,
        );
  }
  const warn = startTemperatureWarnings(groups, marginC);
  return lines.join('\n') + '\n' + (warn.length ? `\n${warn.map((w) => `> **Warning:** ${markdownCell(w)}`).join('\n>\n')}\n` : '');
}

/** A row per configuration (`run` empty) and one per run beneath it (`run` = 1, 2, …); raw numbers. */
export function groupsCsv(groups: readonly ConfigGroup[], prices: { priceKwh?: number; gco2Kwh?: number } = {}): string {
  // Cost and CO₂ per image follow from the mean J/image; columns only when a price or intensity was given.
  const extra = (j: number | null) => [
    ...(prices.priceKwh !== undefined ? [j === null ? null : (j / 3.6e6) * prices.priceKwh] : []),
    ...(prices.gco2Kwh !== undefined ? [j === null ? null : (j / 3.6e6) * prices.gco2Kwh] : []),
  ];
  const head = [
    'configuration',
    'run',
    'session',
    'device',
    'backend',
    'model',
    'attention',
    'precision',
    'steps',
    'size',
    'node',
    'preset',
    'runs',
    'images',
    'blank_images',
    'seconds_per_image_mean',
    'seconds_per_image_ci95',
    'joules_per_image_mean',
    'joules_per_image_ci95',
    'ci_over',
    'net_joules_per_image',
    'wh_per_1000_images',
    'images_per_kwh',
    'peak_vram_bytes',
    'vs_baseline_seconds',
    'vs_baseline_joules',
    'pareto',
    'baseline',
    'vram_total_bytes',
    'vram_headroom',
    'pcie_rx_bytes_per_image',
    'pcie_tx_bytes_per_image',
    'offload_share',
    'host_rss_peak_bytes',
    'start_temperature_c',
    'mean_temperature_c',
    'throttled_share',
    ...(prices.priceKwh !== undefined ? ['cost_per_image'] : []),
    ...(prices.gco2Kwh !== undefined ? ['gco2_per_image'] : []),
  ];
  const out = [head.join(',')];
  for (const g of groups) {
    const k = g.key;
    out.push(
      [
        g.label,
        null,
        null,
        k.device,
        k.backend,
        k.model,
        k.attention,
        k.precision,
        k.steps,
        k.size,
        k.node,
        k.preset,
        g.runs,
        g.images,
        g.blankImages,
        g.secondsPerImage.mean,
        g.secondsPerImage.ci95,
        g.joulesPerImage.mean,
        g.joulesPerImage.ci95,
        g.joulesPerImage.over,
        g.joulesPerImage.netMean,
        g.whPer1000Images,
        g.imagesPerKwh,
        g.peakVramBytes,
        g.vsBaseline?.seconds ?? null,
        g.vsBaseline?.joules ?? null,
        g.pareto ? 'true' : 'false',
        g.baseline ? 'true' : 'false',
        g.rows.find((r) => r.vramTotalBytes !== null)?.vramTotalBytes ?? null,
        g.vramHeadroom,
        g.pcieRxBytesPerImage,
        g.pcieTxBytesPerImage,
        g.offloadShare,
        g.hostRssPeakBytes,
        g.startTemperatureC?.min ?? null,
        g.meanTemperatureC,
        g.throttledShare,
        ...extra(g.joulesPerImage.mean),
      ]
        .map(csvCell)
        .join(','),
    );
    g.rows.forEach((r, i) =>
      out.push(
        [
          g.label,
          i + 1,
          r.session,
          r.devices,
          r.backend,
          r.model,
          r.attention,
          r.precision,
          r.steps,
          r.size,
          r.node,
          r.preset,
          null,
          r.images,
          r.blankImages,
          r.secondsPerImage.mean,
          null,
          r.joulesPerImage.mean,
          null,
          null,
          r.netJoulesPerImage,
          r.whPer1000Images,
          r.imagesPerKwh,
          r.peakVramBytes,
          null,
          null,
          null,
          null,
          r.vramTotalBytes,
          r.vramTotalBytes && r.peakVramBytes !== null ? Math.max(0, 1 - r.peakVramBytes / r.vramTotalBytes) : null,
          r.pcieRxBytesPerImage,
          r.pcieTxBytesPerImage,
          r.offloadShare,
          r.hostRssPeakBytes,
          r.startTemperatureC,
          r.meanTemperatureC,
          r.throttledShare,
          ...extra(r.joulesPerImage.mean),
        ]
          .map(csvCell)
          .join(','),
      ),
    );
  }
  return out.join('\r\n') + '\r\n';
}

/** The report JSON's groups (the documented contract; unknown = null). */
export function groupsJson(groups: readonly ConfigGroup[]) {
  return groups.map((g) => ({
    label: g.label,
    key: {
      device: g.key.device,
      backend: g.key.backend,
      model: g.key.model,
      attention: g.key.attention,
      precision: g.key.precision,
      steps: g.key.steps,
      size: g.key.size,
      node: g.key.node,
      preset: g.key.preset,
    },
    runs: g.runs,
    images: g.images,
    blankImages: g.blankImages,
    sessions: g.sessions,
    secondsPerImage: { mean: g.secondsPerImage.mean, ci95: g.secondsPerImage.ci95, over: g.secondsPerImage.over },
    joulesPerImage: { mean: g.joulesPerImage.mean, ci95: g.joulesPerImage.ci95, netMean: g.joulesPerImage.netMean, over: g.joulesPerImage.over },
    whPer1000Images: g.whPer1000Images,
    imagesPerKwh: g.imagesPerKwh,
    peakVramBytes: g.peakVramBytes,
    vramHeadroom: g.vramHeadroom,
    pcieRxBytesPerImage: g.pcieRxBytesPerImage,
    pcieTxBytesPerImage: g.pcieTxBytesPerImage,
    offloadShare: g.offloadShare,
    offloading: g.offloading,
    hostRssPeakBytes: g.hostRssPeakBytes,
    meanTemperatureC: g.meanTemperatureC,
    startTemperatureC: g.startTemperatureC,
    throttledShare: g.throttledShare,
    pareto: g.pareto,
    paretoNames: g.paretoNames,
    baseline: g.baseline,
    vsBaseline: g.vsBaseline,
  }));
}
