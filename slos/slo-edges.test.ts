/**
 * Edges a review found in slos/ (ingestion, OpenSLO mapping) and the rule
 * generator behind `burnwatch rules`. Each test failed on the code before its
 * fix; the comment above each says what the reference (the project's own
 * docs, OpenSLO v1, Sloth) expects and what burnwatch did.
 */
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { Outcome } from '../common/index.ts';
import { generateRuleFile } from '../dashboards/index.ts';
import type { IntervalSnapshot, RequestIntervalStats } from '../probes/results.ts';
import { ingestSnapshot } from './ingest.ts';
import { resolveOpenSlo } from './openslo.ts';
import type { OpenSloDocument } from './openslo.ts';
import { sloSpecSchema, toSlo } from './spec.ts';

const T = Date.UTC(2025, 0, 6, 12, 0, 30);
const known = { probes: ['search'], notifiers: ['oncall'] };

/** The openslo/v1 documents of a YAML text, as the config loader hands them over. */
function docs(text: string): OpenSloDocument[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as { apiVersion: string; kind: string; metadata: { name: string }; spec: unknown })
    .filter((d) => d.apiVersion === 'openslo/v1')
    .map((d, index) => ({ kind: d.kind, name: d.metadata.name, spec: d.spec, file: 'review.yaml', index }));
}

function stats(o: Partial<Record<Outcome, number>>, statuses: Record<string, number>): RequestIntervalStats {
  return {
    request: 'a',
    outcomes: { ok: 0, http_error: 0, assertion_failed: 0, timeout: 0, connect_error: 0, reset: 0, ...o },
    statuses,
    latencyUs: '',
    waitingUs: '',
    within: {},
    headers: {},
    dataReceived: 0,
    dataSent: 0,
  };
}

function snapshot(requests: RequestIntervalStats[]): IntervalSnapshot {
  return { runId: 'r1', probe: 'p', start: T, end: T + 1000, requests, iterations: 0, droppedIterations: 0, vus: 1, vusMax: 1, vusBusy: 1, samples: [] };
}

const ratioSli = (indicator: string): string => `  indicator:
    metadata: { name: i }
    spec:
      ratioMetric:
        good: { metricSource: { type: burnwatch, spec: { probe: search, ${indicator} } } }
        total: { metricSource: { type: burnwatch, spec: { probe: search } } }`;

describe('ingestion', () => {
  // slos/model.ts (Indicator errorRate): "excludeStatus: HTTP statuses counted apart: taken out of the bad
  // events"; slos/spec.ts: "neither good nor bad". A 429 is an `http_error` (probes/engine.ts: an unexpected
  // status is an http_error). With badOutcomes [timeout] the 429s were never bad events, so nothing is to be
  // taken out of the bad count: 100 ok + 10 timeouts = 110 valid events, 10 bad.
  // burnwatch (slos/ingest.ts, errorRate) subtracted every excluded status from the bad count whatever its
  // outcome class: bad = max(0, 10 − 50) = 0, so the 10 timeouts vanished (total 100, SLI 100 %).
  it('errorRate: an excluded status outside the bad outcome classes does not cancel other bad events', () => {
    const s = toSlo('s', sloSpecSchema.parse({ probe: 'p', indicator: { errorRate: { badOutcomes: ['timeout'], excludeStatus: [429] } }, objective: 99 }));
    const deltas = ingestSnapshot(s, snapshot([stats({ ok: 100, timeout: 10, http_error: 50 }, { '200': 100, '429': 50 })]));
    expect(deltas).toEqual([{ minute: T, good: 100, total: 110 }]);
  });
});

