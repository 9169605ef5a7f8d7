/**
 * The demo target: a small experimentation-platform API that burnwatch's
 * probes load by default.
 *
 * It is a load target, so it is written for throughput on one core: plain
 * `node:http`, a router whose static lookups allocate nothing, synchronous
 * cache hits, histogram children cached per (route, status), and fault
 * injection that costs one boolean check while no fault is set.
 *
 * Request pipeline for `/v1/*`:
 *
 * ```
 *  traceparent ─▶ route ─▶ rate limit ─▶ leak ─▶ latency (timer) ─▶ errorRate ─▶ handler
 *                             429                                     500
 * ```
 *
 * The analytics route runs the circuit breaker *before* the faults, so that
 * injected errors and latency count as failures of the guarded call, and an
 * open breaker answers 503 at once.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, OutgoingHttpHeaders, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Registry } from 'prom-client';
import { BurnwatchError, errorMessage } from '../../common/index.ts';
import { computeResults } from './analytics.ts';
import { assignVariant, evaluateFlag } from './assignment.ts';
import { BREAKER_STATE_VALUE, CircuitBreaker } from './circuit-breaker.ts';
import type { BreakerOptions } from './circuit-breaker.ts';
import { CachedConfig, ConfigStore } from './config-store.ts';
import { EventAggregator, EventQueue, validateBatch } from './events.ts';
import type { DemoEvent } from './events.ts';
import { FaultInjector, FaultValidationError, parseFaultPatch } from './faults.ts';
import type { Faults } from './faults.ts';
import { HttpError, parseJson, parseQuery, readBody } from './http.ts';
import { createDemoMetrics } from './metrics.ts';
import type { DemoMetrics, DurationObserver } from './metrics.ts';
import { ValidationError, flagFromBody, newExperiment, replacedExperiment } from './model.ts';
import type { CompiledExperiment, CompiledFlag } from './model.ts';
import type { RateLimitOptions } from './rate-limiter.ts';
import { RateLimiter } from './rate-limiter.ts';
import { RingBuffer } from './ring-buffer.ts';
import { Router } from './router.ts';
import { defaultSeed } from './seed.ts';
import type { SeedData } from './seed.ts';

export type DemoLogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Receives the target's log lines; the default drops them. */
export type DemoLogger = (level: DemoLogLevel, message: string, fields?: Readonly<Record<string, unknown>>) => void;

/** Options of `createDemoTarget` / `startDemoTarget`; every one has a default. */
export interface DemoTargetOptions {
  /** Interface to bind (default `127.0.0.1`). */
  host?: string;
  /** Port to bind (default 8081; 0 picks a free one). */
  port?: number;
  /** Token bucket per client (`X-Client-Id` header, else remote address). Default 50,000 rps, burst 100,000. */
  rateLimit?: RateLimitOptions;
  /** Entries per config cache (experiments and flags each; default 10,000). */
  cacheSize?: number;
  /** Time to live of a cached config (default 60,000 ms). */
  cacheTtlMs?: number;
  /** Most events in one `POST /v1/events` batch (default 1,000). */
  maxBatchEvents?: number;
  /** Largest request body (default 1 MiB). */
  maxBodyBytes?: number;
  /** Capacity of the ingestion queue in events (default 100,000). */
  eventQueueCapacity?: number;
  /** How often the background drainer runs (default 50 ms). */
  drainIntervalMs?: number;
  /** Most events aggregated per drainer run (default 50,000). */
  drainBatchSize?: number;
  /** Analytics circuit breaker (default 5 failures, 5,000 ms reset, 500 ms slow call). */
  breaker?: Partial<BreakerOptions>;
  /** Simulated analytics query cost, uniform in [min, max] ms (default 5–20). */
  resultsQueryMs?: { min: number; max: number };
  /** Simulated config store latency in ms (default 0: one event-loop hop plus deserialisation). */
  storeLatencyMs?: number;
  /** Configuration created at start (default `defaultSeed()`: exp-1..exp-50, flag-1..flag-20); `false` for none. */
  seed?: SeedData | false;
  /** Faults active from the start (default none). */
  faults?: Partial<Faults>;
  /** Collect process metrics (memory, CPU, GC, event loop) on the target's registry (default true). */
  defaultMetrics?: boolean;
  /** Log sink (default silent). */
  logger?: DemoLogger;
}

