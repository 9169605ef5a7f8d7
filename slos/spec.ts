/**
 * The `SLO` kind (burnwatch/v1): wire schema (zod, strict) and its mapping to
 * the model (Sloth's two steps: load the versioned wire format, then
 * `toSlo` maps it to the pure model in `model.ts`).
 *
 * Budgeting methods follow OpenSLO v1 (occurrences, timeslices,
 * ratioTimeslices); burn-rate windows default to the SRE workbook set for the
 * SLO period (`google-30d`, `google-28d`, `google-7d`; other periods scale
 * google-30d's budget shares), or name a window-set file.
 *
 * @example
 * const spec = sloSpecSchema.parse({ probe: 'assignment', indicator: { latency: { thresholdMs: 100 } }, objective: 99.9 });
 * const slo = toSlo('assignment-latency', spec);
 * slo.alerting.alerts[0].pairs[0].factor // 14.4
 */
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { BurnwatchError, OUTCOMES, durationMs, labels, objectivePercent, positiveDurationMs, resourceName } from '../common/index.ts';
import { isTimeZone } from './calendar.ts';
import type { Alerting, Budgeting, Indicator, Slo, SloWindow } from './model.ts';
import { BUILTIN_WINDOW_SETS, defaultWindowSet, loadWindowSetFile, windowSet, windowSetAlerts } from './windows.ts';
import type { WindowSet } from './windows.ts';

const DAY_MS = 86_400_000;
const MONTH_NOMINAL_MS = 30 * DAY_MS;
const WEEK_MS = 7 * DAY_MS;

/** The objective as written (percent), validated by the shared `objectivePercent` rules. */
const objectiveSchema = z.union([z.number(), z.string()], { error: 'expected a percentage such as 99.9' }).transform((v, ctx) => {
  const r = objectivePercent.safeParse(v);
  if (!r.success) {
    for (const issue of r.error.issues) ctx.addIssue({ code: 'custom', message: issue.message });
    return z.NEVER;
  }
  return typeof v === 'number' ? v : Number(v.trim().replace(/%$/, ''));
});

/** A slice length: whole minutes that divide a day, so slices align to days and to calendar boundaries. */
export const sliceMs = positiveDurationMs.refine((ms) => ms % 60_000 === 0 && DAY_MS % ms === 0, {
  message: 'expected a timeslice of whole minutes that divides a day, e.g. 1m, 5m, 10m, 1h',
});

/**
 * The slice target a latency percentile stands for: p ≤ T ⟺ at least p % of the requests within T. Rounded to
 * 15 significant digits, the decimal the user wrote: 99.9 / 100 is 0.9990000000000001 in floats, above 999 / 1000,
 * which would make a slice with exactly 99.9 % within the threshold bad.
 *
 * @example
 * percentileTarget(99.9) // 0.999
 */
export function percentileTarget(percentile: number): number {
  return Number((percentile / 100).toPrecision(15));
}

const requestName = z.string().regex(/^[A-Za-z0-9_.-]+$/, { message: 'expected a request name of the probe' });

const latency = z.strictObject({
  thresholdMs: z.number({ error: 'expected a latency threshold in milliseconds' }).positive(),
  /** When set, a timeslice is good when this percentile of its latencies is within the threshold. */
  percentile: z.number().gt(0).lt(100).optional(),
  /** Which request of the probe counts; default all. */
  request: requestName.optional(),
});

const errorRate = z.strictObject({
  /** Outcome classes that count as bad (default: every class but ok). */
  badOutcomes: z
    .array(z.enum(OUTCOMES))
    .min(1)
    .refine((a) => !a.includes('ok'), { message: 'ok cannot be a bad outcome' })
    .optional(),
  /** HTTP statuses counted apart: neither good nor bad (e.g. [429] for rate-limited answers). */
  excludeStatus: z.array(z.number().int().min(100).max(599)).default([]),
  request: requestName.optional(),
});

/** A Prometheus counter selector: `name` or `name{label="value",...}`. */
export const counterSelector = z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^{}]*\})?$/, {
  message: 'expected a metric name with optional label matchers, e.g. cache_hits_total{cache="main"}',
});

const cacheHeader = z.strictObject({
  header: z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, { message: 'expected an HTTP header name' }).default('X-Cache'),
  hitValues: z.array(z.string().min(1)).min(1).default(['HIT']),
  request: requestName.optional(),
});

