/** Help overlay (pure): every key and what it does now. */
import type { Glyphs } from './glyphs.js';
import { seg, type Line } from './lines.js';
import { clip, rule } from './text-fit.js';

export const HELP: readonly (readonly [string, string])[] = [
  ['q, Ctrl-C', 'quit: a running run is stopped and its recording finished first'],
  ['l', 'launcher: presets from genwatt.config.json (arrows pick, +/- count, Enter start)'],
  ['s', 'start the selected preset, or stop the run'],
  ['r', 'start/stop recording while monitoring'],
  ['g', 'history chart: power over the whole run with image markers'],
  ['d', 'next device (focus one when there are many)'],
  ['space', 'replay: pause/resume'],
  ['<- ->', 'replay: seek back/forward (5% of the recording)'],
  ['?', 'this help (any key closes it)'],
  ['', ''],
  ['net J', 'joules minus idle power over the same window'],
  ['warm-up', 'first batch (model load, compile): not in steady means'],
  ['AVG', 'energy integrated from averaged power: less exact'],
  ['n/a', 'the device or tool does not report it (never shown as 0)'],
];

export function helpLines(g: Glyphs, width: number, height: number): Line[] {
  const out: Line[] = [[seg(rule('help', width, g.rule), 'title')]];
  for (const [k, what] of HELP) out.push(k ? [seg(k.padEnd(10), 'key', true), seg(clip(what, width - 10, g.ellipsis))] : []);
  out.push([seg('Runs that must outlive an SSH connection: start genwatt inside tmux or screen.', 'dim')]);
  return out.slice(0, height);
}
