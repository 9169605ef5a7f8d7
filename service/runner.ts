/**
 * Starts probe runs and routes what they report: every interval snapshot
 * goes to the SLI store (through the SLO engine's ingestion) and to
 * telemetry; every run is recorded in the run history from start to end.
 * At most one run per probe at a time. Holds no maths of its own.
 */
import { randomUUID } from 'node:crypto';
import { BurnwatchError, errorMessage } from '../common/index.ts';
import { requestCount, startRun } from '../probes/index.ts';
import type { IntervalSnapshot, ProbeRun, RunSummary } from '../probes/index.ts';
import { recordSnapshot, sliRequirements } from '../slos/index.ts';
import type { SliStore, Slo } from '../slos/index.ts';
import type { Config } from './config/index.ts';
import type { Logger } from './logger.ts';
import type { TriggerResult } from './scheduler.ts';
import type { RunStore } from './state/run-store.ts';
import type { RunTelemetry, Telemetry } from './telemetry/index.ts';

export interface RunnerDeps {
  config: () => Config;
  runStore: RunStore;
  sliStore: SliStore;
  telemetry: Telemetry;
  logger: Logger;
  now?: () => number;
  /** Called after each snapshot is stored (the service re-evaluates SLOs on its own loop). */
  onSnapshot?: (s: IntervalSnapshot) => void;
  /** Called when a run has been recorded as finished. */
  onFinished?: (summary: RunSummary) => void;
}

interface ActiveRun {
  runId: string;
  probe: string;
  trigger: string;
  run: ProbeRun;
  telemetry: RunTelemetry;
  /** Set when the service stops the run (shutdown): the record says 'aborted', with this reason. */
  interruptedBy?: string;
  finished: Promise<void>;
}

export class ProbeRunner {
  private readonly active = new Map<string, ActiveRun>();
  private stopping = false;
  private readonly deps: RunnerDeps;

  constructor(deps: RunnerDeps) {
    this.deps = deps;
  }

  isRunning(probe: string): boolean {
    return this.active.has(probe);
  }

  running(): { probe: string; runId: string }[] {
    return [...this.active.values()].map((a) => ({ probe: a.probe, runId: a.runId }));
  }

