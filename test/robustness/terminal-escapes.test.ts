/**
 * Guarantee: nothing reaches the operator's terminal raw. A file name carrying an OSC 52 sequence
 * (writes the clipboard) and BEL, a bidirectional override (U+202E), tags with escapes and Markdown
 * link syntax, a generator printing escapes, a FIFO named with escapes in a folder `serve` watches,
 * a node whose /api/sessions never ends. On 02294be `report` (table, md, csv), `replay --plain`,
 * `serve`'s log lines and `--show-output` printed them raw, Markdown made the tag a live link, and
 * `report http://node` read the endless list until its memory ran out.
 */
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, spawnCli, tempDir, waitFor } from '../helpers/gen.js';
import { startServe } from '../helpers/serve.js';

const OSC52 = '\x1b]52;c;aGVsbG8=\x07';
const HOSTILE_NAME = `f${OSC52}\u202egnp.png`;
const RAW = /[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;

/** What a terminal would obey: any control character but newline (and CR before it), or a bidi override. */
function rawIn(s: string): string | null {
  const m = RAW.exec(s.replace(/\r\n/g, '\n'));
  return m ? JSON.stringify(s.slice(Math.max(0, m.index - 40), m.index + 20)) : null;
}

describe('nothing reaches a terminal raw', () => {
  it('run --plain --show-output, report (table, md, csv, json) and replay --plain with a hostile file name, tags and generator output', async () => {
    const dir = tempDir('gw-esc-');
    const out = join(dir, 'out');
    const rec = join(dir, 'r.json');
    const gen = join(dir, 'gen.mjs');
    writeFileSync(
      gen,
      `import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { pngFile } from ${JSON.stringify(join(ROOT, 'fixtures/png-writer.mjs'))};
mkdirSync(process.argv[2], { recursive: true });
console.log('loading \\x1b[2J\\x1b]0;owned\\x07 model \\u202eevil');
for (let i = 0; i < 3; i++) {
  await new Promise((r) => setTimeout(r, 300));
  writeFileSync(process.argv[2] + '/' + (i === 1 ? ${JSON.stringify(HOSTILE_NAME)} : 'ok-' + i + '.png'), pngFile(32, 32, [], i));
}
`,
    );
    const run = await spawnCli([
      'run',
      '--probe',
      'simulated',
      '--idle',
      '0',
      '--plain',
      '--show-output',
      '--record',
      rec,
      '--tag',
      'note=\x1b]0;pwned\x07x',
      '--tag',
      'link=[x](javascript:alert(1))',
      '--out',
      out,
      '--',
      process.execPath,
      gen,
      out,
    ]);
    expect(run.code, run.err).toBe(0);
    expect(run.out).toMatch(/f\?\]52;c;aGVsbG8=\?\?gnp\.png/); // the name, shown with its controls as ?
    for (const [what, text] of [
      ['run stdout', run.out],
      ['run stderr', run.err],
    ])
      expect(rawIn(text), what).toBeNull();
    // two recordings of the same configuration, grouped by the hostile tag: the tag is a table cell
    const rec2 = join(dir, 'r2.json');
    copyFileSync(rec, rec2);
    for (const args of [
      ['report', rec],
      ['report', rec, rec2, '--format', 'md', '--group-by', 'link'],
      ['report', rec, rec2, '--format', 'csv', '--group-by', 'note'],
      ['report', rec, rec2, '--group-by', 'note'],
      ['report', rec, '--json'],
      ['replay', rec, '--plain'],
    ]) {
      const r = await spawnCli(args);
      expect(r.code, `${args.join(' ')}: ${r.err}`).toBe(0);
      expect(rawIn(r.out), args.join(' ')).toBeNull();
      expect(rawIn(r.err), args.join(' ')).toBeNull();
      if (args.includes('md')) {
        expect(r.out).toContain('\\[x\\](javascript:alert(1))'); // shown, not a link
        expect(r.out).not.toMatch(/[^\\]\[x\]\(javascript:/);
      }
    }
  }, 60_000);

  it('serve: a FIFO named with escapes in a watched folder is logged with its controls as ?', async () => {
    const dir = tempDir('gw-esc-serve-');
    const out = join(dir, 'out');
    mkdirSync(out);
    const serve = await startServe(['--probe', 'simulated', '--watch', out, '--idle', '0', '--interval', '100']);
    try {
      execFileSync('mkfifo', [join(out, HOSTILE_NAME)]);
      await waitFor(() => /gnp\.png (is a FIFO|is not a regular file)/.test(serve.log()), 20_000);
      expect(serve.log()).toMatch(/f\?\]52;c;aGVsbG8=\?\?gnp\.png (is a FIFO|is not a regular file)/);
      expect(rawIn(serve.log())).toBeNull();
    } finally {
      await serve.stop('SIGKILL');
    }
  }, 60_000);

  it('report http://node: an endless /api/sessions is refused at 32 MiB, naming the node', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"sessions": [');
      const chunk = Buffer.from('{"name": "x.json", "complete": false},'.repeat(2000));
      const pump = () => {
        while (res.write(chunk));
        res.once('drain', pump);
      };
      pump();
      res.on('close', () => res.removeAllListeners('drain'));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const r = await spawnCli(['report', url]);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(new RegExp(`${url.replace(/\./g, '\\.')}: cannot read its sessions \\(/api/sessions is larger than 32 MiB\\)`));
    } finally {
      server.closeAllConnections();
      server.close();
    }
  }, 60_000);
});
