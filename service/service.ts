/**
 * The composition root of `burnwatch serve`: wires config, state (SQLite in
 * the data dir, one instance per dir), the embedded demo target, telemetry,
 * the scheduler, the probe runner, the SLO monitor and the HTTP server, and
 * shuts them down in order. It holds no domain maths.
 */
import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { errorMessage, redactData } from '../common/index.ts';
import { startDemoTarget } from '../demo/target/index.ts';
import type { DemoTarget } from '../demo/target/index.ts';
import { openSqliteStore } from '../slos/index.ts';
import type { SliStore } from '../slos/index.ts';
import { createApiRouter } from './api.ts';
import { createApp, finishApp, route } from './app.ts';
import type { Config } from './config/index.ts';
import type { Logger } from './logger.ts';
import { packageVersion } from './paths.ts';
import { ProbeRunner } from './runner.ts';
import { Scheduler } from './scheduler.ts';
import type { ScheduledProbe } from './scheduler.ts';
import { ScrapeLoops } from './scrape-loop.ts';
import { SloMonitor } from './slo-monitor.ts';
import { acquireLock } from './state/lock.ts';
import type { InstanceLock } from './state/lock.ts';
import { RUN_RETENTION_MS, openSqliteRunStore } from './state/run-store.ts';
import type { RunStore } from './state/run-store.ts';
import { buildStatusView } from './status.ts';
import { renderStatusPage, renderStatusPageError } from './status-page/index.ts';
import { createTelemetry } from './telemetry/index.ts';
import type { Telemetry } from './telemetry/index.ts';

export interface ServiceOptions {
  config: Config;
  logger: Logger;
  /** Overrides the config's dataDir (`--data-dir`). */
  dataDir?: string;
  /** Overrides the config's listen address (tests use port 0). */
  listen?: { host: string; port: number };
  /** Forces the embedded demo target on or off; default: the config's `demoTarget.enabled`. */
  demoTarget?: boolean;
  /** How often SLOs are evaluated; default the config's `evaluationInterval`. */
  evaluationIntervalMs?: number;
  /** How long running probes get to stop gracefully at shutdown before a hard stop; default 1.5 s. */
  stopGraceMs?: number;
  env?: NodeJS.ProcessEnv;
}

export interface ServiceHandle {
  url: string;
  demoTarget?: DemoTarget;
  /** Replaces the running config (SIGHUP). Listen address, data dir and demo target need a restart. */
  reload(config: Config): void;
  /** Starts a probe run now, as `POST /api/probes/:name/run` does. */
  runProbe(name: string): ReturnType<ProbeRunner['start']>;
  /**
   * Stops everything; resolves when every socket and file is closed. Safe to call twice. With
   * `deadline` (a `performance.now()` time, serve's 4 s budget) the span flush gets what is left of it.
   */
  close(deadline?: number): Promise<void>;
}

const STATUS_REFRESH_SECONDS = 15;
/** The span flush's bound at shutdown without a deadline. */
const TELEMETRY_SHUTDOWN_MS = 1_000;
/** With a deadline: time kept back from the span flush for the process to exit before it. */
const EXIT_MARGIN_MS = 250;
const PRUNE_INTERVAL_MS = 3_600_000;

function scheduledProbes(config: Config): ScheduledProbe[] {
  return [...config.probes.values()].flatMap((p) => (p.schedule ? [{ name: p.name, schedule: p.schedule, jitterMs: p.jitter }] : []));
}

