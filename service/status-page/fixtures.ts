/**
 * A realistic status view of the demo experimentation platform at 03:12 UTC,
 * for tests, screenshots and trying the page out: events-errors is burning its
 * budget at 15x and pages, analytics-latency has a ticket pending, the uptime
 * probe has sent no data since the service started, and the recent runs
 * passed, failed, errored, aborted or were interrupted.
 *
 * The evaluations are written out as the evaluator would produce them for the
 * demo's SLOs (30d rolling windows, the SRE workbook's window set: page
 * 5m/1h at 14.4x and 30m/6h at 6x, ticket 2h/1d at 3x and 6h/3d at 1x). The
 * helpers only keep the arithmetic consistent (burn rate = error ratio /
 * budget, a pair holds when both burn rates exceed its factor).
 */
import type { AlertEvaluation, PairEvaluation, Severity, SloEvaluation, WindowEvaluation } from '../../slos/index.ts';
import type { StatusAlert, StatusProbe, StatusRun, StatusSlo, StatusView } from './view.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The moment the fixture describes: 03:12 UTC, when pages wake people up. */
export const FIXTURE_NOW = Date.parse('2025-06-03T03:12:00.000Z');

const iso = (t: number): string => new Date(t).toISOString();
const ago = (ms: number): string => iso(FIXTURE_NOW - ms);

const WINDOWS: Array<[string, number]> = [
  ['5m', 5 * MINUTE],
  ['30m', 30 * MINUTE],
  ['1h', HOUR],
  ['2h', 2 * HOUR],
  ['6h', 6 * HOUR],
  ['1d', DAY],
  ['3d', 3 * DAY],
];

const WINDOW_SET: Array<{ name: string; severity: Severity; pairs: Array<[string, string, string, number]> }> = [
  {
    name: 'page',
    severity: 'page',
    pairs: [
      ['quick', '5m', '1h', 14.4],
      ['slow', '30m', '6h', 6],
    ],
  },
  {
    name: 'ticket',
    severity: 'ticket',
    pairs: [
      ['quick', '2h', '1d', 3],
      ['slow', '6h', '3d', 1],
    ],
  },
];

interface FixtureSlo {
  name: string;
  description: string;
  probe: string;
  indicator: string;
  objectivePercent: number;
  budgeting: SloEvaluation['budgeting'];
  /** Events (occurrences) or slices (timeslices) per minute of data. */
  perMinute: number;
  /** Burn rate over the 30d SLO window; null = no data. */
  periodBurn: number | null;
  /** Burn rate per alert window, in WINDOWS order; null = no data. */
  burns: Array<number | null>;
  /** Alerts whose condition holds but not yet for long enough. */
  pending?: Severity[];
  noData?: { lastEventAgoMs: number | null; silentForMs: number | null; thresholdMs: number };
}

function window(label: string, durationMs: number, budget: number, perMinute: number, burn: number | null, slices: boolean): WindowEvaluation {
  const minutes = durationMs / MINUTE;
  const events = burn === null ? 0 : Math.round(minutes * perMinute);
  const total = burn === null ? 0 : slices ? minutes : events;
  const errorRatio = burn === null ? null : burn * budget;
  return {
    window: label,
    durationMs,
    events,
    good: errorRatio === null ? 0 : Math.round(total * (1 - errorRatio)),
    total,
    sli: errorRatio === null ? null : 1 - errorRatio,
    errorRatio,
    burnRate: burn,
  };
}

