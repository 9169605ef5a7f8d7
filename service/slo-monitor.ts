/**
 * Evaluates every SLO on a fixed period and keeps the latest results for the
 * API, the status page and /metrics, plus the alert states derived from
 * them. Like OpenTelemetry's periodic reader: a round never overlaps the
 * previous one and catches its own errors.
 */
import { activeAlerts, nextAlertStates } from '../alerts/index.ts';
import type { AlertState, AlertTransition } from '../alerts/index.ts';
import { errorMessage } from '../common/index.ts';
import { evaluateSlo } from '../slos/index.ts';
import type { SliStore, Slo, SloEvaluation } from '../slos/index.ts';
import type { Logger } from './logger.ts';
import type { Telemetry } from './telemetry/index.ts';

export interface SloMonitorDeps {
  slos: () => readonly Slo[];
  store: SliStore;
  telemetry: Telemetry;
  logger: Logger;
  /** Changed by `setInterval`. */
  intervalMs: number;
  now?: () => number;
  /** Silence before this is not "no data" (the service's start). */
  expectDataSince: number;
  onTransitions?: (t: AlertTransition[]) => void;
}

export class SloMonitor {
  private evaluations = new Map<string, SloEvaluation>();
  private alertStates = new Map<string, AlertState>();
  private timer: NodeJS.Timeout | undefined;
  /** Per SLO, the error its last round failed with: a failure is logged when it starts or changes, not every round. */
  private readonly lastError = new Map<string, string>();
  /**
   * Per SLO, since when its data is expected: the service's start for those of the first round, the round
   * a reload added it for the others (an SLO cannot have been silent before it existed).
   */
  private readonly expectedSince = new Map<string, number>();
  private firstRound = true;
  private readonly deps: SloMonitorDeps;

  constructor(deps: SloMonitorDeps) {
    this.deps = deps;
  }

  start(): void {
    this.evaluate();
    this.schedule();
  }

  /** Changes the period (config reload); the next round is one new period away. */
  setInterval(ms: number): void {
    if (ms === this.deps.intervalMs) return;
    this.deps.intervalMs = ms;
    if (this.timer) this.schedule();
  }

  private schedule(): void {
    clearInterval(this.timer);
    this.timer = setInterval(() => this.evaluate(), this.deps.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One round: evaluate all SLOs, update alert states and telemetry. Synchronous, so rounds cannot overlap. */
  evaluate(): void {
    const { store, telemetry, logger } = this.deps;
    const now = (this.deps.now ?? Date.now)();
    const next = new Map<string, SloEvaluation>();
    const failed = new Set<string>();
    const slos = this.deps.slos();
    const names = new Set(slos.map((s) => s.name));
    for (const name of this.expectedSince.keys()) if (!names.has(name)) this.expectedSince.delete(name);
    for (const slo of slos) {
      let since = this.expectedSince.get(slo.name);
      if (since === undefined) {
        since = this.firstRound ? this.deps.expectDataSince : Math.max(now, this.deps.expectDataSince);
        this.expectedSince.set(slo.name, since);
      }
      try {
        next.set(slo.name, evaluateSlo(slo, store, now, { expectDataSince: since }));
        this.lastError.delete(slo.name);
      } catch (err) {
        failed.add(slo.name);
        const message = errorMessage(err);
        if (message !== this.lastError.get(slo.name)) logger.error('SLO evaluation failed', { slo: slo.name, err: message });
        this.lastError.set(slo.name, message);
      }
    }
    // A failed SLO keeps its last evaluation (its `at` says how old it is) rather than vanishing from the API and /metrics.
    for (const name of failed) {
      const previous = this.evaluations.get(name);
      if (previous) next.set(name, previous);
    }
    this.firstRound = false;
    this.evaluations = next;
    const folded = nextAlertStates(this.alertStates, [...next.values()], now);
    const { transitions } = folded;
    // An SLO whose evaluation failed keeps its alert states as they were: a firing page must not vanish
    // without a resolve (and fire again when evaluation recovers).
    const states = folded.states;
    for (const [k, s] of this.alertStates) if (failed.has(s.slo)) states.set(k, s);
    this.alertStates = states;
    for (const t of transitions) {
      const fields = { slo: t.slo, alert: t.alert, severity: t.severity, burnRate: t.burnRate, windows: t.windows };
      if (t.to === 'firing') logger.warn('alert firing', fields);
      else if (t.from === 'firing') logger.info('alert resolved', fields);
    }
    if (transitions.length > 0) this.deps.onTransitions?.(transitions);
    telemetry.setSloStatus([...next.values()]);
    // One series per (slo, severity): firing when any alert of that severity fires (a ticket and a no-data alert share one).
    const firing = new Map<string, { slo: string; severity: 'page' | 'ticket'; firing: boolean }>();
    for (const s of states.values()) {
      const k = `${s.slo}\u0000${s.severity}`;
      const prev = firing.get(k);
      firing.set(k, { slo: s.slo, severity: s.severity, firing: (prev?.firing ?? false) || s.state === 'firing' });
    }
    telemetry.setAlertFiring([...firing.values()]);
  }

  evaluation(slo: string): SloEvaluation | undefined {
    return this.evaluations.get(slo);
  }

  all(): SloEvaluation[] {
    return [...this.evaluations.values()];
  }

  /** Firing and pending alerts, most urgent first. */
  alerts(): AlertState[] {
    return activeAlerts(this.alertStates.values());
  }
}
