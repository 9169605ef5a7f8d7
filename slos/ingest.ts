/**
 * From load-engine results to SLI buckets. Pure: a probe's 1 s
 * `IntervalSnapshot` becomes, per SLO, the good/total counts to add to the
 * minute it falls in. What a run must count for that (`within` thresholds,
 * tracked headers) comes from `sliRequirements`.
 *
 * Per indicator (events of the SLO's request, or of every request of the probe):
 * - latency: good = finished within the threshold (exact `within` count; from
 *   the HDR histogram only when the run did not count it); total = all requests.
 * - errorRate: good = outcome ok; bad = the bad outcome classes minus responses
 *   with an excluded status (counted apart, e.g. 429: http_errors, taken out of
 *   the bad events when http_error is one); total = good + bad.
 * - cacheHit (header): good = responses whose header value is a hit value;
 *   total = responses carrying the header (no header = not a cache lookup).
 * - uptime: good = outcome ok, total = all; the timeslice rule (≥ 1 success)
 *   lives in the budgeting.
 */
import type { IntervalSnapshot, RequestIntervalStats } from '../probes/results.ts';
import { totalOutcomes } from '../common/index.ts';
import { countWithin, mergeHistograms } from './latency.ts';
import type { Indicator, Slo } from './model.ts';
import type { BucketDelta, SliStore } from './store.ts';

export interface SliRequirements {
  /** Thresholds (ms) whose exact `within` counts the run must report. */
  latencyThresholdsMs: number[];
  /** Response headers (lower-case) whose values the run must count. */
  countHeaders: string[];
}

/**
 * What a run of `probeName` must count for the SLOs on it.
 *
 * @example
 * sliRequirements(slos, 'assignment') // { latencyThresholdsMs: [100], countHeaders: ['x-cache'] }
 */
export function sliRequirements(slos: readonly Slo[], probeName: string): SliRequirements {
  const thresholds = new Set<number>();
  const headers = new Set<string>();
  for (const slo of slos) {
    if (slo.probe !== probeName) continue;
    const i = slo.indicator;
    if (i.kind === 'latency') thresholds.add(i.thresholdMs);
    if (i.kind === 'cacheHit' && i.source === 'header') headers.add(i.header);
  }
  return { latencyThresholdsMs: [...thresholds].sort((a, b) => a - b), countHeaders: [...headers].sort() };
}

/** The key of a threshold in `RequestIntervalStats.within`. */
export function withinKey(thresholdMs: number): string {
  return String(thresholdMs);
}

/** Whether a cache header value is a hit for this indicator (null: the header was absent, not a lookup). */
export function classifyCacheHeader(indicator: Extract<Indicator, { kind: 'cacheHit'; source: 'header' }>, value: string): 'hit' | 'miss' | null {
  if (value === '') return null;
  const v = value.toLowerCase();
  return indicator.hitValues.some((h) => h.toLowerCase() === v) ? 'hit' : 'miss';
}

function requestsOf(indicator: Indicator, snapshot: IntervalSnapshot): RequestIntervalStats[] {
  const request = 'request' in indicator ? indicator.request : null;
  return request === null ? snapshot.requests : snapshot.requests.filter((r) => r.request === request);
}

/**
 * The bucket deltas one snapshot adds to one SLO (empty when the snapshot is
 * another probe's or has no events for the SLO).
 *
 * @example
 * ingestSnapshot(slo, snapshot) // [{ minute: snapshot.start, good: 998, total: 1000 }]
 */
export function ingestSnapshot(slo: Slo, snapshot: IntervalSnapshot): BucketDelta[] {
  if (snapshot.probe !== slo.probe) return [];
  const i = slo.indicator;
  if (i.kind === 'cacheHit' && i.source === 'scrape') return [];
  const requests = requestsOf(i, snapshot);
  let good = 0;
  let total = 0;
  let latencyUs: string | undefined;
  switch (i.kind) {
    case 'latency': {
      const key = withinKey(i.thresholdMs);
      for (const r of requests) {
        const n = totalOutcomes(r.outcomes);
        total += n;
        if (n === 0) continue;
        // `within` counts only ok requests, so a fast failure is a bad event; without it (a run not
        // asked to count this threshold) the histogram holds every outcome, so cap at the ok count.
        const within = r.within[key];
        good += within ?? Math.min(countWithin(r.latencyUs, i.thresholdMs * 1000), r.outcomes.ok);
      }
      const hists = requests.filter((r) => totalOutcomes(r.outcomes) > 0).map((r) => r.latencyUs);
      latencyUs = mergeHistograms(hists) ?? undefined;
      break;
    }
    case 'errorRate': {
      for (const r of requests) {
        const ok = r.outcomes.ok ?? 0;
        let bad = 0;
        for (const o of i.badOutcomes) bad += r.outcomes[o] ?? 0;
        // An excluded status is an unexpected one, an `http_error` (the config refuses one the probe expects):
        // it leaves the bad events only if http_error is one of them, and never takes other classes' with it.
        if (i.excludeStatus.length > 0 && i.badOutcomes.includes('http_error')) {
          let excluded = 0;
          for (const s of i.excludeStatus) excluded += r.statuses[String(s)] ?? 0;
          bad -= Math.min(excluded, r.outcomes.http_error ?? 0);
        }
        good += ok;
        total += ok + bad;
      }
      break;
    }
    case 'cacheHit': {
      for (const r of requests) {
        const values = r.headers[i.header] ?? {};
        for (const [value, n] of Object.entries(values)) {
          const c = classifyCacheHeader(i, value);
          if (c === null) continue;
          total += n;
          if (c === 'hit') good += n;
        }
      }
      break;
    }
    case 'uptime': {
      for (const r of requests) {
        good += r.outcomes.ok ?? 0;
        total += totalOutcomes(r.outcomes);
      }
      break;
    }
  }
  if (total === 0 && good === 0 && latencyUs === undefined) return [];
  const delta: BucketDelta = { minute: snapshot.start, good, total };
  if (latencyUs !== undefined) delta.latencyUs = latencyUs;
  return [delta];
}

