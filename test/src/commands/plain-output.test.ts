import { describe, expect, it } from 'vitest';
import { imageLine } from '../../../src/commands/plain-output.js';
import { row } from '../../helpers/view.js';

describe('plain output', () => {
  it('an image line shows a hostile file name without obeying it; CJK names pass unchanged', () => {
    expect(imageLine(row(3, { path: '/out/evil\x1b[2J\x07.png' }), 10)).toMatch(/^image 4\/10  evil\?\[2J\?\.png  1\.600 s  523\.0 J  net 403\.0 J/);
    expect(imageLine(row(0, { path: '/out/猫の画像_00001.png' }), null)).toMatch(/^image 1  猫の画像_00001\.png  1\.600 s .* warm-up$/);
  });
});
