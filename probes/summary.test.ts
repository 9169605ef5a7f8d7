import { describe, expect, it } from 'vitest';
import { formatProgress } from './progress.ts';
import type { Progress } from './run.ts';
import { describeScenario, formatBytes, formatMs, formatObserved, formatRate, formatSummary, interruptedWarning } from './summary.ts';
import type { RunSummary } from './summary.ts';
import { probe } from './test-support.ts';

const scenarioOf = (scenario: Record<string, unknown>): string => describeScenario(probe({ target: 'http://127.0.0.1:9', scenario, requests: [{ name: 'a', url: '/' }] }));

const progress = (p: Partial<Progress>): Progress => ({
  runId: 'r',
  probe: 'p',
  elapsedMs: 0,
  plannedMs: 2000,
  currentRate: 0,
  vus: 1,
  vusMax: 1,
  vusBusy: 0,
  errorRate: 0,
  requests: 0,
  dropped: 0,
  stopping: false,
  ...p,
});

describe('rates and durations on screen', () => {
  it('formatRate keeps what a rate below 10/s has after the point, and groups large ones', () => {
    expect(formatRate(12_345.6)).toBe('12,346');
    expect(formatRate(40)).toBe('40');
    expect(formatRate(19.98)).toBe('20');
    expect(formatRate(2.5)).toBe('2.5');
    expect(formatRate(1)).toBe('1');
    expect(formatRate(0.5)).toBe('0.5');
    expect(formatRate(1 / 60)).toBe('0.017');
    expect(formatRate(0)).toBe('0');
  });

  it('describes a rate below 1/s as it is, with its per-minute figure', () => {
    expect(scenarioOf({ executor: 'constant-arrival-rate', rate: 30, timeUnit: '1m', duration: '5m', preAllocatedVUs: 1 })).toBe('constant-arrival-rate: 0.5 req/s (30/min) for 5m');
    expect(scenarioOf({ executor: 'constant-arrival-rate', rate: 1, timeUnit: '1m', duration: '5m', preAllocatedVUs: 1 })).toBe('constant-arrival-rate: 0.017 req/s (1/min) for 5m');
    expect(scenarioOf({ executor: 'ramping-arrival-rate', timeUnit: '2s', stages: [{ duration: '10s', target: 5 }], preAllocatedVUs: 1 })).toBe('ramping-arrival-rate: up to 2.5 req/s over 10s in 1 stage');
    expect(scenarioOf({ executor: 'constant-arrival-rate', rate: 40, duration: '2s', preAllocatedVUs: 1 })).toBe('constant-arrival-rate: 40 req/s for 2s');
  });

  it('the scenario line names the think time', () => {
    const base = { target: 'http://127.0.0.1:9', scenario: { executor: 'constant-vus', vus: 10, duration: '1m' }, requests: [{ name: 'a', url: '/' }] };
    expect(describeScenario(probe({ ...base, sleep: { min: '1s', max: '3s' } }))).toBe('constant-vus: 10 VUs for 1m · think time 1s–3s');
    expect(describeScenario(probe({ ...base, sleep: '500ms', minIterationDuration: '2s' }))).toBe('constant-vus: 10 VUs for 1m · think time 500ms · iterations ≥ 2s');
    expect(describeScenario(probe({ ...base, requests: [{ name: 'a', url: '/', sleep: '1s' }] }))).toBe('constant-vus: 10 VUs for 1m · think time per request');
    expect(describeScenario(probe(base))).toBe('constant-vus: 10 VUs for 1m');
    expect(describeScenario(probe({ ...base, sleep: '0s' }))).toBe('constant-vus: 10 VUs for 1m');
    expect(describeScenario(probe({ ...base, sleep: '5s', requests: [{ name: 'a', url: '/', sleep: '1s' }] }))).toBe('constant-vus: 10 VUs for 1m · think time per request');
  });

  it('progress shows fractional rates and a plan that is not whole seconds', () => {
    expect(formatProgress(progress({ elapsedMs: 2500, plannedMs: 2500, targetRate: 0.5, currentRate: 0.4 }))).toMatch(/^ +2\.5s\/2\.5s {2}0\.4\/0\.5 req\/s {2}/);
    expect(formatProgress(progress({ elapsedMs: 1999, plannedMs: 62_500 }))).toMatch(/^ +1\.9s\/1m2\.5s {2}0 req\/s/);
    expect(formatProgress(progress({ elapsedMs: 65_400, plannedMs: 420_000, targetRate: 1000, currentRate: 999.7 }))).toMatch(/^ +1m5s\/7m {2}1,000\/1,000 req\/s/);
  });

  it("progress shows the closed model's active VUs (k6's vus), with the busy ones when think time makes them fewer; the open model's busy ones", () => {
    // 350 users ramped up, 4 with a request in flight, the rest in their think time.
    expect(formatProgress(progress({ vus: 350, vusBusy: 4, vusMax: 500 }))).toContain('  vus 350/500 (4 busy)  ');
    expect(formatProgress(progress({ vus: 50, vusBusy: 50, vusMax: 50 }))).toContain('  vus 50/50  ');
    expect(formatProgress(progress({ targetRate: 1000, vus: 200, vusBusy: 12, vusMax: 200 }))).toContain('  vus 12/200  ');
    // The open model in its gracefulStop has no target rate any more: still its busy VUs.
    expect(formatProgress(progress({ openModel: true, vus: 200, vusBusy: 12, vusMax: 200, stopping: true }))).toContain('  vus 12/200  ');
  });

  it('progress never shows an error rate that is not 0 as 0 % (or one that is not 1 as 100 %)', () => {
    // 3 failures out of 10,000 requests in the last interval.
    expect(formatProgress(progress({ errorRate: 0.0003 }))).toContain('  err 0.03%  ');
    expect(formatProgress(progress({ errorRate: 0.99996 }))).toContain('  err 99.996%  ');
    expect(formatProgress(progress({ errorRate: 0 }))).toContain('  err 0%  ');
    expect(formatProgress(progress({ errorRate: 0.01234 }))).toContain('  err 1.2%  ');
    expect(formatProgress(progress({ errorRate: 1 }))).toContain('  err 100%  ');
  });

  it('progress of a 24 h run: the clock to the second and rates below 1/s', () => {
    expect(formatProgress(progress({ elapsedMs: 86_399_999, plannedMs: 86_400_000, currentRate: 0.01, targetRate: 0.01 }))).toMatch(/^23h59m59s\/1d {2}0\.01\/0\.01 req\/s {2}/);
  });
});

