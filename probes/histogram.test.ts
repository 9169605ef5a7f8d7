import type { Histogram } from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import { addSparse, HIGHEST_US, IntervalRecorder, newIntervalHistogram, newTotalHistogram, trendValues } from './histogram.ts';
import type { SparseHistogram } from './histogram.ts';

// The reference: hdr-histogram-js itself, recording as the engine did before IntervalRecorder.

/** Records `us` clamped to the trackable range. */
function recordUs(h: Histogram, us: number): void {
  h.recordValue(us < 0 ? 0 : us > HIGHEST_US ? HIGHEST_US : Math.round(us));
}

/** The non-zero buckets of `h` as sparse pairs, read through hdr-histogram-js's own indexing. */
function toSparse(h: Histogram): SparseHistogram {
  const ih = h as unknown as { maxValue: number; countsArrayIndex(v: number): number; getCountAtIndex(i: number): number };
  const pairs: number[] = [];
  if (h.totalCount > 0) {
    const last = ih.countsArrayIndex(ih.maxValue);
    for (let i = 0; i <= last; i++) {
      const c = ih.getCountAtIndex(i);
      if (c !== 0) pairs.push(i, c);
    }
  }
  return Uint32Array.from(pairs);
}

/** Values across every magnitude the engine records, with the bucket edges. */
function sampleValues(): number[] {
  const values = [0, 1, 2, 1023, 1024, 1025, 2047, 2048, 2049, 4095, 4096, HIGHEST_US - 1, HIGHEST_US, 2 ** 31 - 1, 2 ** 31, 2 ** 31 + 1];
  for (let e = 0; e <= 31; e++) values.push(2 ** e - 1, 2 ** e, 2 ** e + 1, 1.5 * 2 ** e);
  let seed = 42;
  const rand = (): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  for (let i = 0; i < 20_000; i++) values.push(Math.exp(rand() * Math.log(HIGHEST_US)));
  return values.filter((v) => v <= HIGHEST_US);
}

describe('IntervalRecorder', () => {
  it('lands every value in the bucket hdr-histogram-js would, so the main thread reads the same histogram', () => {
    const values = sampleValues();
    const hdr = newIntervalHistogram();
    const rec = new IntervalRecorder();
    for (const v of values) {
      recordUs(hdr, v);
      rec.record(v);
    }
    expect(rec.totalCount).toBe(values.length);
    expect(Array.from(rec.toSparse())).toEqual(Array.from(toSparse(hdr)));
  });

  it('rounds fractional microseconds and clamps out-of-range values as recordUs does', () => {
    const values = [-5, -0.4, 0.4, 0.5, 1.49, 1.5, 999.5, 2047.5, HIGHEST_US + 1, 1e12];
    const hdr = newIntervalHistogram();
    const rec = new IntervalRecorder();
    for (const v of values) {
      recordUs(hdr, v);
      rec.record(v);
    }
    expect(Array.from(rec.toSparse())).toEqual(Array.from(toSparse(hdr)));
  });

  it('gives the main thread the percentiles the hdr-histogram-js path gave, within HDR resolution of the exact values', () => {
    const rec = new IntervalRecorder();
    const viaHdr = newIntervalHistogram();
    const direct = newTotalHistogram();
    for (let i = 1; i <= 10_000; i++) {
      const us = 200 + ((i * 7919) % 5000) + (i % 100 === 0 ? 900_000 : 0);
      rec.record(us);
      recordUs(viaHdr, us);
      recordUs(direct, us);
    }
    const merged = newTotalHistogram();
    addSparse(merged, rec.toSparse());
    const before = newTotalHistogram();
    addSparse(before, toSparse(viaHdr));
    const got = trendValues(merged, 10);
    expect(got).toEqual(trendValues(before, 10));
    const exact = trendValues(direct, 10);
    for (const key of ['min', 'med', 'p(90)', 'p(99)', 'max'] as const) expect(Math.abs(got[key] - exact[key]) / exact[key]).toBeLessThan(0.001);
  });

  it('adds another recorder and resets to empty', () => {
    const a = new IntervalRecorder();
    const b = new IntervalRecorder();
    const both = new IntervalRecorder();
    for (const v of [5, 70_000, 3_000]) {
      a.record(v);
      both.record(v);
    }
    for (const v of [1, 5, 9_000_000]) {
      b.record(v);
      both.record(v);
    }
    a.add(b);
    a.add(new IntervalRecorder());
    expect(a.totalCount).toBe(6);
    expect(Array.from(a.toSparse())).toEqual(Array.from(both.toSparse()));
    a.reset();
    expect(a.totalCount).toBe(0);
    expect(a.toSparse().length).toBe(0);
    a.record(42);
    expect(Array.from(a.toSparse())).toEqual([42, 1]);
  });
});
