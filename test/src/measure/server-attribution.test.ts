import { describe, expect, it } from 'vitest';
import { ServerAttribution } from '../../../src/measure/server-attribution.js';

const ev = (path: string, mtimeMs = 0) => ({ path, mtimeMs });

describe('ServerAttribution', () => {
  it("counts what a request names, says another client's file is not ours, and waits for a named file whose event is late", () => {
    const a = new ServerAttribution();
    a.image(ev('/out/other_00001_.png'));
    a.image(ev('/out/gw_00001_.png'));
    a.done(0, ['gw_00001_.png', 'gw_00002_.png']);
    expect(a.takeForeign().map((e) => e.path)).toEqual(['/out/other_00001_.png']);
    expect(a.waiting(0)).toBe(true);
    a.image(ev('/out/gw_00002_.png'));
    expect(a.waiting(0)).toBe(false);
    expect(a.close(0)).toEqual({ ours: [ev('/out/gw_00001_.png'), ev('/out/gw_00002_.png')], missing: [] });
  });

  it('subfolders: the server names files relative to its output folder, which may be above --out', () => {
    const a = new ServerAttribution();
    a.image(ev('/srv/output/run1/gw_00001_.png'));
    a.image(ev('/srv/output/run1/xgw_00001_.png'));
    a.done(0, ['run1/gw_00001_.png']);
    expect(a.close(0).ours.map((e) => e.path)).toEqual(['/srv/output/run1/gw_00001_.png']);
    expect(a.takeForeign().map((e) => e.path)).toEqual(['/srv/output/run1/xgw_00001_.png']);
  });

  it('a file of the next request that appears while this one waits is judged by the next one; unknown names take everything', () => {
    const a = new ServerAttribution();
    a.done(0, ['gw_00001_.png']);
    a.image(ev('/out/gw_00002_.png')); // the next request's, while request 0 still waits
    expect(a.close(0)).toEqual({ ours: [], missing: ['gw_00001_.png'] });
    a.done(1, null);
    expect(a.close(1).ours.map((e) => e.path)).toEqual(['/out/gw_00002_.png']);
    a.image(ev('/out/late.png'));
    a.end();
    expect(a.takeForeign().map((e) => e.path)).toEqual(['/out/late.png']);
  });
});
