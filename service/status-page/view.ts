/**
 * What the status page shows: a plain view model the service assembles from
 * SLO evaluations, the run history and alert states. The renderer knows
 * nothing else, so it is tested with fixtures alone.
 */
import type { SloEvaluation } from '../../slos/evaluate.ts';

export interface StatusSlo {
  name: string;
  description: string | null;
  service: string;
  probe: string;
  /** Human summary of the indicator, e.g. "latency ≤ 100 ms", "p99 ≤ 100 ms per 1m slice", "error rate", "cache hit (X-Cache)", "uptime". */
  indicator: string;
  evaluation: SloEvaluation;
}

export interface StatusRun {
  id: string;
  probe: string;
  /** 'running' while in progress; 'interrupted' when the process died or was stopped during the run. */
  status: 'running' | 'passed' | 'failed' | 'aborted' | 'error' | 'interrupted';
  startedAt: string;
  endedAt: string | null;
  stopReason: string | null;
  thresholdsPassed: number;
  thresholdsFailed: number;
  /** Requests made and their error ratio, when known. */
  requests: number | null;
  errorRatio: number | null;
  p95Ms: number | null;
}

export interface StatusAlert {
  slo: string;
  name: string;
  severity: 'page' | 'ticket';
  state: 'firing' | 'pending';
  /** When it started firing (ISO), when known. */
  since: string | null;
  burnRate: number | null;
  /** Window pairs holding, e.g. ["5m/1h"]. */
  windows: string[];
}

export interface StatusProbe {
  name: string;
  schedule: string | null;
  nextRunAt: string | null;
  running: boolean;
  skippedRuns: number;
}

export interface StatusView {
  generatedAt: string;
  version: string;
  /** The page reloads itself this often; 0 = never. */
  refreshSeconds: number;
  slos: StatusSlo[];
  alerts: StatusAlert[];
  /** Latest first. */
  runs: StatusRun[];
  probes: StatusProbe[];
}
