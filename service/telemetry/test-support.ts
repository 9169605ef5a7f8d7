/**
 * Test helpers: synthetic interval snapshots (real HDR encoding, exact
 * `within` counts computed the way the engine does), a logger that keeps
 * its lines, and a strict OpenMetrics reader. Binaries, ports and the OTLP
 * receiver are in `test/`.
 */
import { randomBytes } from 'node:crypto';
import * as hdr from 'hdr-histogram-js';
import { OUTCOMES } from '../../common/index.ts';
import type { Outcome } from '../../common/index.ts';
import type { IntervalSnapshot, RequestIntervalStats, RequestSample } from '../../probes/index.ts';
import { createLogger } from '../logger.ts';
import type { Logger } from '../logger.ts';

export interface SyntheticRequest {
  request: string;
  /** One latency (ms) per request, with its outcome (default ok) and status (default 200, 0 for no response). */
  latenciesMs: readonly number[];
  outcome?: Outcome;
  status?: number;
  /** Cache header values counted for these requests. */
  cache?: Record<string, number>;
}

/** A snapshot of `requests`, counting `within` for `thresholdsMs` (absent thresholds are not counted, like a run not asked to). */
export function snapshot(
  base: { runId: string; probe: string; start?: number },
  requests: readonly SyntheticRequest[],
  thresholdsMs: readonly number[],
  samples: readonly RequestSample[] = [],
  extra: Partial<Pick<IntervalSnapshot, 'droppedIterations' | 'vus' | 'vusMax' | 'vusBusy'>> = {},
): IntervalSnapshot {
  const start = base.start ?? 1_700_000_000_000;
  const byName = new Map<string, RequestIntervalStats>();
  const hists = new Map<string, hdr.Histogram>();
  for (const r of requests) {
    let stats = byName.get(r.request);
    if (stats === undefined) {
      stats = {
        request: r.request,
        outcomes: Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>,
        statuses: {},
        latencyUs: '',
        waitingUs: '',
        within: Object.fromEntries(thresholdsMs.map((t) => [String(t), 0])),
        headers: {},
        dataReceived: 0,
        dataSent: 0,
      };
      byName.set(r.request, stats);
      hists.set(r.request, hdr.build({ bitBucketSize: 32, lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 }));
    }
    const h = hists.get(r.request)!;
    const outcome = r.outcome ?? 'ok';
    const status = r.status ?? 200;
    for (const ms of r.latenciesMs) {
      stats.outcomes[outcome]++;
      if (status > 0) stats.statuses[String(status)] = (stats.statuses[String(status)] ?? 0) + 1;
      h.recordValue(Math.round(ms * 1000));
      // As the engine counts: only ok requests can be within a threshold.
      if (outcome === 'ok') for (const t of thresholdsMs) if (ms <= t) stats.within[String(t)]!++;
    }
    if (r.cache) {
      const counts = (stats.headers['x-cache'] ??= {});
      for (const [v, n] of Object.entries(r.cache)) counts[v] = (counts[v] ?? 0) + n;
    }
  }
  for (const [name, stats] of byName) {
    const h = hists.get(name)!;
    stats.latencyUs = hdr.encodeIntoCompressedBase64(h);
    stats.waitingUs = stats.latencyUs;
    h.destroy();
  }
  return {
    runId: base.runId,
    probe: base.probe,
    start,
    end: start + 1000,
    requests: [...byName.values()],
    iterations: requests.reduce((n, r) => n + r.latenciesMs.length, 0),
    droppedIterations: extra.droppedIterations ?? 0,
    vus: extra.vus ?? 10,
    vusMax: extra.vusMax ?? 20,
    vusBusy: extra.vusBusy ?? 5,
    samples: [...samples],
  };
}

