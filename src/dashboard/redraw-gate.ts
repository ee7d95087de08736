/**
 * When the dashboard redraws (pure: the host's timer asks it at every tick, with the time). Keys and
 * resizes are answered at the next tick (at most `fps` frames a second); new samples at most
 * `dataFps` times a second — the numbers stay live while drawing (Ink lays out and re-tokenizes the
 * whole screen each frame) costs half; and once a second regardless, since the sparklines move with
 * time. Half a tick of slack, so a 500 ms period does not slip to 750 ms on a 250 ms tick.
 */
export class RedrawGate {
  readonly tickMs: number;
  private readonly dataMs: number;
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

  /** A frame was drawn now. */
  drawn(nowMs: number): void {
    this.dataDirty = false;
    this.uiDirty = false;
    this.lastDrawMs = nowMs;
  }
}
