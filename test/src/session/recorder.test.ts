import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultRecordPath, journalPath, Recorder, RecordingExistsError } from '../../../src/session/recorder.js';
import { readSession } from '../../../src/session/reader.js';
import { tempDir } from '../../helpers/gen.js';

describe('recorder', () => {
  it('refuses to overwrite either file', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.json'), 'x');
    expect(() => new Recorder(join(dir, 'a.json'))).toThrow(RecordingExistsError);
    writeFileSync(journalPath(join(dir, 'b.json')), 'x');
    expect(() => new Recorder(join(dir, 'b.json'))).toThrow(RecordingExistsError);
    expect(readFileSync(join(dir, 'a.json'), 'utf8')).toBe('x');
  });

  it('a schema error in a finished .json names the line of the offending value', async () => {
    const cwd = tempDir();
    const f = join(cwd, 's.json');
    const r = new Recorder(f);
    r.write({
      type: 'header',
      schema: 'genwatt-session',
      schemaVersion: 1,
      genwatt: '0',
      startedAt: 'now',
      host: { hostname: 'h', platform: 'linux', release: '', arch: 'x64', cpuModel: 'c', cpuCount: 1, ramTotalBytes: 1, node: 'v20' },
      devices: [{ id: 'g', vendor: 'simulated', name: 'g', probe: 'simulated' }],
      probes: [],
      options: { intervalMs: 100, idleSeconds: 0, warmupBatches: 1, gapLimitMs: 500, batchGapMs: null, count: null },
      run: { mode: 'run', argv: null, cwd, outDir: null, tags: {}, startMs: 0, endMs: null, exit: null, endReason: null },
    });
    for (let t = 0; t < 5; t++) r.write({ type: 'sample', deviceId: 'g', tMs: t * 100, powerWatts: 10, powerKind: 'instant' });
    r.close();
    const doc = (await readSession(journalPath(f))).doc;
    const r2 = new Recorder(join(cwd, 't.json'));
    r2.finalize(doc);
    expect(existsSync(journalPath(join(cwd, 't.json')))).toBe(false);
    const text = readFileSync(join(cwd, 't.json'), 'utf8').replace('"powerWatts":10,"powerKind":"instant"}', '"powerWatts":"ten","powerKind":"instant"}');
    writeFileSync(join(cwd, 'u.json'), text);
    const line = text.split('\n').findIndex((l) => l.includes('"ten"')) + 1;
    await expect(readSession(join(cwd, 'u.json'))).rejects.toThrow(new RegExp(`u\\.json:${line}: /samples/0/powerWatts must be number`));
  });

  it('two sessions started in the same second with default names both record: the second takes the next free name; a name the user gave is never changed', () => {
    const dir = tempDir();
    const now = new Date('2026-11-30T04:00:00.000Z');
    const a = defaultRecordPath(dir, 'run', now);
    const b = defaultRecordPath(dir, 'run', now); // another process picked the same name before either opened it
    expect(b).toBe(a);
    const ra = new Recorder(a);
    const rb = new Recorder(b);
    expect(ra.file).toBe(a);
    expect(rb.file).toBe(a.replace(/\.json$/, '-1.json'));
    expect(existsSync(journalPath(a)) && existsSync(journalPath(rb.file))).toBe(true);
    ra.close();
    rb.close();
    const mine = join(dir, 'mine.json');
    writeFileSync(mine, 'precious');
    expect(() => new Recorder(mine)).toThrow(RecordingExistsError);
    expect(readFileSync(mine, 'utf8')).toBe('precious');
  });
});
