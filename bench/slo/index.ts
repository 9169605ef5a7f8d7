/**
 * SLO engine benchmarks (`npm run bench`, or alone:
 * `node bin/run-ts.js bench/slo/run.ts [--quick]`):
 *
 * - evaluation: 1,000 SLOs (a mix of budgeting methods and windows) over a
 *   store holding 30 days of minute buckets each; one full evaluation = every
 *   SLO, every window, every alert; target < 100 ms;
 * - store size: 100 SLOs × 35 days of minute buckets in SQLite; target < 200 MB;
 *   plus the time to rebuild the in-memory index from the file (a restart).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createMemoryStore, evaluateSlo, openSqliteStore, sloSpecSchema, toSlo } from '../../slos/index.ts';
import type { BucketDelta, Slo, SliStore } from '../../slos/index.ts';

export interface SloBenchOptions {
  /** Smaller store (fewer SLOs, sizes extrapolated) for a smoke run. */
  quick?: boolean;
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
}

export interface Row {
  check: string;
  value: string;
  target: string;
  /** null when the row is informational. */
  pass: boolean | null;
}

const M = 60_000;
const D = 86_400_000;
/** A fixed "now" (a Monday, midnight UTC) so runs are comparable. */
const NOW = Date.UTC(2025, 2, 3);

/** The i-th SLO of the mix: mostly occurrences over 30d, some timeslices, ratio timeslices, calendar and 28d windows. */
function benchSlo(i: number): Slo {
  const kind = i % 20;
  const spec: Record<string, unknown> = { probe: `p${i % 50}`, indicator: { errorRate: {} }, objective: 99.9 };
  if (kind === 0 || kind === 1) spec.budgeting = { timeslices: { slice: '1m', target: 0.99 } };
  else if (kind === 2 || kind === 3) spec.budgeting = { ratioTimeslices: { slice: '5m' } };
  else if (kind === 4) spec.window = { calendar: 'month', timeZone: 'Europe/Berlin' };
  else if (kind === 5) spec.window = '28d';
  else if (kind === 6) spec.indicator = { uptime: {} };
  return toSlo(`slo-${i}`, sloSpecSchema.parse(spec));
}

/** One day of minute buckets with a little deterministic noise and the occasional bad minute. */
function day(sloIndex: number, dayStart: number): BucketDelta[] {
  const out: BucketDelta[] = new Array<BucketDelta>(1440);
  for (let m = 0; m < 1440; m++) {
    const t = dayStart + m * M;
    const h = (Math.imul(sloIndex + 1, 2654435761) ^ Math.imul(t / M, 40503)) >>> 0;
    const total = 500 + (h % 500);
    const bad = h % 97 === 0 ? (h >>> 8) % 50 : (h >>> 16) % 2;
    out[m] = { minute: t, good: total - bad, total };
  }
  return out;
}

