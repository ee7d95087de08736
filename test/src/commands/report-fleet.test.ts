/**
 * A fleet in one report: two real `genwatt serve` processes on loopback ports, each with recorded
 * sessions, reported together by URL (the node is a column and a grouping key); with one stopped,
 * the other is still reported and the failure named; with none reachable, exit 1.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generate, spawnCli, tempDir, waitFor } from '../../helpers/gen.js';
import { startServe, type ServeProc } from '../../helpers/serve.js';

let nodes: ServeProc[] = [];
afterEach(async () => {
  for (const n of nodes) await n.stop('SIGKILL');
  nodes = [];
});

describe('report from serve nodes', () => {
  it('two nodes: one report with a node column; one stopped: the other is reported and the failure named', async () => {
    const dir = tempDir('gw-fleet-');
    const env = (name: string) => ({ GENWATT_SIM_ACTIVITY: join(dir, `${name}.activity`) });
    for (const name of ['edge-a', 'edge-b']) {
      const args = ['--probe', 'simulated', '--node', name, '--watch', join(dir, name, 'out'), '--record-dir', join(dir, name, 'rec')];
      // A run gap wide enough that a generator starved of CPU for a moment does not split its 4 images in two runs.
      nodes.push(await startServe([...args, '--idle', '0.3', '--run-gap', '3', '--interval', '50'], { env: env(name) }));
    }
    // Both nodes generate at once, as a fleet does.
    const made = await Promise.all(
      ['edge-a', 'edge-b'].map((name) =>
        generate(join(dir, name, 'out'), env(name), ['--count', '4', '--seconds', name === 'edge-a' ? '0.2' : '0.4', '--load-seconds', '0.2']),
      ),
    );
    expect(made).toEqual([0, 0]);
    for (const [i, n] of nodes.entries()) {
      // a loaded machine: the run gap, the idle baseline and the recording can take a while
      await waitFor(() => /recorded .*\(4 images\)/.test(n.log()), 30000).catch((e: unknown) => {
        throw new Error(`node ${i}: no recording of its 4 images within 30 s; its log:\n${n.log()}`, { cause: e });
      });
    }
    const [a, b] = nodes;
    const save = join(dir, 'saved');
    const r = await spawnCli(['report', a.url, b.url, '--json', '--save', save]);
    expect(r.code, r.err).toBe(0);
    const rep = JSON.parse(r.out);
    expect(rep.sessions).toHaveLength(2);
    expect(rep.groups.map((g: { key: { node: string } }) => g.key.node)).toEqual(['edge-a', 'edge-b']);
    expect(rep.comparison.map((c: { node: string }) => c.node)).toEqual(['edge-a', 'edge-b']);
    expect(readdirSync(save)).toHaveLength(2);
    // --save: fetched once, then read from the folder (the node need not answer for them again)
    const text = await spawnCli(['report', a.url, b.url, '--save', save]);
    expect(text.out).toMatch(/edge-a/);
    // --since in the future: nothing new
    const none = await spawnCli(['report', a.url, '--since', '2999-01-01', '--json']);
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/no session could be read from the nodes given/);
    await b.stop('SIGTERM');
    const one = await spawnCli(['report', a.url, b.url, '--json']);
    expect(one.code).toBe(0);
    expect(one.err).toMatch(
      new RegExp(`warning: ${b.url.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: cannot read its sessions \\(connection refused\\): not reported`),
    );
    expect(JSON.parse(one.out).sessions).toHaveLength(1);
    await a.stop('SIGTERM');
    const zero = await spawnCli(['report', a.url, b.url]);
    expect(zero.code).toBe(1);
  }, 90000);
});
