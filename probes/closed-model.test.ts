import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startRun } from './run.ts';
import type { RunSummary } from './summary.ts';
import { delayed, probe, testServer } from './test-support.ts';
import type { TestServer } from './test-support.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('closed-model executors against a local server', () => {
  it('constant-vus keeps exactly 5 requests in flight for 2 s, each VU sending again as soon as it has an answer', async () => {
    server = await testServer(delayed(20));
    const summary = await startRun(
      probe({ target: server.url, scenario: { executor: 'constant-vus', vus: 5, duration: '2s' }, requests: [{ name: 'get', url: '/x' }] }),
    ).done;
    expect(server.maxConcurrent).toBe(5);
    // 5 VUs × 2000 ms / (20 ms + overhead) ≈ 450–500 requests.
    expect(server.hits).toBeGreaterThan(350);
    expect(server.hits).toBeLessThanOrEqual(505);
    expect(summary.metrics.vus!.values.max).toBe(5);
    expect(summary.metrics.http_reqs!.values.count).toBe(server.hits);
    expect(summary.durationMs).toBeGreaterThanOrEqual(1990);
    expect(summary.durationMs).toBeLessThan(2400);
  });

  it('ramping-vus adds and removes VUs at the times k6 does', async () => {
    server = await testServer(delayed(40));
    const samples: [number, number][] = [];
    const sampler = setInterval(() => samples.push([performance.timeOrigin + performance.now(), server!.concurrent]), 5);
    const summary = await startRun(
      probe({
        target: server.url,
        scenario: {
          executor: 'ramping-vus',
          startVUs: 0,
          gracefulRampDown: '0s',
          stages: [
            { duration: '2s', target: 4 },
            { duration: '1s', target: 4 },
            { duration: '2s', target: 0 },
          ],
        },
        requests: [{ name: 'get', url: '/x' }],
      }),
    ).done;
    clearInterval(sampler);
    const start = Date.parse(summary.startedAt);
    // Most requests in flight in a window around t (ms from the start).
    const vusAround = (t: number): number => Math.max(0, ...samples.filter(([at]) => Math.abs(at - start - t) <= 60).map(([, n]) => n));
    // Up: VU u joins at 0.5·u s. Down from 4 at 3 s: 3 at 3.5 s, 2 at 4 s, 1 at 4.5 s, 0 at 5 s.
    const expected: [number, number][] = [
      [250, 0],
      [750, 1],
      [1250, 2],
      [1750, 3],
      [2500, 4],
      [3250, 4],
      [3750, 3],
      [4250, 2],
      [4750, 1],
    ];
    for (const [t, vus] of expected) expect([t, vusAround(t)]).toEqual([t, vus]);
    expect(summary.metrics.vus!.values.max).toBe(4);
    expect(summary.interruptedIterations).toBeLessThanOrEqual(4);
  });

  it('gracefulRampDown lets a ramped-down VU finish its iteration, or interrupts it when too short', async () => {
    server = await testServer(delayed(1200));
    const scenario = (gracefulRampDown: string): Record<string, unknown> => ({
      executor: 'ramping-vus',
      startVUs: 2,
      gracefulRampDown,
      stages: [
        { duration: '300ms', target: 2 },
        { duration: '0s', target: 0 },
        { duration: '1500ms', target: 0 },
      ],
    });
    const short = await startRun(probe({ target: server.url, scenario: scenario('200ms'), requests: [{ name: 'slow', url: '/x' }] })).done;
    expect(short.interruptedIterations).toBe(2);
    expect(short.metrics.http_reqs!.values.count).toBe(0);
    const long = await startRun(probe({ target: server.url, scenario: scenario('2s'), requests: [{ name: 'slow', url: '/x' }] })).done;
    expect(long.interruptedIterations).toBe(0);
    expect(long.metrics.http_reqs!.values.count).toBe(2);
  });

  it('gracefulRampDown 0 interrupts each ramped-down VU’s iteration the moment it is ramped down, as k6 does', async () => {
    // 10 VUs ramp to 0 over 1 s, one leaving every 100 ms, each always with a 60 ms request in flight.
    server = await testServer(delayed(60));
    const summary = await startRun(
      probe({
        target: server.url,
        scenario: {
          executor: 'ramping-vus',
          startVUs: 10,
          gracefulRampDown: '0s',
          gracefulStop: '0s',
          stages: [
            { duration: '1s', target: 10 },
            { duration: '1s', target: 0 },
          ],
        },
        requests: [{ name: 'get', url: '/x' }],
      }),
      { threads: 1 },
    ).done;
    // Before, only the timeout sweep (every 100 ms) interrupted them: a request ending before it came was counted instead.
    expect(summary.interruptedIterations).toBe(10);
  });

  it('shared-iterations runs exactly the iterations shared among its VUs and ends early when they are done', async () => {
    server = await testServer();
    const summary = await startRun(
      probe({ target: server.url, scenario: { executor: 'shared-iterations', vus: 5, iterations: 101, maxDuration: '20s' }, requests: [{ name: 'get', url: '/x' }] }),
    ).done;
    expect(server.hits).toBe(101);
    expect(server.maxConcurrent).toBeLessThanOrEqual(5);
    expect(summary.metrics.iterations!.values.count).toBe(101);
    expect(summary.durationMs).toBeLessThan(3000);
    // A closed-model iteration is its one request: iteration_duration holds
    // the same 101 values as http_req_duration (the engine derives one from the other).
    const it = summary.metrics.iteration_duration!.values;
    const req = summary.metrics.http_req_duration!.values;
    expect(it.count).toBe(101);
    for (const k of ['min', 'med', 'max', 'p(90)', 'p(99)'] as const) expect(it[k]).toBe(req[k]);
  });

  it('a VU keeps its one keep-alive connection for HEAD requests too', async () => {
    let connections = 0;
    const head = createServer((_req, res) => res.end());
    head.on('connection', () => connections++);
    await new Promise<void>((resolve) => head.listen(0, '127.0.0.1', resolve));
    try {
      const summary = await startRun(
        probe({
          target: `http://127.0.0.1:${(head.address() as AddressInfo).port}`,
          scenario: { executor: 'shared-iterations', vus: 1, iterations: 20, maxDuration: '10s' },
          requests: [{ name: 'head', method: 'HEAD', url: '/x' }],
        }),
      ).done;
      expect(summary.outcomes.ok).toBe(20);
      // The warm-up uses its own connections to a local server, so the target sees exactly one.
      expect(connections).toBe(1);
    } finally {
      head.closeAllConnections();
      await new Promise<void>((resolve) => head.close(() => resolve()));
    }
  });

  it('per-vu-iterations runs the given iterations on every VU', async () => {
    const perVu = new Map<string, number>();
    server = await testServer((req, res) => {
      const vu = new URL(req.url ?? '/', 'http://x').searchParams.get('vu') ?? '?';
      perVu.set(vu, (perVu.get(vu) ?? 0) + 1);
      res.end('ok');
    });
    await startRun(
      probe({ target: server.url, scenario: { executor: 'per-vu-iterations', vus: 3, iterations: 7 }, requests: [{ name: 'get', url: '/x?vu={{vu}}&i={{iter}}' }] }),
    ).done;
    expect(Object.fromEntries(perVu)).toEqual({ 1: 7, 2: 7, 3: 7 });
  });

  it('shared-iterations on two threads splits the iterations by VUs (3 VUs: 20 + 10 of 30) and numbers them 0…29 once each', async () => {
    const seqs: number[] = [];
    server = await testServer((req, res) => {
      seqs.push(Number(new URL(req.url!, 'http://x').searchParams.get('s')));
      setTimeout(() => res.end('ok'), 40);
    });
    const summary = await startRun(
      probe({ target: server.url, scenario: { executor: 'shared-iterations', vus: 3, iterations: 30, maxDuration: '20s' }, requests: [{ name: 'get', url: '/x?s={{seq}}' }] }),
      { threads: 2 },
    ).done;
    expect(summary.threads).toBe(2);
    expect(summary.metrics.iterations!.values.count).toBe(30);
    expect(seqs.sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    // 10 rounds of 3 parallel 40 ms requests, the last round 3 requests at once; an even split (15 + 15)
    // would leave the 1-VU thread sending its last 5 alone, 40 ms apart, after the other thread is done.
    const last = server.arrivals.slice(-3);
    expect(last[2]! - last[0]!).toBeLessThan(30);
  });

  it('shared-iterations shares one counter across threads, as k6 shares it across VUs: a free VU takes what a slow one cannot', async () => {
    // VU 2 (on the second thread) is slow; VU 1 answers at once. With the iterations split per thread
    // up front, VU 2 kept its 20 and maxDuration dropped most of them.
    const perVu = new Map<string, number>();
    server = await testServer((req, res) => {
      const vu = new URL(req.url!, 'http://x').searchParams.get('vu')!;
      perVu.set(vu, (perVu.get(vu) ?? 0) + 1);
      setTimeout(() => res.end('ok'), vu === '2' ? 250 : 0);
    });
    const summary = await startRun(
      probe({
        target: server.url,
        scenario: { executor: 'shared-iterations', vus: 2, iterations: 40, maxDuration: '2s', gracefulStop: '0s' },
        requests: [{ name: 'get', url: '/x?vu={{vu}}&s={{seq}}' }],
      }),
      { threads: 2 },
    ).done;
    expect(summary.threads).toBe(2);
    expect(summary.droppedIterations).toBe(0);
    expect(summary.metrics.iterations!.values.count).toBe(40);
    expect(perVu.get('1')).toBeGreaterThan(30);
    expect(summary.durationMs).toBeLessThan(1_500);
  });

  it('shared-iterations across threads: what maxDuration leaves unstarted is dropped once, and seq numbers stay unique', async () => {
    const seqs: number[] = [];
    server = await testServer((req, res) => {
      seqs.push(Number(new URL(req.url!, 'http://x').searchParams.get('s')));
      setTimeout(() => res.end('ok'), 100);
    });
    const summary = await startRun(
      probe({
        target: server.url,
        scenario: { executor: 'shared-iterations', vus: 4, iterations: 200, maxDuration: '1s', gracefulStop: '500ms' },
        requests: [{ name: 'get', url: '/x?s={{seq}}' }],
      }),
      { threads: 2 },
    ).done;
    const done = summary.metrics.iterations?.values.count ?? 0;
    expect(done).toBeGreaterThan(10);
    expect(done + summary.interruptedIterations + summary.droppedIterations).toBe(200);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(Math.max(...seqs)).toBeLessThan(200);
  });

  /** Two VUs against a 300 ms target, stopped by a 1 s maxDuration with a 100 ms gracefulStop. */
  async function boundedSlowRun(scenario: Record<string, unknown>): Promise<RunSummary> {
    server = await testServer(delayed(300));
    return startRun(probe({ target: server.url, scenario: { vus: 2, maxDuration: '1s', gracefulStop: '100ms', ...scenario }, requests: [{ name: 'slow', url: '/x' }] })).done;
  }

  it('maxDuration and gracefulStop bound an iteration-based run against a slow target', async () => {
    const summary = await boundedSlowRun({ executor: 'shared-iterations', iterations: 1000 });
    // Two VUs at ~3 requests/s each for 1 s; the two in flight at the end are interrupted.
    expect(summary.metrics.iterations!.values.count).toBeGreaterThanOrEqual(4);
    expect(summary.metrics.iterations!.values.count).toBeLessThanOrEqual(8);
    expect(summary.interruptedIterations).toBe(2);
    expect(summary.durationMs).toBeLessThan(1500);
    // As in k6, the iterations that never started by maxDuration are dropped, and the warning says why.
    expect(summary.droppedIterations).toBe(1000 - summary.metrics.iterations!.values.count! - 2);
    expect(summary.metrics.dropped_iterations!.values.count).toBe(summary.droppedIterations);
    expect(summary.warnings.join('\n')).toMatch(/iterations \([\d.]+ %\) did not start before maxDuration \(1s\) ended the scenario/);
    expect(summary.warnings.join('\n')).not.toMatch(/VUs were busy/);
  });

  it('vus of a run shorter than its first interval is the VUs that ran, not those left at its end (0)', async () => {
    server = await testServer(delayed(20));
    const summary = await startRun(
      probe({
        target: server.url,
        scenario: { executor: 'shared-iterations', vus: 3, iterations: 9 },
        requests: [{ name: 'get', url: '/x' }],
        thresholds: { vus: ['value>0'] },
      }),
    ).done;
    expect(summary.durationMs).toBeLessThan(1000);
    expect(summary.status).toBe('passed');
    expect(summary.metrics.vus!.values).toMatchObject({ value: 3, max: 3 });
    expect(summary.metrics.vus_busy!.values.max).toBe(3);
  });

  it('per-vu-iterations drops, per VU, the iterations that maxDuration leaves unstarted', async () => {
    const summary = await boundedSlowRun({ executor: 'per-vu-iterations', iterations: 50 });
    const done = summary.metrics.iterations!.values.count!;
    expect(summary.interruptedIterations).toBe(2);
    expect(summary.droppedIterations).toBe(100 - done - 2);
  });
});
