import yargs from 'yargs';
import { describe, expect, it } from 'vitest';
import { skipHelpCache } from '../../../src/commands/yargs-help-cache.js';

type Usage = { hasCachedHelpMessage: () => boolean; help: () => string };
const usageOf = (y: object) => (y as { getInternalMethods: () => { getUsageInstance: () => Usage } }).getInternalMethods().getUsageInstance();

function parser() {
  let ran = false;
  const y = yargs([])
    .scriptName('genwatt')
    .command(
      'report',
      'summarize sessions',
      (c) => c.option('format', { type: 'string', describe: 'table, csv, md, html or json' }),
      async () => {
        ran = true;
      },
    )
    .strict()
    .help();
  return { y, ran: () => ran };
}

describe("skipping yargs' help text at a command's start", () => {
  it('yargs as pinned renders the help when a command starts; with the skip it does not, and the command still runs', async () => {
    const plain = parser();
    await plain.y.parseAsync(['report']);
    expect(usageOf(plain.y).hasCachedHelpMessage()).toBe(true);

    const skipped = parser();
    expect(skipHelpCache(skipped.y)).toBe(true);
    await skipped.y.parseAsync(['report', '--format', 'csv']);
    expect(skipped.ran()).toBe(true);
    expect(usageOf(skipped.y).hasCachedHelpMessage()).toBe(false);
    // the help text is still there, made when asked
    expect(usageOf(skipped.y).help()).toMatch(/genwatt report +summarize sessions/);
  });

  it('a parser without the internal methods is left alone', () => {
    expect(skipHelpCache({})).toBe(false);
  });
});
