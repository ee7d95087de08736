/**
 * `genwatt run --backend comfyui` against the REAL ComfyUI 0.3.64 (shared/servers/comfyui), one
 * server for this file. On 02294be: a seeded and an unseeded branch aborted the second request as
 * "nothing would be generated"; another client's image was counted as ours; a timed-out request
 * went on running; two quick requests became one batch; a graph that saves nothing exited 0.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readSession } from '../../../src/session/reader.js';
import { CLI, spawnCli, tempDir, waitForAsync } from '../../helpers/gen.js';
import { REAL_COMFY, startRealComfy, WHY_NOT, workflow, type RealComfy } from '../../helpers/real-comfy.js';

let comfy: RealComfy | undefined;
beforeAll(async () => {
  if (REAL_COMFY) comfy = await startRealComfy();
}, 150_000);
afterAll(() => comfy?.stop());
// Each test starts on an idle server: another test's prompt still running would be "ahead of ours".
beforeEach(async () => {
  if (comfy) await waitForAsync(queueEmpty, 30_000);
});

type Graph = Record<string, { class_type: string; inputs: Record<string, unknown> }>;
const empty = (size = 64): Graph[string] => ({ class_type: 'EmptyImage', inputs: { width: size, height: size, batch_size: 1, color: 8421504 } });

function write(graph: Graph): string {
  const f = join(tempDir('gw-wf-'), 'wf.json');
  writeFileSync(f, JSON.stringify(graph));
  return f;
}

/** `genwatt run --backend comfyui` of `wf` against the real server, recording to a new file. */
function runArgs(wf: string, rec: string, extra: string[] = []): string[] {
  return [
    'run',
    '--backend',
    'comfyui',
    '--url',
    comfy!.url,
    '--workflow',
    wf,
    '--out',
    comfy!.out,
    '--probe',
    'simulated',
    '--idle',
    '0',
    '--plain',
    '--record',
    rec,
    ...extra,
  ];
}

async function run(wf: string, extra: string[] = []) {
  const rec = join(tempDir('gw-real-run-'), 'r.json');
  const r = await spawnCli(runArgs(wf, rec, extra));
  const doc = (await readSession(rec)).doc;
  return { r, doc, names: doc.rows.map((x) => x.path.split('/').pop()!), notes: doc.notes.map((n) => n.message).join('\n') };
}

/** Another client's prompt, queued directly (not through genwatt). */
async function queueOther(graph: Graph): Promise<string> {
  const res = await fetch(`${comfy!.url}/prompt`, { method: 'POST', body: JSON.stringify({ prompt: graph, client_id: 'someone-else' }) });
  return ((await res.json()) as { prompt_id: string }).prompt_id;
}

async function queueEmpty(): Promise<boolean> {
  const q = (await (await fetch(`${comfy!.url}/queue`)).json()) as { queue_running: unknown[]; queue_pending: unknown[] };
  return q.queue_running.length === 0 && q.queue_pending.length === 0;
}