const cacheScrape = z.strictObject({
  scrape: z.url({ protocol: /^https?$/, error: 'expected an absolute http(s) URL of a Prometheus text endpoint' }),
  hits: counterSelector,
  total: counterSelector,
  interval: positiveDurationMs.default(15_000),
});

const cacheHit = z.union([cacheHeader, cacheScrape], {
  error: 'expected { header, hitValues } or { scrape: URL, hits: METRIC, total: METRIC }',
});

const uptime = z.strictObject({ request: requestName.optional() });

/** The four indicator schemas, also used inside OpenSLO `metricSource.spec` (type burnwatch). */
export const indicatorSchemas = { latency, errorRate, cacheHit, uptime };

export const indicatorSchema = z
  .strictObject({
    latency: latency.optional(),
    errorRate: errorRate.optional(),
    cacheHit: cacheHit.optional(),
    uptime: uptime.optional(),
  })
  .superRefine((v, ctx) => {
    const set = Object.entries(v)
      .filter(([, x]) => x !== undefined)
      .map(([k]) => k);
    if (set.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message:
          set.length === 0
            ? 'expected exactly one indicator: latency, errorRate, cacheHit or uptime'
            : `expected exactly one indicator, found ${set.join(' and ')}`,
      });
    }
  });

const calendarWindow = z.strictObject({
  calendar: z.enum(['week', 'month'], { error: 'expected calendar to be week or month' }),
  timeZone: z.string().default('UTC').refine(isTimeZone, { message: 'expected an IANA time zone such as UTC or Europe/Berlin' }),
});

const rollingWindow = positiveDurationMs.refine((ms) => ms % 60_000 === 0, { message: 'expected a window of whole minutes, e.g. 30d' });

const budgetingSchema = z.union(
  [
    z.enum(['occurrences', 'timeslices', 'ratioTimeslices']),
    z.strictObject({
      timeslices: z.strictObject({
        slice: sliceMs.default(60_000),
        /** Fraction of good events that makes a slice good (default 0.99; a latency percentile sets it). */
        target: z.number().gt(0).lte(1).optional(),
      }),
    }),
    z.strictObject({ ratioTimeslices: z.strictObject({ slice: sliceMs.default(60_000) }) }),
  ],
  { error: 'expected occurrences, timeslices, ratioTimeslices, { timeslices: { slice, target } } or { ratioTimeslices: { slice } }' },
);

const windowSetRef = z.string().refine((v) => (BUILTIN_WINDOW_SETS as readonly string[]).includes(v) || /\.ya?ml$/.test(v), {
  message: `expected a window set (${BUILTIN_WINDOW_SETS.join(', ')}) or the path of an AlertWindows YAML file`,
});

const alertingSchema = z.strictObject({
  notify: z.array(z.string()).default([]),
  /** Alert name in generated Prometheus rules (Sloth's alerting.name); default derived from the SLO name. */
  name: z
    .string()
    .regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, { message: 'expected an alert name like AssignmentLatencyBurnRate' })
    .optional(),
  /** A window set name (google-30d, google-28d, google-7d) or a path to a window-set YAML file; default by period. */
  windows: windowSetRef.optional(),
  /** Alert when the SLO has had no data for this long (0 = never). */
  noDataFor: durationMs.default(0),
  pageLabels: labels.default({}),
  ticketLabels: labels.default({}),
});

