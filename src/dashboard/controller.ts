/**
 * The dashboard's state machine: overlays, focus, launcher selection and count, the status line,
 * and what each key does. It composes the view from the source's data; it draws nothing itself.
 */
import { EventEmitter } from 'node:events';
import type { DashboardView, LauncherView, Overlay } from '../../components/view-model.js';
import type { Preset, PresetLoad } from '../backends/presets.js';
import type { DashboardSource } from './source.js';
import { planLayout } from '../../components/layout.js';
import { helpBody } from '../../components/help-section.js';
import { glyphsFor } from '../../components/glyphs.js';
import { timelineNow } from '../../probes/timeline.js';

/** The subset of Ink's key object the controller reads (plus F10, which the host detects). */
export interface KeyInfo {
  upArrow?: boolean;
  downArrow?: boolean;
  leftArrow?: boolean;
  rightArrow?: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
  home?: boolean;
  end?: boolean;
  return?: boolean;
  escape?: boolean;
  /** Alt/Option held (never set with escape: Ink marks every Escape as meta). */
  meta?: boolean;
  ctrl?: boolean;
  shift?: boolean;
  f10?: boolean;
  f1?: boolean;
}

/** Two Escapes within this long quit (as in nvtop and htop). */
const ESC_ESC_MS = 1000;

export interface ControllerOptions {
  ascii: boolean;
  color: boolean;
  /** Status messages stay this long (ms). */
  statusMs?: number;
  now?: () => number;
}

/** Seconds of power the sparkline shows per column (at least one minute overall). */
export function sparkWindowMs(width: number): number {
  return Math.max(60, width) * 1000;
}

function presetDetail(p: Preset): string {
  const tags = Object.entries(p.tags)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const b = p.backend;
  const what = b
    ? `${b.kind} ${b.url}${b.forge ? ` ${b.forge.width}x${b.forge.height} ${b.forge.steps} steps` : b.workflow ? ` ${b.workflow.split('/').pop()}` : ''}`
    : p.command.join(' ');
  return [what, p.out ? `watch ${p.out}` : 'no output folder', tags].filter(Boolean).join(' | ');
}

/** `change` (redraw), `quit` (the user confirmed quitting). */
export interface ControllerEvents {
  change: [];
  quit: [];
  /** Ctrl-Z with no run measuring: the host hands the terminal back and stops the process (SIGTSTP). */
  suspend: [];
}

export class DashboardController extends EventEmitter<ControllerEvents> {
  private shownOverlay: Overlay = 'none';
  focused = 0;
  selected = 0;
  private counts = new Map<number, number | null>();
  private statusText: string | null = null;
  private statusUntil = 0;
  private presetLoad: PresetLoad = { presets: [], file: null, searched: [], error: null, disabled: [] };
  private extraPresets: Preset[] = [];
  private quitting = false;
  /** Devices in the last view (for `d`). */
  private deviceCount = 0;
  /** Image rows scrolled back from the newest; rows in the last view; rows a page holds. */
  tableOffset = 0;
  private lastRowCount = 0;
  private pageRows = 5;
  /** One power scale for every device (`w`). */
  sharedScale = false;
  /** `q` during a run asks first. */
  confirmQuit = false;
  private lastEscapeMs = -Infinity;
  private readonly now: () => number;

  get overlay(): Overlay {
    return this.shownOverlay;
  }

  /** What is drawn over the main view; the source watches process lists only while their panel is open. */
  set overlay(o: Overlay) {
    if (o === 'help' && this.shownOverlay !== 'help') this.helpOffset = 0;
    this.shownOverlay = o;
    this.source.showProcesses?.(o === 'processes');
  }

  constructor(
    readonly source: DashboardSource,
    readonly opts: ControllerOptions,
  ) {
    super();
    this.now = opts.now ?? timelineNow;
    source.on('status', (m: string) => this.setStatus(m));
    source.on('status-retract', (m: string) => {
      if (this.statusText !== m) return;
      this.statusText = null;
      this.emit('change');
    });
  }

  /** Presets from the config, plus built-in ones (the demo) when the config has none. */
  setPresets(load: PresetLoad, builtIn: Preset[] = []): void {
    this.presetLoad = load;
    this.extraPresets = load.presets.length ? [] : builtIn;
    if (load.error) this.setStatus(`config: ${load.error}`, 15000);
    else if (load.disabled.length)
      this.setStatus(`config: ${load.disabled.length} preset${load.disabled.length === 1 ? '' : 's'} disabled: ${load.disabled[0].reason}`, 15000);
    this.emit('change');
  }

  get presets(): Preset[] {
    return [...this.presetLoad.presets, ...this.extraPresets];
  }

  setStatus(msg: string, ms = this.opts.statusMs ?? 8000): void {
    this.statusText = msg;
    this.statusUntil = this.now() + ms;
    this.emit('change');
  }

  private countOf(i: number): number | null {
    return this.counts.has(i) ? this.counts.get(i)! : (this.presets[i]?.count ?? null);
  }

