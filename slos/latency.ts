/**
 * Latency histograms kept beside the SLI buckets: HDR histograms in µs, in the
 * probes' encoding (hdr-histogram-js compressed base64), merged per minute.
 * The SLIs never need them (latency SLIs count exact `within` counts; a
 * percentile per timeslice is a ratio: p99 ≤ T ⟺ at least 99 % within T); the
 * weekly report reads percentiles from them.
 */
import { decodeFromCompressedBase64, encodeIntoCompressedBase64 } from 'hdr-histogram-js';
import type { Histogram, JsHistogram } from 'hdr-histogram-js';

export function decodeHistogram(b64: string): Histogram {
  const h = decodeFromCompressedBase64(b64, 32, false);
  h.autoResize = true;
  return h;
}

export function encodeHistogram(h: Histogram): string {
  return encodeIntoCompressedBase64(h);
}

/**
 * Merges encoded histograms into one (null when none is given).
 *
 * @example
 * mergeHistograms([a, b]) // encoded a + b
 */
export function mergeHistograms(encoded: readonly string[]): string | null {
  if (encoded.length === 0) return null;
  if (encoded.length === 1) return encoded[0]!;
  const acc = decodeHistogram(encoded[0]!);
  for (const e of encoded.slice(1)) acc.add(decodeHistogram(e));
  return encodeHistogram(acc);
}

/**
 * How many recorded values are at most `thresholdUs`, from the histogram
 * (conservative: a bucket counts only when its highest equivalent value is
 * within the threshold). Used only when a snapshot has no exact `within` count.
 */
export function countWithin(b64: string, thresholdUs: number): number {
  const h = decodeHistogram(b64) as JsHistogram;
  const it = h.recordedValuesIterator;
  it.reset();
  let n = 0;
  while (it.hasNext()) {
    const v = it.next();
    if (v.valueIteratedTo > thresholdUs) break;
    n += v.countAtValueIteratedTo;
  }
  return n;
}

/**
 * Histograms of the minute being written, per SLO, merged in memory and handed
 * out once the minute is over (so a histogram is encoded once a minute, not on
 * every 1 s snapshot).
 */
export class PendingHistograms {
  private readonly open = new Map<string, { minute: number; hist: Histogram }>();

  /** Adds a histogram for `slo` at `minute`; returns the previous minute's merged histogram when the minute changed. */
  add(slo: string, minute: number, b64: string): { slo: string; minute: number; encoded: string } | null {
    const cur = this.open.get(slo);
    const h = decodeHistogram(b64);
    if (cur && cur.minute === minute) {
      cur.hist.add(h);
      return null;
    }
    this.open.set(slo, { minute, hist: h });
    return cur ? { slo, minute: cur.minute, encoded: encodeHistogram(cur.hist) } : null;
  }

  /** Everything still open, encoded; clears it. */
  drain(): { slo: string; minute: number; encoded: string }[] {
    const out = [...this.open.entries()].map(([slo, v]) => ({ slo, minute: v.minute, encoded: encodeHistogram(v.hist) }));
    this.open.clear();
    return out;
  }

  /** The open histogram of `slo` when it falls in `[from, to)`. */
  peek(slo: string, from: number, to: number): string | null {
    const cur = this.open.get(slo);
    if (!cur || cur.minute < from || cur.minute >= to) return null;
    return encodeHistogram(cur.hist);
  }
}
