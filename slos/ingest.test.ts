import { build, encodeIntoCompressedBase64 } from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import type { Outcome } from '../common/index.ts';
import type { IntervalSnapshot, RequestIntervalStats } from '../probes/results.ts';
import { evaluateSlo } from './evaluate.ts';
import { ingestSnapshot, recordSnapshot, scrapeDelta, sliRequirements, sumSamples } from './ingest.ts';
import { decodeHistogram } from './latency.ts';
import type { Slo } from './model.ts';
import { sloSpecSchema, toSlo } from './spec.ts';
import { createMemoryStore } from './store.ts';

const T = Date.UTC(2025, 0, 6, 12, 0, 30);

function hist(valuesUs: number[]): string {
  const h = build({ bitBucketSize: 32, useWebAssembly: false, numberOfSignificantValueDigits: 3, highestTrackableValue: 60_000_000 });
  for (const v of valuesUs) h.recordValue(v);
  return encodeIntoCompressedBase64(h);
}

function stats(request: string, o: Partial<Record<Outcome, number>>, extra: Partial<RequestIntervalStats> = {}): RequestIntervalStats {
  return {
    request,
    outcomes: { ok: 0, http_error: 0, assertion_failed: 0, timeout: 0, connect_error: 0, reset: 0, ...o },
    statuses: {},
    latencyUs: hist([]),
    waitingUs: hist([]),
    within: {},
    headers: {},
    dataReceived: 0,
    dataSent: 0,
    ...extra,
  };
}

function snapshot(requests: RequestIntervalStats[], probe = 'p'): IntervalSnapshot {
  return { runId: 'r1', probe, start: T, end: T + 1000, requests, iterations: 0, droppedIterations: 0, vus: 1, vusMax: 1, vusBusy: 1, samples: [] };
}

const slo = (indicator: unknown, name = 's', probe = 'p'): Slo => toSlo(name, sloSpecSchema.parse({ probe, indicator, objective: 99 }));

describe('sliRequirements', () => {
  it('asks a probe run to count the latency thresholds and cache headers of the SLOs on it', () => {
    const slos = [
      slo({ latency: { thresholdMs: 100 } }, 'a'),
      slo({ latency: { thresholdMs: 50, percentile: 99 } }, 'b'),
      slo({ latency: { thresholdMs: 100 } }, 'c'),
      slo({ cacheHit: { header: 'X-Cache' } }, 'd'),
      slo({ cacheHit: { header: 'CF-Cache-Status', hitValues: ['HIT'] } }, 'e'),
      slo({ latency: { thresholdMs: 7 } }, 'f', 'other'),
    ];
    expect(sliRequirements(slos, 'p')).toEqual({ latencyThresholdsMs: [50, 100], countHeaders: ['cf-cache-status', 'x-cache'] });
  });
});

