/**
 * The end-of-run summary: a JSON-serialisable `RunSummary` (what
 * `--summary-export` writes, k6's metric names and value keys) and
 * `formatSummary`, the k6-like table printed at the end of `burnwatch run`.
 */
import { formatDuration, OUTCOMES, totalOutcomes } from '../common/index.ts';
import type { Outcome } from '../common/index.ts';
import { percentileUs, trendValues } from './histogram.ts';
import { METRIC_DEFS } from './metrics.ts';
import type { Agg, Filter, MetricName, MetricType } from './metrics.ts';
import type { ErrorCount } from './protocol.ts';
import { isArrivalRate, peakArrivalRate, regularDurationMs } from './schedule.ts';
import type { Probe, Scenario } from './spec.ts';
import { DEFAULT_TREND_STATS, extraPercentiles, statPercentile } from './trend-stats.ts';

export type RunStatus = 'passed' | 'failed' | 'aborted' | 'error';

export interface MetricSummary {
  type: MetricType;
  /** `time` values are milliseconds, `data` values bytes. */
  contains: 'default' | 'time' | 'data';
  /**
   * counter: count, rate (per second) · rate: rate, passes, fails ·
   * trend: count, rate, avg, min, med, max, p(90), p(95), p(99), p(99.9) · gauge: value, min, max.
   */
  values: Record<string, number>;
  /** Thresholds on this metric (key as written): expression (windowed: `expr (window 30s)`) → result. */
  thresholds?: Record<string, { ok: boolean }>;
}

export interface ThresholdResult {
  /** Metric key, normalised (one spelling per tag set), e.g. `http_req_duration{request:get_variant}`. */
  metric: string;
  /** Expression as written, e.g. `p(95)<500`. */
  threshold: string;
  ok: boolean;
  /** The observed value over the run (windowed: the worst window); null without data. */
  value: number | null;
  abortOnFail: boolean;
  delayAbortEvalMs: number;
  windowMs?: number;
  /** Windowed thresholds: how many windows were evaluated and failed, and when the first one failed. */
  windows?: { evaluated: number; failed: number; firstFailedAt: string | null };
  /** This threshold's abortOnFail stopped the run. */
  abortedRun?: boolean;
  /** No sample matched the metric: the threshold passes vacuously (k6). */
  noData?: boolean;
}

export interface RunSummary {
  runId: string;
  probe: string;
  target: string;
  executor: string;
  /** ISO-8601. */
  startedAt: string;
  endedAt: string;
  durationMs: number;
  status: RunStatus;
  /** Why the run ended, as a sentence: completed, a threshold's abortOnFail, auto-abort, redirects above maxRps, interrupted, an error. */
  stopReason: string;
  /** 1-based, as on the command line: `{ index: 1, count: 1 }` is the whole scenario. */
  segment: { index: number; count: number };
  threads: number;
  /** Requests per outcome class. */
  outcomes: Record<Outcome, number>;
  metrics: Record<string, MetricSummary>;
  thresholds: ThresholdResult[];
  droppedIterations: number;
  /** Iterations cut off at gracefulStop / gracefulRampDown / a hard stop; not in the metrics. */
  interruptedIterations: number;
  /** Redirects followed, per request name (requests that followed none are left out); each chain counts as one request in the metrics. Absent in summaries stored before redirects were followed. */
  redirects?: Record<string, number>;
  /**
   * Requests sent again, per request name: a replayable request (GET, HEAD,
   * OPTIONS, TRACE, or one with an `Idempotency-Key`) written on a kept-alive
   * connection that failed before any response byte — the server (or a
   * middlebox) had closed it — is sent again on the next connection until it
   * goes out on one it opened, as Go's client (k6) retries it; and over
   * HTTP/2 a request of any method the server refused unprocessed (a
   * GOAWAY below its stream, RST_STREAM REFUSED_STREAM), once.
   */
  retries?: Record<string, number>;
  /**
   * Requests sent again to answer a 401's Digest challenge, per request
   * name (auth: digest; k6 sends each such request twice the same way).
   * The chain is one request in the metrics, its latency to the final
   * response. Absent in summaries stored before digest auth.
   */
  challenges?: Record<string, number>;
  /**
   * Responses per protocol, per request name (k6's `proto` tag): `HTTP/2.0`
   * for those over a connection that negotiated h2 (https, `http2` on),
   * `HTTP/1.1` for the rest; requests without a response are left out.
   * Absent in summaries stored before HTTP/2.
   */
  protocols?: Record<string, Partial<Record<'HTTP/1.1' | 'HTTP/2.0', number>>>;
  /** The most frequent errors (outcome, message, count). */
  errors: ErrorCount[];
  warnings: string[];
  /** When an abortOnFail threshold stopped an arrival-rate run: the last target rate (req/s) at which all abortOnFail thresholds held. */
  breakpoint?: { lastPassingRate: number | null; failedAtRate: number };
}

