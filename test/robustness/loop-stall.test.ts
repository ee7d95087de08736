/**
 * Guarantee: a stalled event loop is a recorded gap, with its cause. genwatt is frozen for real
 * (SIGSTOP, then SIGCONT two seconds later: no timer fires, no sample is taken), and the recording
 * and the exporter say so — in `run` and in `serve` (the dashboard's sessions are the same measured
 * sessions as `run`). The CPU genwatt used meanwhile tells a stop (or a machine that starved it)
 * from its own work blocking the loop (what a blocking parse did on ffcd592): loop-watch.test.ts.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSession } from '../../src/session/reader.js';
import { CLI, GENERATOR, sleep, tempDir, waitFor, waitForAsync } from '../helpers/gen.js';
import { scrape, startServe, value } from '../helpers/serve.js';

describe('a stalled event loop', () => {
  it('run: a 2 s freeze is a gap in the recording, with its cause', async () => {
    const dir = tempDir('gw-stall-');
    const rec = join(dir, 'r.json');
    const out = join(dir, 'out');
    const child = spawn(
      process.execPath,
      [
        CLI,
        'run',
        '--probe',
        'simulated',
        '--interval',
        '50',
        '--idle',
        '0',
        '--plain',
        '--record',
        rec,
        '--out',
        out,
        '--',
        process.execPath,
        GENERATOR,
        '--out',
        out,
        '--count',
        '1000',
        '--seconds',
        '0.2',
        '--load-seconds',
        '0.1',
      ],
      { env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    child.stdout.on('data', (c) => (stdout += c));
    await waitFor(() => (stdout.match(/^image /gm) ?? []).length >= 2, 20000);
    // the freeze itself: 2 s during which genwatt runs no code at all
    child.kill('SIGSTOP');
    await sleep(2000);
    child.kill('SIGCONT');
    // the generator (1000 images) is still writing when the run is interrupted
    await waitFor(() => (stdout.match(/^image /gm) ?? []).length >= 5, 30_000);
    child.kill('SIGINT');
    expect(await new Promise((r) => child.on('exit', r))).toBe(130);
    const doc = (await readSession(rec)).doc;
    // stopped by a signal, genwatt used no CPU meanwhile: the gap says it did not run, not that its own work blocked it
    const stalls = doc.gaps.filter((g) => /genwatt did not run for \d+ ms \(\d+ ms of CPU: stopped, suspended, or starved/.test(g.reason));
    expect(stalls.length, JSON.stringify(doc.gaps)).toBeGreaterThanOrEqual(1);
    expect(Number(/did not run for (\d+) ms/.exec(stalls[0].reason)![1])).toBeGreaterThanOrEqual(1500);
    expect(doc.notes.some((n) => /genwatt did not run for/.test(n.message))).toBe(true);
  }, 60000);

  it('serve: the freeze moves genwatt_sampler_gaps_total', async () => {
    const serve = await startServe(['--probe', 'simulated', '--interval', '50', '--idle', '0']);
    try {
      await waitForAsync(async () => value(await scrape(serve.url), 'genwatt_device_power_watts') !== undefined, 20_000);
      const before = value(await scrape(serve.url), 'genwatt_sampler_gaps_total') ?? 0;
      serve.child.kill('SIGSTOP');
      await sleep(2000);
      serve.child.kill('SIGCONT');
      await waitFor(() => /genwatt did not run for \d+ ms/.test(serve.log()), 20_000);
      const after = value(await scrape(serve.url), 'genwatt_sampler_gaps_total') ?? 0;
      expect(after).toBeGreaterThan(before);
    } finally {
      await serve.stop();
    }
  }, 30000);
});
