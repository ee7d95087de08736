/** `genwatt run --backend comfyui` against the protocol-faithful local ComfyUI (test/fakes/servers/comfyui-server.ts). */
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readSession } from '../../../src/session/reader.js';
import { applyOverrides, bumpSeeds, loadWorkflow } from '../../../src/backends/comfyui-backend.js';
import { ROOT, spawnCli, tempDir, waitFor } from '../../helpers/gen.js';
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
    const r = await spawnCli(['run', '--backend', 'comfyui', '--url', comfy.url, '--workflow', WORKFLOW, '--set', '44.steps=6', '--set', '45.text="a red fox"', '--set', '41.batch_size=2', '--requests', '2', '--out', join(dir, 'output'), '--probe', 'simulated', '--idle', '0.3', '--record', rec], { GENWATT_SIM_ACTIVITY: act });
    expect(r.code, r.err).toBe(0);
    expect(comfy.prompts).toHaveLength(2);
    expect(comfy.prompts[0].prompt['44'].inputs.steps).toBe(6);
    expect(comfy.prompts[0].prompt['45'].inputs.text).toBe('a red fox');
    // the second prompt is not a cache hit of the first: its seed moved on
    expect(comfy.prompts[1].prompt['44'].inputs.seed).toBe((comfy.prompts[0].prompt['44'].inputs.seed as number) + 1);
    expect(new Set(comfy.prompts.map((p) => p.clientId)).size).toBe(1);
    const doc = (await readSession(rec)).doc;
    expect(doc.rows).toHaveLength(4);
    expect(doc.rows.map((x) => x.batchSize)).toEqual([2, 2, 2, 2]); // ComfyUI's batch of 2 shares one window
    expect(doc.rows[0].meta).toMatchObject({ source: 'comfyui', steps: 6, sampler: 'res_multistep', model: 'z_image_turbo_bf16' });
    expect(doc.run.tags).toMatchObject({ backend: 'comfyui', 'backend-version': '0.3.75', model: 'z_image_turbo_bf16', steps: '6', size: '1024x1024', 'server-images': '4', 'watched-images': '4' });
    expect(readdirSync(join(dir, 'output')).sort()).toEqual(['ComfyUI_00001_.png', 'ComfyUI_00002_.png', 'ComfyUI_00003_.png', 'ComfyUI_00004_.png']);
  }, 30000);

  it('an execution_error: exit 1 with the node and the exception, the recording finalized', async () => {
    const dir = tempDir('gw-comfy-err-');
    comfy = await startFakeComfy({ outDir: join(dir, 'output') });
    const rec = join(dir, 'r.json');
    const r = await spawnCli(['run', '--backend', 'comfyui', '--url', comfy.url, '--workflow', WORKFLOW, '--set', '45.text="!error"', '--out', join(dir, 'output'), '--probe', 'simulated', '--idle', '0', '--record', rec]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/ComfyUI: node 45 \(CLIPTextEncode\) failed: SafetensorError: Error while deserializing header: HeaderTooLarge/);
    expect((await readSession(rec)).doc.run.exit?.reason).toBe('failed');
  }, 30000);

  it('Ctrl-C: POST /interrupt, execution_interrupted, the recording finalized', async () => {
    const dir = tempDir('gw-comfy-int-');
    comfy = await startFakeComfy({ outDir: join(dir, 'output'), stepMs: 50 });
    const rec = join(dir, 'r.json');
    const r = await spawnCli(['run', '--backend', 'comfyui', '--url', comfy.url, '--workflow', WORKFLOW, '--set', '44.steps=200', '--out', join(dir, 'output'), '--probe', 'simulated', '--idle', '0', '--record', rec], {}, (p) => {
      void waitFor(() => comfy!.prompts.length > 0, 10000).then(() => setTimeout(() => p.kill('SIGINT'), 500));
    });
    expect(r.code).toBe(130);
    expect(comfy.interrupts).toBe(1);
    expect((await readSession(rec)).doc.run.exit?.reason).toBe('stopped');
  }, 30000);

  it('a server that is not ComfyUI (Forge): a clear message', async () => {
    const dir = tempDir('gw-comfy-wrong-');
    const forge = await startFakeForge({ outDir: join(dir, 'o') });
    const r = await spawnCli(['run', '--backend', 'comfyui', '--url', forge.url, '--workflow', WORKFLOW, '--out', join(dir, 'o'), '--probe', 'simulated', '--idle', '0', '--no-record']);
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

  it('overrides and seeds (pure)', () => {
    const g = loadWorkflow(WORKFLOW);
    const o = applyOverrides(g, { '44.seed': 5, '41.width': 768 });
    expect(o['44'].inputs.seed).toBe(5);
    expect(o['41'].inputs.width).toBe(768);
    expect(g['41'].inputs.width).toBe(1024); // a copy
    expect(bumpSeeds(o, 3)['44'].inputs.seed).toBe(8);
  });
});