/** Ingests one snapshot for every SLO on its probe, in one store transaction. */
export function recordSnapshot(store: SliStore, slos: readonly Slo[], snapshot: IntervalSnapshot): void {
  const batch = slos.filter((s) => s.probe === snapshot.probe).map((s) => ({ slo: s.name, deltas: ingestSnapshot(s, snapshot) }));
  const nonEmpty = batch.filter((b) => b.deltas.length > 0);
  if (nonEmpty.length > 0) store.appendMany(nonEmpty);
}

// ---------------------------------------------------------------------------
// Cache hit ratio scraped from the target's own Prometheus metrics.

/** One scrape of a `cacheHit: { scrape, hits, total }` SLO's counters. */
export interface ScrapeSample {
  at: number;
  hits: number;
  total: number;
}

interface Matcher {
  name: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
  re?: RegExp;
}

function parseLabels(text: string): Map<string, string> | null {
  const out = new Map<string, string>();
  const re = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?/y;
  let pos = 0;
  while (pos < text.length) {
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) return text.slice(pos).trim() === '' ? out : null;
    out.set(m[1]!, m[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c)));
    pos = re.lastIndex;
  }
  return out;
}

function parseSelector(selector: string): { name: string; matchers: Matcher[] } {
  const brace = selector.indexOf('{');
  const name = brace < 0 ? selector : selector.slice(0, brace);
  const matchers: Matcher[] = [];
  if (brace >= 0) {
    const body = selector.slice(brace + 1, -1);
    const re = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*,?/y;
    let pos = 0;
    while (pos < body.length) {
      re.lastIndex = pos;
      const m = re.exec(body);
      if (!m) break;
      const op = m[2] as Matcher['op'];
      const value = m[3]!.replace(/\\(.)/g, '$1');
      matchers.push({ name: m[1]!, op, value, ...(op === '=~' || op === '!~' ? { re: new RegExp(`^(?:${value})$`) } : {}) });
      pos = re.lastIndex;
    }
  }
  return { name, matchers };
}

/**
 * Σ of the samples of a Prometheus text exposition matching a selector
 * (`name` or `name{label="v", other=~"re"}`); null when no sample matches.
 *
 * @example
 * sumSamples('hits_total{cache="a"} 10\nhits_total{cache="b"} 5\n', 'hits_total') // 15
 */
export function sumSamples(exposition: string, selector: string): number | null {
  const { name, matchers } = parseSelector(selector);
  let sum: number | null = null;
  for (const raw of exposition.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || !line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    let labels = new Map<string, string>();
    let valuePart: string;
    if (rest.startsWith('{')) {
      const end = rest.lastIndexOf('}');
      if (end < 0) continue;
      const parsed = parseLabels(rest.slice(1, end));
      if (!parsed) continue;
      labels = parsed;
      valuePart = rest.slice(end + 1);
    } else if (rest.startsWith(' ') || rest.startsWith('\t')) {
      valuePart = rest;
    } else {
      continue;
    }
    const ok = matchers.every((m) => {
      const v = labels.get(m.name) ?? '';
      if (m.op === '=') return v === m.value;
      if (m.op === '!=') return v !== m.value;
      if (m.op === '=~') return m.re!.test(v);
      return !m.re!.test(v);
    });
    if (!ok) continue;
    const value = Number(valuePart.trim().split(/\s+/)[0]);
    if (!Number.isFinite(value)) continue;
    sum = (sum ?? 0) + value;
  }
  return sum;
}

/**
 * The bucket delta between two scrapes of a scraped cache-hit SLO: counter
 * increases, with a counter reset (a value going down) read as a restart from 0.
 * Returns nothing for the first scrape.
 */
export function scrapeDelta(prev: ScrapeSample | null, cur: ScrapeSample): BucketDelta[] {
  if (!prev) return [];
  const inc = (a: number, b: number): number => (b >= a ? b - a : b);
  const total = inc(prev.total, cur.total);
  const hits = Math.min(inc(prev.hits, cur.hits), total);
  if (total === 0) return [];
  return [{ minute: cur.at, good: hits, total }];
}