/** A demo target; `listen()` (or `startDemoTarget`) binds it. */
export interface DemoTarget {
  /** Base URL, e.g. `http://127.0.0.1:8081`; the bound port once listening. */
  readonly url: string;
  /** The bound port once listening, else the configured one. */
  readonly port: number;
  readonly host: string;
  readonly server: Server;
  /** The target's own Prometheus registry. */
  readonly registry: Registry;
  /** Binds host:port; resolves with this target. */
  listen(): Promise<DemoTarget>;
  /** Stops the server, closing keep-alive and in-flight connections, and stops the timers. */
  close(): Promise<void>;
  /** Validates and applies a partial fault update; returns the new settings. Throws `FaultValidationError`. */
  setFaults(partial: Partial<Faults>): Faults;
  faults(): Faults;
  /** Clears every fault and releases leaked memory. */
  resetFaults(): Faults;
  /** Bytes retained so far by the `leakBytesPerRequest` fault. */
  leakedBytes(): number;
  /** The last 1,000 `traceparent` request headers received, oldest first. */
  receivedTraceparents(): string[];
  /** Aggregates every queued event now (instead of waiting for the drainer); returns how many. */
  flushEvents(): number;
}

const MiB = 1024 * 1024;
const TRACE_RING_SIZE = 1000;
const MAX_HEADER_KEEP = 256;
const MAX_USER_LENGTH = 256;
const RATE_LIMIT_SWEEP_MS = 10_000;
const JSON_TYPE = 'application/json; charset=utf-8';

interface Resolved {
  host: string;
  port: number;
  rateLimit: RateLimitOptions;
  cacheSize: number;
  cacheTtlMs: number;
  maxBatchEvents: number;
  maxBodyBytes: number;
  eventQueueCapacity: number;
  drainIntervalMs: number;
  drainBatchSize: number;
  breaker: BreakerOptions;
  resultsQueryMs: { min: number; max: number };
  storeLatencyMs: number;
  seed: SeedData | false;
  faults: Partial<Faults>;
  defaultMetrics: boolean;
  logger: DemoLogger;
}

function invalidOption(name: string, expected: string, got: unknown): BurnwatchError {
  return new BurnwatchError('invalid_option', `demo target option ${name} must be ${expected} (got ${JSON.stringify(got) ?? String(got)})`);
}

function positiveInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw invalidOption(name, 'a positive integer', value);
  return value;
}

function nonNegative(name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw invalidOption(name, 'a number of 0 or more', value);
  return value;
}

function resolveOptions(o: DemoTargetOptions): Resolved {
  const port = o.port ?? 8081;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw invalidOption('port', 'an integer from 0 to 65535', port);
  const rateLimit = o.rateLimit ?? { rps: 50_000, burst: 100_000 };
  if (!(rateLimit.rps > 0) || !Number.isFinite(rateLimit.rps)) throw invalidOption('rateLimit.rps', 'a number greater than 0', rateLimit.rps);
  if (!(rateLimit.burst >= 1) || !Number.isFinite(rateLimit.burst)) throw invalidOption('rateLimit.burst', 'a number of at least 1', rateLimit.burst);
  const breaker: BreakerOptions = { failureThreshold: 5, resetAfterMs: 5_000, slowCallMs: 500, ...o.breaker };
  positiveInt('breaker.failureThreshold', breaker.failureThreshold);
  nonNegative('breaker.resetAfterMs', breaker.resetAfterMs);
  if (!(breaker.slowCallMs > 0)) throw invalidOption('breaker.slowCallMs', 'a number greater than 0', breaker.slowCallMs);
  const resultsQueryMs = o.resultsQueryMs ?? { min: 5, max: 20 };
  nonNegative('resultsQueryMs.min', resultsQueryMs.min);
  if (!(resultsQueryMs.max >= resultsQueryMs.min)) throw invalidOption('resultsQueryMs.max', `a number of at least resultsQueryMs.min (${resultsQueryMs.min})`, resultsQueryMs.max);
  const cacheTtlMs = o.cacheTtlMs ?? 60_000;
  if (!(cacheTtlMs > 0)) throw invalidOption('cacheTtlMs', 'a number greater than 0', cacheTtlMs);
  return {
    host: o.host ?? '127.0.0.1',
    port,
    rateLimit,
    cacheSize: positiveInt('cacheSize', o.cacheSize ?? 10_000),
    cacheTtlMs,
    maxBatchEvents: positiveInt('maxBatchEvents', o.maxBatchEvents ?? 1_000),
    maxBodyBytes: positiveInt('maxBodyBytes', o.maxBodyBytes ?? MiB),
    eventQueueCapacity: positiveInt('eventQueueCapacity', o.eventQueueCapacity ?? 100_000),
    drainIntervalMs: positiveInt('drainIntervalMs', o.drainIntervalMs ?? 50),
    drainBatchSize: positiveInt('drainBatchSize', o.drainBatchSize ?? 50_000),
    breaker,
    resultsQueryMs,
    storeLatencyMs: nonNegative('storeLatencyMs', o.storeLatencyMs ?? 0),
    seed: o.seed ?? defaultSeed(),
    faults: o.faults ?? {},
    defaultMetrics: o.defaultMetrics ?? true,
    logger: o.logger ?? (() => {}),
  };
}

