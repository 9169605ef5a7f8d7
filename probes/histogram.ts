/**
 * HDR histograms of microseconds, one configuration everywhere so that the
 * bucket indexes of a worker's histogram mean the same in the main thread.
 *
 * Workers ship an interval's histogram as a sparse list of (bucket index,
 * count) pairs — a few hundred numbers, structured-cloned — instead of the
 * compressed base64 form, which costs a deflate and an inflate per
 * histogram per interval. Base64 (the contract of `IntervalSnapshot`) is
 * produced only when a consumer asked for snapshots.
 */
import * as hdr from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';

/** 1 µs … 1 h, 3 significant digits (0.1 % value resolution, as wrk2). Larger values are clamped. */
export const HIGHEST_US = 3_600_000_000;

/** Sparse histogram: `[index0, count0, index1, count1, ...]`. */
export type SparseHistogram = Uint32Array;

export const EMPTY_SPARSE: SparseHistogram = new Uint32Array(0);

/** A histogram for recording (workers: 32-bit counts, reset every interval). */
export function newIntervalHistogram(): Histogram {
  return hdr.build({ bitBucketSize: 32, autoResize: false, lowestDiscernibleValue: 1, highestTrackableValue: HIGHEST_US, numberOfSignificantValueDigits: 3 });
}

/** A histogram for accumulating (main thread: 64-bit counts, a 24 h run cannot overflow a bucket). */
export function newTotalHistogram(): Histogram {
  return hdr.build({ bitBucketSize: 64, autoResize: false, lowestDiscernibleValue: 1, highestTrackableValue: HIGHEST_US, numberOfSignificantValueDigits: 3 });
}

interface IndexedHistogram {
  maxValue: number;
  countsArrayIndex(value: number): number;
  getCountAtIndex(index: number): number;
  valueFromIndex(index: number): number;
}

/** Records `us` (clamped to the trackable range). */
export function recordUs(h: Histogram, us: number): void {
  h.recordValue(us < 0 ? 0 : us > HIGHEST_US ? HIGHEST_US : Math.round(us));
}

/** The non-zero buckets of `h` as sparse pairs. */
export function toSparse(h: Histogram): SparseHistogram {
  if (h.totalCount === 0) return EMPTY_SPARSE;
  const ih = h as unknown as IndexedHistogram;
  const last = ih.countsArrayIndex(ih.maxValue);
  let n = 0;
  for (let i = 0; i <= last; i++) if (ih.getCountAtIndex(i) !== 0) n++;
  const out = new Uint32Array(n * 2);
  let j = 0;
  for (let i = 0; i <= last; i++) {
    const c = ih.getCountAtIndex(i);
    if (c !== 0) {
      out[j++] = i;
      out[j++] = c;
    }
  }
  return out;
}

/** Adds sparse pairs (from a histogram of the same configuration) into `h`. */
export function addSparse(h: Histogram, sparse: SparseHistogram): void {
  if (sparse.length === 0) return;
  const ih = h as unknown as IndexedHistogram;
  for (let j = 0; j < sparse.length; j += 2) h.recordValueWithCount(ih.valueFromIndex(sparse[j]!), sparse[j + 1]!);
}

let encoder: Histogram | undefined;

/** The base64 (`encodeIntoCompressedBase64`) form of the sum of sparse histograms. */
export function encodeSparse(parts: readonly SparseHistogram[]): string {
  encoder ??= newIntervalHistogram();
  encoder.reset();
  for (const p of parts) addSparse(encoder, p);
  return hdr.encodeIntoCompressedBase64(encoder);
}

/** Decodes the base64 form (as found in `RequestIntervalStats.latencyUs`). */
export function decodeHistogram(base64: string): Histogram {
  return hdr.decodeFromCompressedBase64(base64, 64, false);
}

/** Trend statistics in milliseconds, k6's names. */
export interface TrendValues {
  count: number;
  rate: number;
  avg: number;
  min: number;
  med: number;
  max: number;
  'p(90)': number;
  'p(95)': number;
  'p(99)': number;
  'p(99.9)': number;
}

const ms = (us: number): number => Math.round(us) / 1000;

/** k6's trend values (ms) of a histogram of µs; `rate` is count per second over `seconds`. */
export function trendValues(h: Histogram, seconds: number): TrendValues {
  const count = h.totalCount;
  if (count === 0) {
    return { count: 0, rate: 0, avg: 0, min: 0, med: 0, max: 0, 'p(90)': 0, 'p(95)': 0, 'p(99)': 0, 'p(99.9)': 0 };
  }
  return {
    count,
    rate: seconds > 0 ? count / seconds : 0,
    avg: Math.round(h.mean) / 1000,
    min: ms(h.getValueAtPercentile(0)),
    med: ms(h.getValueAtPercentile(50)),
    max: ms(h.maxValue),
    'p(90)': ms(h.getValueAtPercentile(90)),
    'p(95)': ms(h.getValueAtPercentile(95)),
    'p(99)': ms(h.getValueAtPercentile(99)),
    'p(99.9)': ms(h.getValueAtPercentile(99.9)),
  };
}
