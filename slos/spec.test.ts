import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sloSpecSchema, toSlo } from './spec.ts';

const D = 86_400_000;
const base = { probe: 'assignment', indicator: { latency: { thresholdMs: 100 } }, objective: 99.9 };

function issues(spec: unknown): string[] {
  const r = sloSpecSchema.safeParse(spec);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('SLO spec → model', () => {
  it('maps the ARCHITECTURE example with the workbook defaults', () => {
    const slo = toSlo('assignment-latency', sloSpecSchema.parse({ ...base, window: '30d', budgeting: 'occurrences', alerting: { notify: ['oncall'] } }));
    expect(slo).toMatchObject({
      name: 'assignment-latency',
      id: 'assignment-assignment-latency',
      service: 'assignment',
      objectivePercent: 99.9,
      objective: 99.9 / 100, // 0.9990000000000001, as Sloth's slo:objective:ratio
      window: { kind: 'rolling', durationMs: 30 * D },
      periodMs: 30 * D,
      budgeting: { method: 'occurrences' },
      indicator: { kind: 'latency', thresholdMs: 100, percentile: null, request: null },
      spec: 'burnwatch/v1',
    });
    expect(slo.alerting).toMatchObject({ notify: ['oncall'], name: 'AssignmentLatencyBurnRate', noDataAlertName: 'AssignmentLatencyNoData', windowSet: 'google-30d' });
    expect(slo.alerting.alerts.map((a) => [a.name, a.pairs.map((p) => [p.shortMs / 60_000, p.longMs / 60_000, p.factor])])).toEqual([
      ['page', [[5, 60, 14.4], [30, 360, 6]]],
      ['ticket', [[120, 1440, 3], [360, 4320, 1]]],
    ]);
  });

  it('keeps the objective as written, so ratios are computed the way Sloth computes them', () => {
    expect(toSlo('s', sloSpecSchema.parse({ ...base, objective: '99.95%' })).objectivePercent).toBe(99.95);
    expect(issues({ ...base, objective: 100 })).toEqual([': 100 is out of range; expected a percentage above 0 and below 100'.replace(/^/, 'objective')]);
  });

  it('maps every indicator kind', () => {
    const m = (indicator: unknown, extra = {}): unknown => toSlo('s', sloSpecSchema.parse({ ...base, indicator, ...extra })).indicator;
    expect(m({ errorRate: { excludeStatus: [429], request: 'get' } })).toEqual({
      kind: 'errorRate',
      badOutcomes: ['http_error', 'assertion_failed', 'timeout', 'connect_error', 'reset'],
      excludeStatus: [429],
      request: 'get',
    });
    expect(m({ cacheHit: {} })).toEqual({ kind: 'cacheHit', source: 'header', header: 'x-cache', hitValues: ['HIT'], request: null });
    expect(m({ cacheHit: { scrape: 'http://t/metrics', hits: 'hits_total', total: 'lookups_total' } })).toEqual({
      kind: 'cacheHit',
      source: 'scrape',
      url: 'http://t/metrics',
      hits: 'hits_total',
      total: 'lookups_total',
      intervalMs: 15_000,
    });
    expect(m({ uptime: {} })).toEqual({ kind: 'uptime', request: null });
  });

  it('maps budgeting, turning per-slice indicators into timeslices', () => {
    const b = (indicator: unknown, budgeting?: unknown): unknown =>
      toSlo('s', sloSpecSchema.parse({ ...base, indicator, ...(budgeting ? { budgeting } : {}) })).budgeting;
    expect(b({ errorRate: {} }, 'timeslices')).toEqual({ method: 'timeslices', sliceMs: 60_000, rule: { kind: 'ratio', target: 0.99 } });
    expect(b({ errorRate: {} }, { timeslices: { slice: '5m', target: 0.95 } })).toEqual({ method: 'timeslices', sliceMs: 300_000, rule: { kind: 'ratio', target: 0.95 } });
    expect(b({ errorRate: {} }, { ratioTimeslices: { slice: '5m' } })).toEqual({ method: 'ratioTimeslices', sliceMs: 300_000 });
    expect(b({ uptime: {} })).toEqual({ method: 'timeslices', sliceMs: 60_000, rule: { kind: 'anyGood' } });
    expect(b({ latency: { thresholdMs: 100, percentile: 95 } }, { timeslices: { slice: '1m' } })).toEqual({
      method: 'timeslices',
      sliceMs: 60_000,
      rule: { kind: 'ratio', target: 0.95 },
    });
  });

  it('takes a slice target written for a p99.9 latency as that percentile (0.999, not only 99.9 / 100 in floats)', () => {
    expect(issues({ ...base, indicator: { latency: { thresholdMs: 100, percentile: 99.9 } }, budgeting: { timeslices: { target: 0.999 } } })).toEqual([]);
  });

  it('rejects a timeslice longer than the shortest alert window, which would hold no whole slice most of the time', () => {
    expect(() => toSlo('s', sloSpecSchema.parse({ ...base, indicator: { errorRate: {} }, budgeting: { timeslices: { slice: '10m' } } }))).toThrowError(
      /the timeslice \(10m\) is longer than the shortest alert window of google-30d \(5m\)/,
    );
  });

  it('maps calendar windows to a nominal period for the burn-rate factors', () => {
    const week = toSlo('s', sloSpecSchema.parse({ ...base, window: { calendar: 'week', timeZone: 'Europe/Berlin' } }));
    expect(week.window).toEqual({ kind: 'calendar', unit: 'week', timeZone: 'Europe/Berlin', anchor: { day: 1, hour: 0, minute: 0 } });
    expect(week.alerting.windowSet).toBe('google-7d');
    const month = toSlo('s', sloSpecSchema.parse({ ...base, window: { calendar: 'month' } }));
    expect(month.periodMs).toBe(30 * D);
  });

  it.each([
    ['two indicators', { ...base, indicator: { latency: { thresholdMs: 1 }, uptime: {} } }, 'indicator: expected exactly one indicator, found latency and uptime'],
    ['a slice that does not divide a day', { ...base, budgeting: { timeslices: { slice: '7m' } } }, 'expected a timeslice of whole minutes that divides a day'],
    ['uptime with ratioTimeslices', { ...base, indicator: { uptime: {} }, budgeting: 'ratioTimeslices' }, 'budgeting: uptime counts good timeslices'],
    ['a percentile with a different slice target', { ...base, indicator: { latency: { thresholdMs: 100, percentile: 99 } }, budgeting: { timeslices: { target: 0.95 } } }, 'budgeting.timeslices.target: a slice is good when its p99'],
    ['an unknown window set', { ...base, alerting: { windows: 'fast' } }, 'alerting.windows: expected a window set (google-30d, google-28d, google-7d)'],
    ['a window shorter than its alert windows', { ...base, window: '2d', alerting: { windows: 'google-30d' } }, 'window: the window must be at least as long as the longest alert window of google-30d (72h)'],
    ['an unknown key', { ...base, extra: 1 }, 'Unrecognized key'],
    ['ok as a bad outcome', { ...base, indicator: { errorRate: { badOutcomes: ['ok'] } } }, 'ok cannot be a bad outcome'],
  ])('rejects %s with a sentence', (_name, spec, message) => {
    expect(issues(spec).join('\n')).toContain(message);
  });

  it('reads a custom window set file relative to the config directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bw-spec-'));
    writeFileSync(
      join(dir, 'fast.yaml'),
      'apiVersion: sloth.slok.dev/v1\nkind: AlertWindows\nspec:\n  sloPeriod: 30d\n  page:\n    quick: { errorBudgetPercent: 1, shortWindow: 2m, longWindow: 30m }\n    slow: { errorBudgetPercent: 2, shortWindow: 15m, longWindow: 3h }\n  ticket:\n    quick: { errorBudgetPercent: 5, shortWindow: 1h, longWindow: 12h }\n    slow: { errorBudgetPercent: 5, shortWindow: 3h, longWindow: 36h }\n',
    );
    const slo = toSlo('s', sloSpecSchema.parse({ ...base, alerting: { windows: 'fast.yaml' } }), { baseDir: dir });
    expect(slo.alerting.alerts[0]!.pairs[0]).toMatchObject({ shortMs: 120_000, longMs: 1_800_000, factor: 14.4, budgetPercent: 1 });
    expect(() => toSlo('s', sloSpecSchema.parse({ ...base, window: '1d', alerting: { windows: 'fast.yaml' } }), { baseDir: dir })).toThrowError(
      /longest alert window of .*fast.yaml \(36h\) is longer than the SLO period \(24h\)/,
    );
  });
});
