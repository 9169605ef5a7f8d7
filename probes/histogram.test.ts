import * as hdr from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import { addSparse, EMPTY_SPARSE, HIGHEST_US, IntervalRecorder, newIntervalHistogram, newTotalHistogram, trendValues } from './histogram.ts';
import type { SparseHistogram } from './histogram.ts';
import { Agg } from './metrics.ts';
import { probeSpecSchema } from './spec.ts';
import { syntheticPartial } from './test-support.ts';
import { compileThresholds, holds, observe } from './thresholds.ts';
import type { Threshold } from './thresholds.ts';

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

describe('addSparse', () => {
  /** Sparse pairs across every magnitude, index 0 (value 0) and the top bucket included. */
  function wideSparse(): SparseHistogram {
    const rec = new IntervalRecorder();
    for (const v of sampleValues()) rec.record(v);
    return rec.toSparse();
  }

  it('puts each count at its index without recomputing the index from a value (windowed thresholds re-merge every interval)', () => {
    const sparse = wideSparse();
    for (const make of [newIntervalHistogram, newTotalHistogram]) {
      const h = make();
      const ih = h as unknown as { countsArrayIndex(v: number): number };
      let computed = 0;
      const own = ih.countsArrayIndex.bind(h);
      ih.countsArrayIndex = (v: number): number => {
        computed++;
        return own(v);
      };
      addSparse(h, sparse);
      expect(computed, `addSparse computed ${computed} bucket indexes for ${sparse.length / 2} pairs`).toBe(0);
    }
  });

  it('gives what recordValueWithCount pair by pair gives: counts, total, min, max and every trend value', () => {
    const sparse = wideSparse();
    const later = new IntervalRecorder();
    for (const v of [0, 0, 3, 1_500, 2_000_000]) later.record(v);
    for (const make of [newIntervalHistogram, newTotalHistogram]) {
      const fast = make();
      const slow = make();
      const ih = slow as unknown as { valueFromIndex(i: number): number };
      for (const part of [sparse, later.toSparse(), EMPTY_SPARSE]) {
        addSparse(fast, part);
        for (let j = 0; j < part.length; j += 2) slow.recordValueWithCount(ih.valueFromIndex(part[j]!), part[j + 1]!);
        expect(fast.totalCount).toBe(slow.totalCount);
        expect(fast.maxValue).toBe(slow.maxValue);
        expect(fast.minNonZeroValue).toBe(slow.minNonZeroValue);
        expect(toSparse(fast)).toEqual(toSparse(slow));
        expect(trendValues(fast, 1)).toEqual(trendValues(slow, 1));
      }
    }
  });
});

// k6's trend semantics (TrendSink.P in go.k6.io/k6/metrics): percentiles of the sorted samples by
// linear interpolation between the closest ranks; med is P(0.5), i.e. p(50); 0 without samples.

/** k6's percentile (p in 0–100) of exact samples. */
function k6Percentile(samples: readonly number[], p: number): number {
  const v = [...samples].sort((a, b) => a - b);
  if (v.length === 0) return 0;
  if (v.length === 1) return v[0]!;
  const i = (p / 100) * (v.length - 1);
  const j = v[Math.floor(i)]!;
  const k = v[Math.ceil(i)]!;
  return j + (k - j) * (i - Math.floor(i));
}

const TREND_KEYS = ['min', 'med', 'avg', 'max', 'p(90)', 'p(95)', 'p(99)', 'p(99.9)'] as const;
type TrendKey = (typeof TREND_KEYS)[number];

/** k6's trend values (ms) of exact samples (ms). */
function k6Trend(samples: readonly number[]): Record<TrendKey, number> {
  return {
    min: k6Percentile(samples, 0),
    med: k6Percentile(samples, 50),
    avg: samples.length === 0 ? 0 : samples.reduce((a, b) => a + b, 0) / samples.length,
    max: k6Percentile(samples, 100),
    'p(90)': k6Percentile(samples, 90),
    'p(95)': k6Percentile(samples, 95),
    'p(99)': k6Percentile(samples, 99),
    'p(99.9)': k6Percentile(samples, 99.9),
  };
}

/** Samples (ms) as the engine ships them: IntervalRecorder in a worker, sparse, merged into the main thread's histogram. */
function shipped(samplesMs: readonly number[], make: () => Histogram = newTotalHistogram): Histogram {
  const rec = new IntervalRecorder();
  for (const ms of samplesMs) rec.record(ms * 1000);
  const h = make();
  addSparse(h, rec.toSparse());
  return h;
}

