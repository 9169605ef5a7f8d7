/**
 * OpenSLO v1 (https://github.com/OpenSLO/OpenSLO, `openslo/v1`): SLO, SLI,
 * AlertPolicy, AlertCondition, AlertNotificationTarget, Service (and
 * DataSource, for `metricSourceRef`) documents, inline or by reference,
 * mapped to the burnwatch model. What cannot be mapped is a problem with the
 * document, the key path inside its `spec` and a sentence.
 *
 * How OpenSLO maps onto burnwatch:
 * - SLIs read burnwatch's own probe results: `metricSource.type: burnwatch`
 *   (or a `metricSourceRef` to a DataSource of that type), and the source
 *   `spec` names the probe:
 *   - `ratioMetric`: `good` (or `bad`) `spec: { probe, request?, <indicator> }`
 *     with exactly one burnwatch indicator (`latency: { thresholdMs }`,
 *     `errorRate: {}`, `cacheHit: {…}`, `uptime: {}`), `total`
 *     `spec: { probe, request? }` on the same probe; `raw` is not supported;
 *   - `thresholdMetric`: `spec: { probe, request?, metric: latency, percentile? }`
 *     with the objective's `op: lt | lte` and `value` in milliseconds.
 * - `timeWindow`: rolling `duration` (m, h, d, w) or a calendar `1M` / `1w`
 *   (`calendar.startTime` sets the day and time periods start at).
 * - Budgeting methods map one to one; `timeSliceWindow` is a number of minutes
 *   or a duration, whole minutes dividing a day.
 * - Several objectives make several SLOs, `<name>-<index>` (Sloth's naming).
 * - AlertPolicy conditions (several allowed, unlike OpenSLO v1's one) are
 *   burn-rate conditions: `threshold` is the burn-rate factor over
 *   `lookbackWindow` (the long window) and a short window of 1/12 of it, the
 *   workbook's ratio (1h → 5m, 6h → 30m, 1d → 2h, 3d → 6h); `severity` is
 *   page or ticket; `alertAfter` delays firing. Notification targets name
 *   burnwatch Notifiers (by the target's name or its `target`).
 * - An SLO without alert policies gets the default window set for its period.
 */
import { z } from 'zod';
import { durationProblem, parseDuration } from '../common/index.ts';
import { isTimeZone } from './calendar.ts';
import type { AlertRule, Alerting, Budgeting, Indicator, Severity, Slo, SloWindow } from './model.ts';
import { defaultAlertName, indicatorSchemas, longestWindow, mapBudgeting, mapIndicator, nominalPeriodMs, pascal, percentileTarget } from './spec.ts';
import { defaultWindowSet, windowSetAlerts } from './windows.ts';

export interface OpenSloDocument {
  kind: string;
  name: string;
  spec: unknown;
  file: string;
  index: number;
}

export interface OpenSloProblem {
  /** Position of the document in the input array. */
  doc: number;
  /** Key path inside that document's `spec`. */
  path: (string | number)[];
  message: string;
}

type Path = (string | number)[];

const KINDS = ['SLO', 'SLI', 'AlertPolicy', 'AlertCondition', 'AlertNotificationTarget', 'Service', 'DataSource'] as const;
const DAY_MS = 86_400_000;

// ---------------------------------------------------------------------------
// Wire schemas (strict: unknown keys are errors; `metricSource.spec` is free-form by the spec).

const shorthand = z.string({ error: 'expected a duration such as 5m, 1h, 28d, 4w or 1M' }).regex(/^(?:0|[1-9][0-9]*)[mhdwMQY]$/, {
  message: 'expected a duration shorthand: a whole number and one of m, h, d, w, M, Q, Y (e.g. 5m, 1h, 28d, 1M)',
});

