import { afterEach, describe, expect, it } from 'vitest';
import { startRun } from './run.ts';
import { formatSummary } from './summary.ts';
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

describe('threshold tag filters as k6 reads them', () => {
  // k6's Metric.AddSubmetric (grafana/k6 metrics/metric.go) splits each tag on the first ":" and only
  // trims spaces and surrounding quotes from the value, so `{customer:O'Reilly}` filters by customer =
  // "O'Reilly" (ParseMetricName accepts it too). parseMetricKey threw `"customer:O'Reilly" is not a tag`.
  it("reads an unquoted tag value with an apostrophe inside, as k6 does", () => {
    expect(parseMetricKey("http_reqs{customer:O'Reilly}")).toEqual({ metric: 'http_reqs', tags: [['customer', "O'Reilly"]] });
  });
});
