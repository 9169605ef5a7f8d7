/**
 * Test doubles for the service's unit tests: an in-memory `Telemetry` that
 * records every call, a loopback HTTP server on an ephemeral port, and a
 * config built from YAML text (failing with the config's own error lines).
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { IntervalSnapshot } from '../probes/index.ts';
import type { SloEvaluation } from '../slos/index.ts';
import { formatConfigIssue, loadConfigText } from './config/index.ts';
import type { Config } from './config/index.ts';
import { silentLogger } from './logger.ts';
import type { Logger } from './logger.ts';
import type { AlertFiringState, RunInfo, RunSummaryLike, RunTelemetry, Telemetry } from './telemetry/index.ts';

export interface RecordedRun {
  info: RunInfo;
  traceId: string;
  intervals: IntervalSnapshot[];
  ended: RunSummaryLike[];
}

/** A `Telemetry` that keeps what it was given; `failEnd` makes every run's `end` throw. */
export interface RecordingTelemetry extends Telemetry {
  runs: RecordedRun[];
  sloStatus: SloEvaluation[][];
  alertFiring: AlertFiringState[][];
  skipped: { probe: string; reason: string }[];
  failEnd: boolean;
}

export function recordingTelemetry(logger: Logger = silentLogger): RecordingTelemetry {
  const t: RecordingTelemetry = {
    runs: [],
    sloStatus: [],
    alertFiring: [],
    skipped: [],
    failEnd: false,
    latencyBucketsMs: [5, 50, 500],
    countHeaders: ['x-cache'],
    otelMetricsUrl: undefined,
    ready: () => Promise.resolve(),
    renderMetrics: () => Promise.resolve({ contentType: 'text/plain', body: '' }),
    startRun(info: RunInfo): RunTelemetry {
      const run: RecordedRun = { info, traceId: randomBytes(16).toString('hex'), intervals: [], ended: [] };
      t.runs.push(run);
      return {
        traceId: run.traceId,
        spanId: randomBytes(8).toString('hex'),
        logger: logger.child({ trace_id: run.traceId, run_id: info.runId, probe: info.probe }),
        interval: (s) => {
          run.intervals.push(s);
        },
        end: (summary) => {
          run.ended.push(summary);
          if (t.failEnd) throw new Error('telemetry end failed');
        },
      };
    },
    shutdown: () => Promise.resolve(),
    setSloStatus: (evals) => {
      t.sloStatus.push(evals);
    },
    setAlertFiring: (states) => {
      t.alertFiring.push(states);
    },
    countSkippedRun: (probe, reason) => {
      t.skipped.push({ probe, reason });
    },
  };
  return t;
}

export interface LocalServer {
  url: string;
  /** Requests received. */
  hits: number;
  close(): Promise<void>;
}

export type LocalHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** An HTTP server on 127.0.0.1, port 0. */
export async function localServer(handler: LocalHandler = (_req, res) => res.end('ok')): Promise<LocalServer> {
  const state: LocalServer = { url: '', hits: 0, close: () => Promise.resolve() };
  const server = createServer((req, res) => {
    state.hits++;
    req.resume();
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}

/** A config from YAML documents; throws the config's error lines when it is invalid. */
export function configFrom(yaml: string, env: NodeJS.ProcessEnv = {}): Config {
  const r = loadConfigText(yaml, 'test.yaml', { env });
  if (!r.ok) throw new Error(r.errors.map(formatConfigIssue).join('\n'));
  return r.config;
}
