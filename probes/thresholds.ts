/**
 * Thresholds in k6's grammar: `metric{tag:value,...}: ["agg op value", ...]`
 * with `agg` one of `avg min max med p(N)` (trends), `count rate`
 * (counters), `rate` (rates), `value min max` (gauges), and operators
 * `< <= > >= == != ===`. The long form adds `abortOnFail`, `delayAbortEval`
 * and burnwatch's `window` (see `spec.ts`).
 *
 * A threshold without `window` is evaluated over the whole run (k6). With
 * `window: 30s` it is evaluated over every sliding 30 s window ending at an
 * interval boundary, and fails when any window fails — a p99 that was fine
 * on average but broke for half a minute is caught. A run shorter than the
 * window is evaluated once over all of it.
 *
 * @example
 * parseThreshold('p(99.9) < 250') // { aggregation: 'percentile', percentile: 99.9, operator: '<', value: 250, ... }
 * parseMetricKey('http_req_duration{request:get_variant}') // { metric: 'http_req_duration', tags: [['request', 'get_variant']] }
 */
import { buildFilter, isMetricName, METRIC_DEFS, METRIC_NAMES, requestTags } from './metrics.ts';
import type { Agg, Filter, MetricName, MetricType } from './metrics.ts';
import { z } from 'zod';
import { BurnwatchError, labels } from '../common/index.ts';
import { thresholdsSchema } from './spec.ts';
import type { ProbeSpec, ThresholdEntry } from './spec.ts';

export type Operator = '<' | '<=' | '>' | '>=' | '==' | '!=';
export type Aggregation = 'avg' | 'min' | 'max' | 'med' | 'percentile' | 'count' | 'rate' | 'value';

export interface ParsedThreshold {
  /** The expression as written. */
  source: string;
  aggregation: Aggregation;
  /** For `p(N)`: N, 0–100. */
  percentile?: number;
  operator: Operator;
  value: number;
}

export interface ParsedMetricKey {
  metric: MetricName;
  tags: [string, string][];
}

/** One compiled threshold, ready to evaluate. */
export interface Threshold {
  /** The metric key, normalised (`canonicalKey`), e.g. `http_req_duration{request:get_variant}`. */
  key: string;
  metric: MetricName;
  filter: Filter;
  expr: ParsedThreshold;
  abortOnFail: boolean;
  delayAbortEvalMs: number;
  windowMs?: number;
}

const AGGREGATIONS_BY_TYPE: Record<MetricType, readonly string[]> = {
  trend: ['avg', 'min', 'max', 'med', 'p(N)'],
  counter: ['count', 'rate'],
  rate: ['rate'],
  gauge: ['value', 'min', 'max'],
};

const OPERATORS = ['<', '<=', '>', '>=', '==', '!='];

function invalid(message: string): BurnwatchError {
  return new BurnwatchError('PROBE_THRESHOLD_INVALID', message);
}

/**
 * Parses a threshold expression; throws a `BurnwatchError`
 * (`PROBE_THRESHOLD_INVALID`) whose message says what is wrong and what to
 * write instead.
 */
