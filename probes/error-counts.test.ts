import { describe, expect, it } from 'vitest';
import { countError } from './error-counts.ts';
import type { ErrorCount } from './protocol.ts';

describe('countError (Space-Saving)', () => {
  it('keeps at most max kinds; a late frequent kind replaces the least counted one and says by how much it may be high', () => {
    const errors = new Map<string, ErrorCount>();
    for (let i = 0; i < 3; i++) countError(errors, 3, 'assertion_failed', `got ${i}`, i + 1);
    for (let i = 0; i < 100; i++) countError(errors, 3, 'http_error', 'HTTP 503', 1);
    expect(errors.size).toBe(3);
    const flood = [...errors.values()].find((e) => e.message === 'HTTP 503')!;
    // It took the place of "got 0" (count 1): 1 + 100, of which 1 may be another kind's.
    expect(flood).toEqual({ outcome: 'http_error', message: 'HTTP 503', count: 101, overcount: 1 });
    expect([...errors.values()].map((e) => e.message).sort()).toEqual(['HTTP 503', 'got 1', 'got 2']);
  });

  it('carries the overcount of a list the errors were kept in (a worker’s interval) into the run’s', () => {
    const run = new Map<string, ErrorCount>();
    countError(run, 50, 'http_error', 'HTTP 503', 101, 1);
    countError(run, 50, 'http_error', 'HTTP 503', 40, 2);
    countError(run, 50, 'timeout', 'timed out', 5);
    expect([...run.values()]).toEqual([
      { outcome: 'http_error', message: 'HTTP 503', count: 141, overcount: 3 },
      { outcome: 'timeout', message: 'timed out', count: 5 },
    ]);
  });

  it('an error counted one at a time in a full list never loses a kind that holds more than 1/max of them', () => {
    const errors = new Map<string, ErrorCount>();
    // 1,000 errors: a distinct message each, but every fourth one is the same 503.
    for (let i = 0; i < 1000; i++) {
      if (i % 4 === 0) countError(errors, 20, 'http_error', 'HTTP 503', 1);
      else countError(errors, 20, 'assertion_failed', `$.id: got ${i}`, 1);
    }
    const flood = errors.get('http_error\u0000HTTP 503')!;
    expect(flood.count - (flood.overcount ?? 0)).toBeLessThanOrEqual(250);
    expect(flood.count).toBeGreaterThanOrEqual(250);
  });
});
