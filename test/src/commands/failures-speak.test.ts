/**
 * A newcomer's failures explain themselves (issue 24 items 1, 2 and 14), with real processes: the
 * generator's own error is shown, a run that watched the wrong folder fails and names the right one,
 * `watch` refuses a path that cannot appear, and `monitor --plain | head` ends.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, GENERATOR, spawnCli, tempDir } from '../../helpers/gen.js';

/** A run watching `watched` while the demo generator writes two images into `writesTo`. */
function watchingWhileWritingTo(watched: string, writesTo: string) {
  return spawnCli([
    'run',
    '--probe',
    'simulated',
    '--idle',
    '0',
    '--out',
    watched,
    '--no-record',
    '--',
    process.execPath,
    GENERATOR,
    '--out',
    writesTo,
    '--count',
    '2',
    '--seconds',
    '0.1',
  ]);
}

describe('failures that speak', () => {
  it("a failing generator's last stderr lines are printed (bounded, sanitised), not only its exit code", async () => {
    const dir = tempDir('gw-fail-');
    const script = `echo starting; for i in 1 2 3 4 5 6 7; do echo "noise $i" >&2; done; echo 'CUDA out of memory: tried to allocate 2 GiB' >&2; printf '\\033]0;title\\007x\\n' >&2; exit 3`;
    const r = await spawnCli(['run', '--probe', 'simulated', '--idle', '0', '--out', join(dir, 'o'), '--no-record', '--', 'sh', '-c', script]);
    expect(r.code, r.err).toBe(3);
    const lines = r.err.split('\n');
    const at = lines.findIndex((l) => l === "genwatt: the command's last lines on stderr:");
    expect(at, r.err).toBeGreaterThan(-1);
    const shown = lines.slice(at + 1).filter((l) => l.startsWith('  | '));
    // the last five lines, oldest first, the OOM line among them; no raw escape reaches the terminal
    expect(shown).toHaveLength(5);
    expect(shown[0]).toBe('  | noise 5');
    expect(shown[3]).toBe('  | CUDA out of memory: tried to allocate 2 GiB');
    expect(r.err).not.toContain('\x1b');
  }, 30_000);

  it('a generator that ends with no image in --out fails the run and names the folder it did write to', async () => {
    const dir = tempDir('gw-wrong-');
    const a = join(dir, 'oA');
    const b = join(dir, 'oB');
    const r = await watchingWhileWritingTo(a, b);
    expect(r.code, r.err).toBe(1);
    expect(r.err).toContain(`the command ended and 0 images appeared in ${a}: is that the folder it writes to? New images did appear in ${b}: use --out ${b}`);
    // the same generator pointed at the right folder is a normal run
    const ok = await watchingWhileWritingTo(b, b);
    expect(ok.code, ok.err).toBe(0);
    expect(ok.err).not.toContain('0 images appeared');
  }, 60_000);

  it('watch refuses a folder whose parent does not exist (exit 2, nothing recorded); a missing folder in an existing parent is waited for', async () => {
    const dir = tempDir('gw-watch-');
    const rec = join(dir, 'r.json');
    const r = await spawnCli(['watch', join(dir, 'nope', 'deeper'), '--probe', 'simulated', '--record', rec]);
    expect(r.code, r.err).toBe(2);
    expect(r.err).toContain(`neither ${join(dir, 'nope', 'deeper')} nor the folder it would be in (${join(dir, 'nope')}) exists`);
    expect(existsSync(rec) || existsSync(`${rec}.jsonl`)).toBe(false);
    const later = await spawnCli(['watch', join(dir, 'later'), '--probe', 'simulated', '--idle', '0', '--no-record', '--timeout', '1']);
    expect(later.code, later.err).toBe(0);
    expect(later.err).toContain('waiting for');
  }, 30_000);

  it('monitor --plain whose reader goes away (| head -2) ends by itself, exit 0', async () => {
    const p = spawn(process.execPath, [CLI, 'monitor', '--plain', '--probe', 'simulated', '--interval', '100', '--no-record'], {
      env: { ...process.env, CI: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((r) => p.once('exit', r));
    // read two lines, then close the pipe as `head -2` does
    await new Promise<void>((r) => {
      p.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.split('\n').length > 2) {
          p.stdout.destroy();
          r();
        }
      });
    });
    const timer = setTimeout(() => p.kill('SIGKILL'), 20_000);
    const code = await exited;
    clearTimeout(timer);
    expect(code, err).toBe(0);
  }, 40_000);
});

describe('stopping a command that ignores SIGTERM', () => {
  it('says what happens next, and a second Ctrl-C kills it at once; the recording is still finished', async () => {
    const { readSession } = await import('../../../src/session/reader.js');
    const { readFileSync } = await import('node:fs');
    const dir = tempDir('gw-stubborn-');
    const rec = join(dir, 'r.json');
    const pidFile = join(dir, 'pid');
    const script = `echo $$ > ${pidFile}; trap '' TERM; while :; do sleep 0.1; done`;
    let err = '';
    const started = Date.now();
    let sentSecondAt = 0;
    const r = await new Promise<{ code: number | null }>((resolve) => {
      const p = spawn(
        process.execPath,
        [CLI, 'run', '--probe', 'simulated', '--idle', '0', '--kill-after', '60', '--out', join(dir, 'o'), '--record', rec, '--', 'sh', '-c', script],
        {
          env: { ...process.env, CI: 'true' },
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      let first = false;
      p.stderr.on('data', (d: Buffer) => (err += d.toString()));
      // the first Ctrl-C once the command runs; the second once genwatt says it has not ended
      const poll = setInterval(() => {
        if (!first && err.includes('measuring ') && existsSync(pidFile)) {
          first = true;
          p.kill('SIGINT');
        }
        if (!sentSecondAt && err.includes('has not ended 1 s after SIGTERM')) {
          sentSecondAt = Date.now();
          p.kill('SIGINT');
        }
      }, 50);
      const guard = setTimeout(() => p.kill('SIGKILL'), 45_000);
      p.once('exit', (code) => {
        clearInterval(poll);
        clearTimeout(guard);
        resolve({ code });
      });
    });
    expect(r.code, err).toBe(130);
    expect(err).toContain('SIGKILL 60 s after the stop (Ctrl-C again: now)');
    expect(err).toContain('the command was killed (SIGKILL) at the second Ctrl-C');
    // it did not wait for the 60 s grace
    expect(sentSecondAt).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(40_000);
    // nothing of its process group runs on (zombies waiting for init to reap them do not run)
    const pgid = Number(readFileSync(pidFile, 'utf8'));
    const { execFileSync } = await import('node:child_process');
    const alive = () =>
      execFileSync('ps', ['-eo', 'pgid=,stat=,args='], { encoding: 'utf8' })
        .split('\n')
        .map((l) => l.trim().split(/\s+/))
        .filter(([g, stat]) => Number(g) === pgid && !stat.startsWith('Z'));
    expect(alive()).toEqual([]);
    const s = await readSession(rec);
    expect(s.finished).toBe(true);
  }, 60_000);
});

describe('progress', () => {
  it('demo --count N numbers its images n/N', async () => {
    const r = await spawnCli(['demo', '--plain', '--count', '3', '--idle', '0', '--no-record']);
    expect(r.code, r.err).toBe(0);
    expect(r.out.split('\n').filter((l) => l.startsWith('image '))).toEqual([
      expect.stringMatching(/^image 1\/3 /),
      expect.stringMatching(/^image 2\/3 /),
      expect.stringMatching(/^image 3\/3 /),
    ]);
  }, 30_000);
});