export function parseThreshold(expr: string): ParsedThreshold {
  const source = expr;
  const text = expr.trim();
  if (text === '') throw invalid('the threshold is empty; expected an expression such as "p(95)<500" or "rate<0.01"');
  const m = /^([A-Za-z_][A-Za-z0-9_.]*)\s*(?:\(\s*([^)]*?)\s*\))?\s*(===|==|!=|<=|>=|<|>|=)?\s*(.*)$/.exec(text);
  if (!m) throw invalid(`"${source}" is not a threshold; expected "aggregation operator value" such as "p(95)<500"`);
  const [, name = '', arg, op, rest = ''] = m;
  let aggregation: Aggregation;
  let percentile: number | undefined;
  const pShort = /^p(\d+(?:\.\d+)?)$/.exec(name);
  if (pShort) throw invalid(`"${name}" is not an aggregation; did you mean p(${pShort[1]})?`);
  if (name === 'p') {
    if (arg === undefined) throw invalid('p needs a percentile in parentheses, e.g. p(95)');
    const n = Number(arg);
    if (arg === '' || !Number.isFinite(n) || n < 0 || n > 100) throw invalid(`p(${arg}): the percentile must be a number from 0 to 100`);
    aggregation = 'percentile';
    percentile = n;
  } else if (['avg', 'min', 'max', 'med', 'count', 'rate', 'value'].includes(name)) {
    if (arg !== undefined) throw invalid(`${name} takes no argument; write "${name}${op ?? '<'}${rest || '...'}"`);
    aggregation = name as Aggregation;
  } else {
    throw invalid(`unknown aggregation "${name}" in "${source}"; expected avg, min, max, med, p(N), count, rate or value`);
  }
  const aggText = aggregation === 'percentile' ? `p(${arg})` : name;
  if (op === undefined) throw invalid(`"${source}" has no comparison after ${aggText}; expected one of ${OPERATORS.join(' ')} and a number, e.g. "${aggText}<500"`);
  if (op === '=') throw invalid(`"=" is not a comparison; write "==" in "${source}"`);
  const operator: Operator = op === '===' ? '==' : (op as Operator);
  if (rest === '') throw invalid(`"${source}" has no value after "${op}"; expected a number`);
  const unit = /^(-?\d+(?:\.\d+)?)\s*(ms|s|m|us|µs|%)$/.exec(rest);
  if (unit) {
    if (unit[2] === '%') throw invalid(`"${source}": rates are fractions; write ${Number(unit[1]) / 100} instead of ${rest}`);
    throw invalid(`"${source}": thresholds compare plain numbers (milliseconds for time metrics); write ${unit[2] === 's' ? Number(unit[1]) * 1000 : unit[2] === 'm' ? Number(unit[1]) * 60_000 : unit[2] === 'ms' ? unit[1] : Number(unit[1]) / 1000} instead of ${rest}`);
  }
  if (!/^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(rest)) throw invalid(`"${source}": "${rest}" is not a number`);
  return { source, aggregation, ...(percentile !== undefined ? { percentile } : {}), operator, value: Number(rest) };
}

function suggestMetric(name: string): string | undefined {
  const lower = name.toLowerCase();
  const aliases: Record<string, MetricName> = {
    http_req_duration_ms: 'http_req_duration',
    http_req_failed_rate: 'http_req_failed',
    http_requests: 'http_reqs',
    requests: 'http_reqs',
    latency: 'http_req_duration',
    errors: 'http_req_failed',
    error_rate: 'http_req_failed',
    dropped: 'dropped_iterations',
  };
  if (Object.hasOwn(aliases, lower)) return aliases[lower];
  return METRIC_NAMES.find((n) => n.startsWith(lower) || lower.startsWith(n) || n.replace(/_/g, '') === lower.replace(/_/g, ''));
}

/**
 * One spelling per sub-metric, so that keys written differently
 * (`http_req_duration {request:a}`, `{ request: "a" }`, tags in another
 * order) name one entry of the summary, as k6 merges equal tag sets:
 * `name{k1:v1,k2:v2}`, tags sorted by name, a value quoted only when it
 * needs to be (with the quote it does not contain; `parseMetricKey` reads
 * the result back).
 */
export function canonicalKey(parsed: ParsedMetricKey): string {
  if (parsed.tags.length === 0) return parsed.metric;
  const value = (v: string): string => (/^[\w.\-/]+$/.test(v) ? v : v.includes('"') ? `'${v}'` : `"${v}"`);
  const tags = [...parsed.tags].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `${parsed.metric}{${tags.map(([k, v]) => `${k}:${value(v)}`).join(',')}}`;
}

/** Parses `name` or `name{k:v,...}`; throws a `BurnwatchError` (`PROBE_THRESHOLD_INVALID`). */
export function parseMetricKey(key: string): ParsedMetricKey {
  const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\{(.*)\})?\s*$/.exec(key);
  if (!m) throw invalid(`"${key}" is not a metric; expected a name such as http_req_duration, optionally with tags: http_req_duration{request:get_variant}`);
  const name = m[1]!;
  if (!isMetricName(name)) {
    const hint = suggestMetric(name);
    throw invalid(`unknown metric "${name}"${hint ? ` (did you mean ${hint}?)` : ''}; expected one of ${METRIC_NAMES.join(', ')}`);
  }
  const tags: [string, string][] = [];
  if (m[2] !== undefined) {
    if (m[2].trim() === '') throw invalid(`"${key}": the tag filter is empty; write e.g. ${name}{request:get_variant} or drop the braces`);
    for (const part of m[2].split(',')) {
      // As k6 reads them (Metric.AddSubmetric): a tag name may be quoted, an unquoted value may hold
      // inner spaces and quotes (O'Reilly); only quotes around it are taken off.
      const kv = /^\s*(?:"([A-Za-z_][A-Za-z0-9_.-]*)"|'([A-Za-z_][A-Za-z0-9_.-]*)'|([A-Za-z_][A-Za-z0-9_.-]*))\s*:\s*(?:"([^"]*)"|'([^']*)'|([^\s"'](?:.*[^\s"'])?))\s*$/.exec(part);
      if (!kv) throw invalid(`"${key}": "${part.trim()}" is not a tag; expected key:value pairs separated by commas, e.g. {request:get_variant,status:200}`);
      tags.push([kv[1] ?? kv[2] ?? kv[3]!, kv[4] ?? kv[5] ?? kv[6] ?? '']);
    }
  }
  return { metric: name, tags };
}

