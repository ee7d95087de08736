import { describe, expect, it } from 'vitest';
import { areaChart, chartResolution } from '../../components/braille-chart.js';

describe('areaChart', () => {
  it('braille: two values per cell, four dot rows per line, filled from the bottom', () => {
    // Left column full height (8 dots over 2 lines), right column half (4 dots).
    const lines = areaChart([100, 50], { height: 2, max: 100, ascii: false });
    expect(lines).toHaveLength(2);
    // top line: left column dots only (⡇ = 0x47); bottom line: both columns full (⣿).
    expect(lines[0]).toBe(String.fromCharCode(0x2800 + 0x47));
    expect(lines[1]).toBe('⣿');
  });

  it('a gap is an empty column; a known zero keeps one dot so it differs from a gap', () => {
    const [line] = areaChart([null, 0], { height: 1, max: 10, ascii: false });
    expect(line).toBe(String.fromCharCode(0x2800 + 0x80));
    const [empty] = areaChart([null, null], { height: 1, max: 10, ascii: false });
    expect(empty).toBe('\u2800');
  });

  it('ASCII: one value per column, # cells, spaces for gaps', () => {
    expect(areaChart([10, 5, null, 0], { height: 2, max: 10, ascii: true })).toEqual(['#   ', '## #']);
  });

  it('resolution follows the mode', () => {
    expect(chartResolution(40, false)).toBe(80);
    expect(chartResolution(40, true)).toBe(40);
  });
});
