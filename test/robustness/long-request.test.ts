/**
 * A Forge txt2img request that answers after more than undici's default 300 s header timeout still
 * succeeds when --request-timeout allows it (Node's built-in fetch gave up at 300 s whatever it said).
 * About 5½ minutes: `npm run soak` runs it (GENWATT_LONG=1); `npm test` skips it and checks the same
 * rule at a small scale in test/src/backends/forge-backend.test.ts.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnCli, tempDir } from '../helpers/gen.js';
import { startFakeForge } from '../fakes/servers/forge-server.js';

describe('a request longer than 300 s', () => {
  it.runIf(process.env.GENWATT_LONG === '1')(
    'Forge answering after 310 s: the run succeeds with --request-timeout 400',
    async () => {
      const dir = tempDir('gw-long-');
      const forge = await startFakeForge({ outDir: join(dir, 'outputs'), stepMs: 10_000 });
      try {
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
          '31',
          '--request-timeout',
          '400',
          '--probe',
          'simulated',
          '--idle',
          '0',
          '--no-record',
        ]);
        expect(r.code, r.err).toBe(0);
        expect(Date.now() - t0).toBeGreaterThan(300_000);
        expect(r.out).toMatch(/image 1 /);
      } finally {
        await forge.close();
      }
    },
    420_000,
  );
});
