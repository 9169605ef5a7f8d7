import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { GENERATED_HEADER } from '../common/index.ts';
import { sloSpecSchema, toSlo } from '../slos/index.ts';
import type { Slo } from '../slos/index.ts';
import { generateRuleFile, generateRules } from './rules.ts';

interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations?: Record<string, string>;
}
interface File {
  groups: { name: string; rules: Rule[] }[];
}

const slo = (spec: Record<string, unknown>, name = 'slo1'): Slo =>
  toSlo(name, sloSpecSchema.parse({ service: 'svc01', probe: 'p', indicator: { errorRate: {} }, objective: 99.9, ...spec }));
const rules = (s: Slo): File => parse(generateRules([s], { version: 'test' })) as File;
const byName = (f: File, name: string): Rule[] => f.groups.flatMap((g) => g.rules).filter((r) => r.record === name || r.alert === name);

describe('generateRules', () => {
  it('starts with the generated-file header', () => {
    expect(generateRules([slo({})]).split('\n')[0]).toBe(`# ${GENERATED_HEADER}`);
  });

  it('uses Sloth’s groups, rule names and labels', () => {
    const f = rules(slo({ labels: { tier: '1' } }));
    expect(f.groups.map((g) => g.name)).toEqual(['sloth-slo-sli-recordings-svc01-slo1', 'sloth-slo-meta-recordings-svc01-slo1', 'sloth-slo-alerts-svc01-slo1']);
    expect(f.groups[0]!.rules.map((r) => r.record)).toEqual([
      'slo:sli_error:ratio_rate5m',
      'slo:sli_error:ratio_rate30m',
      'slo:sli_error:ratio_rate1h',
      'slo:sli_error:ratio_rate2h',
      'slo:sli_error:ratio_rate6h',
      'slo:sli_error:ratio_rate1d',
      'slo:sli_error:ratio_rate3d',
      'slo:sli_error:ratio_rate30d',
    ]);
    expect(f.groups[0]!.rules[0]!.labels).toEqual({ sloth_id: 'svc01-slo1', sloth_service: 'svc01', sloth_slo: 'slo1', sloth_window: '5m', tier: '1' });
    expect(f.groups[1]!.rules.map((r) => [r.record, r.expr.trim().split('\n')[0]])).toEqual([
      ['slo:objective:ratio', 'vector(0.9990000000000001)'],
      ['slo:error_budget:ratio', 'vector(1-0.9990000000000001)'],
      ['slo:time_period:days', 'vector(30)'],
      ['slo:current_burn_rate:ratio', 'slo:sli_error:ratio_rate5m{sloth_id="svc01-slo1", sloth_service="svc01", sloth_slo="slo1"}'],
      ['slo:period_burn_rate:ratio', 'slo:sli_error:ratio_rate30d{sloth_id="svc01-slo1", sloth_service="svc01", sloth_slo="slo1"}'],
      ['slo:period_error_budget_remaining:ratio', '1 - slo:period_burn_rate:ratio{sloth_id="svc01-slo1", sloth_service="svc01", sloth_slo="slo1"}'],
      ['sloth_slo_info', 'vector(1)'],
    ]);
    expect(byName(f, 'sloth_slo_info')[0]!.labels).toEqual({
      sloth_id: 'svc01-slo1',
      sloth_mode: 'burnwatch-gen-prom',
      sloth_objective: '99.9',
      sloth_service: 'svc01',
      sloth_slo: 'slo1',
      sloth_spec: 'burnwatch/v1',
      sloth_version: 'test',
      tier: '1',
    });
  });

  it('writes Sloth’s multiwindow, multi-burn-rate alert expression character for character', () => {
    const [page, ticket] = byName(rules(slo({})), 'Slo1BurnRate');
    const f = '{sloth_id="svc01-slo1", sloth_service="svc01", sloth_slo="slo1"}';
    expect(page!.expr).toBe(`(
    max(slo:sli_error:ratio_rate5m${f} > (14.4 * 0.0009999999999999432)) without (sloth_window)
    and
    max(slo:sli_error:ratio_rate1h${f} > (14.4 * 0.0009999999999999432)) without (sloth_window)
)
or
(
    max(slo:sli_error:ratio_rate30m${f} > (6 * 0.0009999999999999432)) without (sloth_window)
    and
    max(slo:sli_error:ratio_rate6h${f} > (6 * 0.0009999999999999432)) without (sloth_window)
)
`);
    expect(ticket!.expr).toContain('max(slo:sli_error:ratio_rate6h' + f + ' > (1 * 0.0009999999999999432)) without (sloth_window)');
    expect(page!.labels).toEqual({ severity: 'page', slo: 'slo1', sloth_severity: 'page' });
    expect(page!.annotations).toEqual({
      summary: '{{$labels.sloth_service}} {{$labels.sloth_slo}} SLO error budget burn rate is over expected.',
      title: '(page) {{$labels.sloth_service}} {{$labels.sloth_slo}} SLO error budget burn rate is too fast.',
    });
    const period = byName(rules(slo({})), 'slo:sli_error:ratio_rate30d')[0]!;
    expect(period.expr).toBe(`sum_over_time(slo:sli_error:ratio_rate5m${f}[30d])\n/ ignoring (sloth_window)\ncount_over_time(slo:sli_error:ratio_rate5m${f}[30d])\n`);
  });

  it.each([
    ['28d', '28d', 'ratio_rate4w', 'vector(28)', ['13.44', '5.6000000000000005', '2.8000000000000003', '0.9333333333333333']],
    ['7d', '7d', 'ratio_rate1w', 'vector(7)', ['13.44', '3.5', '1.4000000000000001', '0.98']],
  ])('names and scales a %s period as Sloth does', (_n, window, rule, days, factors) => {
    const f = rules(slo({ window }));
    expect(byName(f, `slo:sli_error:${rule}`)).toHaveLength(1);
    expect(byName(f, 'slo:time_period:days')[0]!.expr).toBe(days);
    const exprs = byName(f, 'Slo1BurnRate').map((r) => r.expr).join('\n');
    expect([...exprs.matchAll(/> \(([\d.]+) \* /g)].map((m) => m[1])).toEqual(factors.flatMap((x) => [x, x]));
  });

  it('guards every ratio against zero traffic: no value instead of NaN or +Inf', () => {
    const exprs = ['errorRate', 'latency', 'cacheHit'].map((k) => {
      const indicator = k === 'latency' ? { latency: { thresholdMs: 100 } } : { [k]: {} };
      return byName(rules(slo({ indicator })), 'slo:sli_error:ratio_rate5m')[0]!.expr;
    });
    for (const e of exprs) expect(e).toMatch(/\/\n\(\(sum\(rate\(.*\[5m\]\)\)\) > 0\)\n$/);
    expect(exprs[0]).toBe(
      '(sum(rate(burnwatch_probe_requests_total{probe="p", outcome=~"http_error|assertion_failed|timeout|connect_error|reset"}[5m])) or vector(0))\n/\n((sum(rate(burnwatch_probe_requests_total{probe="p"}[5m]))) > 0)\n',
    );
    const slices = byName(rules(slo({ budgeting: { timeslices: { slice: '1m', target: 0.95 } } })), 'slo:sli_error:ratio_rate1h')[0]!.expr;
    expect(slices).toContain('> 0)');
    expect(slices).toContain('>= bool 0.95');
    expect(slices).toContain(')[1h:1m]');
    // A p99.9 slice is good at 99.9 % within the threshold, as the evaluator counts it (not >= 0.9990000000000001).
    const p999 = byName(rules(slo({ indicator: { latency: { thresholdMs: 100, percentile: 99.9 } } })), 'slo:sli_error:ratio_rate5m')[0]!.expr;
    expect(p999).toContain('>= bool 0.999\n');
  });

  it('reads latency from the histogram bucket of the threshold over every request, so fast failures are bad', () => {
    const e = byName(rules(slo({ indicator: { latency: { thresholdMs: 1000, request: 'get' } } })), 'slo:sli_error:ratio_rate5m')[0]!.expr;
    expect(e).toContain('burnwatch_probe_request_duration_seconds_bucket{probe="p", request="get", le=~"1|1.0"}[5m]');
    // The histogram holds ok requests only; the total is every request of any outcome.
    expect(e).toContain('sum(rate(burnwatch_probe_requests_total{probe="p", request="get"}[5m]))');
    expect(e).not.toContain('_count');
  });

  it('warns about what the probe series cannot express exactly, and says so in the file', () => {
    const r = generateRuleFile([
      slo({ indicator: { latency: { thresholdMs: 120 } } }, 'a'),
      slo({ indicator: { errorRate: { excludeStatus: [429] } } }, 'b'),
      slo({ window: { calendar: 'month' } }, 'c'),
      slo({ indicator: { latency: { thresholdMs: 0.5 } } }, 'd'),
    ]);
    expect(r.warnings.map((w) => [w.slo, w.message.split(';')[0]])).toEqual([
      ['a', 'the latency threshold 120 ms is not a bucket boundary of burnwatch_probe_request_duration_seconds'],
      ['b', 'responses with status 429 are counted apart by the evaluator but the probe metrics carry no status label, so these rules count them as bad'],
      ['c', 'Prometheus rules cannot follow a calendar month'],
      ['d', 'the latency threshold 0.5 ms is below the smallest histogram bucket (1 ms)'],
    ]);
    expect(r.yaml).toContain('le="0.1"');
    expect(r.yaml.split('\n').slice(0, 8).join('\n')).toContain('# a: the latency threshold 120 ms is not a bucket boundary');
    expect(r.groups.filter((g) => g.name.endsWith('svc01-d'))).toEqual([]);
  });

  it('adds a no-data alert when noDataFor is set, and OpenSLO’s alertAfter as for', () => {
    const s = slo({ alerting: { noDataFor: '15m' } });
    s.alerting.alerts[0]!.forMs = 300_000;
    const f = rules(s);
    expect(byName(f, 'Slo1NoData')[0]).toMatchObject({
      expr: '(sum(increase(burnwatch_probe_requests_total{probe="p"}[15m])) or vector(0)) == 0\n',
      labels: { sloth_id: 'svc01-slo1', sloth_service: 'svc01', sloth_slo: 'slo1', severity: 'ticket', sloth_severity: 'ticket', slo: 'slo1' },
    });
    expect(byName(f, 'Slo1BurnRate')[0]!.for).toBe('5m');
  });
});
