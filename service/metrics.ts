/**
 * Kept for `service/service.ts`: the /metrics exposition now lives in
 * `service/telemetry/` (its registry, content negotiation and text-format
 * conversion, beside the series it renders).
 */
export { TEXT_CONTENT_TYPE, createRegistry, openMetricsToText, renderMetrics, wantsOpenMetrics } from './telemetry/index.ts';
export type { MetricsRegistry } from './telemetry/index.ts';
