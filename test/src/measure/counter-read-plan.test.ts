/** When an image's completion reads the energy counter (SessionCore.readCountersNow's plan, pure). */
import { describe, expect, it } from 'vitest';
import { COUNTER_READ_MIN_GAP_MS, COUNTER_READ_SPACING_MS, counterReadPlan } from '../../../src/measure/session-core.js';

describe('counterReadPlan', () => {
  it('the first image, and any image a second or more after the last read: read now', () => {
    expect(counterReadPlan(5000, -Infinity, -Infinity)).toBe('now');
    expect(counterReadPlan(5000, 5000 - COUNTER_READ_MIN_GAP_MS, 4800)).toBe('now');
  });

  it('a file within the spacing of the last read: read when the spacing is over (the batch shares it)', () => {
    expect(counterReadPlan(5030, 5000, 5000)).toEqual({ ms: COUNTER_READ_SPACING_MS - 30 });
  });

  it('a file of a burst (under 250 ms after the previous file), after the spacing: a read at the burst tail', () => {
    expect(counterReadPlan(5180, 5000, 5000)).toEqual({ ms: COUNTER_READ_SPACING_MS });
  });

  it('a single image under a second after the last read: no read of its own (instant power scaled to the counter bridges it)', () => {
    expect(counterReadPlan(5430, 5000, 5000)).toBe('skip');
    expect(counterReadPlan(5860, 5000, 5430)).toBe('skip');
  });
});
