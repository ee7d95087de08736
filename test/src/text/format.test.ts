import { describe, expect, it } from 'vitest';
import { table } from '../../../src/text/format.js';
import { textWidth } from '../../../src/text/text-width.js';

describe('table', () => {
  it('aligns columns in terminal cells (CJK and emoji names), and shows control characters as ?', () => {
    const t = table(
      [
        ['#', 'file', 's'],
        ['1', '猫の画像_00001.png', '1.600'],
        ['2', '🐱_00002.png', '12.250'],
        ['3', 'evil\x1b[2J.png', '0.600'],
      ],
      [true, false, true],
    );
    const lines = t.split('\n');
    expect(new Set(lines.map(textWidth)).size).toBe(1); // every row as wide as the header
    expect(lines[3]).toBe(`3  evil?[2J.png${' '.repeat(9)}0.600`);
    expect(t).not.toMatch(/\x1b/);
  });
});
