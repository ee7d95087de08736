import { describe, expect, it } from 'vitest';
import { nestsDeeperThan } from '../../../src/text/json-depth.js';

describe('nestsDeeperThan', () => {
  it('counts arrays and objects, not brackets inside strings', () => {
    expect(nestsDeeperThan('[[[]]]', 3)).toBe(false);
    expect(nestsDeeperThan('[[[[]]]]', 3)).toBe(true);
    expect(nestsDeeperThan('{"a":{"b":[1]}}', 3)).toBe(false);
    expect(nestsDeeperThan('{"a":"[[[[[[\\"[[[["}', 1)).toBe(false);
    expect(nestsDeeperThan('['.repeat(10_000) + ']'.repeat(10_000))).toBe(true);
    expect(nestsDeeperThan('[' + '[]'.repeat(10_000) + ']', 2)).toBe(false);
  });
});
