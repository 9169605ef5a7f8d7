/**
 * The evaluator: a pure function of (SLO, SLI view, now) → SLI per window,
 * error budget, burn rates and alert conditions, as plain JSON-serialisable
 * data. The maths is the SRE workbook's ("Alerting on SLOs") as Sloth
 * generates it for Prometheus:
 *
 * - error ratio over a window = bad / valid events (occurrences), bad slices /
 *   slices with events (timeslices) or 1 − mean slice ratio (ratioTimeslices);
 * - error budget = (100 − objective%) / 100, Sloth's float for its alerts;
 * - burn rate = error ratio / error budget;
 * - a window pair holds when both windows' error ratio exceed factor × budget;
 *   an alert fires when any of its pairs holds (for `forMs`, OpenSLO's alertAfter);
 * - budget consumed = error ratio over the SLO window / budget (Sloth's
 *   `slo:period_burn_rate:ratio`), remaining = 1 − consumed;
 * - time to exhaustion = remaining × period / current burn rate, the current
 *   burn rate being the one over the shortest alert window (Sloth's
 *   `slo:current_burn_rate:ratio`).
 *
 * A window with fewer events than `minEvents` has no SLI (null): never a 0 or
 * NaN that poisons the budget (Sloth's most reported bug), never an alert.
 *
 * Windows end at `now`: minutes that started before `now` count (the current
 * minute with the events seen so far); timeslices count when they have ended.
 */
import { calendarPeriod } from './calendar.ts';
import { errorBudgetRatio } from './model.ts';
import type { BurnWindowPair, Severity, Slo } from './model.ts';
import { prometheusDuration } from './prom-duration.ts';
import { MINUTE_MS } from './sli-index.ts';
import type { SliView } from './sli-index.ts';

export interface WindowEvaluation {
  /** Prometheus spelling of the window (`5m`, `1h`, `30d`), or `calendar-month` / `calendar-week`. */
  window: string;
  durationMs: number;
  /** Events in the window. */
  events: number;
  /** Good and counted units: events (occurrences) or slices (timeslices: good slices / slices with events; ratioTimeslices: Σ slice ratios / slices). */
  good: number;
  total: number;
  /** null = no data (fewer than `minEvents` events). */
  sli: number | null;
  errorRatio: number | null;
  burnRate: number | null;
}

export interface PairEvaluation {
  name: string;
  shortWindow: string;
  longWindow: string;
  factor: number;
  /** factor × error budget: the error ratio both windows must exceed. */
  threshold: number;
  shortBurnRate: number | null;
  longBurnRate: number | null;
  /** Both windows exceed the threshold now. */
  holds: boolean;
}

export interface AlertEvaluation {
  name: string;
  severity: Severity;
  /** Holds now and has held for `forMs`. */
  firing: boolean;
  /** Holds now but not yet for `forMs`. */
  pending: boolean;
  /** Pairs that hold now, as `short/long` (e.g. `5m/1h`). */
  windows: string[];
  /**
   * The burn rate behind the decision: over the pairs, the largest
   * min(short, long) burn rate relative to its factor; null without data.
   */
  burnRate: number | null;
  pairs: PairEvaluation[];
}

export interface SloEvaluation {
  slo: string;
  at: string;
  objective: number;
  objectivePercent: number;
  /** (100 − objective%) / 100. */
  errorBudget: number;
  budgeting: Slo['budgeting']['method'];
  period: { window: string; start: string; end: string; lengthMs: number };
  /** SLI over the SLO window. */
  sli: WindowEvaluation;
  /** SLI over each alert window, shortest first. */
  windows: WindowEvaluation[];
  budget: {
    /** 1 − consumed; negative when overspent; null without data. */
    remaining: number | null;
    /** Fraction of the period's budget spent (the period burn rate). */
    consumed: number | null;
    /** At the current burn rate; 0 when spent; null when not burning or no data. */
    timeToExhaustionMs: number | null;
    currentBurnRate: number | null;
    currentWindow: string;
  };
  alerts: AlertEvaluation[];
  noData: {
    /** No data over the SLO window. */
    noData: boolean;
    lastEventAt: string | null;
    /** Time since the last event (or since `expectDataSince`); null when there never was data and nothing was expected. */
    silentForMs: number | null;
    thresholdMs: number;
    /** noDataFor is set and the silence is at least that long. */
    alerting: boolean;
  };
}

