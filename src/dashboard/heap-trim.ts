/**
 * A full garbage collection whenever the heap grew by ~50 MB while the dashboard is open. Each frame's objects live
 * until the next frame, so V8 promotes them and collects the old generation only when it is large:
 * a replay's RSS climbed from ~145 MiB to ~235 MiB of garbage before the first full GC (heap
 * snapshots showed nothing retained). On a 4 GB Jetson that memory is shared with the GPU, so
 * genwatt collects itself: ~10-30 ms of CPU each time, every 10-30 s during a fast replay.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | null | undefined;

/** V8's gc(), exposed at runtime (the usual --expose-gc, without a command-line flag); null if refused. */
export function exposedGc(): (() => void) | null {
  if (gc !== undefined) return gc;
  try {
    setFlagsFromString('--expose-gc');
    const f: unknown = runInNewContext('gc');
    gc = typeof f === 'function' ? (f as () => void) : null;
  } catch {
    gc = null;
  }
  return gc;
}

/**
 * Looks every `periodMs` and collects when the heap grew by more than `growthBytes` since the last
 * collection, until the returned stop function is called.
 */
export function startHeapTrim(periodMs = 5000, growthBytes = 48 * 1024 * 1024): () => void {
  const f = exposedGc();
  if (!f) return () => undefined;
  let base = process.memoryUsage().heapUsed;
  const t = setInterval(() => {
    if (process.memoryUsage().heapUsed - base < growthBytes) return;
    f();
    base = process.memoryUsage().heapUsed;
  }, periodMs);
  t.unref();
  return () => clearInterval(t);
}
