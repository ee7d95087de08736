/** The event-loop watch on a clock and a CPU meter of the test's own: which stalls are gaps, and their cause. */
import { describe, expect, it } from 'vitest';
import { LoopWatch, stallReason } from '../../../src/measure/loop-watch.js';
import { intervalPolicy } from '../../../src/measure/interval-policy.js';

describe('LoopWatch', () => {
  it('a stall longer than the gap limit is one gap from where it began; shorter ones are not', () => {
    let t = 0;
    let cpu = 0;
    const stalls: [number, number, number][] = [];
    const w = new LoopWatch(
      intervalPolicy(100),
      (ms, from, cpuMs) => stalls.push([ms, from, cpuMs]),
      () => t,
      () => cpu,
    );
    w.start(250); // ticked from outside every 250 ms (as the sampler does): the test drives tick() itself
    t = 250; // on time (period 250 ms)
    w.tick();
    t = 250 + 250 + 400; // 400 ms late: under the 500 ms gap limit
    w.tick();
    t += 250 + 2000; // 2 s late, with 1.9 s of CPU: genwatt's own work
    cpu += 1900;
    w.tick();
    expect(stalls).toEqual([[2000, 1150, 1900]]);
  });

  it('chores ride on its ticks at most every everyMs (the wall-clock check: no timer of its own); nothing ticks before start', () => {
    let t = 0;
    const w = new LoopWatch(
      intervalPolicy(100),
      () => undefined,
      () => t,
      () => 0,
    );
    const ran: number[] = [];
    w.every(1000, () => ran.push(t));
    w.tick(); // not started: ignored
    w.start(100);
    for (t = 100; t <= 3000; t += 100) w.tick();
    expect(ran).toEqual([1000, 2000, 3000]);
  });

  it('the cause: CPU enough to make the gap on its own is genwatt’s own work; less is a stop or a starved machine', () => {
    expect(stallReason(2000, 1900, 500)).toBe("genwatt's event loop was blocked for 2000 ms by its own work (1900 ms of CPU): no sample could be taken");
    // a loaded machine: 292 ms of work stretched over a 542 ms stall (seen under two CPU hogs)
    expect(stallReason(542, 292, 500)).toMatch(/^genwatt did not run for 542 ms \(292 ms of CPU/);
    expect(stallReason(2000, 3, 500)).toBe(
      'genwatt did not run for 2000 ms (3 ms of CPU: stopped, suspended, or starved of CPU by the machine): no sample could be taken',
    );
  });
});
