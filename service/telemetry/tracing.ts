/**
 * Spans: one per probe run, one per sampled request (a CLIENT span with the
 * exact trace and span ids the load engine put in its `traceparent`, so the
 * target's server spans are its children).
 *
 * Built on the trace SDK (`@opentelemetry/sdk-trace-base`) rather than
 * `@opentelemetry/sdk-node`'s `NodeSDK`, which fights this in four ways:
 * it reads only `process.env` (the service is given its `env`, tests set
 * one per instance); it registers process-global providers, context manager
 * and propagator (a second instance silently loses; burnwatch instruments
 * nothing through the global API and holds its tracer itself); left to its
 * defaults it starts OTLP metric and log exporters to localhost:4318 (the
 * connection-error spam on a laptop we must avoid); and the two things this
 * module needs — an id generator that can be told the engine's ids and a
 * sampler that always keeps engine-sampled requests — are constructor
 * options of the tracer provider anyway. What NodeSDK would add beyond that
 * is resource detection, done here with the same detectors.
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { Attributes, Context, Link, Span, SpanContext, Tracer } from '@opentelemetry/api';
import { ExportResultCode, millisToHrTime } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import type { Resource } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  RandomIdGenerator,
  SamplingDecision,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import type { IdGenerator, ReadableSpan, Sampler, SamplingResult, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_FULL,
} from '@opentelemetry/semantic-conventions';
import { errorMessage } from '../../common/index.ts';
import type { RequestSample } from '../../probes/index.ts';
import type { Logger } from '../logger.ts';
import { ATTR } from './names.ts';
import type { OtelSettings, SamplerSetting } from './otel-config.ts';
import { redactUrl } from './otel-config.ts';

const TRACE_ID = /^(?!0{32})[0-9a-f]{32}$/;
const SPAN_ID = /^(?!0{16})[0-9a-f]{16}$/;
/** Export failures are logged at most this often (with the count since the last line). */
export const EXPORT_ERROR_LOG_INTERVAL_MS = 60_000;

/**
 * Random ids, except while `pinned` runs: then the ids given. The tracer asks
 * for a span id and (for a root span) a trace id synchronously inside
 * `startSpan`, so pinning around that call cannot leak into another span.
 */
export class PinnedIdGenerator implements IdGenerator {
  private readonly random = new RandomIdGenerator();
  private pin: { traceId: string; spanId: string } | undefined;

  generateTraceId(): string {
    return this.pin?.traceId ?? this.random.generateTraceId();
  }

  generateSpanId(): string {
    return this.pin?.spanId ?? this.random.generateSpanId();
  }

  /** Whether a pinned call is in progress (the sampler keeps those spans). */
  get active(): boolean {
    return this.pin !== undefined;
  }

  pinned<T>(ids: { traceId: string; spanId: string }, fn: () => T): T {
    this.pin = ids;
    try {
      return fn();
    } finally {
      this.pin = undefined;
    }
  }
}

/**
 * The configured sampler (OTEL_TRACES_SAMPLER) for run spans; spans started
 * with pinned ids are requests the engine already sampled (flag 01 went out
 * in their `traceparent`, the target traced them): always kept, or the
 * target's spans would have no parent.
 */
export class EngineSampledFirst implements Sampler {
  constructor(
    private readonly ids: PinnedIdGenerator,
    private readonly inner: Sampler,
  ) {}

  shouldSample(context: Context, traceId: string, spanName: string, spanKind: SpanKind, attributes: Attributes, links: Link[]): SamplingResult {
    if (this.ids.active) return { decision: SamplingDecision.RECORD_AND_SAMPLED };
    return this.inner.shouldSample(context, traceId, spanName, spanKind, attributes, links);
  }

  toString(): string {
    return `EngineSampledFirst{runs=${this.inner.toString()}}`;
  }
}

export function buildSampler(s: SamplerSetting): Sampler {
  switch (s.kind) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(s.ratio);
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(s.ratio) });
  }
}

/**
 * Passes batches to the real exporter and reports failures to the log at
 * most once per `intervalMs` (a down collector must not flood the log), and
 * once when export works again. Never throws into the batch processor.
 */
export class ReportingExporter implements SpanExporter {
  private lastReport = Number.NEGATIVE_INFINITY;
  private failures = 0;
  private droppedSpans = 0;
  private failing = false;

