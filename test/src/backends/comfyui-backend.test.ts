/** `genwatt run --backend comfyui` against the local ComfyUI built from its source (test/fakes/servers/comfyui-server.ts). */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readSession } from '../../../src/session/reader.js';
import { applyOverrides, bumpSeeds, loadWorkflow, nodeErrorsText } from '../../../src/backends/comfyui-backend.js';
import { ROOT, signalWhen, spawnCli, tempDir } from '../../helpers/gen.js';
import { startFakeComfy, type FakeComfy } from '../../fakes/servers/comfyui-server.js';
import { startFakeForge } from '../../fakes/servers/forge-server.js';

const WORKFLOW = join(ROOT, 'docs/examples/workflows/zimage-turbo_1024_8steps_api.json');

let comfy: FakeComfy | undefined;
afterEach(async () => {
  await comfy?.close();
  comfy = undefined;
});

describe('comfyui backend', () => {
  it('overrides by node id and input, one prompt at a time over the websocket, images from the folder (written in place), counts checked against /history', async () => {
    const dir = tempDir('gw-comfy-');
    const act = join(dir, 'activity');
    comfy = await startFakeComfy({ outDir: join(dir, 'output'), stepMs: 30, simActivityFile: act });
    const rec = join(dir, 'r.json');
    const r = await spawnCli(
      [
        'run',
        '--backend',
        'comfyui',
        '--url',
        comfy.url,
        '--workflow',
        WORKFLOW,
        '--set',
        '44.steps=6',
        '--set',
        '45.text="a red fox"',
        '--set',
        '41.batch_size=2',
        '--requests',
        '2',
        '--out',
        join(dir, 'output'),
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
    expect(comfy.prompts).toHaveLength(2);
    expect(comfy.prompts[0].prompt['44'].inputs.steps).toBe(6);
    expect(comfy.prompts[0].prompt['45'].inputs.text).toBe('a red fox');
    // every seed moved by this run's random offset (recorded), the second request one further
    const doc0 = (await readSession(rec)).doc;
    const offset = Number(doc0.run.tags['seed-offset']);
    expect(offset).toBeGreaterThan(0);
    expect(comfy.prompts[0].prompt['44'].inputs.seed).toBe(917431 + offset);
    expect(comfy.prompts[1].prompt['44'].inputs.seed).toBe(917431 + offset + 1);
    expect(new Set(comfy.prompts.map((p) => p.clientId)).size).toBe(1);
    const doc = (await readSession(rec)).doc;
    expect(doc.rows).toHaveLength(4);
    expect(doc.rows.map((x) => x.batchSize)).toEqual([2, 2, 2, 2]); // ComfyUI's batch of 2 shares one window
    expect(doc.rows[0].meta).toMatchObject({ source: 'comfyui', steps: 6, sampler: 'res_multistep', model: 'z_image_turbo_bf16' });
    expect(doc.run.tags).toMatchObject({
      backend: 'comfyui',
      'backend-version': '0.3.75',
      model: 'z_image_turbo_bf16',
      steps: '6',
      size: '1024x1024',
      'server-images': '4',
      'watched-images': '4',
    });
    expect(readdirSync(join(dir, 'output')).sort()).toEqual(['ComfyUI_00001_.png', 'ComfyUI_00002_.png', 'ComfyUI_00003_.png', 'ComfyUI_00004_.png']);
  }, 30000);

  it('an execution_error: exit 1 with the node and the exception, the recording finalized', async () => {
    const dir = tempDir('gw-comfy-err-');
    comfy = await startFakeComfy({ outDir: join(dir, 'output') });
    const rec = join(dir, 'r.json');
    const r = await spawnCli([
      'run',
      '--backend',
      'comfyui',
      '--url',
      comfy.url,
      '--workflow',
      WORKFLOW,
      '--set',
      '45.text="!error"',
      '--out',
      join(dir, 'output'),
      '--probe',
      'simulated',
      '--idle',
      '0',
      '--record',
      rec,
    ]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/ComfyUI: node 45 \(CLIPTextEncode\) failed: safetensors_rust\.SafetensorError: Error while deserializing header: HeaderTooLarge/);
    expect((await readSession(rec)).doc.run.exit?.reason).toBe('failed');
  }, 30000);

  it('Ctrl-C stops our prompt only: POST /interrupt {prompt_id} and POST /queue {delete: [id]}; the recording finalized', async () => {
    const dir = tempDir('gw-comfy-int-');
    comfy = await startFakeComfy({ outDir: join(dir, 'output'), stepMs: 50 });
    const rec = join(dir, 'r.json');
    const r = await spawnCli(
      [
        'run',
        '--backend',
        'comfyui',
        '--url',
        comfy.url,
        '--workflow',
        WORKFLOW,
        '--set',
        '44.steps=200',
        '--out',
        join(dir, 'output'),
        '--probe',
        'simulated',
        '--idle',
        '0',
        '--record',
        rec,
      ],
      {},
      (p) => {
        signalWhen(p, () => comfy!.prompts.length > 0, 'SIGINT', 10000, 500);
      },
    );
    expect(r.code).toBe(130);
    const id = comfy.prompts[0].id;
    expect(comfy.interrupts).toEqual([{ prompt_id: id }]);
    expect(comfy.queueOps).toEqual([{ delete: [id] }]);
    expect((await readSession(rec)).doc.run.exit?.reason).toBe('stopped');
  }, 30000);

  it("Ctrl-C while our prompt waits behind another client's: it is taken off the queue and the other keeps running", async () => {
    const dir = tempDir('gw-comfy-q-');
    comfy = await startFakeComfy({ outDir: join(dir, 'output'), stepMs: 50 });
    // another client's long prompt runs first
    const other = applyOverrides(loadWorkflow(WORKFLOW), { '44.steps': 400, '44.seed': 5 });
    const res = await fetch(`${comfy.url}/prompt`, { method: 'POST', body: JSON.stringify({ prompt: other, client_id: 'someone-else' }) });
    const otherId = ((await res.json()) as { prompt_id: string }).prompt_id;
    const r = await spawnCli(
      [
        'run',
        '--backend',
        'comfyui',
        '--url',
        comfy.url,
        '--workflow',
        WORKFLOW,
        '--out',
        join(dir, 'output'),
        '--probe',
        'simulated',
        '--idle',
        '0',
        '--no-record',
      ],
      {},
      (p) => {
        signalWhen(p, () => comfy!.prompts.length > 1, 'SIGINT', 10000, 300);
      },
    );
    expect(r.code).toBe(130);
    const ours = comfy.prompts[1].id;
    expect(comfy.interrupts).toEqual([{ prompt_id: ours }]);
    expect(comfy.queueOps).toEqual([{ delete: [ours] }]);
    const q = (await (await fetch(`${comfy.url}/queue`)).json()) as { queue_running: unknown[][]; queue_pending: unknown[][] };
    expect(q.queue_running.map((x) => x[1])).toEqual([otherId]); // still running: not interrupted
    expect(q.queue_pending).toEqual([]);
  }, 30000);

  it('the same workflow run twice in a row measures both runs: each run moves the seeds by its own random offset', async () => {
    const dir = tempDir('gw-comfy-twice-');
    comfy = await startFakeComfy({ outDir: join(dir, 'output'), stepMs: 10 });
    const offsets: string[] = [];
    for (const k of [1, 2]) {
      const rec = join(dir, `r${k}.json`);
      const r = await spawnCli([
        'run',
        '--backend',
        'comfyui',
        '--url',
        comfy.url,
        '--workflow',
        WORKFLOW,
        '--out',
        join(dir, 'output'),
        '--probe',
        'simulated',
        '--idle',
        '0',
        '--record',
        rec,
      ]);
      expect(r.code, r.err).toBe(0);
      const doc = (await readSession(rec)).doc;
      expect(doc.rows).toHaveLength(1);
      expect(doc.run.tags).toMatchObject({ 'server-images': '1', 'watched-images': '1' });
      offsets.push(doc.run.tags['seed-offset']);
    }
    expect(offsets[0]).not.toBe(offsets[1]);
    expect(readdirSync(join(dir, 'output'))).toHaveLength(2);
  }, 30000);

  it('a sampler the server still serves from its cache (its seed comes from another node): a clear stop, not an idle measurement', async () => {
    const dir = tempDir('gw-comfy-cached-');
    comfy = await startFakeComfy({ outDir: join(dir, 'output'), stepMs: 10 });
    const g = loadWorkflow(WORKFLOW);
    g['90'] = { class_type: 'PrimitiveInt', inputs: { value: 42 } };
    g['44'].inputs.seed = ['90', 0];
    const wf = join(dir, 'linked-seed.json');
    writeFileSync(wf, JSON.stringify(g));
    const args = [
      'run',
      '--backend',
      'comfyui',
      '--url',
      comfy.url,
      '--workflow',
      wf,
      '--out',
      join(dir, 'output'),
      '--probe',
      'simulated',
      '--idle',
      '0',
      '--no-record',
    ];
    expect((await spawnCli(args)).code).toBe(0);
    const again = await spawnCli(args);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(
      /served every node from its cache \(node 9 \(SaveImage\), .* and \d+ more\): nothing was generated.*node 44's seed comes from node 90/,
    );
  }, 30000);

  it('done is `executing` null, after the history entry: a slow history write still counts every image', async () => {
    const dir = tempDir('gw-comfy-lag-');
    comfy = await startFakeComfy({ outDir: join(dir, 'output'), stepMs: 10, historyLagMs: 400 });
    const rec = join(dir, 'r.json');
    const r = await spawnCli([
      'run',
      '--backend',
      'comfyui',
      '--url',
      comfy.url,
      '--workflow',
      WORKFLOW,
      '--set',
      '41.batch_size=2',
      '--requests',
      '2',
      '--out',
      join(dir, 'output'),
      '--probe',
      'simulated',
      '--idle',
      '0',
      '--record',
      rec,
    ]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).not.toMatch(/says it made/);
    expect((await readSession(rec)).doc.run.tags).toMatchObject({ 'server-images': '4', 'watched-images': '4' });
  }, 30000);

  it('a missing model: node_errors per node in one line; outputs that fail while others run are reported', async () => {
    const dir = tempDir('gw-comfy-nodeerr-');
    comfy = await startFakeComfy({ outDir: join(dir, 'output'), stepMs: 10 });
    const r = await spawnCli([
      'run',
      '--backend',
      'comfyui',
      '--url',
      comfy.url,
      '--workflow',
      WORKFLOW,
      '--set',
      '46.unet_name="missing.safetensors"',
      '--out',
      join(dir, 'output'),
      '--probe',
      'simulated',
      '--idle',
      '0',
      '--no-record',
    ]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /ComfyUI refused the workflow: Prompt outputs failed validation: node 46 \(UNETLoader\): Value not in list: unet_name: 'missing\.safetensors' not in \[/,
    );
    expect(r.err.split('\n').filter((l) => /refused the workflow/.test(l))).toHaveLength(1);
    // a second output whose loader is missing: 200 with node_errors; the good output still runs
    const g = loadWorkflow(WORKFLOW);
    g['90'] = { class_type: 'VAELoader', inputs: { vae_name: 'gone.safetensors' } };
    g['91'] = { class_type: 'VAEDecode', inputs: { samples: ['44', 0], vae: ['90', 0] } };
    g['92'] = { class_type: 'SaveImage', inputs: { images: ['91', 0], filename_prefix: 'ComfyUI' } };
    const wf = join(dir, 'two-outputs.json');
    writeFileSync(wf, JSON.stringify(g));
    const r2 = await spawnCli([
      'run',
      '--backend',
      'comfyui',
      '--url',
      comfy.url,
      '--workflow',
      wf,
      '--out',
      join(dir, 'output'),
      '--probe',
      'simulated',
      '--idle',
      '0',
      '--no-record',
    ]);
    expect(r2.code, r2.err).toBe(0);
    expect(r2.err).toMatch(/some outputs failed validation and will not run: node 90 \(VAELoader\): Value not in list: vae_name: 'gone\.safetensors'/);
    expect(r2.out).toMatch(/image 1 /);
  }, 30000);

  it('behind a proxy that asks for HTTP Basic: a clear message without credentials; GENWATT_API_AUTH works and is never recorded', async () => {
    const dir = tempDir('gw-comfy-auth-');
    const password = 'Pr0xy-s3cret-Zq9';
    comfy = await startFakeComfy({ outDir: join(dir, 'output'), stepMs: 10, proxyAuth: `gw:${password}` });
    const base = [
      'run',
      '--backend',
      'comfyui',
      '--url',
      comfy.url,
      '--workflow',
      WORKFLOW,
      '--out',
      join(dir, 'output'),
      '--probe',
      'simulated',
      '--idle',
      '0',
    ];
    const no = await spawnCli([...base, '--no-record']);
    expect(no.code).toBe(1);
    expect(no.err).toMatch(
      /ComfyUI wants --api-auth credentials \(HTTP 401 on \/system_stats\): give them as user:password in --api-auth-file FILE or the GENWATT_API_AUTH environment variable/,
    );
    const rec = join(dir, 'r.json');
    const yes = await spawnCli([...base, '--record', rec], { GENWATT_API_AUTH: `gw:${password}` });
    expect(yes.code, yes.err).toBe(0);
    expect(readFileSync(rec, 'utf8')).not.toContain(password);
    expect(yes.out + yes.err).not.toContain(password);
  }, 30000);

  it('a server that is not ComfyUI (Forge): a clear message', async () => {
    const dir = tempDir('gw-comfy-wrong-');
    const forge = await startFakeForge({ outDir: join(dir, 'o') });
    const r = await spawnCli([
      'run',
      '--backend',
      'comfyui',
      '--url',
      forge.url,
      '--workflow',
      WORKFLOW,
      '--out',
      join(dir, 'o'),
      '--probe',
      'simulated',
      '--idle',
      '0',
      '--no-record',
    ]);
    await forge.close();
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/is not the ComfyUI API \(404 Not Found\)/);
  }, 30000);

  it('usage errors before anything runs: a UI-format workflow, an unknown node id, a bad --set', async () => {
    const dir = tempDir('gw-comfy-usage-');
    const ui = join(dir, 'ui.json');
    writeFileSync(ui, JSON.stringify({ last_node_id: 9, nodes: [{ id: 3, type: 'KSampler' }], links: [] }));
    for (const [args, msg] of [
      [['--workflow', ui], /UI workflow .*needs the API format/],
      [['--workflow', WORKFLOW, '--set', '99.steps=4'], /no node 99 \(nodes: 9 SaveImage, 39 CLIPLoader/],
      [['--workflow', WORKFLOW, '--set', 'steps=4'], /--set must look like NODE\.input=value/],
      [['--workflow', join(dir, 'missing.json')], /cannot read the workflow .*ENOENT/],
    ] as const) {
      const r = await spawnCli(['run', '--backend', 'comfyui', '--out', dir, ...args]);
      expect(r.code, r.err).toBe(2);
      expect(r.err).toMatch(msg);
    }
  });

  it('overrides, seeds and node errors (pure)', () => {
    const g = loadWorkflow(WORKFLOW);
    const o = applyOverrides(g, { '44.seed': 5, '41.width': 768 });
    expect(o['44'].inputs.seed).toBe(5);
    expect(o['41'].inputs.width).toBe(768);
    expect(g['41'].inputs.width).toBe(1024); // a copy
    expect(bumpSeeds(o, 3)['44'].inputs.seed).toBe(8);
    expect(bumpSeeds(applyOverrides(g, { '44.seed': 2 ** 53 - 1 }), 2)['44'].inputs.seed).toBe(1); // stays an exact integer
    expect(
      nodeErrorsText({
        '4': {
          errors: [{ type: 'value_not_in_list', message: 'Value not in list', details: "ckpt_name: 'a' not in []" }],
          class_type: 'CheckpointLoaderSimple',
          dependent_outputs: ['9'],
        },
      }),
    ).toBe("node 4 (CheckpointLoaderSimple): Value not in list: ckpt_name: 'a' not in []");
    expect(nodeErrorsText({})).toBe('');
  });
});
