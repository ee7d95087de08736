/**
 * The exporter against the real thing: Debian's `prometheus` (installed by .ci/run) scrapes a real
 * `genwatt serve` (simulated GPU, the demo generator writing PNGs) every second; the test asks
 * Prometheus's HTTP API what it stored.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, generate, tempDir } from '../../helpers/gen.js';
import { startServe, type ServeProc } from '../../helpers/serve.js';

interface PromResult {
  metric: Record<string, string>;
  value: [number, string];
}

let prom: ChildProcess | undefined;
let serve: ServeProc | undefined;
afterAll(async () => {
  prom?.kill('SIGKILL');
  await serve?.stop('SIGKILL');
});

describe('Prometheus scraping genwatt serve', () => {
  it('stores the device and image series with their labels; the energy and image counters grow as images are written', async () => {
    const which = spawnSync('prometheus', ['--version'], { encoding: 'utf8' });
    if (which.error || which.status !== 0)
      throw new Error(
        `Prometheus is not installed (${which.error?.message ?? which.stderr}): .ci/run installs Debian's "prometheus" package; install it to run this test`,
      );
    const dir = tempDir('gw-prom-');
    const env = { GENWATT_SIM_ACTIVITY: join(dir, 'activity') };
    const out = join(dir, 'out');
    serve = await startServe(['--probe', 'simulated', '--node', 'lab-node', '--watch', out, '--idle', '1', '--run-gap', '2', '--interval', '100'], { env });
    const target = serve.url.replace('http://', '');
    const port = await freePort();
    writeFileSync(
      join(dir, 'prometheus.yml'),
      `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: genwatt\n    static_configs:\n      - targets: ['${target}']\n`,
    );
    prom = spawn(
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let promLog = '';
    prom.stderr!.on('data', (c) => (promLog += c));
    const api = `http://127.0.0.1:${port}/api/v1`;
    const query = async (q: string): Promise<PromResult[]> => {
      const res = await fetch(`${api}/query?query=${encodeURIComponent(q)}`).catch(() => undefined);
      if (!res?.ok) return [];
      const body = (await res.json()) as { data: { result: PromResult[] } };
      return body.data.result;
    };
    let up: PromResult[] = [];
    const until = Date.now() + 30000;
    while (Date.now() < until && !(up[0]?.value[1] === '1')) {
      up = await query('up{job="genwatt"}');
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(up[0]?.value[1], `Prometheus never scraped genwatt: ${promLog.slice(-500)}`).toBe('1');

    const power = await query('genwatt_device_power_watts');
    expect(power).toHaveLength(1);
    expect(power[0].metric).toMatchObject({
      job: 'genwatt',
      node: 'lab-node',
      device: 'sim-0',
      vendor: 'simulated',
      kind: 'instant',
      name: 'Simulated GPU (genwatt demo, not real hardware)',
    });
    for (const name of [
      'genwatt_device_energy_joules_total',
      'genwatt_device_memory_used_bytes',
      'genwatt_device_memory_total_bytes',
      'genwatt_device_utilization_ratio',
      'genwatt_device_temperature_celsius',
      'genwatt_build_info',
    ]) {
      expect((await query(name)).length, name).toBe(1);
    }
    const energy0 = Number((await query('genwatt_device_energy_joules_total'))[0].value[1]);
    const images0 = Number((await query('sum(genwatt_images_total)'))[0]?.value[1] ?? 'NaN');
    expect(images0).toBe(0);

    expect(await generate(out, env, ['--count', '5', '--seconds', '0.3', '--load-seconds', '0.3'])).toBe(0);
    let images = 0;
    const until2 = Date.now() + 20000;
    while (Date.now() < until2 && images < 5) {
      images = Number((await query('sum(genwatt_images_total{node="lab-node"})'))[0]?.value[1] ?? 0);
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(images).toBe(5);
    const energy1 = Number((await query('genwatt_device_energy_joules_total'))[0].value[1]);
    expect(energy1).toBeGreaterThan(energy0);
    const byFolder = await query('genwatt_images_total');
    expect(byFolder.map((r) => r.metric.folder)).toContain(out);
    // The Grafana query from the README: steady J/image per node.
    const jPerImage = await query('sum by (node) (genwatt_image_energy_joules_sum) / sum by (node) (genwatt_image_energy_joules_count)');
    expect(jPerImage[0].metric.node).toBe('lab-node');
    expect(Number(jPerImage[0].value[1])).toBeGreaterThan(20);
  }, 90000);
});