function evaluation(f: FixtureSlo): SloEvaluation {
  const budget = (100 - f.objectivePercent) / 100;
  const slices = f.budgeting !== 'occurrences';
  const windows = WINDOWS.map(([label, ms], i) => window(label, ms, budget, f.perMinute, f.burns[i] ?? null, slices));
  const byLabel = new Map(windows.map((w) => [w.window, w]));
  const burnOf = (label: string): number | null => byLabel.get(label)?.burnRate ?? null;

  const alerts: AlertEvaluation[] = WINDOW_SET.map((a) => {
    const pairs: PairEvaluation[] = a.pairs.map(([name, short, long, factor]) => {
      const s = burnOf(short);
      const l = burnOf(long);
      return {
        name,
        shortWindow: short,
        longWindow: long,
        factor,
        threshold: factor * budget,
        shortBurnRate: s,
        longBurnRate: l,
        holds: s !== null && l !== null && s > factor && l > factor,
      };
    });
    const holds = pairs.some((p) => p.holds);
    const pending = holds && (f.pending ?? []).includes(a.severity);
    let best: { rel: number; burn: number } | null = null;
    for (const p of pairs) {
      if (p.shortBurnRate === null || p.longBurnRate === null) continue;
      const burn = Math.min(p.shortBurnRate, p.longBurnRate);
      if (!best || burn / p.factor > best.rel) best = { rel: burn / p.factor, burn };
    }
    return {
      name: a.name,
      severity: a.severity,
      firing: holds && !pending,
      pending,
      windows: pairs.filter((p) => p.holds).map((p) => `${p.shortWindow}/${p.longWindow}`),
      burnRate: best ? best.burn : null,
      pairs,
    };
  });

  const periodMs = 30 * DAY;
  const sli = window('30d', periodMs, budget, f.perMinute, f.periodBurn, slices);
  const consumed = f.periodBurn;
  const remaining = consumed === null ? null : 1 - consumed;
  const current = windows[0]?.burnRate ?? null;
  let timeToExhaustionMs: number | null = null;
  if (remaining !== null) {
    if (remaining <= 0) timeToExhaustionMs = 0;
    else if (current !== null && current > 0) timeToExhaustionMs = (remaining * periodMs) / current;
  }
  const noData = f.noData ?? { lastEventAgoMs: 0, silentForMs: 0, thresholdMs: 0 };

  return {
    slo: f.name,
    at: iso(FIXTURE_NOW),
    objective: f.objectivePercent / 100,
    objectivePercent: f.objectivePercent,
    errorBudget: budget,
    budgeting: f.budgeting,
    period: { window: '30d', start: ago(periodMs), end: iso(FIXTURE_NOW), lengthMs: periodMs },
    sli,
    windows,
    budget: { remaining, consumed, timeToExhaustionMs, currentBurnRate: current, currentWindow: '5m' },
    alerts,
    noData: {
      noData: sli.sli === null,
      lastEventAt: noData.lastEventAgoMs === null ? null : ago(noData.lastEventAgoMs),
      silentForMs: noData.silentForMs,
      thresholdMs: noData.thresholdMs,
      alerting: noData.thresholdMs > 0 && noData.silentForMs !== null && noData.silentForMs >= noData.thresholdMs,
    },
  };
}

const SLOS: FixtureSlo[] = [
  {
    name: 'assignment-latency',
    description: '99.9 % of minutes have assignment p99 under 100 ms',
    probe: 'assignment',
    indicator: 'p99 ≤ 100 ms per 1m slice',
    objectivePercent: 99.9,
    budgeting: 'timeslices',
    perMinute: 60_000,
    periodBurn: 0.32,
    burns: [0, 0, 0, 0.42, 0.28, 0.35, 0.31],
  },
  {
    name: 'flags-latency',
    description: '99 % of flag evaluations answer within 50 ms (p99 < 50 ms)',
    probe: 'flags',
    indicator: 'latency ≤ 50 ms',
    objectivePercent: 99,
    budgeting: 'occurrences',
    perMinute: 12_000,
    periodBurn: 0.38,
    burns: [0.81, 0.65, 0.52, 0.48, 0.41, 0.37, 0.39],
  },
  {
    name: 'events-errors',
    description: 'Event ingestion error rate below 0.1 %',
    probe: 'events',
    indicator: 'error rate',
    objectivePercent: 99.9,
    budgeting: 'occurrences',
    perMinute: 20_000,
    periodBurn: 0.8127,
    burns: [18.2, 16.3, 15.13, 9.8, 4.2, 2.1, 0.93],
  },
  {
    name: 'analytics-latency',
    description: '95 % of results queries within 500 ms (p95 < 500 ms)',
    probe: 'analytics',
    indicator: 'latency ≤ 500 ms',
    objectivePercent: 95,
    budgeting: 'occurrences',
    perMinute: 2_400,
    periodBurn: 0.39,
    burns: [2.8, 3.0, 3.2, 3.4, 3.3, 3.1, 0.95],
    pending: ['ticket'],
  },
  {
    name: 'crud-latency',
    description: '95 % of CRUD writes within 500 ms (p95 < 500 ms)',
    probe: 'crud',
    indicator: 'latency ≤ 500 ms',
    objectivePercent: 95,
    budgeting: 'occurrences',
    perMinute: 1_800,
    periodBurn: 0.06,
    burns: [0.04, 0.05, 0.05, 0.06, 0.07, 0.06, 0.06],
  },
  {
    name: 'cache-hit-ratio',
    description: 'More than 90 % of assignment lookups served from cache',
    probe: 'assignment',
    indicator: 'cache hit (X-Cache)',
    objectivePercent: 90,
    budgeting: 'occurrences',
    perMinute: 6_000,
    periodBurn: 0.588,
    burns: [0.62, 0.58, 0.6, 0.61, 0.59, 0.6, 0.59],
  },
  {
    name: 'uptime',
    description: 'The platform answers its health check 99.9 % of the time',
    probe: 'health',
    indicator: 'uptime',
    objectivePercent: 99.9,
    budgeting: 'timeslices',
    perMinute: 6,
    periodBurn: null,
    burns: [null, null, null, null, null, null, null],
    // Never any data; counted from the service start 42 minutes ago.
    noData: { lastEventAgoMs: null, silentForMs: 42 * MINUTE, thresholdMs: 5 * MINUTE },
  },
];

