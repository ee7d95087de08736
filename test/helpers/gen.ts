/** Paths and helpers shared by tests that run real processes. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '../..');
export const GENERATOR = join(ROOT, 'fixtures/demo-generator.mjs');
export const CLI = join(ROOT, 'dist/src/cli.js');
export const FAKE_BIN = join(ROOT, 'test/fakes/bin');

export function tempDir(prefix = 'gw-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `cond` holds or the time is up. */
export async function waitFor(cond: () => boolean, timeoutMs = 5000, stepMs = 20): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await sleep(stepMs);
  }
}
