/** `genwatt demo`: the whole pipeline on the simulated GPU with the bundled generator writing real PNGs. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../package-info.js';
import { DEMO_TAGS } from '../backends/demo-tags.js';
import type { SessionFlags } from './flags.js';
import { measureCommand } from './measure.js';

export const DEFAULT_DEMO_IMAGES = 10;

/** The demo generator's command line for `images` images into `out`. */
export function demoArgv(out: string, images: number): string[] {
  return [
    process.execPath,
    join(packageRoot(), 'fixtures/demo-generator.mjs'),
    '--out',
    out,
    '--count',
    String(images),
    '--seconds',
    '0.8',
    '--batch-at',
    String(Math.min(4, Math.max(1, images - 2))),
  ];
}

export async function demoCommand(f: SessionFlags, images: number): Promise<number> {
  const out = mkdtempSync(join(tmpdir(), 'genwatt-demo-'));
  const flags: SessionFlags = { ...f, probes: f.probes ?? ['simulated'], tags: { ...DEMO_TAGS, ...f.tags } };
  try {
    return await measureCommand(flags, {
      mode: 'demo',
      argv: demoArgv(out, images),
      outDir: out,
      defaultIdleSeconds: 2,
      defaultRecord: true,
      removeOutDir: true,
      expectedImages: images,
    });
  } finally {
    // The session removes it when it ends; a demo that never started (it cannot record, say) leaves nothing either.
    rmSync(out, { recursive: true, force: true });
  }
}
