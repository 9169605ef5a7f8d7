/**
 * `startRun`: one probe run. The main thread only orchestrates: it starts
 * the load workers (each takes an equal execution segment of the run's
 * segment, so their sum is exactly the configured load), merges their
 * per-interval partials into `IntervalSnapshot`s, evaluates thresholds
 * (abortOnFail, sliding windows) and auto-abort after every interval, and
 * builds the `RunSummary` at the end.
 *
 * @example
 * const run = startRun(probe, { onProgress: (p) => draw(p), signal });
 * const summary = await run.done; // always resolves, also when stopped or failed
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { randomUUID } from 'node:crypto';
import { BurnwatchError, errorMessage, formatDuration, OUTCOMES, redact, siblingModule, startWorker } from '../common/index.ts';
import type { Outcome } from '../common/index.ts';
import { compileExpect } from './expect.ts';
import { encodeSparse } from './histogram.ts';
import { Agg, isTimingMetric, METRIC_DEFS } from './metrics.ts';
import type { FromWorker, ToWorker, WorkerInit, WorkerPartial } from './protocol.ts';
import { readProxyEnv } from './proxy.ts';
import type { ProxyEnv } from './proxy.ts';
import { REDIRECT_STATUSES } from './redirect.ts';
import type { IntervalSnapshot, RequestIntervalStats, RequestSample } from './results.ts';
import { arrivalRateAt, isArrivalRate, maxRunDurationMs, maxVus, peakArrivalRate, regularDurationMs, scenarioIterationShare, shareFraction, shareOf, stageAt, subSegment, WHOLE } from './schedule.ts';
import type { Segment } from './schedule.ts';
import type { Probe, Scenario } from './spec.ts';
import { formatCount, formatMs, formatObserved, formatRate, hasSleep, interruptedWarning, outcomeTotals, summaryMetrics } from './summary.ts';
import type { RunStatus, RunSummary, ThresholdResult } from './summary.ts';
import { compileThresholds, holds, observe, thresholdLabel, worse } from './thresholds.ts';
import { readTlsMaterial, requestOrigins } from './tls-auth.ts';
import type { TlsMaterial } from './tls-auth.ts';
import type { Threshold } from './thresholds.ts';

export interface RunOptions {
  /** Default: a random UUID. */
  runId?: string;
  /** This process's share of the scenario: `index` 0-based (the CLI's `--segment i/n` is 1-based). */
  segment?: Segment;
  /** Load worker threads; default: 1 per 8,000 req/s (open model) or 200 VUs (closed), at most availableParallelism() − 1 (min 1). */
  threads?: number;
  /** Snapshot interval, default 1000 ms. */
  intervalMs?: number;
  /** Fill `RequestIntervalStats.within`. */
  latencyThresholdsMs?: number[];
  /** Fill `RequestIntervalStats.headers` (names case-insensitive). */
  countHeaders?: string[];
  /** Fraction of requests sent with a fresh W3C `traceparent` (sampled) and reported as `RequestSample`; default 0. */
  traceSampleRatio?: number;
  /** Default 50. */
  maxSamplesPerInterval?: number;
  /** Global cap (Service `maxRps`): a probe whose peak arrival rate is above it is rejected, never clipped; a run whose followed redirects take the requests sent above it is stopped. */
  maxRps?: number;
  onInterval?: (s: IntervalSnapshot) => void;
  onProgress?: (p: Progress) => void;
  /** Aborting stops the run gracefully (gracefulStop honoured); the summary is still produced. */
  signal?: AbortSignal;
  /** k6's httpDebug: each request and response (`full`: with bodies) written to `debugOut`. */
  httpDebug?: 'headers' | 'full';
  /** Where httpDebug writes; default stderr. */
  debugOut?: NodeJS.WritableStream;
  /** Where HTTP_PROXY, HTTPS_PROXY and NO_PROXY (and REQUEST_METHOD) are read, once, at the start; default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
}

/** What the live display shows, once per interval. */
export interface Progress {
  runId: string;
  probe: string;
  elapsedMs: number;
  /** startTime + regular duration (without gracefulStop). */
  plannedMs: number;
  /** 1-based stage index, for executors with stages. */
  stage?: { index: number; count: number };
  /** Open model: this process's target arrival rate now (req/s). */
  targetRate?: number;
  /** An arrival-rate executor (the VUs shown are the busy ones; closed model: k6's vus). */
  openModel?: boolean;
  /** Requests completed per second over the last interval. */
  currentRate: number;
  vus: number;
  vusMax: number;
  /** The most VUs busy at once over the last interval (requests in flight). */
  vusBusy: number;
  /** p95 of http_req_duration over the last interval (ms). */
  p95Ms?: number;
  /** http_req_failed over the last interval (0–1). */
  errorRate: number;
  requests: number;
  dropped: number;
  stopping: boolean;
}

export interface ProbeRun {
  runId: string;
  /** Resolves with the summary when the run has ended for any reason (never rejects). */
  done: Promise<RunSummary>;
  /** Graceful stop (gracefulStop honoured); `hard` interrupts in-flight requests at once. */
  stop(reason?: string, options?: { hard?: boolean }): void;
}

const RATE_PER_THREAD = 8_000;
const VUS_PER_THREAD = 200;
const READY_TIMEOUT_MS = 60_000;
const LAG_WARN_MS = 10;

/**
 * A chain that reached its request's redirect limit ends on the redirect,
 * which the default 200–399 accepts (k6 returns it too, and logs that it
 * stopped): one warning per request that had any, so a redirect loop or a
 * limit set too low does not pass unnoticed.
 */
