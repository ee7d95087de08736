/** The dashboard's redraw policy on a clock of the test's own: every tick is decided, none is waited for. */
import { describe, expect, it } from 'vitest';
import { RedrawGate } from '../../../src/dashboard/redraw-gate.js';

/** Runs the gate's ticks over `ms` of simulated time; `each(t)` marks what happened before the tick at t. */
function run(gate: RedrawGate, ms: number, each: (tMs: number) => void): number[] {
  const frames: number[] = [];
  for (let t = gate.tickMs; t <= ms; t += gate.tickMs) {
    each(t);
    if (gate.due(t)) {
      gate.drawn(t);
      frames.push(t);
    }
  }
  return frames;
}

describe('RedrawGate', () => {
  it('new data alone: at most 2 frames a second, however fast it comes', () => {
    const gate = new RedrawGate(0, 4, 2);
    // a 200 Hz sampler marks the data dirty 50 times between two 250 ms ticks
    const frames = run(gate, 10_000, () => {
      for (let i = 0; i < 50; i++) gate.markData();
    });
    expect(frames).toHaveLength(20);
    for (let i = 1; i < frames.length; i++) expect(frames[i] - frames[i - 1]).toBe(500);
  });

  it('keys are answered at the next tick, at most 4 frames a second', () => {
    const gate = new RedrawGate(0, 4, 2);
    const frames = run(gate, 10_000, () => {
      gate.markUi();
      gate.markUi();
    });
    expect(frames).toHaveLength(40);
    expect(frames[0]).toBe(250);
  });

  it('nothing new: one frame a second (the sparklines move with time)', () => {
    const gate = new RedrawGate(0, 4, 2);
    expect(run(gate, 10_000, () => undefined)).toEqual([1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10_000]);
  });

  it('a key right after a data frame is not held back by the data period', () => {
    const gate = new RedrawGate(0, 4, 2);
    gate.markData();
    expect(gate.due(500)).toBe(true);
    gate.drawn(500);
    gate.markData();
    expect(gate.due(750)).toBe(false);
    gate.markUi();
    expect(gate.due(750)).toBe(true);
  });
});

describe('the host sleeps until a frame is due (no wake-up that draws nothing)', () => {
  it('waitMs: a key after the key period, samples after the data period (1 s while monitoring), else the once-a-second frame', () => {
    const g = new RedrawGate(0, 4, 2);
    expect(g.waitMs(100)).toBe(900); // nothing new: the frame that moves the time axis
    g.markData();
    expect(g.waitMs(100)).toBe(400);
    g.setDataFps(1);
    expect(g.waitMs(100)).toBe(900);
    g.markUi();
    expect(g.waitMs(100)).toBe(150);
    expect(g.waitMs(400)).toBe(0);
    g.drawn(400);
    expect(g.waitMs(400)).toBe(1000);
  });
});
