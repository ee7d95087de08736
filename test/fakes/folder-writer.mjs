#!/usr/bin/env node
// Writes real PNGs (fixtures/png-writer.mjs, with A1111 `parameters`) the way a folder storm or an
// odd tree does, then waits a moment so the run sees them before the generator ends.
//   folder-writer.mjs storm DIR N         N files within ~2 s
//   folder-writer.mjs odd DIR             one image with a name that is not UTF-8, one 22 folders deep, one plain
//   folder-writer.mjs subfolders DIR N    one image in each of N new subfolders
//   folder-writer.mjs rewrite DIR N       latest.png written N times in place, 0.3 s apart (a live preview)
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pngFile } from '../../fixtures/png-writer.mjs';

const [mode, dir, nArg] = process.argv.slice(2);
const n = Number(nArg ?? 0);
const png = (seed) => pngFile(32, 32, [['parameters', `a cat\nSteps: 8, Sampler: Euler, CFG scale: 1, Seed: ${seed}, Size: 32x32, Model: writer`]], seed);
const pause = (ms) => new Promise((r) => setTimeout(r, ms));
mkdirSync(dir, { recursive: true });
await pause(1000);
if (mode === 'storm') {
  const t0 = Date.now();
  const one = png(1);
  for (let i = 0; i < n; i++) {
    writeFileSync(join(dir, `s${String(i).padStart(5, '0')}.png`), one);
    if (i % 250 === 249) await pause(Math.max(0, (2000 * (i + 1)) / n - (Date.now() - t0)));
  }
} else if (mode === 'odd') {
  writeFileSync(Buffer.concat([Buffer.from(`${dir}/bad-`), Buffer.from([0xff, 0xfe]), Buffer.from('.png')]), png(2));
  const deep = join(dir, ...Array.from({ length: 22 }, (_, i) => `d${i}`));
  mkdirSync(deep, { recursive: true });
  await pause(500);
  writeFileSync(join(deep, 'deep.png'), png(3));
  writeFileSync(join(dir, 'plain.png'), png(4));
} else if (mode === 'subfolders') {
  for (let i = 0; i < n; i++) mkdirSync(join(dir, `sub${i}`));
  await pause(500);
  for (let i = 0; i < n; i++) writeFileSync(join(dir, `sub${i}`, `img${i}.png`), png(10 + i));
} else if (mode === 'rewrite') {
  for (let i = 0; i < n; i++) {
    writeFileSync(join(dir, 'latest.png'), png(20 + i));
    await pause(300);
  }
} else {
  console.error(`folder-writer: unknown mode ${mode}`);
  process.exit(2);
}
await pause(2500);
