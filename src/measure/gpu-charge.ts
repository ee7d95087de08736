/**
 * Which GPUs a run is charged to: `--gpu`, else the generator's visibility variables, else the GPUs
 * its processes appear on (decided once they are seen), else all. The session records and applies
 * the decision (`decided`); this holds the rule and the waiting.
 */
import type { MeasureConfig } from './measure-config.js';
import { resolveGpuList, visibleGpus, type GpuChoice } from './gpu-select.js';
import type { SessionCore } from './session-core.js';
import { isGpu } from '../../probes/types.js';

/** Failed looks in a row (one a second) before the charge is decided without them. */
const FAILED_LOOKS = 5;

type ProcessLists = Map<string, { pid: number; usedBytes?: number; generator: boolean }[] | null>;

export interface GpuChoiceNow {
  ids?: string[];
  /** Decided later, from the process lists. */
  pending?: boolean;
  reason?: string;
  note?: string;
}

/** "charging GPU 1 to this run (why)": said when the choice is made. */
export function chargeNote(ids: readonly string[], reason: string): string {
  return `charging ${ids.length === 1 ? 'GPU' : 'GPUs'} ${ids.join(', ')} to this run (${reason})`;
}

export class GpuCharge {
  /** The GPUs charged (undefined: all, or not decided yet). */
  charged: string[] | undefined;
  private pending = false;
  private looksAfterFirstImage = 0;
  private failedLooks = 0;

  constructor(
    private readonly core: Pick<SessionCore, 'devices' | 'gpuIds' | 'canListProcesses' | 'childEnv' | 'on' | 'off'>,
    private readonly config: MeasureConfig,
    private readonly imagesSeen: () => number,
    private readonly decided: (ids: string[], reason: string) => void,
  ) {}

  /** The choice at the run's start. */
  choose(): GpuChoiceNow {
    const c = this.config;
    const gpus = this.core.devices.filter(isGpu);
    const say = (ch: GpuChoice) => chargeNote(ch.ids, ch.reason);
    if (c.gpu !== undefined && c.gpu !== 'auto') {
      const ch = resolveGpuList(c.gpu, this.core.devices);
      this.charged = ch.ids;
      return { ids: ch.ids, reason: ch.reason, note: say(ch) };
    }
    const command = c.mode !== 'monitor' && Array.isArray(c.argv) && !(c.backend && c.backend.kind !== 'command');
    if (command && c.gpu === undefined) {
      const ch = visibleGpus({ ...process.env, ...this.core.childEnv() }, this.core.devices);
      if (ch) {
        this.charged = ch.ids;
        return { ids: ch.ids, reason: ch.reason, note: say(ch) };
      }
    }
    if (gpus.length <= 1) return {};
    if (command && this.core.canListProcesses) {
      this.pending = true;
      return {
        pending: true,
        reason: "the GPUs the generator's processes appear on",
        note: `${gpus.length} GPUs: the run will be charged to the ones the generator's processes appear on (give --gpu to choose)`,
      };
    }
    return {
      reason: 'all GPUs',
      note: `${gpus.length} GPUs, all charged to this run${command ? ' (their interface lists no processes)' : ''}: give --gpu to choose`,
    };
  }

  /** A pending choice: look at each process listing until the generator's GPUs are known. */
  watchProcesses(): void {
    this.core.on('process-look', this.onProcessLook);
  }

  private readonly onProcessLook = (onGenerator: Set<string>, lists: ProcessLists, failed: ReadonlySet<string> = new Set()): void => {
    if (!this.pending) return;
    const gpus = this.core.gpuIds;
    // A look that failed on some GPU says nothing about it: look again (the error was said), and
    // decide from failed looks only after FAILED_LOOKS in a row, saying why.
    if (failed.size) {
      if (++this.failedLooks < FAILED_LOOKS) return;
      const seen = gpus.filter((id) => onGenerator.has(id));
      if (seen.length)
        this.decide(
          seen,
          `the generator's processes, seen where the lists could be read (${[...failed].join(', ')} could not be read ${FAILED_LOOKS} times in a row)`,
        );
      else this.decide(gpus, `all GPUs: the process lists of ${[...failed].join(', ')} could not be read ${FAILED_LOOKS} times in a row`);
      return;
    }
    this.failedLooks = 0;
    if (this.imagesSeen() > 0) this.looksAfterFirstImage++;
    if (onGenerator.size) {
      const ids = gpus.filter((id) => onGenerator.has(id));
      const evidence = ids
        .map(
          (id) =>
            `${(lists.get(id) ?? [])
              .filter((p) => p.generator)
              .map((p) => `pid ${p.pid}`)
              .join(', ')} on ${id}`,
        )
        .join('; ');
      this.decide(ids, `the generator's processes: ${evidence}`);
    } else if ([...lists.values()].every((l) => l === null)) this.decide(gpus, 'all GPUs: their interface lists no processes');
    else if (this.looksAfterFirstImage >= 3)
      this.decide(gpus, "all GPUs: the generator's processes were not seen on any (a server or another process does its GPU work?)");
  };

  private decide(ids: string[], reason: string): void {
    this.pending = false;
    this.core.off('process-look', this.onProcessLook);
    this.charged = ids;
    this.decided(ids, reason);
  }
}
