/**
 * SLO and alert gauges on /metrics, from the evaluator's output. The gauges
 * are filled at scrape time from the last state (prom-client `collect`), so
 * a series exists exactly when there is a value: an SLO or window without
 * data has no series — never a NaN or a 0 that reads as "all bad".
 */
import client from 'prom-client';
import { LABEL, METRIC } from '../../common/index.ts';
import type { SloEvaluation } from '../../slos/index.ts';
import type { MetricsRegistry } from './exposition.ts';

export interface AlertFiringState {
  slo: string;
  severity: 'page' | 'ticket';
  firing: boolean;
}

interface SloState {
  objective: number;
  remaining: number | undefined;
  /** window → value, only windows with data. */
  sli: Map<string, number>;
  burn: Map<string, number>;
}

/** A value that can be exported: a number that is not NaN (±Inf is a valid sample). */
function present(v: number | null | undefined): v is number {
  return typeof v === 'number' && !Number.isNaN(v);
}

export class SloMetrics {
  private readonly slos = new Map<string, SloState>();
  private readonly alerts = new Map<string, AlertFiringState>();

  constructor(registry: MetricsRegistry) {
    const registers = [registry];
    const sli: client.Gauge = new client.Gauge({
      name: METRIC.sloSliRatio,
      help: 'SLI (good / valid) over a window: the SLO window and each burn-rate alert window. Absent without data.',
      labelNames: [LABEL.slo, LABEL.window],
      registers,
      collect: () => this.fill(sli, (s) => s.sli),
    });
    const burn: client.Gauge = new client.Gauge({
      name: METRIC.sloBurnRate,
      help: 'Error budget burn rate (error ratio / error budget) over a window. Absent without data.',
      labelNames: [LABEL.slo, LABEL.window],
      registers,
      collect: () => this.fill(burn, (s) => s.burn),
    });
    const remaining: client.Gauge = new client.Gauge({
      name: METRIC.sloErrorBudgetRemainingRatio,
      help: 'Error budget left over the SLO window (1 - consumed; negative when overspent). Absent without data.',
      labelNames: [LABEL.slo],
      registers,
      collect: () => {
        remaining.reset();
        for (const [slo, s] of this.slos) if (s.remaining !== undefined) remaining.set({ [LABEL.slo]: slo }, s.remaining);
      },
    });
    const objective: client.Gauge = new client.Gauge({
      name: METRIC.sloObjectiveRatio,
      help: 'SLO objective as a ratio (99.9% = 0.999).',
      labelNames: [LABEL.slo],
      registers,
      collect: () => {
        objective.reset();
        for (const [slo, s] of this.slos) objective.set({ [LABEL.slo]: slo }, s.objective);
      },
    });
    const firing: client.Gauge = new client.Gauge({
      name: METRIC.alertFiring,
      help: 'Whether the SLO burn-rate alert of this severity is firing (1) or not (0).',
      labelNames: [LABEL.slo, LABEL.severity],
      registers,
      collect: () => {
        firing.reset();
        for (const a of this.alerts.values()) firing.set({ [LABEL.slo]: a.slo, [LABEL.severity]: a.severity }, a.firing ? 1 : 0);
      },
    });
  }

  private fill(g: client.Gauge, pick: (s: SloState) => Map<string, number>): void {
    g.reset();
    for (const [slo, s] of this.slos) for (const [window, v] of pick(s)) g.set({ [LABEL.slo]: slo, [LABEL.window]: window }, v);
  }

  /**
   * The complete current status: replaces every SLO series. SLOs not in
   * `evals` (removed by a config reload, or whose evaluation failed) lose
   * their series rather than keep a stale burn rate.
   */
  set(evals: readonly SloEvaluation[]): void {
    this.slos.clear();
    for (const e of evals) {
      const sli = new Map<string, number>();
      const burn = new Map<string, number>();
      for (const w of [e.sli, ...e.windows]) {
        if (present(w.sli)) sli.set(w.window, w.sli);
        if (present(w.burnRate)) burn.set(w.window, w.burnRate);
      }
      this.slos.set(e.slo, {
        objective: e.objective,
        remaining: present(e.budget.remaining) ? e.budget.remaining : undefined,
        sli,
        burn,
      });
    }
  }

  /** The complete current alert states, one per (slo, severity); others are dropped. */
  setAlerts(states: readonly AlertFiringState[]): void {
    this.alerts.clear();
    for (const s of states) this.alerts.set(`${s.slo}\u0000${s.severity}`, { ...s });
  }
}
