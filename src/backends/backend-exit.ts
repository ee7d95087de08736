/** How a server-driven run ended, in the same shape a command's exit has. */
import type { ChildExit } from '../session/types.js';
import { BackendError } from './http.js';

export const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

export const stoppedExit = (interruptPath: string): ChildExit => ({
  code: null,
  signal: null,
  reason: 'stopped',
  message: `interrupted through ${interruptPath}`,
});

export const doneExit = (message: string): ChildExit => ({ code: 0, signal: null, reason: 'exited', message });

/** A failure: a BackendError already says what and where; anything else is prefixed with the server kind. */
export const failedExit = (what: string, err: unknown): ChildExit => ({
  code: null,
  signal: null,
  reason: 'failed',
  message: err instanceof BackendError ? err.message : `${what}: ${(err as Error).message}`,
});