  launcherView(): LauncherView {
    const l = this.presetLoad;
    const source = l.file ?? `${l.searched.join(' or ') || 'genwatt.config.json'} (none found${this.extraPresets.length ? '; built-in demo' : ''})`;
    return {
      presets: this.presets.map((p, i) => ({ name: p.name, detail: presetDetail(p), description: p.description, count: this.countOf(i) })),
      selected: Math.min(this.selected, Math.max(0, this.presets.length - 1)),
      count: this.countOf(this.selected),
      source,
      error: l.error,
      disabled: l.disabled.map((d) => `${d.name} disabled: ${d.reason}`),
    };
  }

  view(width: number, height: number): DashboardView {
    const data = this.source.data(sparkWindowMs(width), { history: this.overlay === 'chart', processes: this.overlay === 'processes' });
    this.deviceCount = data.devices.length;
    // Scrolled back: new rows do not move what is on screen.
    if (this.tableOffset > 0 && data.rows.length > this.lastRowCount) this.tableOffset += data.rows.length - this.lastRowCount;
    this.lastRowCount = data.rows.length;
    this.pageRows = Math.max(1, planLayout(width, height, data.devices.length, data.rows.length).tableRows - 2);
    this.tableOffset = Math.min(this.tableOffset, this.maxOffset());
    this.helpOffset = Math.min(this.helpOffset, Math.max(0, helpBody(glyphsFor(this.opts.ascii), width).length - 1));
    const status = this.statusText && this.now() < this.statusUntil ? this.statusText : null;
    return {
      ...data,
      width,
      height,
      ascii: this.opts.ascii,
      color: this.opts.color,
      focused: this.focused,
      overlay: this.overlay,
      launcher: this.launcherView(),
      status,
      tableOffset: this.tableOffset,
      helpOffset: this.helpOffset,
      sharedScale: this.sharedScale,
      confirmQuit: this.confirmQuit,
    };
  }

  /** Scrolls the image table: up = older. The furthest back is the screen whose top row is the first image. */
  private scroll(input: string, key: KeyInfo): boolean {
    const page = this.pageRows;
    if (key.upArrow || input === 'k') this.tableOffset += 1;
    else if (key.downArrow || input === 'j') this.tableOffset = Math.max(0, this.tableOffset - 1);
    else if (key.pageUp) this.tableOffset += page;
    else if (key.pageDown) this.tableOffset = Math.max(0, this.tableOffset - page);
    else if (key.home) this.tableOffset = Number.MAX_SAFE_INTEGER;
    else if (key.end) this.tableOffset = 0;
    else return false;
    this.tableOffset = Math.min(this.tableOffset, this.maxOffset());
    return true;
  }

  /** Help lines scrolled past; the help opens at its top. */
  private helpOffset = 0;

  /** Past this, scrolling back shows the same screen (the first image at the top) and only adds keys to undo. */
  private maxOffset(): number {
    return Math.max(0, this.lastRowCount - this.pageRows);
  }

  private toggle(o: Overlay): void {
    this.overlay = this.overlay === o ? 'none' : o;
  }

  /** Quit: stops a run and finishes its recording, then emits `quit`. */
  async quit(): Promise<void> {
    if (this.quitting) return;
    this.quitting = true;
    if (this.source.running?.()) this.setStatus('stopping the run and finishing the recording…', 60000);
    try {
      await this.source.close();
    } catch (err) {
      // The dashboard still closes; the reason reaches the terminal after it (quitError).
      this.quitError = err as Error;
    }
    this.emit('quit');
  }

  /** What went wrong while the source closed on quit, if anything. */
  quitError: Error | undefined;

  /** Quit from a key or a signal: quit() never rejects, so nothing is left unhandled. */
  quitNow(): void {
    this.quit().catch(() => undefined);
  }

  private async act(p: Promise<string> | string): Promise<void> {
    try {
      this.setStatus(await p);
    } catch (err) {
      this.setStatus(`error: ${(err as Error).message}`);
    }
  }

  /** act() catches everything it awaits: the status line shows the outcome. */
  private actNow(p: Promise<string> | string): void {
    this.act(p).catch(() => undefined);
  }

  /** q, Esc-Esc, F10 and Ctrl-C quit; during a run the first q asks (any other key cancels). */
  private quitKey(input: string, key: KeyInfo): boolean {
    const now = this.now();
    if (this.confirmQuit) {
      this.confirmQuit = false;
      if (input === 'q' && !key.ctrl) this.quitNow();
      else this.setStatus('quit cancelled: the run goes on');
      return true;
    }
    // Two ESC bytes in one read (typed fast, or over a slow link) arrive as two Escapes (components/Dashboard.tsx).
    const escEsc = key.escape && now - this.lastEscapeMs < ESC_ESC_MS;
    if (key.escape) this.lastEscapeMs = escEsc ? -Infinity : now;
    if (key.ctrl && input === 'c') {
      // Ctrl-C while quitting waits for a command that ignores SIGTERM: kill it now.
      if (this.quitting && this.source.killRun?.()) this.setStatus('the command was killed (SIGKILL); finishing the recording…', 60000);
      else this.quitNow();
      return true;
    }
    if (key.ctrl && input === 'z') {
      // Stopping genwatt mid-run would stop its sampling while the generator goes on: a gap in every image.
      if (this.source.running?.()) this.setStatus('Ctrl-Z is refused while a run is measuring (sampling would stop, the generator would not): q stops the run');
      else this.emit('suspend');
      return true;
    }
    if ((input === 'q' && !key.ctrl) || key.f10 || escEsc) {
      if (input === 'q' && this.source.running?.()) {
        this.confirmQuit = true;
        return true;
      }
      this.quitNow();
      return true;
    }
    return false;
  }

