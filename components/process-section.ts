/**
 * The process panel (`p`, pure): per GPU, the processes the vendor interface lists — PID, name, GPU
 * memory — with the measured generator's marked. Where the interface gives no process list it says
 * n/a; nothing is guessed.
 */
import type { Glyphs } from './glyphs.js';
import { seg, type Line } from './lines.js';
import { clip, padLeft, padRight, rule } from './text-fit.js';
import type { DashboardView } from './view-model.js';

export function processLines(v: DashboardView, g: Glyphs, width: number, height: number): Line[] {
  const out: Line[] = [[seg(rule(`processes on the GPUs ${g.dot} ${g.bullet} = the measured generator`, width, g.rule), 'title')]];
  for (const d of v.devices) {
    if (out.length >= height) break;
    const procs = d.processes;
    out.push([
      seg(clip(`${d.id} ${g.dot} ${d.name}${procs ? ` ${g.dot} ${procs.length} process${procs.length === 1 ? '' : 'es'}` : ''}`, width, g.ellipsis), 'title'),
    ]);
    if (procs === null || procs === undefined) {
      out.push([seg(procs === null ? '  n/a: this GPU’s interface gives no process list' : '  (reading the process list…)', 'dim')]);
      continue;
    }
    if (procs.length === 0) out.push([seg('  no process uses this GPU', 'dim')]);
    for (const p of [...procs].sort((a, b) => (b.usedBytes ?? -1) - (a.usedBytes ?? -1))) {
      const mem = p.usedBytes === undefined ? 'n/a' : `${(p.usedBytes / 1024 ** 3).toFixed(2)} GiB`;
      out.push([
        seg(p.generator ? `${g.bullet} ` : '  ', p.generator ? 'rec' : undefined, true),
        seg(padLeft(String(p.pid), 8)),
        seg(' '),
        seg(padRight(clip(p.name ?? 'n/a', Math.max(4, width - 24), g.ellipsis), Math.max(4, width - 24))),
        seg(padLeft(mem, 12), 'vram'),
      ]);
    }
  }
  return out.slice(0, height);
}
