/**
 * PromQL for an SLO's SLI over burnwatch's own probe series (names from
 * `common/conventions.ts`): the error ratio over a window, in Sloth's events
 * form for occurrences (`(bad) / ((total) > 0)`, so a window without traffic
 * has no value rather than NaN or +Inf) and as a subquery over timeslices for
 * the timeslice methods (1 − mean of per-slice good flags or ratios).
 *
 * The series the queries read:
 * - `burnwatch_probe_requests_total{probe, request, outcome}` (error rate, uptime);
 * - `burnwatch_probe_request_duration_seconds_{bucket,count}{probe, request}`
 *   (latency; the threshold must be a bucket boundary to be exact);
 * - `burnwatch_probe_cache_lookups_total{probe, request, result}` (cache hits
 *   by header; see `common/conventions.ts`);
 * - the target's own counters for scraped cache hits.
 */
import { LABEL, LATENCY_BUCKETS_SECONDS, METRIC, OUTCOMES } from '../common/index.ts';
import type { Slo } from '../slos/index.ts';
import { goFloat, promString } from './go-format.ts';

type Matcher = [name: string, op: '=' | '=~' | '!~', value: string];

function selector(metric: string, matchers: Matcher[]): string {
  return `${metric}{${matchers.map(([n, op, v]) => `${n}${op}${promString(v)}`).join(', ')}}`;
}

