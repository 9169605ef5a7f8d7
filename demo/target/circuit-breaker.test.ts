import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from './circuit-breaker.ts';
import type { BreakerState } from './circuit-breaker.ts';

const OPTIONS = { failureThreshold: 3, resetAfterMs: 1_000, slowCallMs: 100 };

function breaker() {
  const changes: string[] = [];
  const b = new CircuitBreaker(OPTIONS, (from: BreakerState, to: BreakerState) => changes.push(`${from}->${to}`));
  return { b, changes };
}

function fail(b: CircuitBreaker, times: number, now: number): void {
  for (let i = 0; i < times; i++) {
    expect(b.acquire(now)).toBe(true);
    b.record(false, 1, now);
  }
}

describe('CircuitBreaker', () => {
  it('opens after failureThreshold consecutive failures and then refuses calls', () => {
    const { b, changes } = breaker();
    fail(b, 2, 0);
    expect(b.state(0)).toBe('closed');
    fail(b, 1, 0);
    expect(b.state(0)).toBe('open');
    expect(b.acquire(10)).toBe(false);
    expect(b.retryAfterMs(10)).toBe(990);
    expect(changes).toEqual(['closed->open']);
  });

  it('resets the failure count on a success, so only consecutive failures open it', () => {
    const { b } = breaker();
    fail(b, 2, 0);
    b.acquire(0);
    b.record(true, 1, 0);
    fail(b, 2, 0);
    expect(b.state(0)).toBe('closed');
  });

  it('counts a successful call slower than slowCallMs as a failure', () => {
    const { b } = breaker();
    for (let i = 0; i < 3; i++) {
      b.acquire(0);
      b.record(true, 150, 0);
    }
    expect(b.state(0)).toBe('open');
  });

  it('lets exactly one trial call through once resetAfterMs has passed', () => {
    const { b } = breaker();
    fail(b, 3, 0);
    expect(b.state(999)).toBe('open');
    expect(b.state(1_000)).toBe('half_open');
    expect(b.acquire(1_000)).toBe(true);
    expect(b.acquire(1_001)).toBe(false);
  });

  it('closes when the trial call succeeds', () => {
    const { b, changes } = breaker();
    fail(b, 3, 0);
    b.acquire(1_000);
    b.record(true, 5, 1_005);
    expect(b.state(1_005)).toBe('closed');
    expect(b.acquire(1_006)).toBe(true);
    expect(changes).toEqual(['closed->open', 'open->half_open', 'half_open->closed']);
  });

  it('opens again, for another full resetAfterMs, when the trial call fails', () => {
    const { b } = breaker();
    fail(b, 3, 0);
    b.acquire(1_000);
    b.record(false, 5, 1_005);
    expect(b.state(1_500)).toBe('open');
    expect(b.acquire(1_500)).toBe(false);
    expect(b.state(2_005)).toBe('half_open');
  });

  it('ignores the outcome of calls that were already running when it opened', () => {
    const { b } = breaker();
    b.acquire(0); // a slow call starts
    fail(b, 3, 0);
    b.record(true, 1, 10); // the slow call ends well
    expect(b.state(10)).toBe('open');
  });

  it('rejects nonsensical options with a sentence', () => {
    expect(() => new CircuitBreaker({ ...OPTIONS, failureThreshold: 0 })).toThrow(/failureThreshold must be a positive integer/);
    expect(() => new CircuitBreaker({ ...OPTIONS, slowCallMs: 0 })).toThrow(/slowCallMs/);
  });
});

describe('CircuitBreaker: a trial started the instant it opened (resetAfterMs 0)', () => {
  it('takes the trial’s result though its start, recomputed as now − duration, lands a float step before the opening', () => {
    const breaker = new CircuitBreaker({ failureThreshold: 1, resetAfterMs: 0, slowCallMs: 10_000 });
    const opened = 0.5251606301143696;
    const ends = 6.499526225798329;
    // The float trap: (ends − (ends − opened)) < opened.
    expect(ends - (ends - opened)).toBeLessThan(opened);
    expect(breaker.acquire(0)).toBe(true);
    breaker.record(false, opened, opened);
    expect(breaker.acquire(opened)).toBe(true); // half-open at once: the trial
    breaker.record(true, ends - opened, ends);
    expect(breaker.state(ends)).toBe('closed');
  });
});
