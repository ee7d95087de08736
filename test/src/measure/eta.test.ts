/** Time left (issue 24 item 11): from the steady images' pace, never a guess before there is one. */
import { describe, expect, it } from 'vitest';
import { etaSeconds, runningMean } from '../../../src/measure/eta.js';
import { spawnCli } from '../../helpers/gen.js';

describe('ETA', () => {
  it('images to come × the steady mean, less the time the current one has taken; unknown without a target or a steady image', () => {
    const m = runningMean();
    expect(m.mean()).toBeNull();
    m.add(1);
    m.add(3);
    expect(m.mean()).toBe(2);
    expect(etaSeconds({ done: 2, target: 10, meanSeconds: 2 })).toBe(16);
    expect(etaSeconds({ done: 2, target: 10, meanSeconds: 2, sinceLastSeconds: 1.5 })).toBe(14.5);
    expect(etaSeconds({ done: 2, target: 10, meanSeconds: 2, sinceLastSeconds: 99 })).toBe(0);
    expect(etaSeconds({ done: 10, target: 10, meanSeconds: 2 })).toBe(0);
    expect(etaSeconds({ done: 2, target: null, meanSeconds: 2 })).toBeNull();
    expect(etaSeconds({ done: 2, target: 10, meanSeconds: null })).toBeNull();
  });

  it('demo --count N --plain: n/N on every line, and the time left from the first steady image on (not on the warm-up, not on the last)', async () => {
    const r = await spawnCli(['demo', '--plain', '--count', '5', '--idle', '0.2', '--no-record']);
    expect(r.code, r.err).toBe(0);
    const lines = r.out.split('\n').filter((l) => l.startsWith('image '));
    expect(lines.map((l) => /^image (\d+\/5) /.exec(l)?.[1])).toEqual(['1/5', '2/5', '3/5', '4/5', '5/5']);
    expect(lines[0]).not.toMatch(/ETA/);
    for (const l of lines.slice(1, 4)) expect(l).toMatch(/  ETA \d\d:\d\d$/);
    expect(lines[4]).not.toMatch(/ETA/);
  }, 30_000);
});