export interface EvaluateOptions {
  /** From when data was expected (e.g. service start): silence is counted from here when there is no later event. */
  expectDataSince?: number;
}

/** Anything that gives a view of an SLO's SLI data (an `SliStore`). */
export interface SliSource {
  view(slo: Slo): SliView;
}

interface Range {
  start: number;
  end: number;
}

function isSource(x: SliView | SliSource): x is SliSource {
  return typeof (x as SliSource).view === 'function';
}

/** Window measurement; `start`/`end` in ms, `end` = now. */
function measure(slo: Slo, view: SliView, r: Range, label: string, budget: number): WindowEvaluation {
  // Minutes that started in [start, end): the current minute counts with what it has so far.
  const fromMinute = Math.ceil(r.start / MINUTE_MS);
  const toMinute = Math.ceil(r.end / MINUTE_MS);
  const ev = view.events(fromMinute, toMinute);
  let good = ev.good;
  let total = ev.total;
  let errorRatio: number | null = null;
  let sli: number | null = null;
  if (ev.total >= slo.minEvents && ev.total > 0) {
    if (slo.budgeting.method === 'occurrences') {
      sli = ev.good / ev.total;
      errorRatio = (ev.total - ev.good) / ev.total;
    } else {
      const s = slo.budgeting.sliceMs;
      const sl = view.slices(Math.floor(r.start / s), Math.floor(r.end / s));
      good = sl.good;
      total = sl.total;
      if (sl.total > 0) {
        sli = sl.good / sl.total;
        errorRatio = (sl.total - sl.good) / sl.total;
      }
    }
  } else if (slo.budgeting.method !== 'occurrences') {
    const s = slo.budgeting.sliceMs;
    const sl = view.slices(Math.floor(r.start / s), Math.floor(r.end / s));
    good = sl.good;
    total = sl.total;
  }
  return {
    window: label,
    durationMs: r.end - r.start,
    events: ev.total,
    good,
    total,
    sli,
    errorRatio,
    burnRate: errorRatio === null ? null : errorRatio / budget,
  };
}

function exceeds(ratio: number | null, threshold: number, op: BurnWindowPair['op']): boolean {
  if (ratio === null) return false;
  return op === 'gte' ? ratio >= threshold : ratio > threshold;
}

/** The SLO window ending at `now`. */
export function periodRange(slo: Slo, now: number): Range & { label: string; lengthMs: number } {
  if (slo.window.kind === 'rolling') {
    return { start: now - slo.window.durationMs, end: now, label: prometheusDuration(slo.window.durationMs), lengthMs: slo.window.durationMs };
  }
  const p = calendarPeriod(now, slo.window);
  return { start: p.start, end: now, label: `calendar-${slo.window.unit}`, lengthMs: p.end - p.start };
}

/** Every window an SLO's alerts look at, shortest first (no duplicates). */
export function alertWindowsMs(slo: Slo): number[] {
  const set = new Set<number>();
  for (const a of slo.alerting.alerts) for (const p of a.pairs) set.add(p.shortMs).add(p.longMs);
  return [...set].sort((x, y) => x - y);
}

/**
 * Evaluates an SLO at `now` over a view of its SLI data (or a store, whose
 * view is taken). Pure: the same inputs give the same output.
 *
 * @example
 * const store = createMemoryStore();
 * store.append(slo.name, [{ minute: t0, good: 999, total: 1000 }]);
 * evaluateSlo(slo, store, t0 + 60_000).windows[0].burnRate // ≈ 1 (0.1 % errors on a 99.9 % SLO)
 */
