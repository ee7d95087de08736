/**
 * Guarantee: `serve` stays responsive under load. On ffcd592 each GET of a 50 MB unfinished journal
 * parsed it on the main thread (≈2 s, ≈170 MB each; 20 requests at concurrency 5: 27 of ≈196
 * samples taken, RSS 867 MB), 20 000 idle sockets exhausted its file descriptors (recording failed
 * with EMFILE), and a request for `Host: attacker.example` was answered (DNS rebinding).
 */
import { connect, type Socket } from 'node:net';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeLongSession } from '../../bench/long-session.mjs';
import { tempDir, waitFor, waitForAsync } from '../helpers/gen.js';
import { fdCount, trackPeak } from '../helpers/proc.js';
import { scrape, startServe, value, type ServeProc } from '../helpers/serve.js';

let serve: ServeProc | undefined;
afterEach(async () => {
  await serve?.stop();
  serve = undefined;
});

describe('serve under load', () => {
  it('20 GETs of a 50 MB journal at concurrency 5: one bounded build, served from the cache; sampling goes on', async () => {
    const rec = tempDir('gw-load-');
    // 4 GPUs at 10 Hz for 2 hours, unfinished (no end record): ~55 MB.
    await writeLongSession(join(rec, 'big.jsonl'), { seconds: 7200, gpus: 4, cycleMs: 8000 });
    // serve's own temporary folder, to see its cache of built documents
    const tmp = tempDir('gw-load-tmp-');
    serve = await startServe(['--probe', 'simulated', '--interval', '100', '--idle', '0', '--record-dir', rec], { env: { TMPDIR: tmp } });
    const peak = trackPeak(serve.child.pid!, 50);
    await waitForAsync(async () => value(await scrape(serve!.url), 'genwatt_device_power_watts') !== undefined, 20_000);
    const m0 = await scrape(serve.url);
    const t0 = Date.now();
    const sizes: number[] = [];
    for (let round = 0; round < 4; round++) {
      const res = await Promise.all(
        Array.from({ length: 5 }, () =>
          fetch(`${serve!.url}/api/sessions/big.jsonl`).then(async (r) => ({ status: r.status, bytes: (await r.arrayBuffer()).byteLength })),
        ),
      );
      for (const r of res) {
        expect(r.status).toBe(200);
        sizes.push(r.bytes);
      }
    }
    const seconds = (Date.now() - t0) / 1000;
    const m1 = await scrape(serve.url);
    const peakMiB = peak.stop();
    expect(new Set(sizes).size).toBe(1);
    // one build for the unchanged journal: the other 19 answers came from the cache
    const cacheDirs = readdirSync(tmp).filter((d) => d.startsWith('genwatt-serve-cache-'));
    expect(cacheDirs).toHaveLength(1);
    expect(readdirSync(join(tmp, cacheDirs[0]))).toEqual(['0.json']);
    // Sampling went on at ~10 Hz: serving never blocked the loop with genwatt's own work. (A machine
    // too busy to run genwatt leaves gaps too, and says so: those are not serving's doing.)
    expect(serve.log()).not.toMatch(/blocked for \d+ ms by its own work/);
    const gaps = (value(m1, 'genwatt_sampler_gaps_total') ?? 0) - (value(m0, 'genwatt_sampler_gaps_total') ?? 0);
    const notRun = (serve.log().match(/genwatt did not run for/g) ?? []).length;
    expect(gaps, serve.log()).toBeLessThanOrEqual(notRun);
    expect(peakMiB).toBeLessThan(400);
    console.log(`serve load: 20 GETs of ${(sizes[0] / 1048576).toFixed(0)} MiB in ${seconds.toFixed(1)} s, peak RSS ${peakMiB.toFixed(0)} MiB`);
  }, 120000);

  it('2000 idle sockets: connections are capped, descriptors stay bounded, /metrics answers again once they time out', async () => {
    serve = await startServe(['--probe', 'simulated', '--interval', '100', '--idle', '0', '--max-connections', '32']);
    const port = Number(new URL(serve.url).port);
    const pid = serve.child.pid!;
    const sockets: Socket[] = [];
    for (let i = 0; i < 2000; i++) {
      const s = connect(port, '127.0.0.1');
      s.on('error', () => undefined);
      sockets.push(s);
    }
    // every connection reached the server (accepted or refused at the cap) before counting descriptors
    await waitFor(() => sockets.every((s) => s.readyState !== 'opening'), 30_000);
    expect(fdCount(pid)).toBeLessThan(120);
    // Idle connections are dropped after the header timeout (5 s); then /metrics answers.
    await waitForAsync(async () => (await fetch(`${serve!.url}/metrics`, { signal: AbortSignal.timeout(2000) }).catch(() => null))?.status === 200, 40000, 500);
    for (const s of sockets) s.destroy();
  }, 60000);

  it('bound to loopback: a foreign Host is refused with 421; loopback, the node name and --allow-host are answered', async () => {
    serve = await startServe(['--probe', 'simulated', '--idle', '0', '--node', 'edge-7', '--allow-host', 'gpu.lab']);
    const get = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const u = new URL(serve!.url);
        const s = connect(Number(u.port), '127.0.0.1', () => s.write(`GET /healthz HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`));
        let data = '';
        s.on('data', (c) => (data += c));
        s.on('end', () => resolve(Number(/^HTTP\/1\.1 (\d+)/.exec(data)?.[1])));
        s.on('error', reject);
      });
    expect(await get('attacker.example')).toBe(421);
    expect(await get('attacker.example:9464')).toBe(421);
    expect(await get('localhost:9464')).toBe(200);
    expect(await get('127.0.0.1')).toBe(200);
    expect(await get('[::1]:9464')).toBe(200);
    expect(await get('edge-7')).toBe(200);
    expect(await get('gpu.lab:9464')).toBe(200);
  }, 30000);
});
