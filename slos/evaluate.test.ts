import { describe, expect, it } from 'vitest';
import { evaluateSlo } from './evaluate.ts';
import type { Slo } from './model.ts';
import { sloSpecSchema, toSlo } from './spec.ts';
import { createMemoryStore } from './store.ts';
import type { SliStore } from './store.ts';

const M = 60_000;
const H = 60 * M;
const D = 24 * H;
/** Monday 2025-01-06 00:00 UTC. */
const T0 = Date.UTC(2025, 0, 6);

function slo(spec: Record<string, unknown>, name = 's'): Slo {
  return toSlo(name, sloSpecSchema.parse({ probe: 'p', indicator: { errorRate: {} }, objective: 99.9, ...spec }));
}

/** Fills minutes [from, to) with counts per minute. */
function fill(store: SliStore, name: string, from: number, to: number, counts: (minute: number) => [good: number, total: number]): void {
  const deltas = [];
  for (let t = from; t < to; t += M) {
    const [good, total] = counts(t);
    deltas.push({ minute: t, good, total });
  }
  store.append(name, deltas);
}

/** Minutes after `start` until the alert first fires (evaluated at every minute boundary), or null. */
function detection(s: Slo, store: SliStore, start: number, horizon: number, alert: string): number | null {
  for (let t = start + M; t <= start + horizon; t += M) {
    if (evaluateSlo(s, store, t).alerts.find((a) => a.name === alert)!.firing) return (t - start) / M;
  }
  return null;
}

describe('evaluateSlo — the SRE workbook’s arithmetic', () => {
  // 99.9 % SLO, 30 days, 1000 events a minute; three clean days, then a constant error ratio from T0.
  it.each([
    ['a 100 % outage fires the fast page within the short window (workbook: 0.86 min)', 1, 1],
    ['a 10 % error ratio fires the fast page after 9 minutes (workbook: 8.6 min)', 0.1, 9],
    ['a 5 % error ratio (50x burn) fires the fast page after 18 minutes (workbook: 17.3 min)', 0.05, 18],
    ['a 2 % error ratio (20x burn) fires the fast page after 44 minutes (workbook: 43.2 min)', 0.02, 44],
    // Exactly at the workbook's 180 minutes: the threshold is Sloth's float 6 × 0.0009999999999999432, a hair under 0.006.
    ['a 1.2 % error ratio (12x burn) is too slow for 1h/5m and fires the 6h/30m page after 180 minutes (workbook: 180 min)', 0.012, 180],
  ])('%s', (_name, errorRatio, minutes) => {
    const s = slo({});
    const store = createMemoryStore();
    fill(store, 's', T0 - 3 * D, T0, () => [1000, 1000]);
    fill(store, 's', T0, T0 + 6 * H, () => [1000 - 1000 * errorRatio, 1000]);
    expect(detection(s, store, T0, 6 * H, 'page')).toBe(minutes);
  });

  it('does not page at burn rate 1 (0.1 % errors on a 99.9 % SLO) over a whole day', () => {
    const s = slo({});
    const store = createMemoryStore();
    fill(store, 's', T0 - 3 * D, T0 + D, () => [999, 1000]);
    expect(detection(s, store, T0, D, 'page')).toBeNull();
    const e = evaluateSlo(s, store, T0 + D);
    for (const w of e.windows) expect(w.burnRate).toBeCloseTo(1, 10);
  });

  it('resets each pair one short window after a 100 % outage ends: 5m for 1h/5m, 30m for 6h/30m (so the page clears after 30m)', () => {
    const s = slo({});
    const store = createMemoryStore();
    fill(store, 's', T0 - D, T0, () => [1000, 1000]);
    fill(store, 's', T0, T0 + H, () => [0, 1000]);
    fill(store, 's', T0 + H, T0 + 3 * H, () => [1000, 1000]);
    const page = (t: number): { firing: boolean; pairs: { holds: boolean }[] } => evaluateSlo(s, store, t).alerts[0]!;
    expect(page(T0 + H + 4 * M).pairs[0]!.holds).toBe(true);
    expect(page(T0 + H + 5 * M).pairs[0]!.holds).toBe(false);
    expect(page(T0 + H + 29 * M)).toMatchObject({ firing: true, pairs: [{ holds: false }, { holds: true }] });
    expect(page(T0 + H + 30 * M).firing).toBe(false);
  });

  it('reports burn rate as error ratio / (1 − objective) and the pair thresholds as factor × budget', () => {
    const s = slo({});
    const store = createMemoryStore();
    fill(store, 's', T0 - H, T0, () => [990, 1000]);
    const e = evaluateSlo(s, store, T0);
    const fiveMin = e.windows.find((w) => w.window === '5m')!;
    expect(fiveMin).toMatchObject({ good: 4950, total: 5000, events: 5000 });
    expect(fiveMin.errorRatio).toBeCloseTo(0.01, 15);
    expect(fiveMin.burnRate).toBeCloseTo(10, 10);
    expect(e.errorBudget).toBe(0.0009999999999999432);
    expect(e.alerts[0]!.pairs.map((p) => p.threshold)).toEqual([14.4 * 0.0009999999999999432, 6 * 0.0009999999999999432]);
    expect(e.windows.map((w) => w.window)).toEqual(['5m', '30m', '1h', '2h', '6h', '1d', '3d']);
  });

  it.each([
    ['a one-minute blip at 50 % errors crosses the 5m window but not the 1h one: no page', [[T0 - M, 500]], false],
    ['an outage that ended 35 minutes ago keeps the long windows high but the short ones clean: no page', [[T0 - 55 * M, 1000, 20]], false],
    ['twenty minutes at 100 % errors up to now cross both: page', [[T0 - 20 * M, 1000, 20]], true],
  ] as const)('a pair holds only when both windows exceed factor × budget: %s', (_name, bad, fires) => {
    const s = slo({});
    const store = createMemoryStore();
    fill(store, 's', T0 - D, T0, () => [1000, 1000]);
    for (const [from, errors, minutes = 1] of bad as readonly (readonly number[])[]) fill(store, 's', from!, from! + minutes * M, () => [-errors!, 0]);
    expect(evaluateSlo(s, store, T0).alerts[0]!.firing).toBe(fires);
  });
});

