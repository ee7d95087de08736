/** Tells the simulated GPU what a fake server is doing (the same file protocol as the demo generator). */
import { writeFileSync } from 'node:fs';

export function simPhase(file: string | undefined, phase: 'load' | 'compute' | 'save' | 'idle', loaded: boolean): void {
  if (!file) return;
  try {
    writeFileSync(file, `${phase} ${Date.now()}${loaded ? ' loaded' : ''}\n`);
  } catch {
    // the simulated GPU is optional
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
