import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { AlertState } from '../alerts/index.ts';
import { MAX_BODY_BYTES, createApiRouter } from './api.ts';
import type { ApiDeps } from './api.ts';
import { finishApp } from './app.ts';
import type { Config } from './config/index.ts';
import { silentLogger } from './logger.ts';
import type { TriggerResult } from './scheduler.ts';
import { createMemoryRunStore, openSqliteRunStore } from './state/run-store.ts';
import type { RunStore } from './state/run-store.ts';
import { configFrom } from './test-support.ts';

const TOKEN = 'api-test-token-0123';
const SECRET = 'sk-live-secret-4242';
const T0 = Date.parse('2025-03-01T12:00:00.000Z');

function config(token: boolean): Config {
  return configFrom(
    `${token ? 'apiVersion: burnwatch/v1\nkind: Service\nmetadata: { name: svc }\nspec: { authToken: "${TOKEN_VAR}" }\n---\n' : ''}apiVersion: burnwatch/v1
kind: Probe
metadata: { name: assignment }
spec:
  schedule: "*/30 * * * * *"
  target: http://127.0.0.1:9
  scenario: { executor: shared-iterations, vus: 1, iterations: 3, maxDuration: 5s }
  requests:
    - name: get_variant
      url: /v1/x
      headers: { Authorization: "Bearer \${API_KEY}" }
---
apiVersion: burnwatch/v1
kind: SLO
metadata: { name: assignment-errors }
spec: { probe: assignment, description: "calls the API with key \${API_KEY}", indicator: { errorRate: {} }, objective: 99 }
`,
    { TOKEN_VAR: TOKEN, API_KEY: SECRET },
  );
}

const dir = mkdtempSync(join(tmpdir(), 'burnwatch-api-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Api {
  url: string;
  runs: RunStore;
  started: string[];
  /** What the next startRun answers. */
  answer: TriggerResult;
  alerts: AlertState[];
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise<void>((resolve) => {
          s.closeAllConnections();
          s.close(() => resolve());
        }),
    ),
  );
});

async function api(options: { token?: boolean; runs?: RunStore } = {}): Promise<Api> {
  const cfg = config(options.token ?? true);
  const state: Api = { url: '', runs: options.runs ?? createMemoryRunStore(), started: [], answer: { started: true, runId: 'run-1' }, alerts: [] };
  const deps: ApiDeps = {
    config: () => cfg,
    evaluation: () => undefined,
    alerts: () => state.alerts,
    runs: state.runs,
    probeState: () => ({ running: false, runId: null, nextRunAt: '2025-03-01T12:00:30.000Z', skippedRuns: 2 }),
    startRun: (probe) => {
      state.started.push(probe);
      return state.answer;
    },
  };
  const app = express();
  app.use('/api', createApiRouter(deps));
  finishApp(app, silentLogger);
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  servers.push(server);
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}

const post = (a: Api, path: string, init: { token?: string; body?: string } = {}): Promise<Response> =>
  fetch(`${a.url}${path}`, {
    method: 'POST',
    headers: init.token === undefined ? {} : { authorization: `Bearer ${init.token}` },
    body: init.body,
  });

async function json(res: Response): Promise<Record<string, unknown>> {
  return (await res.json()) as Record<string, unknown>;
}

