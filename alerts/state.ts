/**
 * Alert states from SLO evaluations: a pure state machine. Each (SLO, alert)
 * is inactive, pending or firing; a transition is reported once, when it
 * happens, with the burn rate that caused it. No-data alerting (an SLO
 * silent for longer than its `noDataFor`) is an alert of its own.
 */
import type { SloEvaluation } from '../slos/index.ts';

export type AlertStateName = 'inactive' | 'pending' | 'firing';

export interface AlertState {
  slo: string;
  /** The alert's name in the SLO (`page`, `ticket`, an OpenSLO policy) or `no-data`. */
  alert: string;
  severity: 'page' | 'ticket';
  state: AlertStateName;
  /** When the current state began (ISO). */
  since: string;
  burnRate: number | null;
  /** Window pairs holding now, e.g. `5m/1h`. */
  windows: string[];
}

export interface AlertTransition {
  at: string;
  slo: string;
  alert: string;
  severity: 'page' | 'ticket';
  from: AlertStateName;
  to: AlertStateName;
  burnRate: number | null;
  windows: string[];
}

const key = (slo: string, alert: string): string => `${slo}\u0000${alert}`;

/**
 * Folds one round of evaluations into the previous states.
 *
 * @example
 * const { states, transitions } = nextAlertStates(new Map(), evaluations, Date.now());
 */
export function nextAlertStates(
  previous: ReadonlyMap<string, AlertState>,
  evaluations: readonly SloEvaluation[],
  now: number,
): { states: Map<string, AlertState>; transitions: AlertTransition[] } {
  const at = new Date(now).toISOString();
  const states = new Map<string, AlertState>();
  const transitions: AlertTransition[] = [];
  const step = (slo: string, alert: string, severity: 'page' | 'ticket', state: AlertStateName, burnRate: number | null, windows: string[]): void => {
    const k = key(slo, alert);
    const prev = previous.get(k);
    const from = prev?.state ?? 'inactive';
    states.set(k, { slo, alert, severity, state, since: prev && from === state ? prev.since : at, burnRate, windows });
    if (from !== state) transitions.push({ at, slo, alert, severity, from, to: state, burnRate, windows });
  };
  for (const e of evaluations) {
    for (const a of e.alerts) {
      step(e.slo, a.name, a.severity, a.firing ? 'firing' : a.pending ? 'pending' : 'inactive', a.burnRate, a.windows);
    }
    if (e.noData.thresholdMs > 0) step(e.slo, 'no-data', 'ticket', e.noData.alerting ? 'firing' : 'inactive', null, []);
  }
  return { states, transitions };
}

/** States worth showing: firing first (pages before tickets), then pending. */
export function activeAlerts(states: Iterable<AlertState>): AlertState[] {
  const rank = (s: AlertState): number => (s.state === 'firing' ? 0 : 2) + (s.severity === 'page' ? 0 : 1);
  return [...states].filter((s) => s.state !== 'inactive').sort((a, b) => rank(a) - rank(b) || a.slo.localeCompare(b.slo));
}
