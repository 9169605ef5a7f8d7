import { afterEach, describe, expect, it } from 'vitest';
import { BurnwatchError } from '../common/index.ts';
import { decodeHistogram } from './histogram.ts';
import type { IntervalSnapshot } from './results.ts';
import { fdLimitWarning, startRun } from './run.ts';
import { WHOLE } from './schedule.ts';
import { delayed, probe, stalledListener, testServer } from './test-support.ts';
import type { TestServer } from './test-support.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('safety', () => {
  it('refuses more VUs than one process can hold (a typo of vus: 10000000 took 68 s and 4 GB to fail every request), naming --segment', () => {
    const attempt = (scenario: Record<string, unknown>, segment = WHOLE): BurnwatchError => {
      try {
        startRun(probe({ target: 'http://127.0.0.1:9', scenario, requests: [{ name: 'get', url: '/x' }] }), { segment });
      } catch (err) {
        return err as BurnwatchError;
      }
      throw new Error('the run started');
    };
    const closed = attempt({ executor: 'constant-vus', vus: 10_000_000, duration: '1s' });
    expect(closed).toBeInstanceOf(BurnwatchError);
    expect(closed.code).toBe('PROBE_TOO_MANY_VUS');
    expect(closed.message).toBe(
      'this process would hold 10,000,000 VUs, more than the 1,000,000 one burnwatch process holds (each VU keeps a connection, and a process opens at most ~1M files): split the load over machines with --segment, e.g. --segment 1/10',
    );
    const open = attempt({ executor: 'constant-arrival-rate', rate: 10, duration: '1s', preAllocatedVUs: 1, maxVUs: 3_000_000 }, { index: 0, count: 2 });
    expect(open.message).toMatch(/^this process would hold 1,500,000 VUs \(segment 1\/2\), more than the 1,000,000 .* e\.g\. --segment 1\/3$/);
  });

  it('rejects a probe whose peak arrival rate is above maxRps, before sending anything', () => {
    const p = probe({
      target: 'http://127.0.0.1:9',
      scenario: { executor: 'ramping-arrival-rate', stages: [{ duration: '10s', target: 60_000 }], preAllocatedVUs: 10 },
      requests: [{ name: 'get', url: '/x' }],
    });
    let caught: unknown;
    try {
      startRun(p, { maxRps: 50_000 });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(BurnwatchError);
    expect((caught as BurnwatchError).code).toBe('PROBE_RATE_ABOVE_CAP');
    expect((caught as Error).message).toMatch(/asks for 60,000 requests\/s at its peak, above the maxRps cap of 50,000; .* never clips/);
  });

  it('auto-abort stops a run whose target keeps failing and says why', async () => {
    server = await testServer(delayed(0, 503));
    const summary = await startRun(
      probe({
        target: server.url,
        scenario: { executor: 'constant-arrival-rate', rate: 50, duration: '30s', preAllocatedVUs: 10 },
        requests: [{ name: 'get', url: '/x' }],
        autoAbort: { errorRate: 50, for: '2s' },
      }),
    ).done;
    expect(summary.status).toBe('aborted');
    expect(summary.stopReason).toMatch(/^auto-abort: error rate 100 % > 50 % for 2s$/);
    expect(summary.durationMs).toBeLessThan(4500);
    expect(summary.outcomes.http_error).toBeGreaterThan(80);
  });

  it('auto-abort counts wall time: at one request every 2 s, a target failing every one is stopped about `for` after it began failing', async () => {
    server = await testServer(delayed(0, 503));
    const summary = await startRun(
      probe({
        target: server.url,
        scenario: { executor: 'constant-arrival-rate', rate: 0.5, duration: '12s', preAllocatedVUs: 1 },
        requests: [{ name: 'get', url: '/x' }],
        autoAbort: { errorRate: 50, for: '3s' },
      }),
      { threads: 1 },
    ).done;
    expect(summary.status).toBe('aborted');
    expect(summary.stopReason).toMatch(/^auto-abort: error rate 100 % > 50 % for 3s$/);
    // Failing from the first request: 3 s of failure and an interval of slack, not 3 intervals with a completion (5 s).
    expect(summary.durationMs).toBeLessThan(4_500);
  });

  it('an abort while the workers still prepare (pre-connecting to a target whose handshakes hang) ends the run at once, with a summary', async () => {
    const stalled = await stalledListener(20_000);
    try {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 300);
      const t0 = performance.now();
      const summary = await startRun(
        probe({ target: `http://127.0.0.1:${stalled.port}`, timeout: '8s', scenario: { executor: 'constant-vus', vus: 2, duration: '30s' }, requests: [{ name: 'get', url: '/x' }] }),
        { signal: controller.signal, threads: 1 },
      ).done;
      // Before, the run started once the pre-connect gave up (the 8 s timeout), then stopped.
      expect(performance.now() - t0).toBeLessThan(3_000);
      expect(summary.status).toBe('aborted');
      expect(summary.stopReason).toBe('interrupted');
      expect(summary.metrics.http_reqs?.values.count ?? 0).toBe(0);
    } finally {
      await stalled.close();
    }
  });

  it('warns when the VUs’ connections, one per VU and origin, may not fit under the open-file limit', () => {
    const oneOrigin = probe({ target: 'http://127.0.0.1:9', scenario: { executor: 'constant-vus', vus: 100, duration: '1s' }, requests: [{ name: 'a', url: '/x' }] });
    const twoOrigins = probe({
      target: 'http://127.0.0.1:9',
      scenario: { executor: 'constant-vus', vus: 100, duration: '1s' },
      requests: [
        { name: 'a', url: '/x' },
        { name: 'b', url: 'http://127.0.0.2:9/y' },
      ],
    });
    expect(fdLimitWarning(oneOrigin, WHOLE, 200)).toBeUndefined();
    expect(fdLimitWarning(twoOrigins, WHOLE, 200)).toMatch(/^this run may open up to 200 connections \(one per VU and origin\) but the process may open only 200 open files \(ulimit -n\)/);
    expect(fdLimitWarning(twoOrigins, WHOLE, undefined)).toBeUndefined();
  });

  it('a signal aborted before the start ends the run at once and starts no worker: the target sees no connection', async () => {
    server = await testServer();
    const controller = new AbortController();
    controller.abort();
    const summary = await startRun(
      probe({ target: server.url, scenario: { executor: 'constant-vus', vus: 4, duration: '5s' }, requests: [{ name: 'get', url: '/x' }] }),
      { signal: controller.signal, threads: 2 },
    ).done;
    expect(summary.status).toBe('aborted');
    // Before, the workers were started after the summary was handed back, and pre-connected to the target.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(server.connections).toBe(0);
  });

  it('an aborted signal stops the run gracefully and the summary is still produced', async () => {
    server = await testServer(delayed(10));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 1500);
    const summary = await startRun(
      probe({ target: server.url, scenario: { executor: 'constant-vus', vus: 3, duration: '30s' }, requests: [{ name: 'get', url: '/x' }] }),
      { signal: controller.signal },
    ).done;
    expect(summary.status).toBe('aborted');
    expect(summary.stopReason).toBe('interrupted');
    expect(summary.durationMs).toBeLessThan(3500);
    expect(summary.metrics.http_reqs!.values.count).toBeGreaterThan(50);
  });
});

