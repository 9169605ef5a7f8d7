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

/**
 * Where a value (µs, 0 … HIGHEST_US) lands in an HDR histogram of the
 * configuration above: bucket b holds values of magnitude 2^(b+10) … with
 * 1,024 sub-buckets each, so the index is `b * 1024 + (v >> b)` —
 * hdr-histogram-js's `countsArrayIndex` for lowestDiscernibleValue 1 and 3
 * significant digits, with `Math.clz32` and shifts instead of its
 * `Math.log2` and three `Math.pow` calls (which made recording a value
 * ~100 ns; this is a few). Values up to 2^32 − 1 (HIGHEST_US is below).
 */
function bucketIndexOf(v: number): number {
  const b = Math.max(0, 21 - Math.clz32(v));
  return (b << 10) + (v >>> b);
}

/** How many counts the configuration needs: one past the index of HIGHEST_US. */
const COUNTS_LENGTH = bucketIndexOf(HIGHEST_US) + 1;

/**
 * The worker's recording histogram for one interval: counts in the HDR
 * layout of `newIntervalHistogram` (the main thread turns its sparse form
 * back into values with hdr-histogram-js), recorded without
 * hdr-histogram-js's per-value cost — the load engine records three to
 * four values per request. Tracks the range of indexes used, so that
 * `toSparse` and `reset` touch only that. probes/histogram.test.ts pins
 * the layout against hdr-histogram-js.
 */
export class IntervalRecorder {
  private readonly counts = new Uint32Array(COUNTS_LENGTH);
  private lo = COUNTS_LENGTH;
  private hi = -1;
  /** Values recorded since the last reset. */
  totalCount = 0;

  /** Records `us` (rounded; negative counts as 0, above HIGHEST_US as HIGHEST_US). */
  record(us: number): void {
    const i = bucketIndexOf(us < 0 ? 0 : us > HIGHEST_US ? HIGHEST_US : Math.round(us));
    this.counts[i]!++;
    if (i > this.hi) this.hi = i;
    if (i < this.lo) this.lo = i;
    this.totalCount++;
  }

  /** Adds every count of `other` to this one. */
  add(other: IntervalRecorder): void {
    const src = other.counts;
    for (let i = other.lo; i <= other.hi; i++) {
      const c = src[i]!;
      if (c !== 0) this.counts[i]! += c;
    }
    if (other.totalCount === 0) return;
    if (other.hi > this.hi) this.hi = other.hi;
    if (other.lo < this.lo) this.lo = other.lo;
    this.totalCount += other.totalCount;
  }

  /** The non-zero buckets as sparse pairs (the indexes an HDR histogram of this configuration would use). */
  toSparse(): SparseHistogram {
    if (this.totalCount === 0) return EMPTY_SPARSE;
    const counts = this.counts;
    let n = 0;
    for (let i = this.lo; i <= this.hi; i++) if (counts[i] !== 0) n++;
    const out = new Uint32Array(n * 2);
    let j = 0;
    for (let i = this.lo; i <= this.hi; i++) {
      const c = counts[i]!;
      if (c !== 0) {
        out[j++] = i;
        out[j++] = c;
      }
    }
    return out;
  }

  reset(): void {
    if (this.hi >= this.lo) this.counts.fill(0, this.lo, this.hi + 1);
    this.lo = COUNTS_LENGTH;
    this.hi = -1;
    this.totalCount = 0;
  }
}

interface IndexedHistogram {
  valueFromIndex(index: number): number;
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
