/** `genwatt plan PLAN.json`: presets × repeats, one session file each, a combined report; resumable. */
import type { ProbeName } from '../../probes/types.js';
import { quitOnSignals } from './dashboard.js';
import { UsageError } from './flags.js';

export async function planCommand(file: string, probes: ProbeName[] | undefined, intervalMs: number): Promise<number> {
  const [{ loadPlan, planLabel }, { runPlan }] = await Promise.all([import('../plan/plan-file.js'), import('../plan/plan-runner.js')]);
  let plan;
  try {
    plan = await loadPlan(file);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const ctl = new AbortController();
  const say = (l: string) => process.stdout.write(`${l}\n`);
  quitOnSignals(() => {
    if (!ctl.signal.aborted) say('stopping: the current session is finished and recorded; run the plan again to resume');
    ctl.abort();
  });
  say(`plan ${planLabel(plan)}: ${plan.sessions.length} session${plan.sessions.length === 1 ? '' : 's'} into ${plan.recordDir}`);
  const r = await runPlan(plan, { probes, intervalMs, log: say, signal: ctl.signal });
  say(`recorded ${r.recorded.length}, skipped ${r.skipped.length} (already recorded), failed ${r.failed.length}`);
  for (const f of r.reportFiles) say(`report: ${f}`);
  return r.exitCode;
}
