/**
 * `--segment i/n` runs the iterations k6's `--execution-segment` would when
 * the VUs do not divide evenly: the reference below is k6's striping,
 * written apart from schedule.ts's `stripe` so that one cannot check itself.
 * Before, a segment took the iterations k mod maxVUs of the VU units it
 * owned: the right share, but unevenly spaced, and not k6's iterations.
 */
import { describe, expect, it } from 'vitest';
import { arrivalOffsets, iterationShare, plannedIterations, shareOf, stripe, subSegment } from './schedule.ts';
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
    // burnwatch (schedule.ts iterationShare) gave segment 1 the iterations whose k mod 4 is a VU unit it owns
    // ({0, 3}): iterations 0, 3, 4, 7 at 0, 750, 1000, 1750 ms — two back to back, then a 750 ms gap, and
    // segment 3 got iteration 2 instead of 3.
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
    // burnwatch (plannedIterations / the engine's claimTotal via iterationsIn) gave 5, 3, 3: `--segment 1/3`
    // runs one iteration fewer, and `--segment 3/3` one more, than k6 with the same segment.
    const s = scenarioSchema.parse({ executor: 'shared-iterations', vus: 4, iterations: 11 });
    const stripes = k6IterationStripes(4, 3);
    const k6Counts = stripes.map((units) => Array.from({ length: 11 }, (_, k) => k).filter((k) => units.includes(k % 4)).length);
    expect(k6Counts).toEqual([6, 3, 2]);
    expect([0, 1, 2].map((i) => plannedIterations(s, { index: i, count: 3 }))).toEqual(k6Counts);
  });

  it('shared-iterations, 7 VUs and 13 iterations on 3 segments: 6, 4 and 3 iterations (k6), not 5, 4 and 4', () => {
    // Same sources as above. VUs 3, 2, 2 → sequence 0,3/7,5/7,1 → k6 stripes {0,3,5} {1,4} {2,6} of every 7;
    // 13 iterations = one period + units 0…5: 3+3, 2+2, 2+1. burnwatch's stripes were {0,3,6} {1,4} {2,5}.
    const s = scenarioSchema.parse({ executor: 'shared-iterations', vus: 7, iterations: 13 });
    expect(k6IterationStripes(7, 3)).toEqual([[0, 3, 5], [1, 4], [2, 6]]);
    expect([0, 1, 2].map((i) => plannedIterations(s, { index: i, count: 3 }))).toEqual([6, 4, 3]);
  });

  it('every split of up to 40 VUs over up to 7 segments is k6’s, and a process’s threads split its iterations exactly, by their VUs', () => {
    for (let vus = 1; vus <= 40; vus++) {
      for (let n = 1; n <= 7; n++) {
        const reference = k6IterationStripes(vus, n);
        for (let i = 0; i < n; i++) {
          const seg = { index: i, count: n };
          const share = iterationShare(vus, seg);
          // The plain stripe when n divides the VUs (k6 keeps the sequence then), k6's striping otherwise.
          const units = Array.from({ length: vus }, (_, k) => k).filter((k) => share.residues.includes(k % share.period));
          expect(units, `${vus} VUs, segment ${i + 1}/${n}`).toEqual(reference[i]);
          for (const threads of [2, 3]) {
            const parts = Array.from({ length: threads }, (_, t) => subSegment(seg, t, threads));
            const owned = parts.map((p) => {
              const sh = iterationShare(vus, p);
              return Array.from({ length: vus }, (_, k) => k).filter((k) => sh.residues.includes(k % sh.period));
            });
            // Disjoint, together the segment's iterations, each thread's count its VUs.
            expect(owned.flat().sort((a, b) => a - b), `${vus} VUs, ${i + 1}/${n}, ${threads} threads`).toEqual(reference[i]);
            parts.forEach((p, t) => expect(owned[t]!.length).toBe(shareOf(vus, p)));
          }
        }
      }
    }
  });

  it('stripes 100,003 VUs over 100 segments as k6 does (the tree finds the segment due that k6 finds by a scan)', () => {
    const sizes = Array.from({ length: 100 }, (_, i) => shareOf(100_003, { index: i, count: 100 }));
    const reference = k6Stripes(sizes, 100_003);
    for (const which of [0, 2, 3, 57, 99]) expect(stripe(sizes, which)).toEqual(reference[which]);
  });
});
