import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTelemetry } from './index.ts';
import type { Telemetry } from './index.ts';
import { requireBinary } from '../../test/tools.ts';
import { memoryLogger, openMetricsProblems, sample, snapshot } from './test-support.ts';

const promtool = requireBinary('promtool');

/** `promtool check metrics` with `body` on stdin (bounded). */
function checkMetrics(body: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(promtool.need(), ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('promtool did not finish within 10 s'));
    }, 10_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
    child.stdin.end(body);
  });
}

/** A telemetry with every family populated. */
function busyTelemetry(): Telemetry {
  const t = createTelemetry({ serviceName: 'burnwatch', serviceVersion: '0.1.0', logger: memoryLogger().logger, env: { OTEL_METRICS_EXPORTER: 'none' } });
  const r = { runId: 'r', probe: 'assignment', startedAt: Date.now(), scheduled: true };
  const run = t.startRun(r);
  run.interval(
    snapshot(
      r,
      [
        { request: 'get_variant', latenciesMs: [1, 5, 80, 120], cache: { HIT: 3, MISS: 1 } },
        { request: 'get_variant', latenciesMs: [900], outcome: 'http_error', status: 500 },
        { request: 'evaluate "flag"', latenciesMs: [2] },
      ],
      t.latencyBucketsMs,
      [sample('get_variant', 80), sample('evaluate "flag"', 2)],
      { droppedIterations: 2 },
    ),
  );
  run.end({ status: 'passed' });
  t.countSkippedRun('assignment', 'overlap');
  t.setAlertFiring([{ slo: 'assignment-latency', severity: 'page', firing: false }]);
  return t;
}

describe.skipIf(promtool.skip)('promtool check metrics on the text format', () => {
  let t: Telemetry;
  beforeAll(() => {
    if (promtool.path === undefined) throw new Error('promtool is not on PATH; CI must install it (Debian: apt-get install prometheus)');
    t = busyTelemetry();
  });
  afterAll(async () => {
    await t?.shutdown();
  });

  it('passes with every family populated, process metrics included', async () => {
    const { contentType, body } = await t.renderMetrics(undefined);
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(body).toContain('nodejs_active_handles{');
    const r = await checkMetrics(body);
    expect(r.output).toBe('');
    expect(r.code).toBe(0);
  });

  it('does flag prom-client\'s *_total gauges, which is why they are left out', async () => {
    const r = await checkMetrics('# HELP nodejs_active_handles_total x\n# TYPE nodejs_active_handles_total gauge\nnodejs_active_handles_total 3\n');
    expect(r.output).toContain('non-counter metrics should not have "_total" suffix');
    expect(r.code).not.toBe(0);
  });
});

describe('the OpenMetrics output, parsed strictly', () => {
  it('has # EOF last, no NaN, no duplicate families, valid histograms and exemplars', async () => {
    const t = busyTelemetry();
    try {
      const { body } = await t.renderMetrics('application/openmetrics-text; version=1.0.0');
      expect(openMetricsProblems(body)).toEqual([]);
      expect(body).toContain(' # {trace_id="');
    } finally {
      await t.shutdown();
    }
  });

  it.each([
    ['a missing # EOF', '# TYPE a gauge\na 1\n', 'does not end with "# EOF\\n"'],
    ['a Nan', '# TYPE a gauge\na Nan\n# EOF\n', 'NaN value'],
    ['a NaN', '# TYPE a gauge\na NaN\n# EOF\n', 'NaN value'],
    ['a duplicate family', '# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\n# TYPE a gauge\na 2\n# EOF\n', 'family a appears twice'],
    ['a non-cumulative histogram', '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n# EOF\n', 'bucket counts decrease'],
    ['an exemplar on a gauge', '# TYPE a gauge\na 1 # {trace_id="x"} 1\n# EOF\n', 'only counters and histogram buckets'],
    ['a counter sample without _total', '# TYPE c counter\nc 1\n# EOF\n', 'outside its family'],
  ])('the strict parser catches %s', (_what, body, problem) => {
    expect(openMetricsProblems(body).join('\n')).toContain(problem);
  });
});
