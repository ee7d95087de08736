/**
 * Guarantee: `serve` serves only its own files, and no error text quotes a file's content. On
 * ffcd592, `ln -s /etc/shadow rec/shadow.json` made `GET /api/sessions/shadow.json` answer 200 with
 * /etc/shadow, and a symlinked `.jsonl` produced an error quoting the target's first bytes.
 * (/etc/passwd stands in for /etc/shadow: same attack, a file every test machine has.)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/gen.js';
import { startServe, type ServeProc } from '../helpers/serve.js';

let serve: ServeProc | undefined;
afterEach(async () => {
  await serve?.stop();
  serve = undefined;
});

describe('serve answers only with its own files', () => {
  it('symlinks, FIFOs and non-session files in the record folder are neither listed nor served; errors never quote content', async () => {
    const rec = tempDir('gw-rec-');
    const passwd = readFileSync('/etc/passwd', 'utf8');
    const firstWord = passwd.split(':')[0];
    symlinkSync('/etc/passwd', join(rec, 'shadow.json'));
    symlinkSync('/etc/passwd', join(rec, 'shadow.jsonl'));
    execFileSync('mkfifo', [join(rec, 'pipe.jsonl')]);
    mkdirSync(join(rec, 'dir.json'));
    // A regular file whose content is not a session: the error names the line, never the bytes.
    writeFileSync(join(rec, 'copy.jsonl'), passwd);
    serve = await startServe(['--probe', 'simulated', '--idle', '0', '--record-dir', rec]);
    const list = (await (await fetch(`${serve.url}/api/sessions`)).json()) as { sessions: { name: string }[] };
    expect(list.sessions.map((s) => s.name)).toEqual(['copy.jsonl']);
    for (const name of ['shadow.json', 'shadow.jsonl', 'pipe.jsonl', 'dir.json', '..%2F..%2Fetc%2Fpasswd', '.hidden.json']) {
      const res = await fetch(`${serve.url}/api/sessions/${name}`, { signal: AbortSignal.timeout(5000) });
      const body = await res.text();
      expect(res.status, name).toBe(404);
      expect(body).not.toContain(`${firstWord}:`);
    }
    const bad = await fetch(`${serve.url}/api/sessions/copy.jsonl`);
    const text = await bad.text();
    expect(bad.status).toBe(422);
    expect(text).toMatch(/copy\.jsonl:1: not valid JSON/);
    expect(text).not.toContain(`${firstWord}:`);
  }, 30000);

  it('at start, serve removes the cache folders of serve processes that are gone (killed by SIGKILL), not those of live ones', async () => {
    const tmp = tempDir('gw-stale-cache-');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const stale = join(tmp, `genwatt-serve-cache-${dead.stdout}-AbC123`);
    const live = join(tmp, `genwatt-serve-cache-${process.pid}-XyZ789`);
    for (const d of [stale, live]) {
      mkdirSync(d);
      writeFileSync(join(d, '0.json'), '{}');
    }
    const serve = await startServe(['--probe', 'simulated', '--idle', '0'], { env: { TMPDIR: tmp } });
    try {
      expect(existsSync(stale)).toBe(false);
      expect(existsSync(live)).toBe(true);
      expect(readdirSync(tmp).filter((d) => d.startsWith(`genwatt-serve-cache-${serve.child.pid}-`))).toHaveLength(1);
    } finally {
      await serve.stop('SIGKILL');
    }
  });
});
