import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configCandidates, loadPresets, presetArgv } from '../../../src/backends/presets.js';
import { fieldName } from '../../../src/backends/jsonc-config.js';
import { ROOT } from '../../helpers/gen.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'gw-presets-'));

describe('presets config', () => {
  it('the example config shipped in the repo loads, with the demo preset', async () => {
    const load = await loadPresets(ROOT, { HOME: '/nonexistent' });
    expect(load.error).toBeNull();
    expect(load.file).toBe(join(ROOT, 'genwatt.config.json'));
    const demo = load.presets.find((p) => p.name === 'demo')!;
    expect(demo.count).toBe(10);
    expect(demo.out).toBe(join(ROOT, 'genwatt-out/demo'));
    expect(presetArgv(demo, 3)).toEqual([
      'node',
      join(ROOT, 'fixtures/demo-generator.mjs'),
      '--out',
      join(ROOT, 'genwatt-out/demo'),
      '--count',
      '3',
      '--seconds',
      '0.8',
      '--batch-at',
      '4',
    ]);
  });

  it('looks in the working folder, then $XDG_CONFIG_HOME/genwatt, else ~/.config/genwatt', async () => {
    expect(configCandidates('/w', { XDG_CONFIG_HOME: '/xdg', HOME: '/h' })).toEqual(['/w/genwatt.config.json', '/xdg/genwatt/config.json']);
    expect(configCandidates('/w', { HOME: '/h' })).toEqual(['/w/genwatt.config.json', '/h/.config/genwatt/config.json']);
    const home = tmp();
    mkdirSync(join(home, '.config/genwatt'), { recursive: true });
    writeFileSync(join(home, '.config/genwatt/config.json'), JSON.stringify({ presets: [{ name: 'x', command: ['true'], cwd: '/tmp' }] }));
    const load = await loadPresets(tmp(), { HOME: home });
    expect(load.file).toBe(join(home, '.config/genwatt/config.json'));
    expect(load.presets.map((p) => [p.name, p.cwd])).toEqual([['x', '/tmp']]);
  });

  it('no config anywhere: no presets, no error, and where it looked', async () => {
    const load = await loadPresets(tmp(), { HOME: tmp() });
    expect(load).toMatchObject({ presets: [], file: null, error: null });
    expect(load.searched).toHaveLength(2);
  });

  it('bad JSON: the file, the line and the column; no presets', async () => {
    const d = tmp();
    writeFileSync(join(d, 'genwatt.config.json'), '{\n  "presets": [\n    { "name": "a", }\n    oops\n  ]\n}\n');
    const load = await loadPresets(d, { HOME: tmp() });
    expect(load.presets).toEqual([]);
    expect(load.error).toMatch(new RegExp(`^${join(d, 'genwatt.config.json')} line 4 column 5: not valid JSON`));
  });

  it('a bad preset disables only itself, named with its line and field; the others load', async () => {
    const d = tmp();
    writeFileSync(
      join(d, 'genwatt.config.json'),
      '{\n  "presets": [\n    { "name": "ok", "command": ["true"] },\n    { "name": "bad",\n      "command": "python gen.py" }\n  ]\n}\n',
    );
    const load = await loadPresets(d, { HOME: tmp() });
    expect(load.error).toBeNull();
    expect(load.presets.map((p) => p.name)).toEqual(['ok']);
    expect(load.disabled).toEqual([{ name: 'bad', reason: `${join(d, 'genwatt.config.json')} line 5: presets[1].command must be array` }]);
    const disabled = async (text: string) => {
      writeFileSync(join(d, 'genwatt.config.json'), text);
      const l = await loadPresets(d, { HOME: tmp() });
      expect(l.error).toBeNull();
      return l.disabled.map((x) => x.reason).join('; ');
    };
    expect(await disabled('{ "presets": [ { "command": ["x"] } ] }')).toMatch(/line 1: presets\[0\]\.name is missing$/);
    expect(await disabled('{ "presets": [ { "name": "n", "command": ["x"], "count": 0 } ] }')).toMatch(/presets\[0\]\.count must be >= 1$/);
    expect(await disabled('{ "presets": [ { "name": "n", "command": ["x"], "outdir": "o" } ] }')).toMatch(/presets\[0\]\.outdir is not a known field$/);
    expect(await disabled('{ "presets": [ { "name": "n", "command": ["x"] }, { "name": "n", "command": ["y"] } ] }')).toMatch(
      /presets\[1\]\.name "n" is used twice/,
    );
    // the file's own shape is still the whole file's error
    writeFileSync(join(d, 'genwatt.config.json'), '{ "presets": {} }');
    expect((await loadPresets(d, { HOME: tmp() })).error).toMatch(/line 1: presets must be array$/);
  });

  it('an unreadable config is reported, not thrown (a folder where the file should be fails even as root)', async () => {
    const d = tmp();
    mkdirSync(join(d, 'genwatt.config.json'));
    expect((await loadPresets(d, { HOME: tmp() })).error).toBe(`${join(d, 'genwatt.config.json')}: cannot read (EISDIR)`);
  });

  it('field paths read like JavaScript', () => {
    expect(fieldName('/presets/3/tags/model')).toBe('presets[3].tags.model');
    expect(fieldName('')).toBe('');
  });

  it('server presets: a forge backend with its settings; a comfyui workflow relative to the config file, checked on load', async () => {
    const dir = tmp();
    mkdirSync(join(dir, 'wf'));
    writeFileSync(
      join(dir, 'wf/z.json'),
      JSON.stringify({ '3': { class_type: 'KSampler', inputs: { steps: 8, seed: 1 } }, '9': { class_type: 'SaveImage', inputs: {} } }),
    );
    writeFileSync(
      join(dir, 'genwatt.config.json'),
      JSON.stringify({
        presets: [
          { name: 'f', backend: { kind: 'forge', prompt: 'a cat', steps: 20, width: 1024, height: 1024, batchCount: 4 }, out: 'outputs' },
          { name: 'c', backend: { kind: 'comfyui', url: 'http://gpu:8188', workflow: 'wf/z.json', set: { '3.steps': 6 }, requests: 3 }, out: 'comfy-out' },
        ],
      }),
    );
    const load = await loadPresets(dir, { HOME: '/nonexistent' });
    expect(load.error).toBeNull();
    const [f, c] = load.presets;
    expect(f.command).toEqual([]);
    expect(f.backend).toMatchObject({
      kind: 'forge',
      url: 'http://127.0.0.1:7860',
      requests: 1,
      forge: { prompt: 'a cat', steps: 20, width: 1024, height: 1024, batchCount: 4, batchSize: 1, seed: -1 },
    });
    expect(c.backend).toMatchObject({ kind: 'comfyui', url: 'http://gpu:8188', workflow: join(dir, 'wf/z.json'), overrides: { '3.steps': 6 }, requests: 3 });
    writeFileSync(
      join(dir, 'genwatt.config.json'),
      JSON.stringify({ presets: [{ name: 'c', backend: { kind: 'comfyui', workflow: 'wf/z.json', set: { '7.steps': 6 } }, out: 'o' }] }),
    );
    expect((await loadPresets(dir, { HOME: '/nonexistent' })).disabled[0].reason).toMatch(
      /genwatt\.config\.json: presets\[0\]\.backend: override 7\.steps: the workflow has no node 7 \(nodes: 3 KSampler, 9 SaveImage\)/,
    );
    writeFileSync(join(dir, 'genwatt.config.json'), JSON.stringify({ presets: [{ name: 'n' }] }));
    expect((await loadPresets(dir, { HOME: '/nonexistent' })).disabled[0].reason).toMatch(/presets\[0\] needs a command \(argv\) or a backend/);
  });
});
