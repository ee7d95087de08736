/**
 * `genwatt monitor`: devices only, no run. `--timeout S` ends it; `--count` and `--json` belong to
 * runs (images, a report) and are refused here with what to use instead.
 */
import { UsageError, sessionFlags, type RawFlags } from './flags.js';
import { measureCommand } from './measure.js';

export async function monitorCommand(a: RawFlags): Promise<number> {
  const f = sessionFlags(a);
  if (f.count !== null) throw new UsageError('monitor measures no images: --count does not apply (use --timeout SECONDS to stop it)');
  if (f.json)
    throw new UsageError(
      'monitor has no report to print as JSON: use `genwatt probe --json` for one reading, or --record FILE and `genwatt report FILE --json`',
    );
  return measureCommand(f, { mode: 'monitor', argv: null, outDir: null, defaultIdleSeconds: 0, defaultRecord: false });
}