const runSummary = (s: Partial<RunSummary>): RunSummary => ({
  runId: 'r',
  probe: 'p',
  target: 'http://127.0.0.1:9',
  executor: 'constant-arrival-rate',
  startedAt: '2026-01-01T00:00:00.000Z',
  endedAt: '2026-01-01T00:00:01.000Z',
  durationMs: 1000,
  status: 'failed',
  stopReason: 'threshold http_req_duration p(95)<10 crossed (abortOnFail): p(95)=55ms',
  segment: { index: 1, count: 1 },
  threads: 1,
  outcomes: { ok: 20, http_error: 0, assertion_failed: 0, timeout: 0, connect_error: 0, reset: 0 },
  metrics: {},
  thresholds: [],
  droppedIterations: 0,
  interruptedIterations: 0,
  errors: [],
  warnings: [],
  ...s,
});

describe('abortOnFail in the summary', () => {
  it('prints the breakpoint lines for a ramping-arrival-rate run only', () => {
    const breakpoint = { lastPassingRate: null, failedAtRate: 20 };
    expect(formatSummary(runSummary({ executor: 'constant-arrival-rate', breakpoint }))).not.toContain('breakpoint');
    expect(formatSummary(runSummary({ executor: 'ramping-arrival-rate', breakpoint }))).toContain('  breakpoint: last rate that met the abortOnFail thresholds: none (failed at 20 req/s)\n');
    expect(formatSummary(runSummary({ executor: 'ramping-arrival-rate', breakpoint: { lastPassingRate: 0.5, failedAtRate: 2.5 } }))).toContain(
      'breakpoint: last rate that met the abortOnFail thresholds: 0.5 req/s (failed at 2.5 req/s)',
    );
  });

  it('the interrupted-iterations warning names only the grace periods the executor has', () => {
    expect(interruptedWarning(2, 'constant-arrival-rate', true)).toBe('2 iterations were still running when the abortOnFail threshold stopped the run and were interrupted; they are not in the metrics.');
    expect(interruptedWarning(2, 'ramping-arrival-rate', false)).toBe('2 iterations were still running at gracefulStop and were interrupted; they are not in the metrics.');
    expect(interruptedWarning(1_200, 'ramping-vus', false)).toBe('1,200 iterations were still running at gracefulStop or gracefulRampDown and were interrupted; they are not in the metrics.');
    expect(interruptedWarning(3, 'ramping-vus', true)).toBe(
      '3 iterations were still running when the abortOnFail threshold stopped the run (or at gracefulRampDown) and were interrupted; they are not in the metrics.',
    );
  });
});

