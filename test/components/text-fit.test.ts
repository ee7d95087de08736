import { describe, expect, it } from 'vitest';
import { clip, clipStart, padLeft, padRight, rule } from '../../components/text-fit.js';
import { textWidth } from '../../src/text/text-width.js';

describe('text-fit in cells', () => {
  it('pads and clips wide text to exactly the width asked', () => {
    expect(padRight('猫', 5)).toBe('猫   ');
    expect(padLeft('猫', 5)).toBe('   猫');
    expect(textWidth(padRight('猫猫猫', 5))).toBe(5); // cut between two wide characters: a space fills
    expect(clip('猫の画像です', 7)).toBe('猫の画…');
    expect(clipStart('猫の画像_0001.png', 10)).toBe('…_0001.png');
    expect(clipStart('とても長い猫の名前.png', 9)).toBe('…名前.png');
    for (const w of [1, 5, 8, 12]) expect(textWidth(rule('画像 (3)', w, '─'))).toBe(w);
  });
});
