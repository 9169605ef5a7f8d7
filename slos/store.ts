/**
 * The SLI store: per SLO, per-minute buckets (good, total, and a mergeable
 * latency histogram for latency SLOs). Writes add to a minute (deltas merge);
 * reads give the evaluator an in-memory index (`view`) and the reports raw
 * buckets and histograms. Two implementations behind one interface: SQLite
 * (`openSqliteStore`, the service's) and memory (`createMemoryStore`, tests
 * and replay).
 */
import { PendingHistograms, mergeHistograms } from './latency.ts';
import type { Slo } from './model.ts';
import { MINUTE_MS, SloIndex } from './sli-index.ts';
import type { MinuteBucket, SliView } from './sli-index.ts';

const DAY_MS = 86_400_000;
/** Reports read five weeks back beyond the SLO window. */
export const REPORT_RETENTION_MS = 35 * DAY_MS;

/** What one write adds to one minute of one SLO. */
export interface BucketDelta {
  /** Epoch ms anywhere in the minute; stored at the minute's start. */
  minute: number;
  good: number;
  total: number;
  /** HDR latency histogram (µs, compressed base64) of the minute's requests, for latency SLOs. */
  latencyUs?: string;
}

export interface SliStore {
  /** Adds deltas to one SLO's minute buckets (durable when it returns, for the SQLite store). */
  append(slo: string, deltas: readonly BucketDelta[]): void;
  /** Several SLOs' deltas in one transaction. */
  appendMany(batch: readonly { slo: string; deltas: readonly BucketDelta[] }[]): void;
  /** The SLO's in-memory index, configured for its budgeting (what `evaluateSlo` reads). */
  view(slo: Slo): SliView;
  /** Buckets with events in `[from, to)` (epoch ms), oldest first. */
  read(slo: string, from: number, to: number): MinuteBucket[];
  /** Merged latency histogram (µs, compressed base64) over `[from, to)`; null when none. */
  readLatency(slo: string, from: number, to: number): string | null;
  /** Drops buckets older than each SLO's retention (window + 5 weeks) and index days the evaluator no longer needs. */
  prune(slos: readonly Slo[], now: number): void;
  /** Writes the open minute's histograms. */
  flush(): void;
  close(): void;
}

/** Longest span the evaluator reads back: the SLO window (a whole calendar month = 31 days) or the longest alert window. */
export function evaluationSpanMs(slo: Slo): number {
  let span = slo.window.kind === 'rolling' ? slo.window.durationMs : slo.window.unit === 'month' ? 31 * DAY_MS : 7 * DAY_MS;
  for (const a of slo.alerting.alerts) for (const p of a.pairs) span = Math.max(span, p.longMs + a.forMs);
  return span;
}

/** How long an SLO's buckets are kept: the evaluation span plus five weeks for reports. */
export function retentionMs(slo: Slo): number {
  return evaluationSpanMs(slo) + REPORT_RETENTION_MS;
}

/** Default retention for buckets of SLOs no longer configured (a 30 day SLO's). */
export const DEFAULT_RETENTION_MS = 30 * DAY_MS + REPORT_RETENTION_MS;

export function minuteStart(ms: number): number {
  return Math.floor(ms / MINUTE_MS) * MINUTE_MS;
}

/**
 * An in-memory store: the index holds every bucket (no horizon), so `read`
 * answers from it. For unit tests and `burnwatch replay`.
 *
 * @example
 * const store = createMemoryStore();
 * store.append('checkout-errors', [{ minute: Date.UTC(2025, 0, 1), good: 990, total: 1000 }]);
 * store.read('checkout-errors', 0, Infinity) // [{ minute: 1735689600000, good: 990, total: 1000 }]
 */
export function createMemoryStore(): SliStore {
  const indexes = new Map<string, SloIndex>();
  const histograms = new Map<string, Map<number, string>>();
  const pending = new PendingHistograms();

  const index = (slo: string): SloIndex => {
    let i = indexes.get(slo);
    if (!i) {
      i = new SloIndex({ method: 'occurrences' });
      indexes.set(slo, i);
    }
    return i;
  };
  const storeHistogram = (slo: string, minute: number, encoded: string): void => {
    let m = histograms.get(slo);
    if (!m) {
      m = new Map();
      histograms.set(slo, m);
    }
    const prev = m.get(minute);
    m.set(minute, prev ? mergeHistograms([prev, encoded])! : encoded);
  };
  const append = (slo: string, deltas: readonly BucketDelta[]): void => {
    const i = index(slo);
    for (const d of deltas) {
      const minute = minuteStart(d.minute);
      i.addMinute(minute / MINUTE_MS, d.good, d.total);
      if (d.latencyUs) {
        const closed = pending.add(slo, minute, d.latencyUs);
        if (closed) storeHistogram(closed.slo, closed.minute, closed.encoded);
      }
    }
  };

  const flush = (): void => {
    for (const c of pending.drain()) storeHistogram(c.slo, c.minute, c.encoded);
  };

  return {
    append,
    appendMany(batch) {
      for (const b of batch) append(b.slo, b.deltas);
    },
    view(slo) {
      const i = index(slo.name);
      i.configure(slo.budgeting);
      return i;
    },
    read(slo, from, to) {
      return indexes.get(slo)?.buckets(from, to) ?? [];
    },
    readLatency(slo, from, to) {
      const parts = [...(histograms.get(slo)?.entries() ?? [])].filter(([m]) => m >= from && m < to).map(([, h]) => h);
      const open = pending.peek(slo, from, to);
      if (open) parts.push(open);
      return mergeHistograms(parts);
    },
    prune(slos, now) {
      const bySlo = new Map(slos.map((s) => [s.name, s]));
      for (const [name, i] of indexes) {
        const slo = bySlo.get(name);
        i.dropBefore(now - (slo ? retentionMs(slo) : DEFAULT_RETENTION_MS));
      }
      for (const [name, m] of histograms) {
        const slo = bySlo.get(name);
        const cutoff = now - (slo ? retentionMs(slo) : DEFAULT_RETENTION_MS);
        for (const minute of m.keys()) if (minute < cutoff) m.delete(minute);
      }
    },
    flush,
    close: flush,
  };
}