function checkAggregation(metric: MetricName, t: ParsedThreshold): void {
  const type = METRIC_DEFS[metric].type;
  const allowed = AGGREGATIONS_BY_TYPE[type];
  const name = t.aggregation === 'percentile' ? 'p(N)' : t.aggregation;
  if (!allowed.includes(name)) {
    throw invalid(`${t.aggregation === 'percentile' ? `p(${t.percentile})` : t.aggregation} is not available on ${metric} (a ${type}); use ${allowed.join(', ')}`);
  }
}

type Problem = { path: (string | number)[]; message: string };

function compile(probe: ProbeSpec, problems: Problem[]): Threshold[] {
  return compileEntries(probe.thresholds, requestTags(probe), problems);
}

/**
 * `compile` over thresholds some of which the schema rejected: a key whose
 * value is not a list (`undefined`) has only its metric key checked, and an
 * entry that is `undefined` is skipped (the schema reports those), so every
 * other problem comes in the same pass with its index as written.
 */
function compileEntries(thresholds: Record<string, readonly (ThresholdEntry | undefined)[] | undefined>, tagSets: Record<string, string>[], problems: Problem[]): Threshold[] {
  const out: Threshold[] = [];
  for (const [key, entries] of Object.entries(thresholds)) {
    let parsedKey: ParsedMetricKey;
    let filter: Filter;
    try {
      parsedKey = parseMetricKey(key);
      filter = buildFilter(parsedKey.metric, parsedKey.tags, tagSets);
    } catch (err) {
      problems.push({ path: ['thresholds', key], message: (err as Error).message });
      continue;
    }
    if (entries === undefined) continue;
    if (entries.length === 0) problems.push({ path: ['thresholds', key], message: 'expected at least one threshold expression, e.g. ["p(95)<500"]' });
    entries.forEach((entry, i) => {
      if (entry === undefined) return;
      const long = typeof entry === 'string' ? undefined : entry;
      const exprText = typeof entry === 'string' ? entry : entry.threshold;
      try {
        const expr = parseThreshold(exprText);
        checkAggregation(parsedKey.metric, expr);
        if (long?.window !== undefined && long.window < 1000) throw invalid(`window ${long.window}ms is shorter than the 1s snapshot interval; use at least 1s`);
        out.push({
          key: canonicalKey(parsedKey),
          metric: parsedKey.metric,
          filter,
          expr,
          abortOnFail: long?.abortOnFail ?? false,
          delayAbortEvalMs: long?.delayAbortEval ?? 0,
          ...(long?.window !== undefined ? { windowMs: long.window } : {}),
        });
      } catch (err) {
        problems.push({ path: typeof entry === 'string' ? ['thresholds', key, i] : ['thresholds', key, i, 'threshold'], message: (err as Error).message });
      }
    });
  }
  return out;
}

/**
 * Every problem with a probe's thresholds, each with its key path under the
 * spec; the config loader reports them with file and line.
 *
 * @example
 * thresholdProblems(spec) // [{ path: ['thresholds', 'http_req_duration', 0], message: '"p95" is not an aggregation; did you mean p(95)?' }]
 */
export function thresholdProblems(probe: ProbeSpec): Problem[] {
  const problems: Problem[] = [];
  compile(probe, problems);
  return problems;
}

/** What threshold checks read of a spec besides the thresholds: the tags of the probe, the scenario and each request. */
const taggedSpec = z.object({
  tags: labels.default({}),
  scenario: z.object({ tags: labels.default({}) }),
  requests: z.array(z.object({ name: z.string(), method: z.string().default('GET'), tags: labels.default({}) })),
});

