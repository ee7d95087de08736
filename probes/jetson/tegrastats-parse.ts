import { finiteNumber } from '../sanity.js';
/**
 * One `tegrastats` line → what genwatt reads (pure). Layouts differ per board and JetPack: an
 * optional `MM-DD-YYYY HH:MM:SS` prefix, rails as `NAME cur/avg` with or without `mW`
 * (`VDD_GPU_SOC 2798mW/2798mW`, `POM_5V_GPU 115/61`, Xavier's bare `GPU 0/0`), `GR3D_FREQ 39%`,
 * `39%@921` or `39%@[305,0]`, temperatures `GPU@32C` / `gpu@40.093C`, shared `RAM used/totalMB`.
 */

export interface Rail {
  name: string;
  currentMw: number;
  averageMw: number;
}

export interface TegraLine {
  /** The line's own timestamp (local time), when it has one. */
  tMs?: number;
  ramUsedBytes?: number;
  ramTotalBytes?: number;
  gpuPercent?: number;
  gpuClockMhz?: number;
  gpuTemperatureC?: number;
  rails: Rail[];
}

const MB = 1024 * 1024;

/** Null for lines that are not tegrastats samples (a `date` header, garbage). */
export function parseTegrastatsLine(line: string): TegraLine | null {
  let s = line.trim();
  if (!/\bRAM \d+\/\d+MB\b/.test(s)) return null;
  const out: TegraLine = { rails: [] };
  const stamp = /^(\d{2})-(\d{2})-(\d{4}) (\d{2}):(\d{2}):(\d{2})\s+/.exec(s);
  if (stamp) {
    const [, mo, d, y, h, mi, se] = stamp.map(Number);
    out.tMs = new Date(y, mo - 1, d, h, mi, se).getTime();
    s = s.slice(stamp[0].length);
  }
  const ram = /\bRAM (\d+)\/(\d+)MB\b/.exec(s);
  if (ram) {
    const used = finiteNumber(ram[1]);
    const total = finiteNumber(ram[2]);
    if (used !== undefined) out.ramUsedBytes = used * MB;
    if (total !== undefined) out.ramTotalBytes = total * MB;
  }
  const gr3d = /\bGR3D_FREQ (\d+)%(?:@\[?(\d+)[\],]?)?/.exec(s);
  if (gr3d) {
    const pct = finiteNumber(gr3d[1]);
    if (pct !== undefined) out.gpuPercent = pct;
    const mhz = finiteNumber(gr3d[2]);
    if (mhz !== undefined) out.gpuClockMhz = mhz;
  }
  const temp = /\bGPU@(-?\d+(?:\.\d+)?)C\b/i.exec(s);
  const tempC = finiteNumber(temp?.[1]);
  if (tempC !== undefined) out.gpuTemperatureC = tempC;
  // Rails: NAME cur/avg, each number optionally with mW; RAM/SWAP/IRAM (MB, kB) are not rails.
  const railRe = /(?:^|\s)([A-Za-z][A-Za-z0-9_]*) (\d+)(?:mW)?\/(\d+)(?:mW)?(?=\s|$)/g;
  for (let m; (m = railRe.exec(s));) {
    if (/^(RAM|SWAP|IRAM)$/.test(m[1])) continue;
    const currentMw = finiteNumber(m[2]);
    const averageMw = finiteNumber(m[3]);
    if (currentMw !== undefined && averageMw !== undefined) out.rails.push({ name: m[1], currentMw, averageMw });
  }
  return out;
}

export interface RailChoice {
  rail: string;
  /** What the figure covers, in words: `gpu rail`, `gpu+soc rail`, `cpu+gpu+cv rail`, `module input`. */
  scope: string;
}

const INPUT_RAILS = /^(VDD_IN|POM_5V_IN|VIN_SYS_5V0|VIN|SYS5V|VDD_SYS_5V0)$/;

/**
 * The rail to report: a GPU-only rail when the board has one; else the narrowest rail that includes
 * the GPU (Orin's `VDD_GPU_SOC`, Xavier NX's `VDD_CPU_GPU_CV`); else the module input. Null: no
 * rails in the log, so power is absent.
 */
export function chooseRail(rails: readonly Rail[]): RailChoice | null {
  const names = rails.map((r) => r.name);
  const gpuOnly = names.find((n) => /^(VDD_GPU|POM_5V_GPU|VDD_SYS_GPU|GPU)$/.test(n));
  if (gpuOnly) return { rail: gpuOnly, scope: 'gpu rail' };
  const withGpu = names.find((n) => /GPU/.test(n));
  if (withGpu) {
    const parts = withGpu
      .replace(/^(VDD|POM_5V|VDD_SYS)_/, '')
      .toLowerCase()
      .split('_');
    return { rail: withGpu, scope: `${parts.join('+')} rail` };
  }
  const input = names.find((n) => INPUT_RAILS.test(n));
  if (input) return { rail: input, scope: 'module input' };
  return null;
}
