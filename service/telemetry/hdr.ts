/**
 * Reading the load engine's HDR latency histograms (hdr-histogram-js 3,
 * `encodeIntoCompressedBase64`, µs). The encoding carries its own range and
 * precision; only the counter width and the JS (not WebAssembly)
 * implementation are chosen here, as `probes/histogram.ts` decodes. Decoded
 * here rather than through `probes/index.ts` so that reading a snapshot does
 * not load the engine's worker and HTTP modules.
 */
import * as hdr from 'hdr-histogram-js';
import { sumUs } from '../../probes/histogram.ts';

export interface DecodedLatency {
  /** Number of recorded values. */
  count: number;
  /** Sum of the recorded values in µs (HDR mean × count: each value at its bucket's representative). */
  sumUs: number;
  /**
   * Calls `visit` once per distinct recorded bucket with the highest value
   * equivalent to it (µs, HDR's iteration convention: "at most this") and how
   * many values it holds. No call per request.
   */
  forEachValue(visit: (valueUs: number, count: number) => void): void;
}

const EMPTY: DecodedLatency = { count: 0, sumUs: 0, forEachValue: () => {} };

/** Decodes `RequestIntervalStats.latencyUs`; an empty string is an empty histogram. */
export function decodeLatency(base64: string): DecodedLatency {
  if (base64 === '') return EMPTY;
  const h = hdr.decodeFromCompressedBase64(base64, 64, false);
  if (!(h instanceof hdr.JsHistogram)) throw new Error('hdr-histogram-js decoded into a non-JS histogram; expected the JS implementation');
  const count = h.totalCount;
  if (count === 0) return EMPTY;
  return {
    count,
    sumUs: sumUs(h),
    forEachValue(visit) {
      const it = h.recordedValuesIterator;
      it.reset();
      while (it.hasNext()) {
        const v = it.next();
        visit(v.valueIteratedTo, v.countAddedInThisIterationStep);
      }
    },
  };
}
