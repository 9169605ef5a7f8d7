/**
 * The target as an operated service over real HTTP on 127.0.0.1: lifecycle,
 * routing, rate limiting, fault injection, the analytics circuit breaker,
 * /metrics and trace propagation.
 */
import { Agent, get } from 'node:http';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { register as globalRegistry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { FaultValidationError } from './faults.ts';
import { DEMO_METRIC } from './metrics.ts';
import { createDemoTarget, startDemoTarget } from './server.ts';
import type { DemoTarget, DemoTargetOptions } from './server.ts';

type Json = Record<string, unknown>;

const started: DemoTarget[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((t) => t.close()));
});

async function start(options: DemoTargetOptions = {}): Promise<DemoTarget> {
  const target = await startDemoTarget({ port: 0, defaultMetrics: false, resultsQueryMs: { min: 0, max: 0 }, ...options });
  started.push(target);
  return target;
}

async function call(target: DemoTarget, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const init: RequestInit = { method, headers };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const res = await fetch(`${target.url}${path}`, init);
  const text = await res.text();
  let json: Json = {};
  try {
    json = JSON.parse(text) as Json;
  } catch {
    // not JSON (healthz, metrics)
  }
  return { status: res.status, headers: res.headers, json, text };
}

const VARIANT = '/v1/assignments/get_variant?experiment=exp-1&user=u-1';
const RESULTS = '/v1/experiments/exp-1/results';

/** The value of a sample line in the text exposition, e.g. `demo_rate_limited_total 3`. */
function sample(metrics: string, series: string): number | undefined {
  const line = metrics.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('lifecycle', () => {
  it('binds 127.0.0.1 on an ephemeral port and reports its URL', async () => {
    const target = await start();
    expect(target.port).toBeGreaterThan(0);
    expect(target.url).toBe(`http://127.0.0.1:${target.port}`);
    const health = await call(target, 'GET', '/healthz');
    expect(health.status).toBe(200);
    expect(health.text).toBe('ok');
  });

  it('closes promptly even with an idle keep-alive connection and a request still waiting on injected latency', async () => {
    const target = await startDemoTarget({ port: 0, defaultMetrics: false });
    const agent = new Agent({ keepAlive: true });
    const status = await new Promise<number | undefined>((resolve, reject) => {
      get(`${target.url}/healthz`, { agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      }).on('error', reject);
    });
    expect(status).toBe(200);
    target.setFaults({ latencyMs: 10_000 });
    const stuck = fetch(`${target.url}${VARIANT}`).then(
      (r) => r.status,
      () => 'aborted',
    );
    await new Promise((r) => setTimeout(r, 20));
    const t0 = performance.now();
    await target.close();
    expect(performance.now() - t0).toBeLessThan(1_000);
    expect(await stuck).toBe('aborted');
    agent.destroy();
  });

  it('can be closed without ever listening, and twice', async () => {
    const target = createDemoTarget({ defaultMetrics: false });
    expect(target.url).toBe('http://127.0.0.1:8081');
    await target.close();
    await expect(target.close()).resolves.toBeUndefined();
  });

  it('fails to listen on a port in use with a sentence naming the address', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      await expect(startDemoTarget({ port, defaultMetrics: false })).rejects.toThrow(`the demo target could not listen on 127.0.0.1:${port}`);
    } finally {
      blocker.close();
    }
  });

  it.each([
    [{ port: -1 }, 'demo target option port must be an integer from 0 to 65535 (got -1)'],
    [{ rateLimit: { rps: 0, burst: 1 } }, 'demo target option rateLimit.rps must be a number greater than 0 (got 0)'],
    [{ maxBodyBytes: 0 }, 'demo target option maxBodyBytes must be a positive integer (got 0)'],
    [{ breaker: { slowCallMs: -5 } }, 'demo target option breaker.slowCallMs must be a number greater than 0 (got -5)'],
    [{ faults: { errorRate: 5 } }, 'errorRate must be a number from 0 to 1 (got 5)'],
  ] as [DemoTargetOptions, string][])('refuses the options %j with a sentence', (options, message) => {
    expect(() => createDemoTarget({ defaultMetrics: false, ...options })).toThrow(message);
  });
});

