import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { frameLines } from '../../../components/frame.js';
import { lineText } from '../../../components/lines.js';
import { DashboardController } from '../../../src/dashboard/controller.js';
import { ReplaySource } from '../../../src/dashboard/replay-source.js';
import { reportJson } from '../../../src/report/report-text.js';
import { readSession } from '../../../src/session/reader.js';
import { ROOT } from '../../helpers/gen.js';

const FINISHED = join(ROOT, 'fixtures/sessions/demo-8.json');
const KILLED = join(ROOT, 'fixtures/sessions/demo-killed.jsonl');

function clock(start = 1000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('ReplaySource', () => {
  it('at the end shows exactly the summary and rows `genwatt report` gives', async () => {
    const loaded = await readSession(FINISHED);
    const ck = clock();
    const src = new ReplaySource(loaded, { speed: 1000, now: ck.now });
    src.play();
    ck.advance(src.durationMs); // 1000× speed: far past the end
    const d = src.data(60000);
    const report = reportJson([await readSession(FINISHED)]).sessions[0];
    expect(d.replay!.ended).toBe(true);
    expect(d.summary).toEqual(report.summary);
    expect(d.rows.map((r) => [r.path, r.joules, r.seconds])).toEqual(report.images.map((r) => [r.path, r.joules, r.seconds]));
    // And on screen: the steady J/image the report prints, rounded as the panel rounds it.
    const c = new DashboardController(src, { ascii: false, color: false });
    const text = frameLines(c.view(100, 30)).map(lineText).join('\n');
    expect(text).toContain(`${Math.round(report.summary.joulesPerImage.mean!)} J`);
    expect(text).toMatch(/REPLAY ended/);
    expect(text).toMatch(/8\/8 images/);
    await src.close();
  });

  it('plays at its speed, pauses, and seeks by 5% of the recording (at least 5 s) with ←/→', async () => {
    const loaded = await readSession(FINISHED);
    const ck = clock();
    const src = new ReplaySource(loaded, { speed: 2, now: ck.now });
    const c = new DashboardController(src, { ascii: false, color: false });
    src.play();
    ck.advance(1000);
    expect(src.position()).toBe(2000);
    c.key(' ', {});
    expect(src.paused).toBe(true);
    ck.advance(5000);
    expect(src.position()).toBe(2000);
    c.key('', { rightArrow: true });
    const step = Math.max(5000, src.durationMs * 0.05);
    expect(src.position()).toBe(Math.min(src.durationMs, 2000 + step));
    c.key('', { leftArrow: true });
    c.key('', { leftArrow: true });
    expect(src.position()).toBe(0);
    // At the start nothing of the run is shown yet; the images appear as their batches close.
    expect(src.data(60000).rows).toEqual([]);
    const firstEnd = loaded.doc.rows[0].windowEndMs - src.startMs;
    src.seekTo(firstEnd);
    expect(src.data(60000).rows.map((r) => r.index)).toEqual([0]);
    expect(src.data(60000).run.imagesDone).toBe(1);
    await src.close();
  });

  it('what is shown at a position was recorded before it: no future samples in the sparkline window, peaks so far', async () => {
    const loaded = await readSession(FINISHED);
    const src = new ReplaySource(loaded, { speed: 1, now: () => 0 });
    const runStart = loaded.doc.run.startMs! - src.startMs;
    src.seekTo(runStart - 100); // idle: before the generator started
    const d = src.data(60000);
    expect(d.devices[0].maxPowerWatts!).toBeLessThan(60);
    expect(d.windowToMs).toBe(src.startMs + runStart - 100);
    src.seekTo(src.durationMs);
    expect(src.data(60000).devices[0].maxPowerWatts!).toBeGreaterThan(150);
    await src.close();
  });

  it('an unfinished .jsonl (genwatt was killed) replays, and says so', async () => {
    const loaded = await readSession(KILLED);
    expect(loaded.finished).toBe(false);
    const src = new ReplaySource(loaded, { speed: 1, now: () => 0 });
    src.seekTo(src.durationMs);
    const d = src.data(60000);
    expect(d.header.banner).toMatch(/unfinished/);
    expect(d.summary).toEqual(loaded.doc.summary);
    expect(d.rows.length).toBe(loaded.doc.rows.length);
    await src.close();
  });

  it('the launcher and recording keys explain that they do not apply to a replay', async () => {
    const src = new ReplaySource(await readSession(FINISHED), { speed: 1, now: () => 0 });
    const c = new DashboardController(src, { ascii: false, color: false });
    c.key('l', {});
    expect(c.overlay).toBe('none');
    expect(c.view(80, 24).status).toMatch(/not available in replay/);
    c.key('r', {});
    expect(c.view(80, 24).status).toMatch(/nothing to record/);
    await src.close();
  });
});

describe('replay of the real H100 recording', () => {
  it('shows the H100, the counter method and, at the end, the report figures', async () => {
    const file = join(ROOT, 'fixtures/sessions/h100-nvml-turbo.json');
    const src = new ReplaySource(await readSession(file), { speed: 1, now: () => 0 });
    src.seekTo(src.durationMs);
    const c = new DashboardController(src, { ascii: false, color: false });
    const text = frameLines(c.view(120, 40)).map(lineText).join('\n');
    const report = reportJson([await readSession(file)]).sessions[0];
    expect(text).toMatch(/NVIDIA H100 80GB HBM3/);
    expect(text).toMatch(/energy: energy counter, coverage 100%/);
    expect(text).toContain(`${Math.round(report.summary.joulesPerImage.mean!)} J`);
    expect(text).toMatch(/limit 700 W/);
    expect(text).toMatch(/16\/16 images/);
    // Under load the H100 sat at its 700 W cap: NVML's clock event reasons say so.
    src.seekTo(src.durationMs * 0.7);
    expect(frameLines(c.view(100, 24)).map(lineText).join('\n')).toMatch(/throttled: sw-power-cap/);
    await src.close();
  });
});
