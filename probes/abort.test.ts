import { afterEach, describe, expect, it } from 'vitest';
import { startRun } from './run.ts';
import { probe, testServer } from './test-support.ts';
import type { TestServer } from './test-support.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Answers the first `fast` requests at once, every later one after `slowMs`. */
function fastThenSlow(fast: number, slowMs: number): Parameters<typeof testServer>[0] {
  let seen = 0;
  return (_req, res) => {
    seen++;
    setTimeout(() => res.end('ok'), seen <= fast ? 0 : slowMs);
  };
}

describe('how a run stops', () => {
  it('an abortOnFail threshold stops hard, as k6 does: in-flight iterations are interrupted, not waited for', async () => {
    // 5 req/s: requests 1–3 (0, 0.2, 0.4 s) are answered at once, the rest after 3 s.
    // The first interval (1 s) sees count=3, fails count<3 and aborts the run;
    // requests 4 and 5 (0.6, 0.8 s) are in flight and must not be waited for.
    server = await testServer(fastThenSlow(3, 3000));
    const t0 = performance.now();
    const summary = await startRun(
      probe({
        target: server.url,
        scenario: { executor: 'constant-arrival-rate', rate: 5, duration: '20s', preAllocatedVUs: 10, gracefulStop: '10s' },
        requests: [{ name: 'get', url: '/x' }],
        thresholds: { http_reqs: [{ threshold: 'count<3', abortOnFail: true }] },
      }),
    ).done;
    const wallMs = performance.now() - t0;
    expect({ status: summary.status, stopReason: summary.stopReason }).toMatchObject({ status: 'failed' });
    expect(summary.stopReason).toMatch(/^threshold http_reqs count<3 crossed \(abortOnFail\): count=3 /);
    expect(summary.thresholds[0]).toMatchObject({ ok: false, abortedRun: true, value: 3 });
    expect(summary.metrics.http_reqs!.values.count).toBe(3);
    expect(summary.metrics.http_req_duration!.values.max).toBeLessThan(1000);
    // 4 and 5, and 6 (at 1.0 s) when it was sent before the stop reached the worker.
    expect(summary.interruptedIterations).toBeGreaterThanOrEqual(2);
    expect(summary.interruptedIterations).toBeLessThanOrEqual(3);
    expect(summary.warnings.join('\n')).toMatch(/^[23] iterations were still running when the abortOnFail threshold stopped the run .*and were interrupted; they are not in the metrics\.$/m);
    expect(summary.durationMs).toBeGreaterThanOrEqual(1000);
    expect(summary.durationMs).toBeLessThan(1800);
    expect(wallMs).toBeLessThan(2500);
  });

  it('an aborted signal (Ctrl-C) still stops gracefully: in-flight iterations finish and are in the metrics', async () => {
    server = await testServer(fastThenSlow(0, 800));
    const controller = new AbortController();
    const summary = await startRun(
      probe({
        target: server.url,
        scenario: { executor: 'constant-arrival-rate', rate: 5, duration: '20s', preAllocatedVUs: 10, gracefulStop: '5s' },
        requests: [{ name: 'get', url: '/x' }],
      }),
      // Ctrl-C after the first interval (1 s), with 4–5 requests in flight.
      { signal: controller.signal, onProgress: () => controller.abort() },
    ).done;
    expect(summary.status).toBe('aborted');
    expect(summary.interruptedIterations).toBe(0);
    // Sent at 0, 0.2, …, 0.8 s (and maybe 1.0 s), each answered after 0.8 s.
    expect(summary.metrics.http_reqs!.values.count).toBeGreaterThanOrEqual(5);
    expect(summary.metrics.http_reqs!.values.count).toBe(server.hits);
    expect(summary.durationMs).toBeGreaterThanOrEqual(1550);
    expect(summary.durationMs).toBeLessThan(2500);
  });
});
