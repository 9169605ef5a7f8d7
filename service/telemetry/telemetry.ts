/**
 * burnwatch's own telemetry, wired: /metrics (prom-client, OpenMetrics with
 * exemplars), spans (OTLP/HTTP), OTel metrics (Prometheus exporter port) and
 * trace ids for the logs. The service calls `startRun` per probe run, feeds
 * it the engine's interval snapshots and ends it with the summary.
 */
import client from 'prom-client';
import type { Attributes } from '@opentelemetry/api';
import { defaultResource, detectResources, hostDetector, processDetector, resourceFromAttributes } from '@opentelemetry/resources';
import type { Resource } from '@opentelemetry/resources';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { ATTR_HTTP_REQUEST_METHOD, ATTR_SERVER_ADDRESS, ATTR_SERVER_PORT, ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { LABEL, LATENCY_BUCKETS_SECONDS, METRIC, errorMessage } from '../../common/index.ts';
import type { IntervalSnapshot, RequestSample } from '../../probes/index.ts';
import type { SloEvaluation } from '../../slos/index.ts';
import type { Logger } from '../logger.ts';
import { createRegistry, renderMetrics } from './exposition.ts';
import { decodeLatency } from './hdr.ts';
import type { DecodedLatency } from './hdr.ts';
import { ATTR, DEFAULT_CACHE_HEADER } from './names.ts';
import { readOtelSettings, redactUrl } from './otel-config.ts';
import type { OtelSettings } from './otel-config.ts';
import { HttpClientDurationProducer, OtelMetricsServer } from './otel-metrics.ts';
import { ProbeMetrics, registerProcessMetrics } from './probe-metrics.ts';
import { SloMetrics } from './slo-metrics.ts';
import type { AlertFiringState } from './slo-metrics.ts';
import { Tracing, serverOf } from './tracing.ts';
import type { RunSpan } from './tracing.ts';

export interface TelemetryOptions {
  serviceName: string;
  serviceVersion: string;
  logger: Logger;
  /** Where OTEL_* settings are read; default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Response header (lower-case) counted into `burnwatch_probe_cache_lookups_total`; default `x-cache`. The run must count it (`RunOptions.countHeaders`). */
  cacheHeader?: string;
  /** Bound on flushing spans in `shutdown()`; default 5000 ms. */
  shutdownTimeoutMs?: number;
  /** Node.js process metrics on /metrics; default true. */
  processMetrics?: boolean;
  /** Test seam: a span exporter instead of OTLP (e.g. the SDK's InMemorySpanExporter). */
  spanExporter?: SpanExporter;
}

export interface RunInfo {
  runId: string;
  probe: string;
  /** Epoch ms. */
  startedAt: number;
  scheduled: boolean;
  /** The probe's target and requests (a `Probe` fits): give the OTel duration metric its method and server attributes. */
  target?: string;
  requests?: readonly { name: string; method: string; url?: string }[];
  /** The response header this run's cache lookups are counted from (its cache-hit SLO's); default the telemetry's. The run must count it. */
  cacheHeader?: string;
}

export interface RunSummaryLike {
  status: string;
  stopReason?: string;
  [key: string]: unknown;
}

export interface RunTelemetry {
  /** Of the run span: for logs (`trace_id`) and the run record. */
  readonly traceId: string;
  readonly spanId: string;
  /** `logger.child({ trace_id, span_id, run_id, probe })`: log about this run with it. */
  readonly logger: Logger;
  /** Updates counters, the histogram and exemplars, emits request spans for the samples. Never throws. */
  interval(snapshot: IntervalSnapshot): void;
  /** Counts the run (`burnwatch_probe_runs_total{probe,status}`) and ends its span. Idempotent. */
  end(summary: RunSummaryLike): void;
}

export interface Telemetry {
  /** Thresholds (ms) every run must count (`RunOptions.latencyThresholdsMs`) so the duration histogram's buckets are exact. */
  readonly latencyBucketsMs: number[];
  /** Response headers every run must count (`RunOptions.countHeaders`) for the cache lookups counter. */
  readonly countHeaders: string[];
  /** The OTel metrics endpoint once bound (see `ready()`); undefined when off or not (yet) listening. */
  readonly otelMetricsUrl: string | undefined;
  /** Resolves once the OTel metrics server listens (or failed to, logged). */
  ready(): Promise<void>;
  renderMetrics(accept: string | undefined): Promise<{ contentType: string; body: string }>;
  /** Opens the run span. */
  startRun(run: RunInfo): RunTelemetry;
  /** Ends open run spans, flushes spans (bounded by `timeoutMs`, default the `shutdownTimeoutMs` option), stops the OTel metrics server. Idempotent. */
  shutdown(timeoutMs?: number): Promise<void>;
  /** The complete current SLO status (every SLO, each round): SLOs and windows without data, and SLOs not given, have no series. */
  setSloStatus(evals: SloEvaluation[]): void;
  /** The complete current alert states: `burnwatch_alert_firing{slo,severity}`; pairs not given are dropped. */
  setAlertFiring(states: AlertFiringState[]): void;
  /** `burnwatch_probe_runs_skipped_total{probe,reason}`. */
  countSkippedRun(probe: string, reason: string): void;
}

const DEFAULT_SHUTDOWN_TIMEOUT_MS = 5000;

function describeSampler(s: OtelSettings['sampler']): string {
  return 'ratio' in s ? `${s.kind} (${s.ratio})` : s.kind;
}

function buildResource(settings: OtelSettings, version: string): Resource {
  const own = resourceFromAttributes({ ...settings.resourceAttributes, [ATTR_SERVICE_NAME]: settings.serviceName, [ATTR_SERVICE_VERSION]: version });
  if (settings.disabled) return own;
  return defaultResource().merge(detectResources({ detectors: [hostDetector, processDetector] })).merge(own);
}

/**
 * @example
 * const telemetry = createTelemetry({ serviceName: 'burnwatch', serviceVersion: '0.1.0', logger });
 * const run = telemetry.startRun({ runId, probe: probe.name, startedAt: Date.now(), scheduled: true, target: probe.target, requests: probe.requests });
 * startRun(probe, { latencyThresholdsMs: [...telemetry.latencyBucketsMs, ...sloThresholds], countHeaders: telemetry.countHeaders,
 *   onInterval: (s) => run.interval(s) }).done.then((summary) => run.end(summary));
 */
export function createTelemetry(options: TelemetryOptions): Telemetry {
  const log = options.logger;
  const settings = readOtelSettings(options.env ?? process.env, options.serviceName);
  for (const w of settings.warnings) log.warn(w);
  const cacheHeader = (options.cacheHeader ?? DEFAULT_CACHE_HEADER).toLowerCase();

  const registry = createRegistry();
  if (options.processMetrics ?? true) registerProcessMetrics(registry);
  new client.Gauge({
    name: METRIC.buildInfo,
    help: 'burnwatch build; the value is 1.',
    labelNames: [LABEL.version],
    registers: [registry],
  }).set({ [LABEL.version]: options.serviceVersion }, 1);
  const probeMetrics = new ProbeMetrics(registry, log, cacheHeader);
  const sloMetrics = new SloMetrics(registry);

  const resource = buildResource(settings, options.serviceVersion);
  const tracing = new Tracing({ settings, resource, logger: log, version: options.serviceVersion, exporter: options.spanExporter });
  if (settings.traces.exporter === 'otlp') {
    log.info('traces exported over OTLP/HTTP (JSON)', {
      endpoint: redactUrl(settings.traces.url),
      headers: Object.keys(settings.traces.headers),
      run_sampler: describeSampler(settings.sampler),
      service_name: settings.serviceName,
    });
  } else if (options.spanExporter === undefined) {
    log.info(`traces are not exported: ${settings.traces.reason}`, {
      hint: 'set OTEL_EXPORTER_OTLP_ENDPOINT (e.g. http://127.0.0.1:4318) to send run and request spans to a collector',
    });
  }

  let producer: HttpClientDurationProducer | undefined;
  let otelServer: OtelMetricsServer | undefined;
  if (settings.prometheus !== undefined) {
    producer = new HttpClientDurationProducer(LATENCY_BUCKETS_SECONDS, { name: 'burnwatch', version: options.serviceVersion });
    otelServer = new OtelMetricsServer({ ...settings.prometheus, resource, producer, logger: log });
  }

  const open = new Set<ProbeRun>();
  let closing: Promise<void> | undefined;
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;

  class ProbeRun implements RunTelemetry {
    readonly traceId: string;
    readonly spanId: string;
    readonly logger: Logger;
    private readonly span: RunSpan;
    private readonly otelAttributes = new Map<string, Attributes>();
    private ended = false;
    private failedOnce = false;

    constructor(private readonly run: RunInfo) {
      this.span = tracing.startRun(run);
      this.traceId = this.span.context.traceId;
      this.spanId = this.span.context.spanId;
      this.logger = log.child({ trace_id: this.traceId, span_id: this.spanId, run_id: run.runId, probe: run.probe });
      probeMetrics.runStarted(run.probe);
      open.add(this);
    }

    interval(snapshot: IntervalSnapshot): void {
      if (this.ended) return;
      try {
        const latency = snapshot.requests.map((r) => this.decode(r.latencyUs));
        probeMetrics.interval(snapshot, latency, this.run.cacheHeader?.toLowerCase());
        if (producer !== undefined) {
          snapshot.requests.forEach((r, i) => producer.add(this.attributesFor(r.request, snapshot.samples), latency[i]!));
        }
        tracing.requestSpans(snapshot.samples, { runId: this.run.runId, probe: this.run.probe, context: this.span.context });
      } catch (err) {
        // Telemetry never stops a run; one line per run is enough to find the bug.
        if (!this.failedOnce) {
          this.failedOnce = true;
          this.logger.error('telemetry could not record a probe interval', { error: errorMessage(err) });
        }
      }
    }

    private decode(base64: string): DecodedLatency {
      try {
        return decodeLatency(base64);
      } catch (err) {
        if (!this.failedOnce) {
          this.failedOnce = true;
          this.logger.error('could not decode a latency histogram; its requests count without latency', { error: errorMessage(err) });
        }
        return decodeLatency('');
      }
    }

    /** Fixed per request for the run (from the probe's definition, else a sample, else without server attributes). */
    private attributesFor(request: string, samples: readonly RequestSample[]): Attributes {
      let a = this.otelAttributes.get(request);
      if (a !== undefined) return a;
      a = { [ATTR.probe]: this.run.probe, [ATTR.request]: request };
      const def = this.run.requests?.find((r) => r.name === request);
      const sample = samples.find((s) => s.request === request);
      const method = def?.method ?? sample?.method;
      if (method !== undefined) a[ATTR_HTTP_REQUEST_METHOD] = method;
      const absolute = def?.url !== undefined && /^https?:\/\//i.test(def.url) && !def.url.includes('{{') ? def.url : undefined;
      const server = serverOf(absolute ?? this.run.target ?? sample?.url ?? '');
      if (server !== undefined) {
        a[ATTR_SERVER_ADDRESS] = server.address;
        a[ATTR_SERVER_PORT] = server.port;
      }
      this.otelAttributes.set(request, a);
      return a;
    }

    end(summary: RunSummaryLike): void {
      if (this.ended) return;
      this.ended = true;
      open.delete(this);
      const endedAt = typeof summary.endedAt === 'string' ? Date.parse(summary.endedAt) : Number.NaN;
      probeMetrics.runEnded(this.run.probe, summary.status);
      tracing.endRun(this.span, summary.status, summary.stopReason, Number.isFinite(endedAt) ? endedAt : Date.now());
    }

    /** At shutdown: ends the span so it is flushed; the run is not counted (its summary will not come). */
    interrupt(): void {
      if (this.ended) return;
      this.ended = true;
      open.delete(this);
      tracing.endRun(this.span, 'interrupted', 'the service shut down during the run', Date.now());
    }
  }

  return {
    latencyBucketsMs: [...probeMetrics.boundsMs],
    countHeaders: [cacheHeader],
    get otelMetricsUrl() {
      return otelServer?.url;
    },
    ready: () => otelServer?.ready ?? Promise.resolve(),
    renderMetrics: (accept) => renderMetrics(registry, accept),
    startRun: (run) => new ProbeRun(run),
    setSloStatus: (evals) => sloMetrics.set(evals),
    setAlertFiring: (states) => sloMetrics.setAlerts(states),
    countSkippedRun: (probe, reason) => probeMetrics.runSkipped(probe, reason),
    shutdown(timeoutMs = shutdownTimeoutMs) {
      closing ??= (async () => {
        for (const run of [...open]) run.interrupt();
        await Promise.all([tracing.shutdown(timeoutMs), otelServer?.shutdown()]);
      })();
      return closing;
    },
  };
}