let counter = 0;
/** A sampled request with fresh W3C ids, as the engine reports it. */
export function sample(request: string, latencyMs: number, overrides: Partial<RequestSample> = {}): RequestSample {
  counter++;
  return {
    traceId: randomBytes(16).toString('hex'),
    spanId: randomBytes(8).toString('hex'),
    request,
    method: 'GET',
    url: `http://127.0.0.1:8081/v1/${request}?user=u-${counter}`,
    status: 200,
    outcome: 'ok',
    startTime: 1_700_000_000_000 + counter,
    durationMs: latencyMs,
    latencyMs,
    ...overrides,
  };
}

/** A real JSON logger whose lines are kept (parsed). */
export function memoryLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ level: 'debug', write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, lines };
}

/** Env for a test instance: no OTLP, OTel metrics on an ephemeral port. */
export const QUIET_ENV: NodeJS.ProcessEnv = { OTEL_EXPORTER_PROMETHEUS_PORT: '0' };

const LABELS = /^\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"(?:,|(?=\})))*)\}/;
const LABEL_PAIR = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\.)*)"/g;
const NUMBER = /^(?:[+-]?Inf|NaN|[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)$/;

function parseLabels(s: string): { labels: Record<string, string>; rest: string } | undefined {
  if (!s.startsWith('{')) return { labels: {}, rest: s };
  const m = LABELS.exec(s);
  if (!m) return undefined;
  const labels: Record<string, string> = {};
  for (const p of m[1]!.matchAll(LABEL_PAIR)) labels[p[1]!] = p[2]!;
  return { labels, rest: s.slice(m[0].length) };
}

const SUFFIXES: Record<string, readonly string[]> = {
  counter: ['_total', '_created'],
  gauge: [''],
  histogram: ['_bucket', '_sum', '_count', '_created'],
  summary: ['', '_sum', '_count', '_created'],
  info: ['_info'],
  stateset: [''],
  gaugehistogram: ['_bucket', '_gsum', '_gcount'],
  unknown: [''],
};

/**
 * Problems with an OpenMetrics 1.0 exposition, strictly enough for what
 * burnwatch writes: `# EOF` last and once, one TYPE per family and families
 * not interleaved, sample names matching their family's type, numbers in the
 * spec's syntax and no NaN, exemplars only on counters and buckets (≤ 128
 * label characters), histogram buckets cumulative with `+Inf` = `_count`.
 */
export function openMetricsProblems(body: string): string[] {
  const problems: string[] = [];
  if (!body.endsWith('# EOF\n')) problems.push('does not end with "# EOF\\n"');
  const lines = body.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const declared = new Map<string, string>();
  const closed = new Set<string>();
  let family: { name: string; type: string } | undefined;
  const buckets = new Map<string, { les: [number, number][]; count?: number }>();
  lines.forEach((line, i) => {
    const at = `line ${i + 1}`;
    if (line === '# EOF') {
      if (i !== lines.length - 1) problems.push(`${at}: # EOF before the end`);
      return;
    }
    const meta = /^# (HELP|TYPE|UNIT) ([a-zA-Z_:][a-zA-Z0-9_:]*)(?: (.*))?$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta;
      let current = family;
      if (current === undefined || current.name !== name) {
        if (current) closed.add(current.name);
        if (closed.has(name!)) problems.push(`${at}: family ${name} appears twice`);
        current = { name: name!, type: declared.get(name!) ?? 'unknown' };
        family = current;
      }
      if (kind === 'TYPE') {
        if (declared.has(name!)) problems.push(`${at}: duplicate TYPE for ${name}`);
        if (!(rest! in SUFFIXES)) problems.push(`${at}: unknown type ${rest}`);
        declared.set(name!, rest!);
        current.type = rest!;
      }
      return;
    }
    if (line.startsWith('#')) {
      problems.push(`${at}: comment lines other than HELP/TYPE/UNIT/EOF are not OpenMetrics`);
      return;
    }
    const nm = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line);
    if (!nm) {
      problems.push(`${at}: not a sample: ${line}`);
      return;
    }
    const name = nm[1]!;
    if (!family || !SUFFIXES[family.type]!.some((s) => name === family!.name + s)) {
      problems.push(`${at}: sample ${name} outside its family (${family?.name ?? 'none'} ${family?.type ?? ''})`);
      return;
    }
    const parsed = parseLabels(line.slice(name.length));
    if (!parsed) {
      problems.push(`${at}: bad label set: ${line}`);
      return;
    }
    const [sampleAndTs, exemplar] = parsed.rest.split(' # ');
    const parts = sampleAndTs!.trim().split(' ');
    const value = parts[0] ?? '';
    if (!sampleAndTs!.startsWith(' ') || !NUMBER.test(value) || parts.length > 2) problems.push(`${at}: bad value "${value}"`);
    if (value === 'NaN' || /\bNan\b/.test(line)) problems.push(`${at}: NaN value`);
    if (exemplar !== undefined) {
      if (!(family.type === 'counter' && name.endsWith('_total')) && !(family.type === 'histogram' && name.endsWith('_bucket'))) {
        problems.push(`${at}: exemplar on ${name}, only counters and histogram buckets may have one`);
      }
      const ex = parseLabels(exemplar);
      const exParts = ex?.rest.trim().split(' ') ?? [];
      if (!ex || exParts.length < 1 || exParts.length > 2 || !exParts.every((p) => NUMBER.test(p))) problems.push(`${at}: bad exemplar ${exemplar}`);
      else if (Object.entries(ex.labels).reduce((n, [k, v]) => n + k.length + v.length, 0) > 128) problems.push(`${at}: exemplar labels longer than 128 characters`);
    }
    if (family.type === 'histogram') {
      const { le, ...rest } = parsed.labels;
      const key = `${family.name}${JSON.stringify(rest)}`;
      const b = buckets.get(key) ?? { les: [] };
      buckets.set(key, b);
      if (name.endsWith('_bucket')) {
        if (le === undefined) problems.push(`${at}: bucket without le`);
        else b.les.push([le === '+Inf' ? Infinity : Number(le), Number(value)]);
      } else if (name.endsWith('_count')) b.count = Number(value);
    }
  });
  for (const [key, b] of buckets) {
    for (let i = 1; i < b.les.length; i++) {
      if (!(b.les[i]![0] > b.les[i - 1]![0])) problems.push(`${key}: le values not increasing`);
      if (b.les[i]![1] < b.les[i - 1]![1]) problems.push(`${key}: bucket counts decrease at le=${b.les[i]![0]}`);
    }
    const inf = b.les.at(-1);
    if (!inf || inf[0] !== Infinity) problems.push(`${key}: no +Inf bucket`);
    else if (b.count !== inf[1]) problems.push(`${key}: +Inf bucket ${inf[1]} ≠ _count ${b.count}`);
  }
  return problems;
}

/** One value of a sample in a text or OpenMetrics body, by name and labels (subset match). */
export function sampleValue(body: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of body.split('\n')) {
    if (!line.startsWith(name) || !/[ {]/.test(line[name.length] ?? '')) continue;
    const parsed = parseLabels(line.slice(name.length));
    if (!parsed) continue;
    if (!Object.entries(labels).every(([k, v]) => parsed.labels[k] === v)) continue;
    return Number(parsed.rest.trim().split(' ')[0]);
  }
  return undefined;
}

/** The exemplar on a sample line (labels and value), if any. */
export function exemplarOf(body: string, name: string, labels: Record<string, string>): { labels: Record<string, string>; value: number } | undefined {
  for (const line of body.split('\n')) {
    if (!line.startsWith(name) || !/[ {]/.test(line[name.length] ?? '')) continue;
    const parsed = parseLabels(line.slice(name.length));
    if (!parsed || !Object.entries(labels).every(([k, v]) => parsed.labels[k] === v)) continue;
    const ex = parsed.rest.split(' # ')[1];
    if (ex === undefined) return undefined;
    const e = parseLabels(ex);
    return e ? { labels: e.labels, value: Number(e.rest.trim().split(' ')[0]) } : undefined;
  }
  return undefined;
}
