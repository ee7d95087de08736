import { describe, expect, it } from 'vitest';
import { frameLines } from '../../components/frame.js';
import { planLayout } from '../../components/layout.js';
import { lineText, lineWidth } from '../../components/lines.js';
import { row, view } from '../helpers/view.js';
import { powerLine, powerTone } from '../../components/device-section.js';

/** File names as users' tools write them: CJK prompts, emoji, combining marks, and a hostile ESC. */
const OUTSIDE_NAMES = [
  '/out/猫の画像_可愛い猫_高品質_00012.png',
  '/out/🐱🐱_cat_00013.png',
  '/out/cafe\u0301-noir_00014.png',
  '/out/evil\x1b[2J\x1b[31m_00015.png',
];

const SIZES: [number, number][] = [
  [80, 24],
  [120, 40],
  [200, 50],
];

describe('planLayout', () => {
  it('80×24 with one GPU: a full panel and room for images', () => {
    const L = planLayout(80, 24, 1);
    expect(L.deviceMode).toBe('full');
    expect(L.height).toBe(23); // one line short of the terminal: Ink then redraws in place
    expect(L.tableRows).toBeGreaterThanOrEqual(6);
  });

  it('uses extra height for taller charts and more table rows', () => {
    const small = planLayout(80, 24, 1);
    const big = planLayout(200, 50, 1);
    expect(big.chartRows).toBeGreaterThan(small.chartRows);
    expect(big.tableRows).toBeGreaterThan(small.tableRows);
  });

  it('many GPUs: one focused panel plus compact rows, then all compact', () => {
    expect(planLayout(80, 24, 2).deviceMode).toBe('full');
    expect(planLayout(80, 24, 4).deviceMode).toBe('focus');
    const eight = planLayout(80, 24, 8);
    expect(eight.deviceMode).toBe('focus');
    expect(eight.tableRows).toBeGreaterThanOrEqual(2);
    const sixteen = planLayout(80, 24, 16);
    expect(sixteen.deviceMode).toBe('compact');
    expect(sixteen.compactRows).toBeLessThan(16);
  });
});

