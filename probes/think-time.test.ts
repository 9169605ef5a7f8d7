/**
 * Think time, as k6 scripts write it (`http.get(…); sleep(1)`) and k6's
 * `minIterationDuration`: a VU pauses after its request, the pause is part
 * of the iteration (iteration_duration, a VU busy in the open model), and
 * http_req_duration stays the request's own.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startRun } from './run.ts';
import { probeSpecSchema } from './spec.ts';
import { delayed, probe, testServer } from './test-support.ts';
import type { TestServer } from './test-support.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const run = (spec: Record<string, unknown>) => startRun(probe({ target: server!.url, requests: [{ name: 'get', url: '/' }], ...spec }), { threads: 1 }).done;

describe('sleep (think time) and minIterationDuration', () => {
  it('closed model: each VU pauses `sleep` after its response, so 2 VUs with sleep 200ms send ~10 requests in 1s, not thousands', async () => {
    server = await testServer();
    const summary = await run({ scenario: { executor: 'constant-vus', vus: 2, duration: '1s' }, sleep: '200ms' });
    const count = summary.metrics.http_reqs!.values.count!;
    // ≤ 2 × (1 + 1000/200): the pauses bound it from above; a busy machine may slow it below 10.
    expect(count).toBeGreaterThanOrEqual(6);
    expect(count).toBeLessThanOrEqual(12);
    const iteration = summary.metrics.iteration_duration!.values;
    const request = summary.metrics.http_req_duration!.values;
    // k6: the iteration holds its sleep; the request's duration does not.
    expect(iteration.min).toBeGreaterThanOrEqual(200);
    expect(iteration.avg).toBeLessThan(260);
    expect(request.max).toBeLessThan(150);
  });

  it('a random sleep { min, max } spaces one VU’s requests within [min, max] after each response', async () => {
    server = await testServer();
    await run({ scenario: { executor: 'per-vu-iterations', vus: 1, iterations: 8, maxDuration: '10s' }, sleep: { min: '50ms', max: '150ms' } });
    const gaps = server.arrivals.slice(1).map((t, i) => t - server!.arrivals[i]!);
    expect(gaps).toHaveLength(7);
    for (const g of gaps) {
      expect(g).toBeGreaterThanOrEqual(49);
      // max 150 ms, plus the request and timer slack of a busy machine.
      expect(g).toBeLessThan(350);
    }
    // Random, not fixed: the gaps differ.
    expect(Math.max(...gaps) - Math.min(...gaps)).toBeGreaterThan(5);
  });

  it('a request’s own sleep replaces the probe’s', async () => {
    server = await testServer();
    await run({
      scenario: { executor: 'per-vu-iterations', vus: 1, iterations: 4, maxDuration: '10s' },
      sleep: '1s',
      requests: [{ name: 'get', url: '/', sleep: '60ms' }],
    });
    const gaps = server.arrivals.slice(1).map((t, i) => t - server!.arrivals[i]!);
    for (const g of gaps) {
      expect(g).toBeGreaterThanOrEqual(59);
      expect(g).toBeLessThan(400);
    }
  });

  it('minIterationDuration pads an iteration shorter than it (the VU waits), outside iteration_duration as in k6: a 100 ms request, iterations 250 ms apart', async () => {
    server = await testServer(delayed(100));
    const summary = await run({ scenario: { executor: 'per-vu-iterations', vus: 1, iterations: 4, maxDuration: '10s' }, minIterationDuration: '250ms' });
    const gaps = server.arrivals.slice(1).map((t, i) => t - server!.arrivals[i]!);
    for (const g of gaps) {
      // The padding runs from the request's send; the gap between arrivals also holds the difference of two
      // sends' trip to the server, a few ms on a busy host (seen: 247.6 ms).
      expect(g).toBeGreaterThanOrEqual(244);
      expect(g).toBeLessThan(400);
    }
    // k6 records iteration_duration before it pads (ActiveVU.RunOnce): the request's time, not 250 ms.
    expect(summary.metrics.iteration_duration!.values.min).toBeGreaterThanOrEqual(100);
    expect(summary.metrics.iteration_duration!.values.max).toBeLessThan(240);
    expect(summary.metrics.http_req_duration!.values.max).toBeLessThan(200);
  });

  it('open model: a VU is busy while it sleeps, as in k6: 1 VU with sleep 200ms takes ~5 of 20 arrivals a second, the rest are dropped', async () => {
    server = await testServer();
    const summary = await run({ scenario: { executor: 'constant-arrival-rate', rate: 20, duration: '1s', preAllocatedVUs: 1, maxVUs: 1 }, sleep: '200ms' });
    expect(summary.outcomes.ok).toBeGreaterThanOrEqual(4);
    expect(summary.outcomes.ok).toBeLessThanOrEqual(6);
    expect(summary.droppedIterations).toBeGreaterThanOrEqual(14);
    expect(summary.metrics.iteration_duration!.values.min).toBeGreaterThanOrEqual(200);
  });

  it('open model: a VU in its sleep counts as busy in progress (it cannot take an arrival), also in an interval without a send', async () => {
    server = await testServer();
    const busy: { at: number; busy: number; max: number }[] = [];
    const summary = await startRun(
      probe({ target: server.url, requests: [{ name: 'get', url: '/' }], scenario: { executor: 'constant-arrival-rate', rate: 5, duration: '3s', preAllocatedVUs: 1, maxVUs: 1 }, sleep: '2500ms' }),
      { threads: 1, onProgress: (p) => busy.push({ at: p.elapsedMs, busy: p.vusBusy, max: p.vusMax }) },
    ).done;
    expect(server.hits).toBe(2);
    expect(summary.droppedIterations).toBeGreaterThanOrEqual(12);
    // The second second: no send, the one VU asleep, every arrival dropped.
    const second = busy.filter((b) => b.at > 1_500 && b.at < 2_500);
    expect(second.length).toBeGreaterThan(0);
    for (const b of second) expect(b).toMatchObject({ busy: 1, max: 1 });
  });

  it('shared-iterations ends after the last iteration’s sleep, as k6’s does', async () => {
    server = await testServer();
    const summary = await run({ scenario: { executor: 'shared-iterations', vus: 1, iterations: 3, maxDuration: '10s' }, sleep: '150ms' });
    expect(summary.outcomes.ok).toBe(3);
    expect(summary.durationMs).toBeGreaterThanOrEqual(440);
  });

  it('a VU ramped down in its think time ends at once: vus falls with the ramp, not when the sleep would end', async () => {
    server = await testServer();
    const vusAfterRampDown: number[] = [];
    await startRun(
      probe({
        target: server.url,
        scenario: { executor: 'ramping-vus', startVUs: 4, gracefulRampDown: '0s', stages: [{ duration: '1s', target: 4 }, { duration: '100ms', target: 0 }, { duration: '2s', target: 0 }] },
        sleep: '30s',
        requests: [{ name: 'get', url: '/' }],
      }),
      { threads: 1, onProgress: (p) => p.elapsedMs > 2_500 && vusAfterRampDown.push(p.vus) },
    ).done;
    expect(vusAfterRampDown.length).toBeGreaterThan(0);
    expect(Math.max(...vusAfterRampDown)).toBe(0);
  });

  it('a run that ends while a VU sleeps waits for the sleep within gracefulStop, and counts the iteration then (k6: the sleep is part of it)', async () => {
    server = await testServer();
    const summary = await run({ scenario: { executor: 'constant-vus', vus: 1, duration: '1s' }, sleep: '600ms' });
    // Requests at ~0 and ~600 ms; the second iteration's sleep runs to ~1,200 ms, past the 1 s duration.
    expect(server.hits).toBe(2);
    expect(summary.metrics.iterations!.values.count).toBe(2);
    expect(summary.interruptedIterations).toBe(0);
    expect(summary.durationMs).toBeGreaterThanOrEqual(1_150);
    expect(summary.metrics.iteration_duration!.values.min).toBeGreaterThanOrEqual(600);
  });

  it('gracefulStop cuts a sleep short: that iteration is interrupted, not counted (its request still is)', async () => {
    server = await testServer();
    const summary = await run({ scenario: { executor: 'constant-vus', vus: 1, duration: '1s', gracefulStop: '100ms' }, sleep: '600ms' });
    expect(server.hits).toBe(2);
    expect(summary.metrics.http_reqs!.values.count).toBe(2);
    expect(summary.metrics.iterations!.values.count).toBe(1);
    expect(summary.interruptedIterations).toBe(1);
    expect(summary.durationMs).toBeLessThan(1_500);
  });

  it('a VU ramped down in its sleep finishes it within gracefulRampDown (vus stays up meanwhile), or is interrupted when that runs out', async () => {
    server = await testServer();
    const stages = [
      { duration: '200ms', target: 1 },
      { duration: '100ms', target: 0 },
      { duration: '3700ms', target: 0 },
    ];
    const samples: { at: number; vus: number }[] = [];
    const finished = await startRun(probe({ target: server.url, requests: [{ name: 'get', url: '/' }], scenario: { executor: 'ramping-vus', startVUs: 1, gracefulRampDown: '5s', stages }, sleep: '2500ms' }), {
      threads: 1,
      onProgress: (p) => samples.push({ at: p.elapsedMs, vus: p.vus }),
    }).done;
    expect(server.hits).toBe(1);
    expect(finished.metrics.iterations!.values.count).toBe(1);
    expect(finished.interruptedIterations).toBe(0);
    expect(finished.metrics.iteration_duration!.values.min).toBeGreaterThanOrEqual(2_500);
    // Still sleeping (so still a VU) at 2 s, long after the ramp to 0; gone by the end.
    expect(samples.filter((s) => s.at >= 1_500 && s.at <= 2_400).map((s) => s.vus)).toContain(1);
    expect(samples.at(-1)!.vus).toBe(0);

    const cut = await startRun(probe({ target: server.url, requests: [{ name: 'get', url: '/' }], scenario: { executor: 'ramping-vus', startVUs: 1, gracefulRampDown: '300ms', stages }, sleep: '2500ms' }), { threads: 1 }).done;
    expect(cut.metrics.iterations?.values.count ?? 0).toBe(0);
    expect(cut.interruptedIterations).toBe(1);
  });

  it('minIterationDuration’s padding does not hold up the end of a run (the iteration is over)', async () => {
    server = await testServer();
    const summary = await run({ scenario: { executor: 'constant-vus', vus: 1, duration: '500ms' }, minIterationDuration: '20s' });
    expect(server.hits).toBe(1);
    expect(summary.metrics.iterations!.values.count).toBe(1);
    expect(summary.interruptedIterations).toBe(0);
    expect(summary.durationMs).toBeLessThan(2_000);
  });

  it('says what a sleep must be', () => {
    const problems = (spec: Record<string, unknown>): string[] => {
      const r = probeSpecSchema.safeParse({ target: 'http://127.0.0.1:1', scenario: { executor: 'constant-vus', vus: 1, duration: '1s' }, requests: [{ name: 'a', url: '/' }], ...spec });
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(problems({ sleep: { min: '2s', max: '1s' } })).toEqual(['sleep: min (2s) is above max (1s)']);
    expect(problems({ sleep: '2h' })).toEqual(['sleep: expected a sleep of at most 1h']);
    expect(problems({ sleep: 'soon' })).toEqual([expect.stringMatching(/^sleep: /)]);
    expect(problems({ minIterationDuration: '2h' })).toEqual(['minIterationDuration: expected at most 1h']);
    expect(problems({ requests: [{ name: 'a', url: '/', sleep: { min: '1s' } }] })).toEqual(['requests.0.sleep: expected a duration (1s) or { min, max } durations']);
    expect(problems({ sleep: '0s', minIterationDuration: '0s' })).toEqual([]);
  });
});
