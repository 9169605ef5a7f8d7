import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { evaluateSlo } from './evaluate.ts';
import { resolveOpenSlo } from './openslo.ts';
import type { OpenSloDocument } from './openslo.ts';
import { createMemoryStore } from './store.ts';

const M = 60_000;
const H = 60 * M;
const D = 24 * H;
const known = { probes: ['search', 'health'], notifiers: ['oncall'] };

/** The openslo/v1 documents of a YAML text, as the config loader hands them over. */
function docs(text: string, file = 'test.yaml'): OpenSloDocument[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as { apiVersion: string; kind: string; metadata: { name: string }; spec: unknown })
    .filter((d) => d.apiVersion === 'openslo/v1')
    .map((d, index) => ({ kind: d.kind, name: d.metadata.name, spec: d.spec, file, index }));
}

const example = docs(readFileSync(new URL('../examples/openslo.yaml', import.meta.url), 'utf8'), 'examples/openslo.yaml');

describe('resolveOpenSlo — the examples load and evaluate', () => {
  const { slos, problems } = resolveOpenSlo(example, known);

  it('loads every SLO of examples/openslo.yaml without problems', () => {
    expect(problems).toEqual([]);
    expect(slos.map((s) => s.name)).toEqual(['search-availability', 'search-latency', 'search-ratio-0', 'search-ratio-1']);
  });

  it('Occurrences: a ratio SLI by reference, a 28d window, a policy with three conditions', () => {
    const s = slos.find((x) => x.name === 'search-availability')!;
    expect(s).toMatchObject({
      service: 'web-shop',
      id: 'web-shop-search-availability',
      probe: 'search',
      indicator: { kind: 'errorRate', request: null },
      objectivePercent: 99.9,
      window: { kind: 'rolling', durationMs: 28 * D },
      budgeting: { method: 'occurrences' },
      spec: 'openslo/v1',
    });
    expect(s.alerting).toMatchObject({ notify: ['oncall'], windowSet: 'openslo', noDataForMs: H, notifyResolved: true });
    expect(s.alerting.alerts.map((a) => ({ name: a.name, alertName: a.alertName, severity: a.severity, forMs: a.forMs, pairs: a.pairs.map((p) => [p.name, p.shortMs / M, p.longMs / M, p.factor]) }))).toEqual([
      { name: 'search-burn-page', alertName: 'SearchBurnPage', severity: 'page', forMs: 0, pairs: [['fast-burn', 5, 60, 14.4], ['medium-burn', 30, 360, 6]] },
      { name: 'search-burn-ticket-5m', alertName: 'SearchBurnTicket5m', severity: 'ticket', forMs: 5 * M, pairs: [['slow-burn', 120, 1440, 3]] },
    ]);
    const store = createMemoryStore();
    const deltas = [];
    for (let t = Date.UTC(2025, 0, 1); t < Date.UTC(2025, 0, 2); t += M) deltas.push({ minute: t, good: t >= Date.UTC(2025, 0, 1, 23, 40) ? 0 : 100, total: 100 });
    store.append(s.name, deltas);
    const e = evaluateSlo(s, store, Date.UTC(2025, 0, 2));
    expect(e.alerts.map((a) => [a.name, a.firing])).toEqual([
      ['search-burn-page', true],
      ['search-burn-ticket-5m', true],
    ]);
  });

  it('Timeslices: a latency percentile threshold metric with a calendar month in its time zone', () => {
    const s = slos.find((x) => x.name === 'search-latency')!;
    expect(s).toMatchObject({
      indicator: { kind: 'latency', thresholdMs: 300, percentile: 99, request: 'query' },
      objectivePercent: 99.5,
      window: { kind: 'calendar', unit: 'month', timeZone: 'America/New_York', anchor: { day: 1, hour: 0, minute: 0 } },
      budgeting: { method: 'timeslices', sliceMs: M, rule: { kind: 'ratio', target: 0.99 } },
    });
    expect(s.alerting.windowSet).toBe('google-30d');
    const store = createMemoryStore();
    const start = Date.UTC(2025, 1, 1, 5); // 1 February 00:00 in New York
    store.append(s.name, [
      { minute: start - M, good: 0, total: 100 }, // January: outside the period
      { minute: start, good: 99, total: 100 },
      { minute: start + M, good: 98, total: 100 },
    ]);
    const e = evaluateSlo(s, store, start + 2 * M);
    expect(e.period.start).toBe(new Date(start).toISOString());
    expect([e.sli.good, e.sli.total]).toEqual([1, 2]);
  });

  it('RatioTimeslices: several objectives become several SLOs; slice windows as minutes or durations', () => {
    const [a, b] = ['search-ratio-0', 'search-ratio-1'].map((n) => slos.find((x) => x.name === n)!);
    expect(a!.budgeting).toEqual({ method: 'ratioTimeslices', sliceMs: 5 * M });
    expect(b!.budgeting).toEqual({ method: 'ratioTimeslices', sliceMs: 5 * M });
    expect([a!.objectivePercent, b!.objectivePercent]).toEqual([99.5, 99]);
    // no alert policy: the default windows, scaled to a 14 day period by budget share
    expect(a!.alerting.alerts[0]!.pairs[0]!.factor).toBeCloseTo(6.72, 12);
    const store = createMemoryStore();
    const t0 = Date.UTC(2025, 0, 1);
    store.append(a!.name, [
      { minute: t0, good: 0, total: 1000 },
      { minute: t0 + 5 * M, good: 1, total: 1 },
    ]);
    expect(evaluateSlo(a!, store, t0 + 10 * M).windows.find((w) => w.window === '30m')!.sli).toBe(0.5);
  });

  it('Timeslices: a p99.9 threshold metric takes timeSliceTarget 0.999 (99.9 / 100 is 0.9990000000000001 in floats)', () => {
    const text = `apiVersion: openslo/v1
kind: SLO
metadata: { name: p999 }
spec:
  indicator:
    metadata: { name: i }
    spec:
      thresholdMetric: { metricSource: { type: burnwatch, spec: { probe: search, metric: latency, percentile: 99.9 } } }
  budgetingMethod: Timeslices
  objectives: [{ op: lte, value: 200, target: 0.99, timeSliceTarget: 0.999, timeSliceWindow: 1m }]`;
    const { slos: mapped, problems } = resolveOpenSlo(docs(text), known);
    expect(problems).toEqual([]);
    expect(mapped[0]!.budgeting).toEqual({ method: 'timeslices', sliceMs: M, rule: { kind: 'ratio', target: 0.999 } });
  });
});

