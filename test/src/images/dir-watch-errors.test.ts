/**
 * What the folder watcher cannot read is said, once, never skipped in silence. A folder the run
 * cannot read needs a process that permissions apply to: as root they do not, so the watcher runs in
 * a user namespace (unshare -Ur), where a folder owned by an unmapped user is closed to it. On 02294be an
 * unreadable subfolder was neither counted nor noted.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../../helpers/gen.js';

const userns = spawnSync('unshare', ['-Ur', 'true'], { stdio: 'ignore' }).status === 0;

describe('folders the watcher cannot read', () => {
  it.skipIf(!userns)('an unreadable subfolder is noted once with its error', () => {
    const dir = tempDir('gw-unreadable-');
    chmodSync(dir, 0o777);
    mkdirSync(join(dir, 'open'));
    mkdirSync(join(dir, 'locked'), { mode: 0o700 });
    // owned by a user the namespace does not map: its root has no override there
    chownSync(join(dir, 'locked'), 54321, 54321);
    chmodSync(join(dir, 'open'), 0o777);
    const script = `
      const { DirWatch } = await import(${JSON.stringify(join(ROOT, 'dist/src/images/dir-watch.js'))});
      const w = new DirWatch(${JSON.stringify(dir)}, { ignored: () => false });
      const notes = [];
      w.on('note', (m) => notes.push(m));
      await w.start(true);
      await w.sweep();
      w.close();
      console.log(JSON.stringify(notes));`;
    const out = execFileSync('unshare', ['-Ur', process.execPath, '--input-type=module', '-e', script], { encoding: 'utf8' });
    const notes = JSON.parse(out) as string[];
    expect(notes).toEqual([`cannot read the folder ${join(dir, 'locked')} (EACCES): its images are not counted`]);
  });
});
