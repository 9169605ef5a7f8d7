/** Assembles the status page's view model from the service's parts. */
import type { AlertState } from '../alerts/index.ts';
import { requestCount, thresholdCounts } from '../probes/index.ts';
import type { Indicator, Slo, SloEvaluation } from '../slos/index.ts';
import type { RunRecord } from './state/run-store.ts';
import type { StatusProbe, StatusRun, StatusView } from './status-page/view.ts';

export function describeIndicator(i: Indicator, slo: Pick<Slo, 'budgeting'>): string {
  switch (i.kind) {
    case 'latency': {
      const req = i.request ? ` (${i.request})` : '';
      if (i.percentile !== null) {
        const slice = slo.budgeting.method === 'occurrences' ? '' : ` per ${Math.round(slo.budgeting.sliceMs / 60_000)}m slice`;
        return `p${i.percentile} ≤ ${i.thresholdMs} ms${slice}${req}`;
      }
      return `latency ≤ ${i.thresholdMs} ms${req}`;
    }
    case 'errorRate':
      return `error rate${i.request ? ` (${i.request})` : ''}`;
    case 'cacheHit':
      return i.source === 'header' ? `cache hit (${i.header})` : `cache hit (scraped ${i.hits})`;
    case 'uptime':
      return 'uptime';
  }
}

export function statusRun(r: RunRecord): StatusRun {
  const s = r.summary;
  const requests = s ? requestCount(s) : null;
  const thresholds = s ? thresholdCounts(s) : { passed: 0, failed: 0 };
  const p95 = s?.metrics.http_req_duration?.values['p(95)'];
  return {
    id: r.id,
    probe: r.probe,
    status: r.status,
    startedAt: r.startedAt,
    endedAt: r.endedAt,
    stopReason: r.stopReason,
    thresholdsPassed: thresholds.passed,
    thresholdsFailed: thresholds.failed,
    requests,
    errorRatio: s && requests ? (requests - s.outcomes.ok) / requests : null,
    p95Ms: typeof p95 === 'number' ? p95 : null,
  };
}

export function buildStatusView(input: {
  version: string;
  now: number;
  refreshSeconds: number;
  slos: readonly Slo[];
  evaluation: (slo: string) => SloEvaluation | undefined;
  alerts: readonly AlertState[];
  runs: readonly RunRecord[];
  probes: StatusProbe[];
}): StatusView {
  return {
    generatedAt: new Date(input.now).toISOString(),
    version: input.version,
    refreshSeconds: input.refreshSeconds,
    slos: input.slos.flatMap((slo) => {
      const evaluation = input.evaluation(slo.name);
      if (!evaluation) return [];
      return [{ name: slo.name, description: slo.description, service: slo.service, probe: slo.probe, indicator: describeIndicator(slo.indicator, slo), evaluation }];
    }),
    alerts: input.alerts.map((a) => ({
      slo: a.slo,
      name: a.alert,
      severity: a.severity,
      state: a.state === 'firing' ? 'firing' : 'pending',
      since: a.since,
      burnRate: a.burnRate,
      windows: a.windows,
    })),
    runs: input.runs.map(statusRun),
    probes: input.probes,
  };
}
