/**
 * The probe series on /metrics, fed from the load engine's interval
 * snapshots: counters add each interval's counts, the duration histogram's
 * buckets add each interval's exact `within` counts (see `exact-histogram.ts`),
 * exemplars point at sampled requests' traces.
 */
import client from 'prom-client';
import { LABEL, LATENCY_BUCKETS_SECONDS, METRIC, OUTCOMES } from '../../common/index.ts';
import type { IntervalSnapshot, RequestIntervalStats } from '../../probes/index.ts';
import type { Logger } from '../logger.ts';
import { ExactHistogram, monotone } from './exact-histogram.ts';
import type { MetricsRegistry } from './exposition.ts';
import type { DecodedLatency } from './hdr.ts';

/**
 * Registers Node.js process metrics, minus the gauges prom-client names
 * `*_total` (`nodejs_active_handles_total` …): `promtool check metrics`
 * rightly flags a `_total` that is not a counter, and the same numbers are
 * the sums of their by-type siblings (`nodejs_active_handles{type}`).
 */
export function registerProcessMetrics(registry: MetricsRegistry): void {
  client.collectDefaultMetrics({ register: registry });
  for (const m of registry.getMetricsAsArray()) {
    const { name, type } = m as unknown as { name: string; type: string };
    if (type === 'gauge' && name.endsWith('_total')) registry.removeSingleMetric(name);
  }
}

export class ProbeMetrics {
  private readonly requests: client.Counter;
  private readonly duration: ExactHistogram;
  private readonly dropped: client.Counter;
  private readonly vus: client.Gauge;
  private readonly vusBusy: client.Gauge;
  private readonly runs: client.Counter;
  private readonly skipped: client.Counter;
  private readonly cache: client.Counter;
  /** Probes whose runs did not count every bucket bound; warned once each. */
  private readonly approximated = new Set<string>();
  private inconsistentWarned = false;

  constructor(
    registry: MetricsRegistry,
    private readonly log: Logger,
    private readonly cacheHeader: string,
  ) {
    const registers = [registry];
    this.requests = new client.Counter({
      name: METRIC.probeRequestsTotal,
      help: 'Probe requests by outcome class (ok, http_error, assertion_failed, timeout, connect_error, reset).',
      labelNames: [LABEL.probe, LABEL.request, LABEL.outcome],
      registers,
    });
    this.duration = new ExactHistogram(
      METRIC.probeRequestDurationSeconds,
      'Latency of probe requests with outcome ok (from the scheduled start for open-model executors); bucket counts are exact. Failed requests are in burnwatch_probe_requests_total only.',
      LATENCY_BUCKETS_SECONDS,
      registry,
    );
    this.dropped = new client.Counter({
      name: METRIC.probeDroppedIterationsTotal,
      help: 'Iterations a probe could not start: no free VU (arrival-rate executors), or left unstarted when maxDuration ended (shared-iterations, per-vu-iterations).',
      labelNames: [LABEL.probe],
      registers,
    });
    this.vus = new client.Gauge({
      name: METRIC.probeVus,
      help: 'Virtual users of the probe run now, as k6 counts vus (closed-model executors: active; arrival-rate: allocated, busy or idle); 0 when the probe is not running.',
      labelNames: [LABEL.probe],
      registers,
    });
    this.vusBusy = new client.Gauge({
      name: METRIC.probeVusBusy,
      help: 'The most virtual users busy at once in the probe run\'s last interval: with a request in flight, and in the open model also in their think time (sleep), when they cannot take an arrival; 0 when the probe is not running.',
      labelNames: [LABEL.probe],
      registers,
    });
    this.runs = new client.Counter({
      name: METRIC.probeRunsTotal,
      help: 'Finished probe runs by status (passed, failed, aborted, error).',
      labelNames: [LABEL.probe, LABEL.status],
      registers,
    });
    this.skipped = new client.Counter({
      name: METRIC.probeRunsSkippedTotal,
      help: 'Scheduled probe runs that did not start, by reason.',
      labelNames: [LABEL.probe, LABEL.reason],
      registers,
    });
    this.cache = new client.Counter({
      name: METRIC.probeCacheLookupsTotal,
      help: `Probe responses carrying the ${cacheHeader} header, by its lower-cased value.`,
      labelNames: [LABEL.probe, LABEL.request, LABEL.result],
      registers,
    });
  }