/** A sub-metric to report: key and filter. */
export interface MetricSelection {
  key: string;
  metric: MetricName;
  filter: Filter;
}

/**
 * The metric values k6 reports for a (sub-)metric over `agg`; a trend's
 * also hold each of `percentiles` (`p(99.99)`, keyed as written).
 */
export function metricValues(agg: Agg, metric: MetricName, filter: Filter, percentiles: readonly string[] = []): Record<string, number> {
  const def = METRIC_DEFS[metric];
  const seconds = agg.seconds();
  switch (def.type) {
    case 'trend': {
      const h = agg.trend(metric, filter);
      const values: Record<string, number> = { ...trendValues(h, seconds) };
      for (const stat of percentiles) values[stat] = h.totalCount > 0 ? Math.round(percentileUs(h, statPercentile(stat) ?? 0)) / 1000 : 0;
      return values;
    }
    case 'counter': {
      const count = agg.count(metric, filter);
      return { count, rate: seconds > 0 ? count / seconds : 0 };
    }
    case 'rate': {
      const { pass, total } = agg.rate(metric, filter);
      return { rate: total > 0 ? pass / total : 0, passes: pass, fails: total - pass };
    }
    case 'gauge':
      return { ...agg.gauge(metric) };
  }
}

/** The metrics of a summary: the k6 set, per-request sub-metrics, and every threshold's key. */
export function summaryMetrics(agg: Agg, probe: Probe, extra: readonly MetricSelection[]): Record<string, MetricSummary> {
  const out: Record<string, MetricSummary> = {};
  const percentiles = extraPercentiles(probe.summaryTrendStats);
  const add = (key: string, metric: MetricName, filter: Filter): void => {
    if (out[key]) return;
    const def = METRIC_DEFS[metric];
    out[key] = { type: def.type, contains: def.contains, values: metricValues(agg, metric, filter, percentiles) };
  };
  const open = isArrivalRate(probe.scenario);
  // A request's expect is its check (k6 shows checks when a script runs one): shown when one is written.
  const hasChecks = probe.requests.some((r) => r.expect.status !== undefined || Object.keys(r.expect.headers).length > 0 || Object.keys(r.expect.json).length > 0);
  // k6's order: alphabetical.
  add('http_req_blocked', 'http_req_blocked', {});
  add('http_req_connecting', 'http_req_connecting', {});
  add('http_req_duration', 'http_req_duration', {});
  // k6 lists a sub-metric that was never observed only when a threshold names it (below, as "no data"):
  // with no expected response, avg=0s would read as zero latency.
  if (agg.count('http_reqs', { expected: true }) > 0) add('http_req_duration{expected_response:true}', 'http_req_duration', { expected: true });
  add('http_req_failed', 'http_req_failed', {});
  add('http_req_receiving', 'http_req_receiving', {});
  add('http_req_sending', 'http_req_sending', {});
  add('http_req_tls_handshaking', 'http_req_tls_handshaking', {});
  add('http_req_waiting', 'http_req_waiting', {});
  add('http_reqs', 'http_reqs', {});
  if (hasChecks) add('checks', 'checks', {});
  if (probe.requests.length > 1) {
    probe.requests.forEach((r, i) => {
      const requests = probe.requests.map((_, j) => j === i);
      add(`http_req_duration{request:${r.name}}`, 'http_req_duration', { requests });
      add(`http_req_failed{request:${r.name}}`, 'http_req_failed', { requests });
      add(`http_reqs{request:${r.name}}`, 'http_reqs', { requests });
    });
  }
  add('iteration_duration', 'iteration_duration', {});
  add('iterations', 'iterations', {});
  if (open || agg.dropped > 0) add('dropped_iterations', 'dropped_iterations', {});
  if (open) add('http_req_start_lag', 'http_req_start_lag', {});
  add('vus', 'vus', {});
  add('vus_max', 'vus_max', {});
  add('vus_busy', 'vus_busy', {});
  add('data_received', 'data_received', {});
  add('data_sent', 'data_sent', {});
  for (const s of extra) add(s.key, s.metric, s.filter);
  return out;
}

