import { describe, expect, it } from 'vitest';
import { RingBuffer } from './ring-buffer.ts';

describe('RingBuffer', () => {
  it('returns what was pushed, oldest first, while not yet full', () => {
    const ring = new RingBuffer<number>(3);
    ring.push(1);
    ring.push(2);
    expect(ring.toArray()).toEqual([1, 2]);
  });

  it('keeps only the last capacity values once it wraps around', () => {
    const ring = new RingBuffer<number>(1000);
    for (let i = 0; i < 1005; i++) ring.push(i);
    const kept = ring.toArray();
    expect(kept).toHaveLength(1000);
    expect(kept[0]).toBe(5);
    expect(kept[999]).toBe(1004);
    expect(ring.size).toBe(1000);
  });

  it('rejects a capacity that is not a positive integer', () => {
    expect(() => new RingBuffer(0)).toThrow(/positive integer/);
  });
});
