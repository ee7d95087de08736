/** Launcher overlay (pure): presets, the selected one's details and count, config problems. */
import type { Glyphs } from './glyphs.js';
import { seg, type Line } from './lines.js';
import { clip, clipStart, rule } from './text-fit.js';
import type { LauncherView } from './view-model.js';

export function launcherLines(l: LauncherView, g: Glyphs, width: number, height: number, running: boolean): Line[] {
  const out: Line[] = [[seg(rule('launcher', width, g.rule), 'title')]];
  out.push([seg(clipStart(`presets from ${l.source}`, width, g.ellipsis), 'dim')]);
  if (l.error) out.push([seg(clip(l.error, width, g.ellipsis), 'error', true)]);
  for (const d of l.disabled.slice(0, 2)) out.push([seg(clip(d, width, g.ellipsis), 'error')]);
  if (l.disabled.length > 2) out.push([seg(`…and ${l.disabled.length - 2} more presets disabled`, 'error')]);
  if (l.presets.length === 0) out.push([seg('no presets', 'dim')]);
  const sel = l.presets[l.selected];
  const room = Math.max(1, height - out.length - 3 - (sel?.description ? 1 : 0));
  const start = Math.max(0, Math.min(l.selected - Math.floor(room / 2), l.presets.length - room));
  l.presets.slice(start, start + room).forEach((p, k) => {
    const i = start + k;
    const sel = i === l.selected;
    const count = sel ? l.count : p.count;
    out.push([seg(clip(`${sel ? '>' : ' '} ${p.name}${count !== null ? `  x${count}` : ''}`, width, g.ellipsis), sel ? 'selected' : undefined, sel)]);
  });
  if (sel?.description) out.push([seg(clip(`  ${sel.description}`, width, g.ellipsis))]);
  if (sel) out.push([seg(clip(`  ${sel.detail}`, width, g.ellipsis), 'dim')]);
  out.push([seg(clip(running ? 'a run is active: s stops it' : 'up/down pick  +/- or left/right count  Enter start  Esc close', width, g.ellipsis), 'key')]);
  return out.slice(0, height);
}
