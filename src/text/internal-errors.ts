/**
 * A promise that rejects with nobody listening is a genwatt bug. Node's default would end the
 * process on the spot: a run's recording left unfinished and the generator orphaned. Instead the
 * error is printed (through the output guard, bounded) and the command goes on, so the run finishes
 * and its recording is kept; the process then exits 70 (EX_SOFTWARE) unless it chose its own code.
 */
const MAX_PRINTED = 5;
const MAX_CHARS = 400;

export const INTERNAL_ERROR_EXIT_CODE = 70;

export function installInternalErrorHandler(write: (line: string) => void = (l) => process.stderr.write(l)): void {
  let printed = 0;
  process.on('unhandledRejection', (reason: unknown) => {
    if (process.exitCode === undefined || process.exitCode === 0) process.exitCode = INTERNAL_ERROR_EXIT_CODE;
    if (printed >= MAX_PRINTED) return;
    printed++;
    const text = reason instanceof Error ? (reason.stack ?? reason.message) : String(reason);
    const first = text.split('\n').slice(0, 3).join(' | ').slice(0, MAX_CHARS);
    write(`genwatt: internal error (a bug, please report it; the run goes on and its recording is kept): ${first}\n`);
  });
}
