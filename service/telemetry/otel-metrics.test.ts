import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createTelemetry } from './index.ts';
import { memoryLogger, sample, sampleValue, snapshot } from './test-support.ts';

const run1 = { runId: 'run-m', probe: 'assignment', startedAt: 1_700_000_000_000, scheduled: true };
const M = 'http_client_request_duration';

describe('OTel http.client.request.duration on the Prometheus exporter port', () => {
  it('serves the histogram from HDR values on an ephemeral port with semantic-convention attributes', async () => {
    const { logger, lines } = memoryLogger();
    const t = createTelemetry({ serviceName: 'burnwatch', serviceVersion: '1.0.0', logger, env: { OTEL_EXPORTER_PROMETHEUS_PORT: '0' }, processMetrics: false });
    try {
      await t.ready();
      expect(t.otelMetricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      expect(t.otelMetricsUrl).not.toContain(':9464');
      expect(lines.find((l) => l.msg === 'OTel metrics (Prometheus exporter) listening')).toMatchObject({ url: t.otelMetricsUrl });
      const run = t.startRun({ ...run1, target: 'http://127.0.0.1:8081', requests: [{ name: 'get_variant', method: 'GET', url: '/v1/assignments/get_variant' }] });
      run.interval(snapshot(run1, [{ request: 'get_variant', latenciesMs: [2, 40, 40, 90, 700, 40_000] }], t.latencyBucketsMs));
      run.interval(snapshot(run1, [{ request: 'get_variant', latenciesMs: [3] }, { request: 'unknown_req', latenciesMs: [1] }], t.latencyBucketsMs, [sample('unknown_req', 1)]));
      const res = await fetch(t.otelMetricsUrl!);
      expect(res.status).toBe(200);
      const body = await res.text();
      const attrs = { burnwatch_probe: 'assignment', burnwatch_request: 'get_variant', http_request_method: 'GET', server_address: '127.0.0.1', server_port: '8081' };
      expect(sampleValue(body, `${M}_count`, attrs)).toBe(7);
      expect(sampleValue(body, `${M}_bucket`, { ...attrs, le: '0.005' })).toBe(2);
      expect(sampleValue(body, `${M}_bucket`, { ...attrs, le: '0.05' })).toBe(4);
      expect(sampleValue(body, `${M}_bucket`, { ...attrs, le: '0.1' })).toBe(5);
      expect(sampleValue(body, `${M}_bucket`, { ...attrs, le: '30' })).toBe(6);
      expect(sampleValue(body, `${M}_bucket`, { ...attrs, le: '+Inf' })).toBe(7);
      expect(sampleValue(body, `${M}_sum`, attrs)).toBeCloseTo(40.875, 1);
      // Without the probe's definition, method and server come from a sample of that request.
      expect(sampleValue(body, `${M}_count`, { burnwatch_request: 'unknown_req', http_request_method: 'GET', server_port: '8081' })).toBe(1);
      expect(body).toMatch(/^target_info\{.*service_name="burnwatch".*\} 1$/m);
      expect((await fetch(t.otelMetricsUrl!.replace('/metrics', '/other'))).status).toBe(404);
    } finally {
      await t.shutdown();
    }
    await expect(fetch(t.otelMetricsUrl!)).rejects.toThrow();
  });

  it('logs and carries on when its port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as AddressInfo;
    const { logger, lines } = memoryLogger();
    const t = createTelemetry({ serviceName: 'b', serviceVersion: '1', logger, env: { OTEL_EXPORTER_PROMETHEUS_PORT: String(port) }, processMetrics: false });
    try {
      await t.ready();
      expect(t.otelMetricsUrl).toBeUndefined();
      expect(lines.find((l) => l.level === 'warn')).toMatchObject({ msg: expect.stringContaining('could not listen') as unknown, port, code: 'EADDRINUSE' });
      expect((await t.renderMetrics(undefined)).body).toContain('burnwatch_build_info');
    } finally {
      await t.shutdown();
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it('starts no OTel metrics server with OTEL_METRICS_EXPORTER=none', async () => {
    const t = createTelemetry({ serviceName: 'b', serviceVersion: '1', logger: memoryLogger().logger, env: { OTEL_METRICS_EXPORTER: 'none' }, processMetrics: false });
    await t.ready();
    expect(t.otelMetricsUrl).toBeUndefined();
    await t.shutdown();
  });
});