  constructor(
    private readonly inner: SpanExporter,
    private readonly log: Logger,
    private readonly endpoint: string,
    private readonly intervalMs = EXPORT_ERROR_LOG_INTERVAL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    const done = (result: ExportResult): void => {
      if (result.code === ExportResultCode.SUCCESS) this.succeeded();
      else this.failed(result.error, spans.length);
      resultCallback(result);
    };
    try {
      this.inner.export(spans, done);
    } catch (err) {
      done({ code: ExportResultCode.FAILED, error: err instanceof Error ? err : new Error(String(err)) });
    }
  }

  private failed(error: Error | undefined, spans: number): void {
    this.failing = true;
    this.failures++;
    this.droppedSpans += spans;
    const now = this.now();
    if (now - this.lastReport < this.intervalMs) return;
    this.log.warn('trace export failed; spans are dropped while the OTLP endpoint is unreachable (reported at most once a minute)', {
      endpoint: this.endpoint,
      error: error === undefined ? 'unknown error' : errorMessage(error),
      failures: this.failures,
      dropped_spans: this.droppedSpans,
    });
    this.lastReport = now;
    this.failures = 0;
    this.droppedSpans = 0;
  }

  private succeeded(): void {
    if (!this.failing) return;
    this.failing = false;
    this.log.info('trace export works again', { endpoint: this.endpoint, failures_since_last_report: this.failures });
    this.failures = 0;
    this.droppedSpans = 0;
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

export interface RunSpan {
  span: Span;
  context: SpanContext;
}

export interface TracingOptions {
  settings: OtelSettings;
  resource: Resource;
  logger: Logger;
  version: string;
  /** Test seam: replaces the OTLP exporter (still wrapped for error reporting). */
  exporter?: SpanExporter;
}

export class Tracing {
  private readonly provider: BasicTracerProvider;
  private readonly tracer: Tracer;
  private readonly ids = new PinnedIdGenerator();
  /** Whether spans go anywhere; request spans are not even built otherwise. */
  readonly exporting: boolean;
  private idMismatchWarned = false;
  private badIdsWarned = false;

  constructor(private readonly options: TracingOptions) {
    const { settings, logger } = options;
    const processors: SpanProcessor[] = [];
    if (options.exporter !== undefined || settings.traces.exporter === 'otlp') {
      const endpoint = settings.traces.exporter === 'otlp' ? settings.traces.url : 'custom exporter';
      const inner =
        options.exporter ??
        (settings.traces.exporter === 'otlp'
          ? new OTLPTraceExporter({ url: settings.traces.url, headers: settings.traces.headers, timeoutMillis: settings.traces.timeoutMs })
          : undefined);
      if (inner !== undefined) {
        // Bounded: at most OTEL_BSP_MAX_QUEUE_SIZE (2048) spans wait; beyond that the processor drops.
        processors.push(new BatchSpanProcessor(new ReportingExporter(inner, logger, redactUrl(endpoint))));
      }
    }
    this.exporting = processors.length > 0;
    this.provider = new BasicTracerProvider({
      resource: options.resource,
      idGenerator: this.ids,
      sampler: new EngineSampledFirst(this.ids, settings.disabled ? new AlwaysOffSampler() : buildSampler(settings.sampler)),
      spanProcessors: processors,
    });
    this.tracer = this.provider.getTracer('burnwatch', options.version);
  }

  /** Opens the run span: a root span of its own trace (ids are made even when it is not sampled, for the logs). */
  startRun(run: { runId: string; probe: string; startedAt: number; scheduled: boolean }): RunSpan {
    const span = this.tracer.startSpan(
      `probe run ${run.probe}`,
      {
        kind: SpanKind.INTERNAL,
        root: true,
        startTime: millisToHrTime(run.startedAt),
        attributes: { [ATTR.probe]: run.probe, [ATTR.runId]: run.runId, [ATTR.runScheduled]: run.scheduled },
      },
      ROOT_CONTEXT,
    );
    return { span, context: span.spanContext() };
  }

  /** Ends the run span; status ERROR unless the run passed. */
  endRun(run: RunSpan, status: string, stopReason: string | undefined, endedAt: number): void {
    run.span.setAttribute(ATTR.runStatus, status);
    if (stopReason !== undefined) run.span.setAttribute(ATTR.runStopReason, stopReason);
    if (status === 'passed') run.span.setStatus({ code: SpanStatusCode.OK });
    else run.span.setStatus({ code: SpanStatusCode.ERROR, message: stopReason ?? status });
    run.span.end(millisToHrTime(endedAt));
  }

  /**
   * One CLIENT span per sample, with exactly the sample's ids, as the root
   * of its own trace (a 24 h run is not one giant trace) linked to the run
   * span; times from the sample.
   */
  requestSpans(samples: readonly RequestSample[], run: { runId: string; probe: string; context: SpanContext }): void {
    if (!this.exporting) return;
    for (const s of samples) {
      if (!TRACE_ID.test(s.traceId) || !SPAN_ID.test(s.spanId)) {
        if (!this.badIdsWarned) {
          this.badIdsWarned = true;
          this.options.logger.warn('request sample has invalid trace or span id; no span emitted for it', { probe: run.probe, run_id: run.runId, trace_id: s.traceId });
        }
        continue;
      }
      const span = this.ids.pinned({ traceId: s.traceId, spanId: s.spanId }, () =>
        this.tracer.startSpan(
          s.method,
          {
            kind: SpanKind.CLIENT,
            root: true,
            startTime: millisToHrTime(s.startTime),
            attributes: requestAttributes(s, run),
            links: [{ context: run.context }],
          },
          ROOT_CONTEXT,
        ),
      );
      const ctx = span.spanContext();
      if ((ctx.traceId !== s.traceId || ctx.spanId !== s.spanId) && !this.idMismatchWarned) {
        // The SDK changed how it asks for ids: the target's spans would be orphans. Loud, once.
        this.idMismatchWarned = true;
        this.options.logger.error('request span ids differ from the injected traceparent; target spans will not join the probe trace', {
          expected_trace_id: s.traceId,
          trace_id: ctx.traceId,
        });
      }
      if (s.outcome !== 'ok') span.setStatus({ code: SpanStatusCode.ERROR, ...(s.error !== undefined ? { message: s.error } : {}) });
      span.end(millisToHrTime(s.startTime + s.durationMs));
    }
  }

  /** Flushes queued spans and stops; bounded by `timeoutMs` (a down collector must not hold shutdown). */
  async shutdown(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
      timer.unref();
    });
    try {
      const r = await Promise.race([this.provider.shutdown().then(() => 'done' as const), timeout]);
      if (r === 'timeout') this.options.logger.warn('trace flush at shutdown timed out; queued spans were dropped', { timeout_ms: timeoutMs });
    } catch (err) {
      this.options.logger.warn('trace flush at shutdown failed', { error: errorMessage(err) });
    } finally {
      clearTimeout(timer);
    }
  }
}

