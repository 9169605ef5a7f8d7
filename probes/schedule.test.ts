import { describe, expect, it } from 'vitest';
import {
  arrivalCursor,
  arrivalOffsets,
  arrivalRateAt,
  maxVus,
  parseSegment,
  peakArrivalRate,
  plannedIterations,
  rampingVuSteps,
  shareOf,
  stageAt,
  subSegment,
  WHOLE,
} from './schedule.ts';
import { scenarioSchema } from './spec.ts';
import type { Scenario } from './spec.ts';

const scenario = (s: Record<string, unknown>): Scenario => scenarioSchema.parse(s);
type Arrival = Extract<Scenario, { executor: 'constant-arrival-rate' | 'ramping-arrival-rate' }>;
type RampingVus = Extract<Scenario, { executor: 'ramping-vus' }>;
const arrival = (s: Record<string, unknown>): Arrival => scenario(s) as Arrival;

describe('arrival schedules', () => {
  it('constant-arrival-rate starts iteration k at k·timeUnit/rate, the first at 0', () => {
    const offsets = arrivalOffsets(arrival({ executor: 'constant-arrival-rate', rate: 500, duration: '4s', preAllocatedVUs: 10 }));
    expect(offsets).toHaveLength(2000);
    expect(offsets.slice(0, 3)).toEqual([0, 2, 4]);
    expect(offsets.at(-1)).toBe(3998);
  });

  it('constant-arrival-rate with a fractional rate starts exactly the planned iterations, none on float dust at the end', () => {
    // 11 · 100 / 1.1 is 999.9999999999999 in floats: before, a 12th iteration started "before" the 1 s end.
    for (const [rate, timeUnit, duration, n] of [
      [1.1, '100ms', '1s', 11],
      [1.1, '1s', '30s', 33],
      [0.3, '1s', '10s', 3],
    ] as const) {
      const s = arrival({ executor: 'constant-arrival-rate', rate, timeUnit, duration, preAllocatedVUs: 1 });
      expect(arrivalOffsets(s)).toHaveLength(n);
      expect(plannedIterations(s)).toBe(n);
    }
  });

  it('constant-arrival-rate counts exactly on long runs too: no arrival at the very end from float dust', () => {
    // 2.2 per 10 ms for 24 h is exactly 19,008,000 iterations, the last at 86,399,999.99… ms; in floats
    // 86,400,000 · 2.2 / 10 is 19,008,000.000000004, above the 1e-9 allowance: a 19,008,001st started at the end.
    const s = arrival({ executor: 'constant-arrival-rate', rate: 2.2, timeUnit: '10ms', duration: '24h', preAllocatedVUs: 1000 });
    expect(plannedIterations(s)).toBe(19_008_000);
    // Segment 1/1000 (1,000 VUs: every 1,000th iteration) holds the would-be extra one, 19,008,000.
    const first = arrivalOffsets(s, { index: 0, count: 1000 });
    expect(first).toHaveLength(19_008);
    expect(first.at(-1)!).toBeLessThan(86_400_000);
    expect(plannedIterations(arrival({ executor: 'constant-arrival-rate', rate: 0.28, timeUnit: '1ms', duration: '24h', preAllocatedVUs: 1 }))).toBe(24_192_000);
  });

  it('constant-arrival-rate honours timeUnit', () => {
    const s = arrival({ executor: 'constant-arrival-rate', rate: 3, timeUnit: '1m', duration: '2m', preAllocatedVUs: 1 });
    expect(arrivalOffsets(s)).toEqual([0, 20_000, 40_000, 60_000, 80_000, 100_000]);
    expect(peakArrivalRate(s)).toBeCloseTo(0.05, 10);
  });

  it('ramping-arrival-rate 0→100/s over 10s starts 500 iterations where the area under the ramp reaches 1, 2, … (k6 spacing)', () => {
    const s = arrival({ executor: 'ramping-arrival-rate', startRate: 0, stages: [{ duration: '10s', target: 100 }], preAllocatedVUs: 10 });
    const offsets = arrivalOffsets(s);
    expect(offsets).toHaveLength(500);
    // rate(t) = 10·t per second, area(t) = 5·t² (t in s): iteration n (1-based) at sqrt(n/5) s.
    for (const n of [1, 2, 10, 125, 250, 499, 500]) expect(offsets[n - 1]!).toBeCloseTo(Math.sqrt(n / 5) * 1000, 6);
    // Starts get denser as the rate grows.
    expect(offsets[1]! - offsets[0]!).toBeGreaterThan(offsets[499]! - offsets[498]!);
  });

  it('ramping-arrival-rate carries a stage’s fractional remainder into the next stage', () => {
    // Stage 1: 2/s for 4.9s = 9.8 iterations; the 10th starts in stage 2 when 0.2 more area has accrued.
    const s = arrival({
      executor: 'ramping-arrival-rate',
      startRate: 2,
      stages: [
        { duration: '4900ms', target: 2 },
        { duration: '5s', target: 2 },
      ],
      preAllocatedVUs: 1,
    });
    const offsets = arrivalOffsets(s);
    expect(offsets[8]).toBeCloseTo(4500, 6);
    expect(offsets[9]).toBeCloseTo(5000, 6);
    expect(offsets).toHaveLength(19);
  });

  it('ramping-arrival-rate ramps down and up across stages with the exact integral', () => {
    const s = arrival({
      executor: 'ramping-arrival-rate',
      startRate: 50,
      stages: [
        { duration: '2s', target: 10 },
        { duration: '0s', target: 100 },
        { duration: '1s', target: 100 },
      ],
      preAllocatedVUs: 1,
    });
    // Area: 2s·(50+10)/2 = 60, then 1s·100 = 100.
    expect(arrivalOffsets(s)).toHaveLength(160);
    expect(arrivalRateAt(s, 1000)).toBeCloseTo(30, 6);
    expect(arrivalRateAt(s, 2500)).toBeCloseTo(100, 6);
    expect(peakArrivalRate(s)).toBe(100);
    const offsets = arrivalOffsets(s);
    for (let i = 1; i < offsets.length; i++) expect(offsets[i]!).toBeGreaterThanOrEqual(offsets[i - 1]!);
  });

  it('ramping-arrival-rate on a long run starts no arrival past the area and none in the wrong stage', () => {
    // The area is 43,201 s · 300,119/min / 2 = 108,045,340.99…: 108,045,340 arrivals, k = 0 … 108,045,339.
    // A tolerance of 1e-9 of the total (0.108 here) let k = 108,045,340 start too, at the regular end.
    const ramp = arrival({ executor: 'ramping-arrival-rate', timeUnit: '1m', stages: [{ duration: '43201s', target: 300_119 }], preAllocatedVUs: 1, maxVUs: 5000 });
    // Segment 1/1000 of 1,000 VU units takes every 1,000th iteration from 0: it would hold that extra one.
    const c = arrivalCursor(ramp, { index: 108_045_340 % 1000, count: 1000 });
    let last = -1;
    for (let t = c.next(); t !== Infinity; t = c.next()) last = c.index;
    expect(last).toBeLessThan(108_045_340);
    expect(last).toBe(108_044_340);
    // Stage 1 holds 43,201 s · 300,119/min = 216,090,681.98… arrivals' area; the rate then drops to 0 and ramps
    // to 300,000/min over 1 h, so arrival k = 216,090,681 (area 216,090,682) is due when the ramp has added 0.0167,
    // 154.9 ms into it — not at the boundary, where the same tolerance put it.
    const boundary = arrival({
      executor: 'ramping-arrival-rate',
      timeUnit: '1m',
      startRate: 300_119,
      stages: [
        { duration: '43201s', target: 300_119 },
        { duration: '0s', target: 0 },
        { duration: '1h', target: 300_000 },
      ],
      preAllocatedVUs: 1,
      maxVUs: 5000,
    });
    const k = 216_090_681;
    const b = arrivalCursor(boundary, { index: k % 1000, count: 1000 });
    let at = b.next();
    while (b.index < k) at = b.next();
    const dueInRamp = Math.sqrt((2 * (1 - (43_201_000 * 300_119) / 60_000 + 216_090_681)) / (5 / 3_600_000));
    expect(at - 43_201_000).toBeCloseTo(dueInRamp, 1);
  });

  it('a zero-rate stage starts nothing and the schedule resumes after it', () => {
    const s = arrival({
      executor: 'ramping-arrival-rate',
      startRate: 10,
      stages: [
        { duration: '1s', target: 10 },
        { duration: '0s', target: 0 },
        { duration: '1s', target: 0 },
        { duration: '0s', target: 10 },
        { duration: '1s', target: 10 },
      ],
      preAllocatedVUs: 1,
    });
    const offsets = arrivalOffsets(s);
    expect(offsets).toHaveLength(20);
    expect(offsets.filter((t) => t > 1000 && t < 2000)).toEqual([]);
  });

  it('peakArrivalRate is undefined for closed-model executors', () => {
    expect(peakArrivalRate(scenario({ executor: 'constant-vus', vus: 5, duration: '1s' }))).toBeUndefined();
  });
});

