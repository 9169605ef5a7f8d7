import { afterEach, describe, expect, it, vi } from 'vitest';
import { Agg } from './metrics.ts';
import { startRun } from './run.ts';
import { delayed, probe, testServer } from './test-support.ts';
import type { TestServer } from './test-support.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const arrival = (rate: number, duration: string): Record<string, unknown> => ({
  executor: 'constant-arrival-rate',
  rate,
  duration,
  preAllocatedVUs: 20,
  maxVUs: 200,
  gracefulStop: '2s',
});

describe('thresholds in a run', () => {
  it('passing and failing thresholds decide the status and carry the observed values', async () => {
    server = await testServer(delayed(30));
    const summary = await startRun(
      probe({
        target: server.url,
        scenario: arrival(50, '1s'),
        requests: [{ name: 'get', url: '/x' }],
        thresholds: { http_req_duration: ['p(95)<1000', 'med<10'], http_req_failed: ['rate<0.01'], 'http_reqs{request:get}': ['count==50'] },
      }),
    ).done;
    expect(summary.status).toBe('failed');
    expect(summary.stopReason).toBe('completed');
    const byExpr = Object.fromEntries(summary.thresholds.map((t) => [`${t.metric} ${t.threshold}`, t]));
    expect(byExpr['http_req_duration p(95)<1000']).toMatchObject({ ok: true });
    expect(byExpr['http_req_duration med<10']).toMatchObject({ ok: false });
    expect(byExpr['http_req_duration med<10']!.value).toBeGreaterThanOrEqual(30);
    expect(byExpr['http_req_duration med<10']!.value).toBeLessThan(80);
    expect(byExpr['http_req_failed rate<0.01']).toMatchObject({ ok: true, value: 0 });
    expect(byExpr['http_reqs{request:get} count==50']).toMatchObject({ ok: true, value: 50 });
    expect(summary.metrics.http_req_duration!.thresholds).toEqual({ 'p(95)<1000': { ok: true }, 'med<10': { ok: false } });
  });

  it('latency filtered by status sees only responses with that status (slow 503s do not spoil the 200s)', async () => {
    // Every fifth request gets a 503 after 150 ms; the others a 200 at once.
    let seen = 0;
    server = await testServer((_req, res) => {
      seen++;
      const failing = seen % 5 === 0;
      setTimeout(
        () => {
          res.statusCode = failing ? 503 : 200;
          res.end('x');
        },
        failing ? 150 : 0,
      );
    });
    const summary = await startRun(
      probe({
        target: server.url,
        scenario: arrival(50, '2s'),
        requests: [{ name: 'get', url: '/x' }],
        thresholds: {
          http_req_duration: ['p(95)<100'],
          'http_req_duration{status:200}': ['p(95)<100'],
          'http_req_duration{status:503}': ['min>=150'],
          'http_req_waiting{status:503}': ['med>=150'],
          'http_req_duration{status:404}': ['max<1'],
        },
      }),
    ).done;
    const byKey = Object.fromEntries(summary.thresholds.map((t) => [`${t.metric} ${t.threshold}`, t]));
    expect(byKey['http_req_duration p(95)<100']).toMatchObject({ ok: false });
    expect(byKey['http_req_duration{status:200} p(95)<100']).toMatchObject({ ok: true });
    expect(byKey['http_req_duration{status:200} p(95)<100']!.value).toBeLessThan(100);
    expect(byKey['http_req_duration{status:503} min>=150']).toMatchObject({ ok: true });
    expect(byKey['http_req_waiting{status:503} med>=150']).toMatchObject({ ok: true });
    expect(byKey['http_req_waiting{status:503} med>=150']!.value).toBeLessThan(300);
    // No 404 was seen: no data, so it holds, and the summary says so.
    expect(byKey['http_req_duration{status:404} max<1']).toMatchObject({ ok: true, value: null });
    expect(summary.metrics['http_req_duration{status:503}']!.values.count).toBe(20);
    expect(summary.metrics['http_req_duration{status:200}']!.values.count).toBe(80);
    expect(summary.status).toBe('failed');
  });

  it('checks counts every request: a probe answered only with 500s fails checks rate>0.99 instead of having no data', async () => {
    server = await testServer(delayed(0, 500, '{"ok":false}'));
    const summary = await startRun(
      probe({
        target: server.url,
        scenario: arrival(20, '1s'),
        requests: [{ name: 'get', url: '/x', expect: { status: [200], json: { '$.ok': true } } }],
        thresholds: { checks: ['rate>0.99'] },
      }),
    ).done;
    expect(summary.thresholds[0]).toMatchObject({ metric: 'checks', ok: false, value: 0 });
    expect(summary.metrics.checks!.values).toEqual({ rate: 0, passes: 0, fails: 20 });
    expect(summary.status).toBe('failed');
  });

  it('abortOnFail stops the run at the first interval that fails, long before its end', async () => {
    server = await testServer(delayed(0, 500));
    const summary = await startRun(
      probe({
        target: server.url,
        scenario: arrival(50, '20s'),
        requests: [{ name: 'get', url: '/x' }],
        thresholds: { http_req_failed: [{ threshold: 'rate<0.1', abortOnFail: true }] },
      }),
    ).done;
    expect(summary.status).toBe('failed');
    expect(summary.stopReason).toMatch(/^threshold http_req_failed rate<0\.1 crossed \(abortOnFail\): rate=100%/);
    expect(summary.thresholds[0]).toMatchObject({ ok: false, abortedRun: true });
    expect(summary.durationMs).toBeLessThan(3500);
  });

  it('delayAbortEval keeps an abortOnFail threshold from stopping the run too early', async () => {
    server = await testServer(delayed(0, 500));
    const summary = await startRun(
      probe({
        target: server.url,
        scenario: arrival(50, '20s'),
        requests: [{ name: 'get', url: '/x' }],
        thresholds: { http_req_failed: [{ threshold: 'rate<0.1', abortOnFail: true, delayAbortEval: '2500ms' }] },
      }),
    ).done;
    expect(summary.status).toBe('failed');
    expect(summary.durationMs).toBeGreaterThanOrEqual(2500);
    expect(summary.durationMs).toBeLessThan(5000);
  });

  it('a windowed threshold fails on a bad 2 s stretch that the whole-run figure hides', async () => {
    let first = 0;
    server = await testServer((_req, res) => {
      const now = performance.now();
      first ||= now;
      const t = now - first;
      const slow = t >= 1500 && t < 3000;
      setTimeout(() => res.end('ok'), slow ? 300 : 0);
    });
    const summary = await startRun(
      probe({
        target: server.url,
        scenario: arrival(50, '6s'),
        requests: [{ name: 'get', url: '/x' }],
        thresholds: { http_req_duration: ['p(50)<100', { threshold: 'p(50)<100', window: '2s' }] },
      }),
    ).done;
    const [whole, windowed] = summary.thresholds;
    expect(whole).toMatchObject({ ok: true });
    expect(windowed).toMatchObject({ ok: false, windowMs: 2000 });
    expect(windowed!.value).toBeGreaterThan(250);
    expect(windowed!.windows!.evaluated).toBeGreaterThanOrEqual(4);
    expect(windowed!.windows!.failed).toBeGreaterThanOrEqual(1);
    expect(windowed!.windows!.failed).toBeLessThan(windowed!.windows!.evaluated);
    expect(summary.status).toBe('failed');
  });

  it('thresholds over the same window build it once per interval, not once each', async () => {
    server = await testServer();
    const calls = new Map<Agg, number>();
    // Called below with its Agg as `this`.
    // eslint-disable-next-line @typescript-eslint/unbound-method
    const real = Agg.prototype.addInterval;
    const counting = vi.spyOn(Agg.prototype, 'addInterval').mockImplementation(function (this: Agg, ...args: Parameters<Agg['addInterval']>) {
      calls.set(this, (calls.get(this) ?? 0) + 1);
      return real.apply(this, args);
    });
    try {
      const summary = await startRun(
        probe({
          target: server.url,
          scenario: arrival(20, '4s'),
          requests: [{ name: 'get', url: '/x' }],
          thresholds: {
            http_req_duration: [{ threshold: 'p(95)<1000', window: '2s' }, { threshold: 'max<5000', window: '2s' }],
            http_req_failed: [{ threshold: 'rate<0.5', window: '2s' }],
          },
        }),
        { threads: 1 },
      ).done;
      expect(summary.thresholds.every((t) => t.windows!.evaluated >= 2)).toBe(true);
    } finally {
      counting.mockRestore();
    }
    // The run's totals and its interval take each interval once; the 2 s window adds two intervals per evaluation.
    const counts = [...calls.values()].sort((a, b) => a - b);
    expect(counts).toHaveLength(3);
    expect(counts[2]!).toBeLessThanOrEqual(2 * counts[0]!);
  });

  it('a breakpoint run ramps until a windowed abortOnFail threshold stops it and reports the last rate that met it', async () => {
    // The target slows down (250 ms) while it receives more than ~100 requests/s.
    const recent: number[] = [];
    server = await testServer((_req, res) => {
      const now = performance.now();
      recent.push(now);
      while (recent.length > 0 && recent[0]! < now - 500) recent.shift();
      setTimeout(() => res.end('ok'), recent.length > 50 ? 250 : 0);
    });
    const summary = await startRun(
      probe({
        target: server.url,
        scenario: { executor: 'ramping-arrival-rate', startRate: 20, stages: [{ duration: '8s', target: 260 }], preAllocatedVUs: 20, maxVUs: 300, gracefulStop: '1s' },
        requests: [{ name: 'get', url: '/x' }],
        thresholds: { http_req_duration: [{ threshold: 'p(95)<100', abortOnFail: true, window: '1s' }] },
      }),
    ).done;
    expect(summary.status).toBe('failed');
    expect(summary.stopReason).toMatch(/crossed \(abortOnFail\).* at \d+ req\/s; last rate that met it: \d+ req\/s/);
    expect(summary.breakpoint).toBeDefined();
    expect(summary.breakpoint!.lastPassingRate).toBeGreaterThanOrEqual(50);
    expect(summary.breakpoint!.lastPassingRate).toBeLessThanOrEqual(130);
    expect(summary.breakpoint!.failedAtRate).toBeGreaterThan(summary.breakpoint!.lastPassingRate!);
    expect(summary.durationMs).toBeLessThan(7000);
  });

  it('an abortOnFail stop of a constant-rate run names its rate but reports no breakpoint, and the warning names gracefulStop only', async () => {
    server = await testServer(delayed(300));
    const summary = await startRun(
      probe({
        target: server.url,
        scenario: { executor: 'constant-arrival-rate', rate: 20, duration: '8s', preAllocatedVUs: 10, maxVUs: 20 },
        requests: [{ name: 'get', url: '/x' }],
        thresholds: { http_req_duration: [{ threshold: 'p(95)<100', abortOnFail: true }] },
      }),
    ).done;
    expect(summary.status).toBe('failed');
    expect(summary.stopReason).toMatch(/crossed \(abortOnFail\).* at 20 req\/s$/);
    expect(summary.breakpoint).toBeUndefined();
    expect(summary.warnings.find((w) => w.includes('interrupted'))).toMatch(/^\d+ iterations were still running when the abortOnFail threshold stopped the run and were interrupted/);
  });

  it('a breakpoint run whose windowed abortOnFail threshold never held reports no last passing rate', async () => {
    // Every answer is a 500: the 3 s window is never met, so no rate passed,
    // although the threshold could not be evaluated during the first 3 s.
    server = await testServer(delayed(0, 500));
    const summary = await startRun(
      probe({
        target: server.url,
        scenario: { executor: 'ramping-arrival-rate', startRate: 10, stages: [{ duration: '8s', target: 20 }], preAllocatedVUs: 5, gracefulStop: '1s' },
        requests: [{ name: 'get', url: '/x' }],
        thresholds: { http_req_failed: [{ threshold: 'rate<0.5', abortOnFail: true, window: '3s' }] },
      }),
    ).done;
    expect(summary.status).toBe('failed');
    expect(summary.thresholds[0]).toMatchObject({ ok: false, abortedRun: true });
    expect(summary.breakpoint).toBeDefined();
    expect(summary.breakpoint!.lastPassingRate).toBeNull();
    expect(summary.breakpoint!.failedAtRate).toBeGreaterThanOrEqual(13);
    expect(summary.stopReason).toMatch(/crossed \(abortOnFail\).* at \d+ req\/s; last rate that met it: none$/);
    expect(summary.durationMs).toBeLessThan(6000);
  });

  it('a rate counts as passing only at an interval where every abortOnFail threshold had data and held', async () => {
    // The target rate is 10 + t req/s: requests 1–21 are sent at 0.10–1.92 s
    // and answered 200, request 22 (at 2.0 s) and later ones 500.
    // Intervals 1 (11 req/s) and 2 (12 req/s): both thresholds hold (the 2 s
    // window only from interval 2). Interval 3 (13 req/s): no expected
    // response, so the latency threshold has no data and the rate is not a
    // passing one, while the 2 s error-rate window holds (13 of 24, 54 %).
    // Interval 4 (14 req/s): the window is all errors and the run aborts.
    let seen = 0;
    server = await testServer((_req, res) => {
      seen++;
      res.statusCode = seen <= 21 ? 200 : 500;
      res.end('x');
    });
    const summary = await startRun(
      probe({
        target: server.url,
        scenario: { executor: 'ramping-arrival-rate', startRate: 10, stages: [{ duration: '10s', target: 20 }], preAllocatedVUs: 5, gracefulStop: '1s' },
        requests: [{ name: 'get', url: '/x' }],
        thresholds: {
          'http_req_duration{expected_response:true}': [{ threshold: 'p(95)<1000', abortOnFail: true, window: '1s' }],
          http_req_failed: [{ threshold: 'rate<0.6', abortOnFail: true, window: '2s' }],
        },
      }),
    ).done;
    expect(summary.status).toBe('failed');
    expect(summary.thresholds[1]).toMatchObject({ metric: 'http_req_failed', abortedRun: true });
    expect(summary.breakpoint!.lastPassingRate).toBeCloseTo(12, 3);
    expect(summary.breakpoint!.failedAtRate).toBeCloseTo(14, 3);
    expect(summary.stopReason).toMatch(/ at 14 req\/s; last rate that met it: 12 req\/s$/);
  });
});
