/** `genwatt run --backend forge` against the local Forge / Forge Neo / A1111 built from their source (test/fakes/servers/forge-server.ts). */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readSession } from '../../../src/session/reader.js';
import { freePort, signalWhen, sleep, spawnCli, tempDir, waitFor } from '../../helpers/gen.js';
import { startFakeForge, type FakeForge } from '../../fakes/servers/forge-server.js';
import { startFakeComfy } from '../../fakes/servers/comfyui-server.js';
import { attentionFact, flagsTag, forgeFlavour, saveWarnings } from '../../../src/backends/forge-facts.js';

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
    const r = await spawnCli(
      [
        'run',
        '--backend',
        'forge',
        '--url',
        forge.url,
        '--out',
        join(dir, 'outputs'),
        '--prompt',
        'a lighthouse',
        '--steps',
        '8',
        '--width',
        '1024',
        '--height',
        '1024',
        '--cfg',
        '5',
        '--sampler',
        'DPM++ 2M',
        '--scheduler',
        'Karras',
        '--seed',
        '100',
        '--batch-count',
        '2',
        '--requests',
        '2',
        '--probe',
        'simulated',
        '--idle',
        '0.3',
        '--record',
        rec,
      ],
      { GENWATT_SIM_ACTIVITY: act },
    );
    expect(r.code, r.err).toBe(0);
    expect(forge.requests).toHaveLength(2);
    // requests × batch size × batches: n/N on each image line (and the time left, from its pace)
    expect(r.out.split('\n').flatMap((l) => /^image (\d+\/\d+) /.exec(l)?.[1] ?? [])).toEqual(['1/4', '2/4', '3/4', '4/4']);
    expect(forge.requests[0]).toEqual({
      prompt: 'a lighthouse',
      negative_prompt: '',
      steps: 8,
      width: 1024,
      height: 1024,
      cfg_scale: 5,
      sampler_name: 'DPM++ 2M',
      scheduler: 'Karras',
      seed: 100,
      batch_size: 1,
      n_iter: 2,
      save_images: true,
      send_images: false,
    });
    expect(forge.requests[1].seed).toBe(102); // the second request continues the seeds
    const doc = (await readSession(rec)).doc;
    expect(doc.rows).toHaveLength(4);
    expect(doc.rows.every((x) => x.joules !== null && x.joules > 0)).toBe(true);
    expect(doc.rows.map((x) => x.meta?.seed)).toEqual([100, 101, 102, 103]);
    expect(doc.rows[1].meta).toMatchObject({ steps: 8, sampler: 'DPM++ 2M', scheduler: 'Karras', cfgScale: 5, model: 'sd_xl_base_1.0' });
    // Forge picks xformers whenever installed: its flags do not settle the attention backend
    expect(doc.run.tags).toMatchObject({
      backend: 'forge',
      'server-kind': 'forge',
      model: 'sd_xl_base_1.0',
      attention: 'unknown',
      steps: '8',
      size: '1024x1024',
      'server-images': '4',
      'watched-images': '4',
      'server-lifetime-peak-reserved-bytes': '10200000000',
    });
    expect(r.err).toMatch(/attention backend unknown: Forge uses xformers whenever it is installed/);
    expect(doc.run.tags['cmd-flags']).toMatch(/cuda_malloc/);
    // two images per request: a grid is saved into txt2img-grids, and not counted
    expect(r.err).toMatch(/grids are saved \(grid_save\) for 2 images per request/);
    expect(readdirSync(join(dir, 'outputs', 'txt2img-grids')).length).toBe(1);
    expect(r.err).toMatch(/export_for_4chan\) is on/);
    expect(doc.run.tags['cmd-flags']).not.toMatch(/ckpt_dir/); // paths stay out of the recording
    expect(doc.run.exit).toMatchObject({ reason: 'exited' });
    expect(r.err).not.toMatch(/says it made/);
    // what each image was, in the report's per-image table
    const rep = await spawnCli(['report', rec, '--images']);
    expect(rep.out).toMatch(/steps\s+sampler\s+size\s+seed\s+model/);
    expect(rep.out).toMatch(/00001-101\.png .* 8\s+DPM\+\+ 2M\s+64x64\s+101\s+sd_xl_base_1\.0/);
  }, 30000);

  it('Ctrl-C interrupts the server job (/sdapi/v1/interrupt) and finalizes the recording', async () => {
    const dir = tempDir('gw-forge-int-');
    forge = await startFakeForge({ outDir: join(dir, 'outputs'), stepMs: 40 });
    const rec = join(dir, 'r.json');
    const r = await spawnCli(
      [
        'run',
        '--backend',
        'forge',
        '--url',
        forge.url,
        '--out',
        join(dir, 'outputs'),
        '--prompt',
        'x',
        '--steps',
        '50',
        '--batch-count',
        '20',
        '--probe',
        'simulated',
        '--idle',
        '0',
        '--record',
        rec,
      ],
      {},
      (p) => {
        const saved = () => {
          try {
            const day = readdirSync(join(dir, 'outputs', 'txt2img-images'))[0];
            return day !== undefined && readdirSync(join(dir, 'outputs', 'txt2img-images', day)).some((f) => f.endsWith('.png'));
          } catch {
            return false;
          }
        };
        signalWhen(p, saved, 'SIGINT', 20000);
      },
    );
    expect(r.code).toBe(130);
    expect(forge.interrupts).toBeGreaterThanOrEqual(1);
    expect(existsSync(rec)).toBe(true);
    const doc = (await readSession(rec)).doc;
    expect(doc.run.exit).toMatchObject({ reason: 'stopped' });
    expect(doc.rows.length).toBeGreaterThanOrEqual(1);
    // all_seeds lists 20 planned images; only what was written counts, and the server's count is unknown, not a number
    expect(doc.run.tags['server-images']).toBeUndefined();
    expect(Number(doc.run.tags['watched-images'])).toBe(doc.rows.length);
    expect(r.err).toMatch(/cannot say how many images it saved \(stopped mid-batch\)/);
  }, 40000);

  it("Stop while this run's request waits behind another client's job: that job is not interrupted, and the user is told", async () => {
    const dir = tempDir('gw-forge-other-');
    forge = await startFakeForge({ outDir: join(dir, 'outputs'), stepMs: 40 });
    // another client's long job holds the queue lock
    const other = fetch(`${forge.url}/sdapi/v1/txt2img`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'theirs', steps: 100, save_images: true, send_images: false }),
    });
    await waitFor(() => forge!.requests.length === 1, 5000);
    const r = await spawnCli(
      [
        'run',
        '--backend',
        'forge',
        '--url',
        forge.url,
        '--out',
        join(dir, 'outputs'),
        '--prompt',
        'ours',
        '--steps',
        '5',
        '--probe',
        'simulated',
        '--idle',
        '0',
        '--no-record',
      ],
      {},
      (p) => {
        signalWhen(p, () => forge!.requests.length === 2, 'SIGINT', 10000, 300);
      },
    );
    expect(r.code).toBe(130);
    expect(forge.interrupts).toBe(0);
    expect(r.err).toMatch(/the server is busy with another job/);
    expect(r.err).toMatch(/genwatt did not interrupt it.*stop it in the web UI/);
    const theirs = (await (await other).json()) as { info: string };
    expect(JSON.parse(theirs.info).all_seeds).toHaveLength(1); // their job ran to the end
  }, 40000);

  it('--api-auth servers: no credentials, wrong ones, then --api-auth-file; never recorded or printed; credentials in the URL refused', async () => {
    const dir = tempDir('gw-forge-auth-');
    const password = 'W3bui-Pa55-q7Lm';
    forge = await startFakeForge({ outDir: join(dir, 'outputs'), stepMs: 5, apiAuth: `alice:${password}` });
    const base = [
      'run',
      '--backend',
      'forge',
      '--url',
      forge.url,
      '--out',
      join(dir, 'outputs'),
      '--prompt',
      'x',
      '--steps',
      '2',
      '--probe',
      'simulated',
      '--idle',
      '0',
    ];
    const none = await spawnCli([...base, '--no-record']);
    expect(none.code).toBe(1);
    expect(none.err).toMatch(
      /Forge\/A1111 \(--api\) wants --api-auth credentials \(HTTP 401 on \/sdapi\/v1\/options\): give them as user:password in --api-auth-file FILE or the GENWATT_API_AUTH environment variable/,
    );
    const wrong = await spawnCli([...base, '--no-record'], { GENWATT_API_AUTH: 'alice:nope' });
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/rejected the --api-auth credentials \(HTTP 401 on \/sdapi\/v1\/options: HTTPException: Incorrect username or password\)/);
    const file = join(dir, 'auth');
    writeFileSync(file, `alice:${password}\n`, { mode: 0o600 });
    const rec = join(dir, 'r.json');
    const ok = await spawnCli([...base, '--api-auth-file', file, '--record', rec]);
    expect(ok.code, ok.err).toBe(0);
    expect(readFileSync(rec, 'utf8')).not.toContain(password);
    expect(ok.out + ok.err).not.toContain(password);
    const url = await spawnCli(['run', '--backend', 'forge', '--url', forge.url.replace('//', `//alice:${password}@`), '--out', dir, '--prompt', 'x']);
    expect(url.code).toBe(2);
    expect(url.err).toMatch(/--url must not carry credentials .*--api-auth-file FILE or the GENWATT_API_AUTH/);
    expect(url.err).not.toContain(password);
  }, 40000);

  it('a request lives as long as --request-timeout says (undici dispatcher timeouts from it), not less, not more', async () => {
    const dir = tempDir('gw-forge-long-');
    forge = await startFakeForge({ outDir: join(dir, 'outputs'), stepMs: 100 });
    const args = [
      'run',
      '--backend',
      'forge',
      '--url',
      forge.url,
      '--out',
      join(dir, 'outputs'),
      '--prompt',
      'x',
      '--steps',
      '20',
      '--probe',
      'simulated',
      '--idle',
      '0',
      '--no-record',
    ];
    const slow = await spawnCli([...args, '--request-timeout', '8']); // ~2 s of sampling
    expect(slow.code, slow.err).toBe(0);
    const cut = await spawnCli([...args, '--request-timeout', '1']);
    expect(cut.code).toBe(1);
    expect(cut.err).toMatch(/txt2img: no answer within 1 s/);
  }, 40000);

  it("--tag attention=… is kept where the server's flags cannot tell, and overruled (with a note) where they can", async () => {
    const dir = tempDir('gw-forge-attn-');
    forge = await startFakeForge({ outDir: join(dir, 'outputs'), stepMs: 5, flavour: 'forge-neo' });
    const base = [
      'run',
      '--backend',
      'forge',
      '--url',
      forge.url,
      '--out',
      join(dir, 'outputs'),
      '--prompt',
      'x',
      '--steps',
      '2',
      '--probe',
      'simulated',
      '--idle',
      '0',
      '--tag',
      'attention=sage',
    ];
    const kept = join(dir, 'kept.json');
    expect((await spawnCli([...base, '--record', kept])).code).toBe(0);
    expect((await readSession(kept)).doc.run.tags.attention).toBe('sage');
    await forge.close();
    forge = await startFakeForge({ outDir: join(dir, 'outputs'), stepMs: 5, flavour: 'forge-neo', flags: { use_pytorch_cross_attention: true } });
    base[4] = forge.url;
    const over = join(dir, 'over.json');
    const r = await spawnCli([...base, '--record', over]);
    expect(r.code).toBe(0);
    expect((await readSession(over)).doc.run.tags.attention).toBe('sdpa');
    expect(r.err).toMatch(/--tag attention=sage disagrees with the server \(sdpa\): recorded the server's/);
  }, 30000);

  it('samples_save off: said before the run (nothing would be written)', async () => {
    const dir = tempDir('gw-forge-nosave-');
    forge = await startFakeForge({ outDir: join(dir, 'outputs'), stepMs: 5, options: { samples_save: false, export_for_4chan: false } });
    const r = await spawnCli([
      'run',
      '--backend',
      'forge',
      '--url',
      forge.url,
      '--out',
      join(dir, 'outputs'),
      '--prompt',
      'x',
      '--steps',
      '2',
      '--probe',
      'simulated',
      '--idle',
      '0',
      '--no-record',
    ]);
    expect(r.err).toMatch(/"Always save all generated images" \(samples_save\) is off: the server writes no image files/);
    expect(r.err).not.toMatch(/export_for_4chan/);
    expect(r.err).not.toMatch(/says it made/); // it made none it could save
  }, 30000);

  it.each([
    ['forge-neo', ['--sampler', 'Nope'], /answered HTTP 400 on \/sdapi\/v1\/txt2img: Sampler not found$/m],
    ['forge-neo', ['--prompt', 'x !oom'], /answered HTTP 500 on \/sdapi\/v1\/txt2img: Internal Server Error$/m],
    ['a1111', ['--sampler', 'Nope'], /answered HTTP 404 on \/sdapi\/v1\/txt2img: HTTPException: Sampler not found$/m],
    [
      'a1111',
      ['--prompt', 'x !oom'],
      /answered HTTP 500 on \/sdapi\/v1\/txt2img: OutOfMemoryError: CUDA out of memory\. Tried to allocate 2\.00 GiB\. .* Of the allocated memory 9\.1 GiB is allocated by PyTorch$/m,
    ],
  ] as const)(
    '%s error bodies as that server sends them, in one line (%s)',
    async (flavour, extra, msg) => {
      const dir = tempDir('gw-forge-body-');
      forge = await startFakeForge({ outDir: join(dir, 'outputs'), stepMs: 5, flavour });
      const r = await spawnCli([
        'run',
        '--backend',
        'forge',
        '--url',
        forge.url,
        '--out',
        join(dir, 'outputs'),
        '--prompt',
        'x',
        ...extra,
        '--probe',
        'simulated',
        '--idle',
        '0',
        '--no-record',
      ]);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(msg);
    },
    30000,
  );

  it('progress is polled at most once a second, without the live preview image', async () => {
    const dir = tempDir('gw-forge-prog-');
    forge = await startFakeForge({ outDir: join(dir, 'outputs'), stepMs: 100 });
    const t0 = Date.now();
    const r = await spawnCli([
      'run',
      '--backend',
      'forge',
      '--url',
      forge.url,
      '--out',
      join(dir, 'outputs'),
      '--prompt',
      'x',
      '--steps',
      '30',
      '--probe',
      'simulated',
      '--idle',
      '0',
      '--no-record',
    ]);
    const seconds = (Date.now() - t0) / 1000;
    expect(r.code, r.err).toBe(0);
    const polls = forge.paths.filter((p) => p === '/sdapi/v1/progress').length;
    // one before and one after the request, plus at most one a second while it runs
    expect(polls).toBeLessThanOrEqual(Math.ceil(seconds) + 2);
  }, 30000);

  it.each([
    [
      'connection refused',
      async () => ({ url: `http://127.0.0.1:${await freePort()}`, extra: [] as string[] }),
      /cannot reach Forge\/A1111 \(--api\) at http:\/\/127\.0\.0\.1:\d+\/sdapi\/v1\/options \(connection refused\)/,
    ],
    [
      'the wrong API (a ComfyUI server)',
      async (dir: string) => ({ url: (await startFakeComfy({ outDir: join(dir, 'c') })).url, extra: [] }),
      /is not the Forge\/A1111 \(--api\) API \(404 Not Found\)/,
    ],
    [
      'an unknown sampler (404 from the API)',
      async () => ({ url: forge!.url, extra: ['--sampler', 'Nope'] }),
      /answered HTTP 404 on \/sdapi\/v1\/txt2img: HTTPException: Sampler not found/,
    ],
    [
      'CUDA out of memory (500 from the API)',
      async () => ({ url: forge!.url, extra: ['--prompt', 'x !oom'] }),
      /answered HTTP 500 on \/sdapi\/v1\/txt2img: OutOfMemoryError: CUDA out of memory/,
    ],
    ['a timeout', async () => ({ url: forge!.url, extra: ['--steps', '200', '--request-timeout', '0.5'] }), /no answer within 0\.5 s/],
  ])(
    '%s: a clear message, exit 1, and a finalized recording',
    async (_name, setup, msg) => {
      const dir = tempDir('gw-forge-err-');
      forge = await startFakeForge({ outDir: join(dir, 'outputs'), stepMs: 20 });
      const { url, extra } = await setup(dir);
      const rec = join(dir, 'r.json');
      const r = await spawnCli([
        'run',
        '--backend',
        'forge',
        '--url',
        url,
        '--out',
        join(dir, 'outputs'),
        '--prompt',
        'x',
        ...extra,
        '--probe',
        'simulated',
        '--idle',
        '0',
        '--record',
        rec,
      ]);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(msg);
      const doc = (await readSession(rec)).doc;
      expect(doc.complete).toBe(true);
      expect(doc.run.exit?.reason).toBe('failed');
      expect(doc.run.exit?.message).toMatch(msg);
    },
    30000,
  );

  it('the watched folder is not where the server saves: the count mismatch is shown and recorded', async () => {
    const dir = tempDir('gw-forge-mis-');
    forge = await startFakeForge({ outDir: join(dir, 'outputs'), stepMs: 10 });
    const rec = join(dir, 'r.json');
    const r = await spawnCli([
      'run',
      '--backend',
      'forge',
      '--url',
      forge.url,
      '--out',
      join(dir, 'elsewhere'),
      '--prompt',
      'x',
      '--steps',
      '3',
      '--batch-count',
      '2',
      '--probe',
      'simulated',
      '--idle',
      '0',
      '--record',
      rec,
    ]);
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

  it('what the flags establish (pure): the flavour, the attention backend only where settled, secrets out of the flags tag, save warnings', () => {
    expect(forgeFlavour({ use_pytorch_cross_attention: false, sage: false })).toBe('forge-neo');
    expect(forgeFlavour({ attention_pytorch: false, always_gpu: false })).toBe('forge');
    expect(forgeFlavour({ xformers: true, opt_sdp_attention: false })).toBe('a1111');
    // Forge: A1111's --xformers/--opt-sdp-attention do not select anything
    expect(attentionFact('forge', { xformers: true, opt_sdp_attention: true }, null).attention).toBe('unknown');
    expect(attentionFact('forge', { attention_pytorch: true }, null).attention).toBe('sdpa');
    // Forge Neo: --sage/--flash/--xformers only install; --use-pytorch-cross-attention overrides
    expect(attentionFact('forge-neo', { sage: true }, null).attention).toBe('unknown');
    expect(attentionFact('forge-neo', { sage: true, use_pytorch_cross_attention: true }, null).attention).toBe('sdpa');
    // A1111: the option wins over the flags
    expect(attentionFact('a1111', { xformers: true }, { cross_attention_optimization: 'sdp - scaled dot product' }).attention).toBe('sdpa');
    expect(attentionFact('a1111', { xformers: true }, { cross_attention_optimization: 'Automatic' }).attention).toBe('xformers');
    expect(attentionFact('a1111', {}, { cross_attention_optimization: 'Automatic' }).attention).toBe('unknown');
    const tag = flagsTag({
      api: true,
      ngrok: '2abcDEFghiJKLmnoPQRstu_12345',
      share_token: 'zz',
      gradio_queue: true,
      device_id: 'k3Jd9slQpW02mZxY7tRv',
      precision: 'autocast',
      ckpt_dir: '/m',
    });
    expect(tag).toBe('api device_id=*** gradio_queue precision=autocast');
    expect(saveWarnings({ samples_save: true, grid_save: false, return_grid: false, export_for_4chan: false }, 4)).toEqual([]);
    expect(saveWarnings({ grid_save: false, return_grid: true, export_for_4chan: false }, 4)).toEqual([
      'a grid is made for each request (return_grid): its encoding time is inside the measured run',
    ]);
    expect(saveWarnings(null, 1)[0]).toMatch(/save settings are unknown/);
  });
});
