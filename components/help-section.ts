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
  ['', ''],
  ['net J', 'joules minus idle power over the same window'],
  ['gen pk', "the generator's own processes' GPU memory peak (VRAM pk: the whole device)"],
  ['colours', 'power green below 50 % of the limit, yellow to 85 %, red above'],
  ['warm-up', 'first batch (model load, compile): not in steady means'],
  ['AVG', 'energy integrated from averaged power: less exact'],
  ['n/a', 'the device or tool does not report it (never shown as 0)'],
];

export function helpLines(g: Glyphs, width: number, height: number): Line[] {
  const out: Line[] = [[seg(rule('help', width, g.rule), 'title')]];
  for (const [k, what] of HELP) out.push(k ? [seg(k.padEnd(16), 'key', true), seg(clip(what, width - 16, g.ellipsis))] : []);
  out.push([seg('Runs that must outlive an SSH connection: start genwatt inside tmux or screen.', 'dim')]);
  return out.slice(0, height);
}