/**
 * `thresholdProblems` for a spec that is invalid elsewhere, so that its
 * threshold problems come in the same pass as the others. Checked when what
 * tag filters are judged against (names, methods, tags) parses; otherwise []
 * — the schema's own errors cover those. A key or entry the schema rejects
 * (`http_req_duration: "p(95)<500"`, not a list) hides no other: each key
 * and each entry is taken on its own.
 */
export function rawThresholdProblems(raw: unknown): Problem[] {
  if (raw === null || typeof raw !== 'object') return [];
  const rawThresholds = (raw as { thresholds?: unknown }).thresholds ?? {};
  const tagged = taggedSpec.safeParse(raw);
  if (!tagged.success || rawThresholds === null || typeof rawThresholds !== 'object' || Array.isArray(rawThresholds)) return [];
  const thresholds: Record<string, (ThresholdEntry | undefined)[] | undefined> = {};
  for (const [key, value] of Object.entries(rawThresholds)) {
    // The config source reports a __proto__ key (zod drops it; assigning it here would set the prototype).
    if (key === '__proto__') continue;
    thresholds[key] = Array.isArray(value)
      ? value.map((entry: unknown) => {
          // One entry through the schema of a whole list (spec.ts does not export the entry's own).
          const parsed = thresholdsSchema.safeParse({ entry: [entry] });
          return parsed.success ? parsed.data.entry![0] : undefined;
        })
      : undefined;
  }
  const problems: Problem[] = [];
  compileEntries(thresholds, requestTags(tagged.data as unknown as ProbeSpec), problems);
  return problems;
}

/** Compiles a probe's thresholds; throws a `BurnwatchError` (`PROBE_THRESHOLD_INVALID`) listing every problem. */
export function compileThresholds(probe: ProbeSpec): Threshold[] {
  const problems: Problem[] = [];
  const out = compile(probe, problems);
  if (problems.length > 0) {
    throw invalid(problems.map((p) => `${p.path.map((s) => (typeof s === 'number' ? `[${s}]` : s)).join('.')}: ${p.message}`).join('; '));
  }
  return out;
}

/** The observed value of a threshold's aggregation over `agg` (ms for time metrics), `undefined` when there is no data. */
export function observe(t: Threshold, agg: Agg): number | undefined {
  const def = METRIC_DEFS[t.metric];
  const e = t.expr;
  switch (def.type) {
    case 'trend': {
      const h = agg.trend(t.metric, t.filter);
      if (h.totalCount === 0) return undefined;
      switch (e.aggregation) {
        case 'avg':
          return h.mean / 1000;
        case 'min':
          return h.getValueAtPercentile(0) / 1000;
        case 'max':
          return h.maxValue / 1000;
        case 'med':
          return h.getValueAtPercentile(50) / 1000;
        default:
          return h.getValueAtPercentile(e.percentile ?? 50) / 1000;
      }
    }
    case 'counter': {
      const n = agg.count(t.metric, t.filter);
      if (e.aggregation === 'count') return n;
      const s = agg.seconds();
      return s > 0 ? n / s : undefined;
    }
    case 'rate': {
      const { pass, total } = agg.rate(t.metric, t.filter);
      return total > 0 ? pass / total : undefined;
    }
    case 'gauge': {
      const g = agg.gauge(t.metric);
      return e.aggregation === 'min' ? g.min : e.aggregation === 'max' ? g.max : g.value;
    }
  }
}

/** Whether `observed op target` holds. */
export function holds(operator: Operator, observed: number, target: number): boolean {
  switch (operator) {
    case '<':
      return observed < target;
    case '<=':
      return observed <= target;
    case '>':
      return observed > target;
    case '>=':
      return observed >= target;
    case '==':
      return observed === target;
    case '!=':
      return observed !== target;
  }
}

/** Of two observations, the worse: the one further on the failing side (for a windowed threshold's "worst window"). */
export function worse(operator: Operator, limit: number, a: number, b: number): number {
  if (operator === '<' || operator === '<=') return Math.max(a, b);
  if (operator === '>' || operator === '>=') return Math.min(a, b);
  // == and !=: a value that fails is worse than one that holds; of two that fail `==`, the farther one.
  const aFails = !holds(operator, a, limit);
  if (aFails !== !holds(operator, b, limit)) return aFails ? a : b;
  return operator === '==' && Math.abs(b - limit) > Math.abs(a - limit) ? b : a;
}

/** `http_req_duration{request:get_variant} p(95)<500` */
export function thresholdLabel(t: Threshold): string {
  return `${t.key} ${t.expr.source.trim()}`;
}