/** Requests per outcome over the run. */
export function outcomeTotals(agg: Agg): Record<Outcome, number> {
  const out = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
  for (const r of agg.requests) OUTCOMES.forEach((o, i) => (out[o] += r.outcomes[i]!));
  return out;
}

// ── formatting ──────────────────────────────────────────────────────────

/** Requests a run made, of every outcome. */
export function requestCount(s: Pick<RunSummary, 'outcomes'>): number {
  return totalOutcomes(s.outcomes);
}

/** How many of a run's thresholds passed and failed. */
export function thresholdCounts(s: Pick<RunSummary, 'thresholds'>): { passed: number; failed: number } {
  const passed = s.thresholds.filter((t) => t.ok).length;
  return { passed, failed: s.thresholds.length - passed };
}

/**
 * `850µs`, `12.34ms`, `1.25s`, `2m3s`: cut, not rounded, as k6's summary cuts
 * (toFixedNoTrailingZerosTrunc), so a passing `p(95)<1000` of 999.996 ms never
 * reads as its limit.
 */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms === 0) return '0s';
  if (ms < 1) return `${truncate(ms * 1000, 0)}µs`;
  if (ms < 1000) return `${truncate(ms, 2)}ms`;
  if (ms < 60_000) return `${truncate(ms / 1000, 2)}s`;
  return formatDuration(truncate(ms / 1000, 0) * 1000);
}

/**
 * `n` cut to `digits` decimals. 4.35 stays 4.35: its float times 100 is 434.999…94, one unit in the last
 * place below 435, so a few such units are added before cutting; 999.9999999999 still cuts to 999.99.
 */
function truncate(n: number, digits: number): number {
  const mult = 10 ** digits;
  const x = n * mult;
  return Math.trunc(x + Math.abs(x) * 4 * Number.EPSILON) / mult;
}

/** `812 B`, `14.3 B`, `1.2 kB`, `76 MB` (SI, as k6); a fraction of a byte (a rate) with two significant digits, `0.25 B`. */
export function formatBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  // A byte count is whole; a byte rate (data_received over a long run) need not be.
  let shown = v >= 100 ? Math.round(v) : v >= 1 || v === 0 ? Math.round(v * 10) / 10 : Number(v.toPrecision(2));
  // 999.96 B rounds to 1000 B: that is 1 kB.
  if (shown >= 1000 && u < units.length - 1) {
    shown = Math.round(shown / 100) / 10;
    u++;
  }
  return `${shown} ${units[u]}`;
}

/** `12,345` */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/**
 * A rate (iterations or requests per second) for a header or the progress
 * line: whole and grouped from 10 up, one decimal from 1, two significant
 * digits below 1 (`12,346`, `20`, `2.5`, `0.5`, `0.017`).
 */
export function formatRate(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (n >= 9.95 || n === 0) return formatCount(n);
  if (n >= 1) return String(Math.round(n * 10) / 10);
  return String(Number(n.toPrecision(2)));
}

/** `40 req/s`; below 1/s with its per-minute figure: `0.5 req/s (30/min)`. */
function formatReqRate(perSecond: number): string {
  return perSecond > 0 && perSecond < 1 ? `${formatRate(perSecond)} req/s (${formatRate(perSecond * 60)}/min)` : `${formatRate(perSecond)} req/s`;
}

/** `1,234/s`, `12.35/s`; a rate that is not 0 but rounds to 0.00 (a few events over a long run) with two significant digits: `0.00058/s`. */
function formatRatePerSec(n: number): string {
  if (n >= 100) return `${formatCount(n)}/s`;
  const rounded = Math.round(n * 100) / 100;
  return `${rounded === 0 && n > 0 ? Number(n.toPrecision(2)) : rounded}/s`;
}

