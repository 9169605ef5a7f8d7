/**
 * The k6 metrics a run reports, their tag filters (sub-metrics such as
 * `http_req_duration{request:get_variant}`), and `Agg`: the mergeable
 * totals of a span of intervals (the whole run, a sliding window, one
 * interval) that thresholds and the summary read.
 */
import type { Histogram } from 'hdr-histogram-js';
import { OUTCOMES } from '../common/index.ts';
import type { Outcome } from '../common/index.ts';
import { countError } from './error-counts.ts';
import { addSparse, newIntervalHistogram, newTotalHistogram } from './histogram.ts';
import type { SparseHistogram } from './histogram.ts';
import type { ErrorCount, TimingName, WorkerPartial } from './protocol.ts';
import type { ProbeSpec } from './spec.ts';

export type MetricType = 'counter' | 'gauge' | 'rate' | 'trend';

/**
 * Which tags a metric can be filtered by: `none`; `request` (the request's
 * name, method and static tags); `waiting` (those and `status`); `latency`
 * (those and `expected_response`); `response` (those and `outcome`).
 * Latency by status is kept only for the statuses thresholds name
 * (`latencyStatuses`), as k6 keeps a sub-metric only when one is referenced.
 */
type Scope = 'none' | 'request' | 'waiting' | 'latency' | 'response';

interface MetricDef {
  type: MetricType;
  contains: 'default' | 'time' | 'data';
  scope: Scope;
  description: string;
}

export const METRIC_DEFS = {
  http_reqs: { type: 'counter', contains: 'default', scope: 'response', description: 'requests completed' },
  http_req_failed: { type: 'rate', contains: 'default', scope: 'response', description: 'share of requests that failed (unexpected status or no response)' },
  http_req_duration: {
    type: 'trend',
    contains: 'time',
    scope: 'latency',
    description: 'latency, ms: from the scheduled start (open model) or from sending (closed model) to the end of the body',
  },
  http_req_waiting: { type: 'trend', contains: 'time', scope: 'waiting', description: 'time to first byte, ms: from the request written to the response headers' },
  http_req_blocked: {
    type: 'trend',
    contains: 'time',
    scope: 'request',
    description: 'time before the request could be written, ms: waiting for a free connection, a DNS lookup, and opening the connection (a redirect chain: every hop)',
  },
  http_req_connecting: {
    type: 'trend',
    contains: 'time',
    scope: 'request',
    description: 'TCP connect, ms, of the connection the request opened (after the DNS lookup); 0 on a reused connection or one opened before the run',
  },
  http_req_tls_handshaking: { type: 'trend', contains: 'time', scope: 'request', description: 'TLS handshake, ms, of the connection the request opened; 0 on a reused one' },
  http_req_sending: { type: 'trend', contains: 'time', scope: 'request', description: 'writing the request, ms: until the kernel has taken all of it' },
  http_req_receiving: { type: 'trend', contains: 'time', scope: 'request', description: 'receiving the body, ms: from the response headers to its end' },
  checks: { type: 'rate', contains: 'default', scope: 'request', description: 'share of requests that met all their expectations (status, headers, JSON): a request with another status, a timeout or a connection error fails' },
  data_received: { type: 'counter', contains: 'data', scope: 'request', description: 'bytes received: all the socket read for the request (status line, headers, body and its framing; https: the decrypted bytes)' },
  data_sent: { type: 'counter', contains: 'data', scope: 'request', description: 'bytes sent' },
  iteration_duration: { type: 'trend', contains: 'time', scope: 'none', description: 'iteration time, ms: from sending to the end of the body' },
  iterations: { type: 'counter', contains: 'default', scope: 'none', description: 'iterations completed' },
  dropped_iterations: { type: 'counter', contains: 'default', scope: 'none', description: 'iterations not started: no VU free (open model), or left when maxDuration ended (shared-iterations, per-vu-iterations)' },
  http_req_start_lag: { type: 'trend', contains: 'time', scope: 'none', description: 'open model: actual send − scheduled start, ms (the generator’s own delay)' },
  vus: { type: 'gauge', contains: 'default', scope: 'none', description: 'VUs active (k6: open model, every allocated VU)' },
  vus_max: { type: 'gauge', contains: 'default', scope: 'none', description: 'VUs allocated' },
  vus_busy: {
    type: 'gauge',
    contains: 'default',
    scope: 'none',
    description: 'burnwatch: the most VUs busy at once in an interval (requests in flight; in the open model also VUs in their think time, which cannot take an arrival), summed over threads',
  },
} as const satisfies Record<string, MetricDef>;