describe('formatObserved for rates', () => {
  it('never rounds a rate that is not 0 to 0 % or one that is not 1 to 100 %: a failed rate>0.99999 must not read 100 %', () => {
    expect(formatObserved('http_req_failed', 0.99999, 'rate')).toBe('99.999%');
    expect(formatObserved('checks', 0.000003, 'rate')).toBe('0.0003%');
    expect(formatObserved('checks', 1, 'rate')).toBe('100%');
    expect(formatObserved('checks', 0, 'rate')).toBe('0%');
    expect(formatObserved('checks', 0.5, 'rate')).toBe('50%');
    expect(formatObserved('checks', 0.01234, 'rate')).toBe('1.23%');
  });
});

describe('a long run’s small counter rates', () => {
  // 50 dropped iterations and 1,234,567 bytes received over a 24 h soak.
  const day = 86_400;
  const summary = (): string =>
    formatSummary(
      runSummary({
        durationMs: day * 1000,
        metrics: {
          dropped_iterations: { type: 'counter', contains: 'default', values: { count: 50, rate: 50 / day } },
          data_received: { type: 'counter', contains: 'data', values: { count: 1_234_567, rate: 1_234_567 / day } },
        },
      }),
    );

  it('prints a byte rate below 1 kB/s rounded as the larger units are, not as a raw float', () => {
    const line = summary()
      .split('\n')
      .find((l) => l.includes('data_received'));
    expect(line, `data_received line: ${line}`).toMatch(/: 1\.2 MB\s+14\.3 B\/s$/);
    expect(formatObserved('data_sent', 0.25, 'rate')).toBe('0.25 B/s');
    expect(formatObserved('data_sent', 812, 'count')).toBe('812 B');
  });

  it('never prints a counter rate that is not 0 as 0/s', () => {
    const line = summary()
      .split('\n')
      .find((l) => l.includes('dropped_iterations'));
    expect(line, `dropped_iterations line: ${line}`).toMatch(/: 50\s+0\.00058\/s$/);
    expect(formatObserved('http_reqs', 0.004, 'rate')).toBe('0.004/s');
    expect(formatObserved('http_reqs', 0.01, 'rate')).toBe('0.01/s');
    expect(formatObserved('http_reqs', 12.346, 'rate')).toBe('12.35/s');
    expect(formatObserved('http_reqs', 0, 'rate')).toBe('0/s');
  });
});

describe('the errors in the summary', () => {
  it('a kind counted after it took the place of another in a full list shows the count it is sure of, as at least', () => {
    const text = formatSummary(
      runSummary({
        errors: [
          { outcome: 'http_error', message: 'HTTP 503', count: 60_002, overcount: 2 },
          { outcome: 'timeout', message: 'timed out after 10s', count: 7 },
        ],
      }),
    );
    expect(text).toContain('     ≥60,000 × http_error: HTTP 503\n');
    expect(text).toContain('           7 × timeout: timed out after 10s\n');
  });
});

describe('formatBytes at a unit’s edge', () => {
  it('a value that rounds up to 1000 of a unit is shown in the next unit', () => {
    expect(formatBytes(999.96)).toBe('1 kB');
    expect(formatBytes(999_600)).toBe('1 MB');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1_234_567)).toBe('1.2 MB');
  });
});

describe('threshold values on screen', () => {
  // k6's summary cuts a duration to two decimals (grafana/k6 js/summary.js, humanizeGenericDuration →
  // toFixedNoTrailingZerosTrunc), so 999.996 ms prints "999.99ms" and a passing p(95)<1000 never shows
  // its limit: the rule kept for rates above ("a failed rate>0.99999 must not read 100 %").
  // formatMs rounded: "✓ 'p(95)<1000' p(95)=1000ms" (and 59,999.6 ms read "60s").
  it('does not round a passing p(95)<1000 of 999.996 ms up to its limit', () => {
    expect(formatObserved('http_req_duration', 999.996, 'p')).toBe('999.99ms');
    expect(formatMs(59_999.6)).toBe('59.99s');
    expect(formatMs(119_999)).toBe('1m59s');
    // Cut without float error: 4.35 × 100 is 434.99999999999994 in binary floating point.
    expect(formatMs(4.35)).toBe('4.35ms');
    expect(formatMs(0.5799)).toBe('579µs');
    const s = runSummary({
      status: 'passed',
      stopReason: 'completed',
      thresholds: [{ metric: 'http_req_duration', threshold: 'p(95)<1000', ok: true, value: 999.996, abortOnFail: false, delayAbortEvalMs: 0 }],
    });
    expect(formatSummary(s)).not.toContain("✓ 'p(95)<1000' p(95)=1000ms");
  });
});
