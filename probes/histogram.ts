/**
 * HDR histograms of microseconds, one configuration everywhere so that the
 * bucket indexes of a worker's histogram mean the same in the main thread.
 *
 * Workers ship an interval's histogram as a sparse list of (bucket index,
 * count) pairs — a few hundred numbers, structured-cloned — instead of the
 * compressed base64 form, which costs a deflate and an inflate per
 * histogram per interval. Base64 (the contract of `IntervalSnapshot`) is
 * produced only when a consumer asked for snapshots.
 *
 * Trend values (min, med, avg, max, p(N)) follow k6: see `trendValues`.
 */
import * as hdr from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';

/** 1 µs … 1 h, 3 significant digits (0.1 % value resolution, as wrk2). Larger values are clamped. */
export const HIGHEST_US = 3_600_000_000;

/** Sparse histogram: `[index0, count0, index1, count1, ...]`. */
export type SparseHistogram = Uint32Array;

export const EMPTY_SPARSE: SparseHistogram = new Uint32Array(0);

/*
 * The histograms below are hdr-histogram-js's, with k6's trend semantics
 * wherever a reader asks for a trend value through the `Histogram` API
 * (thresholds, windowed ones too, read `getValueAtPercentile`, `maxValue`
 * and `mean`; run.ts its progress p95 and start-lag warning), so that they
 * agree with `trendValues` (the summary):
 *   - `getValueAtPercentile(p)` is k6's percentile (`percentileUs`), not
 *     HDR's nearest rank; `getValueAtPercentile(0)` is the min, 100 the max;
 *   - `mean` is the mean of the bucket representatives (`meanUs`), not of
 *     HDR's bucket midpoints;
 *   - `maxValue` is the representative of the highest bucket, whichever
 *     value in it was recorded (`addSparse` records a bucket's lowest
 *     value; hdr-histogram-js would keep that as the max).
 * Layout, counts, add/subtract and the encoding are hdr-histogram-js's.
 */

/** hdr-histogram-js's typed-array histogram classes (Int32Histogram, Float64Histogram: the same members). */
type JsHistogramClass = new (lowestDiscernibleValue: number, highestTrackableValue: number, numberOfSignificantValueDigits: number) => hdr.Int32Histogram;

/** `Base` with k6's trend semantics (above). */
function withTrendSemantics(Base: JsHistogramClass): JsHistogramClass {
  return class extends Base {
    override getValueAtPercentile(percentile: number): number {
      return percentileUs(this, percentile);
    }
    override get mean(): number {
      return meanUs(this);
    }
    override updateMinAndMax(value: number): void {
      if (value > this.maxValue || (value !== 0 && value < this.minNonZeroValue)) super.updateMinAndMax(this.highestEquivalentValue(value));
    }
  };
}

/** 32-bit counts: interval and window aggregates on the main thread. */
const IntervalTrendHistogram = withTrendSemantics(hdr.Int32Histogram);
/** 64-bit counts: whole-run aggregates. */
const TotalTrendHistogram = withTrendSemantics(hdr.Float64Histogram);

/** A histogram for an interval or a window (32-bit counts, reset every interval). */
export function newIntervalHistogram(): Histogram {
  return new IntervalTrendHistogram(1, HIGHEST_US, 3);
}

