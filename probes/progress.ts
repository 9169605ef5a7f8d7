/**
 * One-line renderings of a run's `Progress`, for `burnwatch run`'s live
 * display (redrawn on a TTY, printed periodically otherwise) and for logs.
 *
 * @example
 * formatProgress(p) // '  1m5s/7m  stage 2/2  1,000/1,000 req/s  vus 12/200  p95 3.2ms  err 0%  dropped 0'
 */
import { formatDuration } from '../common/index.ts';
import type { Progress } from './run.ts';
import { formatCount, formatMs, formatPercent, formatRate } from './summary.ts';

/** Whole seconds (`1m5s`), or tenths (`2.5s`, `1m2.5s`) for a plan that is not whole seconds. */
function clock(ms: number, tenths: boolean): string {
  const t = Math.max(0, Math.floor(ms / 100));
  if (!tenths) return formatDuration(Math.floor(t / 10) * 1000);
  const minutes = Math.floor(t / 600) * 60_000;
  return `${minutes > 0 ? formatDuration(minutes) : ''}${((t % 600) / 10).toFixed(1)}s`;
}

export function formatProgress(p: Progress): string {
  const tenths = Math.round(p.plannedMs) % 1000 !== 0;
  const parts = [`${clock(p.elapsedMs, tenths).padStart(6)}/${clock(Math.round(p.plannedMs / 100) * 100, tenths)}`];
  if (p.stage) parts.push(`stage ${p.stage.index}/${p.stage.count}`);
  const rate = formatRate(p.currentRate);
  parts.push(p.targetRate !== undefined ? `${rate}/${formatRate(p.targetRate)} req/s` : `${rate} req/s`);
  // Open model: busy, not k6's `vus` (every allocated VU counts as active there). Closed model: k6's
  // `vus`, and the busy ones when think time (sleep) leaves some VUs between requests.
  if (p.openModel ?? p.targetRate !== undefined) parts.push(`vus ${p.vusBusy}/${p.vusMax}`);
  else parts.push(`vus ${p.vus}/${p.vusMax}${p.vusBusy < p.vus ? ` (${p.vusBusy} busy)` : ''}`);
  parts.push(`p95 ${p.p95Ms !== undefined ? formatMs(p.p95Ms) : '-'}`);
  // One decimal, unless that would show an error rate that is not 0 as 0 % (or not 1 as 100 %).
  const err = Math.round(p.errorRate * 1000) / 10;
  parts.push(`err ${(err === 0 && p.errorRate > 0) || (err === 100 && p.errorRate < 1) ? formatPercent(p.errorRate) : `${err}%`}`);
  parts.push(`dropped ${formatCount(p.dropped)}`);
  if (p.stopping) parts.push('stopping…');
  return parts.join('  ');
}
