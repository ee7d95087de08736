/**
 * Soak: `genwatt serve` with the simulated GPU sampled at 20 Hz while the demo generator writes an
 * image every ~100 ms into the watched folder, recording, scraped every 5 s — for
 * GENWATT_SOAK_SECONDS (`npm run soak`: 10 minutes; `npm test` skips it, since a soak's worth is its
 * length). RSS and open file handles must stay flat, every image must be counted and recorded. The
 * figures are printed for the closing note.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSession } from '../../src/session/reader.js';
import { GENERATOR, sleep, tempDir } from '../helpers/gen.js';
import { scrape, startServe, value } from '../helpers/serve.js';

const SECONDS = Number(process.env.GENWATT_SOAK_SECONDS ?? 600);
const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
const fds = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

describe('soak', () => {
  it.runIf(process.env.GENWATT_LONG === '1')(
    `serve at 20 Hz with an image every ~100 ms for ${SECONDS} s: RSS and open files stay flat, nothing is lost`,
    async () => {
      const dir = tempDir('gw-soak-');
      const out = join(dir, 'out');
      const rec = join(dir, 'rec');
      const env = { GENWATT_SIM_ACTIVITY: join(dir, 'activity') };
      const serve = await startServe(['--probe', 'simulated', '--interval', '50', '--watch', out, '--record-dir', rec, '--idle', '1', '--run-gap', '5'], {
        env,
      });
      const pid = serve.child.pid!;
      const gen = spawn(process.execPath, [GENERATOR, '--out', out, '--count', '1000000', '--seconds', '0.1', '--load-seconds', '0.1', '--write', 'direct'], {
        env: { ...process.env, ...env },
        stdio: 'ignore',
      });
      const points: { tS: number; rss: number; fds: number; images: number }[] = [];
      const t0 = Date.now();
      while (Date.now() - t0 < SECONDS * 1000) {
        await sleep(5000);
        const m = await scrape(serve.url);
        points.push({ tS: Math.round((Date.now() - t0) / 1000), rss: rssMiB(pid), fds: fds(pid), images: value(m, 'genwatt_images_total') ?? 0 });
      }
      gen.kill('SIGTERM');
      await new Promise((r) => gen.once('exit', r));
      await sleep(6000); // the run gap closes the last run
      const last = await scrape(serve.url);
      const counted = value(last, 'genwatt_images_total')!;
      expect(await serve.stop('SIGTERM')).toBe(0);

      const written = readdirSync(out).filter((f) => f.endsWith('.png')).length;
      const files = readdirSync(rec).filter((f) => f.endsWith('.json'));
      let recorded = 0;
      for (const f of files) recorded += (await readSession(join(rec, f))).doc.rows.length;
      // After the first minute (JIT, buffers, caches reach their size), compare the first and last thirds.
      const settled = points.filter((p) => p.tS >= Math.min(60, SECONDS / 3));
      const third = Math.max(1, Math.floor(settled.length / 3));
      const early = settled.slice(0, third);
      const late = settled.slice(-third);
      const rssEarly = median(early.map((p) => p.rss));
      const rssLate = median(late.map((p) => p.rss));
      const fdEarly = Math.max(...early.map((p) => p.fds));
      const fdLate = Math.max(...late.map((p) => p.fds));
      console.log(
        `soak ${SECONDS} s: ${written} images written, ${counted} counted, ${recorded} recorded in ${files.length} file(s); RSS median ${rssEarly.toFixed(1)} MiB (early) -> ${rssLate.toFixed(1)} MiB (late), max ${Math.max(...points.map((p) => p.rss)).toFixed(1)} MiB; open fds ${fdEarly} -> ${fdLate}`,
      );
      expect(counted).toBe(written);
      expect(recorded).toBe(written);
      expect(fdLate).toBeLessThanOrEqual(fdEarly + 3);
      expect(rssLate).toBeLessThanOrEqual(rssEarly * 1.15 + 5);
    },
    (SECONDS + 120) * 1000,
  );
});
