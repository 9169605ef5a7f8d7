/**
 * One-line renderings of a run's `Progress`, for `burnwatch run`'s live
 * display (redrawn on a TTY, printed periodically otherwise) and for logs.
 *
 * @example
 * formatProgress(p) // ' 1m05s/7m00s  stage 2/2  1,000/1,000 req/s  vus 12/200  p95 3.2ms  err 0%  dropped 0'
 */
import { formatDuration } from '../common/index.ts';
import type { Progress } from './run.ts';
import { formatCount, formatMs } from './summary.ts';

function clock(ms: number): string {
  return formatDuration(Math.max(0, Math.floor(ms / 1000)) * 1000);
}

export function formatProgress(p: Progress): string {
  const parts = [`${clock(p.elapsedMs).padStart(6)}/${clock(p.plannedMs)}`];
  if (p.stage) parts.push(`stage ${p.stage.index}/${p.stage.count}`);
  const rate = formatCount(p.currentRate);
  parts.push(p.targetRate !== undefined ? `${rate}/${formatCount(p.targetRate)} req/s` : `${rate} req/s`);
  // Busy, not k6's `vus`: in the open model every allocated VU counts as active.
  parts.push(`vus ${p.vusBusy}/${p.vusMax}`);
  parts.push(`p95 ${p.p95Ms !== undefined ? formatMs(p.p95Ms) : '-'}`);
  parts.push(`err ${Math.round(p.errorRate * 1000) / 10}%`);
  parts.push(`dropped ${formatCount(p.dropped)}`);
  if (p.stopping) parts.push('stopping…');
  return parts.join('  ');
}