describe('resolveOpenSlo — rejects what cannot be mapped, with a sentence and a path', () => {
  const slo = (spec: string, extra = ''): string => `apiVersion: openslo/v1
kind: SLO
metadata: { name: s }
spec:
${spec
  .trim()
  .split('\n')
  .map((l) => `  ${l}`)
  .join('\n')}
${extra}`;
  const ratio = `indicator:
  metadata: { name: i }
  spec:
    ratioMetric:
      good: { metricSource: { type: burnwatch, spec: { probe: search, errorRate: {} } } }
      total: { metricSource: { type: burnwatch, spec: { probe: search } } }`;

  it.each([
    [
      'a metric source of another system',
      slo(`indicator:
  metadata: { name: i }
  spec:
    ratioMetric:
      good: { metricSource: { type: Prometheus, spec: { query: 'sum(up)' } } }
      total: { metricSource: { type: Prometheus, spec: { query: 'count(up)' } } }
budgetingMethod: Occurrences
objectives: [{ target: 0.99 }]`),
      ['indicator', 'spec', 'ratioMetric', 'good', 'metricSource', 'type'],
      'expected metricSource type "burnwatch", found "Prometheus"',
    ],
    [
      'a raw ratio',
      slo(`indicator:
  metadata: { name: i }
  spec:
    ratioMetric:
      rawType: success
      raw: { metricSource: { type: burnwatch, spec: { probe: search } } }
budgetingMethod: Occurrences
objectives: [{ target: 0.99 }]`),
      ['indicator', 'spec', 'ratioMetric', 'raw'],
      'use good (or bad) and total instead of raw',
    ],
    ['an unknown probe', slo(`${ratio.replace('probe: search, errorRate', 'probe: nope, errorRate')}\nbudgetingMethod: Occurrences\nobjectives: [{ target: 0.99 }]`), ['indicator', 'spec', 'ratioMetric', 'good', 'metricSource', 'spec', 'probe'], 'no Probe named nope; probes: search, health'],
    ['a missing SLI', slo('indicatorRef: nope\nbudgetingMethod: Occurrences\nobjectives: [{ target: 0.99 }]'), ['indicatorRef'], 'no SLI named nope'],
    ['both target forms', slo(`${ratio}\nbudgetingMethod: Occurrences\nobjectives: [{ target: 0.99, targetPercent: 99 }]`), ['objectives', 0], 'expected target (a ratio such as 0.999) or targetPercent'],
    ['timeslices without a slice', slo(`${ratio}\nbudgetingMethod: Timeslices\nobjectives: [{ target: 0.99, timeSliceTarget: 0.9 }]`), ['objectives', 0, 'timeSliceWindow'], 'Timeslices budgeting needs timeSliceWindow'],
    ['a slice that does not divide a day', slo(`${ratio}\nbudgetingMethod: RatioTimeslices\nobjectives: [{ target: 0.99, timeSliceWindow: 7m }]`), ['objectives', 0, 'timeSliceWindow'], 'divides a day'],
    ['a rolling calendar month', slo(`${ratio}\ntimeWindow: [{ duration: 1M, isRolling: true }]\nbudgetingMethod: Occurrences\nobjectives: [{ target: 0.99 }]`), ['timeWindow', 0, 'duration'], 'a rolling window needs a fixed length'],
    ['a quarter', slo(`${ratio}\ntimeWindow: [{ duration: 1Q, calendar: { startTime: "2024-01-01 00:00:00", timeZone: UTC } }]\nbudgetingMethod: Occurrences\nobjectives: [{ target: 0.99 }]`), ['timeWindow', 0, 'duration'], 'one month (1M) or one week (1w), found 1Q'],
    ['an unknown budgeting method', slo(`${ratio}\nbudgetingMethod: Weekly\nobjectives: [{ target: 0.99 }]`), ['budgetingMethod'], 'expected budgetingMethod Occurrences, Timeslices or RatioTimeslices'],
    ['an unknown key', slo(`${ratio}\nbudgetingMethod: Occurrences\nobjectives: [{ target: 0.99 }]\nextra: 1`), [], 'Unrecognized key: "extra"'],
    [
      'a latency objective met above its threshold',
      slo(`indicator:
  metadata: { name: i }
  spec:
    thresholdMetric: { metricSource: { type: burnwatch, spec: { probe: search, metric: latency } } }
budgetingMethod: Occurrences
objectives: [{ op: gt, value: 100, target: 0.99 }]`),
      ['objectives', 0, 'op'],
      'expected op lt or lte, found gt',
    ],
    [
      'a severity burnwatch does not route',
      slo(
        `${ratio}\nbudgetingMethod: Occurrences\nobjectives: [{ target: 0.99 }]\nalertPolicies:
  - kind: AlertPolicy
    metadata: { name: p }
    spec:
      conditions:
        - kind: AlertCondition
          metadata: { name: c }
          spec: { severity: sev1, condition: { kind: burnrate, op: gt, threshold: 2, lookbackWindow: 1h } }
      notificationTargets: []`,
      ),
      ['alertPolicies', 0, 'spec', 'conditions', 0, 'spec', 'severity'],
      'expected severity page or ticket',
    ],
    [
      'a notification target without a burnwatch notifier',
      slo(
        `${ratio}\nbudgetingMethod: Occurrences\nobjectives: [{ target: 0.99 }]\nalertPolicies:
  - kind: AlertPolicy
    metadata: { name: p }
    spec:
      conditions: [{ conditionRef: c }]
      notificationTargets: [{ kind: AlertNotificationTarget, metadata: { name: pager }, spec: { target: pagerduty } }]`,
        `---
apiVersion: openslo/v1
kind: AlertCondition
metadata: { name: c }
spec: { severity: page, condition: { threshold: 14.4, lookbackWindow: 1h } }`,
      ),
      ['alertPolicies', 0, 'spec', 'notificationTargets', 0],
      'names no burnwatch Notifier',
    ],
    ['a policy that does not exist', slo(`${ratio}\nbudgetingMethod: Occurrences\nobjectives: [{ target: 0.99 }]\nalertPolicies: [{ alertPolicyRef: nope }]`), ['alertPolicies', 0, 'alertPolicyRef'], 'no AlertPolicy named nope'],
  ])('%s', (_name, text, path, message) => {
    const { slos, problems } = resolveOpenSlo(docs(text), known);
    expect(slos).toEqual([]);
    expect(problems).toContainEqual({ doc: 0, path, message: expect.stringContaining(message) as string });
  });

  it('reports problems of a shared SLI once, on the SLI document', () => {
    const text = `apiVersion: openslo/v1
kind: SLI
metadata: { name: bad }
spec:
  ratioMetric:
    good: { metricSource: { type: Datadog, spec: {} } }
    total: { metricSource: { type: Datadog, spec: {} } }
---
${slo('indicatorRef: bad\nbudgetingMethod: Occurrences\nobjectives: [{ target: 0.99 }, { target: 0.9 }]').replace('name: s', 'name: a')}
---
${slo('indicatorRef: bad\nbudgetingMethod: Occurrences\nobjectives: [{ target: 0.99 }]').replace('name: s', 'name: b')}`;
    const { problems } = resolveOpenSlo(docs(text), known);
    expect(problems.filter((p) => p.message.includes('Datadog'))).toEqual([
      { doc: 0, path: ['ratioMetric', 'good', 'metricSource', 'type'], message: expect.stringContaining('found "Datadog"') as string },
      { doc: 0, path: ['ratioMetric', 'total', 'metricSource', 'type'], message: expect.stringContaining('found "Datadog"') as string },
    ]);
  });

  it('rejects duplicate names and kinds it does not read', () => {
    const text = `apiVersion: openslo/v1
kind: Service
metadata: { name: a }
spec: {}
---
apiVersion: openslo/v1
kind: Service
metadata: { name: a }
spec: {}
---
apiVersion: openslo/v1
kind: Dashboard
metadata: { name: d }
spec: {}`;
    const { problems } = resolveOpenSlo(docs(text), known);
    expect(problems.map((p) => [p.doc, p.message])).toEqual([
      [1, 'a Service named a is already defined (test.yaml)'],
      [2, expect.stringContaining('kind Dashboard is not an OpenSLO v1 kind burnwatch reads')],
    ]);
  });
});
