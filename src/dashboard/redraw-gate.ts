/**
 * When the dashboard redraws (pure: the host's timer asks it at every tick, with the time). Keys and
 * resizes are answered at the next tick (at most `fps` frames a second); new samples at most
 * `dataFps` times a second — the numbers stay live while drawing (Ink lays out and re-tokenizes the
 * whole screen each frame) costs half; and once a second regardless, since the sparklines move with
 * time. Half a tick of slack, so a 500 ms period does not slip to 750 ms on a 250 ms tick.
 */
export class RedrawGate {
  readonly tickMs: number;
  private dataMs: number;
  private dataDirty = false;
  private uiDirty = false;
  private lastDrawMs: number;

  constructor(nowMs: number, fps = 4, dataFps = 2) {
    this.tickMs = 1000 / fps;
    this.dataMs = 1000 / Math.min(fps, dataFps);
    this.lastDrawMs = nowMs;
  }

  /** A key or a resize: redraw at the next tick. */
  markUi(): void {
    this.uiDirty = true;
  }

  /** New samples: redraw when the data period allows. */
  markData(): void {
    this.dataDirty = true;
  }

  /** Whether a frame is due at this tick. */
  due(nowMs: number): boolean {
    const since = nowMs - this.lastDrawMs;
    const slack = this.tickMs / 2;
    return this.uiDirty || (this.dataDirty && since >= this.dataMs - slack) || since >= 1000 - slack;
  }

  /** New samples' redraw rate (a run: 2 a second; monitoring: 1, like top). */
  setDataFps(dataFps: number): void {
    this.dataMs = 1000 / Math.min(1000 / this.tickMs, dataFps);
  }

  /**
   * Milliseconds until the next frame is due (0: now): a key at the next tick, new samples when the
   * data period allows, else the once-a-second frame. The host sleeps until then: no wake-up that
   * draws nothing.
   */
  waitMs(nowMs: number): number {
    // Exact periods (no tick to slip against): keys at most `fps` frames a second.
    const next = this.uiDirty ? this.tickMs : this.dataDirty ? this.dataMs : 1000;
    return Math.max(0, next - (nowMs - this.lastDrawMs));
  }

  /** A frame was drawn now. */
  drawn(nowMs: number): void {
    this.dataDirty = false;
    this.uiDirty = false;
    this.lastDrawMs = nowMs;
  }
}
