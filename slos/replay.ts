/**
 * Alert backtesting: replays a recorded SLI series (`timestamp,good,total`
 * CSV) through the service's own store and evaluator — no second copy of the
 * maths — minute by minute, and reports every alert transition and the
 * budget at the end. Users tune their alert windows on their own history.
 *
 * Rows are attributed to the minute their timestamp falls in (any step:
 * several rows in a minute add up; a row every 5 minutes leaves the minutes
 * between empty). The SLO is evaluated at every minute boundary from the
 * first row's minute to the end of the last row's minute.
 */
import { evaluateSlo } from './evaluate.ts';
import type { Severity, Slo } from './model.ts';
import { MINUTE_MS } from './sli-index.ts';
import { createMemoryStore } from './store.ts';

export interface SliRow {
  /** Epoch ms. */
  at: number;
  good: number;
  total: number;
}

export interface CsvProblem {
  line: number;
  message: string;
}

/** One alert transition (one JSON line of `burnwatch replay`). */
export interface ReplayTransition {
  at: string;
  alert: string;
  severity: Severity;
  state: 'firing' | 'resolved';
  /** The burn rate behind the decision (largest min(short, long) relative to its factor). */
  burnRate: number | null;
}

/** The last line of `burnwatch replay`: the budget when the data ends. */
export interface ReplayBudget {
  at: string;
  budget: {
    window: string;
    sli: number | null;
    remaining: number | null;
    consumed: number | null;
    timeToExhaustionMs: number | null;
  };
  /** Alerts still firing at the end. */
  firing: string[];
}

const ISO = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

function parseTimestamp(text: string): number | string {
  if (/^\d+(\.\d+)?$/.test(text)) {
    const s = Number(text);
    if (s > 1e11) return `timestamp ${text} looks like milliseconds; expected Unix seconds or ISO 8601`;
    return Math.round(s * 1000);
  }
  if (!ISO.test(text)) return `timestamp "${text}" is neither ISO 8601 (2025-01-31T12:00:00Z) nor Unix seconds`;
  const ms = Date.parse(/[zZ]|[+-]\d{2}:?\d{2}$/.test(text) || text.length === 10 ? text : `${text}Z`);
  // Date.parse takes any day up to 31 in any month (30 February is 2 March): the day must exist.
  const [y, m, d] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
  const day = new Date(Date.UTC(y, m - 1, d));
  if (Number.isNaN(ms) || day.getUTCMonth() !== m - 1 || day.getUTCDate() !== d) return `timestamp "${text}" is not a valid date`;
  return ms;
}

/**
 * Parses a `timestamp,good,total` CSV (header required; ISO 8601 timestamps
 * without a zone are UTC). Rows come back sorted by time.
 *
 * @example
 * parseSliCsv('timestamp,good,total\n2025-01-01T00:00:00Z,999,1000\n').rows // [{ at: 1735689600000, good: 999, total: 1000 }]
 */
export function parseSliCsv(text: string): { rows: SliRow[]; problems: CsvProblem[] } {
  const rows: SliRow[] = [];
  const problems: CsvProblem[] = [];
  const lines = text.split(/\r?\n/);
  let header = false;
  lines.forEach((raw, i) => {
    const line = raw.trim();
    const n = i + 1;
    if (line === '' || line.startsWith('#')) return;
    const cells = line.split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
    if (!header) {
      if (cells.join(',').toLowerCase() !== 'timestamp,good,total') {
        problems.push({ line: n, message: `expected the header "timestamp,good,total", found "${line}"` });
      }
      header = true;
      return;
    }
    if (cells.length !== 3) {
      problems.push({ line: n, message: `expected 3 columns (timestamp,good,total), found ${cells.length}` });
      return;
    }
    const at = parseTimestamp(cells[0]!);
    if (typeof at === 'string') {
      problems.push({ line: n, message: at });
      return;
    }
    const good = Number(cells[1]);
    const total = Number(cells[2]);
    if (cells[1] === '' || !Number.isFinite(good) || good < 0) {
      problems.push({ line: n, message: `good must be a number of events ≥ 0, found "${cells[1]}"` });
      return;
    }
    if (cells[2] === '' || !Number.isFinite(total) || total < 0) {
      problems.push({ line: n, message: `total must be a number of events ≥ 0, found "${cells[2]}"` });
      return;
    }
    if (good > total) {
      problems.push({ line: n, message: `good (${good}) is more than total (${total})` });
      return;
    }
    rows.push({ at, good, total });
  });
  if (!header) problems.push({ line: 1, message: 'empty file; expected the header "timestamp,good,total" and rows' });
  else if (rows.length === 0 && problems.length === 0) problems.push({ line: lines.length, message: 'no rows after the header' });
  rows.sort((a, b) => a.at - b.at);
  return { rows, problems };
}

/**
 * Replays rows for an SLO: alert transitions in time order and the budget
 * at the end.
 *
 * @example
 * const { transitions, budget } = replay(slo, parseSliCsv(text).rows);
 */
export function replay(slo: Slo, rows: readonly SliRow[]): { transitions: ReplayTransition[]; end: ReplayBudget } {
  const store = createMemoryStore();
  // The store adds deltas of one minute together: rows at any step become minute buckets.
  store.append(
    slo.name,
    rows.map((r) => ({ minute: r.at, good: r.good, total: r.total })),
  );
  const view = store.view(slo);
  const transitions: ReplayTransition[] = [];
  const state = new Map<string, boolean>();
  if (rows.length === 0) {
    return { transitions, end: { at: new Date(0).toISOString(), budget: { window: '', sli: null, remaining: null, consumed: null, timeToExhaustionMs: null }, firing: [] } };
  }
  const first = Math.floor(rows[0]!.at / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
  const last = Math.floor(rows[rows.length - 1]!.at / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
  let evaluation = evaluateSlo(slo, view, first);
  for (let t = first; t <= last; t += MINUTE_MS) {
    evaluation = evaluateSlo(slo, view, t);
    for (const a of evaluation.alerts) {
      const was = state.get(a.name) ?? false;
      if (a.firing !== was) {
        transitions.push({ at: evaluation.at, alert: a.name, severity: a.severity, state: a.firing ? 'firing' : 'resolved', burnRate: a.burnRate });
        state.set(a.name, a.firing);
      }
    }
  }
  return {
    transitions,
    end: {
      at: evaluation.at,
      budget: {
        window: evaluation.sli.window,
        sli: evaluation.sli.sli,
        remaining: evaluation.budget.remaining,
        consumed: evaluation.budget.consumed,
        timeToExhaustionMs: evaluation.budget.timeToExhaustionMs,
      },
      firing: evaluation.alerts.filter((a) => a.firing).map((a) => a.name),
    },
  };
}
