import { afterEach, describe, expect, it } from 'vitest';
import { LATENCY_BUCKETS_SECONDS } from '../../common/index.ts';
import { createTelemetry } from './index.ts';
import type { Telemetry } from './index.ts';
import { exemplarOf, memoryLogger, openMetricsProblems, sample, sampleValue, snapshot } from './test-support.ts';

const OM = 'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
const NO_SERVERS: NodeJS.ProcessEnv = { OTEL_METRICS_EXPORTER: 'none' };
const DURATION = 'burnwatch_probe_request_duration_seconds';

const open: Telemetry[] = [];
function telemetry(env: NodeJS.ProcessEnv = NO_SERVERS): { t: Telemetry; lines: Record<string, unknown>[] } {
  const { logger, lines } = memoryLogger();
  const t = createTelemetry({ serviceName: 'burnwatch', serviceVersion: '9.9.9', logger, env });
  open.push(t);
  return { t, lines };
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.shutdown()));
});

const run1 = { runId: 'run-1', probe: 'assignment', startedAt: 1_700_000_000_000, scheduled: true };

describe('telemetry /metrics from interval snapshots', () => {
  it('asks every run to count exactly the histogram bounds in milliseconds', () => {
    const { t } = telemetry();
    expect(t.latencyBucketsMs).toEqual(LATENCY_BUCKETS_SECONDS.map((s) => Math.round(s * 1e6) / 1e3));
    expect(t.latencyBucketsMs).toContain(75);
    expect(t.latencyBucketsMs).toContain(2.5);
    expect(t.countHeaders).toEqual(['x-cache']);
  });

  it('adds request counters up across intervals, per outcome, with every outcome present', async () => {
    const { t } = telemetry();
    const run = t.startRun(run1);
    const b = t.latencyBucketsMs;
    run.interval(snapshot(run1, [{ request: 'get_variant', latenciesMs: [5, 6, 7] }, { request: 'get_variant', latenciesMs: [20], outcome: 'http_error', status: 503 }], b));
    run.interval(snapshot(run1, [{ request: 'get_variant', latenciesMs: [8, 9] }, { request: 'get_variant', latenciesMs: [1000], outcome: 'timeout', status: 0 }], b));
    const { body } = await t.renderMetrics(OM);
    const v = (outcome: string): number | undefined => sampleValue(body, 'burnwatch_probe_requests_total', { probe: 'assignment', request: 'get_variant', outcome });
    expect(v('ok')).toBe(5);
    expect(v('http_error')).toBe(1);
    expect(v('timeout')).toBe(1);
    expect(v('reset')).toBe(0);
    // The duration histogram holds the ok requests; the failures are in the counter only.
    expect(sampleValue(body, `${DURATION}_count`, { request: 'get_variant' })).toBe(5);
  });

  it('makes cumulative buckets equal the sum of the snapshots\' within counts', async () => {
    const { t } = telemetry();
    const run = t.startRun(run1);
    const b = t.latencyBucketsMs;
    const first = [0.5, 3, 49.9, 50, 50.0001, 99, 100, 100.5, 480, 2600, 31_000];
    const second = [1, 75, 75.01, 150, 9000];
    const s1 = snapshot(run1, [{ request: 'get_variant', latenciesMs: first }], b);
    const s2 = snapshot(run1, [{ request: 'get_variant', latenciesMs: second }], b);
    run.interval(s1);
    run.interval(s2);
    const { body } = await t.renderMetrics(OM);
    for (const [i, ms] of b.entries()) {
      const expected = s1.requests[0]!.within[String(ms)]! + s2.requests[0]!.within[String(ms)]!;
      expect(sampleValue(body, `${DURATION}_bucket`, { request: 'get_variant', le: String(LATENCY_BUCKETS_SECONDS[i]) }), `le=${ms}ms`).toBe(expected);
    }
    // Boundaries are inclusive, as the engine counts them: 50 ms is within 0.05, 50.0001 is not.
    expect(sampleValue(body, `${DURATION}_bucket`, { le: '0.05' })).toBe(5);
    expect(sampleValue(body, `${DURATION}_bucket`, { le: '+Inf' })).toBe(16);
    expect(sampleValue(body, `${DURATION}_bucket`, { le: '30' })).toBe(15);
    const sum = sampleValue(body, `${DURATION}_sum`, { request: 'get_variant' })!;
    const exact = [...first, ...second].reduce((a, x) => a + x, 0) / 1000;
    expect(Math.abs(sum - exact) / exact).toBeLessThan(0.002);
  });

  it('puts the sampled request\'s trace and span id as exemplar on the bucket its latency falls in', async () => {
    const { t } = telemetry();
    const run = t.startRun(run1);
    const slow = sample('get_variant', 87.5);
    const fast = sample('get_variant', 4);
    run.interval(snapshot(run1, [{ request: 'get_variant', latenciesMs: [4, 87.5, 12] }], t.latencyBucketsMs, [slow, fast]));
    const { body } = await t.renderMetrics(OM);
    const ex = exemplarOf(body, `${DURATION}_bucket`, { request: 'get_variant', le: '0.1' });
    expect(ex).toEqual({ labels: { trace_id: slow.traceId, span_id: slow.spanId }, value: 0.0875 });
    expect(exemplarOf(body, `${DURATION}_bucket`, { request: 'get_variant', le: '0.005' })?.labels.trace_id).toBe(fast.traceId);
    expect(exemplarOf(body, `${DURATION}_bucket`, { request: 'get_variant', le: '0.075' })).toBeUndefined();
  });

  it('renders valid OpenMetrics without NaN and ending in # EOF, SLO series and process metrics included', async () => {
    const { t } = telemetry();
    const run = t.startRun(run1);
    run.interval(snapshot(run1, [{ request: 'a', latenciesMs: [1, 2] }, { request: 'b', latenciesMs: [] }], t.latencyBucketsMs, [sample('a', 2)]));
    run.end({ status: 'failed', stopReason: 'threshold p(99)<100 failed' });
    t.countSkippedRun('assignment', 'previous run still running');
    t.setAlertFiring([{ slo: 's', severity: 'page', firing: true }]);
    const { contentType, body } = await t.renderMetrics(OM);
    expect(contentType).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    expect(openMetricsProblems(body)).toEqual([]);
    expect(body).not.toMatch(/nan/i);
    expect(body).toContain('# TYPE process_cpu_seconds counter');
    expect(sampleValue(body, 'burnwatch_build_info', { version: '9.9.9' })).toBe(1);
    expect(sampleValue(body, 'burnwatch_probe_runs_total', { probe: 'assignment', status: 'failed' })).toBe(1);
    expect(sampleValue(body, 'burnwatch_probe_runs_skipped_total', { probe: 'assignment', reason: 'previous run still running' })).toBe(1);
    expect(sampleValue(body, 'burnwatch_alert_firing', { slo: 's', severity: 'page' })).toBe(1);
    // A request with no requests this interval: zero counts, still a valid histogram.
    expect(sampleValue(body, `${DURATION}_count`, { request: 'b' })).toBe(0);
  });

  it('converts to the text format for scrapers that do not ask for OpenMetrics', async () => {
    const { t } = telemetry();
    const run = t.startRun(run1);
    run.interval(snapshot(run1, [{ request: 'a', latenciesMs: [1, 2] }], t.latencyBucketsMs, [sample('a', 2)]));
    const { contentType, body } = await t.renderMetrics('text/plain;version=0.0.4');
    expect(contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(body).not.toContain('# EOF');
    expect(body).not.toContain('trace_id');
    expect(body).toContain('# TYPE burnwatch_probe_requests_total counter');
    expect(body).toContain('# TYPE burnwatch_probe_request_duration_seconds histogram');
    expect(sampleValue(body, `${DURATION}_bucket`, { le: '0.0025' })).toBe(2);
    expect((await t.renderMetrics(undefined)).contentType).toBe(contentType);
  });

  it('counts cache lookups by lower-cased header value and ignores responses without the header', async () => {
    const { t } = telemetry();
    const run = t.startRun(run1);
    run.interval(snapshot(run1, [{ request: 'flags', latenciesMs: [1, 1, 1, 1, 1], cache: { HIT: 3, MISS: 1, '': 1 } }], t.latencyBucketsMs));
    run.interval(snapshot(run1, [{ request: 'flags', latenciesMs: [1], cache: { HIT: 1 } }], t.latencyBucketsMs));
    const { body } = await t.renderMetrics(OM);
    expect(sampleValue(body, 'burnwatch_probe_cache_lookups_total', { request: 'flags', result: 'hit' })).toBe(4);
    expect(sampleValue(body, 'burnwatch_probe_cache_lookups_total', { request: 'flags', result: 'miss' })).toBe(1);
    expect(body).not.toContain('result=""');
  });

  it('counts dropped iterations, shows VUs and busy VUs while running and 0 after the run', async () => {
    const { t } = telemetry();
    const run = t.startRun(run1);
    run.interval(snapshot(run1, [{ request: 'a', latenciesMs: [1] }], t.latencyBucketsMs, [], { droppedIterations: 3, vus: 42, vusBusy: 9 }));
    run.interval(snapshot(run1, [{ request: 'a', latenciesMs: [1] }], t.latencyBucketsMs, [], { droppedIterations: 2, vus: 40, vusBusy: 7 }));
    let { body } = await t.renderMetrics(OM);
    expect(sampleValue(body, 'burnwatch_probe_dropped_iterations_total', { probe: 'assignment' })).toBe(5);
    expect(sampleValue(body, 'burnwatch_probe_vus', { probe: 'assignment' })).toBe(40);
    expect(sampleValue(body, 'burnwatch_probe_vus_busy', { probe: 'assignment' })).toBe(7);
    run.end({ status: 'passed' });
    ({ body } = await t.renderMetrics(OM));
    expect(sampleValue(body, 'burnwatch_probe_vus', { probe: 'assignment' })).toBe(0);
    expect(sampleValue(body, 'burnwatch_probe_vus_busy', { probe: 'assignment' })).toBe(0);
  });

  it('approximates buckets from the HDR histogram when a run did not count the bounds, and says so once', async () => {
    const { t, lines } = telemetry();
    const run = t.startRun(run1);
    run.interval(snapshot(run1, [{ request: 'a', latenciesMs: [3, 40, 200] }], [100]));
    run.interval(snapshot(run1, [{ request: 'a', latenciesMs: [3] }], []));
    const { body } = await t.renderMetrics(OM);
    expect(sampleValue(body, `${DURATION}_bucket`, { le: '0.005' })).toBe(2);
    expect(sampleValue(body, `${DURATION}_bucket`, { le: '0.05' })).toBe(3);
    expect(sampleValue(body, `${DURATION}_bucket`, { le: '+Inf' })).toBe(4);
    expect(openMetricsProblems(body)).toEqual([]);
    expect(lines.filter((l) => String(l.msg).includes('approximated'))).toHaveLength(1);
  });

  it('keeps a valid histogram when an engine reports decreasing within counts', async () => {
    const { t, lines } = telemetry();
    const run = t.startRun(run1);
    const s = snapshot(run1, [{ request: 'a', latenciesMs: [3, 4] }], t.latencyBucketsMs);
    s.requests[0]!.within['1000'] = 1; // fewer within 1 s than within 5 ms: impossible
    run.interval(s);
    const { body } = await t.renderMetrics(OM);
    expect(openMetricsProblems(body)).toEqual([]);
    expect(lines.some((l) => l.level === 'warn' && String(l.msg).includes('clamped'))).toBe(true);
  });

  it('never throws from interval on a corrupt histogram, and logs it once with the run\'s trace id', async () => {
    const { t, lines } = telemetry();
    const run = t.startRun(run1);
    const s = snapshot(run1, [{ request: 'a', latenciesMs: [3] }], t.latencyBucketsMs);
    s.requests[0]!.latencyUs = 'not-base64-hdr';
    expect(() => run.interval(s)).not.toThrow();
    expect(() => run.interval(s)).not.toThrow();
    const errors = lines.filter((l) => l.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ trace_id: run.traceId, run_id: 'run-1', probe: 'assignment' });
    const { body } = await t.renderMetrics(OM);
    expect(sampleValue(body, 'burnwatch_probe_requests_total', { outcome: 'ok' })).toBe(2);
    expect(openMetricsProblems(body)).toEqual([]);
  });

  it('gives each run a W3C trace id and a logger that carries it', () => {
    const { t, lines } = telemetry();
    const run = t.startRun(run1);
    expect(run.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(run.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(t.startRun({ ...run1, runId: 'run-2' }).traceId).not.toBe(run.traceId);
    run.logger.info('probe run started');
    expect(lines.at(-1)).toMatchObject({ level: 'info', msg: 'probe run started', trace_id: run.traceId, span_id: run.spanId, run_id: 'run-1', probe: 'assignment' });
  });

  it('says at start that traces are not exported when no OTLP endpoint is set', () => {
    const { lines } = telemetry();
    expect(lines.some((l) => l.level === 'info' && String(l.msg).startsWith('traces are not exported: no OTEL_EXPORTER_OTLP_ENDPOINT'))).toBe(true);
  });
});
