/**
 * Issue 24 item 17: the demo is one configuration however it was started (bare `genwatt` on the
 * simulated GPU, `genwatt demo`), and simulated numbers keep their mark when they leave the
 * dashboard: the summary left in the terminal, the printed summary, the report's tables and chart.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnCli, tempDir } from '../helpers/gen.js';
import { exitCode, start, tmux, until } from '../helpers/tmux.js';

describe('one demo label, simulated everywhere', () => {
  it('bare genwatt (dashboard) and genwatt demo --plain group as one configuration, marked simulated in every output', async () => {
    const dir = tempDir('gw-demo-label-');
    const plainRec = join(dir, 'plain.json');
    const plain = await spawnCli(['demo', '--plain', '--count', '3', '--idle', '0.3', '--record', plainRec]);
    expect(plain.code, plain.err).toBe(0);
    expect(plain.out).toMatch(/^SIMULATED GPU: the demo model, not hardware\nimages +3 /m);
    const s = start('bare', 100, 30, ['--probe', 'simulated', '--count', '3', '--idle', '0.3']);
    try {
      await until(s, /demo finished: 3 images/, 60_000);
      tmux('send-keys', '-t', s.session, 'q');
      expect(await exitCode(s)).toBe(0);
      expect(s.screen()).toMatch(/^SIMULATED GPU: the demo model, not hardware$/m); // the summary left in the terminal
    } finally {
      tmux('kill-session', '-t', s.session);
    }
    const files = [plainRec, s.record];
    const json = JSON.parse((await spawnCli(['report', ...files, '--json'])).out) as {
      groups: { label: string; runs: number }[];
      comparison: { simulated: boolean }[];
    };
    expect(json.groups).toHaveLength(1);
    expect(json.groups[0].runs).toBe(2);
    expect(json.comparison.map((c) => c.simulated)).toEqual([true, true]);
    // grouped by model only, the label no longer names the device: the mark is added
    const byModel = (await spawnCli(['report', ...files, '--group-by', 'model', '--width', '200'])).out;
    expect(byModel).toMatch(/^demo generator \(no model\) \(simulated\) +2 +6 /m);
    expect(byModel).toMatch(/^plain \(sim\) /m);
    const html = (await spawnCli(['report', ...files, '--group-by', 'model', '--format', 'html'])).out;
    expect(html).toMatch(/<svg class="chart pareto"[\s\S]*demo generator \(no model\) \(simulated\)/);
  }, 120_000);
});