const metadata = z.strictObject({
  name: z.string().min(1),
  displayName: z.string().optional(),
  labels: z.record(z.string(), z.union([z.string(), z.array(z.string())])).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

const metricSource = z.strictObject({
  metricSourceRef: z.string().optional(),
  type: z.string().optional(),
  spec: z.record(z.string(), z.unknown()).default({}),
});
const metric = z.strictObject({ metricSource });

const sliSpec = z.strictObject({
  description: z.string().max(1050).optional(),
  thresholdMetric: metric.optional(),
  ratioMetric: z
    .strictObject({
      counter: z.boolean().optional(),
      good: metric.optional(),
      bad: metric.optional(),
      total: metric.optional(),
      rawType: z.enum(['success', 'failure']).optional(),
      raw: metric.optional(),
    })
    .optional(),
});

const objective = z.strictObject({
  displayName: z.string().optional(),
  op: z.enum(['lte', 'gte', 'lt', 'gt']).optional(),
  value: z.number().optional(),
  target: z.number().gt(0, { message: 'expected a target above 0 and below 1' }).lt(1, { message: 'expected a target above 0 and below 1' }).optional(),
  targetPercent: z.number().gt(0, { message: 'expected a percentage above 0 and below 100' }).lt(100, { message: 'expected a percentage above 0 and below 100' }).optional(),
  timeSliceTarget: z.number().gt(0).lte(1).optional(),
  timeSliceWindow: z.union([z.number().int().positive(), shorthand]).optional(),
});

const timeWindow = z.strictObject({
  duration: shorthand,
  isRolling: z.boolean().optional(),
  calendar: z
    .strictObject({
      startTime: z.string().regex(/^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?$/, { message: 'expected a start time like 2024-01-01 00:00:00' }),
      timeZone: z.string().refine(isTimeZone, { message: 'expected an IANA time zone such as UTC or America/New_York' }),
    })
    .optional(),
});

const conditionSpec = z.strictObject({
  description: z.string().max(1050).optional(),
  severity: z.string({ error: 'expected a severity: page or ticket' }),
  condition: z.strictObject({
    kind: z.literal('burnrate', { error: 'expected condition kind burnrate' }).default('burnrate'),
    op: z.enum(['lte', 'gte', 'lt', 'gt']).optional(),
    threshold: z.number({ error: 'expected a burn-rate threshold such as 14.4' }).positive(),
    lookbackWindow: shorthand,
    alertAfter: shorthand.optional(),
  }),
});

const targetSpec = z.strictObject({ target: z.string().min(1), description: z.string().max(1050).optional() });

const policySpec = z.strictObject({
  description: z.string().max(1050).optional(),
  alertWhenNoData: z.boolean().optional(),
  alertWhenResolved: z.boolean().optional(),
  alertWhenBreaching: z.boolean().optional(),
  conditions: z.array(z.unknown()).min(1, { message: 'expected at least one condition' }),
  notificationTargets: z.array(z.unknown()).default([]),
});

const sloSpec = z.strictObject({
  description: z.string().max(1050).optional(),
  service: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,126}$/, { message: 'expected a service name of lower-case letters, digits, "-", "_" or "."' }).optional(),
  indicator: z.unknown().optional(),
  indicatorRef: z.string().optional(),
  timeWindow: z.array(timeWindow).length(1, { message: 'expected exactly one time window' }).optional(),
  budgetingMethod: z.enum(['Occurrences', 'Timeslices', 'RatioTimeslices'], { error: 'expected budgetingMethod Occurrences, Timeslices or RatioTimeslices' }),
  objectives: z.array(objective).min(1, { message: 'expected at least one objective' }),
  alertPolicies: z.array(z.unknown()).default([]),
});

const dataSourceSpec = z.strictObject({
  description: z.string().max(1050).optional(),
  type: z.string(),
  connectionDetails: z.unknown().optional(),
});

const serviceSpec = z.strictObject({ description: z.string().max(1050).optional() });

const requestName = z.string().regex(/^[A-Za-z0-9_.-]+$/, { message: 'expected a request name of the probe' });

const totalSource = z.strictObject({ probe: z.string({ error: 'expected the name of a burnwatch Probe' }), request: requestName.optional() });

const goodSource = z
  .strictObject({
    probe: z.string({ error: 'expected the name of a burnwatch Probe' }),
    request: requestName.optional(),
    latency: indicatorSchemas.latency.optional(),
    errorRate: indicatorSchemas.errorRate.optional(),
    cacheHit: indicatorSchemas.cacheHit.optional(),
    uptime: indicatorSchemas.uptime.optional(),
  })
  .superRefine((v, ctx) => {
    const set = (['latency', 'errorRate', 'cacheHit', 'uptime'] as const).filter((k) => v[k] !== undefined);
    if (set.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message:
          set.length === 0
            ? 'expected exactly one burnwatch indicator: latency, errorRate, cacheHit or uptime'
            : `expected exactly one burnwatch indicator, found ${set.join(' and ')}`,
      });
    }
  });

const thresholdSource = z.strictObject({
  probe: z.string({ error: 'expected the name of a burnwatch Probe' }),
  request: requestName.optional(),
  metric: z.literal('latency', { error: 'expected metric: latency (the only threshold metric burnwatch measures)' }),
  percentile: z.number().gt(0).lt(100).optional(),
});

// ---------------------------------------------------------------------------

