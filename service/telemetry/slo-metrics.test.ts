import { describe, expect, it } from 'vitest';
import type { SloEvaluation, WindowEvaluation } from '../../slos/index.ts';
import { createRegistry, renderMetrics } from './exposition.ts';
import { SloMetrics } from './slo-metrics.ts';
import { openMetricsProblems, sampleValue } from './test-support.ts';

function window(w: string, sli: number | null, burnRate: number | null): WindowEvaluation {
  return { window: w, durationMs: 0, events: sli === null ? 0 : 100, good: 0, total: 0, sli, errorRatio: sli === null ? null : 1 - sli, burnRate };
}

function evaluation(slo: string, sli: WindowEvaluation, windows: WindowEvaluation[], remaining: number | null): SloEvaluation {
  return {
    slo,
    at: '2026-01-01T00:00:00.000Z',
    objective: 0.999,
    objectivePercent: 99.9,
    errorBudget: 0.001,
    budgeting: 'occurrences',
    period: { window: '30d', start: '', end: '', lengthMs: 0 },
    sli,
    windows,
    budget: { remaining, consumed: remaining === null ? null : 1 - remaining, timeToExhaustionMs: null, currentBurnRate: null, currentWindow: '5m' },
    alerts: [],
    noData: { noData: remaining === null, lastEventAt: null, silentForMs: null, thresholdMs: 0, alerting: false },
  };
}

async function render(m: (s: SloMetrics) => void): Promise<string> {
  const registry = createRegistry();
  m(new SloMetrics(registry));
  return (await renderMetrics(registry, 'application/openmetrics-text')).body;
}

describe('SLO and alert gauges', () => {
  it('exports the SLI, burn rate, remaining budget and objective of an SLO with data', async () => {
    const body = await render((m) => m.set([evaluation('latency', window('30d', 0.9995, 0.5), [window('5m', 0.99, 10), window('1h', 0.998, 2)], 0.5)]));
    expect(sampleValue(body, 'burnwatch_slo_sli_ratio', { slo: 'latency', window: '30d' })).toBe(0.9995);
    expect(sampleValue(body, 'burnwatch_slo_sli_ratio', { slo: 'latency', window: '5m' })).toBe(0.99);
    expect(sampleValue(body, 'burnwatch_slo_burn_rate', { slo: 'latency', window: '1h' })).toBe(2);
    expect(sampleValue(body, 'burnwatch_slo_error_budget_remaining_ratio', { slo: 'latency' })).toBe(0.5);
    expect(sampleValue(body, 'burnwatch_slo_objective_ratio', { slo: 'latency' })).toBe(0.999);
    expect(openMetricsProblems(body)).toEqual([]);
  });

  it('drops the series of windows and SLOs without data instead of exporting NaN or 0', async () => {
    const body = await render((m) =>
      m.set([
        evaluation('quiet', window('30d', null, null), [window('5m', null, null)], null),
        evaluation('partial', window('30d', 0.99, 10), [window('5m', null, null), window('1h', 1, 0)], -0.25),
      ]),
    );
    expect(body).not.toMatch(/slo="quiet",window=/);
    expect(sampleValue(body, 'burnwatch_slo_error_budget_remaining_ratio', { slo: 'quiet' })).toBeUndefined();
    expect(sampleValue(body, 'burnwatch_slo_objective_ratio', { slo: 'quiet' })).toBe(0.999);
    expect(sampleValue(body, 'burnwatch_slo_sli_ratio', { slo: 'partial', window: '5m' })).toBeUndefined();
    expect(sampleValue(body, 'burnwatch_slo_burn_rate', { slo: 'partial', window: '5m' })).toBeUndefined();
    expect(sampleValue(body, 'burnwatch_slo_burn_rate', { slo: 'partial', window: '1h' })).toBe(0);
    expect(sampleValue(body, 'burnwatch_slo_error_budget_remaining_ratio', { slo: 'partial' })).toBe(-0.25);
    expect(body).not.toMatch(/nan/i);
  });

  it('removes a window\'s series when a later evaluation has no data for it, and the SLOs no longer evaluated', async () => {
    const body = await render((m) => {
      m.set([evaluation('a', window('30d', 0.99, 10), [window('5m', 0.9, 100)], 0.1), evaluation('removed', window('30d', 1, 0), [], 1)]);
      m.set([evaluation('a', window('30d', 0.99, 10), [window('5m', null, null)], null)]);
    });
    expect(sampleValue(body, 'burnwatch_slo_sli_ratio', { slo: 'a', window: '5m' })).toBeUndefined();
    expect(sampleValue(body, 'burnwatch_slo_error_budget_remaining_ratio', { slo: 'a' })).toBeUndefined();
    expect(sampleValue(body, 'burnwatch_slo_sli_ratio', { slo: 'a', window: '30d' })).toBe(0.99);
    expect(body).not.toContain('slo="removed"');
  });

  it('exports the current alert states as 1 when firing and 0 when not', async () => {
    const body = await render((m) => {
      m.setAlerts([
        { slo: 'a', severity: 'page', firing: false },
        { slo: 'gone', severity: 'ticket', firing: true },
      ]);
      m.setAlerts([
        { slo: 'a', severity: 'page', firing: true },
        { slo: 'a', severity: 'ticket', firing: false },
      ]);
    });
    expect(sampleValue(body, 'burnwatch_alert_firing', { slo: 'a', severity: 'page' })).toBe(1);
    expect(sampleValue(body, 'burnwatch_alert_firing', { slo: 'a', severity: 'ticket' })).toBe(0);
    expect(body).not.toContain('slo="gone"');
  });
});
