/**
 * OTel metrics: `http.client.request.duration` (semantic conventions, a
 * histogram in seconds) from the load engine's HDR histograms, exposed by
 * `@opentelemetry/exporter-prometheus` on its own port.
 *
 * Recording: the OTel Histogram instrument has no "value × count" call, so
 * recording it would cost one `record()` per request (10K RPS = 10K calls a
 * second). The SDK's extension point for pre-aggregated data is a
 * `MetricProducer` handed to the reader: this one walks each interval's HDR
 * histogram once per distinct recorded value (value, count) into explicit
 * buckets and reports cumulative histogram points. Bucket placement has the
 * HDR histogram's 0.1 % value resolution (the exact counts are on burnwatch's
 * own /metrics histogram); the bounds are burnwatch's SLO-aligned ones, so
 * the two histograms line up.
 *
 * Serving: the exporter's built-in server binds every interface by default,
 * treats port 0 as "unset" (falls back to 9464) and does not report the port
 * it bound, so the exporter runs with `preventServerStart` and this module
 * serves its request handler on a node:http server it owns (loopback by
 * default, port 0 = ephemeral, bound URL known, bind errors logged, not thrown).
 * Not merged into /metrics: the exporter writes the text format only, with
 * its own `target_info`; splicing it into an OpenMetrics body is not clean.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ValueType } from '@opentelemetry/api';
import type { Attributes, HrTime } from '@opentelemetry/api';
import { hrTime } from '@opentelemetry/core';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { emptyResource } from '@opentelemetry/resources';
import type { Resource } from '@opentelemetry/resources';
import { AggregationTemporality, DataPointType, MeterProvider } from '@opentelemetry/sdk-metrics';
import type { CollectionResult, DataPoint, Histogram, MetricProducer } from '@opentelemetry/sdk-metrics';
import { METRIC_HTTP_CLIENT_REQUEST_DURATION } from '@opentelemetry/semantic-conventions';
import { errorMessage } from '../../common/index.ts';
import type { Logger } from '../logger.ts';
import type { DecodedLatency } from './hdr.ts';

interface Point {
  attributes: Attributes;
  startTime: HrTime;
  /** Per bucket (not cumulative), the last one above the highest bound. */
  counts: number[];
  count: number;
  sum: number;
  min: number;
  max: number;
}

export class HttpClientDurationProducer implements MetricProducer {
  private readonly boundsUs: number[];
  private readonly points = new Map<string, Point>();

  constructor(
    private readonly boundsSeconds: readonly number[],
    private readonly scope: { name: string; version: string },
  ) {
    this.boundsUs = boundsSeconds.map((s) => Math.round(s * 1e6));
  }

  /** Adds one interval's latencies under these attributes. */
  add(attributes: Attributes, latency: DecodedLatency): void {
    if (latency.count === 0) return;
    const key = JSON.stringify(Object.entries(attributes).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    let p = this.points.get(key);
    if (p === undefined) {
      p = { attributes: { ...attributes }, startTime: hrTime(), counts: new Array<number>(this.boundsUs.length + 1).fill(0), count: 0, sum: 0, min: Infinity, max: -Infinity };
      this.points.set(key, p);
    }
    const point = p;
    const bounds = this.boundsUs;
    latency.forEachValue((us, n) => {
      let i = 0;
      while (i < bounds.length && us > bounds[i]!) i++;
      point.counts[i]! += n;
      const s = us / 1e6;
      if (s < point.min) point.min = s;
      if (s > point.max) point.max = s;
    });
    point.count += latency.count;
    point.sum += latency.sumUs / 1e6;
  }

  collect(): Promise<CollectionResult> {
    const endTime = hrTime();
    const dataPoints: DataPoint<Histogram>[] = [...this.points.values()].map((p) => ({
      attributes: p.attributes,
      startTime: p.startTime,
      endTime,
      value: { buckets: { boundaries: [...this.boundsSeconds], counts: [...p.counts] }, count: p.count, sum: p.sum, min: p.min, max: p.max },
    }));
    return Promise.resolve({
      resourceMetrics: {
        resource: emptyResource(), // replaced by the reader's (the MeterProvider's) resource
        scopeMetrics:
          dataPoints.length === 0
            ? []
            : [
                {
                  scope: this.scope,
                  metrics: [
                    {
                      descriptor: {
                        name: METRIC_HTTP_CLIENT_REQUEST_DURATION,
                        description: 'Duration of HTTP client requests (probe requests; from the scheduled start for open-model executors).',
                        unit: 's',
                        valueType: ValueType.DOUBLE,
                      },
                      aggregationTemporality: AggregationTemporality.CUMULATIVE,
                      dataPointType: DataPointType.HISTOGRAM,
                      dataPoints,
                    },
                  ],
                },
              ],
      },
      errors: [],
    });
  }
}

export interface OtelMetricsServerOptions {
  host: string;
  port: number;
  resource: Resource;
  producer: MetricProducer;
  logger: Logger;
}

/** The Prometheus exporter's handler on a server of our own; see the file comment. */
export class OtelMetricsServer {
  private readonly exporter: PrometheusExporter;
  private readonly meterProvider: MeterProvider;
  private readonly server: Server;
  private listening = false;
  /** `http://host:port/metrics` once bound. */
  url: string | undefined;
  /** Resolves once the server listens or failed to (logged). */
  readonly ready: Promise<void>;

  constructor(options: OtelMetricsServerOptions) {
    this.exporter = new PrometheusExporter({ preventServerStart: true, metricProducers: [options.producer] });
    this.meterProvider = new MeterProvider({ resource: options.resource, readers: [this.exporter] });
    this.server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/metrics' && (req.method === 'GET' || req.method === 'HEAD')) this.exporter.getMetricsRequestHandler(req, res);
      else {
        res.statusCode = 404;
        res.end();
      }
    });
    this.server.unref();
    this.ready = new Promise<void>((resolve) => {
      this.server.once('error', (err: NodeJS.ErrnoException) => {
        options.logger.warn('OTel metrics server could not listen; http.client.request.duration is not exposed', {
          host: options.host,
          port: options.port,
          error: errorMessage(err),
          code: err.code,
        });
        resolve();
      });
      this.server.listen(options.port, options.host, () => {
        this.listening = true;
        const a = this.server.address() as AddressInfo;
        const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
        this.url = `http://${host}:${a.port}/metrics`;
        options.logger.info('OTel metrics (Prometheus exporter) listening', { url: this.url });
        resolve();
      });
    });
  }

  async shutdown(): Promise<void> {
    await this.ready;
    if (this.listening) {
      await new Promise<void>((resolve) => {
        this.server.close(() => resolve());
        this.server.closeAllConnections();
      });
      this.listening = false;
    }
    await this.meterProvider.shutdown();
  }
}