describe('execution segments', () => {
  it('parses i/n as 1-based on the command line and rejects nonsense with a sentence', () => {
    expect(parseSegment('2/4')).toEqual({ index: 1, count: 4 });
    expect(() => parseSegment('0/4')).toThrow(/between 1 and 4/);
    expect(() => parseSegment('5/4')).toThrow(/between 1 and 4/);
    expect(() => parseSegment('half')).toThrow(/expected i\/n/);
  });

  it('rejects an i or n too large to read exactly instead of running another segment', () => {
    // 9007199254740993 reads as 9007199254740992 in a double: "2⁵³+1 of 2⁵³+1" became segment 2⁵³−1 of 2⁵³.
    expect(() => parseSegment('9007199254740993/9007199254740993')).toThrow(/too large/);
    expect(() => parseSegment('1/99999999999999999999')).toThrow(/too large/);
    expect(parseSegment('9007199254740991/9007199254740991')).toEqual({ index: 9007199254740990, count: 9007199254740991 });
    expect(parseSegment('1/1')).toEqual({ index: 0, count: 1 });
  });

  it('n shares of any count add up to the count exactly', () => {
    for (const total of [0, 1, 7, 10, 1001]) {
      for (const n of [1, 2, 3, 7]) {
        let sum = 0;
        for (let i = 0; i < n; i++) sum += shareOf(total, { index: i, count: n });
        expect(sum).toBe(total);
      }
    }
  });

  it('the segments of an arrival schedule interleave into exactly the whole schedule', () => {
    const s = arrival({
      executor: 'ramping-arrival-rate',
      startRate: 0,
      stages: [
        { duration: '3s', target: 77 },
        { duration: '2s', target: 20 },
      ],
      preAllocatedVUs: 1,
    });
    const whole = arrivalOffsets(s);
    for (const n of [2, 3, 5]) {
      const merged = Array.from({ length: n }, (_, i) => arrivalOffsets(s, { index: i, count: n })).flat().sort((a, b) => a - b);
      expect(merged).toEqual(whole);
    }
  });

  it('a segment gets the share of the iterations that it has of the VUs, as k6 re-segments by maxVUs', () => {
    // maxVUs 3 in two segments: VU units 0 and 2 in the first, 1 in the second, so 2/3 and 1/3 of the arrivals.
    const s = arrival({ executor: 'constant-arrival-rate', rate: 300, duration: '1s', preAllocatedVUs: 3 });
    const halves = [0, 1].map((i) => arrivalOffsets(s, { index: i, count: 2 }));
    expect(halves.map((h) => h.length)).toEqual([200, 100]);
    expect([...halves[0]!, ...halves[1]!].sort((a, b) => a - b)).toEqual(arrivalOffsets(s));
    expect([0, 1].map((i) => plannedIterations(s, { index: i, count: 2 }))).toEqual([200, 100]);
    // A segment without a VU gets no arrivals, and the others still add up to the whole.
    const thirds = [0, 1, 2].map((i) => arrivalOffsets(arrival({ executor: 'ramping-arrival-rate', stages: [{ duration: '2s', target: 50 }], preAllocatedVUs: 2 }), { index: i, count: 3 }));
    expect(thirds.map((t) => t.length)).toEqual([25, 25, 0]);
    const shared = scenario({ executor: 'shared-iterations', vus: 3, iterations: 31 });
    expect([0, 1].map((i) => plannedIterations(shared, { index: i, count: 2 }))).toEqual([21, 10]);
    // VUs divisible by the segment count: the plain stripe (iteration k to segment k mod n).
    const even = arrival({ executor: 'constant-arrival-rate', rate: 10, duration: '1s', preAllocatedVUs: 4 });
    expect(arrivalOffsets(even, { index: 1, count: 2 })).toEqual([100, 300, 500, 700, 900]);
  });

  it('threads inside a segment compose: thread t of T in segment i/n is segment i + t·n of n·T', () => {
    const s = arrival({ executor: 'constant-arrival-rate', rate: 1000, duration: '1s', preAllocatedVUs: 30 });
    const seg = { index: 1, count: 3 };
    const threads = [0, 1].map((t) => arrivalOffsets(s, subSegment(seg, t, 2)));
    expect([...threads[0]!, ...threads[1]!].sort((a, b) => a - b)).toEqual(arrivalOffsets(s, seg));
    expect(plannedIterations(s, seg)).toBe(333);
    expect(plannedIterations(s, { index: 0, count: 3 })).toBe(334);
    // VUs that divide neither the segments nor the threads: 5 VUs, segment 2/2 (units 1, 3) on 3 threads.
    const odd = arrival({ executor: 'ramping-arrival-rate', stages: [{ duration: '2s', target: 90 }], preAllocatedVUs: 5 });
    const half = { index: 1, count: 2 };
    const parts = [0, 1, 2].map((t) => arrivalOffsets(odd, subSegment(half, t, 3)));
    expect(parts.flat().sort((a, b) => a - b)).toEqual(arrivalOffsets(odd, half));
    // 90 arrivals: 2/5 to the segment (36), 1/5 to each of its threads that owns a unit.
    expect(parts.map((p) => p.length)).toEqual([18, 18, 0]);
    expect(arrivalOffsets(odd, { index: 0, count: 2 })).toHaveLength(54);
  });
});

