/**
 * k6's `summaryTrendStats` (`--summary-trend-stats`): which values of a
 * trend (`http_req_duration` and the other timings) the end-of-run table
 * shows, in the order given — `avg`, `min`, `med`, `max`, `count` and any
 * percentile `p(N)`, 0 ≤ N ≤ 100.
 *
 * The summary's values (and `--summary-export`) always hold burnwatch's
 * default set, which `--summary-export` users rely on, plus each extra
 * percentile asked for; k6's handleSummary() data holds only the stats
 * asked for.
 */

/** What the table shows without `summaryTrendStats`: k6's default and burnwatch's p(99), p(99.9). */
export const DEFAULT_TREND_STATS: readonly string[] = ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)', 'p(99.9)'];

const NAMED = new Set(['avg', 'min', 'med', 'max', 'count']);
const PERCENTILE = /^p\((\d+(?:\.\d+)?)\)$/;

/** The percentile (0–100) of a `p(N)` stat, or undefined for a named stat or a malformed one. */
export function statPercentile(stat: string): number | undefined {
  const m = PERCENTILE.exec(stat);
  return m ? Number(m[1]) : undefined;
}

/** Why `stat` is not a trend stat k6 takes, or undefined. */
export function trendStatProblem(stat: string): string | undefined {
  if (NAMED.has(stat)) return undefined;
  const p = statPercentile(stat);
  if (p !== undefined) return p <= 100 ? undefined : `"${stat}": a percentile is at most p(100)`;
  if (/^p\(/.test(stat)) return `"${stat}" is not a percentile; write p(N) with N a number from 0 to 100, e.g. p(99.99)`;
  return `"${stat}" is not a trend stat; expected avg, min, med, max, count or p(N), e.g. p(99.99)`;
}

/** `--summary-trend-stats avg,p(95),p(99.99)`: the stats, or what is wrong with them. */
export function parseTrendStats(text: string): { stats: string[] } | { problem: string } {
  const stats = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (stats.length === 0) return { problem: 'expected one or more of avg, min, med, max, count, p(N), separated by commas' };
  for (const s of stats) {
    const problem = trendStatProblem(s);
    if (problem !== undefined) return { problem };
  }
  return { stats };
}

/** The percentiles among `stats` that the default set lacks, as written (their values are added to the summary). */
export function extraPercentiles(stats: readonly string[] | undefined): string[] {
  if (stats === undefined) return [];
  return [...new Set(stats.filter((s) => statPercentile(s) !== undefined && !DEFAULT_TREND_STATS.includes(s)))];
}