function redirectWarnings(total: Agg, probe: Probe): string[] {
  const out: string[] = [];
  total.requests.forEach((r, i) => {
    const n = r.redirectLimited;
    if (n === 0) return;
    const req = probe.requests[i]!;
    const limit = req.redirects ?? probe.maxRedirects;
    const codes = [...r.statuses.keys()].filter((status) => REDIRECT_STATUSES.includes(Number(status))).join(', ');
    out.push(
      `${formatCount(n)} request${n === 1 ? '' : 's'} to ${req.name} stopped after ${limit} redirect${limit === 1 ? '' : 's'} and got the redirect (HTTP ${codes}) as the response: unless that is a redirect loop, raise redirects (or the probe's maxRedirects), or point the request at the final URL.`,
    );
  });
  return out;
}

/** Files a Node process with its worker threads holds open besides the VUs' sockets (modules, pipes, the event loop's). */
const FD_HEADROOM = 64;

/** The process's soft limit on open files (`ulimit -n`), from /proc on Linux; undefined elsewhere or unlimited. */
function openFileLimit(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A `--segment` that owns none of the scenario's VUs (k6: "Executor … is
 * disabled for segment … due to lack of work"): more segments than VUs.
 */
function idleSegmentWarning(scenario: Scenario, segment: Segment): string | undefined {
  if (segment.count === 1 || maxVus(scenario, segment) > 0) return undefined;
  const [total, key] = isArrivalRate(scenario) ? [scenario.maxVUs, 'maxVUs'] : scenario.executor === 'ramping-vus' ? [maxVus(scenario, WHOLE), 'its peak'] : [scenario.vus, 'vus'];
  return `segment ${segment.index + 1}/${segment.count} holds none of the scenario's ${formatCount(total)} VU${total === 1 ? '' : 's'} (${key}): it sends nothing; use at most ${formatCount(total)} segment${total === 1 ? '' : 's'}.`;
}

/**
 * A warning when the VUs' connections (one each) may not fit under the
 * process's open-file limit: the VUs left without a socket would fail every
 * request with EMFILE, a limit of the generator that reads as the target's.
 */
export function fdLimitWarning(probe: Probe, segment: Segment = WHOLE, limit = openFileLimit()): string | undefined {
  // Each origin has its own pool of one connection per VU (redirect origins, unknown here, more).
  const origins = requestOrigins(probe);
  const needed = maxVus(probe.scenario, segment) * origins.length;
  if (limit === undefined || needed + FD_HEADROOM <= limit) return undefined;
  return `this run may open up to ${formatCount(needed)} connections (one per VU and origin) but the process may open only ${formatCount(limit)} open files (ulimit -n): VUs without a socket fail with EMFILE, the generator's limit, not the target's. Raise it (ulimit -n ${formatCount(needed + FD_HEADROOM * 4).replace(/,/g, '')}) or lower the VUs.`;
}

/** Threads for a scenario when not given: enough for the load, leaving a core to the main thread. */
export function defaultThreads(probe: Probe, segment: Segment = WHOLE): number {
  const spare = Math.max(1, availableParallelism() - 1);
  const peak = peakArrivalRate(probe.scenario);
  const units = Math.max(1, maxVus(probe.scenario, segment));
  const wanted = peak !== undefined ? Math.ceil((peak * shareFraction(scenarioIterationShare(probe.scenario, segment))) / RATE_PER_THREAD) : Math.ceil(units / VUS_PER_THREAD);
  return Math.max(1, Math.min(spare, wanted, units));
}

/** The most VUs one process holds: each keeps a connection, and Linux's default cap on a process's open files (fs.nr_open) is 1,048,576. */
const MAX_VUS_PER_PROCESS = 1_000_000;

function validateOptions(probe: Probe, options: RunOptions): { thresholds: Threshold[]; tls: TlsMaterial | undefined; proxy: ProxyEnv | undefined } {
  const thresholds = compileThresholds(probe);
  const peak = peakArrivalRate(probe.scenario);
  if (options.maxRps !== undefined && peak !== undefined && peak > options.maxRps) {
    throw new BurnwatchError(
      'PROBE_RATE_ABOVE_CAP',
      `probe "${probe.name}" asks for ${formatCount(peak)} requests/s at its peak, above the maxRps cap of ${formatCount(options.maxRps)}; lower the probe's rate or raise maxRps in the Service config (the cap rejects, it never clips)`,
    );
  }
  const seg = options.segment ?? WHOLE;
  if (!Number.isInteger(seg.count) || seg.count < 1 || !Number.isInteger(seg.index) || seg.index < 0 || seg.index >= seg.count) {
    throw new BurnwatchError('PROBE_INVALID_OPTIONS', `segment ${seg.index}/${seg.count} is invalid; expected 0 ≤ index < count`);
  }
  const vus = maxVus(probe.scenario, seg);
  if (vus > MAX_VUS_PER_PROCESS) {
    const segments = Math.ceil(maxVus(probe.scenario, WHOLE) / MAX_VUS_PER_PROCESS);
    throw new BurnwatchError(
      'PROBE_TOO_MANY_VUS',
      `this process would hold ${formatCount(vus)} VUs${seg.count > 1 ? ` (segment ${seg.index + 1}/${seg.count})` : ''}, more than the ${formatCount(MAX_VUS_PER_PROCESS)} one burnwatch process holds (each VU keeps a connection, and a process opens at most ~1M files): split the load over machines with --segment, e.g. --segment 1/${segments}`,
    );
  }
  if (options.threads !== undefined && (!Number.isInteger(options.threads) || options.threads < 1)) {
    throw new BurnwatchError('PROBE_INVALID_OPTIONS', `threads must be a whole number of at least 1, got ${options.threads}`);
  }
  if (options.intervalMs !== undefined && !(options.intervalMs >= 100)) {
    throw new BurnwatchError('PROBE_INVALID_OPTIONS', `intervalMs must be at least 100, got ${options.intervalMs}`);
  }
  // Client certificates and CAs: read once per run (a rotated file is picked up by the next run), checked before any worker starts.
  const tls = readTlsMaterial(probe);
  // The proxy environment, as k6 reads it: once per run, checked before any worker starts.
  const proxy = readProxyEnv(options.env ?? process.env);
  if (proxy?.httpRefused !== undefined && requestOrigins(probe).some((o) => o.startsWith('http:'))) throw new BurnwatchError('PROBE_PROXY_INVALID', proxy.httpRefused);
  return { thresholds, tls, proxy };
}

/**
 * Starts a run. Throws a `BurnwatchError` synchronously for a probe that
 * must not run: invalid thresholds (`PROBE_THRESHOLD_INVALID`), a peak rate
 * above `maxRps` (`PROBE_RATE_ABOVE_CAP`), more VUs than a process holds
 * (`PROBE_TOO_MANY_VUS`), a `tlsAuth` / `tlsCACerts` file that cannot be
 * read or does not fit (`PROBE_TLS_AUTH_INVALID`), an HTTP_PROXY /
 * HTTPS_PROXY that is no http(s) or SOCKS5 proxy URL (`PROBE_PROXY_INVALID`), bad
 * options.
 */
export function startRun(probe: Probe, options: RunOptions = {}): ProbeRun {
  const { thresholds, tls, proxy } = validateOptions(probe, options);
  const controller = new RunController(probe, thresholds, options, tls, proxy);
  controller.start();
  return {
    runId: controller.runId,
    done: controller.done,
    stop: (reason, o) => controller.stop(reason ?? 'stopped', 'external', o?.hard ?? false),
  };
}

interface WorkerHandle {
  index: number;
  worker: Worker;
  ready: boolean;
  /** Highest interval index received. */
  last: number;
  done: boolean;
  failed: boolean;
}

interface IntervalRecord {
  partials: WorkerPartial[];
  start: number;
  end: number;
}

interface ThresholdState {
  t: Threshold;
  failedAt?: number;
  worst?: number;
  evaluated: number;
  failed: number;
  abortedRun: boolean;
}

type StopKind = 'completed' | 'threshold' | 'auto-abort' | 'external' | 'error';

class RunController {
  readonly runId: string;
  readonly done: Promise<RunSummary>;
  private resolve!: (s: RunSummary) => void;
  private readonly segment: Segment;
  /**
   * The open-file warning, decided when the run starts: at the end the VUs'
   * sockets may hold every descriptor the process may open, and reading
   * /proc/self/limits then fails (EMFILE), which dropped the warning.
   */
  private readonly fdWarning: string | undefined;
  /** The fraction of the scenario's iterations this process runs (its segment's share, following VUs). */
  private readonly loadShare: number;
  private readonly threads: number;
  private readonly intervalMs: number;
  private readonly workers: WorkerHandle[] = [];
  private readonly pending = new Map<number, WorkerPartial[]>();
  private nextIndex = 0;
  private readonly total: Agg;
  private readonly interval: Agg;
  private readonly window: Agg;
  /** k6's request timings are kept per request (a threshold filters one by request), else for all requests together. */
  private readonly timingsByRequest: boolean;
  private readonly ring: IntervalRecord[] = [];
  private readonly ringSize: number;
  private readonly states: ThresholdState[];
  private readonly accepted: Uint8Array[];
  private startAt = 0;
  private started = false;
  private stopKind: StopKind | undefined;
  private stopReason: string | undefined;
  private hardStopSent = false;
  private errorMessage: string | undefined;
  private finalized = false;
  private streak = { ms: 0, failed: 0, total: 0 };
  private breakpoint: { lastPassingRate: number | null; failedAtRate: number } | undefined;
  private lastPassingRate: number | null = null;
  private readonly abortListener = (): void => this.stop('interrupted', 'external', false);

  constructor(
    private readonly probe: Probe,
    thresholds: Threshold[],
    private readonly options: RunOptions,
    private readonly tls?: TlsMaterial,
    private readonly proxy?: ProxyEnv,
  ) {
    this.runId = options.runId ?? randomUUID();
    this.segment = options.segment ?? WHOLE;
    this.fdWarning = fdLimitWarning(probe, this.segment);
    this.loadShare = shareFraction(scenarioIterationShare(probe.scenario, this.segment));
    this.intervalMs = options.intervalMs ?? 1000;
    const units = Math.max(1, maxVus(probe.scenario, this.segment));
    this.threads = Math.max(1, Math.min(options.threads ?? defaultThreads(probe, this.segment), units));
    this.done = new Promise((resolve) => (this.resolve = resolve));
    this.accepted = probe.requests.map((r) => compileExpect(r.expect).acceptedStatus);
    const withinCount = options.latencyThresholdsMs?.length ?? 0;
    // k6's request timings are kept per request only when a threshold filters one by request.
    this.timingsByRequest = thresholds.some((t) => isTimingMetric(t.metric) && t.filter.requests !== undefined);
    this.total = new Agg(probe.requests.length, withinCount, this.accepted, true, this.timingsByRequest);
    this.interval = new Agg(probe.requests.length, withinCount, this.accepted, false, this.timingsByRequest);
    this.window = new Agg(probe.requests.length, withinCount, this.accepted, false, this.timingsByRequest, false);
    this.states = thresholds.map((t) => ({ t, evaluated: 0, failed: 0, abortedRun: false }));
    const maxWindow = Math.max(0, ...thresholds.map((t) => t.windowMs ?? 0));
    this.ringSize = Math.max(1, Math.ceil(maxWindow / this.intervalMs));
  }

  start(): void {
    const signal = this.options.signal;
    if (signal) {
      if (signal.aborted) {
        // Ends the run before any worker exists (see stop): none is started.
        this.stop('interrupted', 'external', false);
        return;
      }
      signal.addEventListener('abort', this.abortListener, { once: true });
    }
    const maxSamples = this.options.maxSamplesPerInterval ?? 50;
    // Statuses whose latency thresholds filter by: the workers keep those apart.
    const latencyStatuses = [...new Set(this.states.flatMap(({ t }) => (METRIC_DEFS[t.metric].type === 'trend' && t.filter.status !== undefined ? [Number(t.filter.status)] : [])))];
    const scenario = this.probe.scenario;
    const sharedIterations = scenario.executor === 'shared-iterations' ? { counter: new SharedArrayBuffer(4), segment: this.segment } : undefined;
    const sharedVus = isArrivalRate(scenario) ? { counter: new SharedArrayBuffer(4), max: shareOf(scenario.maxVUs, this.segment), segment: this.segment } : undefined;
    for (let i = 0; i < this.threads; i++) {
      const init: WorkerInit = {
        runId: this.runId,
        probe: this.probe,
        segment: subSegment(this.segment, i, this.threads),
        worker: i,
        threads: this.threads,
        intervalMs: this.intervalMs,
        latencyThresholdsMs: this.options.latencyThresholdsMs ?? [],
        latencyStatuses,
        timingsByRequest: this.timingsByRequest,
        countHeaders: this.options.countHeaders ?? [],
        traceSampleRatio: this.options.traceSampleRatio ?? 0,
        maxSamples: Math.ceil(maxSamples / this.threads),
        ...(sharedIterations ? { sharedIterations } : {}),
        ...(sharedVus ? { sharedVus } : {}),
        ...(this.tls ? { tls: this.tls } : {}),
        ...(this.proxy ? { proxy: this.proxy } : {}),
        ...(this.options.httpDebug ? { httpDebug: this.options.httpDebug } : {}),
      };
      let worker: Worker;
      try {
        worker = startWorker(siblingModule(import.meta.url, 'load-worker'), { workerData: init });
      } catch (err) {
        this.fail(`could not start load worker ${i}: ${errorMessage(err)}`);
        return;
      }
      const h: WorkerHandle = { index: i, worker, ready: false, last: -1, done: false, failed: false };
      this.workers.push(h);
      worker.on('message', (msg: FromWorker) => this.onMessage(h, msg));
      worker.on('error', (err) => this.onWorkerFailure(h, `load worker ${i} crashed: ${errorMessage(err)}`));
      worker.on('exit', (code) => {
        if (!h.done) this.onWorkerFailure(h, `load worker ${i} exited (code ${code}) before finishing`);
      });
    }
    const readyTimer = setTimeout(() => {
      if (!this.started) this.fail(`load workers did not start within ${READY_TIMEOUT_MS / 1000}s`);
    }, READY_TIMEOUT_MS);
    readyTimer.unref();
  }

  private send(h: WorkerHandle, msg: ToWorker): void {
    if (!h.done && !h.failed) h.worker.postMessage(msg);
  }

  private onMessage(h: WorkerHandle, msg: FromWorker): void {
    try {
      switch (msg.type) {
        case 'ready':
          h.ready = true;
          if (!this.started && this.workers.length === this.threads && this.workers.every((w) => w.ready)) this.begin();
          break;
        case 'interval':
          h.last = msg.partial.index;
          this.addPartial(msg.partial);
          break;
        case 'done':
          h.last = msg.partial.index;
          h.done = true;
          this.addPartial(msg.partial);
          void h.worker.terminate();
          break;
        case 'fatal':
          this.onWorkerFailure(h, `load worker ${h.index} failed: ${msg.message}`);
          break;
        case 'debug':
          (this.options.debugOut ?? process.stderr).write(msg.text);
          break;
      }
      this.emitReady();
    } catch (err) {
      this.fail(`merging results failed: ${errorMessage(err)}`);
    }
  }

  private begin(): void {
    this.started = true;
    this.startAt = performance.timeOrigin + performance.now() + 30;
    for (const w of this.workers) this.send(w, { type: 'start', startAt: this.startAt });
    if (this.stopKind) for (const w of this.workers) this.send(w, { type: 'stop', hard: this.hardStopSent });
  }

  private onWorkerFailure(h: WorkerHandle, message: string): void {
    if (h.done || h.failed) return;
    h.failed = true;
    h.done = true;
    void h.worker.terminate();
    this.errorMessage ??= message;
    this.stop(message, 'error', true);
    if (!this.started) this.fail(message);
    else this.emitReady();
  }

  private fail(message: string): void {
    this.errorMessage ??= message;
    this.stopKind ??= 'error';
    this.stopReason ??= message;
    for (const w of this.workers) {
      w.done = true;
      void w.worker.terminate();
    }
    this.finalize();
  }

  stop(reason: string, kind: StopKind, hard: boolean): void {
    if (this.finalized) return;
    if (!this.stopKind) {
      this.stopKind = kind;
      this.stopReason = reason;
    }
    if (hard) this.hardStopSent = true;
    if (!this.started) {
      // Still preparing (warm-up, pre-connecting to a target that may hang): nothing was sent, so there
      // is nothing to wait for; the summary says why it ended.
      if (kind !== 'error') {
        for (const w of this.workers) w.done = true;
        this.finalize();
      }
      return;
    }
    for (const w of this.workers) this.send(w, { type: 'stop', hard });
  }

  private addPartial(p: WorkerPartial): void {
    const list = this.pending.get(p.index);
    if (list) list.push(p);
    else this.pending.set(p.index, [p]);
  }

  /** Emits every interval all workers have reported (or finished before). */
  private emitReady(): void {
    if (this.finalized || !this.started) return;
    for (;;) {
      const k = this.nextIndex;
      if (!this.workers.every((w) => w.last >= k || w.done)) return;
      const partials = this.pending.get(k);
      if (!partials) {
        if (this.workers.every((w) => w.done && w.last < k)) {
          this.finalize();
          return;
        }
        if (this.workers.every((w) => w.done)) {
          this.nextIndex++;
          continue;
        }
        return;
      }
      this.pending.delete(k);
      this.emitInterval(k, partials);
      this.nextIndex++;
    }
  }

  private emitInterval(k: number, partials: WorkerPartial[]): void {
    const start = this.startAt + k * this.intervalMs;
    const end = partials.reduce((m, p) => Math.max(m, p.end), start);
    this.interval.reset();
    this.interval.addInterval(partials, start, end);
    this.total.addInterval(partials, start, end);
    this.ring.push({ partials, start, end });
    if (this.ring.length > this.ringSize) this.ring.shift();
    const elapsed = end - this.startAt;
    const targetRate = this.targetRateAt(elapsed);
    if (this.options.onInterval) this.safely(() => this.options.onInterval!(this.snapshot(k, partials, start, end, targetRate)));
    this.evaluate(elapsed, end, targetRate);
    this.autoAbort(start, end);
    this.redirectCap(start, end);
    if (this.options.onProgress) this.safely(() => this.options.onProgress!(this.progress(elapsed, targetRate)));
  }

  private safely(fn: () => void): void {
    try {
      fn();
    } catch {
      // A consumer's callback must not break the run.
    }
  }

  /** This process's target arrival rate (req/s) at `elapsed` ms from the run's start; none after the scenario's regular duration (its gracefulStop asks for no rate). */
  private targetRateAt(elapsed: number): number | undefined {
    const s = this.probe.scenario;
    if (!isArrivalRate(s) || elapsed > s.startTime + regularDurationMs(s)) return undefined;
    return arrivalRateAt(s, elapsed - s.startTime) * this.loadShare;
  }

  private snapshot(_k: number, partials: WorkerPartial[], start: number, end: number, targetRate: number | undefined): IntervalSnapshot {
    const thresholdsMs = this.options.latencyThresholdsMs ?? [];
    const requests: RequestIntervalStats[] = this.probe.requests.map((r, i) => {
      const agg = this.interval.requests[i]!;
      const outcomes = Object.fromEntries(OUTCOMES.map((o, j) => [o, agg.outcomes[j]!])) as Record<Outcome, number>;
      return {
        request: r.name,
        outcomes,
        statuses: Object.fromEntries(agg.statuses),
        latencyUs: encodeSparse(partials.map((p) => p.requests[i]!.latency)),
        waitingUs: encodeSparse(partials.map((p) => p.requests[i]!.waiting)),
        within: Object.fromEntries(thresholdsMs.map((ms, j) => [String(ms), agg.within[j]!])),
        headers: Object.fromEntries([...agg.headers].map(([h, m]) => [h, Object.fromEntries(m)])),
        dataReceived: agg.received,
        dataSent: agg.sent,
      };
    });
    const samples: RequestSample[] = partials.flatMap((p) => p.samples).slice(0, this.options.maxSamplesPerInterval ?? 50);
    return {
      runId: this.runId,
      probe: this.probe.name,
      start,
      end,
      requests,
      iterations: this.interval.iterations,
      droppedIterations: this.interval.dropped,
      vus: this.interval.vus.value,
      vusMax: this.interval.vusMax.value,
      vusBusy: this.interval.vusBusy.value,
      samples,
      ...(targetRate !== undefined ? { targetRate } : {}),
    };
  }

  /**
   * Evaluates the thresholds after an interval: windowed ones on their
   * window, abortOnFail ones without a window on the whole run so far. A
   * failing abortOnFail threshold (past its delayAbortEval) aborts the run
   * hard, as k6 does. The target rate counts as a breakpoint's passing rate
   * only when every abortOnFail threshold was actually evaluated here (had
   * data, a full window, past delayAbortEval) and held.
   */
  private evaluate(elapsed: number, now: number, targetRate: number | undefined): void {
    let abortFailing: ThresholdState | undefined;
    let abortValue: number | undefined;
    let allAbortersPass = true;
    // Each window length is built once (its thresholds observe it together), not once per threshold.
    const windowed = new Map<ThresholdState, number | undefined>();
    for (const st of this.states) {
      const windowMs = st.t.windowMs;
      if (windowMs === undefined || windowed.has(st)) continue;
      const n = Math.ceil(windowMs / this.intervalMs);
      if (this.ring.length < n || elapsed < windowMs - this.intervalMs / 2) continue;
      this.window.reset();
      for (const rec of this.ring.slice(-n)) this.window.addInterval(rec.partials, rec.start, rec.end);
      for (const other of this.states) if (other.t.windowMs === windowMs) windowed.set(other, observe(other.t, this.window));
    }
    for (const st of this.states) {
      const t = st.t;
      let value: number | undefined;
      if (t.windowMs !== undefined) {
        if (!windowed.has(st)) {
          // Not a full window yet.
          if (t.abortOnFail) allAbortersPass = false;
          continue;
        }
        value = windowed.get(st);
        if (value === undefined) {
          if (t.abortOnFail) allAbortersPass = false;
          continue;
        }
        st.evaluated++;
        if (!holds(t.expr.operator, value, t.expr.value)) {
          st.failed++;
          st.failedAt ??= now;
        }
        st.worst = st.worst === undefined ? value : worse(t.expr.operator, t.expr.value, st.worst, value);
      } else {
        if (!t.abortOnFail) continue;
        value = observe(t, this.total);
        if (value === undefined) {
          allAbortersPass = false;
          continue;
        }
        if (!holds(t.expr.operator, value, t.expr.value)) st.failedAt ??= now;
      }
      if (!t.abortOnFail) continue;
      const failing = !holds(t.expr.operator, value, t.expr.value);
      const judged = elapsed >= t.delayAbortEvalMs;
      if (failing || !judged) allAbortersPass = false;
      if (failing && judged && !abortFailing) {
        abortFailing = st;
        abortValue = value;
      }
    }
    const hasAborters = this.states.some((s) => s.t.abortOnFail);
    if (hasAborters && allAbortersPass && targetRate !== undefined) this.lastPassingRate = targetRate;
    if (abortFailing && abortValue !== undefined && !this.stopKind) {
      abortFailing.abortedRun = true;
      const t = abortFailing.t;
      const agg = /^\s*([a-z]+(?:\([^)]*\))?)/.exec(t.expr.source)?.[1] ?? 'value';
      const window = t.windowMs !== undefined ? ` over the last ${formatDuration(t.windowMs)}` : '';
      let reason = `threshold ${thresholdLabel(t)} crossed (abortOnFail): ${agg}=${formatObserved(t.key, abortValue, t.expr.aggregation)}${window}`;
      if (targetRate !== undefined) reason += ` at ${formatRate(targetRate)} req/s`;
      // A breakpoint is the last rate a ramp reached that met the thresholds: a constant rate has none.
      if (targetRate !== undefined && this.probe.scenario.executor === 'ramping-arrival-rate') {
        this.breakpoint = { lastPassingRate: this.lastPassingRate, failedAtRate: targetRate };
        reason += `; last rate that met it: ${this.lastPassingRate === null ? 'none' : `${formatRate(this.lastPassingRate)} req/s`}`;
      }
      // k6 cancels the run's context here: no gracefulStop, in-flight
      // iterations are interrupted (counted apart, not in the metrics).
      this.stop(reason, 'threshold', true);
    }
  }

  /**
   * `maxRps` rejects an arrival-rate probe that asks for more, but each
   * redirect a chain follows is one more request to the target (a redirect
   * loop at the default limit: 11 per iteration), and so is each answer to
   * a Digest challenge (auth: digest). An interval in which the requests
   * sent — iterations started plus redirect and digest hops sent, counted when
   * sent, not when their chains end — were more than 1 % and two requests
   * above the cap (this process's share of it) stops the run, as auto-abort
   * does: never clipped. A short interval (the run's last) is not judged:
   * a few requests in it say nothing about a rate.
   */
  private redirectCap(start: number, end: number): void {
    const cap = this.options.maxRps;
    const ms = end - start;
    if (cap === undefined || this.stopKind || !isArrivalRate(this.probe.scenario) || ms < this.intervalMs / 2) return;
    const redirects = this.interval.redirectsSent;
    const challenges = this.interval.challengesSent;
    const hops = redirects + challenges;
    const started = this.interval.started;
    const allowed = cap * this.loadShare;
    if (hops === 0 || started + hops <= (allowed * 1.01 * ms) / 1000 + 2) return;
    const plural = (n: number, word: string): string => `${formatCount(n)} ${word}${n === 1 ? '' : 's'}`;
    const which = this.loadShare < 1 ? `this segment’s share of maxRps (${formatCount(allowed)}/s of ${formatCount(cap)}/s)` : `maxRps (${formatCount(cap)}/s)`;
    const sent = [...(redirects > 0 ? [plural(redirects, 'redirect')] : []), ...(challenges > 0 ? [plural(challenges, 'digest answer')] : [])].join(' and ');
    const digestNote = 'auth: digest sends two requests per iteration (the challenge, then the answer)';
    const advice =
      challenges === 0
        ? 'Point the requests at their final URLs, lower redirects (maxRedirects) or the rate, or raise maxRps'
        : redirects === 0
          ? `With ${digestNote}: lower the rate, or raise maxRps`
          : `Point the requests at their final URLs, lower redirects (maxRedirects) or the rate (${digestNote}), or raise maxRps`;
    this.stop(
      `${redirects > 0 && challenges > 0 ? 'redirects and digest challenges' : redirects > 0 ? 'redirects' : 'digest challenges'} raised the requests sent to ${formatCount(Math.round(((started + hops) * 1000) / ms))}/s, above ${which}: ${sent} sent beside ${plural(started, 'iteration')} in ${formatDuration(Math.round(ms))}. ${advice}`,
      'auto-abort',
      false,
    );
  }

  private autoAbort(start: number, end: number): void {
    // Once every worker is done the run has ended by itself: nothing is left to stop (a short run's last,
    // partial interval would otherwise count a streak below `for` as long enough).
    if (this.workers.every((w) => w.done)) return;
    const { errorRate, for: forMs } = this.probe.autoAbort;
    const { total, failed } = this.interval.failures();
    if (total === 0) {
      // Nothing completed: the failing streak (if any) goes on in wall time; a sparse probe is not let off.
      if (this.streak.ms === 0) return;
      this.streak.ms += end - start;
    } else if (failed / total > errorRate) {
      this.streak.ms += end - start;
      this.streak.failed += failed;
      this.streak.total += total;
    } else {
      this.streak = { ms: 0, failed: 0, total: 0 };
    }
    if (this.streak.ms >= forMs - this.intervalMs / 2 && !this.stopKind) {
      const pct = (r: number): string => `${Math.round(r * 1000) / 10} %`;
      this.stop(
        `auto-abort: error rate ${pct(this.streak.failed / this.streak.total)} > ${pct(errorRate)} for ${formatDuration(Math.round(this.streak.ms / 1000) * 1000)}`,
        'auto-abort',
        false,
      );
    }
  }

  private progress(elapsed: number, targetRate: number | undefined): Progress {
    const s = this.probe.scenario;
    const { total, failed } = this.interval.failures();
    const seconds = this.interval.seconds();
    const latency = this.interval.trend('http_req_duration');
    const stage = stageAt(s, elapsed - s.startTime);
    return {
      runId: this.runId,
      probe: this.probe.name,
      elapsedMs: elapsed,
      plannedMs: s.startTime + regularDurationMs(s),
      ...(stage ? { stage: { index: stage.index + 1, count: stage.count } } : {}),
      ...(targetRate !== undefined ? { targetRate } : {}),
      openModel: isArrivalRate(s),
      currentRate: seconds > 0 ? total / seconds : 0,
      vus: this.interval.vus.value,
      vusMax: this.interval.vusMax.value,
      vusBusy: this.interval.vusBusy.value,
      ...(latency.totalCount > 0 ? { p95Ms: latency.getValueAtPercentile(95) / 1000 } : {}),
      errorRate: total > 0 ? failed / total : 0,
      requests: this.total.count('http_reqs'),
      dropped: this.total.dropped,
      stopping: this.stopKind !== undefined,
    };
  }

  private finalize(): void {
    if (this.finalized) return;
    this.finalized = true;
    this.options.signal?.removeEventListener('abort', this.abortListener);
    for (const w of this.workers) void w.worker.terminate();
    let summary: RunSummary;
    try {
      summary = this.buildSummary();
    } catch (err) {
      summary = this.emptySummary(`building the summary failed: ${errorMessage(err)}`);
    }
    this.resolve(summary);
  }

  private thresholdResults(): ThresholdResult[] {
    return this.states.map((st) => {
      const t = st.t;
      let value: number | undefined;
      let ok: boolean;
      if (t.windowMs !== undefined && st.evaluated > 0) {
        value = st.worst;
        ok = st.failed === 0;
      } else {
        value = observe(t, this.total);
        ok = value === undefined || holds(t.expr.operator, value, t.expr.value);
        if (st.abortedRun) ok = false;
        if (t.windowMs !== undefined && value !== undefined) {
          st.evaluated = 1;
          st.failed = ok ? 0 : 1;
          if (!ok) st.failedAt ??= this.total.end;
        }
      }
      return {
        metric: t.key,
        threshold: t.expr.source.trim(),
        ok,
        value: value ?? null,
        abortOnFail: t.abortOnFail,
        delayAbortEvalMs: t.delayAbortEvalMs,
        ...(t.windowMs !== undefined
          ? { windowMs: t.windowMs, windows: { evaluated: st.evaluated, failed: st.failed, firstFailedAt: st.failedAt !== undefined ? new Date(st.failedAt).toISOString() : null } }
          : {}),
        ...(st.abortedRun ? { abortedRun: true } : {}),
        ...(value === undefined ? { noData: true } : {}),
      };
    });
  }

  private buildSummary(): RunSummary {
    const thresholds = this.thresholdResults();
    const s = this.probe.scenario;
    const endMs = Number.isFinite(this.total.end) ? this.total.end : performance.timeOrigin + performance.now();
    const startMs = this.started ? this.startAt : endMs;
    let status: RunStatus;
    if (this.stopKind === 'error' || this.errorMessage) status = 'error';
    else if (this.stopKind === 'auto-abort' || this.stopKind === 'external') status = 'aborted';
    else if (thresholds.some((t) => !t.ok)) status = 'failed';
    else status = 'passed';
    const metrics = summaryMetrics(
      this.total,
      this.probe,
      this.states.map((st) => ({ key: st.t.key, metric: st.t.metric, filter: st.t.filter })),
    );
    for (const t of thresholds) {
      const m = metrics[t.metric];
      const key = t.windowMs !== undefined ? `${t.threshold} (window ${formatDuration(t.windowMs)})` : t.threshold;
      if (m) (m.thresholds ??= {})[key] = { ok: t.ok };
    }
    const warnings: string[] = [];
    const idle = idleSegmentWarning(s, this.segment);
    if (idle !== undefined) warnings.push(idle);
    if (this.fdWarning !== undefined) warnings.push(this.fdWarning);
    const dropped = this.total.dropped;
    if (dropped > 0 && (s.executor === 'shared-iterations' || s.executor === 'per-vu-iterations')) {
      const planned = this.total.iterations + this.total.interrupted + dropped;
      warnings.push(
        `${formatCount(dropped)} of ${formatCount(planned)} iterations (${Math.round((dropped / Math.max(1, planned)) * 1000) / 10} %) did not start before maxDuration (${formatDuration(s.maxDuration)}) ended the scenario: raise maxDuration or vus, or lower iterations.`,
      );
    } else if (dropped > 0) {
      const started = this.total.iterations + this.total.interrupted + dropped;
      const vusMax = this.total.vusMax.max;
      // A VU is busy for its whole iteration: the request and any think time (sleep).
      const p99 = Math.max(metrics.http_req_duration?.values['p(99)'] ?? 0, metrics.iteration_duration?.values['p(99)'] ?? 0);
      const peak = peakArrivalRate(s) ?? 0;
      warnings.push(
        `${formatCount(dropped)} of ${formatCount(started)} iterations (${Math.round((dropped / Math.max(1, started)) * 1000) / 10} %) were dropped because all ${vusMax} VUs were busy: the load generator, not the target, limited the load. Raise maxVUs (about rate × iteration time ≈ ${formatCount(Math.ceil((peak * this.loadShare * p99) / 1000) + 1)} VUs) or lower the rate.`,
      );
    }
    const lag = this.total.lag;
    if (lag.totalCount > 0 && lag.getValueAtPercentile(99) / 1000 > LAG_WARN_MS) {
      warnings.push(
        `the generator fell behind its schedule: start lag p99 ${formatMs(lag.getValueAtPercentile(99) / 1000)} (> ${LAG_WARN_MS} ms); the generator's CPU was the limit and latencies include this delay. Use more --threads or split the load with --segment.`,
      );
    }
    if (this.total.interrupted > 0) warnings.push(interruptedWarning(this.total.interrupted, this.probe.scenario.executor, this.stopKind === 'threshold', hasSleep(this.probe)));
    warnings.push(...redirectWarnings(this.total, this.probe));
    for (const t of thresholds) if (t.noData) warnings.push(`threshold ${t.metric} ${t.threshold} had no data to evaluate (it passes, as in k6).`);
    const errors = [...this.total.errors.values()].sort((a, b) => b.count - a.count).slice(0, 10);
    let stopReason = this.stopReason ?? 'completed';
    if (this.stopKind === undefined) stopReason = 'completed';
    return {
      runId: this.runId,
      probe: this.probe.name,
      target: redact(this.probe.target, []),
      executor: s.executor,
      startedAt: new Date(startMs).toISOString(),
      endedAt: new Date(endMs).toISOString(),
      durationMs: Math.max(0, Math.round(endMs - startMs)),
      status,
      stopReason,
      segment: { index: this.segment.index + 1, count: this.segment.count },
      threads: this.threads,
      outcomes: outcomeTotals(this.total),
      metrics,
      thresholds,
      droppedIterations: dropped,
      interruptedIterations: this.total.interrupted,
      redirects: this.perRequest('redirects'),
      retries: this.perRequest('retries'),
      challenges: this.perRequest('challenges'),
      protocols: this.protocols(),
      errors,
      warnings,
      ...(this.breakpoint ? { breakpoint: this.breakpoint } : {}),
    };
  }

  /** Responses per protocol (k6's `proto` tag) by request name, leaving out the protocols (and requests) with none. */
  private protocols(): Record<string, Partial<Record<'HTTP/1.1' | 'HTTP/2.0', number>>> {
    return Object.fromEntries(
      this.total.requests.flatMap((r, i) => {
        const h1 = r.waiting.totalCount - r.h2;
        if (h1 + r.h2 === 0) return [];
        return [[this.probe.requests[i]!.name, { ...(h1 > 0 ? { 'HTTP/1.1': h1 } : {}), ...(r.h2 > 0 ? { 'HTTP/2.0': r.h2 } : {}) }]];
      }),
    );
  }

  /** A count of the run's totals by request name, leaving out the requests where it is 0. */
  private perRequest(count: 'redirects' | 'retries' | 'challenges'): Record<string, number> {
    return Object.fromEntries(this.total.requests.flatMap((r, i) => (r[count] > 0 ? [[this.probe.requests[i]!.name, r[count]]] : [])));
  }

  private emptySummary(reason: string): RunSummary {
    const now = new Date().toISOString();
    return {
      runId: this.runId,
      probe: this.probe.name,
      target: redact(this.probe.target, []),
      executor: this.probe.scenario.executor,
      startedAt: now,
      endedAt: now,
      durationMs: 0,
      status: 'error',
      stopReason: reason,
      segment: { index: this.segment.index + 1, count: this.segment.count },
      threads: this.threads,
      outcomes: Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>,
      metrics: {},
      thresholds: [],
      droppedIterations: 0,
      interruptedIterations: 0,
      redirects: {},
      retries: {},
      challenges: {},
      protocols: {},
      errors: [],
      warnings: [],
    };
  }
}

/** Milliseconds a run of the probe can take at most (startTime + duration + gracefulStop). */
export function maxRunMs(probe: Probe): number {
  return maxRunDurationMs(probe.scenario);
}