describe.skipIf(!REAL_COMFY)(`the real ComfyUI${REAL_COMFY ? '' : ` (skipped: ${WHY_NOT})`}`, () => {
  it('seeded and unseeded branches: the cached branch is not "nothing generated"; exactly the files that appeared are counted', async () => {
    const two: Graph = {
      1: empty(),
      2: { class_type: 'ImageAddNoise', inputs: { image: ['1', 0], seed: 7, strength: 0.5 } },
      3: { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: 'seeded' } },
      4: { class_type: 'ImageInvert', inputs: { image: ['1', 0] } },
      5: { class_type: 'SaveImage', inputs: { images: ['4', 0], filename_prefix: 'plain' } },
    };
    const a = await run(write(two), ['--requests', '2']);
    expect(a.r.code, a.r.err).toBe(0);
    // request 1 saves both branches; request 2 only the seeded one (the other is served from the cache)
    expect(a.names.sort()).toEqual(['plain_00001_.png', 'seeded_00001_.png', 'seeded_00002_.png']);
    expect(a.doc.run.tags).toMatchObject({ 'server-images': '3', 'watched-images': '3' });
    const three: Graph = {
      ...two,
      3: { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: 'seeded3' } },
      6: { class_type: 'ImageAddNoise', inputs: { image: ['4', 0], seed: 9, strength: 0.3 } },
      7: { class_type: 'SaveImage', inputs: { images: ['6', 0], filename_prefix: 'third' } },
    };
    const b = await run(write(three), ['--requests', '3']);
    expect(b.r.code, b.r.err).toBe(0);
    // plain is cached from the run before: only the seeded branches save, three times each
    expect(b.names.sort()).toEqual([
      'seeded3_00001_.png',
      'seeded3_00002_.png',
      'seeded3_00003_.png',
      'third_00001_.png',
      'third_00002_.png',
      'third_00003_.png',
    ]);
    expect(b.notes).not.toMatch(/appeared in .* but|did not appear/);
  }, 120_000);

  it("another client's image, saved while our prompt waits behind it, is not ours: noted, not counted", async () => {
    const other: Graph = {
      1: empty(),
      // long enough to still run when genwatt (started after it) queues its prompt, even on a busy machine
      2: { class_type: 'GenwattTestSleep', inputs: { image: ['1', 0], seed: 1, seconds: 4, steps: 4 } },
      3: { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: 'other' } },
    };
    await queueOther(other);
    const ours = await run(workflow('wf_basic.json'));
    expect(ours.r.code, ours.r.err).toBe(0);
    expect(readdirSync(comfy!.out)).toContain('other_00001_.png');
    expect(
      ours.names.every((n) => n.startsWith('gw_')),
      ours.names.join(' '),
    ).toBe(true);
    expect(ours.names).toHaveLength(2);
    expect(ours.notes).toMatch(/other_00001_\.png appeared in .* but no prompt of ours saved it \(another client's\?\): not counted/);
  }, 120_000);

  it('a request that times out is stopped on the server: nothing of ours runs on, and no image of ours lands after genwatt exits', async () => {
    const slow: Graph = {
      1: empty(),
      2: { class_type: 'GenwattTestSleep', inputs: { image: ['1', 0], seed: 3, seconds: 4, steps: 8 } },
      3: { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: 'timeout' } },
    };
    const t = await run(write(slow), ['--request-timeout', '1']);
    expect(t.r.code).not.toBe(0);
    expect(t.r.err).toMatch(/did not finish within 1 s: our prompt was (interrupted through \/interrupt|stopped)/);
    // an interrupted prompt leaves the queue at once; one left running leaves it only after saving its
    // image: wait for the server's queue to empty (an event of the server's, not a clock), then look
    await waitForAsync(queueEmpty, 30_000);
    expect(readdirSync(comfy!.out).filter((f) => f.startsWith('timeout'))).toEqual([]);
  }, 60_000);

  it("Ctrl-C while our prompt waits behind another client's: taken off the queue with /queue delete, and said so", async () => {
    const other = await queueOther({
      1: empty(),
      2: { class_type: 'GenwattTestSleep', inputs: { image: ['1', 0], seed: 11, seconds: 3, steps: 3 } },
      3: { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: 'other2' } },
    });
    const dir = tempDir('gw-real-run-');
    const rec = join(dir, 'r.json');
    const args = runArgs(workflow('wf_basic.json'), rec);
    const r = await spawnCli(args, {}, (p) => {
      // once our prompt is in the queue behind the other one (the other one itself waits in
      // queue_pending until the server's worker takes it: on a busy machine, after genwatt started)
      const poll = async (): Promise<void> => {
        for (;;) {
          const q = (await (await fetch(`${comfy!.url}/queue`)).json()) as { queue_pending: unknown[][] };
          if (q.queue_pending.some((item) => item[1] !== other)) return void p.kill('SIGINT');
          await new Promise((res) => setTimeout(res, 100));
        }
      };
      poll().catch(() => p.kill('SIGKILL'));
    });
    expect(r.code).toBe(130);
    const doc = (await readSession(rec)).doc;
    expect(doc.run.exit?.message).toBe('interrupted through /queue delete (it had not started)');
    expect(doc.rows).toHaveLength(0);
  }, 60_000);

  it('Ctrl-C while our prompt runs: interrupted through /interrupt, the recording finished, nothing of ours left on the server', async () => {
    const slow: Graph = {
      1: empty(),
      2: { class_type: 'GenwattTestSleep', inputs: { image: ['1', 0], seed: 21, seconds: 5, steps: 10 } },
      3: { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: 'ctrlc' } },
    };
    const dir = tempDir('gw-real-run-');
    const rec = join(dir, 'r.json');
    const args = runArgs(write(slow), rec);
    const r = await spawnCli(args, {}, (p) => {
      const poll = async (): Promise<void> => {
        for (;;) {
          const q = (await (await fetch(`${comfy!.url}/queue`)).json()) as { queue_running: unknown[] };
          if (q.queue_running.length > 0) return void setTimeout(() => p.kill('SIGINT'), 500);
          await new Promise((res) => setTimeout(res, 100));
        }
      };
      poll().catch(() => p.kill('SIGKILL'));
    });
    expect(r.code).toBe(130);
    const doc = (await readSession(rec)).doc;
    expect(doc.complete).toBe(true);
    expect(doc.run.exit?.message).toBe('interrupted through /interrupt');
    expect(await queueEmpty()).toBe(true);
    expect(readdirSync(comfy!.out).filter((f) => f.startsWith('ctrlc'))).toEqual([]);
  }, 60_000);

  it('the same workflow run twice measures both runs (each run moves the seeds), and a missing model is named per node', async () => {
    const first = await run(workflow('wf_basic.json'));
    const second = await run(workflow('wf_basic.json'));
    for (const x of [first, second]) {
      expect(x.r.code, x.r.err).toBe(0);
      expect(x.names).toHaveLength(2);
    }
    expect(first.doc.run.tags['seed-offset']).not.toBe(second.doc.run.tags['seed-offset']);
    const model: Graph = {
      1: { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'missing.safetensors' } },
      2: { class_type: 'EmptyLatentImage', inputs: { width: 64, height: 64, batch_size: 1 } },
      3: { class_type: 'VAEDecode', inputs: { samples: ['2', 0], vae: ['1', 2] } },
      4: { class_type: 'SaveImage', inputs: { images: ['3', 0], filename_prefix: 'model' } },
    };
    const m = await run(write(model));
    expect(m.r.code).toBe(1);
    expect(m.r.err).toMatch(/ComfyUI refused the workflow: .*node 1 \(CheckpointLoaderSimple\): Value not in list: ckpt_name: 'missing\.safetensors' not in/);
  }, 90_000);

  it('a file saved outside --out: named once the image lines are shown; validation of a failing output said once', async () => {
    const graph: Graph = {
      1: empty(),
      2: { class_type: 'ImageAddNoise', inputs: { image: ['1', 0], seed: 31, strength: 0.5 } },
      3: { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: 'inside/a' } },
      4: { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: 'outside/b' } },
      5: { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'missing.safetensors' } },
      6: { class_type: 'EmptyLatentImage', inputs: { width: 64, height: 64, batch_size: 1 } },
      7: { class_type: 'VAEDecode', inputs: { samples: ['6', 0], vae: ['5', 2] } },
      8: { class_type: 'SaveImage', inputs: { images: ['7', 0], filename_prefix: 'never' } },
    };
    const dir = tempDir('gw-real-run-');
    // stdout and stderr into one pipe: the order in which a user sees them
    const cmd = [
      process.execPath,
      CLI,
      'run',
      '--backend',
      'comfyui',
      '--url',
      comfy!.url,
      '--workflow',
      write(graph),
      '--requests',
      '2',
      '--out',
      join(comfy!.out, 'inside'),
      '--probe',
      'simulated',
      '--idle',
      '0',
      '--plain',
      '--record',
      join(dir, 'r.json'),
    ];
    const seen = execFileSync('sh', ['-c', '"$@" 2>&1; echo "rc=$?"', 'sh', ...cmd], { encoding: 'utf8', env: { ...process.env, CI: 'true' } });
    expect(seen).toMatch(/rc=0/);
    const lines = seen.split('\n');
    const lastImage = lines.findLastIndex((l) => /^image \d+ /.test(l));
    const missing = lines.findIndex((l) => /says request \d saved outside\/b_\d+_\.png, but it did not appear in/.test(l));
    expect(lines.filter((l) => /^image \d+ /.test(l))).toHaveLength(2);
    expect(missing, seen).toBeGreaterThan(lastImage);
    expect(
      lines.filter((l) => /some outputs failed validation/.test(l)),
      seen,
    ).toHaveLength(1);
  }, 60_000);

  it("back-to-back requests are a batch each (ComfyUI's batch_size within one), not one batch by file timing", async () => {
    const b = await run(workflow('wf_basic.json'), ['--requests', '3']);
    expect(b.r.code, b.r.err).toBe(0);
    expect(b.doc.rows.map((r) => r.batch)).toEqual([0, 0, 1, 1, 2, 2]);
    expect(b.doc.rows.map((r) => r.warmup)).toEqual([true, true, false, false, false, false]);
    // the server's own host memory (found by its port), as a command generator's would be
    expect(b.doc.summary.memory?.hostRssPeakBytes).toBeGreaterThan(50 * 2 ** 20);
  }, 60_000);

  it('a graph with no seed served from the cache, and a graph that saves no file: each a clear failure', async () => {
    const noseed = workflow('wf_noseed.json');
    await run(noseed); // fills the cache
    const cached = await run(noseed);
    expect(cached.r.code).not.toBe(0);
    expect(cached.r.err).toMatch(/served every node from its cache .*nothing was generated.*The workflow has no seed to change/);
    expect(cached.r.err).not.toMatch(/seeds did change/);
    const preview: Graph = {
      1: empty(),
      2: { class_type: 'ImageAddNoise', inputs: { image: ['1', 0], seed: 5, strength: 0.5 } },
      3: { class_type: 'PreviewImage', inputs: { images: ['2', 0] } },
    };
    const p = await run(write(preview));
    expect(p.r.code).not.toBe(0);
    expect(p.r.err).toMatch(/saves no image file \(its outputs are of type temp\).*Add a SaveImage node/);
  }, 90_000);
});