/** An HDR bucket's width relative to its lowest value, at 3 significant digits: the histogram's precision. */
const PRECISION = 2 ** -10;
/** trendValues reports whole µs. */
const ROUNDING_MS = 0.0005;

/** `got` is k6's `want` to the histogram's precision: never below it, at most one bucket width above. */
function expectK6(got: number, want: number, what: string): void {
  expect(got, `${what}: ${got} ≥ k6 ${want}`).toBeGreaterThanOrEqual(want - ROUNDING_MS);
  expect(got, `${what}: ${got} ≤ k6 ${want} + ${PRECISION * 100} %`).toBeLessThanOrEqual(want * (1 + PRECISION) + ROUNDING_MS);
}

function seeded(seed: number): () => number {
  return () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
}

/** Distributions (ms): the review's examples, ties, one sample, sub-millisecond, heavy tails. */
function distributions(): Record<string, number[]> {
  const rand = seeded(7);
  return {
    'two samples 10, 100': [10, 100],
    '19 × 10 ms + 1 × 1 s': [...Array<number>(19).fill(10), 1000],
    '1, 2, 3, 4': [1, 2, 3, 4],
    '5, 5, 5, 50': [5, 5, 5, 50],
    '100, 100, 499.9 (max was below p(99))': [100, 100, 499.9],
    'one sample': [42.123],
    'one value many times': Array<number>(1000).fill(100),
    'sub-millisecond': [0, 0.001, 0.002, 0.5, 0.9],
    'log-uniform 0.05 ms … 5 s': Array.from({ length: 3000 }, () => 0.05 * Math.exp(rand() * Math.log(100_000))),
    'bimodal 99 % 2–3 ms, 1 % 1.5 s': Array.from({ length: 5000 }, (_, i) => (i % 100 === 99 ? 1500 + rand() * 10 : 2 + rand())),
  };
}

describe('trendValues: k6 trend semantics over the histogram', () => {
  it('gives k6\'s values for the review\'s examples (linear interpolation between the closest ranks)', () => {
    const two = trendValues(shipped([10, 100]), 1);
    expectK6(two.med, 55, 'med of 10, 100');
    expectK6(two['p(95)'], 95.5, 'p(95) of 10, 100');
    const tail = trendValues(shipped([...Array<number>(19).fill(10), 1000]), 1);
    expectK6(tail.med, 10, 'med of 19 × 10 + 1000');
    expectK6(tail['p(95)'], 59.5, 'p(95) of 19 × 10 + 1000');
    const three = trendValues(shipped([100, 100, 499.9]), 1);
    expectK6(three.max, 499.9, 'max of 100, 100, 499.9');
    expectK6(three['p(99)'], 499.9 - 0.02 * 399.9, 'p(99) of 100, 100, 499.9');
    expect(three['p(99)']).toBeLessThanOrEqual(three.max);
    expect(trendValues(newTotalHistogram(), 1)).toEqual({ count: 0, rate: 0, avg: 0, min: 0, med: 0, max: 0, 'p(90)': 0, 'p(95)': 0, 'p(99)': 0, 'p(99.9)': 0 });
  });

  it('gives a threshold the value the summary prints: whole µs, not an unrounded interpolation', () => {
    const h = shipped([10, 100.0004]);
    for (const p of [50, 90, 95, 99]) {
      const us = h.getValueAtPercentile(p);
      expect(Number.isInteger(us)).toBe(true);
      expect(us / 1000).toBe(trendValues(h, 1)[p === 50 ? 'med' : (`p(${p})` as 'p(90)')]);
    }
    expect(Number.isInteger(h.mean)).toBe(true);
    expect(h.mean / 1000).toBe(trendValues(h, 1).avg);
  });

  it('matches k6 within the histogram\'s precision for every distribution, whole-run and interval histograms alike', () => {
    for (const [name, samples] of Object.entries(distributions())) {
      const want = k6Trend(samples);
      for (const make of [newTotalHistogram, newIntervalHistogram]) {
        const got = trendValues(shipped(samples, make), 2);
        expect(got.count).toBe(samples.length);
        expect(got.rate).toBe(samples.length / 2);
        for (const key of TREND_KEYS) expectK6(got[key], want[key], `${name} ${key}`);
      }
    }
  });

  it('keeps min ≤ med ≤ p(90) ≤ p(95) ≤ p(99) ≤ p(99.9) ≤ max and min ≤ avg ≤ max, however the values were recorded', () => {
    for (const [name, samples] of Object.entries(distributions())) {
      const direct = newTotalHistogram();
      for (const ms of samples) direct.recordValue(Math.round(ms * 1000));
      for (const h of [shipped(samples), direct]) {
        const t = trendValues(h, 1);
        const chain = [t.min, t.med, t['p(90)'], t['p(95)'], t['p(99)'], t['p(99.9)'], t.max];
        expect(chain, name).toEqual([...chain].sort((a, b) => a - b));
        expect(t.avg, name).toBeGreaterThanOrEqual(t.min);
        expect(t.avg, name).toBeLessThanOrEqual(t.max);
        // What thresholds and run warnings read through the Histogram API is what the summary shows.
        const viaApi = [0, 50, 90, 95, 99, 99.9, 100].map((p) => Math.round(h.getValueAtPercentile(p)) / 1000);
        expect(viaApi, name).toEqual(chain);
        expect(Math.round(h.maxValue) / 1000, name).toBe(t.max);
        expect(Math.round(h.mean) / 1000, name).toBe(t.avg);
      }
    }
  });

  it('leaves large-n percentiles where they were, within the histogram\'s precision', () => {
    const rand = seeded(11);
    // ~lognormal around 20 ms: dense enough that neighbouring ranks share a bucket or the next one.
    const samples = Array.from({ length: 100_000 }, () => 20 * Math.exp(0.6 * (rand() + rand() + rand() - 1.5) * 2));
    const got = trendValues(shipped(samples), 1);
    // What burnwatch reported before: hdr-histogram-js's nearest rank, on a plain histogram of the same layout.
    const plain = hdr.build({ bitBucketSize: 64, autoResize: false, lowestDiscernibleValue: 1, highestTrackableValue: HIGHEST_US, numberOfSignificantValueDigits: 3 });
    for (const ms of samples) plain.recordValue(Math.round(ms * 1000));
    const want = k6Trend(samples);
    for (const [key, p] of [['med', 50], ['p(90)', 90], ['p(95)', 95], ['p(99)', 99], ['p(99.9)', 99.9]] as const) {
      expectK6(got[key], want[key], key);
      const before = plain.getValueAtPercentile(p) / 1000;
      expect(Math.abs(got[key] - before) / before, `${key}: ${got[key]} vs ${before} before`).toBeLessThan(0.001);
    }
  });
});


