/** Footer (pure): the status message, then the keys that apply now. */
import type { Glyphs } from './glyphs.js';
import { packSegments, seg, type Line } from './lines.js';
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
  keys.push({ key: 'g', what: v.overlay === 'chart' ? 'back' : 'history' });
  if (v.devices.length > 1) keys.push({ key: 'd', what: 'next device' });
  keys.push({ key: '?', what: 'help' });
  return keys;
}

export function footerLine(v: DashboardView, g: Glyphs, width: number): Line {
  if (v.status) {
    // The message gets the line; `? help` stays so the keys are always one key away.
    const tone = /fail|error|invalid|cannot|could not|refused|not a known|is missing/i.test(v.status) ? 'error' : 'warn';
    return [seg(clip(v.status, width - 8, g.ellipsis), tone), seg(' '), seg('?', 'key', true), seg(' help', 'dim')];
  }
  return packSegments(
    keyHints(v).map((k) => [seg(k.key, 'key', true), seg(` ${k.what}`, 'dim')]),
    width,
    ' ',
  );
}