type Handler = (ctx: RequestContext) => void | Promise<void>;

/** How a route passes through the `/v1` pipeline. */
type RouteKind = 'plain' | 'v1' | 'v1-guarded';

class Route {
  private readonly observers = new Map<number, DurationObserver>();

  constructor(
    readonly method: string,
    readonly pattern: string,
    readonly kind: RouteKind,
    readonly handler: Handler,
    private readonly metrics: DemoMetrics,
  ) {}

  observer(status: number): DurationObserver {
    let o = this.observers.get(status);
    if (o === undefined) {
      o = this.metrics.requestDuration.labels(this.method, this.pattern, String(status));
      this.observers.set(status, o);
    }
    return o;
  }
}

class RequestContext {
  done = false;
  cache: 'HIT' | 'MISS' | undefined = undefined;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly route: Route,
    readonly params: readonly string[],
    readonly qs: string,
    readonly start: number,
  ) {}

  param(i: number): string {
    return this.params[i] ?? '';
  }
}

function requiredParam(query: Record<string, string>, name: string, example: string): string {
  const value = query[name];
  if (value === undefined || value.length === 0) {
    throw new HttpError(400, 'missing_parameter', `query parameter "${name}" is required, e.g. ${example}`);
  }
  if (value.length > MAX_USER_LENGTH) {
    throw new HttpError(400, 'invalid_parameter', `query parameter "${name}" is ${value.length} characters long; the limit is ${MAX_USER_LENGTH}`);
  }
  return value;
}

function retryAfterSeconds(ms: number): string {
  return String(Math.max(1, Math.ceil(ms / 1000)));
}

/**
 * Builds a demo target without binding it; call `listen()` to serve.
 *
 * @example
 * const target = createDemoTarget({ port: 0, seed: defaultSeed(5, 2) });
 * await target.listen();
 * await fetch(`${target.url}/v1/assignments/get_variant?experiment=exp-1&user=u-1`);
 * await target.close();
 */