function fill(store: SliStore, slos: readonly Slo[], days: number, perSloBatch: boolean): void {
  for (let d = days; d > 0; d--) {
    const start = NOW - d * D;
    if (perSloBatch) for (const [i, s] of slos.entries()) store.append(s.name, day(i, start));
    else store.appendMany(slos.map((s, i) => ({ slo: s.name, deltas: day(i, start) })));
  }
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;

/** Lets progress lines out (and timers run) between long synchronous phases. */
const breathe = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export async function runSloBench(options: SloBenchOptions = {}): Promise<Row[]> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const rows: Row[] = [];

  // --- evaluation: 1,000 SLOs × 30 days of minutes -------------------------
  const nEval = 1000;
  const slos = Array.from({ length: nEval }, (_, i) => benchSlo(i));
  const memory = createMemoryStore();
  log(`slo bench: filling ${nEval} SLOs × 30 days of minute buckets in memory…`);
  let t = performance.now();
  for (const s of slos) memory.view(s); // configure the slice indexes before the writes
  fill(memory, slos, 30, true);
  const fillMs = performance.now() - t;
  log(`slo bench: filled in ${(fillMs / 1000).toFixed(1)} s; evaluating…`);
  await breathe();
  const views = slos.map((s) => memory.view(s));
  const iterations = options.quick ? 10 : 30;
  const times: number[] = [];
  let alerts = 0;
  for (let k = 0; k < iterations + 2; k++) {
    const now = NOW + k * 7_000;
    t = performance.now();
    for (let i = 0; i < slos.length; i++) alerts += evaluateSlo(slos[i]!, views[i]!, now).alerts.length;
    const ms = performance.now() - t;
    if (k >= 2) times.push(ms); // the first two warm the JIT
  }
  times.sort((a, b) => a - b);
  const median = quantile(times, 0.5);
  const p95 = quantile(times, 0.95);
  rows.push({
    check: `evaluate ${nEval} SLOs, all windows (30 days of minutes each), median of ${iterations}`,
    value: `${median.toFixed(1)} ms (p95 ${p95.toFixed(1)} ms)`,
    target: '< 100 ms',
    pass: p95 < 100,
  });
  rows.push({
    check: `  per SLO (${slos[0]!.alerting.alerts.length} alerts, 7 alert windows + the SLO window)`,
    value: `${((median * 1000) / nEval).toFixed(1)} µs`,
    target: '',
    pass: null,
  });
  rows.push({ check: `  fill ${nEval} × 43,200 minute buckets in memory`, value: `${(fillMs / 1000).toFixed(1)} s`, target: '', pass: null });
  rows.push({ check: '  in-memory index (typed arrays)', value: mb(process.memoryUsage().arrayBuffers), target: '', pass: null });
  if (alerts === 0) throw new Error('evaluation produced no alerts');

  // --- SQLite size: 100 SLOs × 35 days ---------------------------------------
  const nSize = options.quick ? 20 : 100;
  const sizeSlos = slos.slice(0, nSize);
  const dir = mkdtempSync(join(tmpdir(), 'burnwatch-slo-bench-'));
  try {
    const file = join(dir, 'sli.db');
    const store = openSqliteStore(file, { now: () => NOW });
    log(`slo bench: writing ${nSize} SLOs × 35 days of minute buckets to SQLite…`);
    await breathe();
    t = performance.now();
    fill(store, sizeSlos, 35, false);
    const writeMs = performance.now() - t;
    store.close();
    const bytes = statSync(file).size;
    const rowsWritten = nSize * 35 * 1440;
    const full = (bytes / nSize) * 100;
    rows.push({
      check: `SQLite store, 100 SLOs × 35 days of minute buckets${options.quick ? ` (extrapolated from ${nSize})` : ''}`,
      value: `${mb(full)} (${(bytes / rowsWritten).toFixed(1)} B per bucket)`,
      target: '< 200 MB',
      pass: full < 200e6,
    });
    rows.push({ check: `  write ${rowsWritten.toLocaleString('en')} buckets (one transaction a day)`, value: `${(writeMs / 1000).toFixed(1)} s`, target: '', pass: null });

    const reopened = openSqliteStore(file, { now: () => NOW });
    t = performance.now();
    for (const s of sizeSlos) reopened.view(s);
    const rebuildMs = performance.now() - t;
    const e = evaluateSlo(sizeSlos[0]!, reopened, NOW);
    reopened.close();
    if (e.sli.sli === null) throw new Error('the reopened store lost its data');
    rows.push({ check: `  restart: rebuild the in-memory index of ${nSize} SLOs from the file`, value: `${rebuildMs.toFixed(0)} ms`, target: '', pass: null });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

/** The rows as a markdown table. */
export function formatSloTable(rows: readonly Row[]): string {
  const head = '| check | result | target | ok |\n|---|---|---|---|\n';
  return head + rows.map((r) => `| ${r.check.trim()} | ${r.value} | ${r.target} | ${r.pass === null ? '' : r.pass ? '✓' : '✗'} |`).join('\n') + '\n';
}
