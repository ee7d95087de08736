/**
 * A measured session never changes the config it was given: what the server tells (model, flags,
 * memory, its image count) goes into the session's own tags and the recording, not into the
 * caller's object (a dashboard or a plan reuses its config for the next run).
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MeasureSession } from '../../../src/measure/measure-session.js';
import { startFakeForge, type FakeForge } from '../../fakes/servers/forge-server.js';
import { tempDir } from '../../helpers/gen.js';

let forge: FakeForge | undefined;
afterEach(async () => {
  await forge?.close();
  forge = undefined;
});

describe('measure session tags', () => {
  it("server tags reach the recording and the result, and the caller's config.tags is left as it was", async () => {
    const dir = tempDir('gw-tags-');
    forge = await startFakeForge({ outDir: join(dir, 'outputs'), stepMs: 5 });
    const tags = Object.freeze({ study: 'sdxl', model: 'mine' });
    const s = new MeasureSession({
      mode: 'run',
      probes: ['simulated'],
      intervalMs: 100,
      idleSeconds: 0,
      warmupBatches: 0,
      batchGapMs: null,
      count: null,
      timeoutMs: null,
      outDir: join(dir, 'outputs'),
      argv: null,
      cwd: dir,
      tags,
      record: join(dir, 'r.json'),
      backend: {
        kind: 'forge',
        url: forge.url,
        requests: 1,
        timeoutMs: 60_000,
        forge: {
          prompt: 'p',
          negativePrompt: '',
          steps: 2,
          width: 64,
          height: 64,
          cfgScale: 5,
          sampler: 'Euler',
          scheduler: null,
          seed: 1,
          batchSize: 1,
          batchCount: 1,
        },
      },
    });
    // A frozen object would throw on Object.assign: the session must not even try.
    const r = await s.run();
    expect(r.error, JSON.stringify(s.notes)).toBeUndefined();
    expect(tags).toEqual({ study: 'sdxl', model: 'mine' });
    expect(r.doc.run.tags).toMatchObject({ study: 'sdxl', 'server-images': '1' });
    // where the server can tell, its word is recorded, and the disagreement is said
    expect(r.doc.run.tags.model).toBe('sd_xl_base_1.0');
    expect(s.notes.map((n) => n.message)).toContainEqual(expect.stringContaining('--tag model=mine disagrees with the server'));
  }, 60_000);
});