export type MetricName = keyof typeof METRIC_DEFS;
export const METRIC_NAMES = Object.keys(METRIC_DEFS) as MetricName[];

export function isMetricName(name: string): name is MetricName {
  return Object.hasOwn(METRIC_DEFS, name);
}

/** The timing trends a worker ships in `WorkerPartial.timings`, by metric. */
const TIMINGS = {
  http_req_blocked: 'blocked',
  http_req_connecting: 'connecting',
  http_req_tls_handshaking: 'tlsHandshaking',
  http_req_sending: 'sending',
  http_req_receiving: 'receiving',
} as const satisfies Partial<Record<MetricName, TimingName>>;
const TIMING_NAMES = Object.values(TIMINGS);

/** Whether a metric is one of k6's request timings kept apart from the requests' own totals (see `Agg.timings`). */
export function isTimingMetric(metric: MetricName): boolean {
  return Object.hasOwn(TIMINGS, metric);
}

/** A sub-metric's selection. `requests` undefined = all requests. At most one of status/expected/outcome. */
export interface Filter {
  requests?: boolean[];
  status?: string;
  expected?: boolean;
  outcome?: Outcome;
}

/** The static tags of each request: its name, method and tags, over the probe's and the scenario's tags. */
export function requestTags(probe: ProbeSpec): Record<string, string>[] {
  return probe.requests.map((r) => ({ ...probe.tags, ...probe.scenario.tags, ...r.tags, request: r.name, name: r.name, method: r.method }));
}

const DYNAMIC: Record<Scope, string[]> = {
  none: [],
  request: [],
  waiting: ['status'],
  latency: ['expected_response', 'status'],
  response: ['expected_response', 'status', 'outcome'],
};

/**
 * Builds a filter from `key:value` tag pairs; throws a `RangeError` with a
 * sentence naming what can be used instead.
 */
export function buildFilter(metric: MetricName, tags: readonly [string, string][], requestTagSets: Record<string, string>[]): Filter {
  const def: MetricDef = METRIC_DEFS[metric];
  if (tags.length === 0) return {};
  if (def.scope === 'none') throw new RangeError(`${metric} has no tags to filter by; remove the {…} filter`);
  const staticKeys = [...new Set(requestTagSets.flatMap((t) => Object.keys(t)))];
  const dynamic = DYNAMIC[def.scope];
  const filter: Filter = {};
  let requests: boolean[] | undefined;
  let dynamicUsed: string | undefined;
  for (const [key, value] of tags) {
    if (dynamic.includes(key)) {
      if (dynamicUsed !== undefined) throw new RangeError(`${dynamicUsed} and ${key} cannot be combined in one filter; use one of them`);
      dynamicUsed = key;
      if (key === 'expected_response') {
        if (value !== 'true' && value !== 'false') throw new RangeError(`expected_response is true or false, got "${value}"`);
        filter.expected = value === 'true';
      } else if (key === 'status') {
        // k6 tags a request that got no response with status 0; here its outcome says why it got none.
        if (value === '0') {
          const instead = dynamic.includes('outcome') ? `${metric}{outcome:timeout}` : 'http_reqs{outcome:timeout}';
          throw new RangeError(`status:0 (k6’s status of a request without a response) is not kept; count those by their outcome, e.g. ${instead} (or connect_error, reset)`);
        }
        if (!/^[1-5]\d\d$/.test(value)) throw new RangeError(`status is an HTTP status code such as 200, got "${value}"`);
        filter.status = value;
      } else {
        if (!(OUTCOMES as readonly string[]).includes(value)) throw new RangeError(`outcome "${value}" is not one of ${OUTCOMES.join(', ')}`);
        filter.outcome = value as Outcome;
      }
      continue;
    }
    if (!staticKeys.includes(key)) {
      if (key === 'status' || key === 'outcome' || key === 'expected_response') {
        const instead: Partial<Record<string, string>> = {
          'http_req_duration outcome': '; use status:N or expected_response:false, or a counter such as http_reqs{outcome:timeout}',
          'http_req_waiting outcome': '; use status:N, or a counter such as http_reqs{outcome:timeout}',
          'http_req_waiting expected_response': '; use status:N, or http_req_duration{expected_response:true}',
        };
        throw new RangeError(`${metric} cannot be filtered by ${key}${instead[`${metric} ${key}`] ?? ''}`);
      }
      const can = [...staticKeys.filter((k) => k !== 'name'), ...dynamic];
      throw new RangeError(`unknown tag "${key}" for ${metric}; it can be filtered by ${can.join(', ')}`);
    }
    const match = requestTagSets.map((t) => t[key] === value);
    if (!match.some(Boolean)) {
      const values = [...new Set(requestTagSets.map((t) => t[key]).filter((v): v is string => v !== undefined))];
      throw new RangeError(
        key === 'request' || key === 'name'
          ? `no request named "${value}"; the probe's requests: ${values.join(', ')}`
          : `no request has ${key}:${value}; values of ${key}: ${values.join(', ')}`,
      );
    }
    requests = requests ? requests.map((m, i) => m && match[i]!) : match;
  }
  if (requests && !requests.some(Boolean)) {
    throw new RangeError(`no request matches all of ${tags.filter(([k]) => !dynamic.includes(k)).map(([k, v]) => `${k}:${v}`).join(', ')}`);
  }
  if (requests && !requests.every(Boolean)) filter.requests = requests;
  return filter;
}

