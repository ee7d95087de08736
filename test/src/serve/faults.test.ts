/**
 * Faults while genwatt serves and runs, all with real processes: the vendor tool (the fake
 * nvidia-smi replaying a real H100 capture) killed again and again or hanging, the watched folder
 * deleted and recreated, the recording disk full (a real 256 KiB tmpfs), and `serve` killed -9.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readSession } from '../../../src/session/reader.js';
import { FAKE_BIN, generate, GENERATOR, spawnCli, tempDir, waitFor, waitForAsync } from '../../helpers/gen.js';
import { scrape, startServe, value, type Sample, type ServeProc } from '../../helpers/serve.js';
import { fill, mountTmpfs } from '../../helpers/disk.js';

const FAKE_PATH = `${FAKE_BIN}:/usr/bin:/bin`;

let serve: ServeProc | undefined;
const cleanups: (() => void)[] = [];
afterEach(async () => {
  await serve?.stop('SIGKILL');
  serve = undefined;
  for (const c of cleanups.splice(0)) c();
});

const nvDev = (m: Sample[]) => m.find((s) => s.name === 'genwatt_device_up')?.labels.device;

describe('serve keeps going through faults', () => {
  it('nvidia-smi killed again and again: restarts counted, gaps marked, the energy counter never decreases', async () => {
    serve = await startServe(['--probe', 'nvidia-smi', '--idle', '0', '--interval', '100'], { env: { PATH: FAKE_PATH } });
    await waitForAsync(async () => value(await scrape(serve!.url), 'genwatt_device_power_watts') !== undefined, 10000);
    let lastEnergy = 0;
    for (let k = 0; k < 3; k++) {
      // kill the streaming nvidia-smi that serve started (not a one-shot query it may be running),
      // once it is there: pkill says whether it found one
      await waitFor(() => spawnSync('pkill', ['-KILL', '-P', String(serve!.child.pid), '-f', 'nvidia-smi .*-lms']).status === 0, 30_000, 100);
      // read during the gap the kill leaves: the total holds
      const m = await scrape(serve.url);
      const e = value(m, 'genwatt_device_energy_joules_total')!;
      expect(e).toBeGreaterThanOrEqual(lastEnergy);
      lastEnergy = e;
      // back with readings after the restart (back-off 0.5, 1, 2 s)
      await waitForAsync(
        async () =>
          value(await scrape(serve!.url), 'genwatt_device_up') === 1 &&
          (value(await scrape(serve!.url), 'genwatt_probe_restarts_total', { probe: 'nvidia-smi' }) ?? 0) >= k + 1,
        30_000,
      );
    }
    const m = await scrape(serve.url);
    expect(value(m, 'genwatt_probe_restarts_total', { probe: 'nvidia-smi' })).toBeGreaterThanOrEqual(3);
    // Every kill is a restart; the outages are marked as gaps with a note. Two kills can make one
    // outage (one gap, one note): the restart is counted as soon as the tool ends, so the next kill
    // can come before the restarted tool printed a line, as a loaded machine makes it.
    expect(value(m, 'genwatt_sampler_gaps_total', { device: nvDev(m)!, probe: 'nvidia-smi' })).toBeGreaterThanOrEqual(1);
    expect(value(m, 'genwatt_device_energy_joules_total')).toBeGreaterThanOrEqual(lastEnergy);
    expect(value(m, 'genwatt_notes_total', { source: 'nvidia-smi' })).toBeGreaterThanOrEqual(1);
    expect(serve.log()).toMatch(/nvidia-smi ended \(signal SIGKILL\); restarting/);
  }, 60000);

  it('nvidia-smi hanging (no output): the device is down and its power absent (never 0), then back after the restart', async () => {
    serve = await startServe(['--probe', 'nvidia-smi', '--idle', '0', '--interval', '100'], { env: { PATH: FAKE_PATH, FAKE_NVSMI_MODE: 'stall-after:15' } });
    await waitForAsync(async () => value(await scrape(serve!.url), 'genwatt_device_up') === 1, 10000);
    await waitForAsync(async () => value(await scrape(serve!.url), 'genwatt_device_up') === 0, 10000);
    const down = await scrape(serve.url);
    expect(value(down, 'genwatt_device_power_watts')).toBeUndefined();
    expect(value(down, 'genwatt_device_memory_used_bytes')).toBeUndefined();
    expect(value(down, 'genwatt_device_memory_total_bytes')).toBeGreaterThan(0); // a fact, not a reading
    await waitForAsync(async () => value(await scrape(serve!.url), 'genwatt_device_up') === 1, 15000);
    const m = await scrape(serve.url);
    expect(value(m, 'genwatt_probe_restarts_total', { probe: 'nvidia-smi' })).toBeGreaterThanOrEqual(1);
    expect(serve.log()).toMatch(/nvidia-smi stalled \(no line for \d+ ms\); restarting/);
  }, 60000);

  it('the watched folder deleted and recreated: images in the new folder count', async () => {
    const dir = tempDir('gw-fault-');
    const out = join(dir, 'out');
    mkdirSync(out);
    const env = { GENWATT_SIM_ACTIVITY: join(dir, 'activity') };
    serve = await startServe(['--probe', 'simulated', '--watch', out, '--idle', '0', '--run-gap', '2', '--interval', '50'], { env });
    await waitFor(() => /watching /.test(serve!.log()), 10000);
    expect(await generate(out, env, ['--count', '2', '--seconds', '0.2', '--load-seconds', '0.1'])).toBe(0);
    await waitForAsync(async () => value(await scrape(serve!.url), 'genwatt_images_total') === 2, 10000);
    rmSync(out, { recursive: true });
    await waitFor(() => /was removed/.test(serve!.log()), 5000);
    expect(value(await scrape(serve.url), 'genwatt_watch_folder_up')).toBe(0);
    mkdirSync(out);
    await waitFor(() => (serve!.log().match(/watching /g) ?? []).length >= 2, 5000);
    expect(await generate(out, env, ['--count', '3', '--seconds', '0.2', '--load-seconds', '0.1'])).toBe(0);
    await waitForAsync(async () => value(await scrape(serve!.url), 'genwatt_images_total') === 5, 10000);
    expect(value(await scrape(serve.url), 'genwatt_watch_folder_up')).toBe(1);
  }, 40000);

  it('the recording disk full: serving goes on, the fault shows in metrics and logs, and the session is finished once space is back', async () => {
    const dir = tempDir('gw-full-');
    const rec = join(dir, 'rec');
    cleanups.push(mountTmpfs(rec, 256));
    const out = join(dir, 'out');
    const env = { GENWATT_SIM_ACTIVITY: join(dir, 'activity') };
    serve = await startServe(['--probe', 'simulated', '--watch', out, '--record-dir', rec, '--idle', '0', '--run-gap', '3', '--interval', '50'], { env });
    fill(join(rec, 'filler'));
    expect(await generate(out, env, ['--count', '4', '--seconds', '0.3', '--load-seconds', '0.1'])).toBe(0);
    await waitForAsync(async () => value(await scrape(serve!.url), 'genwatt_recording_ok') === 0, 10000);
    let m = await scrape(serve.url);
    expect(value(m, 'genwatt_recording_write_errors_total')).toBeGreaterThanOrEqual(1);
    await waitForAsync(async () => value(await scrape(serve!.url), 'genwatt_images_total') === 4, 5000); // measuring and serving go on
    expect(serve.log()).toMatch(/cannot write .*ENOSPC.*retrying/);
    rmSync(join(rec, 'filler'));
    await waitForAsync(async () => value(await scrape(serve!.url), 'genwatt_sessions_recorded_total') === 1, 20000);
    m = await scrape(serve.url);
    expect(value(m, 'genwatt_recording_ok')).toBe(1);
    expect(value(m, 'genwatt_recording_lost_records_total')).toBe(0);
    const files = readdirSync(rec).filter((f) => f.endsWith('.json'));
    expect(files).toHaveLength(1);
    const doc = (await readSession(join(rec, files[0]))).doc;
    expect(doc.rows).toHaveLength(4);
    expect(doc.rows.every((r) => r.joules !== null && r.coverage > 0.95)).toBe(true);
  }, 60000);

  it('the recording folder read-only for a moment (a remount): what came meanwhile is written once it is writable again, nothing lost', async () => {
    const dir = tempDir('gw-ro-');
    const rec = join(dir, 'rec');
    cleanups.push(mountTmpfs(rec, 64 * 1024));
    const out = join(dir, 'out');
    const env = { GENWATT_SIM_ACTIVITY: join(dir, 'activity') };
    serve = await startServe(['--probe', 'simulated', '--watch', out, '--record-dir', rec, '--idle', '0', '--run-gap', '2', '--interval', '50'], { env });
    const remount = (mode: 'ro' | 'rw') => expect(spawnSync('mount', ['-o', `remount,${mode}`, rec]).status).toBe(0);
    expect(await generate(out, env, ['--count', '3', '--seconds', '0.3', '--load-seconds', '0.1'])).toBe(0);
    // the first run ends (run gap) and is recorded: no file is open for writing, so the folder can be remounted
    await waitForAsync(async () => value(await scrape(serve!.url), 'genwatt_sessions_recorded_total') === 1, 30_000);
    remount('ro');
    // a second run comes while the folder cannot be written, reusing the first run's names
    expect(await generate(out, env, ['--count', '3', '--seconds', '0.3', '--load-seconds', '0.1'])).toBe(0);
    await waitForAsync(async () => value(await scrape(serve!.url), 'genwatt_images_total') === 6, 30_000);
    await waitFor(() => /cannot write .*(EROFS|read-only)/i.test(serve!.log()), 30_000);
    remount('rw');
    // both runs are finished on disk once it can be written, well before serve stops
    await waitForAsync(async () => value(await scrape(serve!.url), 'genwatt_sessions_recorded_total') === 2, 40_000).catch(() => undefined);
    const m = await scrape(serve.url);
    expect(value(m, 'genwatt_sessions_recorded_total'), serve.log()).toBe(2);
    expect(value(m, 'genwatt_recording_ok')).toBe(1);
    expect(value(m, 'genwatt_recording_lost_records_total')).toBe(0);
    expect(await serve.stop('SIGTERM')).toBe(0);
    const files = readdirSync(rec).filter((f) => f.endsWith('.json'));
    const docs = await Promise.all(files.map(async (f) => (await readSession(join(rec, f))).doc));
    expect(docs.flatMap((d) => d.rows)).toHaveLength(6);
  }, 150_000);

  it('kill -9 while recording, then restart: the partial session is readable and the new one starts cleanly', async () => {
    const dir = tempDir('gw-kill9-');
    const rec = join(dir, 'rec');
    const out = join(dir, 'out');
    const env = { GENWATT_SIM_ACTIVITY: join(dir, 'activity') };
    const args = ['--probe', 'simulated', '--watch', out, '--record-dir', rec, '--idle', '0', '--run-gap', '30', '--interval', '50'];
    serve = await startServe(args, { env });
    expect(await generate(out, env, ['--count', '3', '--seconds', '0.3', '--load-seconds', '0.1'])).toBe(0);
    await waitForAsync(async () => value(await scrape(serve!.url), 'genwatt_images_total') === 3, 30_000);
    // the journal is flushed at every image and every 250 ms: killed once it holds the three
    const journalImages = () =>
      readdirSync(rec)
        .filter((f) => f.endsWith('.jsonl'))
        .reduce((a, f) => a + (readFileSync(join(rec, f), 'utf8').match(/"type":"image"/g) ?? []).length, 0);
    await waitFor(() => journalImages() >= 3, 20_000);
    await serve.stop('SIGKILL');
    const journals = readdirSync(rec).filter((f) => f.endsWith('.jsonl'));
    expect(journals).toHaveLength(1);
    const partial = await readSession(join(rec, journals[0]));
    expect(partial.finished).toBe(false);
    expect(partial.doc.images).toHaveLength(3);
    expect(partial.warnings.join(' ')).toMatch(/no end record/);

    // (a run gap of 2 s: a generator starved of CPU for a second must not split its two images in two runs)
    serve = await startServe([...args.slice(0, -4), '--run-gap', '2', '--interval', '50'], { env });
    // (a subfolder: the demo generator numbers its files from 0 again, and files there before a start never count)
    expect(await generate(join(out, 'again'), env, ['--count', '2', '--seconds', '0.3', '--load-seconds', '0.1'])).toBe(0);
    await waitFor(() => /recorded .*\(2 images\)/.test(serve!.log()), 20000);
    const list = (await (await fetch(`${serve.url}/api/sessions`)).json()) as { sessions: { name: string; complete: boolean }[] };
    expect(list.sessions.map((s) => s.complete).sort()).toEqual([false, true]);
    const old = (await (await fetch(`${serve.url}/api/sessions/${journals[0]}`)).json()) as { complete: boolean; images: unknown[] };
    expect(old).toMatchObject({ complete: false });
    expect(old.images).toHaveLength(3);
  }, 60000);
});

describe('run keeps going through faults', () => {
  it('nvidia-smi dying during a run: every image still measured, the outage recorded as a gap', async () => {
    const dir = tempDir('gw-runfault-');
    const rec = join(dir, 'r.json');
    const r = await spawnCli(
      [
        'run',
        '--probe',
        'nvidia-smi',
        '--idle',
        '0',
        '--plain',
        '--record',
        rec,
        '--out',
        join(dir, 'out'),
        '--',
        process.execPath,
        GENERATOR,
        '--out',
        join(dir, 'out'),
        '--count',
        '4',
        '--seconds',
        '0.6',
        '--load-seconds',
        '0.2',
      ],
      { PATH: FAKE_PATH, FAKE_NVSMI_MODE: 'die-after:12' },
    );
    expect(r.code).toBe(0);
    const doc = (await readSession(rec)).doc;
    expect(doc.rows).toHaveLength(4);
    expect(doc.gaps.length).toBeGreaterThanOrEqual(1);
    expect(doc.gaps[0].reason).toMatch(/nvidia-smi ended \(exit code 15/);
  }, 30000);

  it('the recording disk full during a run: the run finishes, the error names the file and what the journal keeps', async () => {
    const dir = tempDir('gw-runfull-');
    const recDir = join(dir, 'rec');
    cleanups.push(mountTmpfs(recDir, 64));
    writeFileSync(join(recDir, 'x'), '');
    fill(join(recDir, 'filler'));
    const r = await spawnCli([
      'run',
      '--probe',
      'simulated',
      '--idle',
      '0',
      '--plain',
      '--record',
      join(recDir, 'r.json'),
      '--out',
      join(dir, 'out'),
      '--',
      process.execPath,
      GENERATOR,
      '--out',
      join(dir, 'out'),
      '--count',
      '3',
      '--seconds',
      '0.2',
      '--load-seconds',
      '0.1',
    ]);
    const all = r.out + r.err;
    expect(r.code).toBe(1);
    expect(all).toMatch(/00002-1002\.png/); // every image was still measured and printed
    expect(all).toMatch(/could not write .*r\.json: ENOSPC: no space left on device[^;]*; the disk refused \d+ records/);
  }, 30000);
});
