/**
 * A recording far larger than the memory genwatt may use: the final file is streamed from the
 * journal and reports read it as a stream. The child processes get a 40 MB JavaScript heap; holding
 * the samples (~60 MB of text, several times that as objects) would run out of it.
 * SYNTHETIC: the simulated GPU's model (bench/long-session.mjs), not a hardware recording.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeLongSession } from '../../../bench/long-session.mjs';
import { formatDoc } from '../../../src/session/doc-writer.js';
import { readSession } from '../../../src/session/reader.js';
import { CLI, ROOT, tempDir } from '../../helpers/gen.js';

const HEAP = '--max-old-space-size=40';

function node(args: string[]) {
  return spawnSync(process.execPath, [HEAP, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

const FINALIZE = `import { writeDocFromJournal } from ${JSON.stringify(join(ROOT, 'dist/src/session/doc-writer.js'))};
const c = await writeDocFromJournal(process.argv[1], process.argv[2]);
console.log(JSON.stringify({ images: c.summary.images }));`;

describe('a journal larger than the heap', () => {
  let dir: string;
  let journal: string;
  let images: number;
  beforeAll(async () => {
    dir = tempDir('gw-big-');
    journal = join(dir, 'big.jsonl');
    // 4 GPUs at 10 Hz for 2.5 hours: 360,000 samples, ~65 MB.
    images = (await writeLongSession(journal, { seconds: 9000, gpus: 4, cycleMs: 8000 })).images;
  }, 60000);

  it('finalizes and reports with a 40 MB heap', () => {
    const out = join(dir, 'big.json');
    const fin = node(['--input-type=module', '-e', FINALIZE, journal, out]);
    expect(fin.stderr).toBe('');
    expect(JSON.parse(fin.stdout).images).toBe(images);
    for (const [file, format] of [
      [out, 'json'],
      [journal, 'json'],
      [out, 'html'],
    ]) {
      const r = node([CLI, 'report', file, '--format', format]);
      expect(r.status, r.stderr).toBe(0);
      if (format === 'json') expect(JSON.parse(r.stdout).sessions[0].summary.images).toBe(images);
      else expect(r.stdout).toMatch(/<svg class="chart timeline"/);
    }
  }, 120000);

  it('the streamed file is the document the journal reads to, byte for byte', async () => {
    const small = join(dir, 'small.jsonl');
    await writeLongSession(small, { seconds: 600, gpus: 2, cycleMs: 1700 });
    const out = join(dir, 'small.json');
    const fin = node(['--input-type=module', '-e', FINALIZE, small, out]);
    expect(fin.status, fin.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(formatDoc((await readSession(small)).doc));
    const back = await readSession(out);
    expect(back.doc.samples).toHaveLength(12000);
  }, 60000);
});