describe('evaluateSlo — budgets', () => {
  it('spends the budget as the period error ratio over the budget, and projects exhaustion at the current burn', () => {
    const s = slo({});
    const store = createMemoryStore();
    // 30 days at 0.05 % errors: half the budget spent, burning at 0.5x.
    fill(store, 's', T0 - 30 * D, T0, () => [1999, 2000]);
    const e = evaluateSlo(s, store, T0);
    expect(e.sli.window).toBe('30d');
    expect(e.sli.sli).toBeCloseTo(0.9995, 12);
    expect(e.budget.consumed).toBeCloseTo(0.5, 10);
    expect(e.budget.remaining).toBeCloseTo(0.5, 10);
    expect(e.budget.currentBurnRate).toBeCloseTo(0.5, 10);
    expect(e.budget.currentWindow).toBe('5m');
    expect(e.budget.timeToExhaustionMs! / D).toBeCloseTo(30, 6);
  });

  it('reports a spent budget as 0 time to exhaustion and a negative remainder', () => {
    const s = slo({});
    const store = createMemoryStore();
    fill(store, 's', T0 - D, T0, () => [990, 1000]);
    const e = evaluateSlo(s, store, T0);
    expect(e.budget.remaining).toBeCloseTo(-9, 8);
    expect(e.budget.timeToExhaustionMs).toBe(0);
  });

  it('never turns no data into a zero or NaN budget', () => {
    const s = slo({ minEvents: 100 });
    const store = createMemoryStore();
    fill(store, 's', T0 - 10 * M, T0 - 5 * M, () => [5, 10]); // 50 events < minEvents
    const e = evaluateSlo(s, store, T0);
    expect(e.sli.sli).toBeNull();
    expect(e.budget).toMatchObject({ remaining: null, consumed: null, timeToExhaustionMs: null, currentBurnRate: null });
    expect(e.windows.every((w) => w.sli === null && w.burnRate === null)).toBe(true);
    expect(e.alerts.every((a) => !a.firing && a.burnRate === null)).toBe(true);
    expect(e.noData.noData).toBe(true);
    expect(JSON.stringify(e)).not.toMatch(/NaN|Infinity/);
    const empty = evaluateSlo(s, createMemoryStore(), T0);
    expect(empty.budget.remaining).toBeNull();
    expect(empty.noData).toMatchObject({ noData: true, lastEventAt: null, silentForMs: null, alerting: false });
  });

  it('does not burn while not burning: no time to exhaustion without errors in the current window', () => {
    const s = slo({});
    const store = createMemoryStore();
    fill(store, 's', T0 - 2 * D, T0 - D, () => [9995, 10_000]);
    fill(store, 's', T0 - D, T0, () => [10_000, 10_000]);
    const e = evaluateSlo(s, store, T0);
    expect(e.budget.remaining).toBeCloseTo(0.75, 10);
    expect(e.budget.currentBurnRate).toBe(0);
    expect(e.budget.timeToExhaustionMs).toBeNull();
  });

  it('alerts on silence once it lasts noDataFor (from the last event, or from when data was expected)', () => {
    const s = slo({ alerting: { noDataFor: '10m' } });
    const store = createMemoryStore();
    fill(store, 's', T0 - H, T0 - 15 * M, () => [10, 10]);
    const e = evaluateSlo(s, store, T0);
    expect(e.noData).toMatchObject({ noData: false, lastEventAt: new Date(T0 - 15 * M).toISOString(), silentForMs: 15 * M, thresholdMs: 10 * M, alerting: true });
    expect(evaluateSlo(s, store, T0 - 10 * M).noData.alerting).toBe(false);
    expect(evaluateSlo(s, createMemoryStore(), T0, { expectDataSince: T0 - 5 * M }).noData).toMatchObject({ silentForMs: 5 * M, alerting: false });
    expect(evaluateSlo(s, createMemoryStore(), T0, { expectDataSince: T0 - 11 * M }).noData.alerting).toBe(true);
  });

  it('counts the current minute with what it has so far, and never a minute after now', () => {
    const s = slo({});
    const store = createMemoryStore();
    fill(store, 's', T0, T0 + M, () => [0, 10]);
    expect(evaluateSlo(s, store, T0).windows[0]!.events).toBe(0);
    expect(evaluateSlo(s, store, T0 + 30_000).windows[0]!.events).toBe(10);
  });

  it('gives a JSON-serialisable result', () => {
    const s = slo({});
    const store = createMemoryStore();
    fill(store, 's', T0 - H, T0, () => [999, 1000]);
    const e = evaluateSlo(s, store, T0);
    expect(JSON.parse(JSON.stringify(e))).toEqual(e);
  });
});