describe('segments and threads', () => {
  it('n segments of a scenario, each split across 2 threads, send exactly the whole load together', async () => {
    server = await testServer();
    const p = probe({
      target: server.url,
      scenario: { executor: 'ramping-arrival-rate', startRate: 0, stages: [{ duration: '1s', target: 300 }], preAllocatedVUs: 6, maxVUs: 60 }, // VUs to spare on a loaded machine: a drop would be a missing hit
      requests: [{ name: 'get', url: '/x?seq={{seq}}' }],
    });
    const perSegment: number[] = [];
    for (let i = 0; i < 3; i++) {
      const before = server.hits;
      const summary = await startRun(p, { segment: { index: i, count: 3 }, threads: 2 }).done;
      expect(summary.threads).toBe(2);
      expect(summary.segment).toEqual({ index: i + 1, count: 3 });
      perSegment.push(server.hits - before);
    }
    // Area under 0→300/s over 1 s = 150 iterations.
    expect(perSegment.reduce((a, b) => a + b, 0)).toBe(150);
    expect(perSegment).toEqual([50, 50, 50]);
  });

  it('a segment or thread whose share of an iteration-based scenario is empty ends at once, not at maxDuration', async () => {
    server = await testServer();
    // One iteration split 2 ways: segment 2/2 has nothing to run.
    const p = probe({ target: server.url, scenario: { executor: 'shared-iterations', maxDuration: '20s' }, requests: [{ name: 'get', url: '/x' }] });
    const empty = await startRun(p, { segment: { index: 1, count: 2 } }).done;
    expect(empty.metrics.http_reqs?.values.count ?? 0).toBe(0);
    expect(empty.status).toBe('passed');
    expect(empty.durationMs).toBeLessThan(2_000);
    const perVu = probe({ target: server.url, scenario: { executor: 'per-vu-iterations', maxDuration: '20s' }, requests: [{ name: 'get', url: '/x' }] });
    expect((await startRun(perVu, { segment: { index: 1, count: 2 } }).done).durationMs).toBeLessThan(2_000);
  });

  it('{{seq}} numbers iterations uniquely across threads, 0…n−1', async () => {
    const seen: number[] = [];
    server = await testServer((req, res) => {
      seen.push(Number(new URL(req.url ?? '/', 'http://x').searchParams.get('seq')));
      res.end();
    });
    const summary = await startRun(
      probe({
        target: server.url,
        scenario: { executor: 'constant-arrival-rate', rate: 200, duration: '1s', preAllocatedVUs: 4, maxVUs: 40 },
        requests: [{ name: 'get', url: '/x?seq={{seq}}' }],
      }),
      { threads: 2 },
    ).done;
    // A dropped iteration (a busy machine: no VU free) keeps its number unsent; every other number comes once.
    const sorted = seen.sort((a, b) => a - b);
    expect(new Set(sorted).size).toBe(sorted.length);
    expect(sorted.length + summary.droppedIterations).toBe(200);
    expect(sorted[0]).toBeGreaterThanOrEqual(0);
    expect(sorted.at(-1)).toBeLessThan(200);
    expect(sorted.length).toBeGreaterThanOrEqual(180);
  });
});