function statusSlo(f: FixtureSlo): StatusSlo {
  return {
    name: f.name,
    description: f.description,
    service: 'experimentation',
    probe: f.probe,
    indicator: f.indicator,
    evaluation: evaluation(f),
  };
}

const ALERTS: StatusAlert[] = [
  {
    slo: 'events-errors',
    name: 'page',
    severity: 'page',
    state: 'firing',
    since: ago(8 * MINUTE),
    burnRate: 15.13,
    windows: ['5m/1h'],
  },
  {
    slo: 'analytics-latency',
    name: 'ticket',
    severity: 'ticket',
    state: 'pending',
    since: null,
    burnRate: 3.1,
    windows: ['2h/1d'],
  },
];

function run(
  id: string,
  probe: string,
  status: StatusRun['status'],
  startedAgoMs: number,
  durationMs: number | null,
  rest: Partial<Omit<StatusRun, 'id' | 'probe' | 'status' | 'startedAt' | 'endedAt'>> = {},
): StatusRun {
  const start = FIXTURE_NOW - startedAgoMs;
  return {
    id,
    probe,
    status,
    startedAt: iso(start),
    endedAt: durationMs === null ? null : iso(start + durationMs),
    stopReason: null,
    thresholdsPassed: 0,
    thresholdsFailed: 0,
    requests: null,
    errorRatio: null,
    p95Ms: null,
    ...rest,
  };
}

const RUNS: StatusRun[] = [
  run('r-0112', 'assignment', 'running', 1 * MINUTE + 40_000, null, { requests: 61_200, errorRatio: 0.0002, p95Ms: 38.4 }),
  run('r-0111', 'flags', 'passed', 3 * MINUTE, 90_000, {
    stopReason: 'completed',
    thresholdsPassed: 3,
    requests: 1_080_000,
    errorRatio: 0.00004,
    p95Ms: 21.7,
  }),
  run('r-0110', 'events', 'failed', 7 * MINUTE, 120_000, {
    stopReason: 'completed',
    thresholdsPassed: 1,
    thresholdsFailed: 2,
    requests: 200_000,
    errorRatio: 0.0182,
    p95Ms: 212,
  }),
  run('r-0109', 'crud', 'passed', 9 * MINUTE, 60_000, {
    stopReason: 'completed',
    thresholdsPassed: 2,
    requests: 9_000,
    errorRatio: 0,
    p95Ms: 143,
  }),
  run('r-0108', 'analytics', 'passed', 10 * MINUTE, 60_000, {
    stopReason: 'completed',
    thresholdsPassed: 2,
    requests: 12_000,
    errorRatio: 0.0011,
    p95Ms: 486,
  }),
  run('r-0107', 'events', 'aborted', 12 * MINUTE, 34_000, {
    stopReason: 'threshold http_req_failed rate<0.01 crossed (abortOnFail)',
    thresholdsPassed: 1,
    thresholdsFailed: 1,
    requests: 56_700,
    errorRatio: 0.0214,
    p95Ms: 198,
  }),
  run('r-0106', 'analytics', 'error', 15 * MINUTE, 2_300, {
    stopReason: 'target unreachable: connect ECONNREFUSED 127.0.0.1:8081',
    requests: 0,
  }),
  run('r-0105', 'health', 'interrupted', 44 * MINUTE, null, {
    stopReason: 'service stopped (SIGTERM) during the run',
    requests: 12,
  }),
];

const PROBES: StatusProbe[] = [
  { name: 'assignment', schedule: '*/2 * * * *', nextRunAt: ago(-2 * MINUTE), running: true, skippedRuns: 0 },
  { name: 'flags', schedule: '1-59/2 * * * *', nextRunAt: ago(-1 * MINUTE), running: false, skippedRuns: 0 },
  { name: 'events', schedule: '*/5 * * * *', nextRunAt: ago(-3 * MINUTE), running: false, skippedRuns: 0 },
  { name: 'analytics', schedule: '2-59/5 * * * *', nextRunAt: ago(-5 * MINUTE), running: false, skippedRuns: 0 },
  { name: 'crud', schedule: '3-59/5 * * * *', nextRunAt: ago(-6 * MINUTE), running: false, skippedRuns: 0 },
  { name: 'health', schedule: '*/10 * * * * *', nextRunAt: ago(-10_000), running: false, skippedRuns: 3 },
  { name: 'soak-24h', schedule: null, nextRunAt: null, running: false, skippedRuns: 0 },
];

/** The demo platform's status at 03:12 UTC (a fresh copy on each call, to mutate freely in tests). */
export function fixtureStatusView(): StatusView {
  return {
    generatedAt: iso(FIXTURE_NOW),
    version: '0.1.0',
    refreshSeconds: 30,
    slos: SLOS.map(statusSlo),
    alerts: ALERTS.map((a) => ({ ...a, windows: [...a.windows] })),
    runs: RUNS.map((r) => ({ ...r })),
    probes: PROBES.map((p) => ({ ...p })),
  };
}

/** The same view, as a value. */
export const fixtureView: StatusView = fixtureStatusView();
