/**
 * The /metrics HELP of burnwatch_probe_vus_busy says what it counts.
 *
 * Today the load engine counts an open-model VU in its think time (sleep,
 * minIterationDuration's padding) as busy (probes/README.md: "`vus_busy`
 * counts VUs with a request in flight; in the open model also those in their
 * think time"). The /metrics HELP of the gauge fed from it still tells
 * on-call engineers it is the requests in flight, "the concurrency the
 * target saw": with `sleep: 1s` at 20/s that reads 20 where the target sees
 * one request at a time.
 */
import { describe, expect, it } from 'vitest';
import { createTelemetry } from './index.ts';
import { memoryLogger } from './test-support.ts';

describe('burnwatch_probe_vus_busy says what it counts', () => {
  it('its HELP says that an open-model VU in its think time counts as busy, not that it is the requests in flight the target saw', async () => {
    const t = createTelemetry({ serviceName: 'burnwatch', serviceVersion: '1.0.0', logger: memoryLogger().logger, env: { OTEL_METRICS_EXPORTER: 'none' }, processMetrics: false });
    try {
      const { body } = await t.renderMetrics(undefined);
      const help = body.split('\n').find((l) => l.startsWith('# HELP burnwatch_probe_vus_busy '));
      expect(help).toBeDefined();
      expect(help).toMatch(/think time/);
      expect(help).not.toMatch(/the concurrency the target saw/);
    } finally {
      await t.shutdown();
    }
  });
});