describe('interval snapshots', () => {
  it('carry per-request outcomes, histograms, within-threshold counts, header counts and traced samples', async () => {
    const traceparents: string[] = [];
    server = await testServer((req, res) => {
      if (req.headers.traceparent) traceparents.push(req.headers.traceparent as string);
      // Layered caches send one line each: the first (the cache nearest the client) is what is counted.
      res.setHeader('x-cache', req.url?.includes('hit') ? ['HIT', 'MISS from origin-shield'] : 'MISS');
      res.end('ok');
    });
    const snapshots: IntervalSnapshot[] = [];
    const summary = await startRun(
      probe({
        target: server.url,
        scenario: { executor: 'constant-arrival-rate', rate: 100, duration: '2s', preAllocatedVUs: 5 },
        requests: [
          { name: 'hit', url: '/hit', weight: 3 },
          { name: 'miss', url: '/miss' },
        ],
      }),
      { runId: 'r-1', latencyThresholdsMs: [1000], countHeaders: ['X-Cache'], traceSampleRatio: 1, maxSamplesPerInterval: 5, onInterval: (s) => snapshots.push(s) },
    ).done;
    expect(summary.runId).toBe('r-1');
    expect(snapshots.length).toBeGreaterThanOrEqual(2);
    let hit = 0;
    let miss = 0;
    for (const s of snapshots) {
      expect(s.runId).toBe('r-1');
      expect(s.end).toBeGreaterThan(s.start);
      expect(s.samples.length).toBeLessThanOrEqual(5);
      for (const r of s.requests) {
        const total = Object.values(r.outcomes).reduce((a, b) => a + b, 0);
        expect(Object.keys(r.outcomes).sort()).toEqual(['assertion_failed', 'connect_error', 'http_error', 'ok', 'reset', 'timeout']);
        expect(decodeHistogram(r.latencyUs).totalCount).toBe(total);
        expect(r.within['1000']).toBe(total);
        if (r.request === 'hit') hit += r.headers['x-cache']?.HIT ?? 0;
        else miss += r.headers['x-cache']?.MISS ?? 0;
      }
      for (const sample of s.samples) {
        expect(sample.traceId).toMatch(/^[0-9a-f]{32}$/);
        expect(traceparents).toContain(`00-${sample.traceId}-${sample.spanId}-01`);
        expect(sample.url).toMatch(new RegExp(`^${server.url}/(hit|miss)$`));
        expect(sample.outcome).toBe('ok');
      }
    }
    expect(hit).toBe(150);
    expect(miss).toBe(50);
    expect(snapshots.reduce((n, s) => n + s.samples.length, 0)).toBe(traceparents.length);
  });
});
