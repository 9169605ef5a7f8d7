/**
 * Edges a review found in the demo target and the demo config: each test
 * quotes what the docs or the code promise and failed before its fix.
 * Loopback only, a couple of seconds at most.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../service/config/index.ts';
import { DEMO_CONFIG } from '../service/paths.ts';
import { replay } from '../slos/index.ts';
import { CircuitBreaker } from './target/circuit-breaker.ts';
import { startDemoTarget } from './target/index.ts';
import type { DemoTarget, DemoTargetOptions } from './target/index.ts';

const started: DemoTarget[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((t) => t.close()));
});

async function start(options: DemoTargetOptions): Promise<DemoTarget> {
  const target = await startDemoTarget({ port: 0, defaultMetrics: false, ...options });
  started.push(target);
  return target;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('analytics circuit breaker: calls that started before it opened', () => {
  // demo/target/README.md, "Fault injection": "After `resetAfterMs` it lets exactly one trial call through: if the
  // trial succeeds, the breaker closes; if it fails, the breaker opens again." circuit-breaker.ts says of a call
  // that was already running when the breaker opened: "it changes nothing".
  // What happened: `record()` only ignored such a call while the breaker is still `open`. Once it is half-open, a
  // call that started *before* it opened and ends while the trial is in flight is taken for the trial: its success
  // closes the breaker (and clears trialInFlight), so further calls go through while the one trial is still running.
  it('keeps refusing calls while the single half-open trial is in flight, whatever an older call returns', async () => {
    const RESULTS = '/v1/experiments/exp-1/results';
    const target = await start({ breaker: { failureThreshold: 1, resetAfterMs: 300, slowCallMs: 10_000 }, resultsQueryMs: { min: 0, max: 0 } });
    const get = async (): Promise<number> => (await fetch(`${target.url}${RESULTS}`)).status;

    // A: a slow (but, by slowCallMs, successful) call that starts while the breaker is closed.
    target.setFaults({ latencyMs: 1_000 });
    const a = get();
    await sleep(100);
    // B: an injected failure opens the breaker (failureThreshold 1).
    target.setFaults({ latencyMs: 0, errorRate: 1 });
    expect(await get()).toBe(500);
    target.setFaults({ errorRate: 0 });
    expect(await get()).toBe(503);

    // After resetAfterMs: C is the one trial call, kept in flight for 3 s.
    await sleep(350);
    target.setFaults({ latencyMs: 3_000 });
    void get().catch(() => 0); // C ends when the target is closed
    await sleep(100);
    target.setFaults({ latencyMs: 0 });
    expect(await get()).toBe(503); // the trial is in flight: refused, as documented

    // A, which started before the breaker opened, now ends with 200 ...
    expect(await a).toBe(200);
    // ... and the breaker must still be half-open with C in flight. It had closed instead: this call got 200.
    const status = await get();
    expect(status).toBe(503);
  });

  // Same promise, with the default kind of stale call: with slowCallMs (500) below resetAfterMs (5000), any call
  // still running when the breaker half-opens is a slow, i.e. failed, call. It re-opens the breaker while the trial
  // is in flight, and then the trial's success is recorded in the `open` state and ignored: a successful trial
  // leaves the breaker open for another resetAfterMs, where the README says it closes.
  it('closes when the trial succeeds, even if a call from before it opened ends (slow) during the trial', () => {
    const b = new CircuitBreaker({ failureThreshold: 1, resetAfterMs: 1_000, slowCallMs: 500 });
    expect(b.acquire(0)).toBe(true); // A: a long call, started while closed
    expect(b.acquire(10)).toBe(true); // B fails: the breaker opens at 15
    b.record(false, 5, 15);
    expect(b.state(20)).toBe('open');
    expect(b.state(1_015)).toBe('half_open');
    expect(b.acquire(1_020)).toBe(true); // C: the one trial
    expect(b.acquire(1_030)).toBe(false);
    b.record(true, 1_200, 1_200); // A ends (slow): it started before the breaker opened and should change nothing
    b.record(true, 200, 1_220); // C, the trial, succeeds
    expect(b.state(1_230)).toBe('closed');
  });
});

describe('demo config: the uptime SLO', () => {
  // demo/config/slos.yaml, SLO `uptime`: description "The platform answers its health check 99.9 % of the time",
  // `budgeting: { timeslices: { slice: 1m, target: 1 } }` — a minute counts as up only when all of its health checks
  // (one every 10 s) succeeded. The loader accepts `target: 1` without a warning.
  // What happened: for uptime the target was dropped (slos/spec.ts mapped every uptime SLO to the `anyGood` slice
  // rule), so a minute in which 5 of the 6 health checks failed still counts as a good minute: an hour in which 83 %
  // of the checks failed gives an SLI of 100 % and no budget spent.
  it('counts a minute in which most health checks failed as down, as its target: 1 says', async () => {
    const r = await loadConfig(DEMO_CONFIG);
    if (!r.ok) throw new Error('the demo config does not load');
    expect(r.warnings).toEqual([]);
    const slo = r.config.slos.get('uptime')!;
    const start = Date.UTC(2025, 0, 6, 12, 0, 0);
    // Six health checks a minute, one of them successful, for an hour.
    const rows = Array.from({ length: 60 }, (_, i) => ({ at: start + i * 60_000, good: 1, total: 6 }));
    const { end } = replay(slo, rows);
    expect(end.budget.sli).not.toBeNull();
    expect(end.budget.sli!).toBeLessThan(0.999);
  });
});
