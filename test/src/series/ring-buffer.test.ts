import { describe, expect, it } from 'vitest';
import { RingBuffer } from '../../../src/series/ring-buffer.js';

describe('RingBuffer', () => {
  it('keeps the latest items, oldest first', () => {
    const b = new RingBuffer<number>(3);
    for (const x of [1, 2, 3, 4, 5]) b.push(x);
    expect(b.toArray()).toEqual([3, 4, 5]);
    expect(b.last()).toBe(5);
  });

  it('tail: the newest items that pass, plus the one before them, without the rest', () => {
    const b = new RingBuffer<number>(5);
    for (const x of [1, 2, 3, 4, 5, 6, 7]) b.push(x); // holds 3..7
    expect(b.tail((x) => x >= 6)).toEqual([5, 6, 7]);
    expect(b.tail((x) => x >= 100)).toEqual([7]); // nothing in range: the value in force
    expect(b.tail(() => true)).toEqual([3, 4, 5, 6, 7]);
    expect(new RingBuffer<number>(2).tail(() => true)).toEqual([]);
  });
});
