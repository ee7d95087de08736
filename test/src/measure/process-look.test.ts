/**
 * A failed process lookup is a failed look, not "this GPU lists no processes": the previous list is
 * kept, the error said, and the GPUs a run is charged to are decided from looks that worked. On
 * 02294be one failed look made a two-GPU run charge both GPUs, recording "their interface lists no processes".
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { GpuProcess, Probe } from '../../../probes/types.js';
import { ProcessWatch } from '../../../src/measure/process-watch.js';
import { GpuCharge } from '../../../src/measure/gpu-charge.js';
import type { MeasureConfig } from '../../../src/measure/measure-config.js';

/** A probe whose process lists are scripted look by look (an Error = the interface failed). */
function scriptedProbe(looks: (Map<string, GpuProcess[]> | null | Error)[]): Probe {
  return {
    name: 'nvml',
    detect: async () => ({ status: 'ok', devices: [] }),
    poll: async () => [],
    close: async () => undefined,
    processes: async () => {
      const next = looks.shift() ?? null;
      if (next instanceof Error) throw next;
      return next;
    },
  } as unknown as Probe;
}

describe('a failed process lookup', () => {
  it('keeps the previous list, reports the GPUs as failed, and says the error once', async () => {
    const group = process.pid;
    const ok = new Map([
      ['gpu-0', [{ pid: process.pid, usedBytes: 1 }]],
      ['gpu-1', []],
    ]);
    const looks: { failed: string[]; lists: string }[] = [];
    const errors: string[] = [];
    const w = new ProcessWatch(
      [
        scriptedProbe([
          ok,
          new Error('NVML could not list the processes on gpu-0: GPU is lost'),
          new Error('NVML could not list the processes on gpu-0: GPU is lost'),
          ok,
        ]),
      ],
      () => ['gpu-0', 'gpu-1'],
      {
        everyMs: 1000,
        generatorGroup: () => group,
        onLook: (_on, lists, failed) =>
          looks.push({ failed: [...failed], lists: JSON.stringify([...lists.entries()].map(([id, l]) => [id, l?.length ?? null])) }),
        onError: (e) => errors.push(e.message),
      },
    );
    for (let i = 0; i < 4; i++) await w.look();
    expect(looks.map((l) => l.failed)).toEqual([[], ['gpu-0', 'gpu-1'], ['gpu-0', 'gpu-1'], []]);
    // the failed looks kept the lists of the look before (never null: "no process list")
    expect(new Set(looks.map((l) => l.lists)).size).toBe(1);
    expect(errors).toEqual(['NVML could not list the processes on gpu-0: GPU is lost']);
  });

  it('does not charge every GPU: the run waits for a look that works, and only five failures in a row decide without it', () => {
    const core = Object.assign(new EventEmitter(), {
      devices: [
        { id: 'gpu-0', vendor: 'nvidia', name: 'A', probe: 'nvml', index: 0 },
        { id: 'gpu-1', vendor: 'nvidia', name: 'B', probe: 'nvml', index: 1 },
      ],
      gpuIds: ['gpu-0', 'gpu-1'],
      canListProcesses: true,
      childEnv: () => ({}),
    });
    const config = { mode: 'run', argv: ['gen'], gpu: undefined } as unknown as MeasureConfig;
    const decided: [string[], string][] = [];
    const charge = new GpuCharge(
      core as never,
      config,
      () => 1,
      (ids, reason) => decided.push([ids, reason]),
    );
    expect(charge.choose()).toMatchObject({ pending: true });
    charge.watchProcesses();
    const none = new Map([
      ['gpu-0', null],
      ['gpu-1', null],
    ]);
    core.emit('process-look', new Set(), none, new Set(['gpu-0', 'gpu-1']));
    expect(decided).toEqual([]);
    const seen = new Map([
      ['gpu-0', []],
      ['gpu-1', [{ pid: 1, generator: true }]],
    ]);
    core.emit('process-look', new Set(['gpu-1']), seen, new Set());
    expect(decided).toEqual([[['gpu-1'], "the generator's processes: pid 1 on gpu-1"]]);

    const again = new GpuCharge(
      core as never,
      config,
      () => 1,
      (ids, reason) => decided.push([ids, reason]),
    );
    again.choose();
    again.watchProcesses();
    for (let i = 0; i < 5; i++) core.emit('process-look', new Set(), none, new Set(['gpu-0']));
    expect(decided[1]).toEqual([['gpu-0', 'gpu-1'], 'all GPUs: the process lists of gpu-0 could not be read 5 times in a row']);
  });
});

describe("the looks' pace follows the images (issue 24 item 9: gen pk of 0.8 s images)", () => {
  it('about three looks per image, between 250 ms and the base period; no image yet: the fastest; small changes keep the timer', () => {
    const w = new ProcessWatch([scriptedProbe([])], () => ['gpu-0'], { everyMs: 1000, generatorGroup: () => undefined });
    expect(w.periodMs).toBe(1000);
    w.paceFor(0);
    expect(w.periodMs).toBe(250);
    w.paceFor(1.5);
    expect(w.periodMs).toBe(500);
    w.paceFor(1.6); // 533 ms: within 20 %, no new timer
    expect(w.periodMs).toBe(500);
    w.paceFor(0.8);
    expect(w.periodMs).toBe(267);
    w.paceFor(30);
    expect(w.periodMs).toBe(1000);
    w.paceFor(0.3);
    expect(w.periodMs).toBe(250);
    w.stop();
  });

  it('the pace is set by the shortest recent steady image (the warm-up, however long, does not slow it)', async () => {
    const { recentSecondsPerImage } = await import('../../../src/measure/session-rows.js');
    const row = (seconds: number, warmup = false) => ({ seconds, warmup }) as import('../../../src/energy/image-rows.js').ImageRow;
    expect(recentSecondsPerImage([])).toBe(0);
    expect(recentSecondsPerImage([row(14, true)])).toBe(0);
    expect(recentSecondsPerImage([row(14, true), row(0.8), row(0.9)])).toBe(0.8);
    expect(recentSecondsPerImage([row(0.2), ...[1, 1, 1, 1, 1].map((s) => row(s))])).toBe(1); // the last five only
  });
});
