import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const MODULE = pathToFileURL(join(process.cwd(), 'dist/src/text/internal-errors.js')).href;

/** A process with the handler installed: one promise rejects unheard, then the work goes on and ends. */
const SCRIPT = `
const { installInternalErrorHandler } = await import(${JSON.stringify(MODULE)});
installInternalErrorHandler();
Promise.reject(new Error('boom \\x1b]52;c;x\\x07 in a listener'));
for (let i = 0; i < 8; i++) Promise.reject(new Error('again ' + i));
setTimeout(() => process.stdout.write('work finished\\n'), 200);
`;

describe('internal errors', () => {
  it('a rejection nobody handles is printed, bounded, and the process goes on to finish its work, then exits 70', async () => {
    const p = spawn(process.execPath, ['--input-type=module', '-e', SCRIPT], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((r) => p.once('exit', r));
    expect(out, err).toBe('work finished\n');
    expect(code, err).toBe(70);
    const lines = err.trim().split('\n');
    expect(lines[0]).toMatch(/^genwatt: internal error \(a bug.*boom/);
    // at most 5 printed for 9 rejections
    expect(lines).toHaveLength(5);
  });
});