describe('the read endpoints', () => {
  it('lists SLOs with a null evaluation before the first round, secrets redacted', async () => {
    const a = await api();
    const res = await fetch(`${a.url}/api/slos`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const text = await res.text();
    expect(text).not.toContain(SECRET);
    expect(JSON.parse(text)).toMatchObject({
      slos: [{ name: 'assignment-errors', probe: 'assignment', description: 'calls the API with key [redacted]', evaluation: null }],
    });
  });

  it('answers 404 with a JSON error for an SLO or run that does not exist', async () => {
    const a = await api();
    const slo = await fetch(`${a.url}/api/slos/nope`);
    expect(slo.status).toBe(404);
    expect(await json(slo)).toEqual({ error: 'slo_not_found', message: 'no SLO named "nope"' });
    const run = await fetch(`${a.url}/api/runs/nope`);
    expect(run.status).toBe(404);
    expect(await json(run)).toEqual({ error: 'run_not_found', message: 'no run with id "nope"' });
  });

  it('answers 400 bad_request, not "internal", to a path it cannot decode', async () => {
    const a = await api();
    for (const path of ['/api/runs/%E0', '/api/slos/%']) {
      const res = await fetch(`${a.url}${path}`);
      expect(res.status).toBe(400);
      expect(await json(res)).toEqual({ error: 'bad_request', message: expect.stringMatching(/^Failed to decode param/) as unknown });
    }
  });

  it('lists probes with their state and last run, and gives a run in full, secrets redacted', async () => {
    const a = await api();
    a.runs.start({ id: 'r1', probe: 'assignment', trigger: 'api', startedAt: T0, traceId: null });
    a.runs.fail('r1', T0 + 10, `target refused key ${SECRET}`);
    const probes = await fetch(`${a.url}/api/probes`);
    const probesText = await probes.text();
    expect(probesText).not.toContain(SECRET);
    expect(JSON.parse(probesText)).toMatchObject({
      probes: [
        {
          name: 'assignment',
          schedule: '*/30 * * * * *',
          executor: 'shared-iterations',
          requests: ['get_variant'],
          running: false,
          nextRunAt: '2025-03-01T12:00:30.000Z',
          skippedRuns: 2,
          lastRun: { id: 'r1', status: 'error', stopReason: 'target refused key [redacted]', requests: null, thresholds: null },
        },
      ],
    });
    const run = await fetch(`${a.url}/api/runs/r1`);
    const runText = await run.text();
    expect(runText).not.toContain(SECRET);
    expect(JSON.parse(runText)).toMatchObject({ id: 'r1', status: 'error', summary: null });
  });

  it('keeps its JSON valid when an environment value is also a JSON literal (a flag from ${SKIP_TLS}, a count from ${VUS})', async () => {
    const cfg = configFrom(
      `apiVersion: burnwatch/v1
kind: Probe
metadata: { name: staging }
spec:
  target: https://127.0.0.1:9
  insecureSkipTLSVerify: \${SKIP_TLS}
  scenario:
    executor: shared-iterations
    vus: \${VUS}
    iterations: 1000
    maxDuration: 5s
  requests: [{ name: get, url: /x, headers: { Authorization: "Bearer \${API_KEY}" } }]
`,
      { SKIP_TLS: 'false', VUS: '1000', API_KEY: SECRET },
    );
    const app = express();
    app.use(
      '/api',
      createApiRouter({
        config: () => cfg,
        evaluation: () => undefined,
        alerts: () => [],
        runs: createMemoryRunStore(),
        probeState: () => ({ running: false, runId: null, nextRunAt: null, skippedRuns: 1000 }),
        startRun: () => ({ started: false, reason: 'unknown' }),
      }),
    );
    finishApp(app, silentLogger);
    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    servers.push(server);
    const text = await (await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/probes`)).text();
    expect(() => JSON.parse(text) as unknown).not.toThrow();
    expect(JSON.parse(text)).toMatchObject({ probes: [{ name: 'staging', running: false, skippedRuns: 1000 }] });
  });

  it('lists active alerts', async () => {
    const a = await api();
    a.alerts = [{ slo: 'assignment-errors', alert: 'page', severity: 'page', state: 'firing', since: '2025-03-01T12:00:00.000Z', burnRate: 20, windows: ['5m/1h'] }];
    expect(await json(await fetch(`${a.url}/api/alerts`))).toEqual({ alerts: a.alerts });
  });

  it.each<[string, number]>([
    ['', 50],
    ['?limit=2', 2],
    ['?limit=1000', 500],
    ['?limit=-5', 1],
    ['?limit=0', 1],
    ['?limit=', 50],
    ['?limit=abc', 50],
    ['?limit=2.5', 2],
  ])('bounds /api/runs%s to %i runs', async (query, expected) => {
    const runs = createMemoryRunStore();
    for (let i = 0; i < 600; i++) runs.start({ id: `r${i}`, probe: i % 2 ? 'a' : 'b', trigger: 'schedule', startedAt: T0 + i, traceId: null });
    const a = await api({ runs });
    const body = (await json(await fetch(`${a.url}/api/runs${query}`))) as { runs: { id: string }[] };
    expect(body.runs).toHaveLength(expected);
    expect(body.runs[0]?.id).toBe('r599');
  });

  it('answers a fractional limit on the SQLite run history instead of failing', async () => {
    const runs = openSqliteRunStore(join(dir, 'runs.db'));
    for (let i = 0; i < 3; i++) runs.start({ id: `r${i}`, probe: 'a', trigger: 'schedule', startedAt: T0 + i, traceId: null });
    const a = await api({ runs });
    const res = await fetch(`${a.url}/api/runs?limit=2.5`);
    expect(res.status).toBe(200);
    expect(((await json(res)) as { runs: { id: string }[] }).runs.map((r) => r.id)).toEqual(['r2', 'r1']);
    runs.close();
  });

  it('filters /api/runs by probe', async () => {
    const a = await api();
    a.runs.start({ id: 'x', probe: 'a', trigger: 'api', startedAt: T0, traceId: null });
    a.runs.start({ id: 'y', probe: 'b', trigger: 'api', startedAt: T0 + 1, traceId: null });
    const body = (await json(await fetch(`${a.url}/api/runs?probe=a`))) as { runs: { id: string }[] };
    expect(body.runs.map((r) => r.id)).toEqual(['x']);
  });
});

describe('POST /api/probes/:name/run', () => {
  it('answers 401 with WWW-Authenticate without a token or with a wrong one, and starts nothing', async () => {
    const a = await api();
    for (const token of [undefined, 'wrong-token-0000000', `${TOKEN}x`]) {
      const res = await post(a, '/api/probes/assignment/run', { token });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="burnwatch"');
      expect(await json(res)).toEqual({ error: 'unauthorized', message: 'a valid bearer token is required (Authorization: Bearer <token>)' });
    }
    expect(a.started).toEqual([]);
  });

  it('answers 401 with a sentence saying POST is disabled when no token is configured', async () => {
    const a = await api({ token: false });
    const res = await post(a, '/api/probes/assignment/run', { token: TOKEN });
    expect(res.status).toBe(401);
    expect(await json(res)).toEqual({
      error: 'unauthorized',
      message: 'POST endpoints are disabled: no authToken is configured in the Service document',
    });
    expect(a.started).toEqual([]);
  });

  it('starts a run with the right token and an empty body or {}, answering 202 with its location', async () => {
    const a = await api();
    for (const body of [undefined, '', '{}', ' { } ']) {
      const res = await post(a, '/api/probes/assignment/run', { token: TOKEN, body });
      expect(res.status).toBe(202);
      expect(res.headers.get('location')).toBe('/api/runs/run-1');
      expect(await json(res)).toEqual({ runId: 'run-1', probe: 'assignment', url: '/api/runs/run-1' });
    }
    expect(a.started).toEqual(['assignment', 'assignment', 'assignment', 'assignment']);
  });

  it('accepts the token scheme in any case and surrounding spaces', async () => {
    const a = await api();
    const res = await fetch(`${a.url}/api/probes/assignment/run`, { method: 'POST', headers: { authorization: `bearer   ${TOKEN}` } });
    expect(res.status).toBe(202);
  });

  it.each<[string, string]>([
    ['{"probe":"x"}', 'invalid_body'],
    ['[]', 'invalid_body'],
    ['"text"', 'invalid_body'],
    ['1', 'invalid_body'],
    ['null', 'invalid_body'],
    ['not json', 'invalid_json'],
  ])('answers 400 to the body %s without starting a run', async (body, code) => {
    const a = await api();
    const res = await post(a, '/api/probes/assignment/run', { token: TOKEN, body });
    expect(res.status).toBe(400);
    expect((await json(res)).error).toBe(code);
    expect(a.started).toEqual([]);
  });

  it('answers 413 to a body over 16 KiB', async () => {
    const a = await api();
    const res = await post(a, '/api/probes/assignment/run', { token: TOKEN, body: `{"x":"${'a'.repeat(MAX_BODY_BYTES)}"}` });
    expect(res.status).toBe(413);
    expect((await json(res)).error).toBe('body_too_large');
    expect(a.started).toEqual([]);
  });

  it.each<[TriggerResult, number, string]>([
    [{ started: false, reason: 'unknown' }, 404, 'probe_not_found'],
    [{ started: false, reason: 'running' }, 409, 'run_in_progress'],
    [{ started: false, reason: 'refused', message: 'the probe asks for more than maxRps' }, 422, 'run_refused'],
    [{ started: false, reason: 'failed', message: 'could not record the run: disk full' }, 500, 'run_failed'],
    [{ started: false, reason: 'stopping' }, 503, 'stopping'],
  ])('answers a start refused with %j with %i %s', async (answer, status, code) => {
    const a = await api();
    a.answer = answer;
    const res = await post(a, '/api/probes/assignment/run', { token: TOKEN });
    expect(res.status).toBe(status);
    const body = await json(res);
    expect(body.error).toBe(code);
    expect(body.message).toEqual(expect.any(String));
    if (answer.started === false && answer.reason === 'refused') expect(body.message).toBe('probe "assignment" could not start: the probe asks for more than maxRps');
  });

  it('redacts secrets from the reason a run could not start', async () => {
    const a = await api();
    a.answer = { started: false, reason: 'failed', message: `header Authorization: Bearer ${SECRET} is invalid` };
    const res = await post(a, '/api/probes/assignment/run', { token: TOKEN });
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toContain(SECRET);
    expect(JSON.parse(text)).toMatchObject({ message: 'probe "assignment" could not start: header Authorization: Bearer [redacted] is invalid' });
  });
});