describe('ingestSnapshot', () => {
  it('latency: fast failures are bad events, because the engine counts only ok requests as within', () => {
    // 10 ok requests within 100 ms and 90 refused connections that failed in 1 ms.
    const s = ingestSnapshot(
      slo({ latency: { thresholdMs: 100 } }),
      snapshot([stats('a', { ok: 10, connect_error: 90 }, { within: { '100': 10 }, latencyUs: hist(Array.from({ length: 100 }, () => 1000)) })]),
    );
    expect(s.map((d) => [d.good, d.total])).toEqual([[10, 100]]);
    // Without an exact count the histogram (every outcome) is capped at the ok requests.
    const approx = ingestSnapshot(
      slo({ latency: { thresholdMs: 100 } }),
      snapshot([stats('a', { ok: 10, connect_error: 90 }, { latencyUs: hist(Array.from({ length: 100 }, () => 1000)) })]),
    );
    expect(approx.map((d) => [d.good, d.total])).toEqual([[10, 100]]);
  });

  it('latency: good = the exact within count, total = every request; keeps the merged histogram', () => {
    const s = ingestSnapshot(
      slo({ latency: { thresholdMs: 100 } }),
      snapshot([
        stats('a', { ok: 90, timeout: 10 }, { within: { '100': 85 }, latencyUs: hist([1000, 2000]) }),
        stats('b', { ok: 10 }, { within: { '100': 10 }, latencyUs: hist([3000]) }),
      ]),
    );
    expect(s).toMatchObject([{ minute: T, good: 95, total: 110 }]);
    expect(decodeHistogram(s[0]!.latencyUs!).totalCount).toBe(3);
  });

  it('latency: falls back to the histogram (conservatively) when the run did not count the threshold', () => {
    const s = ingestSnapshot(slo({ latency: { thresholdMs: 2 } }), snapshot([stats('a', { ok: 3 }, { latencyUs: hist([1000, 2000, 5000]) })]));
    expect(s[0]).toMatchObject({ good: 2, total: 3 });
  });

  it('errorRate: ok is good, bad classes are bad, excluded statuses are counted apart, other classes not at all', () => {
    const i = { errorRate: { badOutcomes: ['http_error', 'timeout'], excludeStatus: [429], request: 'a' } };
    const s = ingestSnapshot(
      slo(i),
      snapshot([stats('a', { ok: 900, http_error: 60, timeout: 5, reset: 7 }, { statuses: { '200': 900, '503': 20, '429': 40 } }), stats('b', { http_error: 1000 })]),
    );
    expect(s).toEqual([{ minute: T, good: 900, total: 925 }]);
  });

  it('cacheHit: hits over responses that carry the header, values compared without case', () => {
    const s = ingestSnapshot(
      slo({ cacheHit: { header: 'X-Cache', hitValues: ['HIT', 'STALE'] } }),
      snapshot([stats('a', { ok: 10 }, { headers: { 'x-cache': { hit: 6, MISS: 2, STALE: 1, '': 1 } } })]),
    );
    expect(s).toEqual([{ minute: T, good: 7, total: 9 }]);
  });

  it('uptime: ok over every request (the slice rule lives in the budgeting)', () => {
    expect(ingestSnapshot(slo({ uptime: {} }), snapshot([stats('a', { ok: 1, connect_error: 2 })]))).toEqual([{ minute: T, good: 1, total: 3 }]);
  });

  it('ignores other probes and empty intervals', () => {
    expect(ingestSnapshot(slo({ uptime: {} }), snapshot([stats('a', { ok: 1 })], 'other'))).toEqual([]);
    expect(ingestSnapshot(slo({ errorRate: {} }), snapshot([stats('a', {})]))).toEqual([]);
  });

  it('records a snapshot for every SLO of its probe into the store', () => {
    const store = createMemoryStore();
    const slos = [slo({ errorRate: {} }, 'e'), slo({ uptime: {} }, 'u'), slo({ uptime: {} }, 'x', 'other')];
    recordSnapshot(store, slos, snapshot([stats('a', { ok: 99, http_error: 1 })]));
    expect(store.read('e', 0, Infinity)).toEqual([{ minute: T - 30_000, good: 99, total: 100 }]);
    expect(store.read('x', 0, Infinity)).toEqual([]);
    expect(evaluateSlo(slos[0]!, store, T + 30_000).windows[0]!.sli).toBeCloseTo(0.99, 12);
  });
});

describe('scraped cache counters', () => {
  const text = `# TYPE cache_hits_total counter
cache_hits_total{cache="main",shard="1"} 10
cache_hits_total{cache="main",shard="2"} 5
cache_hits_total{cache="aux"} 100
cache_lookups_total 40 1700000000000
cache_hits_total_other 1
`;
  it('sums the samples matching a selector', () => {
    expect(sumSamples(text, 'cache_hits_total')).toBe(115);
    expect(sumSamples(text, 'cache_hits_total{cache="main"}')).toBe(15);
    expect(sumSamples(text, 'cache_hits_total{cache=~"m.*", shard!="2"}')).toBe(10);
    expect(sumSamples(text, 'cache_lookups_total')).toBe(40);
    expect(sumSamples(text, 'missing_total')).toBeNull();
  });

  it('turns two scrapes into a delta, reading a counter that went down as a restart', () => {
    expect(scrapeDelta(null, { at: T, hits: 5, total: 10 })).toEqual([]);
    expect(scrapeDelta({ at: T, hits: 5, total: 10 }, { at: T + 15_000, hits: 14, total: 20 })).toEqual([{ minute: T + 15_000, good: 9, total: 10 }]);
    expect(scrapeDelta({ at: T, hits: 500, total: 1000 }, { at: T + 15_000, hits: 3, total: 4 })).toEqual([{ minute: T + 15_000, good: 3, total: 4 }]);
  });
});
