/**
 * The built CLI as a user runs it: real child processes (the demo generator writing real PNGs),
 * real folders, real signals. `npm test` builds dist/ first (pretest).
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CLI, FAKE_BIN, GENERATOR, tempDir, waitFor } from '../helpers/gen.js';

const run = promisify(execFile);
/** PATH without any nvidia-smi, so tests are the same on a GPU box. */
const CLEAN_PATH = '/usr/local/bin:/usr/bin:/bin';

async function genwatt(args: string[], opts: { cwd?: string; path?: string; env?: Record<string, string> } = {}) {
  try {
    const r = await run(process.execPath, [CLI, ...args], {
      cwd: opts.cwd ?? tempDir(),
      env: { ...process.env, PATH: opts.path ?? CLEAN_PATH, CI: 'true', ...opts.env },
      timeout: 60000,
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const gen = (out: string, ...extra: string[]) => [process.execPath, GENERATOR, '--out', out, '--seconds', '0.3', '--load-seconds', '0.3', ...extra];

describe('genwatt CLI', () => {
  it('--version and --help', async () => {
    const v = await genwatt(['--version']);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    // Each command's own usage line and an option only it has: a help text that lost its command fails.
    const helps: [string[], RegExp, RegExp][] = [
      [[], /^genwatt \[command\]/, /genwatt watch <dir> +measure while something else generates/],
      [['run'], /^genwatt run\n/, /--backend/],
      [['watch'], /^genwatt watch <dir>\n/, /--count/],
      [['monitor'], /^genwatt monitor\n/, /one line per device per second/],
      [['demo'], /^genwatt demo\n/, /simulated GPU/],
      [['probe'], /^genwatt probe\n/, /--json/],
      [['report'], /^genwatt report \[files\.\.\]\n/, /--format/],
    ];
    for (const [cmd, usage, own] of helps) {
      const h = await genwatt([...cmd, '--help']);
      expect(h.code, cmd.join(' ')).toBe(0);
      expect(h.stdout).toMatch(usage);
      expect(h.stdout).toMatch(own);
    }
  });

  it.each([
    [['run', '--tag', 'novalue', '--', 'true'], /--tag must look like key=value/],
    [['run', '--interval', '-5', '--', 'true'], /--interval must be a positive/],
    [['run', '--idle', '-1', '--', 'true'], /--idle must be 0 or more/],
    [['run', '--probe', 'bogus', '--', 'true'], /unknown probe "bogus"/],
    [['run'], /no command given/],
    [['frobnicate'], /Unknown argument|Unknown command/i],
    [['run', '--count', '0', '--', 'true'], /--count must be a positive/],
  ])('bad usage %j exits 2 with a one-line reason', async (args, msg) => {
    const r = await genwatt(args as string[]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(msg as RegExp);
  });

  it('no GPU: says so and points to the demo', async () => {
    const r = await genwatt(['run', '--out', tempDir(), '--', 'true']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no GPU found \(nvml: NVML not loadable: .*; nvidia-smi: nvidia-smi not found on PATH.*genwatt demo/);
    const p = await genwatt(['probe']);
    expect(p.stdout).toMatch(/No GPU found\. Try `genwatt demo`/);
  });

  it('probe --json: the documented shape; unknown values are null, never 0', async () => {
    const r = await genwatt(['probe', '--json', '--probe', 'nvidia-smi'], { path: `${FAKE_BIN}:${CLEAN_PATH}` });
    const j = JSON.parse(r.stdout);
    expect(j.probes).toEqual([{ name: 'nvidia-smi', status: 'ok', method: expect.stringContaining('instant') }]);
    expect(j.devices[0]).toMatchObject({
      id: '00000000:00:06.0',
      vendor: 'nvidia',
      busId: '00000000:00:06.0',
      uuid: expect.stringMatching(/^GPU-/),
      powerLimitWatts: 700,
      powerScope: 'board',
    });
    expect(j.devices[0].reading).toMatchObject({ powerKind: 'instant', energyJoules: null });
    expect(typeof j.devices[0].reading.powerWatts).toBe('number');
  });

  it('run: measures every image a real generator writes, one line each, then the summary; --count stops it', async () => {
    const out = tempDir();
    const cwd = tempDir();
    const r = await genwatt(
      ['run', '--probe', 'simulated', '--idle', '0.5', '--out', out, '--count', '4', '--plain', '--tag', 'model=demo', '--', ...gen(out, '--count', '50')],
      { cwd },
    );
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n').filter((l) => l.startsWith('image '));
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^image 1\/4 +00000-1000\.png +\d+\.\d+ s +\d+\.\d J +net -?\d+\.\d J .*instant +warm-up/);
    expect(r.stdout).toMatch(/J\/image +mean \d+\.\d J/);
    const sessions = readFileSync; // keep the import used in all branches
    void sessions;
    const rec = r.stderr.match(/session recorded to (\S+)/)![1];
    expect(rec.startsWith(join(cwd, 'genwatt-sessions'))).toBe(true);
    expect(existsSync(rec.replace(/\.json$/, '.jsonl'))).toBe(false);
    const doc = JSON.parse(readFileSync(rec, 'utf8'));
    expect(doc.run).toMatchObject({ mode: 'run', tags: { model: 'demo' }, endReason: 'count', exit: { reason: 'stopped' } });
    expect(doc.rows).toHaveLength(4);
    expect(doc.samples.length).toBeGreaterThan(20);
    expect(doc.logs.some((l: { line: string }) => /saved 00000-1000\.png/.test(l.line))).toBe(true);
    expect(JSON.stringify(doc)).not.toMatch(/"PATH"|"HOME"/);
  });

  it('--json prints the report JSON; report FILE --json gives the same figures', async () => {
    const out = tempDir();
    const cwd = tempDir();
    const rec = join(cwd, 's.json');
    const r = await genwatt(
      ['run', '--probe', 'simulated', '--idle', '0.5', '--out', out, '--json', '--record', rec, '--', ...gen(out, '--count', '5', '--batch-at', '2')],
      { cwd },
    );
    expect(r.code).toBe(0);
    const live = JSON.parse(r.stdout);
    const rep = JSON.parse((await genwatt(['report', rec, '--json'])).stdout);
    expect(rep.sessions[0].summary).toEqual(live.sessions[0].summary);
    const s = rep.sessions[0];
    expect(s.summary).toMatchObject({ images: 5, warmupImages: 1, method: 'instant' });
    // a loaded machine can stall the sampler for a moment (recorded as a gap): coverage is near 1, not exactly
    expect(s.summary.coverage).toBeGreaterThan(0.9);
    expect(s.summary.coverage).toBeLessThanOrEqual(1);
    expect(Object.keys(s.summary.secondsPerImage)).toEqual(expect.arrayContaining(['mean', 'median', 'p95']));
    expect(Object.keys(s.summary.joulesPerImage)).toEqual(expect.arrayContaining(['mean', 'median', 'netMean']));
    expect(s.images.map((i: { batch: number }) => i.batch)).toEqual([0, 1, 2, 2, 3]);
    expect(s.images[2].joules).toBe(s.images[3].joules);
    for (const k of ['index', 'path', 'tMs', 'seconds', 'joules', 'netJoules', 'batch', 'warmup']) expect(s.images[0]).toHaveProperty(k);
    const text = (await genwatt(['report', rec, '--images'])).stdout;
    expect(text).toMatch(/00004-1004\.png/);
    expect(text).toMatch(/batch 2×2/);
  });

  it('never overwrites a recording', async () => {
    const cwd = tempDir();
    const rec = join(cwd, 'keep.json');
    writeFileSync(rec, 'precious');
    const r = await genwatt(['run', '--probe', 'simulated', '--idle', '0', '--record', rec, '--out', cwd, '--', 'true'], { cwd });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/already exists: genwatt never overwrites/);
    expect(readFileSync(rec, 'utf8')).toBe('precious');
  });

  it('command not found: one clear error, exit 127, no n/a figures, nothing recorded', async () => {
    const cwd = tempDir();
    const r = await genwatt(['run', '--probe', 'simulated', '--idle', '5', '--out', cwd, '--', 'no-such-generator-xyz'], { cwd });
    expect(r.code).toBe(127);
    expect(r.stderr).toMatch(/command not found: no-such-generator-xyz/);
    expect(r.stderr.match(/no-such-generator-xyz/g)).toHaveLength(1);
    expect(r.stderr).not.toMatch(/genwatt: genwatt:/);
    expect(r.stdout).not.toMatch(/n\/a/);
    expect(existsSync(join(cwd, 'genwatt-sessions'))).toBe(false);
  });

  it('run: no --out with a command is a usage error; --out naming a file is one too', async () => {
    const r = await genwatt(['run', '--probe', 'simulated', '--idle', '0', '--no-record', '--', process.execPath, '-e', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--out: the folder your generator writes images into/);
    const file = join(tempDir(), 'f.txt');
    writeFileSync(file, 'x');
    const r2 = await genwatt(['run', '--probe', 'simulated', '--idle', '0', '--no-record', '--out', file, '--', process.execPath, '-e', '0']);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/is a file, not a folder/);
  });

  it('bare genwatt (npm start) honours --no-record, --count and --idle for its demo', async () => {
    const cwd = tempDir();
    const r = await genwatt(['--no-record', '--count', '3', '--idle', '0.3', '--plain'], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('image '))).toHaveLength(3);
    expect(existsSync(join(cwd, 'genwatt-sessions'))).toBe(false);
    const rec = join(cwd, 'mine.json');
    const r2 = await genwatt(['--record', rec, '--count', '2', '--idle', '0', '--plain'], { cwd });
    expect(r2.code).toBe(0);
    expect(JSON.parse(readFileSync(rec, 'utf8')).rows).toHaveLength(2);
    expect(existsSync(join(cwd, 'genwatt-sessions'))).toBe(false);
  });

  it('the live line and report print the same numbers for the same image, numbered the same way', async () => {
    const cwd = tempDir();
    const rec = join(cwd, 's.json');
    const live = await genwatt(['demo', '--count', '5', '--idle', '0.5', '--plain', '--record', rec], { cwd });
    expect(live.code).toBe(0);
    const rep = await genwatt(['report', rec, '--images'], { cwd });
    expect(rep.code).toBe(0);
    const liveRows = live.stdout
      .split('\n')
      .filter((l) => l.startsWith('image '))
      .map((l) => {
        const m = /^image (\d+)\/5\s+(\S+)\s+([\d.]+) s\s+([\d.]+) J\s+net ([\d.]+) J\s+([\d.]+) W/.exec(l)!;
        return m.slice(1, 7);
      });
    const repRows = rep.stdout
      .split('\n')
      .filter((l) => /^\d+\s+\S+\.png/.test(l))
      .map((l) => l.trim().split(/\s+/).slice(0, 6));
    expect(liveRows).toHaveLength(5);
    expect(repRows).toEqual(liveRows);
    // and the summary lines agree too
    const summary = (t: string) => t.split('\n').filter((l) => /^(s\/image|J\/image|power|throughput|measured by) /.test(l));
    expect(summary(rep.stdout)).toEqual(summary(live.stdout));
  });

  it('a failing child: non-zero exit with the failure stated; its images are kept', async () => {
    const out = tempDir();
    const cwd = tempDir();
    const r = await genwatt(['run', '--probe', 'simulated', '--idle', '0', '--out', out, '--plain', '--', ...gen(out, '--count', '9', '--fail-after', '2')], {
      cwd,
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/command failed with exit code 3/);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('image '))).toHaveLength(2);
  });

  it('--timeout stops the child', async () => {
    const out = tempDir();
    const cwd = tempDir();
    const rec = join(cwd, 't.json');
    // 100 images at 0.3 s would take 30 s: the timeout ends it, with its own exit code and end reason.
    const r = await genwatt(
      ['run', '--probe', 'simulated', '--idle', '0', '--record', rec, '--out', out, '--timeout', '1.5', '--', ...gen(out, '--count', '100')],
      { cwd },
    );
    // A time limit is a normal end of a measurement (exit 0), recorded as such.
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/stopped by genwatt/);
    const doc = JSON.parse(readFileSync(rec, 'utf8'));
    expect(doc.complete).toBe(true);
    expect(doc.run.endReason).toBe('timeout');
    expect(doc.run.exit.reason).toBe('stopped');
    expect(doc.rows.length).toBeLessThan(100);
  });

  it('Ctrl-C (SIGINT) stops the child and finalizes the recording', async () => {
    const out = tempDir();
    const cwd = tempDir();
    const rec = join(cwd, 'int.json');
    const child = spawn(
      process.execPath,
      [CLI, 'run', '--probe', 'simulated', '--idle', '0', '--out', out, '--record', rec, '--plain', '--', ...gen(out, '--count', '100')],
      { cwd, env: { ...process.env, PATH: CLEAN_PATH } },
    );
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    await waitFor(() => (stdout.match(/^image /gm) ?? []).length >= 2, 20000);
    child.kill('SIGINT');
    const code = await new Promise((r) => child.on('exit', r));
    expect(code).toBe(130);
    const doc = JSON.parse(readFileSync(rec, 'utf8'));
    expect(doc.complete).toBe(true);
    expect(doc.run.endReason).toBe('interrupted');
    expect(doc.rows.length).toBeGreaterThanOrEqual(2);
  });

  it('kill -9 while recording: the .jsonl it leaves is read by report', async () => {
    const out = tempDir();
    const cwd = tempDir();
    const rec = join(cwd, 'killed.json');
    const child = spawn(
      process.execPath,
      [CLI, 'run', '--probe', 'simulated', '--idle', '0.3', '--out', out, '--record', rec, '--plain', '--', ...gen(out, '--count', '100')],
      { cwd, env: { ...process.env, PATH: CLEAN_PATH } },
    );
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    // Killed once the journal on disk holds three images (it is flushed about once a second).
    const journalFile = rec.replace(/\.json$/, '.jsonl');
    const imagesOnDisk = () => (existsSync(journalFile) ? (readFileSync(journalFile, 'utf8').match(/"type":"batch"/g) ?? []).length : 0);
    await waitFor(() => imagesOnDisk() >= 3, 30000);
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    expect(existsSync(rec)).toBe(false);
    const journal = rec.replace(/\.json$/, '.jsonl');
    expect(existsSync(journal)).toBe(true);
    const r = await genwatt(['report', journal, '--json']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout).sessions[0];
    expect(s.complete).toBe(false);
    expect(s.warnings.join(' ')).toMatch(/no end record/);
    expect(s.summary.images).toBeGreaterThanOrEqual(3);
    // 0.3 s images at ~170 W (simulated): real energy from the journal, not 0 or unknown
    expect(s.summary.joulesPerImage.mean).toBeGreaterThan(20);
    // a torn last line (killed mid-write) is tolerated and said
    writeFileSync(journal, readFileSync(journal, 'utf8') + '{"type":"sample","devi');
    const torn = await genwatt(['report', journal, '--json']);
    expect(torn.code).toBe(0);
    expect(JSON.parse(torn.stdout).sessions[0].warnings.join(' ')).toMatch(/last line is incomplete/);
  });

  it('monitor: --count and --json are refused (exit 2), --timeout stops it, Ctrl-C says it was not recording', async () => {
    expect((await genwatt(['monitor', '--probe', 'simulated', '--count', '3'])).code).toBe(2);
    const j = await genwatt(['monitor', '--probe', 'simulated', '--json']);
    expect(j.code).toBe(2);
    expect(j.stderr).toMatch(/genwatt probe --json/);
    const t = await genwatt(['monitor', '--probe', 'simulated', '--plain', '--no-record', '--timeout', '1']);
    expect(t.code).toBe(0);
    expect(t.stdout).toMatch(/sim-0/);
    const child = spawn(process.execPath, [CLI, 'monitor', '--probe', 'simulated', '--plain', '--no-record'], {
      cwd: tempDir(),
      env: { ...process.env, PATH: CLEAN_PATH },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    await waitFor(() => /sim-0/.test(out), 20000);
    child.kill('SIGINT');
    const code = await new Promise((r) => child.on('close', r));
    expect(code).toBe(0);
    expect(err).toMatch(/SIGINT: stopping \(not recording\)/);
  });

  it('malformed session files: error naming the file and line', async () => {
    const dir = tempDir();
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{\n  "schema": "genwatt-session",\n  "oops": [1,\n}');
    const r = await genwatt(['report', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`${bad}:4: not valid JSON`));
    const badl = join(dir, 'bad.jsonl');
    writeFileSync(badl, '{"type":"header"}\n');
    const r2 = await genwatt(['report', badl]);
    expect(r2.stderr).toMatch(new RegExp(`${badl}:1: header record`));
    const missing = await genwatt(['report', join(dir, 'nope.json')]);
    expect(missing.stderr).toMatch(/nope\.json: no such file/);
  });

  it('watch: measures files written by another process; ends at --count', async () => {
    const out = tempDir();
    const child = spawn(process.execPath, [CLI, 'watch', out, '--probe', 'simulated', '--idle', '0', '--count', '3', '--no-record', '--plain'], {
      cwd: tempDir(),
      env: { ...process.env, PATH: CLEAN_PATH },
    });
    let stdout = '';
    let stderr = '';
    const exited = new Promise((r) => child.on('exit', r));
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    // genwatt says "measuring" once the watcher is up: files written before would be pre-existing.
    await waitFor(() => /measuring/.test(stderr), 20000);
    await run(process.execPath, [GENERATOR, '--out', out, '--count', '3', '--seconds', '0.2', '--load-seconds', '0']);
    expect(await exited).toBe(0);
    expect(stdout.split('\n').filter((l) => l.startsWith('image '))).toHaveLength(3);
    expect(stdout).not.toMatch(/batch of/);
  });

  it('monitor --plain: one line per device per second', async () => {
    const child = spawn(process.execPath, [CLI, 'monitor', '--plain', '--probe', 'simulated'], { env: { ...process.env, PATH: CLEAN_PATH } });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    // Waits for the lines themselves (a loaded machine may start slowly), then checks their pace by
    // the time each line states, not by when its chunk arrived (chunks merge on a busy machine).
    const lines = () => stdout.split('\n').filter((l) => /sim-0/.test(l));
    await waitFor(() => lines().length >= 3, 20000);
    child.kill('SIGINT');
    expect(await new Promise((r) => child.on('exit', r))).toBe(0);
    const secs = lines().map((l) => {
      const [h, m, sec] = l.slice(0, 8).split(':').map(Number);
      return h * 3600 + m * 60 + sec;
    });
    // one line a second, not faster: no two lines of the device in the same second
    for (let i = 1; i < secs.length; i++) expect((secs[i] - secs[i - 1] + 86400) % 86400, lines().join('\n')).toBeGreaterThanOrEqual(1);
    expect(lines()[0]).toMatch(/^\d\d:\d\d:\d\d /);
    expect(lines()[0]).toMatch(/\d+\.\d+ W \(instant\) .*VRAM .*GiB/);
  });

  it('demo: the whole pipeline on the simulated GPU, labelled as such', async () => {
    const cwd = tempDir();
    const r = await genwatt(['demo', '--images', '4', '--idle', '0.5', '--plain'], { cwd });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/SIMULATED GPU/);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('image '))).toHaveLength(4);
    expect(r.stdout).toMatch(/batch of 2/);
  });
});
