import { describe, expect, it } from 'vitest';
import { EnergyTotal } from '../../../src/serve/energy-total.js';

describe('EnergyTotal (the exporter counter)', () => {
  it('instant power: trapezoids between samples; a gap adds nothing', () => {
    const e = new EnergyTotal(500);
    e.add({ deviceId: 'g', tMs: 0, powerWatts: 100, powerKind: 'instant' });
    e.add({ deviceId: 'g', tMs: 100, powerWatts: 300, powerKind: 'instant' });
    expect(e.joules).toBeCloseTo(20, 9); // (100+300)/2 W × 0.1 s
    e.gap();
    e.add({ deviceId: 'g', tMs: 5000, powerWatts: 300, powerKind: 'instant' });
    expect(e.joules).toBeCloseTo(20, 9);
    e.add({ deviceId: 'g', tMs: 9000, powerWatts: 300, powerKind: 'instant' }); // 4 s apart > gap limit
    expect(e.joules).toBeCloseTo(20, 9);
    expect(e.method).toBe('instant');
  });

  it('counter: differences, also across a gap; a reset (probe or driver restart) adds nothing and never lowers it', () => {
    const e = new EnergyTotal(500, 700);
    e.add({ deviceId: 'g', tMs: 0, energyJoules: 1000, powerWatts: 70 });
    e.add({ deviceId: 'g', tMs: 1000, energyJoules: 1500, powerWatts: 600 });
    expect(e.joules).toBe(500);
    e.gap();
    e.add({ deviceId: 'g', tMs: 3000, energyJoules: 2500 });
    expect(e.joules).toBe(1500);
    e.add({ deviceId: 'g', tMs: 4000, energyJoules: 10 }); // counter restarted
    expect(e.joules).toBe(1500);
    e.add({ deviceId: 'g', tMs: 5000, energyJoules: 410 });
    expect(e.joules).toBe(1900);
    e.add({ deviceId: 'g', tMs: 6000, energyJoules: 1e9 }); // no 700 W GPU makes 1 GJ in a second
    expect(e.joules).toBe(1900);
    expect(e.method).toBe('counter');
  });

  it('while a counter is fresh, power is not integrated as well (no double count)', () => {
    const e = new EnergyTotal(500);
    e.add({ deviceId: 'g', tMs: 0, energyJoules: 0, powerWatts: 100, powerKind: 'instant' });
    for (let t = 100; t <= 1000; t += 100) e.add({ deviceId: 'g', tMs: t, powerWatts: 100, powerKind: 'instant' });
    e.add({ deviceId: 'g', tMs: 1000, energyJoules: 100 });
    expect(e.joules).toBe(100);
  });
});
