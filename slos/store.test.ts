import { build, encodeIntoCompressedBase64 } from 'hdr-histogram-js';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { evaluateSlo } from './evaluate.ts';
import { decodeHistogram } from './latency.ts';
import type { Slo } from './model.ts';
import { sloSpecSchema, toSlo } from './spec.ts';
import { openSqliteStore } from './sqlite-store.ts';
import { createMemoryStore } from './store.ts';
import type { BucketDelta, SliStore } from './store.ts';

const M = 60_000;
const D = 86_400_000;
const NOW = Date.UTC(2025, 2, 1);
const dir = mkdtempSync(join(tmpdir(), 'bw-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const errors = toSlo('errors', sloSpecSchema.parse({ probe: 'p', indicator: { errorRate: {} }, objective: 99.9 }));
const slices = toSlo('slices', sloSpecSchema.parse({ probe: 'p', indicator: { errorRate: {} }, objective: 99, budgeting: { timeslices: { slice: '5m', target: 0.99 } } }));
const latency = toSlo('latency', sloSpecSchema.parse({ probe: 'p', indicator: { latency: { thresholdMs: 100 } }, objective: 99 }));

function hist(valuesUs: number[]): string {
  const h = build({ bitBucketSize: 32, useWebAssembly: false, numberOfSignificantValueDigits: 3, highestTrackableValue: 60_000_000 });
  for (const v of valuesUs) h.recordValue(v);
  return encodeIntoCompressedBase64(h);
}

/** Two days of minutes with a deterministic pattern of errors. */
function history(): BucketDelta[] {
  const out: BucketDelta[] = [];
  for (let t = NOW - 2 * D; t < NOW; t += M) {
    const i = (t / M) % 97;
    out.push({ minute: t + 7_000, good: 1000 - (i < 3 ? 50 : 0), total: 1000 });
  }
  return out;
}

function write(store: SliStore): void {
  store.append('errors', history());
  store.append('slices', history());
  // deltas to the same minute add up
  store.append('errors', [{ minute: NOW - M, good: 5, total: 10 }]);
}

describe.each([
  ['memory', () => createMemoryStore()],
  ['SQLite', () => openSqliteStore(join(dir, `parity-${Math.random()}.db`), { now: () => NOW })],
] as const)('%s store', (_name, open) => {
  it('merges deltas into minute buckets and reads them back', () => {
    const store = open();
    write(store);
    const last = store.read('errors', NOW - 2 * M, NOW);
    expect(last).toHaveLength(2);
    expect(last[1]).toEqual({ minute: NOW - M, good: 1000 - ((NOW - M) / M % 97 < 3 ? 50 : 0) + 5, total: 1010 });
    expect(store.read('nope', 0, Infinity)).toEqual([]);
    store.close();
  });

  it('evaluates the same as the other implementation', () => {
    const a = createMemoryStore();
    const b = open();
    write(a);
    write(b);
    for (const s of [errors, slices]) {
      for (const t of [NOW, NOW - 3 * M - 20_000, NOW - D]) expect(evaluateSlo(s, b, t)).toEqual(evaluateSlo(s, a, t));
    }
    b.close();
  });

  it('merges latency histograms per minute and over a range', () => {
    const store = open();
    store.append(latency.name, [
      { minute: NOW - 2 * M, good: 1, total: 1, latencyUs: hist([1000]) },
      { minute: NOW - 2 * M + 1000, good: 1, total: 1, latencyUs: hist([2000]) },
      { minute: NOW - M, good: 1, total: 1, latencyUs: hist([3000]) },
    ]);
    expect(decodeHistogram(store.readLatency('latency', NOW - 2 * M, NOW)!).totalCount).toBe(3);
    store.flush();
    expect(decodeHistogram(store.readLatency('latency', NOW - 2 * M, NOW - M)!).totalCount).toBe(2);
    expect(store.readLatency('latency', 0, 1)).toBeNull();
    store.close();
  });

  it('prunes buckets older than the SLO window plus five weeks', () => {
    const store = open();
    const old = NOW - (30 + 35) * D - 3 * D; // beyond 30d + the 3d alert span + 35d
    store.append('errors', [
      { minute: old, good: 1, total: 1 },
      { minute: NOW - 40 * D, good: 1, total: 1 },
    ]);
    store.prune([errors], NOW);
    expect(store.read('errors', 0, Infinity).map((b) => b.minute)).toEqual([NOW - 40 * D]);
    store.close();
  });
});

describe('SQLite store', () => {
  it('keeps every bucket and the budget figures across a restart (reopening the file)', () => {
    const file = join(dir, 'restart.db');
    const first = openSqliteStore(file, { now: () => NOW });
    write(first);
    first.append('latency', [{ minute: NOW - M, good: 1, total: 1, latencyUs: hist([1000, 2000]) }]);
    const before = [errors, slices].map((s) => evaluateSlo(s, first, NOW));
    const buckets = first.read('errors', 0, Infinity);
    first.close();

    const second = openSqliteStore(file, { now: () => NOW });
    expect(second.read('errors', 0, Infinity)).toEqual(buckets);
    const after = [errors, slices].map((s) => evaluateSlo(s, second, NOW));
    expect(after).toEqual(before);
    expect(after[0]!.budget.remaining).not.toBeNull();
    expect(decodeHistogram(second.readLatency('latency', 0, Infinity)!).totalCount).toBe(2);
    // writes after the index was built reach both the index and the file
    second.append('errors', [{ minute: NOW, good: 0, total: 100 }]);
    expect(evaluateSlo(errors, second, NOW + M).windows[0]!.events).toBe(4 * 1000 + 10 + 100);
    second.close();
    const third = openSqliteStore(file, { now: () => NOW });
    expect(third.read('errors', NOW, NOW + M)).toEqual([{ minute: NOW, good: 0, total: 100 }]);
    third.close();
    expect(statSync(file).size).toBeGreaterThan(0);
  });

  it('refuses writes after close and explains a file it cannot open', () => {
    const store = openSqliteStore(join(dir, 'closed.db'));
    store.close();
    expect(() => store.append('x', [])).toThrowError(/the SLI store is closed/);
    expect(() => openSqliteStore(join(dir, 'closed.db', 'nested.db'))).toThrowError(/could not open the SLI store/);
  });

  it('keeps memory no further ahead than the file when a write fails (no budget figure that a restart would lose)', () => {
    const store = openSqliteStore(join(dir, 'failed-write.db'), { now: () => NOW });
    store.append('errors', [{ minute: NOW - M, good: 990, total: 1000 }]);
    expect(evaluateSlo(errors, store, NOW).sli.events).toBe(1000);
    // The first SLO's delta is fine, the second's violates NOT NULL: the transaction rolls back as a whole.
    expect(() =>
      store.appendMany([
        { slo: 'errors', deltas: [{ minute: NOW - M, good: 0, total: 500 }] },
        { slo: 'slices', deltas: [{ minute: NOW - M, good: Number.NaN, total: 1 }] },
      ]),
    ).toThrowError(/could not write SLI buckets/);
    expect(evaluateSlo(errors, store, NOW).sli.events).toBe(1000);
    expect(store.read('errors', 0, Infinity)).toEqual([{ minute: NOW - M, good: 990, total: 1000 }]);
    store.close();
  });

  it("keeps each SLO's buckets its own after a failed first write of a new SLO (disk full), across a restart", () => {
    const file = join(dir, 'failed-first-write.db');
    const store = openSqliteStore(file, { now: () => NOW });
    store.append('errors', [{ minute: NOW - M, good: 1, total: 1 }]);
    // 'slices' is written for the first time in a transaction that rolls back (here: NOT NULL, as SQLITE_FULL would).
    expect(() => store.appendMany([{ slo: 'slices', deltas: [{ minute: NOW - M, good: Number.NaN, total: 1 }] }])).toThrowError(
      /could not write SLI buckets/,
    );
    // Then another new SLO is written first, then 'slices' again.
    store.append('latency', [{ minute: NOW - M, good: 7, total: 7 }]);
    store.append('slices', [{ minute: NOW - M, good: 3, total: 3 }]);
    expect(store.read('latency', 0, Infinity)).toEqual([{ minute: NOW - M, good: 7, total: 7 }]);
    expect(store.read('slices', 0, Infinity)).toEqual([{ minute: NOW - M, good: 3, total: 3 }]);
    store.close();
    const reopened = openSqliteStore(file, { now: () => NOW });
    expect(reopened.read('latency', 0, Infinity)).toEqual([{ minute: NOW - M, good: 7, total: 7 }]);
    expect(reopened.read('slices', 0, Infinity)).toEqual([{ minute: NOW - M, good: 3, total: 3 }]);
    reopened.close();
  });

  it('loads older buckets when a reload lengthens the SLO window', () => {
    const store = openSqliteStore(join(dir, 'longer-window.db'), { now: () => NOW });
    store.append('errors', [
      { minute: NOW - 20 * D, good: 0, total: 1000 },
      { minute: NOW - M, good: 1000, total: 1000 },
    ]);
    const week = toSlo('errors', sloSpecSchema.parse({ probe: 'p', indicator: { errorRate: {} }, objective: 99.9, window: '7d' }));
    expect(evaluateSlo(week, store, NOW).sli.events).toBe(1000);
    expect(evaluateSlo(errors, store, NOW).sli.events).toBe(2000); // the 30d SLO, same name, after a reload
    store.close();
  });

  it('only loads the evaluation span into memory (the rest stays on disk for reports)', () => {
    const store = openSqliteStore(join(dir, 'horizon.db'), { now: () => NOW });
    store.append('errors', [
      { minute: NOW - 60 * D, good: 0, total: 1000 },
      { minute: NOW - M, good: 1000, total: 1000 },
    ]);
    const s: Slo = errors;
    expect(evaluateSlo(s, store, NOW).sli.events).toBe(1000);
    expect(store.read('errors', 0, Infinity)).toHaveLength(2);
    store.close();
  });
});
