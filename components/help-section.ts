/** Help overlay (pure): every key and what it does now. */
import type { Glyphs } from './glyphs.js';
import { seg, type Line } from './lines.js';
import { clip, rule } from './text-fit.js';

export const HELP: readonly (readonly [string, string])[] = [
  ['q, Esc Esc, F10', 'quit (during a run q asks first: q again stops it, finishes its recording, quits)'],
  ['l', 'launcher: presets from genwatt.config.json (arrows pick, +/- count, Enter start)'],
  ['s', 'start the selected preset (asks first: Enter starts, Esc cancels), or stop the run'],
  ['r', 'start/stop recording while monitoring'],
  ['g', 'history chart: power over the whole run with image markers'],
  ['d', 'next device (focus one when there are many)'],
  ['w', 'power charts: one scale for every device, or each its own'],
  ['p', 'processes on each GPU (the generator marked), where the driver lists them'],
  ['↑↓ jk PgUp PgDn', 'scroll the images (Home: the first, End: back to the newest)'],
  ['space', 'replay: pause/resume'],
  ['<- ->', 'replay: seek back/forward by 5% of the recording (at least 5 s)'],
  ['? h F1', 'this help (any key closes it)'],
  ['Ctrl-Z', 'suspend to the shell (fg resumes); refused while a run is measuring'],
  ['', ''],
  ['net J', 'joules minus idle power over the same window'],
  ['gen GiB', "peak GPU memory of the generator's own processes (VRAM GiB: the whole device's)"],
  ['colours', 'power green below 50 % of the limit, yellow to 85 %, red above'],
  ['warm-up', 'first batch (model load, compile): not in steady means'],
  ['AVG', 'energy integrated from averaged power: less exact'],
  ['n/a', 'the device or tool does not report it (never shown as 0)'],
];

const KEY_COLUMN = 16;

/** Words of `text` in lines of at most `width` cells (a word longer than that is cut). */
function wrap(text: string, width: number, ellipsis: string): string[] {
  const lines: string[] = [];
  let cur = '';
  for (const word of text.split(' ')) {
    const next = cur ? `${cur} ${word}` : word;
    if (next.length <= width) cur = next;
    else {
      if (cur) lines.push(cur);
      cur = word.length > width ? clip(word, width, ellipsis) : word;
    }
  }
  if (cur) lines.push(cur);
  return lines.length ? lines : [''];
}

/** Every help line at this width: descriptions wrap under their key, nothing is cut. */
export function helpBody(g: Glyphs, width: number): Line[] {
  const out: Line[] = [];
  const room = Math.max(10, width - KEY_COLUMN);
  for (const [k, what] of HELP) {
    if (!k) {
      out.push([]);
      continue;
    }
    wrap(what, room, g.ellipsis).forEach((l, i) => out.push([seg((i === 0 ? k : '').padEnd(KEY_COLUMN), 'key', true), seg(l)]));
  }
  for (const l of wrap('Runs that must outlive an SSH connection: start genwatt inside tmux or screen.', width, g.ellipsis)) out.push([seg(l, 'dim')]);
  return out;
}

/**
 * The help overlay: its title says where it is when it is taller than the screen (↑/↓ and PgUp/PgDn
 * scroll it then; any other key closes it).
 */
export function helpLines(g: Glyphs, width: number, height: number, offset = 0): Line[] {
  const body = helpBody(g, width);
  const room = Math.max(1, height - 1);
  const top = Math.max(0, Math.min(offset, body.length - room));
  const more = body.length > room ? ` ${top + 1}-${Math.min(body.length, top + room)} of ${body.length}, arrows scroll` : '';
  return [[seg(rule(`help${more}`, width, g.rule), 'title')], ...body.slice(top, top + room)];
}
