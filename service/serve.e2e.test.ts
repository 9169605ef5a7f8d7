/**
 * End to end: `burnwatch serve` as a child process on a real config, with the
 * demo target in-process, scheduled probes, SQLite state, an OTLP receiver,
 * promtool, a real Prometheus scraping /metrics, and Chromium reading the
 * status page.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finished, spawnCli, waitForOutput } from '../test/helpers.ts';
import { openSqliteRunStore } from './state/run-store.ts';
import { startOtlpReceiver } from '../test/otlp-receiver.ts';
import type { OtlpReceiver } from '../test/otlp-receiver.ts';
import { eventually, freePort, requireBinary } from '../test/tools.ts';

const TOKEN = 'e2e-secret-token-123';
const promtool = requireBinary('promtool');
const prometheus = requireBinary('prometheus');
const chromium = requireBinary('chromium');

interface Run {
  id: string;
  probe: string;
  status: string;
  trigger: string;
  summary?: { metrics: Record<string, { values: Record<string, number> }>; outcomes: Record<string, number> };
}

function config(dataDir: string, demoPort: number, extraProbes = ''): string {
  return `apiVersion: burnwatch/v1
kind: Service
metadata: { name: e2e }
spec:
  listen: 127.0.0.1:0
  dataDir: ${JSON.stringify(dataDir)}
  authToken: \${E2E_TOKEN}
  evaluationInterval: 1s
  demoTarget: { enabled: true, listen: "127.0.0.1:${demoPort}" }
  telemetry: { traceSampleRatio: 0.5 }
---
apiVersion: burnwatch/v1
kind: Probe
metadata: { name: assignment }
spec:
  schedule: "*/2 * * * * *"
  target: http://127.0.0.1:${demoPort}
  scenario: { executor: constant-arrival-rate, rate: 20, duration: 1s, preAllocatedVUs: 5, gracefulStop: 1s }
  requests:
    - name: get_variant
      url: /v1/assignments/get_variant?experiment=exp-{{randInt 1 5}}&user=u-{{randInt 1 50}}
      expect: { status: [200] }
  thresholds: { http_req_failed: ["rate<0.5"] }
---
apiVersion: burnwatch/v1
kind: Probe
metadata: { name: health }
spec:
  schedule: "* * * * * *"
  target: http://127.0.0.1:${demoPort}
  scenario: { executor: shared-iterations, vus: 1, iterations: 1, maxDuration: 2s }
  requests: [{ name: healthz, url: /healthz }]
---
apiVersion: burnwatch/v1
kind: Probe
metadata: { name: long }
spec:
  target: http://127.0.0.1:${demoPort}
  scenario: { executor: constant-arrival-rate, rate: 5, duration: 60s, preAllocatedVUs: 2, gracefulStop: 1s }
  requests: [{ name: flag, url: "/v1/flags/flag-1/evaluate?user=u-{{randInt 1 9}}" }]
