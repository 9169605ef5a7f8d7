import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AlertTransition } from '../alerts/index.ts';
import { MINUTE_MS, createMemoryStore } from '../slos/index.ts';
import type { BucketDelta, SliStore, Slo } from '../slos/index.ts';
import { SloMonitor } from './slo-monitor.ts';
import { memoryLogger } from './telemetry/test-support.ts';
import { configFrom, recordingTelemetry } from './test-support.ts';
import type { RecordingTelemetry } from './test-support.ts';

const CONFIG = configFrom(`
apiVersion: burnwatch/v1
kind: Probe
metadata: { name: api }
spec:
  target: http://127.0.0.1:9
  scenario: { executor: shared-iterations, vus: 1, iterations: 1, maxDuration: 5s }
  requests: [{ name: get, url: /x }]
---
apiVersion: burnwatch/v1
kind: SLO
metadata: { name: api-errors }
spec: { probe: api, indicator: { errorRate: {} }, objective: 99 }
---
apiVersion: burnwatch/v1
kind: SLO
metadata: { name: api-uptime }
spec: { probe: api, indicator: { uptime: {} }, objective: 99, alerting: { noDataFor: 10m } }
`);
const ERRORS = CONFIG.slos.get('api-errors')!;
const UPTIME = CONFIG.slos.get('api-uptime')!;
const NOW = Date.parse('2025-03-01T12:00:30.000Z');
const DAY_MS = 86_400_000;

/** `days` of minutes before `end`, each with 100 events of which `bad` are bad. */
function minutes(end: number, days: number, bad: number): BucketDelta[] {
  const out: BucketDelta[] = [];
  for (let m = end - days * DAY_MS; m < end; m += MINUTE_MS) out.push({ minute: m, good: 100 - bad, total: 100 });
  return out;
}

/** A memory store whose `view` throws for the SLOs named in `failing` (with the message given there). */
function failableStore(): { store: SliStore; failing: Map<string, string> } {
  const inner = createMemoryStore();
  const failing = new Map<string, string>();
  const store: SliStore = {
    ...inner,
    view: (slo) => {
      const message = failing.get(slo.name);
      if (message !== undefined) throw new Error(message);
      return inner.view(slo);
    },
  };
  return { store, failing };
}

interface Harness {
  monitor: SloMonitor;
  store: SliStore;
  failing: Map<string, string>;
  telemetry: RecordingTelemetry;
  lines: Record<string, unknown>[];
  transitions: AlertTransition[][];
  clock: { now: number };
}

const monitors: SloMonitor[] = [];
afterEach(() => {
  for (const m of monitors.splice(0)) m.stop();
  vi.useRealTimers();
});

function harness(slos: readonly Slo[] = [ERRORS, UPTIME], intervalMs = 10_000): Harness {
  const { store, failing } = failableStore();
  const { logger, lines } = memoryLogger();
  const telemetry = recordingTelemetry();
  const transitions: AlertTransition[][] = [];
  const clock = { now: NOW };
  const monitor = new SloMonitor({
    slos: () => slos,
    store,
    telemetry,
    logger,
    intervalMs,
    now: () => clock.now,
    expectDataSince: NOW - DAY_MS,
    onTransitions: (t) => transitions.push(t),
  });
  monitors.push(monitor);
  return { monitor, store, failing, telemetry, lines, transitions, clock };
}

const firing = (h: Harness): string[] => h.monitor.alerts().map((a) => `${a.slo}/${a.alert}:${a.state}`);

