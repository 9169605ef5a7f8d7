/**
 * Engine and controller edges a review found (engine.ts / run.ts): each test
 * failed on the code before its fix; the comment on each says what k6 (or the
 * doc) does, what burnwatch did instead, and where that is written. Loopback
 * only, a few seconds each.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startRun } from './run.ts';
import { iterations, probe, testServer } from './test-support.ts';
import type { TestServer } from './test-support.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('engine and controller edges found in review', () => {
  it('a redirect whose Location cannot be parsed is a failed request with no expected response (http_req_failed = share of expected_response:false)', async () => {
    // probes/README.md (Outcomes): "`http_req_failed` is always the share of `expected_response:false`",
    // and a `Location` that is not a valid URL "is an `http_error` naming it".
    // k6 (Go's http.Client.do: "failed to parse Location header" returns a nil response and an error;
    // lib/netext/httpext/transport.go processLastSavedRequest puts that error on the last hop) records
    // the request with status 0, expected_response:false, http_req_failed 1.
    // burnwatch: engine.ts complete() computed `accepted` from the 301 before the redirect problem
    // makes it an http_error, so the request counts as failed AND as an expected response
    // (http_reqs{expected_response:false} = 0, http_req_duration{expected_response:true} gets it).
    server = await testServer((_req, res) => {
      res.statusCode = 301;
      res.setHeader('location', 'http://[::1');
      res.end();
    });
    const summary = await startRun(
      probe({
        target: server.url,
        scenario: iterations(3),
        requests: [{ name: 'bad', url: '/x' }],
        thresholds: { 'http_reqs{expected_response:false}': ['count>=0'], http_req_failed: ['rate>=0'] },
      }),
    ).done;
    expect(summary.outcomes.http_error).toBe(3);
    const observed = Object.fromEntries(summary.thresholds.map((t) => [t.metric, t.value]));
    expect(observed.http_req_failed).toBe(1);
    // Before: 0 (all three counted as expected responses).
    expect(observed['http_reqs{expected_response:false}']).toBe(3);
    expect(summary.metrics['http_req_duration{expected_response:true}']).toBeUndefined();
  });

  it('an iteration interrupted by gracefulStop still has its bytes in data_sent / data_received, as in k6', async () => {
    // k6 js/runner.go runFn: after the iteration, `u.state.Samples <- u.Dialer.GetTrail(startTime, endTime,
    // isFullIteration, ...)` is sent whatever isFullIteration is, and lib/netext/dialer.go GetTrail always
    // emits DataSent and DataReceived (only iteration_duration / iterations depend on fullIteration).
    // So the bytes a cut-off request wrote are in k6's data_sent.
    // probes/README.md ("Interrupted iterations ... are not in the metrics, as in k6: a request cut off is
    // in no metric") claims k6 parity; burnwatch (engine.ts complete(), `err === INTERRUPTED` returns
    // before `st.sent += ...`) dropped them: two 20 kB POSTs written, data_sent 0.
    server = await testServer(() => {
      // never answers
    });
    const summary = await startRun(
      probe({
        target: server.url,
        scenario: { executor: 'constant-vus', vus: 2, duration: '300ms', gracefulStop: '0s' },
        requests: [{ name: 'post', method: 'POST', url: '/x', body: 'x'.repeat(20_000), headers: { 'content-type': 'text/plain' } }],
      }),
    ).done;
    expect(server.hits).toBe(2);
    expect(summary.interruptedIterations).toBe(2);
    // Before: 0.
    expect(summary.metrics.data_sent!.values.count).toBeGreaterThanOrEqual(40_000);
  });

  it('a response that comes after the request timeout is a timeout, not ok', async () => {
    // probes/README.md (Outcomes): "`timeout` (whole request over its `timeout` ...)"; k6's `timeout` param is
    // a context deadline on the request (lib/netext/httpext/request.go MakeRequest:
    // `reqCtx, cancelFunc := context.WithTimeout(ctx, preq.Timeout)`), so nothing that answers after it succeeds.
    // burnwatch enforced the timeout only from a periodic sweep (engine.ts start(): every min(100, timeout/10) ms),
    // so with timeout 1s a response 20 ms late was usually taken as `ok` (latency > timeout) before the sweep
    // runs: 24 and 29 of these 37 requests were `ok` in two runs. Every response here comes >= 1020 ms after its send.
    server = await testServer((_req, res) => setTimeout(() => res.end('ok'), 1020));
    const summary = await startRun(
      probe({
        target: server.url,
        timeout: '1s',
        scenario: { executor: 'constant-arrival-rate', rate: 37, duration: '1s', preAllocatedVUs: 50, maxVUs: 60, gracefulStop: '5s' },
        requests: [{ name: 'get', url: '/x' }],
      }),
    ).done;
    expect(summary.droppedIterations).toBe(0);
    expect(summary.outcomes.timeout).toBe(37);
    // Before: > 0 requests `ok`, with http_req_duration max ~1.1 s for a 1 s timeout.
    expect(summary.outcomes.ok).toBe(0);
  });

  it('auto-abort does not mark as aborted a run that completed, failing for less than autoAbort.for', async () => {
    // README.md: "`autoAbort` stops a run whose error rate stays above a level for a time";
    // probes/README.md: "`autoAbort` ... stops the run gracefully; `status` is then `aborted`".
    // Here every iteration runs (6 × ~100 ms, ~0.6 s of failures, below `for: 1s`) and the run ends by itself.
    // burnwatch (run.ts autoAbort: `streak.ms >= forMs - intervalMs / 2`, judged on the final short
    // interval the workers post when they are already done) still reported status `aborted`,
    // stopReason "auto-abort: error rate 100 % > 50 % for 1s" (exit 105 in `burnwatch run`).
    server = await testServer((_req, res) =>
      setTimeout(() => {
        res.statusCode = 500;
        res.end('down');
      }, 100),
    );
    const summary = await startRun(
      probe({
        target: server.url,
        scenario: { executor: 'per-vu-iterations', vus: 1, iterations: 6 },
        requests: [{ name: 'get', url: '/x' }],
        autoAbort: { errorRate: 50, for: '1s' },
      }),
    ).done;
    expect(summary.metrics.iterations!.values.count).toBe(6);
    expect(summary.durationMs).toBeLessThan(1000);
    // Before: 'aborted', stopReason 'auto-abort: error rate 100 % > 50 % for 1s'.
    expect(summary.stopReason).toBe('completed');
    expect(summary.status).toBe('passed');
  });
});