export const sloSpecSchema = z
  .strictObject({
    description: z.string().optional(),
    /** The service this SLO belongs to (Sloth's `service`); default the probe name. */
    service: resourceName.optional(),
    probe: z.string({ error: 'expected the name of a Probe' }),
    indicator: indicatorSchema,
    objective: objectiveSchema,
    window: z
      .union([rollingWindow, calendarWindow], { error: 'expected a rolling window such as 30d or { calendar: month, timeZone: UTC }' })
      .default(30 * DAY_MS),
    budgeting: budgetingSchema.default('occurrences'),
    /** Windows with fewer events than this are "no data", never a zero. */
    minEvents: z.number().int().nonnegative().default(1),
    alerting: alertingSchema.default({ notify: [], noDataFor: 0, pageLabels: {}, ticketLabels: {} }),
    labels: labels.default({}),
  })
  .superRefine((v, ctx) => {
    const method = typeof v.budgeting === 'string' ? v.budgeting : 'timeslices' in v.budgeting ? 'timeslices' : 'ratioTimeslices';
    const { latency: lat, uptime: up } = v.indicator;
    if ((up || lat?.percentile !== undefined) && method === 'ratioTimeslices') {
      ctx.addIssue({
        code: 'custom',
        path: ['budgeting'],
        message: up
          ? 'uptime counts good timeslices; use budgeting timeslices (or leave the default)'
          : 'a latency percentile makes each timeslice good or bad; use budgeting timeslices (or leave the default)',
      });
    }
    if (lat?.percentile !== undefined && typeof v.budgeting === 'object' && 'timeslices' in v.budgeting) {
      const target = v.budgeting.timeslices.target;
      const want = percentileTarget(lat.percentile);
      if (target !== undefined && target !== want) {
        ctx.addIssue({
          code: 'custom',
          path: ['budgeting', 'timeslices', 'target'],
          message: `a slice is good when its p${lat.percentile} is within the threshold, i.e. target ${want}; remove target or make it ${want}`,
        });
      }
    }
    if (typeof v.window === 'number' && v.alerting.windows && (BUILTIN_WINDOW_SETS as readonly string[]).includes(v.alerting.windows)) {
      const longest = longestWindow(windowSet(v.alerting.windows));
      if (v.window < longest) {
        ctx.addIssue({
          code: 'custom',
          path: ['window'],
          message: `the window must be at least as long as the longest alert window of ${v.alerting.windows} (${longest / 3_600_000}h)`,
        });
      }
    }
  });

export type SloSpec = z.output<typeof sloSpecSchema>;
export type { Slo } from './model.ts';

export function longestWindow(set: WindowSet): number {
  return Math.max(set.page.quick.longWindowMs, set.page.slow.longWindowMs, set.ticket.quick.longWindowMs, set.ticket.slow.longWindowMs);
}

/** `assignment-latency` → `AssignmentLatency`. */
export function pascal(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('')
    .replace(/^[0-9]/, (d) => `Slo${d}`);
}

/** The default Prometheus alert name of an SLO, e.g. `assignment-latency` → `AssignmentLatencyBurnRate`. */
export function defaultAlertName(sloName: string): string {
  return `${pascal(sloName)}BurnRate`;
}

/** Maps a validated indicator object (exactly one kind set) to the model. */
export function mapIndicator(i: SloSpec['indicator']): Indicator {
  if (i.latency) {
    return { kind: 'latency', thresholdMs: i.latency.thresholdMs, percentile: i.latency.percentile ?? null, request: i.latency.request ?? null };
  }
  if (i.errorRate) {
    return {
      kind: 'errorRate',
      badOutcomes: i.errorRate.badOutcomes ?? OUTCOMES.filter((o) => o !== 'ok'),
      excludeStatus: i.errorRate.excludeStatus,
      request: i.errorRate.request ?? null,
    };
  }
  if (i.cacheHit) {
    const c = i.cacheHit;
    if ('scrape' in c) return { kind: 'cacheHit', source: 'scrape', url: c.scrape, hits: c.hits, total: c.total, intervalMs: c.interval };
    return { kind: 'cacheHit', source: 'header', header: c.header.toLowerCase(), hitValues: c.hitValues, request: c.request ?? null };
  }
  if (i.uptime) return { kind: 'uptime', request: i.uptime.request ?? null };
  throw new BurnwatchError('SLO_SPEC', 'expected exactly one indicator');
}

/**
 * Budgeting for an indicator: uptime and latency percentiles are per
 * timeslice by definition, so `occurrences` (the default) becomes 1m slices.
 */