describe('ramping-vus steps', () => {
  const rv = (s: Record<string, unknown>): RampingVus => scenario({ executor: 'ramping-vus', ...s }) as RampingVus;

  it('ramps up adding VU u at D·(u−a)/(b−a) and down dropping to u−1 at D·(a−u+1)/(a−b), as k6', () => {
    const steps = rampingVuSteps(
      rv({
        startVUs: 0,
        stages: [
          { duration: '4s', target: 4 },
          { duration: '2s', target: 4 },
          { duration: '4s', target: 0 },
        ],
      }),
      WHOLE,
    );
    expect(steps).toEqual([
      { at: 0, vus: 0 },
      { at: 1000, vus: 1 },
      { at: 2000, vus: 2 },
      { at: 3000, vus: 3 },
      { at: 4000, vus: 4 },
      { at: 7000, vus: 3 },
      { at: 8000, vus: 2 },
      { at: 9000, vus: 1 },
      { at: 10_000, vus: 0 },
    ]);
  });

  it('the VU counts of n segments add up to the whole at every step', () => {
    const s = rv({
      startVUs: 3,
      stages: [
        { duration: '10s', target: 17 },
        { duration: '2s', target: 17 },
        { duration: '0s', target: 5 },
        { duration: '5s', target: 9 },
      ],
    });
    const whole = rampingVuSteps(s, WHOLE);
    const parts = [0, 1, 2].map((i) => rampingVuSteps(s, { index: i, count: 3 }));
    const at = (steps: { at: number; vus: number }[], t: number): number => steps.filter((x) => x.at <= t).at(-1)?.vus ?? 0;
    for (const t of [0, 500, 1000, 3333, 7000, 9999, 10_000, 11_000, 12_000, 15_000, 17_000]) {
      expect(parts.reduce((n, p) => n + at(p, t), 0)).toBe(at(whole, t));
    }
    expect(maxVus(s)).toBe(17);
  });

  it('stageAt names the running stage', () => {
    const s = rv({ stages: [{ duration: '1s', target: 1 }, { duration: '1s', target: 2 }] });
    expect(stageAt(s, 500)).toEqual({ index: 0, count: 2 });
    expect(stageAt(s, 1500)).toEqual({ index: 1, count: 2 });
    // Before the scenario's startTime no stage is running (progress must not say "stage 1/2").
    expect(stageAt(s, -200)).toBeUndefined();
    expect(stageAt(scenario({ executor: 'constant-vus', duration: '1s' }), 0)).toBeUndefined();
  });
});