const OK = OUTCOMES.indexOf('ok');
const ASSERTION = OUTCOMES.indexOf('assertion_failed');

class RequestTotals {
  outcomes: number[] = OUTCOMES.map(() => 0);
  statuses = new Map<string, number>();
  expected = 0;
  latency: Histogram;
  waiting: Histogram;
  expectedLatency: Histogram;
  /** Latency and waiting time of responses with a status a threshold filters by (`latencyStatuses`). */
  readonly byStatus = new Map<string, { latency: Histogram; waiting: Histogram }>();
  within: number[];
  headers = new Map<string, Map<string, number>>();
  received = 0;
  sent = 0;
  redirects = 0;
  redirectLimited = 0;
  retries = 0;
  challenges = 0;
  /** Responses over HTTP/2 (of the `waiting.totalCount` responses; the rest over HTTP/1.1). */
  h2 = 0;

  constructor(
    withinCount: number,
    private readonly make: () => Histogram,
  ) {
    this.latency = make();
    this.waiting = make();
    this.expectedLatency = make();
    this.within = new Array<number>(withinCount).fill(0);
  }

  total(): number {
    let n = 0;
    for (const c of this.outcomes) n += c;
    return n;
  }

  addStatus(status: string, latency: SparseHistogram, waiting: SparseHistogram): void {
    let h = this.byStatus.get(status);
    if (!h) this.byStatus.set(status, (h = { latency: this.make(), waiting: this.make() }));
    addSparse(h.latency, latency);
    addSparse(h.waiting, waiting);
  }

  reset(): void {
    this.outcomes.fill(0);
    this.statuses.clear();
    this.expected = 0;
    this.latency.reset();
    this.waiting.reset();
    this.expectedLatency.reset();
    for (const h of this.byStatus.values()) {
      h.latency.reset();
      h.waiting.reset();
    }
    this.within.fill(0);
    this.headers.clear();
    this.received = 0;
    this.sent = 0;
    this.redirects = 0;
    this.redirectLimited = 0;
    this.retries = 0;
    this.challenges = 0;
    this.h2 = 0;
  }
}

export interface GaugeValues {
  value: number;
  min: number;
  max: number;
}

const MAX_ERROR_KINDS = 50;

/**
 * Totals over a span of intervals: counters, outcome and status counts,
 * and histograms (µs) per request, plus the run-level series.
 */
export class Agg {
  readonly requests: RequestTotals[];
  /** k6's request timings: one set per request, or one for all (`timingsByRequest`). */
  readonly timings: Record<TimingName, Histogram>[];
  readonly iteration: Histogram;
  readonly lag: Histogram;
  iterations = 0;
  /** Iterations started and redirect hops sent (the requests sent are their sum). */
  started = 0;
  redirectsSent = 0;
  challengesSent = 0;
  dropped = 0;
  interrupted = 0;
  vus: GaugeValues = { value: 0, min: Infinity, max: 0 };
  vusMax: GaugeValues = { value: 0, min: Infinity, max: 0 };
  vusBusy: GaugeValues = { value: 0, min: Infinity, max: 0 };
  /** Epoch ms of the span. */
  start = Infinity;
  end = -Infinity;
  intervals = 0;
  readonly errors = new Map<string, ErrorCount>();
  private readonly scratch: Histogram;
  /**
   * Whether `RequestTotals.headers` counts header values: for an interval
   * (`IntervalSnapshot.headers` is built from one), not for a window or the
   * run's totals, which nothing reads them from and where a header
   * with ever-new values (a server name, a request id) would grow for as
   * long as the run lasts.
   */
  private readonly countsHeaders: boolean;

