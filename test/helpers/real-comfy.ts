/**
 * The real ComfyUI (shared/servers/comfyui: 0.3.64, unmodified, CPU, no weights), started per test
 * file on a free loopback port with its own output folder, stopped by PID. Laid out by
 * `.ci/test-tools.sh` (setup.sh); where it is not, the tests say so and are skipped.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, ROOT, tempDir } from './gen.js';

/** shared/servers/comfyui: next to the checkout (../shared), or where GENWATT_SHARED says. */
export const COMFY_DIR = [process.env.GENWATT_SHARED, join(ROOT, '../shared'), '/work/shared']
  .filter((d): d is string => Boolean(d))
  .map((d) => join(d, 'servers/comfyui'))
  .find((d) => existsSync(join(d, 'start.sh')));
const COMFY_ROOT = process.env.COMFY_ROOT ?? '/tmp/real-comfyui';
export const REAL_COMFY = COMFY_DIR !== undefined && existsSync(join(COMFY_ROOT, 'ComfyUI/main.py'));
export const WHY_NOT = COMFY_DIR
  ? `the real ComfyUI is not laid out in ${COMFY_ROOT} (run ${COMFY_DIR}/setup.sh)`
  : 'shared/servers/comfyui is not next to this checkout';

export interface RealComfy {
  url: string;
  out: string;
  pid: number;
  stop(): void;
}

export async function startRealComfy(): Promise<RealComfy> {
  const port = await freePort();
  const out = join(tempDir('gw-real-comfy-'), 'output');
  const said = execFileSync('sh', [join(COMFY_DIR!, 'start.sh'), String(port), out], { encoding: 'utf8', timeout: 120_000 });
  const pid = Number(/pid (\d+)/.exec(said)?.[1]);
  if (!pid) throw new Error(`start.sh did not say its PID: ${said}`);
  return {
    url: `http://127.0.0.1:${port}`,
    out,
    pid,
    stop: () => {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    },
  };
}

/** A workflow of the shared set, or one written here (API format). */
export const workflow = (name: string): string => join(COMFY_DIR!, 'workflows', name);