describe('thresholds, windows and run warnings read the same k6 values', () => {
  const thresholds = (exprs: string[]): Threshold[] =>
    compileThresholds(
      probeSpecSchema.parse({
        target: 'http://127.0.0.1:1',
        scenario: { executor: 'constant-arrival-rate', rate: 10, duration: '1s', preAllocatedVUs: 1 },
        requests: [{ name: 'r', url: '/' }],
        thresholds: { http_req_duration: exprs },
      }),
    );

  it('fails p(95)<50 on 19 × 10 ms + 1 × 1 s as k6 does (p(95) 59.5 ms), whole-run and windowed', () => {
    for (const total of [true, false]) {
      const agg = new Agg(1, 0, [new Uint8Array(600)], total);
      agg.addInterval([syntheticPartial([...Array<number>(19).fill(10), 1000])], 0, 1000);
      const [p95, med, min, max, avg] = thresholds(['p(95)<50', 'med<10.1', 'min>=10', 'max<=1001', 'avg<60']).map((t) => observe(t, agg)!);
      expectK6(p95!, 59.5, 'p(95)');
      expect(holds('<', p95!, 50)).toBe(false);
      expectK6(med!, 10, 'med');
      expectK6(min!, 10, 'min');
      expectK6(max!, 1000, 'max');
      expectK6(avg!, (19 * 10 + 1000) / 20, 'avg');
    }
  });

  it('never reports max below p(99) or min above med, including for trend metrics other than latency', () => {
    const agg = new Agg(1, 0, [new Uint8Array(600)], true);
    agg.addInterval([syntheticPartial([100, 100]), syntheticPartial([499.9])], 0, 1000);
    const [min, med, p99, max] = thresholds(['min>0', 'med>0', 'p(99)>0', 'max>0']).map((t) => observe(t, agg)!);
    expectK6(max!, 499.9, 'max');
    expectK6(p99!, 499.9 - 0.02 * 399.9, 'p(99)');
    expect(min).toBeLessThanOrEqual(med!);
    expect(med).toBeLessThanOrEqual(p99!);
    expect(p99).toBeLessThanOrEqual(max!);
    for (const h of [agg.trend('iteration_duration'), agg.trend('http_req_start_lag'), agg.trend('http_req_duration', { expected: true })]) {
      expect(h.getValueAtPercentile(99)).toBeLessThanOrEqual(h.maxValue);
      expect(h.getValueAtPercentile(0)).toBeLessThanOrEqual(h.getValueAtPercentile(50));
      expect(trendValues(h, 1).max * 1000).toBe(h.maxValue);
    }
  });
});
