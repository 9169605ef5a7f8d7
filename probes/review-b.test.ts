/**
 * Review B: behaviour that differs from k6's documented semantics or from
 * burnwatch's own docs. Every test here fails on the code it was written
 * against; each says what k6 (or the doc) does, what burnwatch does, and the
 * source of the claim.
 */
import { describe, expect, it } from 'vitest';
import { formatConfigIssue, loadConfigText } from '../service/config/index.ts';
import { arrivalOffsets, plannedIterations, shareOf } from './schedule.ts';
import { scenarioSchema } from './spec.ts';
import type { Scenario } from './spec.ts';

type Arrival = Extract<Scenario, { executor: 'constant-arrival-rate' | 'ramping-arrival-rate' }>;

/**
 * k6's striping of a segment sequence (grafana/k6 lib/execution_segment.go,
 * NewExecutionSegmentSequenceWrapper): segments sorted by size (largest
 * first, stable); unit i of each lcd-long period goes to the first segment
 * whose next "due" position chosen·lcd/numerator it has reached. Returns,
 * per segment (in sequence order), the units of one period it owns.
 */
function k6Stripes(numerators: readonly number[], lcd: number): number[][] {
  const order = numerators.map((n, i) => ({ n, i })).sort((a, b) => b.n - a.n);
  const chosen = order.map(() => 0);
  const out = numerators.map((): number[] => []);
  for (let i = 0; i < lcd; i++) {
    for (let s = 0; s < order.length; s++) {
      const num = chosen[s]! * lcd;
      const den = order[s]!.n;
      const q = Math.floor(num / den);
      if (i > q || (i === q && num % den === 0)) {
        chosen[s]!++;
        out[order[s]!.i]!.push(i);
        break;
      }
    }
  }
  return out;
}

/**
 * The iteration stripes of n equal segments after k6 re-segments the
 * sequence by `value` (maxVUs / vus: GetNewExecutionSegmentSequenceFromValue):
 * each segment's new length is its share of `value` (the equal stripe,
 * `shareOf`) over `value`, so the new lcd is `value` (shares of q and q+1
 * are coprime) and the numerators are the shares.
 */
function k6IterationStripes(value: number, n: number): number[][] {
  const shares = Array.from({ length: n }, (_, i) => shareOf(value, { index: i, count: n }));
  return k6Stripes(shares, value);
}

describe('execution segments: iterations follow k6 re-segmented striping', () => {
  it('constant-arrival-rate, maxVUs 4 on 3 segments: segment 1/3 starts every other arrival, evenly spaced, as k6 stripes it', () => {
    // k6 (lib/executor/constant_arrival_rate.go Init → GetNewExecutionTupleFromValue(maxVUs); Run walks
    // GetStripedOffsets of that tuple; lib/execution_segment.go striping): the equal segments hold 2, 1 and 1 of
    // the 4 VUs, so the new sequence is 0,2/4,3/4,1 and its striping gives segment 1 units {0, 2}, segment 2 {1},
    // segment 3 {3} of every 4 iterations — segment 1 starts iterations 0, 2, 4, 6 (every 500 ms at 4/s).
    // burnwatch (schedule.ts iterationShare) gives segment 1 the iterations whose k mod 4 is a VU unit it owns
    // ({0, 3}): iterations 0, 3, 4, 7 at 0, 750, 1000, 1750 ms — two back to back, then a 750 ms gap, and
    // segment 3 gets iteration 2 instead of 3.
    const s = scenarioSchema.parse({ executor: 'constant-arrival-rate', rate: 4, duration: '2s', preAllocatedVUs: 4 }) as Arrival;
    // The reference gives the split burnwatch and k6 already agree on (3 VUs on 2 segments: units {0, 2} and {1}).
    expect(k6IterationStripes(3, 2)).toEqual([[0, 2], [1]]);
    const stripes = k6IterationStripes(4, 3);
    const k6Offsets = stripes.map((units) => [0, 1, 2, 3, 4, 5, 6, 7].filter((k) => units.includes(k % 4)).map((k) => k * 250));
    expect(k6Offsets).toEqual([[0, 500, 1000, 1500], [250, 1250], [750, 1750]]);
    expect([0, 1, 2].map((i) => arrivalOffsets(s, { index: i, count: 3 }))).toEqual(k6Offsets);
  });

  it('shared-iterations, 4 VUs and 11 iterations on 3 segments: 6, 3 and 2 iterations, as k6 scales them', () => {
    // k6 (lib/executor/shared_iterations.go GetIterations: GetNewExecutionTupleFromValue(vus).ScaleInt64(iterations);
    // lib/execution_segment.go ScaleInt64 over the striped offsets): with stripes {0,2} {1} {3} of every 4, the
    // 11 iterations are 2 whole periods plus units 0…2, so the segments get 4+2, 2+1 and 2+0 = 6, 3, 2.
    // burnwatch (plannedIterations / the engine's claimTotal via iterationsIn) gives 5, 3, 3: `--segment 1/3`
    // runs one iteration fewer, and `--segment 3/3` one more, than k6 with the same segment.
    const s = scenarioSchema.parse({ executor: 'shared-iterations', vus: 4, iterations: 11 });
    const stripes = k6IterationStripes(4, 3);
    const k6Counts = stripes.map((units) => Array.from({ length: 11 }, (_, k) => k).filter((k) => units.includes(k % 4)).length);
    expect(k6Counts).toEqual([6, 3, 2]);
    expect([0, 1, 2].map((i) => plannedIterations(s, { index: i, count: 3 }))).toEqual(k6Counts);
  });

  it('shared-iterations, 7 VUs and 13 iterations on 3 segments: 6, 4 and 3 iterations (k6), not 5, 4 and 4', () => {
    // Same sources as above. VUs 3, 2, 2 → sequence 0,3/7,5/7,1 → k6 stripes {0,3,5} {1,4} {2,6} of every 7;
    // 13 iterations = one period + units 0…5: 3+3, 2+2, 2+1. burnwatch's stripes are {0,3,6} {1,4} {2,5}.
    const s = scenarioSchema.parse({ executor: 'shared-iterations', vus: 7, iterations: 13 });
    expect(k6IterationStripes(7, 3)).toEqual([[0, 3, 5], [1, 4], [2, 6]]);
    expect([0, 1, 2].map((i) => plannedIterations(s, { index: i, count: 3 }))).toEqual([6, 4, 3]);
  });
});

describe('probe file validation: clear errors', () => {
  it('a tag whose key is not a label name says what a label name is, not just "Invalid key in record"', () => {
    // burnwatch's own schema means to say it (common/schema.ts `labels`: 'expected a label name like team_name'),
    // and README.md "Errors" promises each line says "what was found and what was expected". The message
    // printed is zod's bare 'Invalid key in record; found "x"' — it quotes the tag's *value* as what was found and
    // never says what a key must look like, so `bad-key` (a hyphen) gives the user nothing to act on.
    const r = loadConfigText(`apiVersion: burnwatch/v1
kind: Probe
metadata: { name: p }
spec:
  target: http://127.0.0.1:9
  scenario: { executor: constant-vus, vus: 1, duration: 1s, tags: { bad-key: x } }
  requests:
    - name: a
      url: /x
      tags: { "9lives": y }
`);
    expect(r.ok).toBe(false);
    const lines = r.ok ? [] : r.errors.map(formatConfigIssue);
    const scenarioTag = lines.find((l) => l.includes('spec.scenario.tags'));
    const requestTag = lines.find((l) => l.includes('spec.requests[0].tags'));
    expect(scenarioTag).toMatch(/label name/);
    expect(requestTag).toMatch(/label name/);
  });
});