export function createDemoTarget(options: DemoTargetOptions = {}): DemoTarget {
  const opts = resolveOptions(options);
  const log = opts.logger;
  const store = new ConfigStore(opts.storeLatencyMs);
  const config = new CachedConfig(store, opts.cacheSize, opts.cacheTtlMs);
  const faults = new FaultInjector();
  const limiter = new RateLimiter(opts.rateLimit);
  const traces = new RingBuffer<string>(TRACE_RING_SIZE);
  const queue = new EventQueue(opts.eventQueueCapacity);
  const breaker = new CircuitBreaker(opts.breaker, (from, to) => {
    log(to === 'open' ? 'warn' : 'info', `analytics circuit breaker ${from} -> ${to}`, { from, to });
  });
  const metrics = createDemoMetrics(
    {
      breakerState: () => BREAKER_STATE_VALUE[breaker.state(performance.now())],
      queueDepth: () => queue.size,
      leakedBytes: () => faults.leakedBytes,
    },
    opts.defaultMetrics,
  );
  const aggregator = new EventAggregator(
    (id) => store.experiment(id),
    (reason) => metrics.eventsDropped.labels(reason).inc(),
  );
  const aggregate = (event: DemoEvent): void => {
    aggregator.add(event);
  };

  seedStore(opts.seed);
  if (Object.keys(opts.faults).length > 0) faults.update(parseFaultPatch(opts.faults));

  function seedStore(seed: SeedData | false): void {
    if (seed === false) return;
    const now = new Date();
    for (const [i, body] of seed.experiments.entries()) {
      try {
        store.putExperiment(newExperiment(body, now));
      } catch (err) {
        throw new BurnwatchError('invalid_seed', `seed experiments[${i}] is invalid: ${errorMessage(err)}`, { cause: err });
      }
    }
    for (const [key, body] of Object.entries(seed.flags)) {
      try {
        store.putFlag(flagFromBody(key, body, undefined, now));
      } catch (err) {
        throw new BurnwatchError('invalid_seed', `seed flag "${key}" is invalid: ${errorMessage(err)}`, { cause: err });
      }
    }
  }

  // ── responses ────────────────────────────────────────────────────────────

  function observe(ctx: RequestContext, status: number): void {
    ctx.route.observer(status).observe((performance.now() - ctx.start) / 1000);
  }

  function sendJson(ctx: RequestContext, status: number, body: unknown, extra?: Readonly<Record<string, string>>): void {
    if (ctx.done) return;
    ctx.done = true;
    const payload = JSON.stringify(body);
    const headers: OutgoingHttpHeaders = { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(payload) };
    if (ctx.cache !== undefined) headers['x-cache'] = ctx.cache;
    if (extra !== undefined) Object.assign(headers, extra);
    ctx.res.writeHead(status, headers);
    ctx.res.end(payload);
    observe(ctx, status);
  }

  function sendText(ctx: RequestContext, status: number, body: string, contentType: string): void {
    if (ctx.done) return;
    ctx.done = true;
    ctx.res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
    ctx.res.end(body);
    observe(ctx, status);
  }

  function sendEmpty(ctx: RequestContext, status: number): void {
    if (ctx.done) return;
    ctx.done = true;
    ctx.res.writeHead(status);
    ctx.res.end();
    observe(ctx, status);
  }

  function sendError(ctx: RequestContext, status: number, code: string, message: string, extra?: Readonly<Record<string, string>>): void {
    sendJson(ctx, status, { error: code, message }, extra);
  }

  /** The one error handler: known errors become their status, anything else a logged 500. */
  function fail(ctx: RequestContext, err: unknown): void {
    if (err instanceof HttpError) return sendError(ctx, err.status, err.code, err.message, err.headers);
    if (err instanceof ValidationError || err instanceof FaultValidationError) return sendError(ctx, 400, err.code, err.message);
    log('error', `${ctx.route.method} ${ctx.route.pattern} failed: ${errorMessage(err)}`, { err });
    if (ctx.done) return;
    sendError(ctx, 500, 'internal_error', 'the demo target failed to handle this request');
  }

  function run(ctx: RequestContext): void {
    try {
      const pending = ctx.route.handler(ctx);
      if (pending !== undefined) pending.catch((err: unknown) => fail(ctx, err));
    } catch (err) {
      fail(ctx, err);
    }
  }

  function runAfterFaults(ctx: RequestContext): void {
    if (faults.shouldFail()) {
      metrics.injectedErrors.inc();
      return sendError(ctx, 500, 'injected_fault', 'this request failed on purpose (fault injection: errorRate)');
    }
    run(ctx);
  }

  // ── /v1 handlers ─────────────────────────────────────────────────────────

  function replyVariant(ctx: RequestContext, experiment: CompiledExperiment, user: string): void {
    sendJson(ctx, 200, { experiment: experiment.id, user, variant: assignVariant(experiment, user) });
  }

  function getVariant(ctx: RequestContext): void | Promise<void> {
    const query = parseQuery(ctx.qs);
    const id = requiredParam(query, 'experiment', '?experiment=exp-1&user=u-42');
    const user = requiredParam(query, 'user', '?experiment=exp-1&user=u-42');
    const useCache = faults.cacheEnabled;
    if (useCache) {
      const hit = config.cachedExperiment(id, ctx.start);
      if (hit !== undefined) {
        metrics.cacheHits.experiment.inc();
        ctx.cache = 'HIT';
        return replyVariant(ctx, hit, user);
      }
    }
    metrics.cacheMisses.experiment.inc();
    ctx.cache = 'MISS';
    return config.loadExperiment(id, useCache).then((experiment) => {
      if (experiment === undefined) throw new HttpError(404, 'experiment_not_found', `no experiment "${id}"`);
      replyVariant(ctx, experiment, user);
    });
  }

  function replyFlag(ctx: RequestContext, flag: CompiledFlag, user: string, query: Record<string, string>): void {
    const result = evaluateFlag(flag, user, (name) => query[name]);
    sendJson(ctx, 200, { flag: flag.key, user, ...result });
  }

  function evaluateFlagRoute(ctx: RequestContext): void | Promise<void> {
    const key = ctx.param(0);
    const query = parseQuery(ctx.qs);
    const user = requiredParam(query, 'user', `/v1/flags/${key}/evaluate?user=u-42&country=NL`);
    const useCache = faults.cacheEnabled;
    if (useCache) {
      const hit = config.cachedFlag(key, ctx.start);
      if (hit !== undefined) {
        metrics.cacheHits.flag.inc();
        ctx.cache = 'HIT';
        return replyFlag(ctx, hit, user, query);
      }
    }
    metrics.cacheMisses.flag.inc();
    ctx.cache = 'MISS';
    return config.loadFlag(key, useCache).then((flag) => {
      if (flag === undefined) throw new HttpError(404, 'flag_not_found', `no flag "${key}"`);
      replyFlag(ctx, flag, user, query);
    });
  }

  let queueFullLoggedAt = -Infinity;

  async function ingestEvents(ctx: RequestContext): Promise<void> {
    const body = parseJson(await readBody(ctx.req, opts.maxBodyBytes));
    const batch = validateBatch(body, opts.maxBatchEvents);
    if (!Array.isArray(batch)) throw new HttpError(batch.status, batch.code, batch.message);
    if (!queue.offer(batch)) {
      const now = performance.now();
      if (now - queueFullLoggedAt > 1_000) {
        queueFullLoggedAt = now;
        log('warn', `event queue full (${queue.size}/${queue.capacity}); refusing batches with 503`);
      }
      throw new HttpError(503, 'queue_full', `the event queue is full (${queue.size} of ${queue.capacity} events); retry later`, { 'retry-after': '1' });
    }
    metrics.eventsIngested.inc(batch.length);
    sendJson(ctx, 202, { accepted: batch.length });
  }

  async function experimentResults(ctx: RequestContext): Promise<void> {
    const started = performance.now();
    if (!breaker.acquire(started)) {
      throw new HttpError(503, 'circuit_open', 'analytics is unavailable: its circuit breaker is open after repeated failures or slow calls', {
        'retry-after': retryAfterSeconds(breaker.retryAfterMs(started)),
      });
    }
    let succeeded = false;
    try {
      if (faults.active) {
        faults.leak();
        const delay = faults.delayMs();
        if (delay > 0) await sleep(delay, undefined, { ref: false });
        if (faults.shouldFail()) {
          metrics.injectedErrors.inc();
          throw new HttpError(500, 'injected_fault', 'this request failed on purpose (fault injection: errorRate)');
        }
      }
      const id = ctx.param(0);
      const { min, max } = opts.resultsQueryMs;
      const queryMs = min + Math.random() * (max - min);
      if (queryMs > 0) await sleep(queryMs, undefined, { ref: false });
      const record = store.experiment(id);
      // An unknown experiment is the caller's mistake, not a failing dependency.
      succeeded = true;
      if (record === undefined) throw new HttpError(404, 'experiment_not_found', `no experiment "${id}"`);
      const results = computeResults(
        record.id,
        record.control,
        record.variants.map((v) => v.name),
        (variant) => aggregator.stats(record.id, variant),
      );
      sendJson(ctx, 200, results);
    } finally {
      const now = performance.now();
      breaker.record(succeeded, now - started, now);
    }
  }

  async function createExperiment(ctx: RequestContext): Promise<void> {
    const record = newExperiment(parseJson(await readBody(ctx.req, opts.maxBodyBytes)), new Date());
    if (store.experiment(record.id) !== undefined) {
      throw new HttpError(409, 'experiment_exists', `experiment "${record.id}" already exists; use PUT /v1/experiments/${record.id} to change it`);
    }
    config.putExperiment(record);
    sendJson(ctx, 201, record, { location: `/v1/experiments/${encodeURIComponent(record.id)}` });
  }

  function listExperiments(ctx: RequestContext): void {
    const experiments = store.listExperiments();
    sendJson(ctx, 200, { count: experiments.length, experiments });
  }

  async function getExperiment(ctx: RequestContext): Promise<void> {
    const id = ctx.param(0);
    const record = await store.fetchExperiment(id);
    if (record === undefined) throw new HttpError(404, 'experiment_not_found', `no experiment "${id}"`);
    sendJson(ctx, 200, record);
  }

  async function replaceExperiment(ctx: RequestContext): Promise<void> {
    const id = ctx.param(0);
    const body = parseJson(await readBody(ctx.req, opts.maxBodyBytes));
    const existing = store.experiment(id);
    if (existing === undefined) throw new HttpError(404, 'experiment_not_found', `no experiment "${id}"; create it with POST /v1/experiments`);
    const record = replacedExperiment(existing, body, new Date());
    config.putExperiment(record);
    sendJson(ctx, 200, record);
  }

  function deleteExperiment(ctx: RequestContext): void {
    const id = ctx.param(0);
    if (!config.deleteExperiment(id)) throw new HttpError(404, 'experiment_not_found', `no experiment "${id}"`);
    aggregator.forget(id);
    sendEmpty(ctx, 204);
  }

  async function putFlag(ctx: RequestContext): Promise<void> {
    const key = ctx.param(0);
    const body = parseJson(await readBody(ctx.req, opts.maxBodyBytes));
    const existing = store.flag(key);
    const record = flagFromBody(key, body, existing, new Date());
    config.putFlag(record);
    sendJson(ctx, existing === undefined ? 201 : 200, record);
  }

  async function getFlag(ctx: RequestContext): Promise<void> {
    const key = ctx.param(0);
    const record = await store.fetchFlag(key);
    if (record === undefined) throw new HttpError(404, 'flag_not_found', `no flag "${key}"`);
    sendJson(ctx, 200, record);
  }

  // ── operational endpoints ────────────────────────────────────────────────

  function faultsBody(): Record<string, unknown> {
    return { ...faults.current(), leakedBytes: faults.leakedBytes };
  }

  /** Validates (unknown keys and bad values throw `FaultValidationError`) and applies. */
  function setFaults(partial: unknown): Faults {
    const updated = faults.update(parseFaultPatch(partial));
    log('info', 'faults updated', { ...updated });
    return updated;
  }

  function resetFaults(): Faults {
    const reset = faults.reset();
    log('info', 'faults reset');
    return reset;
  }

  async function postFaults(ctx: RequestContext): Promise<void> {
    setFaults(parseJson(await readBody(ctx.req, opts.maxBodyBytes)));
    sendJson(ctx, 200, faultsBody());
  }

  async function scrape(ctx: RequestContext): Promise<void> {
    const text = await metrics.registry.metrics();
    sendText(ctx, 200, text, metrics.registry.contentType);
  }

  const router = new Router<Route>();
  const routes: [string, string, RouteKind, Handler][] = [
    ['GET', '/v1/assignments/get_variant', 'v1', getVariant],
    ['GET', '/v1/flags/:key/evaluate', 'v1', evaluateFlagRoute],
    ['GET', '/v1/flags/:key', 'v1', getFlag],
    ['PUT', '/v1/flags/:key', 'v1', putFlag],
    ['POST', '/v1/events', 'v1', ingestEvents],
    ['GET', '/v1/experiments/:id/results', 'v1-guarded', experimentResults],
    ['GET', '/v1/experiments', 'v1', listExperiments],
    ['POST', '/v1/experiments', 'v1', createExperiment],
    ['GET', '/v1/experiments/:id', 'v1', getExperiment],
    ['PUT', '/v1/experiments/:id', 'v1', replaceExperiment],
    ['DELETE', '/v1/experiments/:id', 'v1', deleteExperiment],
    ['GET', '/healthz', 'plain', (ctx) => sendText(ctx, 200, 'ok', 'text/plain; charset=utf-8')],
    ['GET', '/metrics', 'plain', scrape],
    ['GET', '/admin/faults', 'plain', (ctx) => sendJson(ctx, 200, faultsBody())],
    ['POST', '/admin/faults', 'plain', postFaults],
    [
      'DELETE',
      '/admin/faults',
      'plain',
      (ctx) => {
        resetFaults();
        sendJson(ctx, 200, faultsBody());
      },
    ],
    [
      'GET',
      '/admin/traces',
      'plain',
      (ctx) => {
        const traceparents = traces.toArray();
        sendJson(ctx, 200, { count: traceparents.length, traceparents });
      },
    ],
  ];
  for (const [method, pattern, kind, handler] of routes) router.add(method, pattern, new Route(method, pattern, kind, handler, metrics));
  const unmatched = new Route('ANY', 'unmatched', 'plain', () => {}, metrics);

  // ── dispatch ─────────────────────────────────────────────────────────────

  function clientKey(req: IncomingMessage): string {
    const id = req.headers['x-client-id'];
    if (typeof id === 'string' && id.length > 0) return id.length > 128 ? id.slice(0, 128) : id;
    return req.socket.remoteAddress ?? 'unknown';
  }

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    const start = performance.now();
    const traceparent = req.headers.traceparent;
    if (typeof traceparent === 'string') traces.push(traceparent.length > MAX_HEADER_KEEP ? traceparent.slice(0, MAX_HEADER_KEEP) : traceparent);
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const qs = q === -1 ? '' : url.slice(q + 1);
    const match = router.match(req.method ?? 'GET', path);
    if (match.kind !== 'found') {
      const ctx = new RequestContext(req, res, unmatched, [], qs, start);
      if (match.kind === 'method_not_allowed') {
        return sendError(ctx, 405, 'method_not_allowed', `${req.method} is not supported on ${path}; use ${match.allow}`, { allow: match.allow });
      }
      return sendError(ctx, 404, 'not_found', `no route for ${req.method} ${path}`);
    }
    const route = match.value;
    const ctx = new RequestContext(req, res, route, match.params, qs, start);
    if (route.kind === 'plain') return run(ctx);
    const waitMs = limiter.take(clientKey(req), start);
    if (waitMs > 0) {
      metrics.rateLimited.inc();
      return sendError(ctx, 429, 'rate_limited', 'too many requests from this client; slow down', { 'retry-after': retryAfterSeconds(waitMs) });
    }
    if (route.kind === 'v1-guarded' || !faults.active) return run(ctx);
    faults.leak();
    const delay = faults.delayMs();
    if (delay > 0) {
      // Unreferenced: a closed target must not be kept alive by a delayed answer nobody can receive.
      setTimeout(runAfterFaults, delay, ctx).unref();
      return;
    }
    runAfterFaults(ctx);
  }

  const server = createServer(onRequest);

  // ── background work ──────────────────────────────────────────────────────

  const drainer = setInterval(() => {
    try {
      queue.drain(opts.drainBatchSize, aggregate);
    } catch (err) {
      log('error', `event drainer failed: ${errorMessage(err)}`, { err });
    }
  }, opts.drainIntervalMs);
  drainer.unref();
  const sweeper = setInterval(() => limiter.sweep(performance.now()), RATE_LIMIT_SWEEP_MS);
  sweeper.unref();

  let boundPort: number | undefined;
  let closing: Promise<void> | undefined;

  const target: DemoTarget = {
    get url() {
      const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
      return `http://${host}:${target.port}`;
    },
    get port() {
      return boundPort ?? opts.port;
    },
    host: opts.host,
    server,
    registry: metrics.registry,
    listen() {
      return new Promise<DemoTarget>((resolve, reject) => {
        const onError = (err: Error): void => {
          reject(new BurnwatchError('listen_failed', `the demo target could not listen on ${opts.host}:${opts.port}: ${err.message}`, { cause: err }));
        };
        server.once('error', onError);
        server.listen(opts.port, opts.host, () => {
          server.off('error', onError);
          boundPort = (server.address() as AddressInfo).port;
          log('info', `demo target listening on ${target.url}`, { url: target.url });
          resolve(target);
        });
      });
    },
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        clearInterval(drainer);
        clearInterval(sweeper);
        if (!server.listening) return resolve();
        server.close((err) => (err === undefined ? resolve() : reject(err)));
        server.closeAllConnections();
      });
      return closing;
    },
    setFaults,
    faults: () => faults.current(),
    resetFaults,
    leakedBytes: () => faults.leakedBytes,
    receivedTraceparents: () => traces.toArray(),
    flushEvents: () => queue.drain(queue.size, aggregate),
  };
  return target;
}

/**
 * Creates a demo target and binds it.
 *
 * @example
 * const target = await startDemoTarget({ port: 0 });
 * console.log(target.url); // http://127.0.0.1:40123
 * await target.close();
 */
export function startDemoTarget(options: DemoTargetOptions = {}): Promise<DemoTarget> {
  return createDemoTarget(options).listen();
}