/** Escapes RE2 metacharacters so a header value matches literally. */
function escapeRegex(v: string): string {
  return v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `name="a"` for one value, `name=~"a|b"` for several. */
function oneOf(name: string, values: readonly string[]): Matcher {
  return values.length === 1 ? [name, '=', values[0]!] : [name, '=~', values.join('|')];
}

/** Events of one kind over a window: `sum(rate(sel[w]))` (fn = rate) or `sum(increase(sel[w]))`. */
type Events = (fn: 'rate' | 'increase', window: string) => string;

interface SliSeries {
  /** Good events. Absent series mean zero. */
  good: Events;
  /** Bad events (occurrences numerator). */
  bad: Events;
  /** Valid events (the denominator). */
  total: Events;
}

export interface SliPromql {
  /** The error ratio over `window`, a multi-line expression ending in a newline. */
  errorRatio(window: string): string;
  /** Valid events over `window` (for the no-data alert). */
  totalIncrease(window: string): string;
  warnings: string[];
}

const sumOf = (sel: string): Events => (fn, w) => `sum(${fn}(${sel}[${w}]))`;
const orZero = (e: Events): Events => (fn, w) => `${e(fn, w)} or vector(0)`;

/** The `le` matcher of a bucket: integers as `1|1.0` (Prometheus 3 writes `le="1.0"`, client libraries `le="1"`). */
function leMatcher(seconds: number): Matcher {
  const text = String(seconds);
  return Number.isInteger(seconds) ? ['le', '=~', `${text}|${text}.0`] : ['le', '=', text];
}

function series(slo: Slo, warnings: string[]): SliSeries | null {
  const i = slo.indicator;
  const scope: Matcher[] = [[LABEL.probe, '=', slo.probe]];
  if ('request' in i && i.request !== null) scope.push([LABEL.request, '=', i.request]);
  switch (i.kind) {
    case 'errorRate': {
      if (i.excludeStatus.length > 0) {
        warnings.push(
          `responses with status ${i.excludeStatus.join(', ')} are counted apart by the evaluator but the probe metrics carry no status label, so these rules count them as bad`,
        );
      }
      const allBad = OUTCOMES.filter((o) => o !== 'ok').every((o) => i.badOutcomes.includes(o));
      const valid = allBad ? scope : [...scope, oneOf(LABEL.outcome, ['ok', ...OUTCOMES.filter((o) => i.badOutcomes.includes(o))])];
      return {
        good: orZero(sumOf(selector(METRIC.probeRequestsTotal, [...scope, [LABEL.outcome, '=', 'ok']]))),
        bad: orZero(sumOf(selector(METRIC.probeRequestsTotal, [...scope, oneOf(LABEL.outcome, OUTCOMES.filter((o) => i.badOutcomes.includes(o)))]))),
        total: sumOf(selector(METRIC.probeRequestsTotal, valid)),
      };
    }
    case 'uptime': {
      const good = orZero(sumOf(selector(METRIC.probeRequestsTotal, [...scope, [LABEL.outcome, '=', 'ok']])));
      const total = sumOf(selector(METRIC.probeRequestsTotal, scope));
      return { good, bad: (fn, w) => `${total(fn, w)} - (${good(fn, w)})`, total };
    }
    case 'latency': {
      const wanted = i.thresholdMs / 1000;
      const boundary = [...LATENCY_BUCKETS_SECONDS].filter((b) => b <= wanted).pop();
      if (boundary === undefined) {
        warnings.push(`the latency threshold ${i.thresholdMs} ms is below the smallest histogram bucket (${LATENCY_BUCKETS_SECONDS[0] * 1000} ms); no rules generated`);
        return null;
      }
      if (boundary !== wanted) {
        warnings.push(
          `the latency threshold ${i.thresholdMs} ms is not a bucket boundary of ${METRIC.probeRequestDurationSeconds}; the rules use the next lower boundary, ${boundary * 1000} ms (stricter than the evaluator)`,
        );
      }
      const good = orZero(sumOf(selector(`${METRIC.probeRequestDurationSeconds}_bucket`, [...scope, leMatcher(boundary)])));
      // The histogram holds ok requests only; every request counts in the total, so a fast failure is bad.
      const total = sumOf(selector(METRIC.probeRequestsTotal, scope));
      return { good, bad: (fn, w) => `${total(fn, w)} - (${good(fn, w)})`, total };
    }
    case 'cacheHit': {
      if (i.source === 'scrape') {
        const good = orZero(sumOf(i.hits));
        const total = sumOf(i.total);
        return { good, bad: (fn, w) => `${total(fn, w)} - (${good(fn, w)})`, total };
      }
      // The counter's `result` is the lower-cased header value; responses without the header are not counted.
      // A hit is any of the SLO's hitValues (case-insensitive, as classifyCacheHeader decides); any other value is a miss.
      const lookups = METRIC.probeCacheLookupsTotal;
      const hits = i.hitValues.map((v) => escapeRegex(v.toLowerCase()));
      const hitMatcher: Matcher = hits.length === 1 ? [LABEL.result, '=', i.hitValues[0]!.toLowerCase()] : [LABEL.result, '=~', hits.join('|')];
      return {
        good: orZero(sumOf(selector(lookups, [...scope, hitMatcher]))),
        bad: orZero(sumOf(selector(lookups, [...scope, [LABEL.result, '!~', hits.join('|')]]))),
        total: sumOf(selector(lookups, scope)),
      };
    }
  }
}

/**
 * The SLI queries of an SLO, or null (with the reason in `warnings`) when the
 * probe series cannot express it.
 */
export function sliPromql(slo: Slo, toPromDuration: (ms: number) => string): SliPromql | { skip: true; warnings: string[] } {
  const warnings: string[] = [];
  const s = series(slo, warnings);
  if (!s) return { skip: true, warnings };
  const b = slo.budgeting;
  let errorRatio: (w: string) => string;
  if (b.method === 'occurrences') {
    errorRatio = (w) => `(${s.bad('rate', w)})\n/\n((${s.total('rate', w)}) > 0)\n`;
  } else {
    const slice = toPromDuration(b.sliceMs);
    const good = s.good('increase', slice);
    const total = s.total('increase', slice);
    // One value per slice: 1/0 for a good/bad slice, or the slice's good ratio; absent without events.
    let perSlice: string;
    if (b.method === 'ratioTimeslices') perSlice = `    (${good})\n    /\n    ((${total}) > 0)`;
    else if (b.rule.kind === 'anyGood') perSlice = `    ((${good}) > bool 0)\n    and\n    ((${total}) > 0)`;
    else perSlice = `    (\n      (${good})\n      /\n      ((${total}) > 0)\n    ) >= bool ${goFloat(b.rule.target)}`;
    errorRatio = (w) => `1 - avg_over_time(\n  (\n${perSlice}\n  )[${w}:${slice}]\n)\n`;
  }
  return { errorRatio, totalIncrease: (w) => s.total('increase', w), warnings };
}