export function evaluateSlo(slo: Slo, source: SliView | SliSource, now: number, options: EvaluateOptions = {}): SloEvaluation {
  const view = isSource(source) ? source.view(slo) : source;
  const budget = errorBudgetRatio(slo);
  const period = periodRange(slo, now);
  const sli = measure(slo, view, period, period.label, budget);

  const cache = new Map<string, WindowEvaluation>();
  const at = (ms: number, t: number): WindowEvaluation => {
    const key = `${ms}@${t}`;
    let w = cache.get(key);
    if (!w) {
      w = measure(slo, view, { start: t - ms, end: t }, prometheusDuration(ms), budget);
      cache.set(key, w);
    }
    return w;
  };
  const windows = alertWindowsMs(slo).map((ms) => at(ms, now));

  const pairHolds = (p: BurnWindowPair, t: number): boolean => {
    const threshold = p.factor * budget;
    return exceeds(at(p.shortMs, t).errorRatio, threshold, p.op) && exceeds(at(p.longMs, t).errorRatio, threshold, p.op);
  };

  const alerts: AlertEvaluation[] = slo.alerting.alerts.map((a) => {
    const pairs: PairEvaluation[] = a.pairs.map((p) => {
      const s = at(p.shortMs, now);
      const l = at(p.longMs, now);
      return {
        name: p.name,
        shortWindow: prometheusDuration(p.shortMs),
        longWindow: prometheusDuration(p.longMs),
        factor: p.factor,
        threshold: p.factor * budget,
        shortBurnRate: s.burnRate,
        longBurnRate: l.burnRate,
        holds: pairHolds(p, now),
      };
    });
    const holdsAt = (t: number): boolean => a.pairs.some((p) => pairHolds(p, t));
    const holds = pairs.some((p) => p.holds);
    let held = holds;
    for (let back = MINUTE_MS; held && back <= a.forMs; back += MINUTE_MS) held = holdsAt(now - back);
    let best: { rel: number; burn: number } | null = null;
    for (const p of pairs) {
      if (p.shortBurnRate === null || p.longBurnRate === null) continue;
      const burn = Math.min(p.shortBurnRate, p.longBurnRate);
      const rel = burn / p.factor;
      if (!best || rel > best.rel) best = { rel, burn };
    }
    return {
      name: a.name,
      severity: a.severity,
      firing: held,
      pending: holds && !held,
      windows: pairs.filter((p) => p.holds).map((p) => `${p.shortWindow}/${p.longWindow}`),
      burnRate: best ? best.burn : null,
      pairs,
    };
  });

  const shortest = windows[0];
  const currentBurnRate = shortest ? shortest.burnRate : null;
  const consumed = sli.burnRate;
  const remaining = consumed === null ? null : 1 - consumed;
  let timeToExhaustionMs: number | null = null;
  if (remaining !== null) {
    if (remaining <= 0) timeToExhaustionMs = 0;
    else if (currentBurnRate !== null && currentBurnRate > 0) timeToExhaustionMs = (remaining * period.lengthMs) / currentBurnRate;
  }

  const last = view.lastEventMinute();
  const lastEventAt = last === null ? null : (last + 1) * MINUTE_MS;
  const since = Math.max(lastEventAt ?? -Infinity, options.expectDataSince ?? -Infinity);
  const silentForMs = Number.isFinite(since) ? Math.max(0, now - since) : null;
  const thresholdMs = slo.alerting.noDataForMs;

  return {
    slo: slo.name,
    at: new Date(now).toISOString(),
    objective: slo.objective,
    objectivePercent: slo.objectivePercent,
    errorBudget: budget,
    budgeting: slo.budgeting.method,
    period: {
      window: period.label,
      start: new Date(period.start).toISOString(),
      end: new Date(period.start + period.lengthMs).toISOString(),
      lengthMs: period.lengthMs,
    },
    sli,
    windows,
    budget: {
      remaining,
      consumed,
      timeToExhaustionMs,
      currentBurnRate,
      currentWindow: shortest ? shortest.window : period.label,
    },
    alerts,
    noData: {
      noData: sli.sli === null,
      lastEventAt: lastEventAt === null ? null : new Date(Math.min(lastEventAt, now)).toISOString(),
      silentForMs,
      thresholdMs,
      alerting: thresholdMs > 0 && silentForMs !== null && silentForMs >= thresholdMs,
    },
  };
}
