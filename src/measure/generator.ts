/**
 * Starting what makes the images: a command line (the run controller: its own process group, its
 * output captured line by line) or a server backend (Forge/A1111, ComfyUI) driven over HTTP. Both
 * look alike to the session: a `done` promise with how it ended, and `stop()`.
 */
import type { BackendConfig, BackendHooks, RunningBackend } from '../backends/backend-types.js';
import { startChild, type RunningChild } from '../backends/run-controller.js';
import type { ChildExit, LogLine } from '../session/types.js';
import { timelineNow } from '../../probes/timeline.js';

export type Generator = RunningChild | RunningBackend;

export interface GeneratorSpec {
  argv: string[] | null;
  backend?: BackendConfig;
  cwd: string;
  /** Added to the child's environment (the simulated GPU's activity file). */
  env: Record<string, string>;
  killAfterMs?: number;
}

export interface GeneratorHooks extends BackendHooks {
  log(l: LogLine): void;
}

/** Starts the generator, or returns null when the session only watches (no command, no server). */
export async function startGenerator(spec: GeneratorSpec, hooks: GeneratorHooks): Promise<Generator | null> {
  const b = spec.backend;
  if (b && b.kind !== 'command') {
    if (b.kind === 'forge') return (await import('../backends/forge-backend.js')).startForge(b, hooks);
    return (await import('../backends/comfyui-backend.js')).startComfyui(b, hooks);
  }
  if (!spec.argv) return null;
  return startChild(spec.argv, {
    cwd: spec.cwd,
    env: spec.env,
    killAfterMs: spec.killAfterMs,
    onLine: (stream, line) => hooks.log({ tMs: timelineNow(), stream, line }),
  });
}

/**
 * Stops the generator and waits for its end. A command that has not ended 1 s after SIGTERM is said,
 * with when SIGKILL comes and that a second Ctrl-C kills it now.
 */
export async function stopAndWait(g: Generator, killAfterMs: number, note: (m: string) => void): Promise<ChildExit> {
  g.stop();
  let ended = false;
  const slow = isBackend(g)
    ? undefined
    : setTimeout(() => {
        if (!ended) note(`the command has not ended 1 s after SIGTERM: SIGKILL ${Math.round(killAfterMs / 1000)} s after the stop (Ctrl-C again: now)`);
      }, 1000);
  const exit = await g.done;
  ended = true;
  clearTimeout(slow);
  return exit;
}

/** True for a server backend (it can say how many images it made). */
export function isBackend(g: Generator): g is RunningBackend {
  return 'serverImages' in g;
}
