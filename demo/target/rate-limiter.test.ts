import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limiter.ts';

describe('RateLimiter', () => {
  it('lets a fresh client send a burst, then refuses and says when a token is back', () => {
    const limiter = new RateLimiter({ rps: 10, burst: 3 });
    expect([limiter.take('a', 0), limiter.take('a', 0), limiter.take('a', 0)]).toEqual([0, 0, 0]);
    expect(limiter.take('a', 0)).toBeCloseTo(100, 6);
  });

  it('refills at the configured rate, never above the burst size', () => {
    const limiter = new RateLimiter({ rps: 10, burst: 2 });
    limiter.take('a', 0);
    limiter.take('a', 0);
    expect(limiter.take('a', 50)).toBeGreaterThan(0);
    expect(limiter.take('a', 150)).toBe(0);
    // An hour idle refills two tokens, not 36,000.
    expect([limiter.take('a', 3_600_000), limiter.take('a', 3_600_000)]).toEqual([0, 0]);
    expect(limiter.take('a', 3_600_000)).toBeGreaterThan(0);
  });

  it('keeps a bucket per client, so one noisy client does not limit another', () => {
    const limiter = new RateLimiter({ rps: 1, burst: 1 });
    expect(limiter.take('noisy', 0)).toBe(0);
    expect(limiter.take('noisy', 0)).toBeGreaterThan(0);
    expect(limiter.take('quiet', 0)).toBe(0);
  });

  it('sweeps buckets that have refilled completely and keeps the others', () => {
    const limiter = new RateLimiter({ rps: 10, burst: 10 });
    limiter.take('old', 0);
    limiter.take('recent', 900);
    expect(limiter.sweep(1_000)).toBe(1);
    expect(limiter.clients).toBe(1);
  });

  it('never tracks more clients than its bound, even when every client is active', () => {
    const limiter = new RateLimiter({ rps: 1, burst: 5 }, 100);
    for (let i = 0; i < 1_000; i++) expect(limiter.take(`c-${i}`, 0)).toBe(0);
    expect(limiter.clients).toBeLessThanOrEqual(100);
  });

  it('rejects a rate or burst that would make no sense', () => {
    expect(() => new RateLimiter({ rps: 0, burst: 1 })).toThrow(/rateLimit.rps/);
    expect(() => new RateLimiter({ rps: 1, burst: 0.5 })).toThrow(/rateLimit.burst/);
  });
});
