import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readSession } from '../../../src/session/reader.js';
import { generate, spawnCli, tempDir, waitFor, waitForAsync } from '../../helpers/gen.js';
import { scrape, startServe, value, type ServeProc } from '../../helpers/serve.js';
import { isLoopback, parseListen } from '../../../src/commands/serve.js';

let serve: ServeProc | undefined;
afterEach(async () => {
  await serve?.stop('SIGKILL');
  serve = undefined;
});

describe('--listen', () => {
  it('parses HOST:PORT, [v6]:PORT and PORT; rejects the rest', () => {
    expect(parseListen('127.0.0.1:9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseListen('9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseListen('[::1]:9')).toEqual({ host: '::1', port: 9 });
    expect(parseListen('0.0.0.0:80')).toEqual({ host: '0.0.0.0', port: 80 });
    expect(() => parseListen('host:99999')).toThrow(/--listen/);
    expect(() => parseListen('nonsense')).toThrow(/--listen/);
    expect(isLoopback('127.0.0.1') && isLoopback('::1') && !isLoopback('0.0.0.0')).toBe(true);
  });
});

describe('genwatt serve (real process, simulated GPU, demo generator)', () => {
  it('exports device and image metrics with node/device labels; the recording holds the same images and joules', async () => {
    const dir = tempDir('gw-serve-');
    const env = { GENWATT_SIM_ACTIVITY: join(dir, 'activity') };
    serve = await startServe(
      [
        '--probe',
        'simulated',
        '--node',
        'edge-1',
        '--watch',
        join(dir, 'out'),
        '--record-dir',
        join(dir, 'rec'),
        '--idle',
        '1',
        '--run-gap',
        '2',
        '--interval',
        '50',
      ],
      { env },
    );
    expect(serve.log()).toMatch(/simulated GPU is not real hardware/);
    let m = await scrape(serve.url);
    const dev = { node: 'edge-1', device: 'sim-0', vendor: 'simulated' };
    expect(value(m, 'genwatt_device_power_watts', { ...dev, kind: 'instant' })).toBeGreaterThan(0);
    expect(value(m, 'genwatt_device_memory_total_bytes', dev)).toBe(24 * 1024 ** 3);
    expect(value(m, 'genwatt_build_info', { node: 'edge-1' })).toBe(1);
    // the folder does not exist yet: reported as not watched, images 0
    expect(value(m, 'genwatt_images_total', { node: 'edge-1' })).toBe(0);
    // images made during the idle baseline would be measured as idle: wait until it is over
    await waitFor(() => /idle baseline over the first 1 s: \d/.test(serve!.log()), 20_000);
    const e0 = value(await scrape(serve.url), 'genwatt_device_energy_joules_total', dev)!;
    expect(await generate(join(dir, 'out'), env, ['--count', '6', '--seconds', '0.4', '--load-seconds', '0.4'])).toBe(0);
    await waitFor(() => /recorded .*\(6 images\)/.test(serve!.log()), 30_000);
    m = await scrape(serve.url);
    const folder = { node: 'edge-1', folder: join(dir, 'out') };
    expect(value(m, 'genwatt_images_total', { ...folder, phase: 'warmup' })).toBe(1);
    expect(value(m, 'genwatt_images_total', { ...folder, phase: 'steady' })).toBe(5);
    expect(value(m, 'genwatt_watch_folder_up', folder)).toBe(1);
    expect(value(m, 'genwatt_image_energy_joules_count', folder)).toBe(5);
    expect(value(m, 'genwatt_image_seconds_count', folder)).toBe(5);
    const e1 = value(m, 'genwatt_device_energy_joules_total', dev)!;
    expect(e1).toBeGreaterThan(e0 + 5 * 50); // five images at ~180 W for ~0.4 s each, at least
    // The recorded session recomputes to the same steady joules the histogram summed.
    const files = readdirSync(join(dir, 'rec')).filter((f) => f.endsWith('.json'));
    expect(files).toHaveLength(1);
    const doc = (await readSession(join(dir, 'rec', files[0]))).doc;
    const steady = doc.rows.filter((r) => !r.warmup);
    expect(steady).toHaveLength(5);
    expect(value(m, 'genwatt_image_energy_joules_sum', folder)).toBeCloseTo(
      steady.reduce((a, r) => a + r.joules!, 0),
      6,
    );
    expect(doc.run.tags.serve).toBe('edge-1');
    // /api/sessions lists it and serves it
    const list = (await (await fetch(`${serve.url}/api/sessions`)).json()) as { sessions: { name: string; complete: boolean; url: string }[] };
    expect(list.sessions.map((s) => [s.name, s.complete])).toEqual([[files[0], true]]);
    const got = (await (await fetch(`${serve.url}${list.sessions[0].url}`)).json()) as { rows: unknown[] };
    expect(got.rows).toHaveLength(6);
    expect((await fetch(`${serve.url}/api/sessions/..%2Fsecret.json`)).status).toBe(404);
    expect((await fetch(`${serve.url}/api/sessions/nope.json`)).status).toBe(404);
    expect((await fetch(`${serve.url}/metrics`, { method: 'POST' })).status).toBe(405);
    const health = (await (await fetch(`${serve.url}/healthz`)).json()) as { status: string; devices: string[] };
    expect(health).toMatchObject({ status: 'ok', devices: ['sim-0'] });
    expect(await serve.stop('SIGTERM')).toBe(0);
    expect(serve.log()).toMatch(/SIGTERM: stopping[\s\S]*stopped/);
  }, 40000);

  it('a run longer than --max-file-minutes continues in a new file; the files together hold every image and the same joules', async () => {
    const dir = tempDir('gw-split-');
    const env = { GENWATT_SIM_ACTIVITY: join(dir, 'activity') };
    const rec = join(dir, 'rec');
    serve = await startServe(
      [
        '--probe',
        'simulated',
        '--watch',
        join(dir, 'out'),
        '--record-dir',
        rec,
        '--rotate',
        'hour',
        '--max-file-minutes',
        '0.04',
        '--idle',
        '0.5',
        '--run-gap',
        '2',
        '--interval',
        '50',
      ],
      { env },
    );
    expect(await generate(join(dir, 'out'), env, ['--count', '20', '--seconds', '0.25', '--load-seconds', '0.2'])).toBe(0);
    await waitForAsync(async () => value(await scrape(serve!.url), 'genwatt_images_total') === 20, 30_000);
    // the run gap (2 s) ends the run: every batch is closed and the last file is finished
    const finished = () => [...serve!.log().matchAll(/recorded \S+-out\.json \((\d+) images\)/g)].reduce((a, x) => a + Number(x[1]), 0);
    await waitFor(() => finished() === 20, 30_000);
    const m = await scrape(serve.url);
    expect(await serve.stop('SIGTERM')).toBe(0);
    const files = readdirSync(rec)
      .filter((f) => f.endsWith('-out.json'))
      .sort();
    expect(files.length).toBeGreaterThanOrEqual(2);
    const docs = await Promise.all(files.map(async (f) => (await readSession(join(rec, f))).doc));
    expect(docs.flatMap((d) => d.rows)).toHaveLength(20);
    expect(docs[0].run.tags.continued).toBeUndefined();
    expect(docs[0].rows[0].warmup).toBe(true);
    for (const d of docs.slice(1)) {
      expect(d.run.tags.continued).toBe('true');
      expect(d.options.warmupBatches).toBe(0);
    }
    const steadyJ = docs
      .flatMap((d) => d.rows)
      .filter((r) => !r.warmup)
      .reduce((a, r) => a + r.joules!, 0);
    expect(value(m, 'genwatt_image_energy_joules_sum')).toBeCloseTo(steadyJ, 6);
    // --rotate hour also keeps a monitor file of every sample
    const mon = readdirSync(rec).filter((f) => f.endsWith('-monitor.json'));
    expect(mon).toHaveLength(1);
    const monDoc = (await readSession(join(rec, mon[0]))).doc;
    expect(monDoc.run.mode).toBe('monitor');
    expect(monDoc.samples.length).toBeGreaterThan(50);
    expect(monDoc.idle?.totalWatts).toBeGreaterThan(0);
  }, 40000);

  it('--sim-gpus 8: eight devices, each with its own series', async () => {
    serve = await startServe(['--probe', 'simulated', '--sim-gpus', '8', '--idle', '0']);
    const ids = async () => [...new Set((await scrape(serve!.url)).filter((s) => s.name === 'genwatt_device_power_watts').map((s) => s.labels.device))].sort();
    // each device's series appears with its first sample
    await waitForAsync(async () => (await ids()).length >= 8, 20_000).catch(() => undefined);
    expect(await ids()).toEqual(['sim-0', 'sim-1', 'sim-2', 'sim-3', 'sim-4', 'sim-5', 'sim-6', 'sim-7']);
  });

  it('another address than loopback is shown as an explicit choice; a bad --listen is a usage error', async () => {
    serve = await startServe(['--probe', 'simulated', '--idle', '0', '--listen', '0.0.0.0:0']);
    expect(serve.log()).toMatch(/0\.0\.0\.0 is reachable from other machines/);
    await serve.stop();
    const r = await spawnCli(['serve', '--listen', 'x:y']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--listen must be HOST:PORT/);
  });

  it('no GPU: exits 1 with the reason, naming --probe simulated', async () => {
    const r = await spawnCli(['serve', '--listen', '127.0.0.1:0'], { PATH: '/nonexistent' });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/no GPU found.*--probe simulated/);
  });
});

