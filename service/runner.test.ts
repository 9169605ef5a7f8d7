/**
 * The probe runner with real probe runs (load workers and all) against a
 * loopback server: /ok answers at once, /slow after 150 ms, /hang never.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IntervalSnapshot, RunSummary } from '../probes/index.ts';
import { createMemoryStore } from '../slos/index.ts';
import type { SliStore } from '../slos/index.ts';
import type { Config } from './config/index.ts';
import { ProbeRunner } from './runner.ts';
import { createMemoryRunStore, openSqliteRunStore } from './state/run-store.ts';
import type { RunStore } from './state/run-store.ts';
import { memoryLogger } from './telemetry/test-support.ts';
import { configFrom, localServer, recordingTelemetry } from './test-support.ts';
import type { LocalServer, RecordingTelemetry } from './test-support.ts';

let server: LocalServer;
const hanging: ServerResponse[] = [];
let slowHits = 0;
let hangHits = 0;

beforeAll(async () => {
  server = await localServer((req, res) => {
    if (req.url === '/slow') {
      slowHits++;
      setTimeout(() => res.end('slow'), 150);
    } else if (req.url === '/hang') {
      hangHits++;
      hanging.push(res);
    } else res.end('ok');
  });
});
afterAll(async () => {
  await server.close();
});

let config: Config;
beforeAll(() => {
  config = configFrom(`
apiVersion: burnwatch/v1
kind: Probe
metadata: { name: quick }
spec:
  target: ${server.url}
  scenario: { executor: shared-iterations, vus: 1, iterations: 4, maxDuration: 10s }
  requests: [{ name: get, url: /ok }]
---
apiVersion: burnwatch/v1
kind: Probe
metadata: { name: slow }
spec:
  target: ${server.url}
  scenario: { executor: shared-iterations, vus: 1, iterations: 40, maxDuration: 20s, gracefulStop: 5s }
  requests: [{ name: get, url: /slow }]
---
apiVersion: burnwatch/v1
kind: Probe
metadata: { name: hang }
spec:
  target: ${server.url}
  timeout: 60s
  scenario: { executor: shared-iterations, vus: 1, iterations: 2, maxDuration: 60s, gracefulStop: 60s }
  requests: [{ name: get, url: /hang }]
---
apiVersion: burnwatch/v1
kind: Probe
metadata: { name: busy }
spec:
  target: ${server.url}
  scenario: { executor: constant-arrival-rate, rate: 100, duration: 1s, preAllocatedVUs: 2 }
  requests: [{ name: get, url: /ok }]
---
apiVersion: burnwatch/v1
kind: SLO
metadata: { name: quick-errors }
spec: { probe: quick, indicator: { errorRate: {} }, objective: 99 }
---
apiVersion: burnwatch/v1
kind: SLO
metadata: { name: quick-latency }
spec: { probe: quick, indicator: { latency: { thresholdMs: 2000 } }, objective: 99 }
`);
});

interface Harness {
  runner: ProbeRunner;
  runs: RunStore;
  sli: SliStore;
  telemetry: RecordingTelemetry;
  lines: Record<string, unknown>[];
  snapshots: IntervalSnapshot[];
  /** Resolves with the summary of the next run recorded as finished. */
  nextFinish(): Promise<RunSummary>;
}