describe('routing', () => {
  it('answers an unknown route with a JSON 404', async () => {
    const target = await start();
    const r = await call(target, 'GET', '/v2/nothing');
    expect(r.status).toBe(404);
    expect(r.json).toEqual({ error: 'not_found', message: 'no route for GET /v2/nothing' });
  });

  it('answers a known path with the wrong method with 405 and Allow', async () => {
    const target = await start();
    const r = await call(target, 'DELETE', '/v1/events');
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toBe('POST');
    expect(r.json).toMatchObject({ error: 'method_not_allowed' });
  });
});

describe('rate limiting', () => {
  it('answers 429 with Retry-After once a client has used its burst, per X-Client-Id, on /v1 only', async () => {
    const target = await start({ rateLimit: { rps: 1, burst: 3 } });
    const a = { 'x-client-id': 'client-a' };
    for (let i = 0; i < 3; i++) expect((await call(target, 'GET', VARIANT, undefined, a)).status).toBe(200);
    const limited = await call(target, 'GET', VARIANT, undefined, a);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(limited.json).toMatchObject({ error: 'rate_limited' });
    expect((await call(target, 'GET', VARIANT, undefined, { 'x-client-id': 'client-b' })).status).toBe(200);
    expect((await call(target, 'GET', '/healthz', undefined, a)).status).toBe(200);
    expect(sample((await call(target, 'GET', '/metrics')).text, DEMO_METRIC.rateLimitedTotal)).toBe(1);
  });

  it('falls back to the remote address when there is no X-Client-Id', async () => {
    const target = await start({ rateLimit: { rps: 1, burst: 2 } });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await call(target, 'GET', VARIANT)).status);
    expect(statuses).toEqual([200, 200, 429]);
  });
});

describe('fault injection', () => {
  it('adds the configured latency to /v1 requests', async () => {
    const target = await start();
    await call(target, 'GET', VARIANT);
    let t0 = performance.now();
    await call(target, 'GET', VARIANT);
    const baseline = performance.now() - t0;
    const set = await call(target, 'POST', '/admin/faults', { latencyMs: 200 });
    expect(set.json).toMatchObject({ latencyMs: 200 });
    t0 = performance.now();
    expect((await call(target, 'GET', VARIANT)).status).toBe(200);
    const delayed = performance.now() - t0;
    expect(delayed).toBeGreaterThanOrEqual(195);
    expect(delayed - baseline).toBeGreaterThanOrEqual(150);
    // Only /v1 is delayed.
    t0 = performance.now();
    await call(target, 'GET', '/healthz');
    expect(performance.now() - t0).toBeLessThan(150);
  });

  it('fails every /v1 request with a 500 at errorRate 1, but not /healthz or /admin', async () => {
    const target = await start();
    target.setFaults({ errorRate: 1 });
    const paths = [VARIANT, '/v1/flags/flag-1/evaluate?user=u-1', '/v1/experiments', '/v1/experiments/exp-1'];
    for (let i = 0; i < 20; i++) {
      const r = await call(target, 'GET', paths[i % paths.length]!);
      expect(r.status).toBe(500);
      expect(r.json).toMatchObject({ error: 'injected_fault' });
    }
    expect((await call(target, 'GET', '/healthz')).status).toBe(200);
    expect((await call(target, 'GET', '/admin/faults')).json).toMatchObject({ errorRate: 1 });
    expect(sample((await call(target, 'GET', '/metrics')).text, DEMO_METRIC.injectedErrorsTotal)).toBe(20);
  });

  it('fails about errorRate of the requests when it is between 0 and 1', async () => {
    const target = await start();
    target.setFaults({ errorRate: 0.5 });
    let failed = 0;
    for (let i = 0; i < 200; i++) if ((await call(target, 'GET', VARIANT)).status === 500) failed++;
    // Binomial(200, 0.5): outside 60..140 is beyond 5 sigma.
    expect(failed).toBeGreaterThan(60);
    expect(failed).toBeLessThan(140);
  });

  it('leaks leakBytesPerRequest per request, reports the total, and releases it on DELETE', async () => {
    const target = await start();
    await call(target, 'POST', '/admin/faults', { leakBytesPerRequest: 1_000 });
    for (let i = 0; i < 10; i++) await call(target, 'GET', VARIANT);
    expect((await call(target, 'GET', '/admin/faults')).json.leakedBytes).toBe(10_000);
    expect(target.leakedBytes()).toBe(10_000);
    expect(sample((await call(target, 'GET', '/metrics')).text, DEMO_METRIC.leakedBytes)).toBe(10_000);
    const reset = await call(target, 'DELETE', '/admin/faults');
    expect(reset.json).toEqual({ latencyMs: 0, jitterMs: 0, errorRate: 0, leakBytesPerRequest: 0, cacheEnabled: true, leakedBytes: 0 });
    expect(target.faults()).toEqual({ latencyMs: 0, jitterMs: 0, errorRate: 0, leakBytesPerRequest: 0, cacheEnabled: true });
  });

  it('updates faults partially and returns the current values', async () => {
    const target = await start();
    await call(target, 'POST', '/admin/faults', { latencyMs: 5, jitterMs: 2 });
    const r = await call(target, 'POST', '/admin/faults', { cacheEnabled: false });
    expect(r.json).toEqual({ latencyMs: 5, jitterMs: 2, errorRate: 0, leakBytesPerRequest: 0, cacheEnabled: false, leakedBytes: 0 });
    expect((await call(target, 'GET', '/admin/faults')).json).toEqual(r.json);
  });

  it('refuses bad fault values with a 400 that says what is wrong, and changes nothing', async () => {
    const target = await start();
    const r = await call(target, 'POST', '/admin/faults', { latencyMs: 10, errorRate: 1.5 });
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ error: 'invalid_faults', message: 'errorRate must be a number from 0 to 1 (got 1.5)' });
    expect(target.faults().latencyMs).toBe(0);
    expect((await call(target, 'POST', '/admin/faults', '{oops')).json).toMatchObject({ error: 'invalid_json' });
    expect(() => target.setFaults({ jitterMs: -1 })).toThrow(FaultValidationError);
  });
});

