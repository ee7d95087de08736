/**
 * Builds dist/ once before any test file runs, so the tests that start the built CLI, the entropy
 * worker or a bench script never run a stale build, whether started by `npm test` or by `npx vitest`.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

export default function setup(): void {
  const root = join(import.meta.dirname, '..');
  execFileSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
}