  /**
   * `total`: the run's totals (64-bit histogram counts, no header values);
   * else an interval or a window. `countsHeaders`: false for a window.
   */
  constructor(
    requestCount: number,
    withinCount: number,
    private readonly acceptedStatus: readonly Uint8Array[],
    total = true,
    timingsByRequest = false,
    countsHeaders = !total,
  ) {
    this.countsHeaders = countsHeaders;
    const make = total ? newTotalHistogram : newIntervalHistogram;
    this.requests = Array.from({ length: requestCount }, () => new RequestTotals(withinCount, make));
    this.timings = Array.from({ length: timingsByRequest ? requestCount : 1 }, () => Object.fromEntries(TIMING_NAMES.map((t) => [t, make()])) as Record<TimingName, Histogram>);
    this.iteration = make();
    this.lag = make();
    this.scratch = make();
  }

  reset(): void {
    for (const r of this.requests) r.reset();
    for (const set of this.timings) for (const t of TIMING_NAMES) set[t].reset();
    this.iteration.reset();
    this.lag.reset();
    this.iterations = 0;
    this.started = 0;
    this.redirectsSent = 0;
    this.challengesSent = 0;
    this.dropped = 0;
    this.interrupted = 0;
    this.vus = { value: 0, min: Infinity, max: 0 };
    this.vusMax = { value: 0, min: Infinity, max: 0 };
    this.vusBusy = { value: 0, min: Infinity, max: 0 };
    this.start = Infinity;
    this.end = -Infinity;
    this.intervals = 0;
    this.errors.clear();
  }

  /** Adds one interval: the partials of every worker for it, covering [start, end). */
  addInterval(partials: readonly WorkerPartial[], start: number, end: number): void {
    let vus = 0;
    let vusMax = 0;
    let busy = 0;
    for (const p of partials) {
      p.requests.forEach((src, i) => {
        const dst = this.requests[i]!;
        for (let o = 0; o < src.outcomes.length; o++) dst.outcomes[o]! += src.outcomes[o]!;
        for (const [status, n] of Object.entries(src.statuses)) dst.statuses.set(status, (dst.statuses.get(status) ?? 0) + n);
        dst.expected += src.expected;
        addSparse(dst.latency, src.latency);
        addSparse(dst.waiting, src.waiting);
        addSparse(dst.expectedLatency, src.expectedLatency);
        for (const [status, h] of Object.entries(src.byStatus)) dst.addStatus(status, h.latency, h.waiting);
        src.within.forEach((n, k) => (dst.within[k]! += n));
        if (this.countsHeaders) {
          for (const [header, values] of Object.entries(src.headers)) {
            let m = dst.headers.get(header);
            if (!m) dst.headers.set(header, (m = new Map<string, number>()));
            for (const [v, n] of Object.entries(values)) m.set(v, (m.get(v) ?? 0) + n);
          }
        }
        dst.received += src.received;
        dst.sent += src.sent;
        dst.redirects += src.redirects;
        dst.redirectLimited += src.redirectLimited;
        dst.retries += src.retries;
        dst.challenges += src.challenges;
        dst.h2 += src.h2;
      });
      p.timings.forEach((src, i) => {
        const dst = this.timings[i];
        if (dst) for (const t of TIMING_NAMES) addSparse(dst[t], src[t]);
      });
      addSparse(this.iteration, p.iteration);
      addSparse(this.lag, p.lag);
      this.iterations += p.iterations;
      this.started += p.started;
      this.redirectsSent += p.redirectsSent;
      this.challengesSent += p.challengesSent;
      this.dropped += p.dropped;
      this.interrupted += p.interrupted;
      vus += p.vus;
      vusMax += p.vusMax;
      busy += p.busy;
      for (const e of p.errors) countError(this.errors, MAX_ERROR_KINDS, e.outcome, e.message, e.count, e.overcount);
    }
    for (const [g, v] of [
      [this.vus, vus],
      [this.vusMax, vusMax],
      [this.vusBusy, busy],
    ] as const) {
      g.value = v;
      g.min = Math.min(g.min, v);
      g.max = Math.max(g.max, v);
    }
    this.start = Math.min(this.start, start);
    this.end = Math.max(this.end, end);
    this.intervals++;
  }

  /** Length of the span in seconds. */
  seconds(): number {
    return this.end > this.start ? (this.end - this.start) / 1000 : 0;
  }

  private selected(filter: Filter): RequestTotals[] {
    const mask = filter.requests;
    return mask ? this.requests.filter((_, i) => mask[i]) : this.requests;
  }

