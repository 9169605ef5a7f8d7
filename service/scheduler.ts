/**
 * Runs probes on their cron schedules (node-cron, seconds allowed). A
 * schedule tick waits a random jitter, then asks the runner to start the
 * probe; a probe still running from its previous tick is skipped and counted
 * (a run never overlaps itself). Every tick catches its own errors.
 */
import { createTask } from 'node-cron';
import type { ScheduledTask } from 'node-cron';
import { errorMessage } from '../common/index.ts';
import type { Logger } from './logger.ts';

export interface ScheduledProbe {
  name: string;
  schedule: string;
  jitterMs: number;
}

export type TriggerResult =
  | { started: true; runId: string }
  | { started: false; reason: 'running' | 'stopping' | 'unknown' }
  /**
   * The run could not start; `message` says why. `refused`: the probe must
   * not run as it is (it asks for more than maxRps, a tlsAuth file is gone, a
   * bad HTTP_PROXY): the same each time until the config changes. `failed`:
   * the service could not start it (the run history cannot be written).
   */
  | { started: false; reason: 'refused' | 'failed'; message: string };

export interface SchedulerDeps {
  logger: Logger;
  /** Starts a run of the probe now (or says why not). */
  trigger(probe: string): TriggerResult;
  onSkip(probe: string, reason: string): void;
  random?: () => number;
  timeZone?: string;
}

export class Scheduler {
  private readonly tasks = new Map<string, { task: ScheduledTask; probe: ScheduledProbe }>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;
  private readonly deps: SchedulerDeps;

  constructor(deps: SchedulerDeps) {
    this.deps = deps;
  }

  /** Replaces the scheduled set (start-up and config reload). Unchanged schedules keep their tasks. */
  set(probes: readonly ScheduledProbe[]): void {
    if (this.stopped) return;
    const wanted = new Map(probes.map((p) => [p.name, p]));
    for (const [name, entry] of this.tasks) {
      const next = wanted.get(name);
      if (!next || next.schedule !== entry.probe.schedule) {
        void entry.task.destroy();
        this.tasks.delete(name);
      } else entry.probe = next;
    }
    for (const p of probes) {
      if (this.tasks.has(p.name)) continue;
      const task = createTask(p.schedule, () => this.tick(p.name), {
        name: `probe:${p.name}`,
        timezone: this.deps.timeZone,
        suppressMissedWarning: true,
      });
      // A tick node-cron could not run on time (the event loop was blocked) is a skipped run too.
      task.on('execution:missed', () => {
        this.deps.onSkip(p.name, 'missed');
        this.deps.logger.warn('scheduled run missed', { probe: p.name, reason: 'the scheduler could not run the tick on time' });
      });
      void task.start();
      this.tasks.set(p.name, { task, probe: p });
    }
  }

  /** The next scheduled start of a probe (before jitter), or null. */
  nextRun(probe: string): Date | null {
    return this.tasks.get(probe)?.task.getNextRun() ?? null;
  }

  scheduled(): string[] {
    return [...this.tasks.keys()];
  }

  /** Stops every schedule and pending jittered start. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const { task } of this.tasks.values()) await task.destroy();
    this.tasks.clear();
  }

  private tick(name: string): void {
    const entry = this.tasks.get(name);
    if (!entry || this.stopped) return;
    const delay = entry.probe.jitterMs > 0 ? Math.floor((this.deps.random ?? Math.random)() * entry.probe.jitterMs) : 0;
    if (delay === 0) {
      this.fire(name);
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      // A reload may have removed the probe (or its schedule) during the jitter: then it must not start.
      if (this.tasks.has(name)) this.fire(name);
    }, delay);
    this.timers.add(timer);
  }

  private fire(name: string): void {
    if (this.stopped) return;
    try {
      const r = this.deps.trigger(name);
      if (!r.started) {
        this.deps.onSkip(name, r.reason);
        const why = r.reason === 'running' ? 'the previous run is still going' : r.reason === 'failed' || r.reason === 'refused' ? r.message : r.reason;
        this.deps.logger.warn('scheduled run skipped', { probe: name, reason: why });
      }
    } catch (err) {
      this.deps.logger.error('scheduled run failed to start', { probe: name, err: errorMessage(err) });
    }
  }
}
