/**
 * libfaketime (Debian's `faketime`, installed by .ci/test-tools.sh) steps the WALL clock of a real
 * genwatt process while it runs; the monotonic clock stays real (FAKETIME_DONT_FAKE_MONOTONIC). The
 * offset is read from a file at every clock call, so a test steps the clock by writing it.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The preload library, wherever the distribution put it (its folder is per architecture). */
export function libfaketime(): string {
  for (const base of ['/usr/lib', '/usr/lib64', '/usr/local/lib']) {
    if (!existsSync(base)) continue;
    const dirs = [base, ...readdirSync(base).map((d) => join(base, d))];
    for (const d of dirs) {
      const f = join(d, 'faketime', 'libfaketimeMT.so.1');
      if (existsSync(f)) return f;
    }
  }
  throw new Error("libfaketime not found: install Debian's faketime package (.ci/test-tools.sh does, as root)");
}

/** Environment that runs a process under libfaketime with the offset in `offsetFile` ("+0", "-30s", "+1h"). */
export function fakeClockEnv(offsetFile: string): NodeJS.ProcessEnv {
  writeFileSync(offsetFile, '+0\n');
  return { LD_PRELOAD: libfaketime(), FAKETIME_TIMESTAMP_FILE: offsetFile, FAKETIME_NO_CACHE: '1', FAKETIME_DONT_FAKE_MONOTONIC: '1' };
}

/** Steps the faked wall clock (relative to the real one). */
export function stepClock(offsetFile: string, offset: string): void {
  writeFileSync(offsetFile, `${offset}\n`);
}
