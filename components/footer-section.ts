/** The last two lines (pure): the status message on its own line, then the keys that apply now — always shown. */
import type { Glyphs } from './glyphs.js';
import { fitLine, lineWidth, packSegments, seg, type Line } from './lines.js';
import { clip } from './text-fit.js';
import type { DashboardView } from './view-model.js';

export interface KeyHint {
  key: string;
  what: string;
}

export function keyHints(v: DashboardView): KeyHint[] {
  const keys: KeyHint[] = [{ key: 'q', what: 'quit' }];
  if (v.replay) {
    keys.push({ key: 'space', what: v.replay.paused ? 'play' : 'pause' }, { key: '←/→', what: 'seek' });
  } else {
    keys.push({ key: 'l', what: 'launcher' }, { key: 's', what: v.run.mode === 'monitor' ? 'start preset' : 'stop run' });
    if (v.run.mode === 'monitor') keys.push({ key: 'r', what: v.header.recording ? 'stop rec' : 'record' });
  }
  keys.push({ key: '↑/↓', what: 'scroll' });
  keys.push({ key: 'g', what: v.overlay === 'chart' ? 'back' : 'history' });
  keys.push({ key: 'p', what: v.overlay === 'processes' ? 'back' : 'processes' });
  if (v.devices.length > 1) keys.push({ key: 'd', what: 'next device' }, { key: 'w', what: v.sharedScale ? 'own scales' : 'one scale' });
  keys.push({ key: '?', what: 'help' });
  return keys;
}

const ERROR_WORDS = /fail|error|invalid|cannot|could not|refused|not a known|is missing|not started|not found/i;

export function statusLine(v: DashboardView, g: Glyphs, width: number): Line {
  if (v.confirmQuit)
    // Short enough for 80 columns, the part that says how to cancel first where it is narrower.
    return [
      seg(
        clip(
          width >= 78 ? 'a run is active: q again stops it, saves its recording, quits; other keys cancel' : 'q again: stop and quit; other keys cancel',
          width,
          g.ellipsis,
        ),
        'warn',
        true,
      ),
    ];
  if (!v.status) return [];
  return [seg(clip(v.status, width, g.ellipsis), ERROR_WORDS.test(v.status) ? 'error' : 'warn')];
}

/** The keys that fit, in order; `? help` is the last hint to go (it leads to all the others). */
export function footerLine(v: DashboardView, _g: Glyphs, width: number): Line {
  const groups = keyHints(v).map((k): Line => [seg(k.key, 'key', true), seg(` ${k.what}`, 'dim')]);
  const help = groups.pop()!;
  const rest = packSegments(groups, width - lineWidth(help) - 1, ' ');
  return rest.length ? [...rest, { text: ' ' }, ...help] : fitLine(help, width);
}
