import { afterEach, describe, expect, it } from 'vitest';
import { startRun } from './run.ts';
import { delayed, probe, testServer } from './test-support.ts';
import type { Handler, TestServer } from './test-support.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Answers at once, except that from the `from`-th request on it holds every response until `stallMs` later. */
function stallOnce(from: number, stallMs: number): Handler {
  let until = 0;
  return (_req, res, s) => {
    const now = performance.now();
    if (s.hits === from) until = now + stallMs;
    const wait = until - now;
    if (wait > 0) setTimeout(() => res.end('late'), wait);
    else res.end('ok');
  };
}

describe('coordinated omission and dropped iterations', () => {
  it('a 1 s stall shows up in latency measured from the scheduled start, not hidden by requests never sent', async () => {
    server = await testServer(stallOnce(100, 1000));
    const p = probe({
      target: server.url,
      scenario: { executor: 'constant-arrival-rate', rate: 100, duration: '3s', preAllocatedVUs: 10, maxVUs: 300 },
      requests: [{ name: 'get', url: '/x' }],
    });
    const summary = await startRun(p).done;
    expect(summary.droppedIterations).toBe(0);
    expect(server.hits).toBe(300);
    const d = summary.metrics.http_req_duration!.values;
    // ~100 of 300 requests were due during the stall and waited 0…1000 ms for it.
    expect(d['p(99)']).toBeGreaterThan(850);
    expect(d['p(90)']).toBeGreaterThan(500);
    expect(d.med).toBeLessThan(100);
    // The server did stall: the waiting time of the first stalled request is the whole second.
    expect(summary.metrics.http_req_waiting!.values.max).toBeGreaterThan(900);
  });

  it('iterations that find every VU busy are dropped, counted, and the summary warns that the generator was the limit', async () => {
    server = await testServer(delayed(200));
    const p = probe({
      target: server.url,
      scenario: { executor: 'constant-arrival-rate', rate: 100, duration: '2s', preAllocatedVUs: 2, maxVUs: 2, gracefulStop: '1s' },
      requests: [{ name: 'slow', url: '/x' }],
    });
    const summary = await startRun(p).done;
    const done = summary.metrics.iterations!.values.count!;
    expect(done + summary.droppedIterations + summary.interruptedIterations).toBe(200);
    // 2 VUs × 5 requests/s each for 2 s ≈ 20 requests; the rest are dropped.
    expect(done).toBeGreaterThanOrEqual(16);
    expect(done).toBeLessThanOrEqual(24);
    expect(summary.droppedIterations).toBeGreaterThan(170);
    expect(summary.metrics.dropped_iterations!.values.count).toBe(summary.droppedIterations);
    expect(summary.warnings.join('\n')).toMatch(/dropped because all 2 VUs were busy: the load generator, not the target, limited the load/);
  });

  it('gracefulStop lets in-flight iterations finish, and interrupts them when it is too short', async () => {
    server = await testServer(delayed(1500));
    const scenario = { executor: 'constant-arrival-rate', rate: 10, duration: '1s', preAllocatedVUs: 20 };
    const short = await startRun(probe({ target: server.url, scenario: { ...scenario, gracefulStop: '300ms' }, requests: [{ name: 'slow', url: '/x' }] })).done;
    expect(short.interruptedIterations).toBe(10);
    expect(short.metrics.http_reqs!.values.count).toBe(0);
    expect(short.durationMs).toBeLessThan(1800);
    expect(short.warnings.join('\n')).toMatch(/10 iterations were still running at gracefulStop/);

    const long = await startRun(probe({ target: server.url, scenario: { ...scenario, gracefulStop: '3s' }, requests: [{ name: 'slow', url: '/x' }] })).done;
    expect(long.interruptedIterations).toBe(0);
    expect(long.metrics.http_reqs!.values.count).toBe(10);
    expect(long.durationMs).toBeGreaterThanOrEqual(2300);
    expect(long.durationMs).toBeLessThan(3200);
  });
});
