/**
 * yargs renders a command's whole help text as the command starts, to print it should the command
 * fail (~70 ms of CPU at every start: a quarter of `genwatt run`'s start-up, a tenth of a `report`).
 * genwatt's `.fail` never prints it, and `--help` renders it afresh. yargs has no option for this;
 * its usage object (one for all commands) is reached through yargs 18's internal methods, and left
 * alone if those change (test/src/commands/yargs-help-cache.test.ts says so).
 */
interface Internal {
  getInternalMethods?: () => { getUsageInstance?: () => { cacheHelpMessage?: unknown } };
}

/** Stops `parser` from rendering each command's help text in advance. True when it could. */
export function skipHelpCache(parser: object): boolean {
  const usage = (parser as Internal).getInternalMethods?.().getUsageInstance?.();
  if (!usage || typeof usage.cacheHelpMessage !== 'function') return false;
  usage.cacheHelpMessage = () => undefined;
  return true;
}
