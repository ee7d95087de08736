import { describe, expect, it } from 'vitest';
import { printable, takeWidth, takeWidthEnd, termSafe, textWidth } from '../../../src/text/text-width.js';

describe('textWidth', () => {
  it('counts terminal cells: ASCII and the dashboard glyphs 1, CJK and emoji 2, combining marks 0, controls 1 (drawn as ?)', () => {
    expect(textWidth('sdxl_00001.png')).toBe(14);
    expect(textWidth('⣿▃█─…←°')).toBe(7);
    expect(textWidth('猫の画像')).toBe(8);
    expect(textWidth('🐱.png')).toBe(6);
    expect(textWidth('cafe\u0301')).toBe(4);
    expect(textWidth('a\x1b[31mb')).toBe(7);
  });

  it('cuts by cells without splitting a wide character or a cluster', () => {
    expect(takeWidth('猫猫猫', 5)).toBe('猫猫');
    expect(takeWidth('ab猫cd', 3)).toBe('ab');
    expect(takeWidth('cafe\u0301s', 4)).toBe('cafe\u0301');
    expect(takeWidthEnd('ab猫', 2)).toBe('猫');
    expect(takeWidthEnd('猫ab', 3)).toBe('ab');
    expect(takeWidth('x', 0)).toBe('');
  });

  it('controls from outside become ?; nothing else changes', () => {
    expect(termSafe('a\x1b[2Jb\r\n\x07\x9b')).toBe('a?[2Jb????');
    expect(termSafe('猫 ⣿ é')).toBe('猫 ⣿ é');
    expect(printable('line\tone\x1b[0m')).toBe('line?one?[0m');
  });
});
