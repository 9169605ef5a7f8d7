import { afterEach, describe, expect, it } from 'vitest';
import { startRun } from './run.ts';
import { formatMs, formatObserved, formatSummary } from './summary.ts';
import type { RunSummary } from './summary.ts';
import { probe, testServer } from './test-support.ts';
import type { TestServer } from './test-support.ts';
import { parseMetricKey } from './thresholds.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('windowed thresholds with == and !=', () => {
  // ThresholdResult.value is documented (probes/summary.ts, ThresholdResult) as "the observed value
  // over the run (windowed: the worst window)", and the table prints it as "worst count=…". For ==
  // and != `worse()` kept the first window's value, so a failed windowed `count==0` reported the
  // count of a window that passed: "✗ 'count==0' worst count=0 … (2 of 3 failed)".
  it('reports a failing window as the worst value of a failed windowed count==0', async () => {
    let seen = 0;
    // The first 25 requests get a 200, every later one a 500: the first 1 s window has no 500.
    server = await testServer((_req, res) => {
      seen++;
      res.statusCode = seen > 25 ? 500 : 200;
      res.end('x');
    });
    const summary = await startRun(
      probe({
        target: server.url,
        scenario: { executor: 'constant-arrival-rate', rate: 20, duration: '3s', preAllocatedVUs: 5 },
        requests: [{ name: 'get', url: '/x' }],
        thresholds: { 'http_reqs{status:500}': [{ threshold: 'count==0', window: '1s' }] },
      }),
    ).done;
    const t = summary.thresholds[0]!;
    expect(t.ok).toBe(false);
    expect(t.windows!.failed).toBeGreaterThan(0);
    // The worst window held 500s: its count is not 0.
    expect(t.value).toBeGreaterThan(0);
    expect(formatSummary(summary)).not.toContain("✗ 'count==0' worst count=0 ");
  });
});

describe('threshold values on screen', () => {
  // k6's summary cuts a duration to two decimals (grafana/k6 js/summary.js, humanizeGenericDuration →
  // toFixedNoTrailingZerosTrunc), so 999.996 ms prints "999.99ms" and a passing p(95)<1000 never shows
  // its limit: the rule this project keeps for rates (summary.test.ts: "a failed rate>0.99999 must not
  // read 100 %"). formatMs rounded: "✓ 'p(95)<1000' p(95)=1000ms" (and 59,999.6 ms read "60s").
  it('does not round a passing p(95)<1000 of 999.996 ms up to its limit', () => {
    expect(formatObserved('http_req_duration', 999.996, 'p')).toBe('999.99ms');
    expect(formatMs(59_999.6)).toBe('59.99s');
    expect(formatMs(119_999)).toBe('1m59s');
    // Cut without float error: 4.35 × 100 is 434.99999999999994 in binary floating point.
    expect(formatMs(4.35)).toBe('4.35ms');
    expect(formatMs(0.5799)).toBe('579µs');
    const s: RunSummary = {
      runId: 'r',
      probe: 'p',
      target: 'http://127.0.0.1:9',
      executor: 'constant-arrival-rate',
      startedAt: '2026-01-01T00:00:00.000Z',
      endedAt: '2026-01-01T00:00:01.000Z',
      durationMs: 1000,
      status: 'passed',
      stopReason: 'completed',
      segment: { index: 1, count: 1 },
      threads: 1,
      outcomes: { ok: 20, http_error: 0, assertion_failed: 0, timeout: 0, connect_error: 0, reset: 0 },
      metrics: {},
      thresholds: [{ metric: 'http_req_duration', threshold: 'p(95)<1000', ok: true, value: 999.996, abortOnFail: false, delayAbortEvalMs: 0 }],
      droppedIterations: 0,
      interruptedIterations: 0,
      errors: [],
      warnings: [],
    };
    expect(formatSummary(s)).not.toContain("✓ 'p(95)<1000' p(95)=1000ms");
  });
});

describe('threshold tag filters as k6 reads them', () => {
  // k6's Metric.AddSubmetric (grafana/k6 metrics/metric.go) splits each tag on the first ":" and only
  // trims spaces and surrounding quotes from the value, so `{customer:O'Reilly}` filters by customer =
  // "O'Reilly" (ParseMetricName accepts it too). parseMetricKey threw `"customer:O'Reilly" is not a tag`.
  it("reads an unquoted tag value with an apostrophe inside, as k6 does", () => {
    expect(parseMetricKey("http_reqs{customer:O'Reilly}")).toEqual({ metric: 'http_reqs', tags: [['customer', "O'Reilly"]] });
  });
});