describe('analytics circuit breaker', () => {
  const breaker = { failureThreshold: 3, resetAfterMs: 200, slowCallMs: 100 };

  async function breakerGauge(target: DemoTarget): Promise<number | undefined> {
    return sample((await call(target, 'GET', '/metrics')).text, `${DEMO_METRIC.circuitBreakerState}{breaker="results"}`);
  }

  it('opens after failureThreshold injected failures and then answers 503 circuit_open with Retry-After', async () => {
    const target = await start({ breaker });
    target.setFaults({ errorRate: 1 });
    for (let i = 0; i < 3; i++) expect((await call(target, 'GET', RESULTS)).status).toBe(500);
    const open = await call(target, 'GET', RESULTS);
    expect(open.status).toBe(503);
    expect(open.json).toMatchObject({ error: 'circuit_open' });
    expect(open.headers.get('retry-after')).toBe('1');
    expect(await breakerGauge(target)).toBe(1);
    // Other endpoints are not behind the breaker.
    target.resetFaults();
    expect((await call(target, 'GET', VARIANT)).status).toBe(200);
  });

  it('opens after failureThreshold calls slower than slowCallMs, even though they succeeded', async () => {
    const target = await start({ breaker });
    target.setFaults({ latencyMs: 130 });
    for (let i = 0; i < 3; i++) expect((await call(target, 'GET', RESULTS)).status).toBe(200);
    expect((await call(target, 'GET', RESULTS)).status).toBe(503);
  });

  it('half-opens after resetAfterMs, lets exactly one trial through, and closes when it succeeds', async () => {
    const target = await start({ breaker: { ...breaker, slowCallMs: 2_000 } });
    target.setFaults({ errorRate: 1 });
    for (let i = 0; i < 3; i++) await call(target, 'GET', RESULTS);
    expect((await call(target, 'GET', RESULTS)).status).toBe(503);
    target.resetFaults();
    target.setFaults({ latencyMs: 300 }); // keeps the trial in flight while the second call arrives
    await new Promise((r) => setTimeout(r, 250));
    expect(await breakerGauge(target)).toBe(2);
    const statuses = (await Promise.all([call(target, 'GET', RESULTS), call(target, 'GET', RESULTS)])).map((r) => r.status);
    expect(statuses.sort()).toEqual([200, 503]);
    target.resetFaults();
    expect((await call(target, 'GET', RESULTS)).status).toBe(200);
    expect(await breakerGauge(target)).toBe(0);
  });

  it('opens again at once when the half-open trial fails', async () => {
    const target = await start({ breaker });
    target.setFaults({ errorRate: 1 });
    for (let i = 0; i < 3; i++) await call(target, 'GET', RESULTS);
    await new Promise((r) => setTimeout(r, 250));
    expect((await call(target, 'GET', RESULTS)).status).toBe(500);
    expect((await call(target, 'GET', RESULTS)).json).toMatchObject({ error: 'circuit_open' });
  });
});