/** HTTP client semantic conventions (stable) plus burnwatch's own. */
export function requestAttributes(s: RequestSample, run: { runId: string; probe: string }): Attributes {
  const a: Attributes = {
    [ATTR_HTTP_REQUEST_METHOD]: s.method,
    [ATTR.runId]: run.runId,
    [ATTR.probe]: run.probe,
    [ATTR.request]: s.request,
    [ATTR.outcome]: s.outcome,
    [ATTR.latencyMs]: s.latencyMs,
  };
  const server = serverOf(s.url);
  if (server !== undefined) {
    a[ATTR_URL_FULL] = server.url;
    a[ATTR_SERVER_ADDRESS] = server.address;
    a[ATTR_SERVER_PORT] = server.port;
  }
  if (s.status > 0) a[ATTR_HTTP_RESPONSE_STATUS_CODE] = s.status;
  if (s.outcome !== 'ok') {
    // The status code when a response was the failure (semconv), else burnwatch's outcome class.
    a[ATTR_ERROR_TYPE] = s.outcome === 'http_error' && s.status > 0 ? String(s.status) : s.outcome;
  }
  return a;
}

/** url.full without credentials, server.address, server.port (the scheme's default when not in the URL). */
export function serverOf(url: string): { url: string; address: string; port: number } | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  u.username = '';
  u.password = '';
  const address = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  const port = u.port !== '' ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
  return { url: u.href, address, port };
}