export function mapBudgeting(b: SloSpec['budgeting'], indicator: Indicator): Budgeting {
  const percentile = indicator.kind === 'latency' ? indicator.percentile : null;
  const perSlice = indicator.kind === 'uptime' || percentile !== null;
  const sliceRule = (target: number | undefined): Extract<Budgeting, { method: 'timeslices' }>['rule'] =>
    // uptime: a slice is up with one success, or with `target` of its checks when one is written.
    indicator.kind === 'uptime' && target === undefined ? { kind: 'anyGood' } : { kind: 'ratio', target: percentile !== null ? percentileTarget(percentile) : (target ?? 0.99) };
  if (b === 'occurrences') return perSlice ? { method: 'timeslices', sliceMs: 60_000, rule: sliceRule(undefined) } : { method: 'occurrences' };
  if (b === 'timeslices') return { method: 'timeslices', sliceMs: 60_000, rule: sliceRule(undefined) };
  if (b === 'ratioTimeslices') return { method: 'ratioTimeslices', sliceMs: 60_000 };
  if ('timeslices' in b) return { method: 'timeslices', sliceMs: b.timeslices.slice, rule: sliceRule(b.timeslices.target) };
  return { method: 'ratioTimeslices', sliceMs: b.ratioTimeslices.slice };
}

/** Nominal period of a window: its duration, or 7d / 30d for calendar weeks / months. */
export function nominalPeriodMs(w: SloWindow): number {
  if (w.kind === 'rolling') return w.durationMs;
  return w.unit === 'week' ? WEEK_MS : MONTH_NOMINAL_MS;
}

/**
 * Maps a validated `SLO` spec to the model. Window-set files named by a
 * relative path are read relative to `options.baseDir` (the config file's
 * directory; default the working directory). Throws a `BurnwatchError`
 * (`SLO_WINDOW_SET`) when such a file cannot be read or does not fit the SLO.
 */
export function toSlo(name: string, spec: SloSpec, options: { baseDir?: string } = {}): Slo {
  const indicator = mapIndicator(spec.indicator);
  const window: SloWindow =
    typeof spec.window === 'number'
      ? { kind: 'rolling', durationMs: spec.window }
      : { kind: 'calendar', unit: spec.window.calendar, timeZone: spec.window.timeZone, anchor: { day: 1, hour: 0, minute: 0 } };
  const periodMs = nominalPeriodMs(window);
  let set: WindowSet;
  const ref = spec.alerting.windows;
  if (ref === undefined) set = defaultWindowSet(periodMs);
  else if ((BUILTIN_WINDOW_SETS as readonly string[]).includes(ref)) set = windowSet(ref);
  else set = loadWindowSetFile(isAbsolute(ref) ? ref : resolve(options.baseDir ?? process.cwd(), ref));
  const longest = longestWindow(set);
  if (longest > periodMs) {
    throw new BurnwatchError(
      'SLO_WINDOW_SET',
      `SLO ${name}: the longest alert window of ${set.name} (${longest / 3_600_000}h) is longer than the SLO period (${periodMs / 3_600_000}h)`,
    );
  }
  const budgeting = mapBudgeting(spec.budgeting, indicator);
  if (budgeting.method !== 'occurrences') {
    // Windows count whole slices only: a slice longer than the shortest alert window leaves that window
    // empty most of the time, and the fast page would fire only just after slice boundaries.
    const shortest = Math.min(set.page.quick.shortWindowMs, set.page.slow.shortWindowMs, set.ticket.quick.shortWindowMs, set.ticket.slow.shortWindowMs);
    if (budgeting.sliceMs > shortest) {
      throw new BurnwatchError(
        'SLO_SLICE_TOO_LONG',
        `SLO ${name}: the timeslice (${budgeting.sliceMs / 60_000}m) is longer than the shortest alert window of ${set.name} (${shortest / 60_000}m), which would hold no whole slice most of the time; use a slice of at most ${shortest / 60_000}m`,
      );
    }
  }
  const service = spec.service ?? spec.probe;
  const alertName = spec.alerting.name ?? defaultAlertName(name);
  const alerting: Alerting = {
    notify: spec.alerting.notify,
    name: alertName,
    noDataAlertName: `${pascal(name)}NoData`,
    windowSet: set.name,
    alerts: windowSetAlerts(set, periodMs, alertName, { page: spec.alerting.pageLabels, ticket: spec.alerting.ticketLabels }),
    noDataForMs: spec.alerting.noDataFor,
    notifyResolved: true,
  };
  return {
    name,
    id: `${service}-${name}`,
    service,
    description: spec.description ?? null,
    probe: spec.probe,
    indicator,
    objectivePercent: spec.objective,
    objective: spec.objective / 100,
    window,
    periodMs,
    budgeting,
    minEvents: spec.minEvents,
    alerting,
    labels: spec.labels,
    spec: 'burnwatch/v1',
  };
}