/** A ratio as a percentage: 1 decimal from 10 %, 2 below; more when fewer would show a rate that is not 0 as 0 % or one that is not 1 as 100 %. */
export function formatPercent(ratio: number): string {
  const p = ratio * 100;
  let decimals = p === 0 || p >= 10 ? 1 : 2;
  const round = (d: number): number => Math.round(p * 10 ** d) / 10 ** d;
  while (decimals < 8 && ((p > 0 && round(decimals) === 0) || (p < 100 && round(decimals) >= 100))) decimals++;
  return `${round(decimals)}%`;
}

/** A metric value as a threshold reads it (ms for time metrics). */
export function formatObserved(metric: string, value: number | null, aggregation: string): string {
  if (value === null) return 'no data';
  const base = metric.replace(/\{.*$/, '') as MetricName;
  const def = METRIC_DEFS[base] as (typeof METRIC_DEFS)[MetricName] | undefined;
  if (!def) return String(value);
  if (def.contains === 'time') return formatMs(value);
  if (def.type === 'rate') return formatPercent(value);
  if (def.contains === 'data') return aggregation === 'rate' ? `${formatBytes(value)}/s` : formatBytes(value);
  if (aggregation === 'rate') return formatRatePerSec(value);
  return String(Math.round(value * 1000) / 1000);
}

function describe(m: MetricSummary, trendStats: readonly string[]): string {
  const v = m.values;
  switch (m.type) {
    case 'trend':
      if (v.count === 0) return 'no data';
      return trendStats.map((k) => (k === 'count' ? `count=${formatCount(v.count ?? 0)}` : `${k}=${v[k] === undefined ? 'n/a' : formatMs(v[k])}`)).join(' ');
    case 'counter':
      return m.contains === 'data'
        ? `${formatBytes(v.count ?? 0).padEnd(9)} ${formatBytes(v.rate ?? 0)}/s`
        : `${formatCount(v.count ?? 0).padEnd(9)} ${formatRatePerSec(v.rate ?? 0)}`;
    case 'rate':
      return `${formatPercent(v.rate ?? 0).padEnd(9)} ${formatCount(v.passes ?? 0)} out of ${formatCount((v.passes ?? 0) + (v.fails ?? 0))}`;
    case 'gauge':
      return `${String(v.value ?? 0).padEnd(9)} min=${v.min ?? 0} max=${v.max ?? 0}`;
  }
}

const GROUPS: [string, (key: string) => boolean][] = [
  ['HTTP', (k) => k.startsWith('http_') || k.startsWith('checks')],
  ['EXECUTION', (k) => ['iteration_duration', 'iterations', 'dropped_iterations', 'vus', 'vus_max', 'vus_busy'].some((n) => k === n || k.startsWith(`${n}{`))],
  ['NETWORK', (k) => k.startsWith('data_')],
];

/**
 * The k6-like end-of-run table: thresholds with their observed values,
 * every metric grouped as k6 groups them, and the verdict with the reason
 * the run stopped.
 *
 * @example
 * process.stdout.write(formatSummary(await run.done));
 */
export function formatSummary(s: RunSummary, trendStats: readonly string[] = DEFAULT_TREND_STATS): string {
  const lines: string[] = [];
  const width = 44;
  const dots = (label: string): string => `${label}${'.'.repeat(Math.max(2, width - label.length))}: `;
  lines.push('');
  lines.push(`  burnwatch run ${s.runId} · probe ${s.probe} · ${s.target}`);
  const seg = s.segment.count > 1 ? ` · segment ${s.segment.index}/${s.segment.count}` : '';
  lines.push(`  ${s.executor} · ${formatMs(s.durationMs)} · ${s.threads} thread${s.threads === 1 ? '' : 's'}${seg} · ${s.startedAt} → ${s.endedAt}`);
  if (s.thresholds.length > 0) {
    lines.push('');
    lines.push('  █ THRESHOLDS');
    const byMetric = new Map<string, ThresholdResult[]>();
    for (const t of s.thresholds) byMetric.set(t.metric, [...(byMetric.get(t.metric) ?? []), t]);
    for (const [metric, ts] of byMetric) {
      lines.push('');
      lines.push(`    ${metric}`);
      for (const t of ts) {
        const agg = /^\s*([a-z]+(?:\([^)]*\))?)/.exec(t.threshold)?.[1] ?? 'value';
        const window = t.windowMs !== undefined ? ` over ${formatDuration(t.windowMs)} windows (${t.windows?.failed ?? 0} of ${t.windows?.evaluated ?? 0} failed)` : '';
        const flags = `${t.abortOnFail ? ' [abortOnFail]' : ''}${t.abortedRun ? ' ← stopped the run' : ''}`;
        const observed = t.windowMs !== undefined && t.value !== null ? `worst ${agg}=` : `${agg}=`;
        lines.push(`    ${t.ok ? '✓' : '✗'} '${t.threshold.trim()}' ${observed}${formatObserved(metric, t.value, agg.startsWith('p(') ? 'p' : agg)}${window}${flags}`);
      }
    }
  }
  lines.push('');
  lines.push('  █ TOTAL RESULTS');
  for (const [group, match] of GROUPS) {
    const keys = Object.keys(s.metrics).filter(match);
    if (keys.length === 0) continue;
    lines.push('');
    lines.push(`    ${group}`);
    const roots = keys.filter((k) => !k.includes('{'));
    const subs = keys.filter((k) => k.includes('{'));
    for (const root of roots) {
      lines.push(`    ${dots(root)}${describe(s.metrics[root]!, trendStats)}`);
      for (const sub of subs.filter((k) => k.startsWith(`${root}{`))) {
        const label = `  { ${sub.slice(root.length + 1, -1).replace(/,/g, ', ')} }`;
        lines.push(`    ${dots(label)}${describe(s.metrics[sub]!, trendStats)}`);
      }
    }
    for (const sub of subs.filter((k) => !roots.some((r) => k.startsWith(`${r}{`)))) lines.push(`    ${dots(sub)}${describe(s.metrics[sub]!, trendStats)}`);
  }
  const o = s.outcomes;
  const outcomeText = OUTCOMES.filter((k) => o[k] > 0).map((k) => `${k}=${formatCount(o[k])}`).join(' ');
  lines.push('');
  lines.push(`    outcomes: ${outcomeText || 'no requests completed'}`);
  const byRequest = (counts: Record<string, number> | undefined): string | undefined => {
    const entries = Object.entries(counts ?? {});
    return entries.length > 0 ? entries.map(([name, n]) => `${name}=${formatCount(n)}`).join(' ') : undefined;
  };
  const redirects = byRequest(s.redirects);
  if (redirects) lines.push(`    redirects followed: ${redirects} (each chain is one request, its latency to the final response)`);
  const retries = byRequest(s.retries);
  if (retries) {
    lines.push(
      `    retried: ${retries} (written on a kept-alive connection the server or a middlebox had closed, or refused unprocessed over HTTP/2, and sent again, as Go's client does: idle connections are closed without a word)`,
    );
  }
  const challenges = byRequest(s.challenges);
  if (challenges) lines.push(`    digest challenges answered: ${challenges} (auth: digest; each one a second request to the target, inside the request's latency)`);
  // Only once HTTP/2 is in the picture: HTTP/1.1 alone is what every run spoke before.
  const protocols = Object.entries(s.protocols ?? {});
  if (protocols.some(([, counts]) => (counts['HTTP/2.0'] ?? 0) > 0)) {
    const text = protocols.map(([name, counts]) => `${name} ${Object.entries(counts).map(([proto, n]) => `${proto}=${formatCount(n)}`).join(' ')}`).join(', ');
    lines.push(`    protocols: ${text}`);
  }
  if (s.errors.length > 0) {
    lines.push('    errors:');
    // A kind that entered a full list (see Agg.addError) is sure of its count less what it started from.
    for (const e of s.errors.slice(0, 5)) lines.push(`      ${(e.overcount ? `≥${formatCount(e.count - e.overcount)}` : formatCount(e.count)).padStart(8)} × ${e.outcome}: ${e.message}`);
  }
  if (s.warnings.length > 0) {
    lines.push('');
    for (const w of s.warnings) lines.push(`  ⚠ ${w}`);
  }
  lines.push('');
  const verdict = { passed: 'PASSED', failed: 'FAILED', aborted: 'ABORTED', error: 'ERROR' }[s.status];
  lines.push(`  ${verdict} — ${s.stopReason}`);
  // A breakpoint is a rate a ramp reached: a constant rate has none to report.
  if (s.breakpoint && s.executor === 'ramping-arrival-rate') {
    const last = s.breakpoint.lastPassingRate;
    lines.push(`  breakpoint: last rate that met the abortOnFail thresholds: ${last === null ? 'none' : `${formatRate(last)} req/s`} (failed at ${formatRate(s.breakpoint.failedAtRate)} req/s)`);
  }
  lines.push('');
  return lines.join('\n');
}