  /** The bounds (ms) whose exact `within` counts the histogram needs. */
  get boundsMs(): readonly number[] {
    return this.duration.boundsMs;
  }

  runStarted(probe: string): void {
    // Series exist (at 0) from the first run on, so rate() sees the first increase.
    this.dropped.inc({ [LABEL.probe]: probe }, 0);
    this.vus.set({ [LABEL.probe]: probe }, 0);
    this.vusBusy.set({ [LABEL.probe]: probe }, 0);
  }

  runEnded(probe: string, status: string): void {
    this.runs.inc({ [LABEL.probe]: probe, [LABEL.status]: status });
    this.vus.set({ [LABEL.probe]: probe }, 0);
    this.vusBusy.set({ [LABEL.probe]: probe }, 0);
  }

  runSkipped(probe: string, reason: string): void {
    this.skipped.inc({ [LABEL.probe]: probe, [LABEL.reason]: reason });
  }

  /** Adds one interval; `latency[i]` is `snapshot.requests[i].latencyUs` decoded. */
  /** `cacheHeader` overrides the default cache header for this snapshot's run (lower-case). */
  interval(snapshot: IntervalSnapshot, latency: readonly DecodedLatency[], cacheHeader = this.cacheHeader): void {
    const probe = snapshot.probe;
    snapshot.requests.forEach((r, i) => this.request(probe, r, latency[i]!, cacheHeader));
    if (snapshot.droppedIterations > 0) this.dropped.inc({ [LABEL.probe]: probe }, snapshot.droppedIterations);
    this.vus.set({ [LABEL.probe]: probe }, snapshot.vus);
    this.vusBusy.set({ [LABEL.probe]: probe }, snapshot.vusBusy);
    for (const s of snapshot.samples) {
      this.duration.exemplar({ probe, request: s.request }, s.latencyMs, s.traceId, s.spanId, s.startTime + s.durationMs);
    }
  }

  private request(probe: string, r: RequestIntervalStats, latency: DecodedLatency, cacheHeader: string): void {
    let total = 0;
    for (const outcome of OUTCOMES) {
      const n = r.outcomes[outcome] ?? 0;
      total += n;
      this.requests.inc({ [LABEL.probe]: probe, [LABEL.request]: r.request, [LABEL.outcome]: outcome }, n);
    }
    // The histogram holds ok requests (what `within` counts); failures show in the requests counter.
    const ok = r.outcomes.ok ?? 0;
    const bounds = this.duration.boundsMs;
    let cumulative: number[] = bounds.map((ms) => r.within[String(ms)] ?? Number.NaN);
    if (ok > 0 && cumulative.some(Number.isNaN)) {
      cumulative = fromHdr(bounds, latency).map((n) => Math.min(n, ok));
      if (!this.approximated.has(probe)) {
        this.approximated.add(probe);
        this.log.warn('probe run did not count every histogram bucket bound; buckets approximated from its HDR histogram (0.1% resolution)', {
          probe,
          expected_thresholds_ms: bounds,
        });
      }
    } else if (ok === 0) cumulative.fill(0);
    if (monotone(cumulative, ok) && !this.inconsistentWarned) {
      this.inconsistentWarned = true;
      this.log.warn('probe snapshot had within-threshold counts that decrease or exceed the request count; clamped them', { probe, request: r.request });
    }
    // _sum: the HDR mean covers every outcome; scaled to the ok count it is the best figure the snapshot carries.
    this.duration.add({ probe, request: r.request }, cumulative, ok, total > 0 ? (latency.sumUs / total / 1e6) * ok : 0);
    const values = r.headers[cacheHeader];
    if (values) {
      for (const [value, n] of Object.entries(values)) {
        if (value === '' || !(n > 0)) continue; // '' = no such header: not a cache lookup
        this.cache.inc({ [LABEL.probe]: probe, [LABEL.request]: r.request, [LABEL.result]: value.toLowerCase() }, n);
      }
    }
  }
}

/** Cumulative bucket counts from the HDR histogram, each value at the top of its HDR bucket. */
function fromHdr(boundsMs: readonly number[], latency: DecodedLatency): number[] {
  const counts = new Array<number>(boundsMs.length).fill(0);
  latency.forEachValue((us, n) => {
    const ms = us / 1000;
    for (let i = 0; i < boundsMs.length; i++) if (ms <= boundsMs[i]!) counts[i]! += n;
  });
  return counts;
}