  /** A trend's histogram (µs) for a filter; valid until the next call. */
  trend(metric: MetricName, filter: Filter = {}): Histogram {
    switch (metric) {
      case 'iteration_duration':
        return this.iteration;
      case 'http_req_start_lag':
        return this.lag;
      case 'http_req_waiting':
      case 'http_req_duration': {
        const h = this.scratch;
        h.reset();
        for (const r of this.selected(filter)) {
          if (filter.status !== undefined) {
            const s = r.byStatus.get(filter.status);
            if (s) h.add(metric === 'http_req_waiting' ? s.waiting : s.latency);
          } else if (metric === 'http_req_waiting') h.add(r.waiting);
          else if (filter.expected === true) h.add(r.expectedLatency);
          else {
            h.add(r.latency);
            if (filter.expected === false) h.subtract(r.expectedLatency);
          }
        }
        return h;
      }
      case 'http_req_blocked':
      case 'http_req_connecting':
      case 'http_req_tls_handshaking':
      case 'http_req_sending':
      case 'http_req_receiving': {
        const name = TIMINGS[metric];
        const mask = filter.requests;
        if (this.timings.length === 1) {
          if (mask) throw new RangeError(`${metric} is kept for all requests together: filtering it by request needs timingsByRequest`);
          return this.timings[0]![name];
        }
        const h = this.scratch;
        h.reset();
        this.timings.forEach((set, i) => {
          if (!mask || mask[i]) h.add(set[name]);
        });
        return h;
      }
      default:
        throw new RangeError(`${metric} is not a trend`);
    }
  }

  /** A counter's count for a filter. */
  count(metric: MetricName, filter: Filter = {}): number {
    switch (metric) {
      case 'iterations':
        return this.iterations;
      case 'dropped_iterations':
        return this.dropped;
      case 'data_received':
      case 'data_sent':
        return this.selected(filter).reduce((n, r) => n + (metric === 'data_sent' ? r.sent : r.received), 0);
      case 'http_reqs':
        return this.selected(filter).reduce((n, r) => {
          if (filter.outcome !== undefined) return n + r.outcomes[OUTCOMES.indexOf(filter.outcome)]!;
          if (filter.status !== undefined) return n + (r.statuses.get(filter.status) ?? 0);
          if (filter.expected !== undefined) return n + (filter.expected ? r.expected : r.total() - r.expected);
          return n + r.total();
        }, 0);
      default:
        throw new RangeError(`${metric} is not a counter`);
    }
  }

  /** A rate metric's "true" count and total for a filter. */
  rate(metric: MetricName, filter: Filter = {}): { pass: number; total: number } {
    let pass = 0;
    let total = 0;
    const mask = filter.requests;
    this.requests.forEach((r, i) => {
      if (mask && !mask[i]) return;
      if (metric === 'checks') {
        // A request's expect (status, headers, JSON) is its check: only `ok`
        // met all of it; a timeout or a refused connection fails its status
        // check, as a k6 check on r.status fails on status 0.
        pass += r.outcomes[OK]!;
        total += r.total();
        return;
      }
      if (metric !== 'http_req_failed') throw new RangeError(`${metric} is not a rate`);
      if (filter.outcome !== undefined) {
        const o = OUTCOMES.indexOf(filter.outcome);
        const n = r.outcomes[o]!;
        total += n;
        if (o !== OK && o !== ASSERTION) pass += n;
      } else if (filter.status !== undefined) {
        const n = r.statuses.get(filter.status) ?? 0;
        total += n;
        if (this.acceptedStatus[i]?.[Number(filter.status)] !== 1) pass += n;
      } else if (filter.expected !== undefined) {
        const n = filter.expected ? r.expected : r.total() - r.expected;
        total += n;
        if (!filter.expected) pass += n;
      } else {
        const n = r.total();
        total += n;
        pass += n - r.outcomes[OK]! - r.outcomes[ASSERTION]!;
      }
    });
    return { pass, total };
  }

  gauge(metric: MetricName): GaugeValues {
    const g = metric === 'vus' ? this.vus : metric === 'vus_max' ? this.vusMax : metric === 'vus_busy' ? this.vusBusy : undefined;
    if (!g) throw new RangeError(`${metric} is not a gauge`);
    return { value: g.value, min: g.min === Infinity ? 0 : g.min, max: g.max };
  }

  /** Requests completed and failed (http_req_failed) over the span, all requests. */
  failures(): { total: number; failed: number } {
    const { pass, total } = this.rate('http_req_failed');
    return { total, failed: pass };
  }
}