/**
 * The warning for iterations a stop cut off, naming only the grace periods
 * the executor has: every executor has gracefulStop, ramping-vus also
 * gracefulRampDown (k6). `byThreshold`: an abortOnFail threshold stopped
 * the run hard.
 */
export function interruptedWarning(count: number, executor: Scenario['executor'], byThreshold: boolean, sleeps = false): string {
  const rampDown = executor === 'ramping-vus';
  const when = byThreshold
    ? `when the abortOnFail threshold stopped the run${rampDown ? ' (or at gracefulRampDown)' : ''}`
    : `at gracefulStop${rampDown ? ' or gracefulRampDown' : ''}`;
  // An iteration cut in its think time had its request done: that request is in the metrics, the iteration is not.
  const what = sleeps
    ? 'they are not in iterations, nor are the requests they had in flight (a request that ended before its sleep was cut is in the request metrics)'
    : 'they are not in the metrics';
  return `${formatCount(count)} iterations were still running ${when} and were interrupted; ${what}.`;
}

/** Some request of the probe has think time (its own `sleep`, or the probe's). */
export function hasSleep(probe: Pick<Probe, 'sleep' | 'requests'>): boolean {
  return probe.requests.some((r) => ((r.sleep ?? probe.sleep)?.maxMs ?? 0) > 0);
}

