import { describe, expect, it } from 'vitest';
import { SlotSeries } from './series.ts';
import { SloIndex } from './sli-index.ts';

/** A small deterministic PRNG (mulberry32) so failures reproduce. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('SlotSeries', () => {
  it.each([1440, 288, 24, 1])('sums any range exactly like a brute-force loop (%i slots a day)', (spd) => {
    const r = rng(spd);
    const s = new SlotSeries(spd, ['count', 'float']);
    const brute = new Map<number, [number, number]>();
    const base = 20_000 * spd;
    for (let i = 0; i < 3000; i++) {
      const slot = base + Math.floor(r() * spd * 40);
      const a = Math.floor(r() * 1000);
      const b = r();
      s.add(slot, 0, a);
      s.add(slot, 1, b);
      const v = brute.get(slot) ?? [0, 0];
      brute.set(slot, [v[0] + a, v[1] + b]);
    }
    for (let q = 0; q < 500; q++) {
      const from = base - spd + Math.floor(r() * spd * 42);
      const to = from + Math.floor(r() * spd * 30);
      let e0 = 0;
      let e1 = 0;
      for (const [slot, [a, b]] of brute) {
        if (slot >= from && slot < to) {
          e0 += a;
          e1 += b;
        }
      }
      expect(s.sum(0, from, to)).toBe(e0);
      expect(s.sum(1, from, to)).toBeCloseTo(e1, 8);
    }
  });

  it('switches a day to floats when a count is fractional, keeping the sums', () => {
    const s = new SlotSeries(1440, ['count']);
    s.add(10, 0, 3);
    s.add(11, 0, 0.5);
    s.add(5000, 0, 2 ** 33);
    expect(s.sum(0, 0, 10_000)).toBe(3.5 + 2 ** 33);
  });

  it('grows backwards for late data and drops whole days', () => {
    const s = new SlotSeries(1440, ['count']);
    s.add(1440 * 10 + 5, 0, 1);
    s.add(1440 * 2 + 5, 0, 2);
    expect(s.sum(0, 0, 1440 * 20)).toBe(3);
    s.dropBefore(1440 * 5);
    expect(s.sum(0, 0, 1440 * 20)).toBe(1);
    expect(s.days).toBe(1);
  });
});

describe('SloIndex', () => {
  it('keeps slice values in step with minute writes, whatever their order', () => {
    const idx = new SloIndex({ method: 'timeslices', sliceMs: 300_000, rule: { kind: 'ratio', target: 0.9 } });
    idx.addMinute(1000, 10, 10);
    idx.addMinute(1001, 0, 10); // slice 200: 10/20 → bad
    expect(idx.slices(200, 201)).toEqual({ good: 0, total: 1 });
    idx.addMinute(1002, 80, 80); // 90/100 → good
    expect(idx.slices(200, 201)).toEqual({ good: 1, total: 1 });
    idx.configure({ method: 'ratioTimeslices', sliceMs: 60_000 });
    expect(idx.slices(1000, 1003)).toEqual({ good: 2, total: 3 });
    expect(idx.lastEventMinute()).toBe(1002);
  });
});