describe('SloMonitor.evaluate', () => {
  it('keeps the latest evaluation of every SLO and gives telemetry the complete status each round', () => {
    const h = harness();
    h.store.append('api-errors', minutes(NOW, 1, 2));
    h.monitor.evaluate();
    const e = h.monitor.evaluation('api-errors');
    expect(e?.sli.sli).toBeCloseTo(0.98, 10);
    expect(e?.at).toBe(new Date(NOW).toISOString());
    expect(h.monitor.evaluation('api-uptime')?.sli.sli).toBeNull();
    expect(h.monitor.all().map((x) => x.slo)).toEqual(['api-errors', 'api-uptime']);
    expect(h.monitor.evaluation('unknown')).toBeUndefined();
    expect(h.telemetry.sloStatus).toHaveLength(1);
    expect(h.telemetry.sloStatus[0]!.map((x) => x.slo)).toEqual(['api-errors', 'api-uptime']);
  });

  it('fires the page and the ticket of an SLO burning its budget 50 times too fast, and reports each transition once', () => {
    const h = harness([ERRORS]);
    h.store.append('api-errors', minutes(NOW, 3, 50));
    h.monitor.evaluate();
    h.monitor.evaluate();
    expect(firing(h)).toEqual(['api-errors/page:firing', 'api-errors/ticket:firing']);
    expect(h.transitions).toHaveLength(1);
    expect(h.transitions[0]!.map((t) => [t.alert, t.from, t.to])).toEqual([
      ['page', 'inactive', 'firing'],
      ['ticket', 'inactive', 'firing'],
    ]);
    expect(h.lines.filter((l) => l.msg === 'alert firing').map((l) => [l.level, l.slo, l.severity])).toEqual([
      ['warn', 'api-errors', 'page'],
      ['warn', 'api-errors', 'ticket'],
    ]);
  });

  it('resolves firing alerts once the burning minutes have left every window, reporting the resolution once', () => {
    const h = harness([ERRORS]);
    h.store.append('api-errors', minutes(NOW, 3, 50));
    h.monitor.evaluate();
    h.store.append('api-errors', minutes(NOW + 4 * DAY_MS, 1, 0));
    h.clock.now = NOW + 4 * DAY_MS;
    h.monitor.evaluate();
    h.monitor.evaluate();
    expect(firing(h)).toEqual([]);
    expect(h.transitions).toHaveLength(2);
    expect(h.transitions[1]!.map((t) => [t.alert, t.from, t.to])).toEqual([
      ['page', 'firing', 'inactive'],
      ['ticket', 'firing', 'inactive'],
    ]);
    expect(h.lines.filter((l) => l.msg === 'alert resolved').map((l) => [l.level, l.severity])).toEqual([
      ['info', 'page'],
      ['info', 'ticket'],
    ]);
  });

  it('counts the silence of an SLO a reload adds from the reload, not from the service start: no instant no-data ticket', () => {
    const { logger } = memoryLogger();
    const clock = { now: NOW };
    let slos: Slo[] = [ERRORS];
    const monitor = new SloMonitor({
      slos: () => slos,
      store: createMemoryStore(),
      telemetry: recordingTelemetry(),
      logger,
      intervalMs: 10_000,
      now: () => clock.now,
      expectDataSince: NOW - DAY_MS,
    });
    monitors.push(monitor);
    monitor.evaluate();
    slos = [ERRORS, UPTIME]; // the service has run for a day; the reload brings api-uptime with noDataFor: 10m
    monitor.evaluate();
    expect(monitor.evaluation('api-uptime')!.noData).toMatchObject({ silentForMs: 0, alerting: false });
    expect(monitor.alerts()).toEqual([]);
    clock.now += 10 * MINUTE_MS;
    monitor.evaluate();
    expect(monitor.alerts().map((a) => `${a.slo}/${a.alert}:${a.state}`)).toEqual(['api-uptime/no-data:firing']);
  });

  it('gives telemetry one alert-firing entry per SLO and severity, a no-data ticket sharing the ticket entry', () => {
    const h = harness();
    h.store.append('api-errors', minutes(NOW, 3, 50));
    // api-uptime has had no data for a day, more than its noDataFor of 10m: its no-data ticket fires, its burn-rate ticket does not.
    h.monitor.evaluate();
    expect(firing(h)).toEqual(['api-errors/page:firing', 'api-errors/ticket:firing', 'api-uptime/no-data:firing']);
    const entries = h.telemetry.alertFiring.at(-1)!;
    expect([...entries].sort((a, b) => `${a.slo}${a.severity}`.localeCompare(`${b.slo}${b.severity}`))).toEqual([
      { slo: 'api-errors', severity: 'page', firing: true },
      { slo: 'api-errors', severity: 'ticket', firing: true },
      { slo: 'api-uptime', severity: 'page', firing: false },
      { slo: 'api-uptime', severity: 'ticket', firing: true },
    ]);
  });

  it('keeps the alert states of an SLO whose evaluation throws, without a transition, and logs the failure once', () => {
    const h = harness();
    h.store.append('api-errors', minutes(NOW, 3, 50));
    h.store.append('api-uptime', minutes(NOW, 1, 0));
    h.monitor.evaluate();
    expect(h.transitions).toHaveLength(1);
    h.failing.set('api-errors', 'database disk image is malformed');
    h.monitor.evaluate();
    h.monitor.evaluate();
    expect(firing(h)).toEqual(['api-errors/page:firing', 'api-errors/ticket:firing']);
    expect(h.transitions).toHaveLength(1);
    expect(h.monitor.evaluation('api-uptime')).toBeDefined();
    expect(h.telemetry.alertFiring.at(-1)).toEqual(expect.arrayContaining([{ slo: 'api-errors', severity: 'page', firing: true }]));
    expect(h.lines.filter((l) => l.msg === 'SLO evaluation failed')).toEqual([
      expect.objectContaining({ level: 'error', slo: 'api-errors', err: 'database disk image is malformed' }),
    ]);
  });

  it('logs each of two SLOs that keep failing with different errors once, not every round', () => {
    const h = harness();
    h.failing.set('api-errors', 'first failure');
    h.failing.set('api-uptime', 'second failure');
    for (let i = 0; i < 3; i++) h.monitor.evaluate();
    expect(h.lines.filter((l) => l.msg === 'SLO evaluation failed').map((l) => [l.slo, l.err])).toEqual([
      ['api-errors', 'first failure'],
      ['api-uptime', 'second failure'],
    ]);
  });

  it('logs an evaluation error again when it comes back after the SLO recovered', () => {
    const h = harness([ERRORS]);
    h.failing.set('api-errors', 'locked');
    h.monitor.evaluate();
    h.failing.delete('api-errors');
    h.monitor.evaluate();
    h.failing.set('api-errors', 'locked');
    h.monitor.evaluate();
    expect(h.lines.filter((l) => l.msg === 'SLO evaluation failed')).toHaveLength(2);
  });
});

describe('SloMonitor rounds', () => {
  it('evaluates at start, then once per period; setInterval changes the period and stop ends the rounds', async () => {
    vi.useFakeTimers({ now: NOW });
    const h = harness([ERRORS], 1_000);
    const rounds = (): number => h.telemetry.sloStatus.length;
    h.monitor.start();
    expect(rounds()).toBe(1);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(rounds()).toBe(4);
    h.monitor.setInterval(250);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(rounds()).toBe(8);
    h.monitor.stop();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(rounds()).toBe(8);
  });

  it('uses a period set before start once it starts', async () => {
    vi.useFakeTimers({ now: NOW });
    const h = harness([ERRORS], 60_000);
    h.monitor.setInterval(500);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(h.telemetry.sloStatus).toHaveLength(0);
    h.monitor.start();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(h.telemetry.sloStatus).toHaveLength(3);
  });
});