/** A histogram for accumulating (main thread: 64-bit counts, a 24 h run cannot overflow a bucket). */
export function newTotalHistogram(): Histogram {
  return new TotalTrendHistogram(1, HIGHEST_US, 3);
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

/** What hdr-histogram-js's JS histograms (`JsHistogram`) have beyond the `Histogram` interface. */
interface IndexedHistogram {
  readonly totalCount: number;
  readonly countsArrayLength: number;
  getCountAtIndex(index: number): number;
  valueFromIndex(index: number): number;
  highestEquivalentValue(value: number): number;
  addToCountAtIndex(index: number, count: number): void;
  addToTotalCount(count: number): void;
  updateMinAndMax(value: number): void;
}

/**
 * Adds sparse pairs (from a histogram of the same configuration) into `h`,
 * each count at its bucket's lowest value (the histograms of this module
 * report the bucket's representative whatever value in it was recorded).
 *
 * The counts go straight to their indexes (the layout is the same), with
 * the total and min/max updated once per call: hdr-histogram-js's
 * `recordValueWithCount` would recompute each pair's index from its value
 * (`Math.log2`, `Math.pow`), ~100 ns a pair — most of the main thread's
 * time when windowed thresholds re-merge their window every interval.
 * The result is the one `recordValueWithCount` gives pair by pair.
 */
export function addSparse(h: Histogram, sparse: SparseHistogram): void {
  if (sparse.length === 0) return;
  const ih = h as unknown as IndexedHistogram;
  const length = ih.countsArrayLength;
  let total = 0;
  let lowest = -1;
  let highest = -1;
  for (let j = 0; j < sparse.length; j += 2) {
    const i = sparse[j]!;
    const c = sparse[j + 1]!;
    if (i >= length) {
      // Outside this configuration: hdr-histogram-js's own handling (it throws).
      h.recordValueWithCount(ih.valueFromIndex(i), c);
      continue;
    }
    ih.addToCountAtIndex(i, c);
    total += c;
    if (i > highest) highest = i;
    if (i !== 0 && (lowest < 0 || i < lowest)) lowest = i;
  }
  ih.addToTotalCount(total);
  if (highest >= 0) ih.updateMinAndMax(ih.valueFromIndex(highest));
  if (lowest >= 0) ih.updateMinAndMax(ih.valueFromIndex(lowest));
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

/**
 * The value every recorded value in bucket `index` of `h` stands for: the
 * bucket's highest equivalent value (µs).
 *
 * That is HDR's convention for a reported value ("at most this"), as in
 * hdr-histogram-js's `getValueAtPercentile`, `countWithin` in
 * slos/latency.ts and the Prometheus/OTel export in service/telemetry.
 * Every trend value (min, med, avg, max, p(N)) is then k6's trend value of
 * the recorded values each rounded up to the top of its bucket, which
 *   - never puts a value below k6's on the exact samples, and at most one
 *     bucket width above it: 2^-10 (< 0.1 %) of the value, exact below
 *     2,048 µs (apart from the rounding to whole µs, when recording and of
 *     each result) — so an
 *     upper-bound threshold (`p(95)<500`, `max<1000`) never passes where
 *     k6 would fail it, and may fail when the value is within 0.1 % below
 *     its limit;
 *   - keeps min ≤ med ≤ p(90) ≤ … ≤ p(99.9) ≤ max and min ≤ avg ≤ max, since
 *     every value is read from the same rounded-up samples.
 * (Exact min and max do not exist: workers ship bucket counts only.)
 */
function representative(ih: IndexedHistogram, index: number): number {
  return ih.highestEquivalentValue(ih.valueFromIndex(index));
}

/**
 * k6's percentile (`TrendSink.P`) of a histogram of µs, `percentile` 0–100:
 * with the n recorded values sorted, i = p/100 · (n − 1), and the result
 * interpolates linearly between the values at 0-based ranks ⌊i⌋ and ⌈i⌉,
 * the value at a rank being the representative of the bucket holding it
 * (see `representative`). One value is itself; none is 0. p(0) is the
 * min, p(100) the max.
 */
export function percentileUs(h: Histogram, percentile: number): number {
  const ih = h as unknown as IndexedHistogram;
  const n = ih.totalCount;
  if (n <= 0) return 0;
  const i = (Math.min(100, Math.max(0, percentile)) / 100) * (n - 1);
  const lo = Math.floor(i);
  const hi = Math.ceil(i);
  let seen = 0;
  let j = NaN;
  let last = 0;
  for (let b = 0; b < ih.countsArrayLength; b++) {
    const c = ih.getCountAtIndex(b);
    if (c <= 0) continue;
    seen += c;
    if (seen > lo && Number.isNaN(j)) j = representative(ih, b);
    if (seen > hi) {
      const k = representative(ih, b);
      // Whole µs, as recorded and as the summary shows: a threshold compares the value the summary prints.
      return Math.round(j + (k - j) * (i - lo));
    }
    last = b;
  }
  return representative(ih, last); // counts short of totalCount: the highest bucket
}

/** The sum (µs) of the values of a histogram of µs, each taken as its bucket's representative (see `representative`). */
export function sumUs(h: Histogram): number {
  const ih = h as unknown as IndexedHistogram;
  const n = ih.totalCount;
  let sum = 0;
  let seen = 0;
  for (let b = 0; b < ih.countsArrayLength && seen < n; b++) {
    const c = ih.getCountAtIndex(b);
    if (c <= 0) continue;
    seen += c;
    sum += representative(ih, b) * c;
  }
  return sum;
}

/** The mean (µs, whole) of a histogram of µs over the same bucket representatives as `percentileUs`. */
export function meanUs(h: Histogram): number {
  const n = h.totalCount;
  return n > 0 ? Math.round(sumUs(h) / n) : 0;
}

const ms = (us: number): number => Math.round(us) / 1000;

/**
 * k6's trend values (ms) of a histogram of µs; `rate` is count per second
 * over `seconds`. Percentiles interpolate between the closest ranks as k6
 * does (`percentileUs`: med is p(50), min p(0), max p(100)), avg is
 * `meanUs`: every value within 0.1 % (or 1 µs) of k6's on the exact
 * samples, rounded up rather than down (see `representative`). Any
 * hdr-histogram-js JS histogram of this configuration, a decoded snapshot
 * too, gives these values.
 */
export function trendValues(h: Histogram, seconds: number): TrendValues {
  const count = h.totalCount;
  if (count === 0) {
    return { count: 0, rate: 0, avg: 0, min: 0, med: 0, max: 0, 'p(90)': 0, 'p(95)': 0, 'p(99)': 0, 'p(99.9)': 0 };
  }
  return {
    count,
    rate: seconds > 0 ? count / seconds : 0,
    avg: ms(meanUs(h)),
    min: ms(percentileUs(h, 0)),
    med: ms(percentileUs(h, 50)),
    max: ms(percentileUs(h, 100)),
    'p(90)': ms(percentileUs(h, 90)),
    'p(95)': ms(percentileUs(h, 95)),
    'p(99)': ms(percentileUs(h, 99)),
    'p(99.9)': ms(percentileUs(h, 99.9)),
  };
}
