/**
 * The demo target's Prometheus series, on a registry of its own (never
 * prom-client's global registry: burnwatch's service exposes that one).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { LATENCY_BUCKETS_SECONDS } from '../../common/index.ts';

/** Every series name the demo target exposes. */
export const DEMO_METRIC = {
  requestDurationSeconds: 'demo_http_request_duration_seconds',
  cacheHitsTotal: 'demo_cache_hits_total',
  cacheMissesTotal: 'demo_cache_misses_total',
  eventsIngestedTotal: 'demo_events_ingested_total',
  eventsDroppedTotal: 'demo_events_dropped_total',
  eventQueueDepth: 'demo_event_queue_depth',
  rateLimitedTotal: 'demo_rate_limited_total',
  circuitBreakerState: 'demo_circuit_breaker_state',
  injectedErrorsTotal: 'demo_injected_errors_total',
  leakedBytes: 'demo_leaked_bytes',
} as const;

/** Prefix of the process metrics (`demo_process_resident_memory_bytes`, …). */
export const DEMO_DEFAULT_METRICS_PREFIX = 'demo_';

/** Read at scrape time, so the gauges never go stale. */
export interface GaugeSources {
  breakerState: () => number;
  queueDepth: () => number;
  leakedBytes: () => number;
}

/** A histogram child bound to one (method, route, status). */
export interface DurationObserver {
  observe(seconds: number): void;
}

export interface DemoMetrics {
  readonly registry: Registry;
  readonly requestDuration: Histogram<'method' | 'route' | 'status'>;
  readonly cacheHits: { experiment: Counter.Internal; flag: Counter.Internal };
  readonly cacheMisses: { experiment: Counter.Internal; flag: Counter.Internal };
  readonly eventsIngested: Counter;
  readonly eventsDropped: Counter<'reason'>;
  readonly rateLimited: Counter;
  readonly injectedErrors: Counter;
}

/**
 * Creates the registry and its series. With `defaultMetrics` the process
 * series (memory, CPU, event-loop lag, GC) are collected on the same
 * registry under the `demo_` prefix.
 *
 * @example
 * const metrics = createDemoMetrics(sources, true);
 * await metrics.registry.metrics(); // text exposition format
 */
export function createDemoMetrics(sources: GaugeSources, defaultMetrics: boolean): DemoMetrics {
  const registry = new Registry();
  const registers = [registry];
  const requestDuration = new Histogram({
    name: DEMO_METRIC.requestDurationSeconds,
    help: 'Time from request arrival to response, by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [...LATENCY_BUCKETS_SECONDS],
    registers,
  });
  const hits = new Counter({ name: DEMO_METRIC.cacheHitsTotal, help: 'Config reads answered from the cache.', labelNames: ['cache'] as const, registers });
  const misses = new Counter({
    name: DEMO_METRIC.cacheMissesTotal,
    help: 'Config reads that went to the store (including reads with the cache disabled).',
    labelNames: ['cache'] as const,
    registers,
  });
  const eventsIngested = new Counter({ name: DEMO_METRIC.eventsIngestedTotal, help: 'Events accepted into the ingestion queue.', registers });
  const eventsDropped = new Counter({
    name: DEMO_METRIC.eventsDroppedTotal,
    help: 'Accepted events the aggregator could not count (unknown experiment or variant).',
    labelNames: ['reason'] as const,
    registers,
  });
  const rateLimited = new Counter({ name: DEMO_METRIC.rateLimitedTotal, help: 'Requests refused with 429 by the per-client rate limit.', registers });
  const injectedErrors = new Counter({ name: DEMO_METRIC.injectedErrorsTotal, help: 'Requests failed on purpose by the errorRate fault.', registers });
  new Gauge({
    name: DEMO_METRIC.circuitBreakerState,
    help: 'State of the analytics circuit breaker: 0 closed, 1 open, 2 half-open.',
    labelNames: ['breaker'] as const,
    registers,
    collect() {
      this.set({ breaker: 'results' }, sources.breakerState());
    },
  });
  new Gauge({
    name: DEMO_METRIC.eventQueueDepth,
    help: 'Events waiting in the ingestion queue.',
    registers,
    collect() {
      this.set(sources.queueDepth());
    },
  });
  new Gauge({
    name: DEMO_METRIC.leakedBytes,
    help: 'Bytes retained by the leakBytesPerRequest fault.',
    registers,
    collect() {
      this.set(sources.leakedBytes());
    },
  });
  if (defaultMetrics) collectDefaultMetrics({ register: registry, prefix: DEMO_DEFAULT_METRICS_PREFIX });
  // Initialise the labelled series so they are exported (at 0) before the first event.
  for (const reason of ['unknown_experiment', 'unknown_variant']) eventsDropped.labels(reason);
  return {
    registry,
    requestDuration,
    cacheHits: { experiment: hits.labels('experiment'), flag: hits.labels('flag') },
    cacheMisses: { experiment: misses.labels('experiment'), flag: misses.labels('flag') },
    eventsIngested,
    eventsDropped,
    rateLimited,
    injectedErrors,
  };
}
