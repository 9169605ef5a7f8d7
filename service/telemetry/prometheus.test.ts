import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTelemetry } from './index.ts';
import type { Telemetry } from './index.ts';
import type { RequestSample } from '../../probes/index.ts';
import { eventually, freePort, requireBinary } from '../../test/tools.ts';
import { memoryLogger, sample, snapshot } from './test-support.ts';

const prometheus = requireBinary('prometheus');

interface PromVector {
  status: string;
  data: { result: { metric: Record<string, string>; value: [number, string] }[] };
}
interface PromExemplars {
  status: string;
  data: { seriesLabels: Record<string, string>; exemplars: { labels: Record<string, string>; value: string; timestamp: number }[] }[];
}


describe.skipIf(prometheus.skip)('a real Prometheus scraping /metrics', () => {
  let dir: string;
  let promUrl: string;
  let child: ChildProcess | undefined;
  let childLog = '';
  let server: Server;
  let t: Telemetry;
  const accepts: string[] = [];
  let slow: RequestSample;

  beforeAll(async () => {
    if (prometheus.path === undefined) throw new Error('prometheus is not on PATH; CI must install it (Debian: apt-get install prometheus)');
    t = createTelemetry({ serviceName: 'burnwatch', serviceVersion: '0.1.0', logger: memoryLogger().logger, env: { OTEL_EXPORTER_PROMETHEUS_PORT: '0' } });
    await t.ready();
    const r = { runId: 'run-prom', probe: 'assignment', startedAt: Date.now(), scheduled: true };
    const run = t.startRun({ ...r, target: 'http://127.0.0.1:8081', requests: [{ name: 'get_variant', method: 'GET' }] });
    slow = sample('get_variant', 87, { startTime: Date.now() - 500 });
    run.interval(snapshot(r, [{ request: 'get_variant', latenciesMs: [3, 9, 87, 140] }], t.latencyBucketsMs, [slow]));
    run.interval(snapshot(r, [{ request: 'get_variant', latenciesMs: [4] }, { request: 'get_variant', latenciesMs: [2000], outcome: 'timeout', status: 0 }], t.latencyBucketsMs));

    server = createServer((req, res) => {
      accepts.push(req.headers.accept ?? '');
      t.renderMetrics(req.headers.accept).then(
        ({ contentType, body }) => {
          res.setHeader('content-type', contentType);
          res.end(body);
        },
        (err: unknown) => {
          res.statusCode = 500;
          res.end(String(err));
        },
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const metricsPort = (server.address() as AddressInfo).port;
    const otelTarget = new URL(t.otelMetricsUrl!).host;

    dir = await mkdtemp(join(tmpdir(), 'burnwatch-prom-'));
    await writeFile(
      join(dir, 'prometheus.yml'),
      [
        'global: { scrape_interval: 1s, scrape_timeout: 1s }',
        'scrape_configs:',
        `  - { job_name: burnwatch, static_configs: [{ targets: ['127.0.0.1:${metricsPort}'] }] }`,
        `  - { job_name: otel, static_configs: [{ targets: ['${otelTarget}'] }] }`,
        '',
      ].join('\n'),
    );
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    child = spawn(
      prometheus.path,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--enable-feature=exemplar-storage',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout?.on('data', (d: Buffer) => (childLog += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (childLog = (childLog + d.toString()).slice(-20_000)));
    await eventually(async () => {
      if (child?.exitCode !== null) throw new Error(`prometheus exited: ${childLog.slice(-2000)}`);
      return (await fetch(`${promUrl}/-/ready`)).ok ? true : undefined;
    }, 'Prometheus ready', 30_000);
  }, 60_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise<void>((resolve) => child!.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child!.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await t?.shutdown();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function query(q: string): Promise<PromVector['data']['result']> {
    const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(q)}`);
    const json = (await res.json()) as PromVector;
    if (json.status !== 'success') throw new Error(JSON.stringify(json));
    return json.data.result;
  }

  it('stores burnwatch_probe_requests_total with the values /metrics served', async () => {
    const result = await eventually<PromVector['data']['result']>(async () => {
      const r = await query('burnwatch_probe_requests_total');
      return r.length > 0 ? r : undefined;
    }, 'a scrape of burnwatch_probe_requests_total', 30_000);
    const by = Object.fromEntries(result.map((s): [string, string] => [s.metric.outcome ?? '', s.value[1]]));
    expect(by).toMatchObject({ ok: '5', timeout: '1', http_error: '0' });
    expect(result[0]!.metric).toMatchObject({ job: 'burnwatch', probe: 'assignment', request: 'get_variant' });
    const up = await query('up{job="burnwatch"}');
    expect(up[0]?.value[1]).toBe('1');
    const p = await query('histogram_quantile(0.5, burnwatch_probe_request_duration_seconds_bucket)');
    expect(Number(p[0]?.value[1])).toBeGreaterThan(0.005);
    expect(Number(p[0]?.value[1])).toBeLessThanOrEqual(0.01);
  });

  it('negotiates OpenMetrics and stores the exemplar with the sampled request\'s trace id', async () => {
    expect(accepts.some((a) => a.startsWith('application/openmetrics-text'))).toBe(true);
    const now = Date.now() / 1000;
    const found = await eventually(async () => {
      const q = encodeURIComponent('burnwatch_probe_request_duration_seconds_bucket');
      const res = await fetch(`${promUrl}/api/v1/query_exemplars?query=${q}&start=${now - 3600}&end=${now + 3600}`);
      const json = (await res.json()) as PromExemplars;
      const hit = json.data?.find((s) => s.exemplars.length > 0);
      return hit;
    }, 'an exemplar in Prometheus', 30_000);
    expect(found.seriesLabels).toMatchObject({ __name__: 'burnwatch_probe_request_duration_seconds_bucket', le: '0.1', probe: 'assignment', request: 'get_variant' });
    expect(found.exemplars[0]!.labels).toEqual({ trace_id: slow.traceId, span_id: slow.spanId });
    expect(Number(found.exemplars[0]!.value)).toBeCloseTo(0.087, 6);
  });

  it('scrapes the OTel Prometheus exporter port too', async () => {
    const result = await eventually(async () => {
      const r = await query('http_client_request_duration_count{job="otel"}');
      return r.length > 0 ? r : undefined;
    }, 'a scrape of http_client_request_duration_count', 30_000);
    expect(result[0]!.value[1]).toBe('6');
    expect(result[0]!.metric).toMatchObject({ http_request_method: 'GET', server_address: '127.0.0.1', server_port: '8081' });
  });
});