describe('frameLines', () => {
  for (const [w, h] of SIZES)
    for (const devices of [1, 2, 4, 8, 16])
      for (const overlay of ['none', 'help', 'launcher', 'chart'] as const)
        it(`${w}×${h}, ${devices} device(s), overlay ${overlay}: no line wider than the terminal, one line short of its height`, () => {
          const lines = frameLines(view({ width: w, height: h, deviceCount: devices, overlay }));
          expect(lines).toHaveLength(h - 1);
          for (const l of lines) expect(lineWidth(l)).toBeLessThanOrEqual(w);
        });

  it('80×24 shows the essentials: power in W with its kind, VRAM, steady J/image, image rows, keys', () => {
    const text = frameLines(view()).map(lineText).join('\n');
    expect(text).toMatch(/power 313 W instant/);
    expect(text).toMatch(/VRAM 20\.0\/80\.0 GiB/);
    expect(text).toMatch(/steady 1\.60 s/);
    expect(text).toMatch(/net \d+ J/);
    expect(text).toMatch(/  12 …very-long-prompt-slug\.png +1\.600 +531\.0/);
    expect(text).toMatch(/q quit/);
    expect(text).toMatch(/[▁▂▃▄▅▆▇█⣀-⣿]/);
  });

  it('missing metrics print n/a, never 0', () => {
    const v = view();
    const d = {
      ...v.devices[0],
      utilizationPercent: undefined,
      temperatureC: undefined,
      clockMhz: undefined,
      powerLimitWatts: undefined,
      vramUsedBytes: undefined,
    };
    const text = frameLines({ ...v, width: 120, devices: [d] })
      .map(lineText)
      .join('\n');
    expect(text).toMatch(/util n\/a/);
    expect(text).toMatch(/n\/a °C/);
    expect(text).toMatch(/limit n\/a/);
    expect(text).toMatch(/VRAM n\/a\/80\.0 GiB/);
    expect(text).not.toMatch(/util 0%/);
  });

  it('throttle reasons are shown when the probe reports them, nothing when it does not', () => {
    const v = view({ width: 140 });
    const on = frameLines({ ...v, devices: [{ ...v.devices[0], throttleReasons: ['sw-power-cap', 'hw-slowdown'] }] })
      .map(lineText)
      .join('\n');
    expect(on).toMatch(/throttled: sw-power-cap,hw-slowdown/);
    const off = frameLines({ ...v, devices: [{ ...v.devices[0], throttleReasons: undefined }] })
      .map(lineText)
      .join('\n');
    expect(off).not.toMatch(/throttled/);
  });

  it('ASCII mode: only printable ASCII on screen', () => {
    for (const overlay of ['none', 'chart', 'help', 'launcher'] as const) {
      const text = frameLines(view({ ascii: true, overlay, width: 100, height: 30 }))
        .map(lineText)
        .join('\n');
      expect(/^[\x20-\x7e\n]*$/.test(text)).toBe(true);
    }
  });

  it('the history chart marks each image and labels the power axis', () => {
    const text = frameLines(view({ overlay: 'chart', width: 120, height: 40 }))
      .map(lineText)
      .join('\n');
    expect(text).toMatch(/power history/);
    expect(text).toMatch(/700 W/);
    expect((text.match(/▲/g) ?? []).length).toBeGreaterThanOrEqual(5);
  });

  it('a config error is shown in the launcher, naming file and field', () => {
    const v = view({ overlay: 'launcher' });
    const text = frameLines({ ...v, launcher: { ...v.launcher, presets: [], error: '/x/genwatt.config.json line 4: presets[0].command must be array' } })
      .map(lineText)
      .join('\n');
    expect(text).toMatch(/presets\[0\]\.command must be array/);
  });

  it("the launcher shows the selected preset's description, and a disabled preset with its problem beside the working ones", () => {
    const v = view({ overlay: 'launcher' });
    const launcher = {
      ...v.launcher,
      presets: [{ name: 'sdxl-20', detail: 'sd-cli -m sdxl.safetensors | watch /o', description: 'SDXL 1024², 20 steps, flash-attn', count: 10 }],
      disabled: ['zimage disabled: /x/genwatt.config.json line 9: presets[1].command must be array'],
    };
    const text = frameLines({ ...v, launcher })
      .map(lineText)
      .join('\n');
    expect(text).toMatch(/^ +SDXL 1024², 20 steps, flash-attn$/m);
    expect(text).toMatch(/> sdxl-20 +x10/);
    expect(text).toMatch(/zimage disabled: .*line 9: presets\[1\]\.command must be array/);
  });

  it("the header counts the table's images; one whose energy window is still closing is counted apart", () => {
    const v = view();
    const text = frameLines({ ...v, run: { ...v.run, imagesDone: 3, imagesMeasuring: 1, target: 12 } })
      .map(lineText)
      .join('\n');
    expect(text).toMatch(/3\/12 images \+1 measuring/);
    const withEta = frameLines({ ...v, run: { ...v.run, imagesDone: 3, target: 12, etaSeconds: 61.2 } })
      .map(lineText)
      .join('\n');
    expect(withEta).toMatch(/3\/12 images .*ETA 01:02/);
    expect(text).not.toMatch(/4\/12 images/);
  });

  it('one memory unit on screen (GiB: device, peak, table, processes, host RAM) and one colour rule for the power figure and its chart', () => {
    const v = view({ width: 160, height: 40 });
    const text = frameLines(v).map(lineText).join('\n');
    expect(text).not.toMatch(/MiB|\d+(\.\d+)?G\b/);
    expect(text).toMatch(/peak \d+\.\d+ GiB/);
    expect(text).toMatch(/VRAM GiB/);
    // the power figure takes the tone its value has in the chart
    const d = { ...v.devices[0], powerWatts: 0.7 * (v.devices[0].powerLimitWatts ?? 100), stale: false };
    const figure = powerLine(d, 120).find((x) => /^\d/.test(x.text));
    expect(figure?.tone).toBe(powerTone(d.powerWatts, d.powerLimitWatts));
    expect(figure?.tone).toBe('warn');
  });

  it('a stale device says so instead of showing an old figure as current', () => {
    const v = view();
    const text = frameLines({ ...v, devices: [{ ...v.devices[0], stale: true }] })
      .map(lineText)
      .join('\n');
    expect(text).toMatch(/313 W\? no fresh data/);
  });

  it('names from outside (CJK, emoji, combining marks, ESC): every line fits in cells, no control character reaches the screen', () => {
    const rows = OUTSIDE_NAMES.map((path, i) => row(i, { path, meta: { sampler: 'DPM++ 2M カラス', steps: 20 } }));
    for (const [w, h] of SIZES) {
      const v = view({ width: w, height: h });
      const lines = frameLines({ ...v, rows, run: v.run && { ...v.run, label: '猫 preset \x1b]0;title\x07' } });
      for (const l of lines) expect(lineWidth(l)).toBeLessThanOrEqual(w);
      const text = lines.map(lineText).join('\n');
      expect(text).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
      expect(text).toMatch(/\?\[31m_00015\.png/); // drawn, never obeyed
      expect(text).toMatch(/品質_00012\.png/); // the end of a long name, in whole characters
    }
  });

  it('image settings (steps, size, sampler, seed) get columns when the images carry them and the terminal has room', () => {
    const meta = { steps: 20, width: 1024, height: 1024, sampler: 'DPM++ 2M Karras', seed: 156680208700286 }; // a ComfyUI-size seed
    const rows = Array.from({ length: 5 }, (_, i) => row(i, { meta }));
    const wide = frameLines(view({ width: 200, height: 50, rows }))
      .map(lineText)
      .join('\n');
    expect(wide).toMatch(/file +s +J +net J +avg W +VRAM GiB +steps +size +sampler +seed +marks/);
    expect(wide).toMatch(/21\.00 +20 1024x1024 DPM\+\+ 2M Karras 156680208700286 /);
    const narrow = frameLines(view({ width: 80, height: 24, rows }))
      .map(lineText)
      .join('\n');
    expect(narrow).toMatch(/ +1\.600 +52\d\.0/); // the measured figures keep their room
    expect(narrow).not.toMatch(/sampler|seed/);
    const none = frameLines(view({ width: 200, height: 50 }))
      .map(lineText)
      .join('\n');
    expect(none).not.toMatch(/steps|sampler|seed/);
  });

  it('tiny terminals get a clipped frame, never a bigger one', () => {
    const lines = frameLines(view({ width: 30, height: 8, deviceCount: 3 }));
    expect(lines.length).toBeLessThanOrEqual(7);
    for (const l of lines) expect(lineWidth(l)).toBeLessThanOrEqual(30);
  });

  it('below 40×12 the message states the whole size at every width (at 30 columns it was cut to "needs 40×1")', () => {
    for (const width of [39, 30, 22, 12]) {
      const text = frameLines(view({ width, height: 8 })).map(lineText);
      expect(text[0], String(width)).toMatch(/needs 40×12\)?$/);
      for (const l of text) expect(l.length).toBeLessThanOrEqual(width);
    }
    expect(frameLines(view({ width: 30, height: 8, ascii: true })).map(lineText)[0]).toBe('too small: needs 40x12');
  });
});