describe('/metrics', () => {
  it('exposes the request histogram, cache, ingestion, rate-limit, breaker and process series', async () => {
    const target = await start({ defaultMetrics: true });
    await call(target, 'GET', VARIANT);
    await call(target, 'GET', VARIANT);
    await call(target, 'POST', '/v1/events', [{ type: 'exposure', user: 'u-1', experiment: 'exp-1' }]);
    const r = await call(target, 'GET', '/metrics');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('text/plain');
    const text = r.text;
    expect(text).toContain(`${DEMO_METRIC.requestDurationSeconds}_bucket{le="0.1",method="GET",route="/v1/assignments/get_variant",status="200"} 2`);
    expect(text).toContain(`${DEMO_METRIC.requestDurationSeconds}_count{method="POST",route="/v1/events",status="202"} 1`);
    expect(sample(text, `${DEMO_METRIC.cacheHitsTotal}{cache="experiment"}`)).toBe(1);
    expect(sample(text, `${DEMO_METRIC.cacheMissesTotal}{cache="experiment"}`)).toBe(1);
    expect(sample(text, DEMO_METRIC.eventsIngestedTotal)).toBe(1);
    expect(sample(text, DEMO_METRIC.rateLimitedTotal)).toBe(0);
    expect(sample(text, `${DEMO_METRIC.circuitBreakerState}{breaker="results"}`)).toBe(0);
    expect(sample(text, 'demo_process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(text).toContain('demo_nodejs_heap_size_used_bytes');
  });

  it('keeps its series off prom-client’s global registry, so two targets and the service can share a process', async () => {
    const a = await start({ defaultMetrics: true });
    const b = await start({ defaultMetrics: true });
    expect(globalRegistry.getSingleMetric(DEMO_METRIC.cacheHitsTotal)).toBeUndefined();
    expect(a.registry).not.toBe(b.registry);
    expect((await call(a, 'GET', '/metrics')).status).toBe(200);
    expect((await call(b, 'GET', '/metrics')).status).toBe(200);
  });

  it('counts events dropped by the aggregator by reason', async () => {
    const target = await start({ drainIntervalMs: 60_000 });
    await call(target, 'POST', '/v1/events', [
      { type: 'exposure', user: 'u-1', experiment: 'exp-deleted' },
      { type: 'exposure', user: 'u-1', experiment: 'exp-1', variant: 'no-such-arm' },
    ]);
    target.flushEvents();
    const text = (await call(target, 'GET', '/metrics')).text;
    expect(sample(text, `${DEMO_METRIC.eventsDroppedTotal}{reason="unknown_experiment"}`)).toBe(1);
    expect(sample(text, `${DEMO_METRIC.eventsDroppedTotal}{reason="unknown_variant"}`)).toBe(1);
  });
});

describe('trace propagation', () => {
  it('records the traceparent header of every request it receives, in order', async () => {
    const target = await start();
    const ids = ['0af7651916cd43dd8448eb211c80319c', '4bf92f3577b34da6a3ce929d0e0e4736', 'a3ce929d0e0e47364bf92f3577b34da6'];
    const headers = ids.map((id, i) => `00-${id}-00f067aa0ba902b${i}-01`);
    await call(target, 'GET', VARIANT, undefined, { traceparent: headers[0]! });
    await call(target, 'GET', VARIANT); // no header: nothing recorded
    await call(target, 'POST', '/v1/events', [{ type: 'exposure', user: 'u', experiment: 'exp-1' }], { traceparent: headers[1]! });
    await call(target, 'GET', '/v1/nope', undefined, { traceparent: headers[2]! });
    expect(target.receivedTraceparents()).toEqual(headers);
    expect((await call(target, 'GET', '/admin/traces')).json).toEqual({ count: 3, traceparents: headers });
  });
});
