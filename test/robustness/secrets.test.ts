/**
 * Guarantee: secrets stay out of recordings. On ffcd592 `run -- gen --api-key sk-… token=… --hf-token=…`
 * stored every argument verbatim in `run.argv` (and the HTML report showed it), a generator printing
 * HF_TOKEN had it stored in `logs`, and a Forge URL with `user:password@` put the password on stderr
 * and into notes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeRedactor } from '../../src/session/redact.js';
import { GENERATOR, spawnCli, tempDir } from '../helpers/gen.js';

const SK = 'sk-proj-A1b2C3d4E5f6G7h8I9j0KlMn';
const HF = 'hf_QwErTyUiOpAsDfGhJkLzXcVbNm12';
const ENV_SECRET = 'env-secret-value-42';

describe('secrets', () => {
  it('flag values, NAME=value words, token shapes, URL passwords and the environment’s secret values never reach the recording or the report', async () => {
    const dir = tempDir('gw-secret-');
    const out = join(dir, 'out');
    const rec = join(dir, 'r.json');
    const script = `console.log('HF_TOKEN is ' + process.env.HF_TOKEN); console.log('api_key=${SK} url https://bob:hunter2pass@example.com/x');
require('child_process').spawnSync(process.execPath, [${JSON.stringify(GENERATOR)}, '--out', ${JSON.stringify(out)}, '--count', '2', '--seconds', '0.2', '--load-seconds', '0.1'], { stdio: 'inherit' });`;
    const r = await spawnCli(
      [
        'run',
        '--probe',
        'simulated',
        '--idle',
        '0',
        '--plain',
        '--record',
        rec,
        '--out',
        out,
        '--tag',
        `api-key=${SK}`,
        '--tag',
        'model=m',
        '--',
        process.execPath,
        '-e',
        script,
        '--',
        '--api-key',
        SK,
        `token=${HF}`,
        `--hf-token=${HF}`,
        '--ngrok',
        'ngrok-token-123456',
        '--model',
        'sdxl',
      ],
      { HF_TOKEN: ENV_SECRET },
    );
    expect(r.code, r.err).toBe(0);
    const text = readFileSync(rec, 'utf8');
    for (const s of [SK, HF, ENV_SECRET, 'hunter2pass', 'ngrok-token-123456']) expect(text).not.toContain(s);
    const doc = JSON.parse(text);
    expect(doc.run.argv.slice(-9)).toEqual(['--', '--api-key', '***', 'token=***', '--hf-token=***', '--ngrok', '***', '--model', 'sdxl']);
    expect(doc.run.tags['api-key']).toBe('***');
    expect(doc.logs.map((l: { line: string }) => l.line).join('\n')).toContain('HF_TOKEN is ***');
    const html = await spawnCli(['report', rec, '--format', 'html']);
    for (const s of [SK, HF, ENV_SECRET]) expect(html.out).not.toContain(s);
  }, 60000);

  it('a server URL with credentials is refused before anything runs, without repeating the password', async () => {
    const r = await spawnCli(['run', '--backend', 'forge', '--url', 'http://alice:s3cr3t-pass@127.0.0.1:7860', '--prompt', 'x', '--out', tempDir()]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--url must not carry credentials .*--api-auth-file FILE or the GENWATT_API_AUTH/);
    expect(r.out + r.err).not.toContain('s3cr3t-pass');
  });

  it('the redactor, rule by rule', () => {
    const red = makeRedactor({ MY_API_KEY: 'abcdef123456', PATH: '/usr/bin', SHORT_KEY: '123' });
    expect(
      red.argv(['gen.py', '--api-key', 'x1', '--token=y2', '--client-secret', 'z3', '--password', 'p', '-p', 'a cat', 'HF_TOKEN=hf', '--steps', '20']),
    ).toEqual(['gen.py', '--api-key', '***', '--token=***', '--client-secret', '***', '--password', '***', '-p', 'a cat', 'HF_TOKEN=***', '--steps', '20']);
    expect(red.text('using abcdef123456 now')).toBe('using *** now');
    expect(red.text('PATH is /usr/bin; 123')).toBe('PATH is /usr/bin; 123');
    expect(red.text('GET https://u:pw@host/x')).toBe('GET https://u:***@host/x');
    expect(red.text(`key ${SK} and ${HF}`)).toBe('key *** and ***');
    expect(red.tags({ 'hf-token': 'x', model: 'sdxl', 'server-images': '3' })).toEqual({ 'hf-token': '***', model: 'sdxl', 'server-images': '3' });
  });

  it('a value redacted once is redacted everywhere: `--api-key VALUE` printed back by the generator (a start-up log of its own arguments)', async () => {
    const dir = tempDir('gw-secret-echo-');
    const out = join(dir, 'out');
    const rec = join(dir, 'r.json');
    const plain = 'correct-horse-battery'; // no token shape: only the flag says it is a secret
    const script = `console.log('started with ' + process.argv.slice(1).join(' ')); console.error('args: ' + JSON.stringify(process.argv.slice(1)));
require('child_process').spawnSync(process.execPath, [${JSON.stringify(GENERATOR)}, '--out', ${JSON.stringify(out)}, '--count', '1', '--seconds', '0.1', '--load-seconds', '0'], { stdio: 'inherit' });`;
    const r = await spawnCli([
      'run',
      '--probe',
      'simulated',
      '--idle',
      '0',
      '--plain',
      '--show-output',
      '--record',
      rec,
      '--out',
      out,
      '--',
      process.execPath,
      '-e',
      script,
      '--',
      '--api-key',
      plain,
    ]);
    expect(r.code, r.err).toBe(0);
    const text = readFileSync(rec, 'utf8');
    expect(text).toMatch(/started with .*--api-key \*\*\*/); // the line is kept, the value is not
    expect(text).not.toContain(plain);
    expect(r.out + r.err).not.toContain(plain);
  }, 60_000);
});
