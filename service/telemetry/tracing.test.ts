import { ExportResultCode } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTelemetry } from './index.ts';
import type { Telemetry } from './index.ts';
import { ReportingExporter } from './tracing.ts';
import { startOtlpReceiver } from '../../test/otlp-receiver.ts';
import { freePort } from '../../test/tools.ts';
import { memoryLogger, sample, snapshot } from './test-support.ts';
import type { OtlpReceiver, ReceivedSpan } from '../../test/otlp-receiver.ts';

const SPAN_KIND_INTERNAL = 1;
const SPAN_KIND_CLIENT = 3;
const STATUS_OK = 1;
const STATUS_ERROR = 2;

let receiver: OtlpReceiver;
beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterAll(async () => {
  await receiver.close();
});
afterEach(() => {
  receiver.spans.length = 0;
  receiver.requests.length = 0;
});

function telemetry(env: NodeJS.ProcessEnv, shutdownTimeoutMs = 10_000): { t: Telemetry; lines: Record<string, unknown>[] } {
  const { logger, lines } = memoryLogger();
  const t = createTelemetry({ serviceName: 'burnwatch', serviceVersion: '1.2.3', logger, env: { OTEL_METRICS_EXPORTER: 'none', ...env }, shutdownTimeoutMs, processMetrics: false });
  return { t, lines };
}

const run1 = { runId: 'run-otlp', probe: 'assignment', startedAt: 1_700_000_000_000, scheduled: false };

function byId(spans: ReceivedSpan[], spanId: string): ReceivedSpan {
  const s = spans.find((x) => x.spanId === spanId);
  if (s === undefined) throw new Error(`no span ${spanId} among ${spans.map((x) => `${x.name}:${x.spanId}`).join(', ')}`);
  return s;
}

