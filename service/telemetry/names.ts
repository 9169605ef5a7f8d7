/**
 * Telemetry-only names: burnwatch's span attributes (the HTTP ones come from
 * `@opentelemetry/semantic-conventions`). Metric and label names live in
 * `common/conventions.ts`.
 */

/** burnwatch's span attributes. */
export const ATTR = {
  probe: 'burnwatch.probe',
  runId: 'burnwatch.run_id',
  runStatus: 'burnwatch.run.status',
  runStopReason: 'burnwatch.run.stop_reason',
  runScheduled: 'burnwatch.run.scheduled',
  request: 'burnwatch.request',
  outcome: 'burnwatch.outcome',
  /** ms from the request's scheduled start to its end (what the latency histogram measures; > duration when the load generator fell behind). */
  latencyMs: 'burnwatch.latency_ms',
} as const;

/** The response header counted as cache lookups by default. */
export const DEFAULT_CACHE_HEADER = 'x-cache';