describe('serve /healthz', () => {
  let proc: ServeProc | undefined;
  afterEach(async () => {
    await proc?.stop('SIGKILL');
    proc = undefined;
  });

  it('says degraded, with why, while a watched folder is missing; ok once it appears', async () => {
    const dir = tempDir('gw-health-');
    proc = await startServe(['--probe', 'simulated', '--watch', join(dir, 'later'), '--idle', '0', '--interval', '50']);
    const health = async () => (await (await fetch(`${proc!.url}/healthz`)).json()) as { status: string; problems: string[] };
    const h0 = await health();
    expect(h0.status).toBe('degraded');
    expect(h0.problems.join()).toContain(`watched folder ${join(dir, 'later')} is missing`);
    mkdirSync(join(dir, 'later'));
    await waitForAsync(async () => (await health()).status === 'ok', 15000);
    expect((await health()).problems).toEqual([]);
  }, 30000);
});

describe('serve --watch DIR=GPULIST', () => {
  let proc: ServeProc | undefined;
  afterEach(async () => {
    await proc?.stop('SIGKILL');
    proc = undefined;
  });

  it('two folders mapped to two GPUs export separate energy; an unmapped folder is charged both', async () => {
    const dir = tempDir('gw-serve-gpus-');
    const env = { GENWATT_SIM_ACTIVITY: join(dir, 'activity') };
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    const c = join(dir, 'c');
    proc = await startServe(
      [
        '--probe',
        'simulated',
        '--sim-gpus',
        '2',
        '--watch',
        `${a}=0`,
        '--watch',
        `${b}=sim-1`,
        '--watch',
        c,
        '--idle',
        '0.5',
        // 2 s: a generator starved of CPU for a second must not split a folder's images in two runs
        '--run-gap',
        '2',
        '--interval',
        '50',
      ],
      { env },
    );
    expect(proc.log()).toMatch(new RegExp(`${a}: charged to GPU sim-0`));
    // one generator at a time (one simulated activity): on GPU 0 into a, on GPU 1 into b, on GPU 0 into c
    for (const [out, gpu] of [
      [a, '0'],
      [b, '1'],
      [c, '0'],
    ] as const) {
      expect(await generate(out, env, ['--count', '4', '--seconds', '0.3', '--load-seconds', '0.2', '--gpu', gpu])).toBe(0);
      await waitForAsync(async () => value(await scrape(proc!.url), 'genwatt_images_total', { folder: out, phase: 'steady' }) === 3, 30_000);
    }
    const m = await scrape(proc.url);
    // Mean power over each folder's images (joules over seconds): how long an image took depends on
    // the machine's load, the power drawn while it ran does not.
    const watts = (folder: string, gpus: string) =>
      value(m, 'genwatt_image_energy_joules_sum', { folder, gpus })! / value(m, 'genwatt_image_seconds_sum', { folder, gpus })!;
    const wa = watts(a, 'sim-0');
    const wb = watts(b, 'sim-1');
    const wc = watts(c, 'all');
    const seen = JSON.stringify({ wa, wb, wc });
    // a and b each cost one busy GPU (~180 W); c also carries the idle GPU beside it (~30 W)
    expect(wa, seen).toBeGreaterThan(100);
    expect(Math.abs(wb - wa) / wa, seen).toBeLessThan(0.15);
    expect(wc - wa, seen).toBeGreaterThan(15);
    expect(value(m, 'genwatt_watch_folder_up', { folder: b, gpus: 'sim-1' })).toBe(1);
  }, 60000);

  it('a GPU that is not here is a usage error at start', async () => {
    const dir = tempDir('gw-serve-gpus-bad-');
    const r = await spawnCli(['serve', '--probe', 'simulated', '--watch', `${dir}=3`, '--listen', '127.0.0.1:0']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--watch: --gpu 3: no such GPU here \(GPUs: 0 sim-0\)/);
  }, 30000);
});
