/**
 * The SLO model: what the rest of burnwatch sees once a config document (the
 * `SLO` kind or OpenSLO v1) has been validated and mapped. Plain data, no
 * serialisation or I/O (Sloth's `pkg/common/model` habit); every duration is
 * in milliseconds and every objective both as the percentage the user wrote
 * and as a ratio.
 */
import type { Outcome } from '../common/index.ts';

/** What counts as a good event, per indicator kind. */
export type Indicator =
  | {
      kind: 'latency';
      /** A request is good when it finished within this many ms (latency measured from the scheduled start). */
      thresholdMs: number;
      /** When set, a timeslice is good when this percentile is within the threshold (budgeting is then timeslices). */
      percentile: number | null;
      /** Only this request of the probe counts; null = every request. */
      request: string | null;
    }
  | {
      kind: 'errorRate';
      /** Outcome classes that are bad; `ok` is good; any other class is neither (not counted). */
      badOutcomes: Outcome[];
      /** HTTP statuses counted apart: taken out of the bad events (e.g. 429). */
      excludeStatus: number[];
      request: string | null;
    }
  | {
      kind: 'cacheHit';
      source: 'header';
      /** Lower-case response header name, e.g. `x-cache`. */
      header: string;
      /** Header values (compared case-insensitively) that are hits; any other value is a miss; no header = not a lookup. */
      hitValues: string[];
      request: string | null;
    }
  | {
      kind: 'cacheHit';
      source: 'scrape';
      /** Prometheus text endpoint of the target. */
      url: string;
      /** Counter selectors (`name` or `name{label="v"}`) summed over matching series. */
      hits: string;
      total: string;
      intervalMs: number;
    }
  | {
      /** Grafana synthetic monitoring's uptime: a timeslice is up when at least one request succeeded in it. */
      kind: 'uptime';
      request: string | null;
    };

export type IndicatorKind = Indicator['kind'];

/** The SLO (compliance) window. */
export type SloWindow =
  | { kind: 'rolling'; durationMs: number }
  | {
      kind: 'calendar';
      unit: 'week' | 'month';
      /** IANA time zone the calendar is read in. */
      timeZone: string;
      /**
       * Where a period starts, in the time zone: day 1 (month) or Monday (week, ISO day 1) at 00:00 by default;
       * OpenSLO's `calendar.startTime` can move it.
       */
      anchor: { day: number; hour: number; minute: number };
    };

/** How good timeslices are told apart. */
export type SliceRule =
  /** The slice's good/total ratio must be at least `target` (a latency percentile maps to this: p99 ≤ T ⟺ ≥ 99 % within T). */
  | { kind: 'ratio'; target: number }
  /** At least one good event in the slice (uptime). */
  | { kind: 'anyGood' };

/** OpenSLO's three budgeting methods. Slices are aligned to the Unix epoch and divide a day. */
export type Budgeting =
  | { method: 'occurrences' }
  | { method: 'timeslices'; sliceMs: number; rule: SliceRule }
  | { method: 'ratioTimeslices'; sliceMs: number };

/** One long/short window pair of a multiwindow, multi-burn-rate alert. */
export interface BurnWindowPair {
  /** `quick` / `slow` for window sets, the AlertCondition name for OpenSLO. */
  name: string;
  shortMs: number;
  longMs: number;
  /** Burn-rate factor: the pair holds when both windows' error ratio exceed factor × (1 − objective). */
  factor: number;
  /** `gt` (Sloth, the workbook) or `gte` (OpenSLO `op: gte`). */
  op: 'gt' | 'gte';
  /** Share of the period's budget this pair consumes before it fires (window-set pairs), null when given as a factor. */
  budgetPercent: number | null;
}

export type Severity = 'page' | 'ticket';

/** An alert: fires when any of its pairs holds, for at least `forMs`. */
export interface AlertRule {
  /** `page` / `ticket` for window sets, the AlertPolicy (and severity) for OpenSLO. */
  name: string;
  /** Prometheus alert name in generated rules (window sets: Sloth's one name for page and ticket, told apart by `sloth_severity`). */
  alertName: string;
  severity: Severity;
  pairs: BurnWindowPair[];
  forMs: number;
  labels: Record<string, string>;
}

export interface Alerting {
  /** Notifier names that receive this SLO's alerts. */
  notify: string[];
  /** Alert name used in generated Prometheus rules (Sloth's `alerting.name`). */
  name: string;
  /** Alert name of the no-data alert in generated rules. */
  noDataAlertName: string;
  /** Where the burn-rate windows came from: a window-set name, a file, or `openslo`. */
  windowSet: string;
  alerts: AlertRule[];
  /** Alert when the SLO has had no events for this long; 0 = never. */
  noDataForMs: number;
  /** Notify when an alert resolves (OpenSLO `alertWhenResolved`); burnwatch SLOs do. */
  notifyResolved: boolean;
}

/** An SLO as the rest of burnwatch sees it. */
export interface Slo {
  name: string;
  /** Sloth's `sloth_id`: `<service>-<name>`. */
  id: string;
  service: string;
  description: string | null;
  probe: string;
  indicator: Indicator;
  /** The objective as written, in percent (99.9); Sloth computes every ratio from this. */
  objectivePercent: number;
  /** objectivePercent / 100. */
  objective: number;
  window: SloWindow;
  /** Nominal period length used for burn-rate factors and `slo:time_period:days`: the rolling duration, 7d for a calendar week, 30d for a month. */
  periodMs: number;
  budgeting: Budgeting;
  /** Windows with fewer events than this are "no data". */
  minEvents: number;
  alerting: Alerting;
  labels: Record<string, string>;
  /** The spec it came from (`sloth_spec` label): `burnwatch/v1` or `openslo/v1`. */
  spec: 'burnwatch/v1' | 'openslo/v1';
}

/** The error budget ratio the way Sloth computes it for alerts: (100 − objective%) / 100. */
export function errorBudgetRatio(slo: Pick<Slo, 'objectivePercent'>): number {
  return (100 - slo.objectivePercent) / 100;
}