${extraProbes}---
apiVersion: burnwatch/v1
kind: SLO
metadata: { name: assignment-latency }
spec: { probe: assignment, indicator: { latency: { thresholdMs: 100 } }, objective: 99 }
---
apiVersion: burnwatch/v1
kind: SLO
metadata: { name: assignment-cache }
spec: { probe: assignment, indicator: { cacheHit: { header: X-Cache, hitValues: [HIT] } }, objective: 50 }
---
apiVersion: burnwatch/v1
kind: SLO
metadata: { name: uptime }
spec: { probe: health, indicator: { uptime: {} }, objective: 99.9, budgeting: { timeslices: { slice: 1m } } }
`;
}

interface Instance {
  child: ChildProcessWithoutNullStreams;
  url: string;
  logs: () => string;
  exit: ReturnType<typeof finished>;
}

async function startServe(configFile: string, env: NodeJS.ProcessEnv): Promise<Instance> {
  const child = spawnCli(['serve', '--config', configFile], { env: { E2E_TOKEN: TOKEN, ...env } });
  let logs = '';
  child.stdout.on('data', (d: Buffer) => (logs += d.toString()));
  child.stderr.on('data', (d: Buffer) => (logs += d.toString()));
  const exit = finished(child, 180_000);
  const [, url] = await waitForOutput(child, /"msg":"burnwatch listening","url":"(http:\/\/127\.0\.0\.1:\d+)"/, 30_000);
  return { child, url: url!, logs: () => logs, exit };
}

async function json<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, init);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

async function finishedRun(url: string, probe: string, after = 0): Promise<Run> {
  return eventually(async () => {
    const { runs } = await json<{ runs: Run[] }>(`${url}/api/runs?probe=${probe}&limit=20`);
    return runs.slice(after).find((r) => r.status !== 'running');
  }, `a finished ${probe} run`, 30_000);
}

let dir: string;
let demoPort: number;
let configFile: string;
let otlp: OtlpReceiver;
let svc: Instance;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'burnwatch-e2e-'));
  await mkdir('test-artifacts', { recursive: true });
  demoPort = await freePort();
  configFile = join(dir, 'burnwatch.yaml');
  await writeFile(configFile, config(join(dir, 'data'), demoPort));
  otlp = await startOtlpReceiver();
  svc = await startServe(configFile, { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_BSP_SCHEDULE_DELAY: '200' });
}, 60_000);

afterAll(async () => {
  if (svc?.child.exitCode === null) {
    svc.child.kill('SIGTERM');
    await svc.exit.catch(() => undefined);
  }
  await otlp?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('burnwatch serve, end to end', () => {
  it('runs scheduled probes and serves their runs and SLOs', async () => {
    const run = await finishedRun(svc.url, 'assignment');
    expect(run.trigger).toBe('schedule');
    expect(run.status).toBe('passed');
    const full = await json<Run>(`${svc.url}/api/runs/${run.id}`);
    expect(full.summary?.metrics.http_reqs?.values.count).toBeGreaterThanOrEqual(15);
    expect(full.summary?.outcomes.ok).toBe(full.summary?.metrics.http_reqs?.values.count);

    const slo = await eventually(async () => {
      const s = await json<{ evaluation: { sli: { sli: number | null; events: number } } | null }>(`${svc.url}/api/slos/assignment-latency`);
      return s.evaluation && s.evaluation.sli.sli !== null ? s : undefined;
    }, 'an evaluated latency SLO');
    expect(slo.evaluation!.sli.events).toBeGreaterThanOrEqual(15);
    expect(slo.evaluation!.sli.sli).toBeGreaterThan(0.9);
    const { slos } = await json<{ slos: { name: string }[] }>(`${svc.url}/api/slos`);
    expect(slos.map((s) => s.name)).toEqual(['assignment-latency', 'assignment-cache', 'uptime']);
    const cache = await json<{ evaluation: { sli: { sli: number | null } } }>(`${svc.url}/api/slos/assignment-cache`);
    expect(cache.evaluation.sli.sli).toBeGreaterThan(0.5); // 5 experiments × 50 users: mostly cache hits after the first misses

    const { probes } = await json<{ probes: { name: string; schedule: string | null; nextRunAt: string | null }[] }>(`${svc.url}/api/probes`);
    expect(probes.find((p) => p.name === 'assignment')?.nextRunAt).toMatch(/^\d{4}-/);
    expect(probes.find((p) => p.name === 'long')?.schedule).toBeNull();
    expect((await fetch(`${svc.url}/api/runs/nope`)).status).toBe(404);
  });

  it.skipIf(promtool.skip)('exposes /metrics that promtool accepts, with exemplars in OpenMetrics', async () => {
    await finishedRun(svc.url, 'assignment');
    const text = await (await fetch(`${svc.url}/metrics`)).text();
    expect(text).toMatch(/^burnwatch_probe_requests_total\{probe="assignment",request="get_variant",outcome="ok"\} \d+/m);
    const check = spawnSync(promtool.need(), ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(check.stderr + check.stdout).toBe('');
    expect(check.status).toBe(0);
    const om = await eventually(async () => {
      const body = await (await fetch(`${svc.url}/metrics`, { headers: { accept: 'application/openmetrics-text; version=1.0.0' } })).text();
      return /burnwatch_probe_request_duration_seconds_bucket\{[^}]*\} \d+ # \{trace_id="[0-9a-f]{32}"/.test(body) ? body : undefined;
    }, 'an exemplar with a trace id');
    expect(om.endsWith('# EOF\n')).toBe(true);
  });

  it('exports run and request spans whose trace ids are the traceparents the target received', async () => {
    const span = await eventually(async () => {
      const { traceparents } = await json<{ traceparents: string[] }>(`http://127.0.0.1:${demoPort}/admin/traces`);
      const sent = new Map(traceparents.map((tp) => [tp.split('-')[1], tp.split('-')[2]]));
      return otlp.spans.find((s) => sent.get(s.traceId) === s.spanId);
    }, 'a request span matching a received traceparent');
    expect(span.kind).toBe(3); // SPAN_KIND_CLIENT
    expect(span.attributes['http.request.method']).toBe('GET');
    expect(String(span.attributes['url.full'])).toContain(`127.0.0.1:${demoPort}/`);
    const runSpan = otlp.spans.find((s) => s.spanId === span.links[0]?.spanId);
    expect(runSpan?.name).toMatch(/probe run/);
  });

  it.skipIf(prometheus.skip)('is scraped by a real Prometheus that answers PromQL over its series', async () => {
    const promDir = join(dir, 'prometheus');
    await mkdir(promDir, { recursive: true });
    const port = await freePort();
    const target = new URL(svc.url).host;
    await writeFile(
      join(promDir, 'prometheus.yml'),
      `global: { scrape_interval: 1s, evaluation_interval: 1s }\nscrape_configs:\n  - job_name: burnwatch\n    static_configs: [{ targets: ["${target}"] }]\n`,
    );
    const prom = spawn(prometheus.need(), [
      `--config.file=${join(promDir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(promDir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ]);
    try {
      const value = await eventually(async () => {
        const q = encodeURIComponent('sum(burnwatch_probe_requests_total{probe="assignment",outcome="ok"})');
        const r = await json<{ data: { result: { value: [number, string] }[] } }>(`http://127.0.0.1:${port}/api/v1/query?query=${q}`);
        return r.data.result[0] ? Number(r.data.result[0].value[1]) : undefined;
      }, 'Prometheus to scrape burnwatch', 30_000, 500);
      expect(value).toBeGreaterThan(0);
    } finally {
      prom.kill('SIGTERM');
    }
  });

  it('requires the bearer token on POST and bounds the body', async () => {
    const post = (headers: Record<string, string>, body?: string): Promise<Response> =>
      fetch(`${svc.url}/api/probes/long/run`, { method: 'POST', headers, body });
    const none = await post({});
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    expect(await none.json()).toMatchObject({ error: 'unauthorized' });
    expect((await post({ authorization: 'Bearer wrong-token-xyz' })).status).toBe(401);
    const big = await post({ authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, JSON.stringify({ pad: 'x'.repeat(20_000) }));
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ error: 'body_too_large' });
    expect((await fetch(`${svc.url}/api/probes/nope/run`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
  });

  it('starts an on-demand run with the token, and the token never shows in the API', async () => {
    const res = await fetch(`${svc.url}/api/probes/long/run`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(202);
    const { runId } = (await res.json()) as { runId: string };
    const again = await fetch(`${svc.url}/api/probes/long/run`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(again.status).toBe(409);
    const run = await json<Run>(`${svc.url}/api/runs/${runId}`);
    expect(run).toMatchObject({ probe: 'long', trigger: 'api', status: 'running' });
    for (const path of ['/api/probes', '/api/slos', '/api/runs', `/api/runs/${runId}`, '/']) {
      expect(await (await fetch(`${svc.url}${path}`)).text()).not.toContain(TOKEN);
    }
    expect(svc.logs()).not.toContain(TOKEN);
  });

  it('keeps serving the old config when SIGHUP brings a broken one, and takes a good one', async () => {
    await writeFile(configFile, config(join(dir, 'data'), demoPort).replace('objective: 99 }', 'objective: 150 }'));
    svc.child.kill('SIGHUP');
    await eventually(() => (svc.logs().includes('config reload rejected') ? true : undefined), 'the reload to be rejected');
    expect(svc.logs()).toMatch(/spec\.objective: 150 is out of range/);
    expect((await fetch(`${svc.url}/healthz`)).status).toBe(200);
    const { slos } = await json<{ slos: { name: string }[] }>(`${svc.url}/api/slos`);
    expect(slos.map((s) => s.name)).toContain('assignment-latency');

    const extra = `---\napiVersion: burnwatch/v1\nkind: Probe\nmetadata: { name: added }\nspec:\n  target: http://127.0.0.1:${demoPort}\n  scenario: { executor: shared-iterations }\n  requests: [{ name: h, url: /healthz }]\n`;
    await writeFile(configFile, config(join(dir, 'data'), demoPort, extra));
    svc.child.kill('SIGHUP');
    const names = await eventually(async () => {
      const { probes } = await json<{ probes: { name: string }[] }>(`${svc.url}/api/probes`);
      return probes.some((p) => p.name === 'added') ? probes.map((p) => p.name) : undefined;
    }, 'the reloaded config');
    expect(names).toEqual(['assignment', 'health', 'long', 'added']);
  });

  it.skipIf(chromium.skip)('shows SLOs, budgets and burn rates on the status page', async () => {
    const { chromium: browserType } = await import('playwright-core');
    const profile = await mkdtemp(join(dir, 'chromium-'));
    const context = await browserType.launchPersistentContext(profile, {
      executablePath: chromium.need(),
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    });
    try {
      const page = await context.newPage();
      await page.goto(svc.url, { waitUntil: 'load' });
      const text = await page.locator('body').innerText();
      for (const name of ['assignment-latency', 'assignment-cache', 'uptime']) expect(text).toContain(name);
      expect(text).toMatch(/budget/i);
      expect(text).toMatch(/burn/i);
      expect(text).toMatch(/99(\.0+)?\s?%/); // the latency SLO's objective
      expect(text).toMatch(/\b(passed|pass)\b/i); // a recent run
      await page.screenshot({ path: 'test-artifacts/serve-status-page.png', fullPage: true });
    } finally {
      await context.close();
    }
  });

  it('exits 0 within 5 s of SIGTERM with a run in progress, which is recorded as aborted', async () => {
    const res = await fetch(`${svc.url}/api/probes/long/run`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    // Either a new run starts or the earlier on-demand one is still going: both leave a 'long' run in progress.
    expect([202, 409]).toContain(res.status);
    const stopAt = Date.now();
    svc.child.kill('SIGTERM');
    const r = await svc.exit;
    expect(r.code).toBe(0);
    expect(Date.now() - stopAt).toBeLessThan(5_000);
    expect(svc.logs()).toContain('"msg":"burnwatch stopped"');
    const history = openSqliteRunStore(join(dir, 'data', 'runs.db'));
    try {
      const [last] = history.recent(1, 'long');
      expect(last).toMatchObject({ status: 'aborted', stopReason: 'burnwatch is shutting down' });
      expect(history.recent(500).filter((r) => r.status === 'running')).toEqual([]);
    } finally {
      history.close();
    }
  });
});

describe('restart safety', () => {
  it('after kill -9 during a run, a restart keeps runs and SLI data, marks the run interrupted and schedules again', async () => {
    const d = await mkdtemp(join(tmpdir(), 'burnwatch-kill-'));
    const port = await freePort();
    const file = join(d, 'burnwatch.yaml');
    await writeFile(file, config(join(d, 'data'), port));
    try {
      const first = await startServe(file, {});
      const done = await finishedRun(first.url, 'assignment');
      const before = await eventually(async () => {
        const s = await json<{ evaluation: { sli: { events: number } } | null }>(`${first.url}/api/slos/assignment-latency`);
        return s.evaluation && s.evaluation.sli.events > 0 ? s.evaluation.sli.events : undefined;
      }, 'SLI data');
      const started = await json<{ runId: string }>(`${first.url}/api/probes/long/run`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
      await eventually(async () => ((await json<Run>(`${first.url}/api/runs/${started.runId}`)).status === 'running' ? true : undefined), 'the long run');

      // A second instance on the same data dir refuses to start.
      const second = await finished(spawnCli(['serve', '--config', file], { env: { E2E_TOKEN: TOKEN } }), 30_000);
      expect(second.code).toBe(1);
      expect(second.stdout + second.stderr).toMatch(/another burnwatch \(pid \d+\) is using the data dir/);

      first.child.kill('SIGKILL');
      await first.exit;
      // Everything the API showed before the kill is on disk after it.
      const db = new Database(join(d, 'data', 'sli.db'), { readonly: true });
      const stored = db
        .prepare<[], { total: number }>("SELECT SUM(b.total) AS total FROM bucket b JOIN slo s ON s.id = b.slo WHERE s.name = 'assignment-latency'")
        .get()!.total;
      db.close();
      expect(stored).toBeGreaterThanOrEqual(before);

      // Restart without schedules first, so the SLI read back is exactly what was stored; telemetry's
      // collector is a black hole that never answers, which must not delay the shutdown below.
      await writeFile(file, config(join(d, 'data'), port).replaceAll(/^ {2}schedule: .*$/gm, ''));
      const hole = createServer(() => {});
      await new Promise<void>((resolve) => hole.listen(0, '127.0.0.1', resolve));
      const holeUrl = `http://127.0.0.1:${(hole.address() as AddressInfo).port}`;
      const again = await startServe(file, { OTEL_EXPORTER_OTLP_ENDPOINT: holeUrl });
      try {
        const interrupted = await json<Run & { stopReason: string }>(`${again.url}/api/runs/${started.runId}`);
        expect(interrupted.status).toBe('interrupted');
        expect(interrupted.stopReason).toMatch(/killed or crashed/);
        expect((await json<Run>(`${again.url}/api/runs/${done.id}`)).status).toBe('passed');
        const after = await eventually(async () => {
          const s = await json<{ evaluation: { sli: { events: number } } | null }>(`${again.url}/api/slos/assignment-latency`);
          return s.evaluation ? s.evaluation.sli.events : undefined;
        }, 'SLI data after restart');
        expect(after).toBe(stored);
        // Scheduling resumes: the schedules come back with a reload.
        const { runs } = await json<{ runs: Run[] }>(`${again.url}/api/runs?probe=assignment`);
        const known = new Set(runs.map((r) => r.id));
        await writeFile(file, config(join(d, 'data'), port));
        again.child.kill('SIGHUP');
        await eventually(async () => {
          const now = await json<{ runs: Run[] }>(`${again.url}/api/runs?probe=assignment`);
          return now.runs.some((r) => !known.has(r.id) && r.trigger === 'schedule') ? true : undefined;
        }, 'a scheduled run after the restart');
        const stopAt = Date.now();
        again.child.kill('SIGTERM');
        expect((await again.exit).code).toBe(0);
        expect(Date.now() - stopAt).toBeLessThan(5_000);
      } finally {
        if (again.child.exitCode === null) {
          again.child.kill('SIGTERM');
          await again.exit;
        }
        hole.closeAllConnections();
        hole.close();
      }
    } finally {
      await rm(d, { recursive: true, force: true });
    }
  }, 120_000);
});