  key(input: string, key: KeyInfo): void {
    this.emit('change');
    if (this.quitKey(input, key)) return;
    if (this.confirmStart) {
      const p = this.confirmStart;
      this.confirmStart = null;
      if (key.return && this.presets[this.selected] === p) this.startSelected();
      else this.setStatus(`start of ${p.name} cancelled`);
      return;
    }
    if (this.overlay === 'help') {
      // Taller than the screen: scroll keys scroll it; any other key closes it.
      const step = key.pageDown || key.pageUp ? 10 : 1;
      if (key.downArrow || key.pageDown || input === 'j') this.helpOffset += step;
      else if (key.upArrow || key.pageUp || input === 'k') this.helpOffset = Math.max(0, this.helpOffset - step);
      else this.overlay = 'none';
      return;
    }
    if (key.f1) {
      this.overlay = 'help';
      return;
    }
    const src = this.source;
    if (this.overlay === 'launcher') {
      const n = this.presets.length;
      if (key.upArrow) this.selected = n ? (this.selected - 1 + n) % n : 0;
      else if (key.downArrow) this.selected = n ? (this.selected + 1) % n : 0;
      else if (key.leftArrow || input === '-' || key.rightArrow || input === '+' || input === '=') {
        const up = key.rightArrow || input === '+' || input === '=';
        const c = this.countOf(this.selected) ?? 0;
        const step = c >= 100 ? 10 : 1;
        const next = up ? c + step : c - step;
        this.counts.set(this.selected, next <= 0 ? null : next);
      } else if (key.return) {
        this.startSelected();
        return;
      } else if (key.escape || input === 'l') this.overlay = 'none';
      else if (input === 's') this.startOrStop();
      return;
    }
    switch (input) {
      case '?':
      case 'h':
        this.overlay = 'help';
        return;
      case 'l':
        if (src.kind === 'replay') this.setStatus('the launcher is not available in replay');
        else this.toggle('launcher');
        return;
      case 'g':
        this.toggle('chart');
        return;
      case 'd':
        if (this.deviceCount <= 1)
          this.setStatus(this.deviceCount === 1 ? 'there is only one GPU (d moves between GPUs when there are several)' : 'no GPU to focus');
        this.focused = this.deviceCount ? (this.focused + 1) % this.deviceCount : 0;
        return;
      case 'p':
        this.toggle('processes');
        return;
      case 'w':
        this.sharedScale = !this.sharedScale;
        this.setStatus(this.sharedScale ? 'power charts: one scale for every GPU' : 'power charts: each GPU on its own scale');
        return;
      case 's':
        this.startOrStop();
        return;
      case 'r':
        if (src.toggleRecord) this.actNow(src.toggleRecord());
        else this.setStatus('nothing to record in replay');
        return;
      case ' ':
        if (src.togglePause) src.togglePause();
        return;
    }
    if (key.escape) this.overlay = 'none';
    if (src.seek && (key.leftArrow || key.rightArrow)) src.seek(key.leftArrow ? -1 : 1);
    if (this.scroll(input, key)) return;
    // A printable key that does nothing here: say where the keys are.
    if (input.length === 1 && input >= ' ' && !key.ctrl && !key.meta) this.setStatus(`${input === ' ' ? 'space' : input}: no such key here; press ? for keys`);
  }

  private startOrStop(): void {
    const src = this.source;
    if (!src.startPreset) {
      this.setStatus('replay: space pauses, arrows seek');
      return;
    }
    if (src.running?.()) {
      this.setStatus(src.stopRun!());
      return;
    }
    this.askStart();
  }

  /** A preset runs a workload (maybe on a shared GPU): one stray `s` only asks, naming what would run. */
  private askStart(): void {
    const p = this.presets[this.selected];
    if (!p) return this.startSelected();
    this.confirmStart = p;
    this.setStatus(`start ${p.name} (${presetDetail(p)})? Enter starts, Esc cancels`, 60_000);
  }

  /** The preset `s` asked about, until the next key. */
  private confirmStart: Preset | null = null;

  private startSelected(): void {
    const p = this.presets[this.selected];
    if (!p) {
      this.setStatus(
        this.presetLoad.error ? `no presets: ${this.presetLoad.error}` : 'no presets: add genwatt.config.json (see the example in the genwatt repository)',
      );
      return;
    }
    this.overlay = 'none';
    this.setStatus(`starting ${p.name}…`);
    this.actNow(this.source.startPreset!(p, this.countOf(this.selected)));
  }
}
