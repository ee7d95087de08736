/**
 * Guarantees against the small things that lose or mislead (each failed on ffcd592): a journal torn
 * by a full disk says so; a crash during the final write leaves nothing behind after the next start
 * and `serve` lists the session once; the demo removes its temporary folders and activity files;
 * CSV cells cannot become spreadsheet formulas and Markdown cannot carry HTML; absurd numbers in a
 * hand-edited session are rejected with file:line.
 */
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fill, mountTmpfs } from '../helpers/disk.js';
import { GENERATOR, ROOT, spawnCli, tempDir } from '../helpers/gen.js';
import { startServe, type ServeProc } from '../helpers/serve.js';

const DEMO = join(ROOT, 'fixtures/sessions/demo-8.json');
const cleanups: (() => void)[] = [];
let serve: ServeProc | undefined;
afterEach(async () => {
  await serve?.stop();
  serve = undefined;
  for (const c of cleanups.splice(0)) c();
});

describe('small things', () => {
  it('a journal torn by a full disk says "disk full", not "killed?"', async () => {
    const dir = tempDir('gw-full-');
    const recDir = join(dir, 'rec');
    cleanups.push(mountTmpfs(recDir, 512));
    const out = join(dir, 'out');
    const rec = join(recDir, 'r.json');
    let filled = false;
    const r = await spawnCli(
      [
        'run',
        '--probe',
        'simulated',
        '--interval',
        '20',
        '--idle',
        '0',
        '--plain',
        '--record',
        rec,
        '--out',
        out,
        '--',
        process.execPath,
        GENERATOR,
        '--out',
        out,
        '--count',
        '6',
        '--seconds',
        '0.3',
        '--load-seconds',
        '0.1',
      ],
      {},
      (p) => {
        p.stdout!.on('data', () => {
          if (!filled) {
            filled = true;
            fill(join(recDir, 'filler')); // after the first image: the journal is open, its reserve set aside
          }
        });
      },
    );
    expect(r.code).toBe(1);
    const journal = join(recDir, 'r.jsonl');
    expect(existsSync(journal)).toBe(true);
    const rep = await spawnCli(['report', journal, '--json']);
    expect(rep.code).toBe(0);
    const warnings = JSON.parse(rep.out).sessions[0].warnings.join(' ');
    expect(warnings).toMatch(/the disk was full while recording \(disk full: /);
    expect(warnings).not.toMatch(/killed\?/);
  }, 60000);

  it('leftovers of a crash during the final write: removed at the next start; serve lists the session once', async () => {
    const rec = tempDir('gw-crash-');
    copyFileSync(DEMO, join(rec, 'x.json'));
    // The journal a crash between the final link and the journal's removal leaves, and temp files of a dead process.
    writeFileSync(join(rec, 'x.jsonl'), readFileSync(join(ROOT, 'fixtures/sessions/demo-killed.jsonl')));
    for (const t of ['.x.json.4000000001-1.genwatt.tmp', '.x.json.rows.4000000001-1.genwatt.tmp', '.x.jsonl.reserve.4000000001-1.genwatt.tmp'])
      writeFileSync(join(rec, t), 'partial');
    serve = await startServe(['--probe', 'simulated', '--idle', '0', '--record-dir', rec]);
    const list = (await (await fetch(`${serve.url}/api/sessions`)).json()) as { sessions: { name: string }[] };
    expect(list.sessions.map((s) => s.name)).toEqual(['x.json']);
    await serve.stop();
    serve = undefined;
    const out = tempDir();
    const r = await spawnCli([
      'run',
      '--probe',
      'simulated',
      '--idle',
      '0',
      '--record',
      join(rec, 'y.json'),
      '--out',
      out,
      '--',
      process.execPath,
      GENERATOR,
      '--out',
      out,
      '--count',
      '1',
      '--seconds',
      '0.1',
      '--load-seconds',
      '0',
    ]);
    expect(r.code, r.err).toBe(0);
    expect(readdirSync(rec).filter((f) => f.endsWith('.genwatt.tmp'))).toEqual([]);
  }, 60000);

  it('the demo removes its temporary folders and the simulated GPU’s activity files', async () => {
    const tmp = tempDir('gw-tmpdir-');
    const cwd = tempDir();
    // Recorded into a temporary folder: a test leaves nothing in the checkout.
    const r = await spawnCli(['demo', '--images', '3', '--idle', '0.2', '--plain', '--record', join(cwd, 'demo.json')], { TMPDIR: tmp }, (p) => void p);
    expect(r.code, r.err).toBe(0);
    // removed before genwatt exited: nothing is left to wait for
    expect(readdirSync(tmp).filter((f) => /^genwatt-(demo|sim)-/.test(f))).toEqual([]);
    expect(readdirSync(cwd)).toEqual(['demo.json']);
    // A demo that cannot record (its file exists already) leaves no empty folder either (02294be did).
    const again = await spawnCli(['demo', '--images', '3', '--idle', '0.2', '--plain', '--record', join(cwd, 'demo.json')], { TMPDIR: tmp });
    expect(again.code).not.toBe(0);
    expect(again.err).toMatch(/demo\.json/);
    expect(readdirSync(tmp).filter((f) => /^genwatt-(demo|sim)-/.test(f))).toEqual([]);
  }, 60000);

  it('CSV cells that start with = + - @ are guarded; Markdown escapes HTML', async () => {
    const dir = tempDir('gw-inject-');
    const doc = JSON.parse(readFileSync(DEMO, 'utf8'));
    doc.run.tags = { ...doc.run.tags, model: '=HYPERLINK("http://evil.example","x")', attention: '<img src=x onerror=alert(1)>', precision: '@SUM(A1)' };
    const f = join(dir, 'evil.json');
    writeFileSync(f, JSON.stringify(doc));
    const csv = await spawnCli(['report', f, '--format', 'csv']);
    expect(csv.code, csv.err).toBe(0);
    expect(csv.out).toContain(`"'=HYPERLINK(""http://evil.example"",""x"")"`);
    expect(csv.out).toContain(`'@SUM(A1)`);
    expect(csv.out).not.toMatch(/(^|,)[=@]/m);
    const md = await spawnCli(['report', f, '--format', 'md']);
    expect(md.out).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(md.out).not.toContain('<img');
  });

  it('Infinity (1e400) and 1e300 s in a hand-edited session: rejected with file:line, never drawn', async () => {
    const dir = tempDir('gw-absurd-');
    const text = readFileSync(DEMO, 'utf8');
    const lines = text.split('\n');
    const rowLine = lines.findIndex((l) => l.startsWith('    {"index":0,'));
    expect(rowLine).toBeGreaterThan(0);
    for (const [name, value] of [
      ['huge', '1e300'],
      ['inf', '1e400'],
    ]) {
      const edited = [...lines];
      edited[rowLine] = edited[rowLine].replace(/"seconds":[^,]+/, `"seconds":${value}`);
      const f = join(dir, `${name}.json`);
      writeFileSync(f, edited.join('\n'));
      const r = await spawnCli(['report', f, '--format', 'html']);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(new RegExp(`${name}\\.json:${rowLine + 1}: /rows/0/seconds must be`));
      expect(r.out).not.toContain('NaN');
    }
  });
});