describe('OpenSLO v1 mapping', () => {
  // slos/openslo.ts header: "Budgeting methods map one to one", and resolveOpenSlo holds the check
  // `percentile !== null && budgeting.method === 'occurrences'` → problem "a latency percentile is evaluated
  // per timeslice; use Timeslices" at ['budgetingMethod']. That check was unreachable: mapBudgeting('occurrences')
  // already turned the percentile into 1m timeslices, so `budgetingMethod: Occurrences` is silently evaluated
  // as Timeslices (a different SLI and error budget from what the document says) with no problem reported.
  it('rejects budgetingMethod Occurrences on a latency percentile instead of silently using Timeslices', () => {
    const text = `apiVersion: openslo/v1
kind: SLO
metadata: { name: s }
spec:
  indicator:
    metadata: { name: i }
    spec:
      thresholdMetric: { metricSource: { type: burnwatch, spec: { probe: search, metric: latency, percentile: 99 } } }
  budgetingMethod: Occurrences
  objectives: [{ op: lte, value: 100, target: 0.99 }]
`;
    const { slos, problems } = resolveOpenSlo(docs(text), known);
    expect(problems).toContainEqual({ doc: 0, path: ['budgetingMethod'], message: expect.stringContaining('use Timeslices') as string });
    expect(slos).toEqual([]);
  });

  // OpenSLO v1 README (Objectives): `timeSliceTarget` is "required only when budgetingMethod is set to
  // TimeSlices" and is what makes a slice good. burnwatch requires it for every other ratio SLI and rejects a
  // timeSliceTarget that disagrees with a latency percentile, but for an `uptime` good source it dropped the
  // written 0.5 without a word (slos/spec.ts mapBudgeting: uptime → rule anyGood): a slice with 1 success in
  // 100 requests counts as good although the document says a slice needs 50 %.
  it('does not silently drop a timeSliceTarget written for an uptime SLI', () => {
    const text = `apiVersion: openslo/v1
kind: SLO
metadata: { name: s }
spec:
${ratioSli('uptime: {}')}
  budgetingMethod: Timeslices
  objectives: [{ target: 0.99, timeSliceTarget: 0.5, timeSliceWindow: 1m }]
`;
    const { slos, problems } = resolveOpenSlo(docs(text), known);
    const honoured = slos.length === 1 && slos[0]!.budgeting.method === 'timeslices' && slos[0]!.budgeting.rule.kind === 'ratio';
    const reported = problems.some((p) => p.path.includes('timeSliceTarget'));
    expect(honoured || reported).toBe(true);
  });

  // slos/spec.ts toSlo rejects (SLO_SLICE_TOO_LONG) a timeslice longer than the shortest alert window:
  // "Windows count whole slices only: a slice longer than the shortest alert window leaves that window empty
  // most of the time, and the fast page would fire only just after slice boundaries." The OpenSLO path
  // (resolveOpenSlo) had no such check: timeSliceWindow 1h with the default google-30d windows (5m short
  // window) is accepted, so the 5m window of the fast page holds a slice only in the first 5 minutes of
  // each hour — exactly what toSlo refuses for the burnwatch kind.
  it('rejects a timeSliceWindow longer than the shortest alert window, as the burnwatch SLO kind does', () => {
    const text = `apiVersion: openslo/v1
kind: SLO
metadata: { name: s }
spec:
${ratioSli('errorRate: {}')}
  budgetingMethod: Timeslices
  objectives: [{ target: 0.99, timeSliceTarget: 0.9, timeSliceWindow: 1h }]
`;
    expect(() => toSlo('s', sloSpecSchema.parse({ probe: 'search', indicator: { errorRate: {} }, objective: 99, budgeting: { timeslices: { slice: '1h', target: 0.9 } } }))).toThrow(
      /shortest alert window/,
    );
    const { slos, problems } = resolveOpenSlo(docs(text), known);
    expect(problems.map((p) => p.message)).toContainEqual(expect.stringMatching(/shortest alert window/));
    expect(slos).toEqual([]);
  });
});

describe('generated Prometheus rules', () => {
  // Sloth (slok/sloth, internal/prometheus/sli_recording_rules / meta rules) records every
  // `slo:sli_error:ratio_rate<window>` series that `slo:sli_error:ratio_rate<period>` and
  // `slo:current_burn_rate:ratio` read. An OpenSLO SLO whose only AlertPolicy has
  // `alertWhenBreaching: false` (OpenSLO v1: alert only on no data) has no burn-rate windows; dashboards/rules.ts
  // then took `windows[0]!` (undefined) as the shortest window, and prometheusDuration(undefined) is '', so the
  // period rule and current_burn_rate read `slo:sli_error:ratio_rate{…}` — a series no rule records. The period
  // SLI, slo:period_burn_rate:ratio and slo:period_error_budget_remaining:ratio stay empty forever, while the
  // service's evaluator reports a budget for the same SLO.
  it('reads only SLI error-ratio series it records, also for an SLO without burn-rate alerts', () => {
    const text = `apiVersion: openslo/v1
kind: SLO
metadata: { name: s }
spec:
${ratioSli('errorRate: {}')}
  budgetingMethod: Occurrences
  objectives: [{ target: 0.99 }]
  alertPolicies:
    - kind: AlertPolicy
      metadata: { name: p }
      spec:
        alertWhenNoData: true
        alertWhenBreaching: false
        conditions:
          - kind: AlertCondition
            metadata: { name: c }
            spec: { severity: page, condition: { kind: burnrate, threshold: 14.4, lookbackWindow: 1h } }
`;
    const { slos, problems } = resolveOpenSlo(docs(text), known);
    expect(problems).toEqual([]);
    const { groups } = generateRuleFile(slos);
    const rules = groups.flatMap((g) => g.rules);
    const recorded = new Set(rules.flatMap((r) => ('record' in r ? [r.record] : [])));
    const read = new Set(rules.flatMap((r) => [...r.expr.matchAll(/slo:sli_error:ratio_rate[0-9a-z]*/g)].map((m) => m[0])));
    expect([...read].filter((name) => !recorded.has(name))).toEqual([]);
    expect(recorded.has('slo:sli_error:ratio_rate30d')).toBe(true);
  });
});
