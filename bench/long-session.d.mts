// Types for long-session.mjs, so the TypeScript tests that import it are type-checked.
export interface LongSessionOptions {
  seconds?: number;
  intervalMs?: number;
  cycleMs?: number;
  gpus?: number;
}
/** Writes a simulated session journal (.jsonl) to `file`; resolves with the number of images in it. */
export function writeLongSession(file: string, options?: LongSessionOptions): Promise<{ images: number }>;
