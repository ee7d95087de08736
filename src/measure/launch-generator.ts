/**
 * The run's generator as a session starts it: a command or a server backend, its tags, log and
 * progress routed into the session's records, and its process tree handed to the memory readers.
 */
import type { BackendProgress } from '../backends/backend-types.js';
import type { LogLine } from '../session/types.js';
import type { GeneratorLog } from './generator-log.js';
import { startGenerator, type Generator } from './generator.js';
import type { MeasureConfig } from './measure-config.js';
import { serverTags } from './server-facts.js';
import type { SessionCore } from './session-core.js';
import type { ImageIntake } from './image-intake.js';

/** What the generator's hooks reach in the session. */
export interface LaunchContext {
  readonly config: MeasureConfig;
  readonly core: SessionCore;
  /** The run's tags: the server's are merged in (the caller's config is never changed). */
  readonly tags: Record<string, string>;
  readonly generatorLog: GeneratorLog;
  readonly intake: ImageIntake;
  note(source: string, message: string): void;
  tagsAdded(tags: Record<string, string>): void;
  progress(p: BackendProgress): void;
  logged(line: LogLine): void;
}

/** Starts the generator (null: nothing to start) and points the memory readers at its processes. */
export async function launchGenerator(x: LaunchContext): Promise<Generator | null> {
  const c = x.config;
  const core = x.core;
  const g = await startGenerator(
    { argv: c.argv, backend: c.backend, cwd: c.cwd, env: core.childEnv(), killAfterMs: c.killAfterMs },
    {
      tags: (given) => {
        const t = serverTags(given, c.tags, (m) => x.note('genwatt', m));
        Object.assign(x.tags, t);
        core.record({ type: 'tags', tags: t }, true);
        x.tagsAdded(t);
      },
      note: (m) => x.note(c.backend?.kind ?? 'generator', m),
      request: (r) => x.intake.request(r),
      progress: (p) => x.progress(p),
      log: (raw) => {
        const l = { ...raw, line: core.redactor.text(raw.line) };
        x.generatorLog.add(l);
        core.record({ type: 'log', ...l });
        x.logged(l);
      },
    },
  );
  // The generator's own GPU memory (and the GPUs it uses), from the process lists; its host memory.
  if (g?.pid !== undefined) {
    core.generatorGroup = g.pid;
    core.readHostMemory();
    // Fast looks until the first images tell how long one takes (paceFor, as rows come).
    core.processWatch?.paceFor(0);
    core.processWatch?.acquire();
  }
  return g;
}