function harness(options: { config?: () => Config; sli?: SliStore; runs?: RunStore } = {}): Harness {
  const { logger, lines } = memoryLogger();
  const telemetry = recordingTelemetry(logger);
  const waiting: ((s: RunSummary) => void)[] = [];
  const h: Harness = {
    runs: options.runs ?? createMemoryRunStore(),
    sli: options.sli ?? createMemoryStore(),
    telemetry,
    lines,
    snapshots: [],
    runner: undefined as unknown as ProbeRunner,
    nextFinish: () => new Promise((resolve) => waiting.push(resolve)),
  };
  h.runner = new ProbeRunner({
    config: options.config ?? (() => config),
    runStore: h.runs,
    sliStore: h.sli,
    telemetry,
    logger,
    onSnapshot: (s) => h.snapshots.push(s),
    onFinished: (s) => waiting.shift()?.(s),
  });
  return h;
}

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting until ${what}`);
}

describe('ProbeRunner.start', () => {
  it('records a run from start to finish and routes every snapshot to the SLI store, telemetry and onSnapshot', async () => {
    const h = harness();
    const finished = h.nextFinish();
    const r = h.runner.start('quick', 'api');
    if (!r.started) throw new Error(`not started: ${r.reason}`);
    expect(h.runner.isRunning('quick')).toBe(true);
    expect(h.runner.running()).toEqual([{ probe: 'quick', runId: r.runId }]);
    const recorded = h.telemetry.runs[0]!;
    expect(h.runs.get(r.runId)).toMatchObject({ probe: 'quick', trigger: 'api', status: 'running', traceId: recorded.traceId });
    expect(recorded.info).toMatchObject({ runId: r.runId, probe: 'quick', scheduled: false, target: server.url });

    const summary = await finished;
    expect(summary).toMatchObject({ runId: r.runId, status: 'passed' });
    expect(h.runner.isRunning('quick')).toBe(false);
    expect(h.runs.get(r.runId)).toMatchObject({ status: 'passed', stopReason: summary.stopReason, summary: { runId: r.runId } });
    expect(recorded.ended).toEqual([expect.objectContaining({ status: 'passed' })]);

    const requests = (snapshots: IntervalSnapshot[]): number => snapshots.reduce((n, s) => n + s.requests.reduce((m, q) => m + q.outcomes.ok, 0), 0);
    expect(requests(recorded.intervals)).toBe(4);
    expect(h.snapshots).toEqual(recorded.intervals);
    // The run counted the SLO's threshold exactly (every loopback answer is within 2 s).
    expect(recorded.intervals.some((s) => s.requests.some((q) => q.within['2000'] !== undefined))).toBe(true);
    const sum = (slo: string): { good: number; total: number } =>
      h.sli.read(slo, 0, Number.MAX_SAFE_INTEGER).reduce((a, b) => ({ good: a.good + b.good, total: a.total + b.total }), { good: 0, total: 0 });
    expect(sum('quick-errors')).toEqual({ good: 4, total: 4 });
    expect(sum('quick-latency')).toEqual({ good: 4, total: 4 });
    expect(h.lines.filter((l) => l.msg === 'probe run finished')).toEqual([expect.objectContaining({ status: 'passed', requests: 4, run_id: r.runId })]);
  });

  it('refuses a second run of a probe that is running, and starts it again once the run is recorded', async () => {
    const h = harness();
    const finished = h.nextFinish();
    const first = h.runner.start('quick', 'schedule');
    expect(first.started).toBe(true);
    expect(h.runner.start('quick', 'api')).toEqual({ started: false, reason: 'running' });
    await finished;
    const again = h.nextFinish();
    const second = h.runner.start('quick', 'api');
    expect(second.started).toBe(true);
    await again;
    expect(h.runs.recent(10).map((r) => [r.trigger, r.status])).toEqual([
      ['api', 'passed'],
      ['schedule', 'passed'],
    ]);
    expect(h.telemetry.runs.map((r) => r.info.scheduled)).toEqual([true, false]);
  });

  it('refuses an unknown probe without recording anything', () => {
    const h = harness();
    expect(h.runner.start('nope', 'api')).toEqual({ started: false, reason: 'unknown' });
    expect(h.runs.recent(10)).toEqual([]);
    expect(h.telemetry.runs).toEqual([]);
  });

  it('refuses a probe above maxRps with reason refused (the probe, not the service, is at fault) and a message, recording the run as an error', () => {
    const capped: Config = { ...config, service: { ...config.service, maxRps: 10 } };
    const h = harness({ config: () => capped });
    const r = h.runner.start('busy', 'api');
    expect(r).toEqual({ started: false, reason: 'refused', message: expect.stringContaining('above the maxRps cap of 10') as unknown });
    expect(h.runner.isRunning('busy')).toBe(false);
    const [record] = h.runs.recent(10);
    expect(record).toMatchObject({ probe: 'busy', status: 'error', stopReason: expect.stringContaining('maxRps') as unknown });
    expect(h.telemetry.runs[0]!.ended).toEqual([expect.objectContaining({ status: 'error' })]);
    expect(h.lines.find((l) => l.msg === 'probe run could not start')).toMatchObject({ level: 'error', probe: 'busy' });
  });

  it('answers "failed" and ends the run telemetry when the run history cannot record the start (disk full, closed file)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'burnwatch-runner-'));
    try {
      const runs = openSqliteRunStore(join(dir, 'runs.db'));
      runs.close(); // every write now throws, as a full disk would
      const h = harness({ runs });
      const r = h.runner.start('quick', 'schedule');
      expect(r).toEqual({ started: false, reason: 'failed', message: expect.stringContaining('could not record the run') as unknown });
      expect(h.runner.isRunning('quick')).toBe(false);
      expect(h.telemetry.runs[0]!.ended).toEqual([expect.objectContaining({ status: 'error' })]);
      expect(h.lines.find((l) => l.msg === 'probe run could not start')).toMatchObject({ level: 'error', probe: 'quick' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('logs a failed SLI store write and lets the run finish', async () => {
    const inner = createMemoryStore();
    const failing: SliStore = {
      ...inner,
      appendMany: () => {
        throw new Error('SQLITE_FULL: database or disk is full');
      },
    };
    const h = harness({ sli: failing });
    const finished = h.nextFinish();
    h.runner.start('quick', 'api');
    expect((await finished).status).toBe('passed');
    const errors = h.lines.filter((l) => l.msg === 'could not store SLI data');
    expect(errors.length).toBeGreaterThanOrEqual(1);
    expect(errors[0]).toMatchObject({ level: 'error', err: 'SQLITE_FULL: database or disk is full' });
    expect(h.runs.recent(1)[0]?.status).toBe('passed');
  });

  it('frees the probe and keeps the record even when telemetry fails to end the run', async () => {
    const h = harness();
    h.telemetry.failEnd = true;
    const r = h.runner.start('quick', 'api');
    if (!r.started) throw new Error('not started');
    await until('the run is recorded', () => h.runs.get(r.runId)?.status !== 'running');
    await until('the probe is free', () => !h.runner.isRunning('quick'));
    expect(h.runs.get(r.runId)?.status).toBe('passed');
    expect(h.lines.find((l) => l.msg === 'telemetry could not end the run')).toMatchObject({ level: 'error', err: 'telemetry end failed' });
    expect(h.runner.start('quick', 'api').started).toBe(true);
    await h.runner.stopAll('test over', 5_000);
  });
});

describe('ProbeRunner.stopAll', () => {
  it('stops running probes gracefully, records them as aborted, and refuses new runs', async () => {
    const h = harness();
    const r = h.runner.start('slow', 'schedule');
    if (!r.started) throw new Error('not started');
    const before = slowHits;
    await until('the probe sends its first request', () => slowHits > before);
    await h.runner.stopAll('burnwatch is shutting down', 5_000);
    expect(h.runner.isRunning('slow')).toBe(false);
    const record = h.runs.get(r.runId)!;
    expect(record.status).toBe('aborted');
    expect(record.summary).not.toBeNull();
    // A graceful stop lets the iteration in flight finish: every request sent got its answer.
    expect(record.summary!.interruptedIterations).toBe(0);
    expect(h.telemetry.runs[0]!.ended).toEqual([expect.objectContaining({ status: 'aborted' })]);
    expect(h.runner.start('quick', 'api')).toEqual({ started: false, reason: 'stopping' });
  });

  it('falls back to a hard stop when a run has not stopped within the grace time', async () => {
    const h = harness();
    const r = h.runner.start('hang', 'api');
    if (!r.started) throw new Error('not started');
    const before = hangHits;
    await until('the probe sends its first request', () => hangHits > before);
    // The request hangs and gracefulStop is 60 s: only the hard stop after 200 ms can end the run within the test.
    await h.runner.stopAll('burnwatch is shutting down', 200);
    expect(h.runner.isRunning('hang')).toBe(false);
    const record = h.runs.get(r.runId)!;
    expect(record.status).toBe('aborted');
    expect(record.summary!.interruptedIterations).toBeGreaterThanOrEqual(1);
    for (const res of hanging.splice(0)) res.end();
  });

  it('resolves at once when nothing is running', async () => {
    const h = harness();
    await h.runner.stopAll('idle', 60_000);
    expect(h.runner.running()).toEqual([]);
    expect(h.runner.start('quick', 'api')).toEqual({ started: false, reason: 'stopping' });
  });
});
