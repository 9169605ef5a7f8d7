import { describe, expect, it } from 'vitest';
import { OUTCOMES } from '../common/index.ts';
import { compileExpect } from './expect.ts';
import { EMPTY_SPARSE, IntervalRecorder } from './histogram.ts';
import { Agg } from './metrics.ts';
import type { WorkerPartial } from './protocol.ts';

const accepted = [compileExpect({ headers: {}, json: {} }).acceptedStatus];

/** One worker's partial for interval `k`: 10 responses, 200, with a counted header whose value is new every interval (a request id, a server name). */
function partial(k: number): WorkerPartial {
  const rec = new IntervalRecorder();
  for (let i = 0; i < 10; i++) rec.record(1000 + i);
  const sparse = rec.toSparse();
  return {
    worker: 0,
    index: k,
    end: (k + 1) * 1000,
    requests: [
      {
        outcomes: OUTCOMES.map((o) => (o === 'ok' ? 10 : 0)),
        statuses: { '200': 10 },
        expected: 10,
        latency: sparse,
        waiting: sparse,
        expectedLatency: sparse,
        byStatus: {},
        within: [],
        headers: { 'x-served-by': { [`cache-${k}`]: 10 } },
        received: 1000,
        sent: 500,
        redirects: 0,
        redirectLimited: 0,
        retries: 0,
      },
    ],
    timings: [{ blocked: sparse, connecting: sparse, tlsHandshaking: EMPTY_SPARSE, sending: sparse, receiving: sparse }],
    iteration: sparse,
    lag: EMPTY_SPARSE,
    iterations: 10,
    started: 10,
    redirectsSent: 0,
    dropped: 0,
    interrupted: 0,
    vus: 1,
    vusMax: 1,
    busy: 1,
    inFlight: 0,
    samples: [],
    errors: [],
  };
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
