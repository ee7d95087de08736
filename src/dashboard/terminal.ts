/** Which output a command gets (pure): the dashboard, or plain lines; colors; ASCII or Unicode. */

/** The same test Ink applies (is-in-ci): CI set and not "0"/"false", or CONTINUOUS_INTEGRATION, or CI_*. */
export function inCi(env: NodeJS.ProcessEnv): boolean {
  if (env.CI === '0' || env.CI === 'false') return false;
  return 'CI' in env || 'CONTINUOUS_INTEGRATION' in env || Object.keys(env).some((k) => k.startsWith('CI_'));
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

/** The locale's character set is UTF-8 (LC_ALL, then LC_CTYPE, then LANG; unset means C). */
export function utf8Locale(env: NodeJS.ProcessEnv): boolean {
  const loc = env.LC_ALL || env.LC_CTYPE || env.LANG || '';
  return /utf-?8/i.test(loc);
}

export function useAscii(env: NodeJS.ProcessEnv, flag: boolean | undefined): boolean {
  if (flag !== undefined) return flag;
  return !utf8Locale(env);
}
