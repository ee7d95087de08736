import { describe, expect, it } from 'vitest';
import { footerLine } from '../../components/footer-section.js';
import { lineText } from '../../components/lines.js';
import { view } from '../helpers/view.js';
import { glyphsFor } from '../../components/glyphs.js';

describe('footer', () => {
  it('`? help` is the last hint to go: kept at 80 and at 40 columns, after whatever else fits', () => {
    for (const width of [200, 80, 40, 12, 6]) {
      const v = view({ width, height: 24, deviceCount: 2 });
      const text = lineText(footerLine(v, glyphsFor(false), width));
      expect(text.length, text).toBeLessThanOrEqual(width);
      expect(text.endsWith('? help'), `${width}: ${text}`).toBe(true);
    }
    expect(lineText(footerLine(view({ width: 200, height: 24, deviceCount: 2 }), glyphsFor(false), 200))).toMatch(/^q quit .* \? help$/);
  });
});

describe('the quit question', () => {
  it('is whole at 80 columns, and says how to cancel when narrower', async () => {
    const { statusLine } = await import('../../components/footer-section.js');
    const at = (width: number) => lineText(statusLine({ ...view({ width, height: 24 }), confirmQuit: true }, glyphsFor(false), width));
    expect(at(80)).toBe('a run is active: q again stops it, saves its recording, quits; other keys cancel');
    expect(at(60)).toBe('q again: stop and quit; other keys cancel');
  });
});
