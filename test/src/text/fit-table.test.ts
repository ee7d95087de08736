/** Tables fitted to a terminal: names shortened in the middle, minor columns left out and named. */
import { describe, expect, it } from 'vitest';
import { clipMiddle, clipPath, fitTable, wrapWords, type FitColumn } from '../../../src/text/fit-table.js';
import { textWidth } from '../../../src/text/text-width.js';

const cols: FitColumn[] = [
  { head: 'session', keep: Infinity, minWidth: 10 },
  { head: 'J/image', right: true, keep: 100 },
  { head: 'method', keep: 30 },
  { head: 'notes', keep: 10 },
];
const body = [
  ['a-very-long-session-name-2026-12-07T10-00-00', '138.8', 'energy counter', 'first run of the day, fan at 40 %'],
  ['short', '1448.1', 'instant power', ''],
];

describe('fitTable', () => {
  it('without a width (piped) the table is whole', () => {
    const t = fitTable(cols, body);
    expect(t.dropped).toEqual([]);
    expect(t.text).toContain('a-very-long-session-name-2026-12-07T10-00-00');
    expect(t.text).toContain('first run of the day, fan at 40 %');
  });

  it('at a narrow width no line is wider; the least important columns go first and are named; numbers stay whole', () => {
    for (const w of [80, 60, 40, 30]) {
      const t = fitTable(cols, body, w);
      for (const line of t.text.split('\n')) expect(textWidth(line), `${w}: ${line}`).toBeLessThanOrEqual(w);
      expect(t.text).toContain('1448.1');
      if (t.dropped.length) expect(t.dropped[0]).toBe('notes');
      expect(t.dropped).not.toContain('J/image');
    }
    expect(fitTable(cols, body, 60).dropped).toEqual(['notes']);
    // the name keeps its start and end, so two sessions of a day stay apart
    expect(fitTable(cols, body, 30).text).toMatch(/^a-very-lon…7T10-00-00 +138\.8$/m);
  });

  it('a width no table fits keeps the name column (its lines wrap) and names every column it left out, least important first', () => {
    const t = fitTable(cols, body, 12);
    expect(t.dropped).toEqual(['notes', 'method', 'J/image']);
    expect(t.text.split('\n')[0]).toBe('session');
  });

  it('clipMiddle and wrapWords keep within the width', () => {
    expect(clipMiddle('abcdefghij', 5)).toBe('ab…ij');
    expect(clipMiddle('abc', 5)).toBe('abc');
    expect(clipPath('/a/long/checkout/path/fixtures/sessions/demo-8.json', 24)).toBe('…/fixtures/sessions/demo-8.json'.slice(-24).replace(/^./, '…'));
    expect(textWidth(clipPath('/a/long/checkout/path/fixtures/sessions/demo-8.json', 24))).toBe(24);
    expect(clipPath('/short.json', 24)).toBe('/short.json');
    const wrapped = wrapWords('Pareto front (no other configuration is both faster and leaner): A (least energy); B (fastest)', 40);
    for (const l of wrapped.split('\n')) expect(textWidth(l)).toBeLessThanOrEqual(40);
    expect(wrapped.replace(/\n {2}/g, ' ')).toBe('Pareto front (no other configuration is both faster and leaner): A (least energy); B (fastest)');
  });
});
