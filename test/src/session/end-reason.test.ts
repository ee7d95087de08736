/** A stored end reason is one this version knows, or null: never a free string passed on as if it were one. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSession } from '../../../src/session/reader.js';
import { endReasonOf } from '../../../src/session/types.js';
import { ROOT, tempDir } from '../../helpers/gen.js';

const DEMO = readFileSync(join(ROOT, 'fixtures/sessions/demo-8.json'), 'utf8');

describe('end reasons', () => {
  it('known reasons are kept, serve rotation words included; anything else reads as not recorded', async () => {
    const dir = tempDir('gw-end-');
    const cases: [string, string | null][] = [
      ['child-exit', 'child-exit'],
      ['count', 'count'],
      ['file reached its length limit (60 min)', 'file reached its length limit (60 min)'],
      ['run ended (no image for the run gap)', 'run ended (no image for the run gap)'],
      ['because I said so', null],
      ['file reached its length limit (x min)', null],
    ];
    for (const [i, [stored, read]] of cases.entries()) {
      const f = join(dir, `s${i}.json`);
      writeFileSync(f, DEMO.replace('"endReason":"child-exit"', `"endReason":${JSON.stringify(stored)}`));
      const s = await readSession(f);
      expect(s.doc.run.endReason, stored).toBe(read);
    }
    expect(endReasonOf(42)).toBeNull();
  });
});