  /** Starts a run now; returns why not when the probe is unknown, already running, or the service is stopping. */
  start(probeName: string, trigger: string): TriggerResult {
    if (this.stopping) return { started: false, reason: 'stopping' };
    const config = this.deps.config();
    const probe = config.probes.get(probeName);
    if (!probe) return { started: false, reason: 'unknown' };
    if (this.active.has(probeName)) return { started: false, reason: 'running' };

    const now = this.deps.now ?? Date.now;
    const slos: Slo[] = [...config.slos.values()].filter((s) => s.probe === probeName);
    const needs = sliRequirements(slos, probeName);
    const { telemetry, sliStore, runStore } = this.deps;
    const runId = randomUUID();
    const startedAt = now();
    // The cache lookups counter follows the header of the probe's cache-hit SLO, if it has one.
    const cacheSlo = slos.find((s) => s.indicator.kind === 'cacheHit' && s.indicator.source === 'header');
    const cacheHeader = cacheSlo?.indicator.kind === 'cacheHit' && cacheSlo.indicator.source === 'header' ? cacheSlo.indicator.header : undefined;
    const runTelemetry = telemetry.startRun({
      runId,
      probe: probeName,
      startedAt,
      scheduled: trigger === 'schedule',
      target: probe.target,
      requests: probe.requests,
      cacheHeader,
    });
    const log = runTelemetry.logger;
    try {
      runStore.start({ id: runId, probe: probeName, trigger, startedAt, traceId: runTelemetry.traceId });
    } catch (err) {
      // No record, no run: one that could not be recorded would leave no trace in the history. The run's
      // telemetry ends here (it would otherwise hold its span open until shutdown).
      const message = `could not record the run: ${errorMessage(err)}`;
      runTelemetry.end({ status: 'error', stopReason: message });
      log.error('probe run could not start', { err: message });
      return { started: false, reason: 'failed', message };
    }

    const thresholds = [...new Set([...telemetry.latencyBucketsMs, ...needs.latencyThresholdsMs])].sort((a, b) => a - b);
    let run: ProbeRun;
    try {
      run = startRun(probe, {
        runId,
        latencyThresholdsMs: thresholds,
        countHeaders: [...new Set([...needs.countHeaders, ...telemetry.countHeaders, ...(cacheHeader ? [cacheHeader.toLowerCase()] : [])])],
        traceSampleRatio: config.service.telemetry.traceSampleRatio,
        maxRps: config.service.maxRps,
        onInterval: (s) => {
          try {
            recordSnapshot(sliStore, slos, s);
          } catch (err) {
            // The store is the evidence: a failed write (disk full) is logged loudly, the run goes on.
            log.error('could not store SLI data', { err: errorMessage(err) });
          }
          runTelemetry.interval(s);
          this.deps.onSnapshot?.(s);
        },
      });
    } catch (err) {
      runStore.fail(runId, now(), errorMessage(err));
      runTelemetry.end({ status: 'error', stopReason: errorMessage(err) });
      log.error('probe run could not start', { err: errorMessage(err) });
      // startRun refuses a probe that must not run (BurnwatchError: above maxRps, a tlsAuth file gone, a bad proxy).
      return { started: false, reason: err instanceof BurnwatchError ? 'refused' : 'failed', message: errorMessage(err) };
    }
    log.info('probe run started', { trigger });
    const entry: ActiveRun = { runId, probe: probeName, trigger, run, telemetry: runTelemetry, finished: Promise.resolve() };
    entry.finished = run.done.then(
      (summary) => {
        // A run the service cut off at shutdown is aborted (a run cut off by a crash is marked interrupted at the next start).
        const status = entry.interruptedBy ? 'aborted' : summary.status;
        // The probe is free whatever fails below: a throw here would leave it "running" for good and reject
        // `finished`, which nobody awaits outside shutdown (an unhandled rejection ends the process).
        this.active.delete(probeName);
        try {
          runStore.finish(runId, summary, status);
        } catch (err) {
          log.error('could not record the run', { err: errorMessage(err) });
        }
        try {
          runTelemetry.end({ ...summary, status });
        } catch (err) {
          log.error('telemetry could not end the run', { err: errorMessage(err) });
        }
        log.info('probe run finished', { status, stopReason: summary.stopReason, requests: requestCount(summary) });
        try {
          this.deps.onFinished?.(summary);
        } catch (err) {
          log.error('onFinished failed', { err: errorMessage(err) });
        }
      },
      (err: unknown) => {
        // ProbeRun.done never rejects by contract; keep the record honest if it ever does.
        runStore.fail(runId, now(), errorMessage(err));
        runTelemetry.end({ status: 'error', stopReason: errorMessage(err) });
        this.active.delete(probeName);
        log.error('probe run failed', { err: errorMessage(err) });
      },
    );
    this.active.set(probeName, entry);
    return { started: true, runId };
  }

  /**
   * Stops every run (shutdown): a graceful stop first, a hard stop after
   * `graceMs`; resolves when every run is recorded (as aborted).
   */
  async stopAll(reason: string, graceMs: number): Promise<void> {
    this.stopping = true;
    const runs = [...this.active.values()];
    for (const a of runs) {
      a.interruptedBy = reason;
      a.run.stop(reason);
    }
    const all = Promise.all(runs.map((a) => a.finished));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), graceMs);
    });
    if ((await Promise.race([all.then(() => 'done' as const), late])) === 'late') {
      for (const a of runs) a.run.stop(reason, { hard: true });
      await all;
    }
    clearTimeout(timer);
  }
}