class Problems {
  readonly list: OpenSloProblem[] = [];
  add(doc: number, path: Path, message: string): void {
    this.list.push({ doc, path, message });
  }
  /** Parses with a schema; zod issues become problems under `path`. */
  parse<T>(schema: z.ZodType<T>, value: unknown, doc: number, path: Path): T | null {
    const r = schema.safeParse(value);
    if (r.success) return r.data;
    for (const issue of r.error.issues) {
      const p = issue.path.filter((k): k is string | number => typeof k === 'string' || typeof k === 'number');
      this.add(doc, [...path, ...p], issue.message);
    }
    return null;
  }
}

interface Located<T> {
  doc: number;
  /** Path of this object inside its document's spec ([] for a top-level document). */
  path: Path;
  name: string;
  spec: T;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** m, h, d, w shorthands in ms; null for calendar units (M, Q, Y). */
function fixedMs(s: string): number | null {
  const unit = s.slice(-1);
  if (unit === 'M' || unit === 'Q' || unit === 'Y') return null;
  const problem = durationProblem(s);
  return problem ? null : parseDuration(s);
}

function sliceFrom(v: number | string, problems: Problems, doc: number, path: Path): number | null {
  const ms = typeof v === 'number' ? v * 60_000 : fixedMs(v);
  if (ms === null || ms <= 0 || ms % 60_000 !== 0 || DAY_MS % ms !== 0) {
    problems.add(doc, path, `expected a timeslice of whole minutes that divides a day (e.g. 1, 5, 1m, 10m, 1h), found ${JSON.stringify(v)}`);
    return null;
  }
  return ms;
}

/**
 * Resolves the OpenSLO documents of a config into SLOs.
 *
 * @example
 * const { slos, problems } = resolveOpenSlo(docs, { probes: ['checkout'], notifiers: ['oncall'] });
 */
export function resolveOpenSlo(
  docs: readonly OpenSloDocument[],
  known: {
    probes: readonly string[];
    notifiers: readonly string[];
    /** The request names of each probe, when known: an SLI naming another request is a problem. */
    requests?: ReadonlyMap<string, readonly string[]>;
  },
): { slos: Slo[]; problems: OpenSloProblem[] } {
  const problems = new Problems();
  const byKind = new Map<string, Map<string, Located<unknown>>>();
  docs.forEach((d, i) => {
    if (!(KINDS as readonly string[]).includes(d.kind)) {
      problems.add(i, [], `kind ${d.kind} is not an OpenSLO v1 kind burnwatch reads; expected one of ${KINDS.join(', ')}`);
      return;
    }
    let m = byKind.get(d.kind);
    if (!m) {
      m = new Map();
      byKind.set(d.kind, m);
    }
    if (m.has(d.name)) {
      const first = m.get(d.name)!;
      problems.add(i, [], `a ${d.kind} named ${d.name} is already defined (${docs[first.doc]?.file ?? 'earlier'})`);
      return;
    }
    m.set(d.name, { doc: i, path: [], name: d.name, spec: d.spec });
  });
  const named = (kind: string): Map<string, Located<unknown>> => byKind.get(kind) ?? new Map<string, Located<unknown>>();

  // Validate the referenced kinds once, up front.
  const sliDocs = new Map<string, Located<z.output<typeof sliSpec>>>();
  for (const [name, d] of named('SLI')) {
    const spec = problems.parse(sliSpec, d.spec, d.doc, []);
    if (spec) sliDocs.set(name, { ...d, spec });
  }
  const dataSources = new Map<string, z.output<typeof dataSourceSpec>>();
  for (const [name, d] of named('DataSource')) {
    const spec = problems.parse(dataSourceSpec, d.spec, d.doc, []);
    if (spec) dataSources.set(name, spec);
  }
  const conditionDocs = new Map<string, Located<z.output<typeof conditionSpec>>>();
  for (const [name, d] of named('AlertCondition')) {
    const spec = problems.parse(conditionSpec, d.spec, d.doc, []);
    if (spec) conditionDocs.set(name, { ...d, spec });
  }
  const targetDocs = new Map<string, Located<z.output<typeof targetSpec>>>();
  for (const [name, d] of named('AlertNotificationTarget')) {
    const spec = problems.parse(targetSpec, d.spec, d.doc, []);
    if (spec) targetDocs.set(name, { ...d, spec });
  }
  const policyDocs = new Map<string, Located<z.output<typeof policySpec>>>();
  for (const [name, d] of named('AlertPolicy')) {
    const spec = problems.parse(policySpec, d.spec, d.doc, []);
    if (spec) policyDocs.set(name, { ...d, spec });
  }
  const services = named('Service');
  for (const d of services.values()) problems.parse(serviceSpec, d.spec, d.doc, []);

  // Problems found through an SLI or policy used by several SLOs are reported once.
  const reported = new Set<string>();
  const once = (doc: number, path: Path, message: string): void => {
    const key = `${doc}|${path.join('.')}|${message}`;
    if (reported.has(key)) return;
    reported.add(key);
    problems.add(doc, path, message);
  };

  const sourceSpec = (m: z.output<typeof metric>, doc: number, path: Path): Record<string, unknown> | null => {
    const src = m.metricSource;
    let type = src.type;
    if (src.metricSourceRef !== undefined) {
      const ds = dataSources.get(src.metricSourceRef);
      if (!ds) {
        once(doc, [...path, 'metricSource', 'metricSourceRef'], `no DataSource named ${src.metricSourceRef}`);
        return null;
      }
      type ??= ds.type;
    }
    if (type === undefined || type.toLowerCase() !== 'burnwatch') {
      once(
        doc,
        [...path, 'metricSource', 'type'],
        `burnwatch measures SLIs from its own probe results; expected metricSource type "burnwatch", found ${type === undefined ? 'none' : `"${type}"`}`,
      );
      return null;
    }
    return src.spec;
  };

  const checkProbe = (probe: string, doc: number, path: Path): boolean => {
    if (known.probes.includes(probe)) return true;
    once(doc, path, `no Probe named ${probe}${known.probes.length ? `; probes: ${known.probes.join(', ')}` : ''}`);
    return false;
  };

  const checkRequest = (probe: string, request: string | null | undefined, doc: number, path: Path): boolean => {
    const names = known.requests?.get(probe);
    if (request === null || request === undefined || names === undefined || names.includes(request)) return true;
    once(doc, path, `probe "${probe}" has no request "${request}"; its requests: ${names.length ? names.map((n) => `"${n}"`).join(', ') : 'none defined'}`);
    return false;
  };

  /** The SLI of an SLO: indicator, probe and whether it is a latency threshold metric. */
  type MappedSli = { probe: string; indicator: Indicator; threshold: z.output<typeof thresholdSource> | null; doc: number; path: Path };
  const mapSli = (sli: Located<z.output<typeof sliSpec>>): MappedSli | null => {
    const { doc, path, spec } = sli;
    if (spec.thresholdMetric && spec.ratioMetric) {
      once(doc, path, 'expected either thresholdMetric or ratioMetric, not both');
      return null;
    }
    if (spec.thresholdMetric) {
      const mp = [...path, 'thresholdMetric'];
      const raw = sourceSpec(spec.thresholdMetric, doc, mp);
      if (!raw) return null;
      const t = problems.parse(thresholdSource, raw, doc, [...mp, 'metricSource', 'spec']);
      if (!t || !checkProbe(t.probe, doc, [...mp, 'metricSource', 'spec', 'probe'])) return null;
      if (!checkRequest(t.probe, t.request, doc, [...mp, 'metricSource', 'spec', 'request'])) return null;
      return {
        probe: t.probe,
        indicator: { kind: 'latency', thresholdMs: 0, percentile: t.percentile ?? null, request: t.request ?? null },
        threshold: t,
        doc,
        path,
      };
    }
    const r = spec.ratioMetric;
    if (!r) {
      once(doc, path, 'expected thresholdMetric or ratioMetric');
      return null;
    }
    const rp = [...path, 'ratioMetric'];
    if (r.raw || r.rawType) {
      once(doc, [...rp, r.raw ? 'raw' : 'rawType'], 'burnwatch counts good and total events itself; use good (or bad) and total instead of raw');
      return null;
    }
    if ((r.good && r.bad) || (!r.good && !r.bad)) {
      once(doc, rp, r.good ? 'expected good or bad, not both' : 'expected good or bad, with total');
      return null;
    }
    if (!r.total) {
      once(doc, rp, 'expected total beside good (or bad)');
      return null;
    }
    const key = r.good ? 'good' : 'bad';
    const gp = [...rp, key];
    const tp = [...rp, 'total'];
    const gRaw = sourceSpec((r.good ?? r.bad)!, doc, gp);
    const tRaw = sourceSpec(r.total, doc, tp);
    if (!gRaw || !tRaw) return null;
    const g = problems.parse(goodSource, gRaw, doc, [...gp, 'metricSource', 'spec']);
    const t = problems.parse(totalSource, tRaw, doc, [...tp, 'metricSource', 'spec']);
    if (!g || !t) return null;
    if (!checkProbe(g.probe, doc, [...gp, 'metricSource', 'spec', 'probe'])) return null;
    if (t.probe !== g.probe || (t.request ?? null) !== (g.request ?? null)) {
      once(doc, [...tp, 'metricSource', 'spec'], `total must count the same probe and request as ${key} (${g.probe}${g.request ? `/${g.request}` : ''})`);
      return null;
    }
    const { probe: _probe, request, ...indicatorKeys } = g;
    const indicator = mapIndicator(indicatorKeys);
    if (request !== undefined && 'request' in indicator) {
      if (indicator.request !== null && indicator.request !== request) {
        once(doc, [...gp, 'metricSource', 'spec', 'request'], `request ${request} conflicts with the indicator's request ${indicator.request}`);
        return null;
      }
      indicator.request = request;
    }
    if ('request' in indicator) {
      const at = request !== undefined ? ['request'] : [indicator.kind, 'request'];
      if (!checkRequest(g.probe, indicator.request, doc, [...gp, 'metricSource', 'spec', ...at])) return null;
    }
    return { probe: g.probe, indicator, threshold: null, doc, path };
  };

  const mappedSlis = new Map<string, MappedSli | null>();
  const sliByName = (name: string): MappedSli | null | undefined => {
    if (!mappedSlis.has(name)) {
      const d = sliDocs.get(name);
      mappedSlis.set(name, d ? mapSli(d) : null);
    }
    return sliDocs.has(name) || named('SLI').has(name) ? mappedSlis.get(name) : undefined;
  };

  const windowOf = (tw: z.output<typeof timeWindow> | undefined, doc: number, path: Path): SloWindow | null => {
    if (!tw) return { kind: 'rolling', durationMs: 30 * DAY_MS };
    const rolling = tw.isRolling ?? tw.calendar === undefined;
    if (rolling) {
      if (tw.calendar) {
        problems.add(doc, [...path, 'isRolling'], 'a rolling window has no calendar; set isRolling: false or remove calendar');
        return null;
      }
      const ms = fixedMs(tw.duration);
      if (ms === 0) {
        problems.add(doc, [...path, 'duration'], 'expected a window longer than zero');
        return null;
      }
      if (ms === null) {
        problems.add(doc, [...path, 'duration'], `a rolling window needs a fixed length (m, h, d or w); ${tw.duration} is a calendar length: use e.g. 30d, or a calendar window`);
        return null;
      }
      return { kind: 'rolling', durationMs: ms };
    }
    if (!tw.calendar) {
      problems.add(doc, [...path, 'calendar'], 'a calendar window (isRolling: false) needs calendar { startTime, timeZone }');
      return null;
    }
    const unit = tw.duration === '1M' ? 'month' : tw.duration === '1w' || tw.duration === '7d' ? 'week' : null;
    if (!unit) {
      problems.add(doc, [...path, 'duration'], `burnwatch supports calendar windows of one month (1M) or one week (1w), found ${tw.duration}`);
      return null;
    }
    const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})/.exec(tw.calendar.startTime)!;
    const [y, mo, d, h, mi] = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5])];
    const date = new Date(Date.UTC(y, mo - 1, d));
    if (date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || h > 23 || mi > 59) {
      problems.add(doc, [...path, 'calendar', 'startTime'], `${tw.calendar.startTime} is not a valid date and time`);
      return null;
    }
    const isoWeekday = ((date.getUTCDay() + 6) % 7) + 1;
    return { kind: 'calendar', unit, timeZone: tw.calendar.timeZone, anchor: { day: unit === 'month' ? d : isoWeekday, hour: h, minute: mi } };
  };

  type PolicyResult = { rules: AlertRule[]; notify: string[]; noDataForMs: number; notifyResolved: boolean };
  const mapPolicy = (policy: Located<z.output<typeof policySpec>>, periodMs: number, sloDoc: number): PolicyResult | null => {
    const { doc, path, spec } = policy;
    let ok = true;
    type Cond = { name: string; severity: Severity; op: 'gt' | 'gte'; factor: number; longMs: number; shortMs: number; forMs: number };
    const conds: Cond[] = [];
    spec.conditions.forEach((c, i) => {
      const cp = [...path, 'conditions', i];
      let cond: Located<z.output<typeof conditionSpec>> | null;
      if (isObject(c) && 'conditionRef' in c) {
        const ref = problems.parse(z.strictObject({ conditionRef: z.string() }), c, doc, cp);
        if (!ref) return void (ok = false);
        cond = conditionDocs.get(ref.conditionRef) ?? null;
        if (!cond) {
          once(doc, [...cp, 'conditionRef'], named('AlertCondition').has(ref.conditionRef) ? `AlertCondition ${ref.conditionRef} is invalid` : `no AlertCondition named ${ref.conditionRef}`);
          return void (ok = false);
        }
      } else {
        const inline = problems.parse(z.strictObject({ kind: z.literal('AlertCondition'), metadata, spec: conditionSpec }), c, doc, cp);
        if (!inline) return void (ok = false);
        cond = { doc, path: [...cp, 'spec'], name: inline.metadata.name, spec: inline.spec };
      }
      const s = cond.spec;
      const sev = s.severity.toLowerCase();
      if (sev !== 'page' && sev !== 'ticket') {
        once(cond.doc, [...cond.path, 'severity'], `expected severity page or ticket (burnwatch routes pages and tickets), found "${s.severity}"`);
        return void (ok = false);
      }
      const op = s.condition.op ?? 'gt';
      if (op === 'lt' || op === 'lte') {
        once(cond.doc, [...cond.path, 'condition', 'op'], 'burnwatch alerts when the burn rate is above the threshold; expected op gt or gte');
        return void (ok = false);
      }
      const longMs = fixedMs(s.condition.lookbackWindow);
      if (longMs === null || longMs < 2 * 60_000 || longMs % 60_000 !== 0) {
        once(cond.doc, [...cond.path, 'condition', 'lookbackWindow'], `expected a lookback window of at least 2m in m, h, d or w, found ${s.condition.lookbackWindow}`);
        return void (ok = false);
      }
      if (longMs > periodMs) {
        problems.add(sloDoc, [], `condition ${cond.name}: the lookback window ${s.condition.lookbackWindow} is longer than the SLO window`);
        return void (ok = false);
      }
      const forMs = s.condition.alertAfter === undefined ? 0 : fixedMs(s.condition.alertAfter);
      if (forMs === null) {
        once(cond.doc, [...cond.path, 'condition', 'alertAfter'], `expected alertAfter in m, h, d or w, found ${s.condition.alertAfter}`);
        return void (ok = false);
      }
      const shortMs = Math.max(60_000, Math.floor(longMs / 12 / 60_000) * 60_000);
      conds.push({ name: cond.name, severity: sev, op, factor: s.condition.threshold, longMs, shortMs, forMs });
    });
    const notify: string[] = [];
    spec.notificationTargets.forEach((t, i) => {
      const tp = [...path, 'notificationTargets', i];
      let target: { name: string; target: string };
      if (isObject(t) && 'targetRef' in t) {
        const ref = problems.parse(z.strictObject({ targetRef: z.string() }), t, doc, tp);
        if (!ref) return void (ok = false);
        const d = targetDocs.get(ref.targetRef);
        if (!d) {
          once(doc, [...tp, 'targetRef'], `no AlertNotificationTarget named ${ref.targetRef}`);
          return void (ok = false);
        }
        target = { name: d.name, target: d.spec.target };
      } else {
        const inline = problems.parse(z.strictObject({ kind: z.literal('AlertNotificationTarget'), metadata, spec: targetSpec }), t, doc, tp);
        if (!inline) return void (ok = false);
        target = { name: inline.metadata.name, target: inline.spec.target };
      }
      const notifier = known.notifiers.includes(target.name) ? target.name : known.notifiers.includes(target.target) ? target.target : null;
      if (!notifier) {
        once(doc, tp, `notification target ${target.name} (target ${target.target}) names no burnwatch Notifier; define kind Notifier named ${target.name} or ${target.target}`);
        return void (ok = false);
      }
      if (!notify.includes(notifier)) notify.push(notifier);
    });
    if (!ok) return null;
    const rules: AlertRule[] = [];
    if (spec.alertWhenBreaching !== false) {
      const groups = new Map<string, Cond[]>();
      for (const c of conds) {
        const k = `${c.severity}|${c.forMs}`;
        groups.set(k, [...(groups.get(k) ?? []), c]);
      }
      for (const group of groups.values()) {
        const first = group[0]!;
        const name = groups.size === 1 ? policy.name : `${policy.name}-${first.severity}${first.forMs ? `-${first.forMs / 60_000}m` : ''}`;
        rules.push({
          name,
          alertName: pascal(name),
          severity: first.severity,
          forMs: first.forMs,
          labels: {},
          pairs: group.map((c) => ({ name: c.name, shortMs: c.shortMs, longMs: c.longMs, factor: c.factor, op: c.op, budgetPercent: null })),
        });
      }
    }
    return {
      rules,
      notify,
      noDataForMs: spec.alertWhenNoData ? Math.min(...conds.map((c) => c.longMs)) : 0,
      notifyResolved: spec.alertWhenResolved ?? false,
    };
  };

  const slos: Slo[] = [];
  for (const [name, d] of named('SLO')) {
    const spec = problems.parse(sloSpec, d.spec, d.doc, []);
    if (!spec) continue;
    const doc = d.doc;

    let sli: MappedSli | null | undefined;
    if (spec.indicator !== undefined && spec.indicatorRef !== undefined) {
      problems.add(doc, ['indicatorRef'], 'expected indicator or indicatorRef, not both');
      continue;
    }
    if (spec.indicator !== undefined) {
      const inline = problems.parse(z.strictObject({ metadata, spec: sliSpec }), spec.indicator, doc, ['indicator']);
      if (!inline) continue;
      sli = mapSli({ doc, path: ['indicator', 'spec'], name: inline.metadata.name, spec: inline.spec });
    } else if (spec.indicatorRef !== undefined) {
      sli = sliByName(spec.indicatorRef);
      if (sli === undefined) {
        problems.add(doc, ['indicatorRef'], `no SLI named ${spec.indicatorRef}`);
        continue;
      }
    } else {
      problems.add(doc, [], 'expected indicator or indicatorRef');
      continue;
    }
    if (!sli) continue;

    const window = windowOf(spec.timeWindow?.[0], doc, ['timeWindow', 0]);
    if (!window) continue;
    const periodMs = nominalPeriodMs(window);

    if (spec.service !== undefined && services.size > 0 && !services.has(spec.service)) {
      problems.add(doc, ['service'], `no Service named ${spec.service}; services: ${[...services.keys()].join(', ')}`);
      continue;
    }
    const service = spec.service ?? sli.probe;

    // Alert policies (shared by every objective).
    let alerting: Omit<Alerting, 'name' | 'noDataAlertName'>;
    if (spec.alertPolicies.length === 0) {
      const set = defaultWindowSet(periodMs);
      if (longestWindow(set) > periodMs) {
        problems.add(doc, ['timeWindow', 0, 'duration'], `the SLO window is shorter than the longest default alert window (${longestWindow(set) / 3_600_000}h); add alertPolicies with shorter lookback windows`);
        continue;
      }
      alerting = { notify: [], windowSet: set.name, alerts: [], noDataForMs: 0, notifyResolved: false };
      alerting.alerts = windowSetAlerts(set, periodMs, '', { page: {}, ticket: {} });
    } else {
      const rules: AlertRule[] = [];
      const notify: string[] = [];
      let noData = 0;
      let resolved = false;
      let ok = true;
      spec.alertPolicies.forEach((p, i) => {
        const pp: Path = ['alertPolicies', i];
        let policy: Located<z.output<typeof policySpec>> | null;
        if (isObject(p) && 'alertPolicyRef' in p) {
          const ref = problems.parse(z.strictObject({ alertPolicyRef: z.string() }), p, doc, pp);
          if (!ref) return void (ok = false);
          policy = policyDocs.get(ref.alertPolicyRef) ?? null;
          if (!policy) {
            problems.add(
              doc,
              [...pp, 'alertPolicyRef'],
              named('AlertPolicy').has(ref.alertPolicyRef) ? `AlertPolicy ${ref.alertPolicyRef} is invalid` : `no AlertPolicy named ${ref.alertPolicyRef}`,
            );
            return void (ok = false);
          }
        } else {
          const inline = problems.parse(z.strictObject({ kind: z.literal('AlertPolicy'), metadata, spec: policySpec }), p, doc, pp);
          if (!inline) return void (ok = false);
          policy = { doc, path: [...pp, 'spec'], name: inline.metadata.name, spec: inline.spec };
        }
        const mapped = mapPolicy(policy, periodMs, doc);
        if (!mapped) return void (ok = false);
        rules.push(...mapped.rules);
        for (const n of mapped.notify) if (!notify.includes(n)) notify.push(n);
        if (mapped.noDataForMs > 0) noData = noData === 0 ? mapped.noDataForMs : Math.min(noData, mapped.noDataForMs);
        resolved ||= mapped.notifyResolved;
      });
      if (!ok) continue;
      alerting = { notify, windowSet: 'openslo', alerts: rules, noDataForMs: noData, notifyResolved: resolved };
    }

    spec.objectives.forEach((o, i) => {
      const op: Path = ['objectives', i];
      const sloName = spec.objectives.length === 1 ? name : `${name}-${i}`;
      if ((o.target === undefined) === (o.targetPercent === undefined)) {
        problems.add(doc, op, 'expected target (a ratio such as 0.999) or targetPercent (such as 99.9), exactly one of them');
        return;
      }
      const objectivePercent = o.targetPercent ?? o.target! * 100;
      let indicator: Indicator = sli.indicator;
      if (sli.threshold) {
        if (o.op === undefined || o.value === undefined) {
          problems.add(doc, op, 'a latency threshold metric needs op (lt or lte) and value (milliseconds)');
          return;
        }
        if (o.op !== 'lt' && o.op !== 'lte') {
          problems.add(doc, [...op, 'op'], `a latency objective is met below the threshold; expected op lt or lte, found ${o.op}`);
          return;
        }
        if (!(o.value > 0)) {
          problems.add(doc, [...op, 'value'], 'expected a latency threshold in milliseconds above 0');
          return;
        }
        indicator = { kind: 'latency', thresholdMs: o.value, percentile: sli.threshold.percentile ?? null, request: sli.threshold.request ?? null };
      } else if (o.value !== undefined) {
        problems.add(doc, [...op, 'value'], 'value applies to a thresholdMetric; a ratio metric is compared with target only');
        return;
      }

      let budgeting: Budgeting;
      const method = spec.budgetingMethod;
      const percentile = indicator.kind === 'latency' ? indicator.percentile : null;
      // These two judge slices: only Timeslices budgeting fits them.
      const onlyTimeslices =
        indicator.kind === 'uptime' ? 'uptime counts good timeslices; use Timeslices' : percentile !== null ? 'a latency percentile makes each timeslice good or bad; use Timeslices' : undefined;
      if (method === 'Occurrences') {
        if (o.timeSliceTarget !== undefined || o.timeSliceWindow !== undefined) {
          problems.add(doc, op, 'timeSliceTarget and timeSliceWindow apply to Timeslices and RatioTimeslices budgeting only');
          return;
        }
        if (onlyTimeslices !== undefined) {
          problems.add(doc, ['budgetingMethod'], onlyTimeslices);
          return;
        }
        budgeting = mapBudgeting('occurrences', indicator);
      } else {
        if (o.timeSliceWindow === undefined) {
          problems.add(doc, [...op, 'timeSliceWindow'], `${method} budgeting needs timeSliceWindow (e.g. 1m)`);
          return;
        }
        const slice = sliceFrom(o.timeSliceWindow, problems, doc, [...op, 'timeSliceWindow']);
        if (slice === null) return;
        if (method === 'RatioTimeslices') {
          if (onlyTimeslices !== undefined) {
            problems.add(doc, ['budgetingMethod'], onlyTimeslices);
            return;
          }
          if (o.timeSliceTarget !== undefined) {
            problems.add(doc, [...op, 'timeSliceTarget'], 'timeSliceTarget applies to Timeslices budgeting; RatioTimeslices averages the slice ratios');
            return;
          }
          budgeting = { method: 'ratioTimeslices', sliceMs: slice };
        } else {
          let target = o.timeSliceTarget;
          if (percentile !== null) {
            if (target !== undefined && target !== percentileTarget(percentile)) {
              problems.add(doc, [...op, 'timeSliceTarget'], `a slice is good when its p${percentile} is within the threshold, i.e. timeSliceTarget ${percentileTarget(percentile)}`);
              return;
            }
            target = percentileTarget(percentile);
          } else if (target === undefined && indicator.kind !== 'uptime') {
            problems.add(doc, [...op, 'timeSliceTarget'], 'Timeslices budgeting needs timeSliceTarget (the good ratio that makes a slice good, e.g. 0.99)');
            return;
          }
          budgeting = mapBudgeting({ timeslices: { slice, target } }, indicator);
        }
      }

      // As the SLO kind checks it (toSlo): windows count whole slices only.
      if (budgeting.method !== 'occurrences') {
        const shortest = Math.min(...alerting.alerts.flatMap((a) => a.pairs.map((p) => p.shortMs)));
        if (budgeting.sliceMs > shortest) {
          problems.add(
            doc,
            [...op, 'timeSliceWindow'],
            `the timeslice (${budgeting.sliceMs / 60_000}m) is longer than the shortest alert window (${shortest / 60_000}m), which would hold no whole slice most of the time; use a slice of at most ${shortest / 60_000}m`,
          );
          return;
        }
      }

      const alertName = defaultAlertName(sloName);
      const alerts =
        alerting.windowSet === 'openslo' ? alerting.alerts : alerting.alerts.map((a) => ({ ...a, alertName }));
      slos.push({
        name: sloName,
        id: `${service}-${sloName}`,
        service,
        description: spec.description ?? null,
        probe: sli.probe,
        indicator,
        objectivePercent,
        objective: objectivePercent / 100,
        window,
        periodMs,
        budgeting,
        minEvents: 1,
        alerting: { ...alerting, name: alertName, noDataAlertName: `${pascal(sloName)}NoData`, alerts },
        labels: {},
        spec: 'openslo/v1',
      });
    });
  }
  return { slos, problems: problems.list };
}
