/**
 * Arrival-rate executors on several worker threads: the threads draw their
 * VUs from the scenario's one `maxVUs`, as k6's single VU pool does, so a
 * thread whose requests are slow may take the VUs another thread does not
 * need instead of dropping its arrivals.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startRun } from './run.ts';
import { probe, testServer } from './test-support.ts';
import type { TestServer } from './test-support.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('arrival-rate VUs on several threads', () => {
  it('a thread whose requests are slow takes VUs beyond its share of maxVUs while the run has them: nothing is dropped', async () => {
    // Iterations follow VU units (k mod maxVUs): thread 0 owns units 0, 2, 4, 6 and so the even `{{seq}}`s.
    // Thread 0's requests take 800 ms, thread 1's none: at 20/s, 10/s each, thread 0
    // needs ~8-9 VUs at once, thread 1 one. maxVUs 12 split per thread (6 + 6) would drop
    // a quarter of thread 0's arrivals; drawn from one budget (up to 11 for thread 0) none,
    // with room for a busy machine's stalls.
    server = await testServer((req, res) => {
      const seq = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('seq'));
      setTimeout(() => res.end('ok'), seq % 2 === 0 ? 800 : 0);
    });
    const summary = await startRun(
      probe({
        target: server.url,
        scenario: { executor: 'constant-arrival-rate', rate: 20, duration: '2s', preAllocatedVUs: 2, maxVUs: 12 },
        requests: [{ name: 'get', url: '/x?seq={{seq}}' }],
      }),
      { threads: 2 },
    ).done;
    expect(summary.threads).toBe(2);
    expect(summary.droppedIterations).toBe(0);
    expect(server.hits).toBe(40);
    expect(summary.outcomes.ok).toBe(40);
    // No more VUs than maxVUs were allocated over both threads.
    expect(summary.metrics.vus_max!.values.max).toBeLessThanOrEqual(12);
  });

  it('the threads together never allocate more than maxVUs: a target slow for everyone drops what 8 VUs cannot take', async () => {
    server = await testServer((_req, res) => {
      setTimeout(() => res.end('ok'), 1000);
    });
    const summary = await startRun(
      probe({
        target: server.url,
        scenario: { executor: 'constant-arrival-rate', rate: 20, duration: '2s', preAllocatedVUs: 2, maxVUs: 8, gracefulStop: '2s' },
        requests: [{ name: 'get', url: '/x' }],
      }),
      { threads: 2 },
    ).done;
    expect(summary.metrics.vus_max!.values.max).toBe(8);
    // 8 VUs busy 1 s each take 8 arrivals in the first second and 8 more in the second.
    expect(server.hits).toBeGreaterThanOrEqual(14);
    expect(server.hits).toBeLessThanOrEqual(18);
    expect(summary.droppedIterations + server.hits).toBe(40);
  });

  it('{{vu}} stays within 1..maxVUs when a thread takes VUs beyond its share (k6: __VU of an arrival-rate VU is at most maxVUs)', async () => {
    // maxVUs 4 over 2 threads, one VU pre-allocated on each. Requests of an odd VU take 1 s, of an even one
    // none: a thread holding an odd VU soon needs more VUs than its share of 2 and takes them from the budget.
    const seen = new Set<number>();
    server = await testServer((req, res) => {
      const vu = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('vu'));
      seen.add(vu);
      setTimeout(() => res.end('ok'), vu % 2 === 1 ? 1000 : 0);
    });
    const summary = await startRun(
      probe({
        target: server.url,
        scenario: { executor: 'constant-arrival-rate', rate: 20, duration: '1s', preAllocatedVUs: 2, maxVUs: 4, gracefulStop: '2s' },
        requests: [{ name: 'get', url: '/x?vu={{vu}}' }],
      }),
      { threads: 2 },
    ).done;
    expect(summary.metrics.vus_max!.values.max).toBeGreaterThan(2);
    expect(Math.max(...seen)).toBeLessThanOrEqual(4);
    expect(Math.min(...seen)).toBeGreaterThanOrEqual(1);
  });
});
