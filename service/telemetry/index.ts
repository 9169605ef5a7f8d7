/**
 * burnwatch's own telemetry: /metrics (OpenMetrics with exemplars, or the
 * classic text format), run and request spans over OTLP, the OTel
 * `http.client.request.duration` metric on the Prometheus exporter's port,
 * and trace ids for the logs.
 */
export { createTelemetry } from './telemetry.ts';
export type { RunInfo, RunSummaryLike, RunTelemetry, Telemetry, TelemetryOptions } from './telemetry.ts';
export type { AlertFiringState } from './slo-metrics.ts';
export { TEXT_CONTENT_TYPE, createRegistry, openMetricsToText, renderMetrics, wantsOpenMetrics } from './exposition.ts';
export type { MetricsRegistry } from './exposition.ts';
export { ATTR, DEFAULT_CACHE_HEADER } from './names.ts';
export { DEFAULT_PROMETHEUS_HOST, DEFAULT_PROMETHEUS_PORT } from './otel-config.ts';
