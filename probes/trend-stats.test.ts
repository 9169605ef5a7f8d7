import { describe, expect, it } from 'vitest';
import { extraPercentiles, parseTrendStats, trendStatProblem } from './trend-stats.ts';

describe('summaryTrendStats', () => {
  it("takes k6's stats: avg, min, med, max, count and p(N) from 0 to 100", () => {
    for (const stat of ['avg', 'min', 'med', 'max', 'count', 'p(0)', 'p(95)', 'p(99.99)', 'p(100)']) expect(trendStatProblem(stat)).toBeUndefined();
  });

  it('says what is wrong with a stat', () => {
    expect(trendStatProblem('p95')).toBe('"p95" is not a trend stat; expected avg, min, med, max, count or p(N), e.g. p(99.99)');
    expect(trendStatProblem('p(x)')).toBe('"p(x)" is not a percentile; write p(N) with N a number from 0 to 100, e.g. p(99.99)');
    expect(trendStatProblem('p(101)')).toBe('"p(101)": a percentile is at most p(100)');
    expect(trendStatProblem('mean')).toMatch(/^"mean" is not a trend stat/);
  });

  it('parses the command-line form, spaces and all, and names the first bad stat', () => {
    expect(parseTrendStats('avg, p(95),p(99.99) ,count')).toEqual({ stats: ['avg', 'p(95)', 'p(99.99)', 'count'] });
    expect(parseTrendStats('avg,p95')).toEqual({ problem: expect.stringMatching(/^"p95" is not a trend stat/) as unknown });
    expect(parseTrendStats(' , ')).toEqual({ problem: 'expected one or more of avg, min, med, max, count, p(N), separated by commas' });
  });

  it('adds to the summary only the percentiles the default set lacks, once each', () => {
    expect(extraPercentiles(undefined)).toEqual([]);
    expect(extraPercentiles(['avg', 'p(95)', 'p(99.99)', 'p(75)', 'p(99.99)', 'count'])).toEqual(['p(99.99)', 'p(75)']);
  });
});
