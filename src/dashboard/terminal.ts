/** Which output a command gets (pure): the dashboard, or plain lines; colors; ASCII or Unicode. */

/**
 * CI set and not "0"/"false", or CONTINUOUS_INTEGRATION, or any CI_* variable: a superset of
 * Ink's own test (is-in-ci 2: CI or CONTINUOUS_INTEGRATION), under which Ink holds every frame
 * until unmount, so the dashboard is never mounted where Ink would think it runs in CI.
 */
export function inCi(env: NodeJS.ProcessEnv): boolean {
  const set = (k: string) => k in env && env[k] !== '0' && env[k] !== 'false';
  return set('CI') || set('CONTINUOUS_INTEGRATION') || Object.keys(env).some((k) => k.startsWith('CI_') && set(k));
}

export interface TerminalFacts {
  stdinTTY: boolean;
  stdoutTTY: boolean;
  env: NodeJS.ProcessEnv;
  /** --plain */
  plain?: boolean;
}

/** Why the dashboard is not used, or null when it is. */
export function plainReason(t: TerminalFacts): string | null {
  if (t.plain) return '--plain';
  if (!t.stdoutTTY) return 'stdout is not a terminal';
  if (!t.stdinTTY) return 'stdin is not a terminal';
  if (inCi(t.env)) return 'CI is set';
  if (!t.env.TERM || t.env.TERM === 'dumb') return `TERM=${t.env.TERM ?? ''}`;
  return null;
}

/** NO_COLOR (any non-empty value) or --no-color turn colors off. */
export function useColor(env: NodeJS.ProcessEnv, flag: boolean | undefined): boolean {
  if (flag === false) return false;
  return !(env.NO_COLOR !== undefined && env.NO_COLOR !== '');
}

import { utf8Locale } from '../text/ascii-symbols.js';
export { utf8Locale } from '../text/ascii-symbols.js';

export function useAscii(env: NodeJS.ProcessEnv, flag: boolean | undefined): boolean {
  if (flag !== undefined) return flag;
  return !utf8Locale(env);
}
