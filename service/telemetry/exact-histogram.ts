/**
 * A histogram family whose bucket counts are added in bulk, exactly, from
 * the load engine's `within` counts, with one exemplar per bucket.
 *
 * Why a custom collector and not prom-client's `Histogram`: it has no bulk
 * API — reproducing exact counts would mean one `observe()` per request
 * (10K RPS = 10K calls a second) from a synthetic value per bucket, and its
 * `_sum` would be fiction. Why not an own OpenMetrics writer appended before
 * `# EOF`: that would duplicate prom-client's escaping and number formatting
 * and need the text-format conversion to know about a second writer. This
 * object has the shape prom-client's `Registry` reads (`name`, `help`,
 * `type`, `aggregator`, `get()`, `reset()`), so the registry serialises it
 * like its own families, exemplars included, in one pass and one format.
 */
import { EXEMPLAR_LABEL } from '../../common/index.ts';
import type client from 'prom-client';
import type { MetricsRegistry } from './exposition.ts';

export interface HistogramLabels {
  probe: string;
  request: string;
}

interface Exemplar {
  labelSet: Record<string, string>;
  /** Seconds. */
  value: number;
  /** Epoch seconds. */
  timestamp: number;
}

interface Series {
  labels: HistogramLabels;
  /** Cumulative: requests with latency ≤ bound i. */
  cumulative: number[];
  count: number;
  /** Seconds. */
  sum: number;
  /** One per bucket, the last one +Inf. */
  exemplars: (Exemplar | undefined)[];
}

interface SampleValue {
  metricName: string;
  labels: Record<string, string>;
  value: number;
  exemplar?: Exemplar;
}

/** A bound in seconds as milliseconds, without float noise (0.075 s → 75). */
export function secondsToMs(seconds: number): number {
  return Math.round(seconds * 1e6) / 1e3;
}

export class ExactHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly boundsMs: readonly number[];
  private readonly leLabels: string[];
  private readonly series = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly help: string,
    /** Upper bounds in seconds, increasing, without +Inf. */
    readonly boundsSeconds: readonly number[],
    registry: MetricsRegistry,
  ) {
    for (let i = 1; i < boundsSeconds.length; i++) {
      if (!(boundsSeconds[i]! > boundsSeconds[i - 1]!)) throw new Error(`histogram ${name}: bucket bounds must increase`);
    }
    this.boundsMs = boundsSeconds.map(secondsToMs);
    this.leLabels = [...boundsSeconds.map(String), '+Inf'];
    // prom-client types `registerMetric` as the union of its own classes; this
    // object is the structural subset its Registry uses (see the file comment).
    registry.registerMetric(this as unknown as client.Metric);
  }

  private seriesFor(labels: HistogramLabels): Series {
    const key = `${labels.probe}\u0000${labels.request}`;
    let s = this.series.get(key);
    if (s === undefined) {
      s = {
        labels: { probe: labels.probe, request: labels.request },
        cumulative: new Array<number>(this.boundsMs.length).fill(0),
        count: 0,
        sum: 0,
        exemplars: new Array<Exemplar | undefined>(this.boundsMs.length + 1).fill(undefined),
      };
      this.series.set(key, s);
    }
    return s;
  }

  /**
   * Adds an interval: `cumulative[i]` requests finished within bound i, of
   * `count` in all, summing `sumSeconds`. The caller guarantees
   * non-decreasing counts ≤ count (see `monotone`).
   */
  add(labels: HistogramLabels, cumulative: readonly number[], count: number, sumSeconds: number): void {
    const s = this.seriesFor(labels);
    for (let i = 0; i < s.cumulative.length; i++) s.cumulative[i]! += cumulative[i] ?? 0;
    s.count += count;
    s.sum += sumSeconds;
  }

  /** Sets the exemplar of the bucket a latency of `latencyMs` falls in (≤ bound, as the engine counts `within`). */
  exemplar(labels: HistogramLabels, latencyMs: number, traceId: string, spanId: string, timestampMs: number): void {
    if (!Number.isFinite(latencyMs) || !Number.isFinite(timestampMs)) return;
    const s = this.series.get(`${labels.probe}\u0000${labels.request}`);
    if (s === undefined) return;
    let i = 0;
    while (i < this.boundsMs.length && latencyMs > this.boundsMs[i]!) i++;
    s.exemplars[i] = {
      labelSet: { [EXEMPLAR_LABEL.traceId]: traceId, [EXEMPLAR_LABEL.spanId]: spanId },
      value: Math.max(0, latencyMs) / 1000,
      timestamp: timestampMs / 1000,
    };
  }

  /** What prom-client's Registry serialises. */
  get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: SampleValue[] }> {
    const values: SampleValue[] = [];
    for (const s of this.series.values()) {
      const base = { probe: s.labels.probe, request: s.labels.request };
      for (let i = 0; i <= s.cumulative.length; i++) {
        const v: SampleValue = {
          metricName: `${this.name}_bucket`,
          labels: { ...base, le: this.leLabels[i]! },
          value: i < s.cumulative.length ? s.cumulative[i]! : s.count,
        };
        const e = s.exemplars[i];
        if (e !== undefined) v.exemplar = e;
        values.push(v);
      }
      values.push({ metricName: `${this.name}_sum`, labels: base, value: s.sum });
      values.push({ metricName: `${this.name}_count`, labels: base, value: s.count });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values });
  }

  /** `Registry.resetMetrics()` calls this. */
  reset(): void {
    this.series.clear();
  }
}

/**
 * Makes per-bucket counts valid for a histogram: non-decreasing and at most
 * `count`. Returns whether anything had to change (the engine reported
 * inconsistent counts), so the caller can say so; an invalid histogram would
 * make Prometheus reject the whole scrape.
 */
export function monotone(cumulative: number[], count: number): boolean {
  let changed = false;
  let prev = 0;
  for (let i = 0; i < cumulative.length; i++) {
    let c = cumulative[i]!;
    if (!Number.isFinite(c) || c < prev) c = prev;
    if (c > count) c = count;
    if (c !== cumulative[i]) changed = true;
    cumulative[i] = c;
    prev = c;
  }
  return changed;
}
