#!/usr/bin/env node
// A generator that replays a real counter trace's images (fixtures/traces/*/NAME_generator.jsonl):
// each `image_saved` PNG is written (NAME.tmp then renamed) at the moment the trace saved it, on the
// clock the fake tools replay the trace's power on (FAKE_TRACE, FAKE_TRACE_T0_MS, FAKE_TRACE_FROM_MS:
// see test/fakes/bin/nvidia-smi). Usage: trace-generator.mjs GENERATOR_JSONL OUTDIR
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pngFile } from '../../fixtures/png-writer.mjs';

const [genLog, out] = process.argv.slice(2);
const traceStart = Number(readFileSync(process.env.FAKE_TRACE, 'utf8').split('\n')[1].split(',')[0]);
const from = traceStart + Number(process.env.FAKE_TRACE_FROM_MS ?? 0);
const t0 = Number(process.env.FAKE_TRACE_T0_MS);
const saved = readFileSync(genLog, 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l))
  .filter((e) => e.kind === 'image_saved' && e.epoch_ms >= from);
mkdirSync(out, { recursive: true });
let i = 0;
const next = () => {
  if (i >= saved.length) return;
  const e = saved[i];
  setTimeout(
    () => {
      const file = join(out, e.path);
      writeFileSync(`${file}.tmp`, pngFile(64, 48, [['parameters', `trace image ${i}`]], i));
      renameSync(`${file}.tmp`, file);
      i++;
      next();
    },
    Math.max(0, t0 + (e.epoch_ms - from) - Date.now()),
  );
};
next();