describe('spans over OTLP/HTTP to a real receiver', () => {
  it('delivers the run span and one request span per sample with exactly the injected ids, as roots linked to the run', async () => {
    const { t, lines } = telemetry({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20t0ken' });
    const run = t.startRun(run1);
    const ok = sample('get_variant', 12.5, { startTime: 1_700_000_000_100.25, durationMs: 12.5, latencyMs: 14 });
    const failed = sample('get_variant', 30, { status: 503, outcome: 'http_error', error: 'HTTP 503' });
    const timeout = sample('create', 5000, { method: 'POST', url: 'https://api.example.test/v1/create', status: 0, outcome: 'timeout', error: 'request timed out after 5000 ms' });
    run.interval(
      snapshot(run1, [{ request: 'get_variant', latenciesMs: [14, 30] }, { request: 'create', latenciesMs: [5000], outcome: 'timeout', status: 0 }], t.latencyBucketsMs, [ok, failed, timeout]),
    );
    run.end({ status: 'passed', stopReason: 'completed', endedAt: '2023-11-14T22:13:30.000Z' });
    await t.shutdown();

    const spans = receiver.spans;
    expect(spans).toHaveLength(4);
    const runSpan = byId(spans, run.spanId);
    expect(runSpan).toMatchObject({
      traceId: run.traceId,
      parentSpanId: '',
      name: 'probe run assignment',
      kind: SPAN_KIND_INTERNAL,
      startMs: run1.startedAt,
      endMs: Date.parse('2023-11-14T22:13:30.000Z'),
      status: { code: STATUS_OK },
      attributes: { 'burnwatch.probe': 'assignment', 'burnwatch.run_id': 'run-otlp', 'burnwatch.run.status': 'passed', 'burnwatch.run.stop_reason': 'completed', 'burnwatch.run.scheduled': false },
    });
    expect(runSpan.resource).toMatchObject({ 'service.name': 'burnwatch', 'service.version': '1.2.3' });

    for (const s of [ok, failed, timeout]) {
      const span = byId(spans, s.spanId);
      expect(span.traceId).toBe(s.traceId);
      expect(span.parentSpanId).toBe('');
      expect(span.kind).toBe(SPAN_KIND_CLIENT);
      expect(span.name).toBe(s.method);
      expect(span.links).toEqual([{ traceId: run.traceId, spanId: run.spanId }]);
      expect(span.attributes).toMatchObject({ 'http.request.method': s.method, 'url.full': s.url, 'burnwatch.run_id': 'run-otlp', 'burnwatch.request': s.request });
      expect(span.startMs).toBeCloseTo(s.startTime, 3);
      expect(span.endMs).toBeCloseTo(s.startTime + s.durationMs, 3);
    }
    expect(byId(spans, ok.spanId)).toMatchObject({
      status: { code: 0 },
      attributes: { 'server.address': '127.0.0.1', 'server.port': 8081, 'http.response.status_code': 200, 'burnwatch.latency_ms': 14 },
    });
    expect(byId(spans, ok.spanId).attributes).not.toHaveProperty('error.type');
    expect(byId(spans, failed.spanId)).toMatchObject({ status: { code: STATUS_ERROR, message: 'HTTP 503' }, attributes: { 'error.type': '503', 'http.response.status_code': 503 } });
    const t2 = byId(spans, timeout.spanId);
    expect(t2).toMatchObject({ status: { code: STATUS_ERROR }, attributes: { 'error.type': 'timeout', 'server.address': 'api.example.test', 'server.port': 443 } });
    expect(t2.attributes).not.toHaveProperty('http.response.status_code');

    expect(receiver.requests.every((r) => r.path === '/v1/traces' && r.headers.authorization === 'Bearer t0ken')).toBe(true);
    expect(lines.find((l) => String(l.msg).startsWith('traces exported'))).toMatchObject({ endpoint: `${receiver.url}/v1/traces`, headers: ['authorization'] });
    expect(JSON.stringify(lines)).not.toContain('t0ken');
  });

  it('exports engine-sampled request spans even when the sampler drops run spans', async () => {
    const { t } = telemetry({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/v1/traces`, OTEL_TRACES_SAMPLER: 'always_off' });
    const run = t.startRun(run1);
    const s = sample('get_variant', 3);
    run.interval(snapshot(run1, [{ request: 'get_variant', latenciesMs: [3] }], t.latencyBucketsMs, [s]));
    run.end({ status: 'failed', stopReason: 'threshold failed' });
    await t.shutdown();
    expect(receiver.spans.map((x) => x.spanId)).toEqual([s.spanId]);
    expect(receiver.spans[0]).toMatchObject({ traceId: s.traceId, links: [{ traceId: run.traceId, spanId: run.spanId }] });
    expect(run.traceId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('ends the span of a run still open at shutdown so it is not lost, with an error status', async () => {
    const { t } = telemetry({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'bw-soak' });
    const run = t.startRun(run1);
    await t.shutdown();
    const span = byId(receiver.spans, run.spanId);
    expect(span).toMatchObject({ status: { code: STATUS_ERROR }, attributes: { 'burnwatch.run.status': 'interrupted' } });
    expect(span.resource['service.name']).toBe('bw-soak');
  });

  it('sends nothing with OTEL_SDK_DISABLED=true, and still gives runs trace ids for the logs', async () => {
    const { t } = telemetry({ OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url });
    const run = t.startRun(run1);
    run.interval(snapshot(run1, [{ request: 'a', latenciesMs: [1] }], t.latencyBucketsMs, [sample('a', 1)]));
    run.end({ status: 'passed' });
    await t.shutdown();
    expect(run.traceId).toMatch(/^(?!0{32})[0-9a-f]{32}$/);
    expect(receiver.requests).toEqual([]);
  });

  it('neither blocks nor crashes when the collector is down: shutdown is bounded and the failure logged once', async () => {
    const port = await freePort();
    const { t, lines } = telemetry({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_EXPORTER_OTLP_TIMEOUT: '1000' }, 3000);
    const run = t.startRun(run1);
    for (let i = 0; i < 5; i++) {
      run.interval(snapshot(run1, [{ request: 'a', latenciesMs: [1, 2] }], t.latencyBucketsMs, [sample('a', 1), sample('a', 2)]));
    }
    run.end({ status: 'passed' });
    const started = Date.now();
    await t.shutdown();
    expect(Date.now() - started).toBeLessThan(4500);
    const failures = lines.filter((l) => l.msg === 'trace export failed; spans are dropped while the OTLP endpoint is unreachable (reported at most once a minute)');
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ level: 'warn', error: expect.stringContaining('ECONNREFUSED') as unknown, dropped_spans: 11 });
  });
});

describe('export failure reporting', () => {
  class FlakyExporter implements SpanExporter {
    ok = false;
    export(_spans: ReadableSpan[], cb: (r: ExportResult) => void): void {
      cb(this.ok ? { code: ExportResultCode.SUCCESS } : { code: ExportResultCode.FAILED, error: new Error('connect ECONNREFUSED 127.0.0.1:4318') });
    }
    shutdown(): Promise<void> {
      return Promise.resolve();
    }
  }

  it('logs a failing collector at most once a minute with the count since, and once when it recovers', () => {
    const { logger, lines } = memoryLogger();
    let now = 0;
    const inner = new FlakyExporter();
    const exporter = new ReportingExporter(inner, logger, 'http://c:4318/v1/traces', 60_000, () => now);
    const results: number[] = [];
    const send = (): void => exporter.export([{} as ReadableSpan, {} as ReadableSpan], (r) => results.push(r.code));
    send();
    now = 30_000;
    send();
    send();
    now = 61_000;
    send();
    inner.ok = true;
    send();
    send();
    expect(results).toEqual([1, 1, 1, 1, 0, 0]);
    expect(lines.map((l) => [l.level, l.failures, l.dropped_spans])).toEqual([
      ['warn', 1, 2],
      ['warn', 3, 6],
      ['info', undefined, undefined],
    ]);
    expect(lines[0]).toMatchObject({ endpoint: 'http://c:4318/v1/traces', error: 'connect ECONNREFUSED 127.0.0.1:4318' });
    expect(lines[2]!.msg).toBe('trace export works again');
  });

  it('turns an exporter that throws into a failed export instead of an exception', () => {
    const { logger } = memoryLogger();
    const throwing: SpanExporter = {
      export: () => {
        throw new Error('boom');
      },
      shutdown: () => Promise.resolve(),
    };
    const codes: number[] = [];
    new ReportingExporter(throwing, logger, 'x').export([], (r) => codes.push(r.code));
    expect(codes).toEqual([ExportResultCode.FAILED]);
  });
});
