/** `genwatt run --backend forge` against the protocol-faithful local Forge/A1111 (test/fakes/servers/forge-server.ts). */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readSession } from '../../../src/session/reader.js';
import { freePort, sleep, spawnCli, tempDir, waitFor } from '../../helpers/gen.js';
import { startFakeForge, type FakeForge } from '../../fakes/servers/forge-server.js';
import { startFakeComfy } from '../../fakes/servers/comfyui-server.js';

let forge: FakeForge | undefined;
afterEach(async () => {
  await forge?.close();
  forge = undefined;
});

describe('forge backend (Forge / Forge Neo / A1111 --api)', () => {
  it('sends every setting explicitly with save_images, counts the files the server saves, records model, flags and server memory', async () => {
    const dir = tempDir('gw-forge-');
    const act = join(dir, 'activity');
    forge = await startFakeForge({ outDir: join(dir, 'outputs'), stepMs: 25, simActivityFile: act });
    const rec = join(dir, 'r.json');
    const r = await spawnCli(['run', '--backend', 'forge', '--url', forge.url, '--out', join(dir, 'outputs'), '--prompt', 'a lighthouse', '--steps', '8', '--width', '1024', '--height', '1024', '--cfg', '5', '--sampler', 'DPM++ 2M', '--scheduler', 'Karras', '--seed', '100', '--batch-count', '2', '--requests', '2', '--probe', 'simulated', '--idle', '0.3', '--record', rec], { GENWATT_SIM_ACTIVITY: act });
    expect(r.code, r.err).toBe(0);
    expect(forge.requests).toHaveLength(2);
    expect(forge.requests[0]).toEqual({ prompt: 'a lighthouse', negative_prompt: '', steps: 8, width: 1024, height: 1024, cfg_scale: 5, sampler_name: 'DPM++ 2M', scheduler: 'Karras', seed: 100, batch_size: 1, n_iter: 2, save_images: true, send_images: false });
    expect(forge.requests[1].seed).toBe(102); // the second request continues the seeds
    const doc = (await readSession(rec)).doc;
    expect(doc.rows).toHaveLength(4);
    expect(doc.rows.every((x) => x.joules !== null && x.joules > 0)).toBe(true);
    expect(doc.rows.map((x) => x.meta?.seed)).toEqual([100, 101, 102, 103]);
    expect(doc.rows[1].meta).toMatchObject({ steps: 8, sampler: 'DPM++ 2M', scheduler: 'Karras', cfgScale: 5, model: 'sd_xl_base_1.0' });
    expect(doc.run.tags).toMatchObject({ backend: 'forge', model: 'sd_xl_base_1.0', attention: 'sdpa', steps: '8', size: '1024x1024', 'server-images': '4', 'watched-images': '4', 'server-cuda-peak-reserved-bytes': '10200000000' });
    expect(doc.run.tags['cmd-flags']).toMatch(/opt_sdp_attention/);
    expect(doc.run.tags['cmd-flags']).not.toMatch(/ckpt_dir/); // paths stay out of the recording
    expect(doc.run.exit).toMatchObject({ reason: 'exited' });
    expect(r.err).not.toMatch(/says it made/);
    // what each image was, in the report's per-image table
    const rep = await spawnCli(['report', rec]);
    expect(rep.out).toMatch(/steps\s+sampler\s+size\s+seed\s+model/);
    expect(rep.out).toMatch(/00001-101\.png .* 8\s+DPM\+\+ 2M\s+64x64\s+101\s+sd_xl_base_1\.0/);
  }, 30000);

  it('Ctrl-C interrupts the server job (/sdapi/v1/interrupt) and finalizes the recording', async () => {
    const dir = tempDir('gw-forge-int-');
    forge = await startFakeForge({ outDir: join(dir, 'outputs'), stepMs: 40 });
    const rec = join(dir, 'r.json');
    const r = await spawnCli(['run', '--backend', 'forge', '--url', forge.url, '--out', join(dir, 'outputs'), '--prompt', 'x', '--steps', '50', '--batch-count', '20', '--probe', 'simulated', '--idle', '0', '--record', rec], {}, (p) => {
      const saved = () => {
        try {
          const day = readdirSync(join(dir, 'outputs', 'txt2img-images'))[0];
          return day !== undefined && readdirSync(join(dir, 'outputs', 'txt2img-images', day)).some((f) => f.endsWith('.png'));
        } catch {
          return false;
        }
      };
      void waitFor(saved, 20000, 50).then(() => p.kill('SIGINT'));
    });
    expect(r.code).toBe(130);
    expect(forge.interrupts).toBeGreaterThanOrEqual(1);
    expect(existsSync(rec)).toBe(true);
    const doc = (await readSession(rec)).doc;
    expect(doc.run.exit).toMatchObject({ reason: 'stopped' });
    expect(doc.rows.length).toBeGreaterThanOrEqual(1);
  }, 40000);

  it.each([
    ['connection refused', async () => ({ url: `http://127.0.0.1:${await freePort()}`, extra: [] as string[] }), /cannot reach Forge\/A1111 \(--api\) at http:\/\/127\.0\.0\.1:\d+\/sdapi\/v1\/options \(connection refused\)/],
    ['the wrong API (a ComfyUI server)', async (dir: string) => ({ url: (await startFakeComfy({ outDir: join(dir, 'c') })).url, extra: [] }), /is not the Forge\/A1111 \(--api\) API \(404 Not Found\)/],
    ['an unknown sampler (404 from the API)', async () => ({ url: forge!.url, extra: ['--sampler', 'Nope'] }), /answered HTTP 404 on \/sdapi\/v1\/txt2img: Sampler not found/],
    ['CUDA out of memory (500 from the API)', async () => ({ url: forge!.url, extra: ['--prompt', 'x !oom'] }), /answered HTTP 500 on \/sdapi\/v1\/txt2img: OutOfMemoryError: CUDA out of memory/],
    ['a timeout', async () => ({ url: forge!.url, extra: ['--steps', '200', '--request-timeout', '0.5'] }), /no answer within 0\.5 s/],
  ])('%s: a clear message, exit 1, and a finalized recording', async (_name, setup, msg) => {
    const dir = tempDir('gw-forge-err-');
    forge = await startFakeForge({ outDir: join(dir, 'outputs'), stepMs: 20 });
    const { url, extra } = await setup(dir);
    const rec = join(dir, 'r.json');
    const r = await spawnCli(['run', '--backend', 'forge', '--url', url, '--out', join(dir, 'outputs'), '--prompt', 'x', ...extra, '--probe', 'simulated', '--idle', '0', '--record', rec]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(msg);
    const doc = (await readSession(rec)).doc;
    expect(doc.complete).toBe(true);
    expect(doc.run.exit?.reason).toBe('failed');
    expect(doc.run.exit?.message).toMatch(msg);
  }, 30000);

  it('the watched folder is not where the server saves: the count mismatch is shown and recorded', async () => {
    const dir = tempDir('gw-forge-mis-');
    forge = await startFakeForge({ outDir: join(dir, 'outputs'), stepMs: 10 });
    const rec = join(dir, 'r.json');
    const r = await spawnCli(['run', '--backend', 'forge', '--url', forge.url, '--out', join(dir, 'elsewhere'), '--prompt', 'x', '--steps', '3', '--batch-count', '2', '--probe', 'simulated', '--idle', '0', '--record', rec]);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/forge says it made 2 images, but 0 appeared in .*elsewhere: is --out the folder the server saves into\?/);
    const doc = (await readSession(rec)).doc;
    expect(doc.notes.map((n) => n.message).join('\n')).toMatch(/says it made 2 images, but 0 appeared/);
    expect(doc.run.tags).toMatchObject({ 'server-images': '2', 'watched-images': '0' });
  }, 30000);

  it('usage errors: no prompt, no --out, a command as well', async () => {
    for (const [args, msg] of [
      [['--out', '/tmp'], /needs a prompt/],
      [['--prompt', 'x'], /needs --out/],
      [['--prompt', 'x', '--out', '/tmp', '--', 'echo'], /give no command/],
    ] as const) {
      const r = await spawnCli(['run', '--backend', 'forge', ...args]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(msg);
    }
    await sleep(0);
  });
});