export async function startService(options: ServiceOptions): Promise<ServiceHandle> {
  const { logger } = options;
  let config = options.config;
  const settings = config.service;
  const dataDir = options.dataDir ?? settings.dataDir;
  const startedAt = Date.now();
  // Shutdown runs `cleanups` in reverse order of start (no new runs, running ones stop, the server
  // closes...), then `finals` in order: the stores are flushed and closed and the lock released before
  // telemetry gets what time is left, so a slow collector can never cost data or the exit code.
  const cleanups: (() => Promise<void> | void)[] = [];
  const finals: (() => Promise<void> | void)[] = [];
  let closeDeadline: number | undefined;
  const cleanup = async (): Promise<void> => {
    for (const fn of [...cleanups.reverse(), ...finals]) {
      try {
        await fn();
      } catch (err) {
        logger.error('shutdown step failed', { err: errorMessage(err) });
      }
    }
    cleanups.length = 0;
    finals.length = 0;
  };

  try {
    await mkdir(dataDir, { recursive: true });
    // finals: the stores close (unshift: before the lock), then the lock is released, then telemetry.
    const lock: InstanceLock = acquireLock(dataDir);
    finals.push(() => lock.release());
    const sliStore: SliStore = openSqliteStore(join(dataDir, 'sli.db'));
    finals.unshift(() => {
      sliStore.flush();
      sliStore.close();
    });
    const runStore: RunStore = openSqliteRunStore(join(dataDir, 'runs.db'));
    finals.unshift(() => runStore.close());
    for (const r of runStore.markInterrupted(startedAt, 'burnwatch stopped during this run (the process was killed or crashed)')) {
      logger.warn('run interrupted by the previous process marked', { run_id: r.id, probe: r.probe, startedAt: r.startedAt });
    }

    let demoTarget: DemoTarget | undefined;
    if (options.demoTarget ?? settings.demoTarget?.enabled ?? false) {
      const listen = settings.demoTarget?.listen ?? { host: '127.0.0.1', port: 8081 };
      demoTarget = await startDemoTarget({ host: listen.host, port: listen.port });
      cleanups.push(() => demoTarget?.close());
      logger.info('demo target listening', { url: demoTarget.url });
    }

    const telemetry: Telemetry = createTelemetry({
      serviceName: settings.telemetry.serviceName,
      serviceVersion: packageVersion(),
      logger,
      env: options.env,
      shutdownTimeoutMs: TELEMETRY_SHUTDOWN_MS,
    });
    finals.push(() => telemetry.shutdown(closeDeadline === undefined ? TELEMETRY_SHUTDOWN_MS : Math.max(0, closeDeadline - performance.now() - EXIT_MARGIN_MS)));
    if ([...config.slos.values()].some((s) => s.alerting.notify.length > 0)) {
      logger.warn('notifications are not delivered yet: alert states show in /api/alerts, /metrics and the status page; route pages with Prometheus and Alertmanager using `burnwatch rules`');
    }

    const skipped = new Map<string, number>();
    const runner = new ProbeRunner({ config: () => config, runStore, sliStore, telemetry, logger });
    const scheduler = new Scheduler({
      logger,
      trigger: (probe) => runner.start(probe, 'schedule'),
      onSkip: (probe, reason) => {
        skipped.set(probe, (skipped.get(probe) ?? 0) + 1);
        telemetry.countSkippedRun(probe, reason);
      },
    });
    const monitor = new SloMonitor({
      slos: () => [...config.slos.values()],
      store: sliStore,
      telemetry,
      logger,
      intervalMs: options.evaluationIntervalMs ?? settings.evaluationInterval,
      expectDataSince: startedAt,
    });
    const scrapes = new ScrapeLoops(sliStore, logger);
    const prune = setInterval(() => {
      try {
        sliStore.prune([...config.slos.values()], Date.now());
        runStore.prune(Date.now() - RUN_RETENTION_MS);
      } catch (err) {
        logger.error('pruning old data failed', { err: errorMessage(err) });
      }
    }, PRUNE_INTERVAL_MS);
    prune.unref();
    cleanups.push(() => clearInterval(prune));

    const probeState = (name: string): { running: boolean; runId: string | null; nextRunAt: string | null; skippedRuns: number } => {
      const active = runner.running().find((r) => r.probe === name);
      return {
        running: active !== undefined,
        runId: active?.runId ?? null,
        nextRunAt: scheduler.nextRun(name)?.toISOString() ?? null,
        skippedRuns: skipped.get(name) ?? 0,
      };
    };

    let ready = false;
    const app = createApp({
      logger,
      metrics: (accept) => telemetry.renderMetrics(accept),
      ready: () => (ready ? { ready: true } : { ready: false, reason: 'starting or stopping' }),
    });
    app.get(
      '/',
      route((_req, res) => {
        let html: string;
        try {
          html = renderStatusPage(
            // The view is plain data: redact every secret in it (a stop reason may quote a URL) before rendering.
            redactData(buildStatusView({
              version: packageVersion(),
              now: Date.now(),
              refreshSeconds: STATUS_REFRESH_SECONDS,
              slos: [...config.slos.values()],
              evaluation: (name) => monitor.evaluation(name),
              alerts: monitor.alerts(),
              runs: runStore.recent(20),
              probes: [...config.probes.values()].map((p) => ({ name: p.name, schedule: p.schedule ?? null, ...probeState(p.name) })),
            }), config.secrets),
          );
        } catch (err) {
          logger.error('status page failed', { err: errorMessage(err) });
          html = renderStatusPageError(errorMessage(err));
        }
        res.type('html').set('Cache-Control', 'no-store').send(html);
      }),
    );
    app.use(
      '/api',
      createApiRouter({
        config: () => config,
        evaluation: (name) => monitor.evaluation(name),
        alerts: () => monitor.alerts(),
        runs: runStore,
        probeState,
        startRun: (name) => runner.start(name, 'api'),
      }),
    );
    finishApp(app, logger);

    const listen = options.listen ?? settings.listen;
    const server = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(listen.port, listen.host, (err?: Error) => (err ? reject(err) : resolve(s)));
      s.once('error', reject);
    });
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
          setTimeout(() => server.closeAllConnections(), 500).unref();
        }),
    );
    const address = server.address() as AddressInfo;
    const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;

    monitor.start();
    cleanups.push(() => monitor.stop());
    scrapes.set([...config.slos.values()]);
    cleanups.push(() => scrapes.stop());
    scheduler.set(scheduledProbes(config));
    // Stops first at shutdown (cleanups run in reverse): no new runs, then running ones stop.
    cleanups.push(() => runner.stopAll('burnwatch is shutting down', options.stopGraceMs ?? 1_500));
    cleanups.push(() => scheduler.stop());
    cleanups.push(() => {
      ready = false;
    });
    ready = true;
    logger.info('burnwatch listening', {
      url,
      dataDir,
      probes: config.probes.size,
      scheduled: scheduler.scheduled().length,
      slos: config.slos.size,
    });

    let closing: Promise<void> | undefined;
    return {
      url,
      demoTarget,
      runProbe: (name) => runner.start(name, 'api'),
      reload: (next) => {
        const restartNeeded = [
          JSON.stringify(next.service.listen) !== JSON.stringify(config.service.listen) && 'listen',
          next.service.dataDir !== config.service.dataDir && 'dataDir',
          JSON.stringify(next.service.demoTarget) !== JSON.stringify(config.service.demoTarget) && 'demoTarget',
        ].filter(Boolean);
        config = next;
        monitor.setInterval(next.service.evaluationInterval);
        scheduler.set(scheduledProbes(next));
        scrapes.set([...next.slos.values()]);
        monitor.evaluate();
        logger.info('config reloaded', { probes: next.probes.size, slos: next.slos.size, scheduled: scheduler.scheduled().length });
        if (restartNeeded.length > 0) logger.warn('some settings change only on restart', { settings: restartNeeded });
      },
      close: (deadline) => {
        closeDeadline ??= deadline;
        closing ??= cleanup().then(() => logger.info('burnwatch stopped'));
        return closing;
      },
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
