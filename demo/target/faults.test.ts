import { describe, expect, it } from 'vitest';
import { DEFAULT_FAULTS, FaultInjector, parseFaultPatch } from './faults.ts';

describe('parseFaultPatch', () => {
  it('accepts any subset of the faults', () => {
    expect(parseFaultPatch({ latencyMs: 50, jitterMs: 10, errorRate: 0.25, leakBytesPerRequest: 1024, cacheEnabled: false })).toEqual({
      latencyMs: 50,
      jitterMs: 10,
      errorRate: 0.25,
      leakBytesPerRequest: 1024,
      cacheEnabled: false,
    });
    expect(parseFaultPatch({})).toEqual({});
  });

  it.each([
    [{ errorRate: 2 }, 'errorRate must be a number from 0 to 1 (got 2)'],
    [{ latencyMs: -1 }, 'latencyMs must be a number from 0 to 60000 (got -1)'],
    [{ latencyMs: '50' }, 'latencyMs must be a number from 0 to 60000 (got "50")'],
    [{ leakBytesPerRequest: 1.5 }, 'leakBytesPerRequest must be an integer from 0 to 16777216 (got 1.5)'],
    [{ cacheEnabled: 'no' }, 'cacheEnabled must be true or false (got "no")'],
    [{ latency: 5 }, 'unknown fault "latency" (expected latencyMs, jitterMs, errorRate, leakBytesPerRequest, cacheEnabled)'],
    [[1], 'expected a JSON object with any of latencyMs, jitterMs, errorRate, leakBytesPerRequest, cacheEnabled'],
  ])('refuses %j with "%s"', (body, message) => {
    expect(() => parseFaultPatch(body)).toThrow(message);
  });
});

describe('FaultInjector', () => {
  it('is inactive until a fault other than the cache switch is set', () => {
    const f = new FaultInjector();
    expect(f.active).toBe(false);
    f.update({ cacheEnabled: false });
    expect(f.active).toBe(false);
    f.update({ latencyMs: 1 });
    expect(f.active).toBe(true);
  });

  it('spreads the delay uniformly over latencyMs ± jitterMs, never below zero', () => {
    let r = 0;
    const f = new FaultInjector(() => r);
    f.update({ latencyMs: 100, jitterMs: 20 });
    r = 0;
    expect(f.delayMs()).toBe(80);
    r = 0.5;
    expect(f.delayMs()).toBe(100);
    r = 0.999999;
    expect(f.delayMs()).toBeCloseTo(120, 3);
    f.update({ latencyMs: 5, jitterMs: 50 });
    r = 0;
    expect(f.delayMs()).toBe(0);
  });

  it('fails requests with the configured probability', () => {
    let r = 0.3;
    const f = new FaultInjector(() => r);
    f.update({ errorRate: 0.5 });
    expect(f.shouldFail()).toBe(true);
    r = 0.7;
    expect(f.shouldFail()).toBe(false);
    f.update({ errorRate: 0 });
    r = 0;
    expect(f.shouldFail()).toBe(false);
  });

  it('leaks the configured bytes per request up to its cap, and releases them on reset', () => {
    const f = new FaultInjector(Math.random, 10_000);
    f.update({ leakBytesPerRequest: 3_000 });
    for (let i = 0; i < 3; i++) f.leak();
    expect(f.leakedBytes).toBe(9_000);
    f.leak();
    f.leak();
    expect(f.leakedBytes).toBe(10_000);
    expect(f.reset()).toEqual(DEFAULT_FAULTS);
    expect(f.leakedBytes).toBe(0);
  });
});
