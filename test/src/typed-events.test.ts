/**
 * Every emitter's events are typed end to end: a listener of the wrong shape, or an event name that
 * does not exist, is a type error. `npm test` type-checks this file (tsconfig.check.json): each
 * `@ts-expect-error` below fails the type check if the error it expects goes away, i.e. if an emitter
 * falls back to untyped `any` events. The runtime part checks that the payload arrives as typed.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirWatch } from '../../src/images/dir-watch.js';
import type { OutputWatcher } from '../../src/images/watcher.js';
import type { MeasureSession } from '../../src/measure/measure-session.js';
import type { SessionCore } from '../../src/measure/session-core.js';
import type { FolderTracker } from '../../src/serve/folder-tracker.js';
import type { ServeNode } from '../../src/serve/serve-node.js';
import type { DashboardSource } from '../../src/dashboard/source.js';
import type { DashboardController } from '../../src/dashboard/controller.js';

/** Never called: only type-checked. */
export function wrongListeners(
  w: OutputWatcher,
  s: MeasureSession,
  c: SessionCore,
  t: FolderTracker,
  n: ServeNode,
  src: DashboardSource,
  ctl: DashboardController,
): void {
  // @ts-expect-error an image event carries an ImageEvent, not a number
  w.on('image', (x: number) => x);
  // @ts-expect-error no such event
  w.on('imgae', () => undefined);
  // @ts-expect-error rows are ImageRow[], not a string
  s.on('rows', (x: string) => x);
  // @ts-expect-error the state is a SessionState
  s.on('state', (x: number) => x);
  // @ts-expect-error a record listener's second argument is the urgent flag (boolean)
  c.on('record', (_r, urgent: string) => urgent);
  // @ts-expect-error a segment's end carries {endMs, reason}
  t.on('segment-end', (e: string) => e);
  // @ts-expect-error serve's log is a message string
  n.on('log', (m: number) => m);
  // @ts-expect-error `change` has no payload
  src.on('change', (x: string) => x);
  // @ts-expect-error the controller has no `status` event
  ctl.on('status', () => undefined);
  // @ts-expect-error an end reason is one of the known reasons
  s.stop('because');
}

describe('typed events', () => {
  it('a DirWatch file event hands its listener the absolute path as typed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-typed-'));
    try {
      const w = new DirWatch(dir, { ignored: () => false });
      const seen: string[] = [];
      w.on('note', (m) => seen.push(`note ${m}`));
      await w.start(false);
      const { writeFileSync } = await import('node:fs');
      const got = new Promise<string>((r) => w.once('file', r));
      writeFileSync(join(dir, 'a.png'), 'x');
      const path = await got;
      expect(path).toBe(join(dir, 'a.png'));
      expect(seen).toEqual([]);
      w.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