describe('evaluateSlo — budgeting methods and indicators', () => {
  it('timeslices: a slice is good when its good ratio reaches the target; empty slices do not count', () => {
    const s = slo({ budgeting: { timeslices: { slice: '1m', target: 0.99 } } });
    const store = createMemoryStore();
    // 10 minutes: one at 98 % (bad), one empty, eight at 99 % (good: ≥ target).
    fill(store, 's', T0 - 10 * M, T0, (t) => (t === T0 - 10 * M ? [98, 100] : t === T0 - 9 * M ? [0, 0] : [99, 100]));
    const e = evaluateSlo(s, store, T0);
    const w = e.windows.find((x) => x.window === '30m')!;
    expect(w).toMatchObject({ good: 8, total: 9, events: 900 });
    expect(w.errorRatio).toBeCloseTo(1 / 9, 12);
  });

  it('timeslices: a latency percentile makes a slice good when that share of requests is within the threshold', () => {
    const s = toSlo('lat', sloSpecSchema.parse({ probe: 'p', indicator: { latency: { thresholdMs: 100, percentile: 99 } }, objective: 99 }));
    expect(s.budgeting).toEqual({ method: 'timeslices', sliceMs: M, rule: { kind: 'ratio', target: 0.99 } });
    const store = createMemoryStore();
    fill(store, 'lat', T0 - 5 * M, T0, (t) => (t === T0 - M ? [985, 1000] : [990, 1000]));
    const w = evaluateSlo(s, store, T0).windows[0]!;
    expect([w.good, w.total]).toEqual([4, 5]);
  });

  it('timeslices: a p99.9 slice with exactly 99.9 % of its requests within the threshold is good (p99.9 ≤ T)', () => {
    // 99.9 / 100 is 0.9990000000000001 in floats, above 999 / 1000.
    const s = toSlo('lat', sloSpecSchema.parse({ probe: 'p', indicator: { latency: { thresholdMs: 100, percentile: 99.9 } }, objective: 99 }));
    const store = createMemoryStore();
    fill(store, 'lat', T0 - 5 * M, T0, (t) => (t === T0 - M ? [998, 1000] : [999, 1000]));
    const w = evaluateSlo(s, store, T0).windows[0]!;
    expect([w.good, w.total]).toEqual([4, 5]);
  });

  it('ratioTimeslices: the SLI is the mean of the slice ratios, so a burst weighs one slice', () => {
    const s = slo({ budgeting: { ratioTimeslices: { slice: '5m' } } });
    const store = createMemoryStore();
    fill(store, 's', T0 - 10 * M, T0 - 5 * M, () => [0, 10_000]); // a burst: 50 000 bad in one slice
    fill(store, 's', T0 - 5 * M, T0, () => [1, 1]); // a quiet, perfect slice
    const e = evaluateSlo(s, store, T0);
    const w = e.windows.find((x) => x.window === '30m')!;
    expect(w.sli).toBeCloseTo(0.5, 12);
    const occ = evaluateSlo(slo({}), store, T0).windows.find((x) => x.window === '30m')!;
    expect(occ.sli).toBeCloseTo(5 / 50_005, 12);
  });

  it('uptime: a slice is up when at least one request succeeded in it (Grafana synthetic monitoring)', () => {
    const s = toSlo('up', sloSpecSchema.parse({ probe: 'p', indicator: { uptime: {} }, objective: 99.9 }));
    expect(s.budgeting).toEqual({ method: 'timeslices', sliceMs: M, rule: { kind: 'anyGood' } });
    const store = createMemoryStore();
    fill(store, 'up', T0 - 5 * M, T0, (t) => (t === T0 - M ? [0, 3] : [1, 3]));
    const w = evaluateSlo(s, store, T0).windows[0]!;
    expect([w.good, w.total]).toEqual([4, 5]);
  });

  it('only counts slices that have ended', () => {
    const s = slo({ budgeting: { timeslices: { slice: '5m', target: 0.99 } } });
    const store = createMemoryStore();
    fill(store, 's', T0, T0 + 4 * M, () => [0, 100]);
    expect(evaluateSlo(s, store, T0 + 4 * M).windows[0]!.total).toBe(0);
    expect(evaluateSlo(s, store, T0 + 5 * M).windows[0]).toMatchObject({ good: 0, total: 1 });
  });

  it('calendar windows start at the period start in the SLO’s time zone', () => {
    const s = slo({ window: { calendar: 'month', timeZone: 'Europe/Berlin' } });
    const store = createMemoryStore();
    const monthStart = Date.UTC(2024, 11, 31, 23); // 2025-01-01 00:00 in Berlin (UTC+1)
    fill(store, 's', monthStart - H, monthStart, () => [0, 1000]); // December: not counted
    fill(store, 's', monthStart, monthStart + D, () => [999, 1000]);
    const e = evaluateSlo(s, store, monthStart + D);
    expect(e.period).toMatchObject({ window: 'calendar-month', start: new Date(monthStart).toISOString(), lengthMs: 31 * D });
    expect(e.sli.events).toBe(1440 * 1000);
    expect(e.sli.sli).toBeCloseTo(0.999, 12);
    expect(e.budget.consumed).toBeCloseTo(1, 10);
  });

  it('holds an OpenSLO alertAfter: pending first, firing once the condition held for that long', () => {
    const s = slo({});
    s.alerting.alerts = [{ ...s.alerting.alerts[0]!, forMs: 3 * M }];
    const store = createMemoryStore();
    fill(store, 's', T0 - D, T0, () => [1000, 1000]);
    fill(store, 's', T0, T0 + H, () => [0, 1000]);
    const at = (m: number): { firing: boolean; pending: boolean } => evaluateSlo(s, store, T0 + m * M).alerts[0]!;
    expect(at(1)).toMatchObject({ firing: false, pending: true });
    expect(at(3)).toMatchObject({ firing: false, pending: true });
    expect(at(4)).toMatchObject({ firing: true, pending: false });
  });
});
