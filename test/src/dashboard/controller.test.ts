/** Key handling against real sessions: the simulated GPU, the demo generator writing real PNGs. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DashboardController } from '../../../src/dashboard/controller.js';
import { LiveSource, type RunSpec } from '../../../src/dashboard/live-source.js';
import type { Preset } from '../../../src/backends/presets.js';
import { readSession } from '../../../src/session/reader.js';
import { GENERATOR, ROOT, tempDir, waitFor } from '../../helpers/gen.js';

const sources: LiveSource[] = [];
afterEach(async () => {
  await Promise.all(sources.splice(0).map((s) => s.close()));
});

function live(recordDir: string): LiveSource {
  const s = new LiveSource({
    probes: ['simulated'],
    intervalMs: 50,
    warmupBatches: 1,
    batchGapMs: null,
    cwd: ROOT,
    recordDir,
    simulateIfNoGpu: false,
    tags: {},
    killAfterMs: 2000,
  });
  sources.push(s);
  return s;
}

function preset(out: string, secondsPerImage = 0.3): Preset {
  return {
    name: 'fast-demo',
    command: [process.execPath, GENERATOR, '--out', '{out}', '--count', '{count}', '--seconds', String(secondsPerImage), '--load-seconds', '0.2'],
    cwd: ROOT,
    out,
    count: 40,
    idleSeconds: 0.3,
    warmup: null,
    gpu: null,
    timeoutSeconds: null,
    backend: null,
    tags: { model: 'demo' },
  };
}

const ENTER = { return: true };

describe('DashboardController with a live source', () => {
  it("one clock per run (it never steps back when the idle baseline ends); max and peak cover the chart's window, also after the run", async () => {
    const src = live(tempDir());
    await src.start(null);
    const c = new DashboardController(src, { ascii: false, color: false });
    c.setPresets({ presets: [{ ...preset(join(tempDir(), 'out')), count: 4, idleSeconds: 1 }], file: '/x/c.json', searched: [], error: null, disabled: [] });
    c.key('s', {});
    c.key('', ENTER);
    await waitFor(() => src.running(), 5000);
    let last = -Infinity;
    while (src.running()) {
      const e = c.view(100, 30).run.elapsedSeconds;
      if (e !== null) {
        expect(e).toBeGreaterThanOrEqual(last);
        last = e;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    await waitFor(() => c.view(100, 30).run.mode === 'monitor', 5000);
    // back to monitoring: the window still shows the run's power; max and peak say what it shows
    const d = c.view(100, 30).devices[0];
    const maxIn = (pts: readonly { value?: number }[]) => Math.max(...pts.map((p) => p.value ?? -Infinity));
    expect(d.maxPowerWatts).toBe(maxIn(d.power));
    expect(d.maxPowerWatts).toBeGreaterThan(100); // the demo's images, not the idle monitor's 30 W
    expect(d.peakVramBytes).toBe(maxIn(d.vram));
  }, 60_000);

  it('a run into a folder that does not exist yet: "waiting for … to appear" leaves the status line with the first image; the header counts what the table shows', async () => {
    const src = live(tempDir());
    await src.start(null);
    const c = new DashboardController(src, { ascii: false, color: false, statusMs: 60_000 });
    const out = join(tempDir(), 'made-by-the-generator');
    const p = { ...preset(out), count: 6 };
    c.setPresets({ presets: [p], file: '/x/genwatt.config.json', searched: [], error: null, disabled: [] });
    c.key('s', {});
    c.key('', ENTER);
    await waitFor(() => /waiting for .*made-by-the-generator to appear/.test(c.view(100, 30).status ?? ''), 15000);
    await waitFor(() => c.view(100, 30).rows.length >= 1, 20000);
    expect(c.view(100, 30).status ?? '').not.toMatch(/waiting for/);
    // every frame: the header's count is the table's (an image still closing its window is counted apart)
    while (src.running()) {
      const v = c.view(100, 30);
      expect(v.run.imagesDone).toBe(v.rows.length);
      await new Promise((r) => setTimeout(r, 30));
    }
  }, 60_000);

  it('launcher: l opens it, + raises the count, Enter starts the preset (recorded like genwatt run), s stops it and the recording is finished', async () => {
    const rec = tempDir();
    const src = live(rec);
    await src.start(null);
    const c = new DashboardController(src, { ascii: false, color: false });
    c.setPresets({ presets: [preset(join(tempDir(), 'out'))], file: '/x/genwatt.config.json', searched: [], error: null, disabled: [] });
    expect(c.view(80, 24).run.mode).toBe('monitor');
    c.key('l', {});
    expect(c.overlay).toBe('launcher');
    c.key('+', {});
    expect(c.launcherView().count).toBe(41);
    c.key('', ENTER);
    expect(c.overlay).toBe('none');
    await waitFor(() => src.running(), 5000);
    await waitFor(() => c.view(80, 24).rows.length >= 2, 15000);
    const v = c.view(80, 24);
    expect(v.run).toMatchObject({ mode: 'run', target: 41, label: 'preset fast-demo' });
    expect(v.header.recording).toBe(true);
    c.key('s', {});
    await waitFor(() => !src.running() && src.results().length === 1, 10000);
    const res = src.results()[0];
    expect(res.recordFile).toMatch(/-run\.json$/);
    const loaded = await readSession(res.recordFile!);
    expect(loaded.finished).toBe(true);
    expect(loaded.doc.run.endReason).toBe('interrupted');
    expect(loaded.doc.run.tags).toMatchObject({ preset: 'fast-demo', model: 'demo' });
    expect(loaded.doc.rows.length).toBeGreaterThanOrEqual(2);
    // Back to monitoring, with the finished run's numbers still on screen.
    await waitFor(() => c.view(80, 24).run.mode === 'monitor', 5000);
    expect(c.view(80, 24).rows.length).toBe(loaded.doc.rows.length);
  });

  it('q during a run asks first (any other key cancels); q again stops the generator and finishes the recording before quitting', async () => {
    const rec = tempDir();
    const out = join(tempDir(), 'out');
    const file = join(rec, 'quit.json');
    const src = live(rec);
    const spec: RunSpec = {
      mode: 'run',
      label: 'gen',
      argv: [process.execPath, GENERATOR, '--out', out, '--count', '100', '--seconds', '0.3', '--load-seconds', '0.2'],
      outDir: out,
      count: null,
      idleSeconds: 0.3,
      timeoutMs: null,
      record: file,
      tags: {},
    };
    await src.start(spec);
    const c = new DashboardController(src, { ascii: false, color: false });
    await waitFor(() => c.view(80, 24).rows.length >= 1, 15000);
    const quit = new Promise<void>((r) => c.once('quit', r));
    c.key('q', {});
    expect(c.view(80, 24).confirmQuit).toBe(true);
    c.key('x', {});
    expect(c.view(80, 24).confirmQuit).toBe(false);
    expect(src.running()).toBe(true);
    c.key('q', {});
    c.key('q', {});
    await quit;
    expect(existsSync(file)).toBe(true);
    expect(existsSync(`${file}l`)).toBe(false);
    const loaded = await readSession(file);
    expect(loaded.finished).toBe(true);
    expect(loaded.doc.run.exit?.reason).toBe('stopped');
    expect(src.results()[0].exitCode).toBe(130);
  });

  it('s asks before it starts a preset, naming what would run: Esc (or any other key) cancels, Enter starts; s during the run stops it', async () => {
    const src = live(tempDir());
    await src.start(null);
    const c = new DashboardController(src, { ascii: false, color: false });
    c.setPresets({ presets: [preset(join(tempDir(), 'out'))], file: '/x/genwatt.config.json', searched: [], error: null, disabled: [] });
    c.key('s', {});
    expect(c.view(80, 24).status).toMatch(/^start fast-demo \(.*demo-generator\.mjs.*\)\? Enter starts, Esc cancels$/);
    c.key('', { escape: true });
    expect(c.view(80, 24).status).toBe('start of fast-demo cancelled');
    c.key('s', {});
    c.key('x', {});
    await new Promise((r) => setTimeout(r, 300));
    expect(src.running()).toBe(false);
    c.key('s', {});
    c.key('', ENTER);
    await waitFor(() => src.running(), 5000);
    c.key('s', {});
    await waitFor(() => !src.running() && src.results().length === 1, 15000);
  });

  it('r records while monitoring and r again finishes that recording', async () => {
    const rec = tempDir();
    const src = live(rec);
    await src.start(null);
    const c = new DashboardController(src, { ascii: false, color: false });
    c.key('r', {});
    await waitFor(() => src.recording(), 20_000);
    // a few samples into the recording (each one changes the source)
    let changes = 0;
    src.on('change', () => changes++);
    await waitFor(() => changes >= 6, 20_000);
    c.key('r', {});
    await waitFor(() => src.results().some((r) => r.recordFile), 5000);
    const loaded = await readSession(src.results()[0].recordFile!);
    expect(loaded.doc.run.mode).toBe('monitor');
    expect(loaded.doc.samples.length).toBeGreaterThan(3);
  });

  it('without presets, Enter explains what to do; s with nothing running says so; ? shows help and any key closes it', async () => {
    const src = live(tempDir());
    await src.start(null);
    const c = new DashboardController(src, { ascii: false, color: false });
    c.setPresets({ presets: [], file: null, searched: ['/w/genwatt.config.json'], error: null, disabled: [] });
    c.key('s', {});
    expect(c.view(80, 24).status).toMatch(/no presets/);
    c.key('?', {});
    expect(c.overlay).toBe('help');
    c.key('x', {});
    expect(c.overlay).toBe('none');
    c.key('g', {});
    expect(c.overlay).toBe('chart');
    c.key('g', {});
    expect(c.overlay).toBe('none');
  });

  it('a config error is shown and the built-in demo preset is still offered', async () => {
    const src = live(tempDir());
    await src.start(null);
    const c = new DashboardController(src, { ascii: false, color: false });
    c.setPresets(
      { presets: [], file: '/w/genwatt.config.json', searched: [], error: '/w/genwatt.config.json line 3: presets[0].command must be array', disabled: [] },
      [preset('/tmp/x')],
    );
    expect(c.view(80, 24).status).toMatch(/config: .*presets\[0\]\.command must be array/);
    expect(c.launcherView().presets.map((p) => p.name)).toEqual(['fast-demo']);
    expect(c.launcherView().error).toMatch(/line 3/);
  });
});