/** One line describing the planned load, for headers and logs. */
export function describeScenario(probe: Probe): string {
  const pauses: string[] = [];
  const own = probe.requests.filter((r) => r.sleep !== undefined);
  // The probe's sleep, where a request does not set its own.
  if (probe.sleep && probe.sleep.maxMs > 0 && own.length < probe.requests.length) {
    pauses.push(`think time ${probe.sleep.minMs === probe.sleep.maxMs ? formatDuration(probe.sleep.minMs) : `${formatDuration(probe.sleep.minMs)}–${formatDuration(probe.sleep.maxMs)}`}`);
  }
  if (own.some((r) => r.sleep!.maxMs > 0)) pauses.push('think time per request');
  if (probe.minIterationDuration) pauses.push(`iterations ≥ ${formatDuration(probe.minIterationDuration)}`);
  return describeExecutor(probe) + (pauses.length > 0 ? ` · ${pauses.join(' · ')}` : '');
}

function describeExecutor(probe: Probe): string {
  const s = probe.scenario;
  const dur = formatDuration(regularDurationMs(s));
  const peak = peakArrivalRate(s);
  switch (s.executor) {
    case 'constant-arrival-rate':
      return `constant-arrival-rate: ${formatReqRate(peak ?? 0)} for ${dur}`;
    case 'ramping-arrival-rate':
      return `ramping-arrival-rate: up to ${formatReqRate(peak ?? 0)} over ${dur} in ${s.stages.length} stage${s.stages.length === 1 ? '' : 's'}`;
    case 'constant-vus':
      return `constant-vus: ${s.vus} VUs for ${dur}`;
    case 'ramping-vus':
      return `ramping-vus: up to ${Math.max(s.startVUs, ...s.stages.map((x) => x.target))} VUs over ${dur}`;
    case 'shared-iterations':
      return `shared-iterations: ${s.iterations} iterations shared by ${s.vus} VUs (max ${dur})`;
    case 'per-vu-iterations':
      return `per-vu-iterations: ${s.iterations} iterations × ${s.vus} VUs (max ${dur})`;
  }
}
