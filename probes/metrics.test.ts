import { describe, expect, it } from 'vitest';
import { compileExpect } from './expect.ts';
import { Agg } from './metrics.ts';
import type { WorkerPartial } from './protocol.ts';
import { syntheticPartial } from './test-support.ts';

const accepted = [compileExpect({ headers: {}, json: {} }).acceptedStatus];

/** One worker's partial for interval `k`: 10 responses, 200, with a counted header whose value is new every interval (a request id, a server name). */
function partial(k: number): WorkerPartial {
  return syntheticPartial(Array.from({ length: 10 }, (_, i) => 1 + i / 1000), k, { headers: { 'x-served-by': { [`cache-${k}`]: 10 } }, received: 1000, sent: 500 });
}

describe('Agg over a long run', () => {
  it('the run totals keep no header values (snapshots report them per interval): a 24 h run with a header of ever-new values stays flat', () => {
    const total = new Agg(1, 0, accepted, true);
    const interval = new Agg(1, 0, accepted, false);
    for (let k = 0; k < 1000; k++) {
      interval.reset();
      interval.addInterval([partial(k)], k * 1000, (k + 1) * 1000);
      total.addInterval([partial(k)], k * 1000, (k + 1) * 1000);
    }
    const kept = [...total.requests[0]!.headers.values()].reduce((n, m) => n + m.size, 0);
    expect(kept, `the run totals kept ${kept} header values after 1,000 intervals`).toBe(0);
    // An interval (what IntervalSnapshot.headers is built from) still counts its values.
    expect(Object.fromEntries(interval.requests[0]!.headers.get('x-served-by')!)).toEqual({ 'cache-999': 10 });
    expect(total.count('http_reqs')).toBe(10_000);
    expect(total.count('data_received')).toBe(1_000_000);
  });
});

describe('a window', () => {
  it('counts no header values (nothing reads them from a window; merging them cost every windowed evaluation)', () => {
    const window = new Agg(1, 0, accepted, false, false, false);
    for (let k = 0; k < 30; k++) window.addInterval([partial(k)], k * 1000, (k + 1) * 1000);
    expect(window.requests[0]!.headers.size).toBe(0);
    expect(window.count('http_reqs')).toBe(300);
  });
});

describe('the errors a run keeps', () => {
  it('a flood of a new kind of error late in a run reaches the list even after 50 other kinds filled it early', () => {
    const total = new Agg(1, 0, accepted, true);
    // Hour 1: 60 different assertion messages, a few each (the value received is in the message).
    for (let k = 0; k < 60; k++) {
      total.addInterval([{ ...partial(k), errors: [{ outcome: 'assertion_failed', message: `$.variant: got "v${k}"`, count: 2 }] }], k * 1000, (k + 1) * 1000);
    }
    // Hour 20: the target answers 503 for a minute.
    for (let k = 60; k < 120; k++) {
      total.addInterval([{ ...partial(k), errors: [{ outcome: 'http_error', message: 'HTTP 503', count: 1000 }] }], k * 1000, (k + 1) * 1000);
    }
    const top = [...total.errors.values()].sort((a, b) => b.count - a.count);
    expect(top[0]).toMatchObject({ outcome: 'http_error', message: 'HTTP 503' });
    // Counted from when it entered the list: at least its true count, at most that plus the count it took the place of.
    expect(top[0]!.count).toBeGreaterThanOrEqual(60_000);
    expect(top[0]!.count).toBeLessThanOrEqual(60_002);
    expect(total.errors.size).toBeLessThanOrEqual(50);
  });
});
