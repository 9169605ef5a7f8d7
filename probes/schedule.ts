/**
 * When iterations start and how many VUs run: pure functions of the
 * scenario and an execution segment, with k6's semantics
 * (https://grafana.com/docs/k6/latest/using-k6/scenarios/executors/).
 *
 * Open model. `constant-arrival-rate` starts iteration k (0-based) at
 * `k · timeUnit / rate`. `ramping-arrival-rate` starts iteration k when the
 * area under the linearly ramping rate curve reaches k + 1 (k6's `cal`):
 *
 * ```
 *  rate ▲              ___________
 *       │            ／           ＼        area(t) = ∫ rate  (iterations)
 *       │          ／   area = n   ＼       iteration n-1 starts at t = area⁻¹(n)
 *       │________／                 ＼
 *       └─────────────────────────────────▶ t
 * ```
 *
 * A stage's fractional remainder carries into the next stage, because the
 * area is cumulative over all stages.
 *
 * Execution segments. A segment `{ index, count }` takes every `count`-th
 * unit starting at `index` (0-based): iterations k with k mod count = index
 * for the open model, VU numbers the same way for the closed model. The n
 * segments of a scenario together are exactly the scenario, and a segment
 * split again into p parts is the segment `{ index + i·count, count·p }`, so
 * threads inside a process and processes across machines compose.
 */
import type { Scenario } from './spec.ts';

export interface Segment {
  /** 0-based. */
  index: number;
  count: number;
  /** A thread's share of a process's segment (`subSegment`): the process's segment, which k6 would know. */
  parent?: Segment;
}

export const WHOLE: Segment = { index: 0, count: 1 };

type ArrivalScenario = Extract<Scenario, { executor: 'constant-arrival-rate' | 'ramping-arrival-rate' }>;
type RampingVusScenario = Extract<Scenario, { executor: 'ramping-vus' }>;

export function isArrivalRate(s: Scenario): s is ArrivalScenario {
  return s.executor === 'constant-arrival-rate' || s.executor === 'ramping-arrival-rate';
}

/**
 * Parses the CLI form `i/n` (1-based i) into a segment; throws a `RangeError`
 * with a sentence when invalid.
 *
 * @example
 * parseSegment('2/4') // { index: 1, count: 4 }
 */
export function parseSegment(text: string): Segment {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) throw new RangeError(`"${text}" is not a segment; expected i/n such as 1/4 (the first of four shares)`);
  const i = Number(m[1]);
  const n = Number(m[2]);
  // Past 2⁵³ digits are rounded away: 9007199254740993 would read as another segment.
  if (!Number.isSafeInteger(i) || !Number.isSafeInteger(n)) throw new RangeError(`segment "${text}": i and n are too large (at most ${Number.MAX_SAFE_INTEGER})`);
  if (n < 1) throw new RangeError(`segment "${text}": n must be at least 1`);
  if (i < 1 || i > n) throw new RangeError(`segment "${text}": i must be between 1 and ${n}`);
  return { index: i - 1, count: n };
}

/** The `part`-th of `parts` shares of `seg` (equal in VU units; iterations follow them: `iterationShare`). */
export function subSegment(seg: Segment, part: number, parts: number): Segment {
  return { index: seg.index + part * seg.count, count: seg.count * parts, parent: seg.parent ?? seg };
}

/**
 * How many of the units 0..total-1 fall in the segment.
 *
 * @example
 * shareOf(10, { index: 0, count: 3 }) // 4 (0, 3, 6, 9)
 * shareOf(10, { index: 2, count: 3 }) // 3 (2, 5, 8)
 */
export function shareOf(total: number, seg: Segment): number {
  if (total <= seg.index) return 0;
  return Math.floor((total - 1 - seg.index) / seg.count) + 1;
}

/**
 * Which global iteration numbers a segment runs when its iterations follow
 * its VUs, as k6 splits arrival-rate and shared-iterations scenarios: it
 * re-segments them by maxVUs / vus (GetNewExecutionTupleFromValue), each
 * segment's new length being its share of the VUs (`shareOf`), and stripes
 * the iterations over that sequence (`stripe`). So a segment's share of the
 * iterations equals its share of the VUs — 3 VUs on 2 segments give 2/3 and
 * 1/3 of the arrivals, not half each, which would overload the 1-VU one —
 * spread as evenly as k6 spreads them, and a segment without a VU runs none.
 * A process's threads (`subSegment`) split its iterations the same way, by
 * their VUs, so `--segment i/n` runs exactly the iterations k6's would.
 * When `vuUnits` is a multiple of the segment count this is the plain stripe,
 * k ≡ index (mod count).
 */
export interface IterationShare {
  /** Iteration k is in the share when k mod `period` is one of `residues` (ascending). */
  readonly period: number;
  readonly residues: readonly number[];
}

export function iterationShare(vuUnits: number, seg: Segment): IterationShare {
  if (vuUnits < 1 || vuUnits % seg.count === 0) return { period: seg.count, residues: [seg.index] };
  const top = seg.parent ?? seg;
  const units = stripe(
    Array.from({ length: top.count }, (_, i) => shareOf(vuUnits, { index: i, count: top.count })),
    top.index,
  );
  if (top === seg) return { period: vuUnits, residues: units };
  // A thread: its part of the process's units, striped by the threads' VUs.
  const parts = seg.count / top.count;
  const mine = stripe(
    Array.from({ length: parts }, (_, p) => shareOf(vuUnits, subSegment(top, p, parts))),
    (seg.index - top.index) / top.count,
  );
  return { period: vuUnits, residues: mine.map((j) => units[j]!) };
}

/**
 * k6's striping of a sequence of segments (lib/execution_segment.go,
 * NewExecutionSegmentSequenceWrapper) whose lengths are `sizes[i]` / Σ sizes:
 * of the units 0 … Σ sizes − 1, which ones segment `which` owns (ascending).
 * Larger segments choose first (a stable sort); unit u goes to the first
 * segment whose next due position, chosen · Σ / size, it has reached — so
 * each segment's units are as far apart as they can be. A tree of the due
 * positions finds that segment in O(log n), not by a scan of all n.
 *
 * @example
 * stripe([2, 1, 1], 0) // [0, 2]  (k6: 4 VUs on 3 segments, the first's iterations of every 4)
 */
export function stripe(sizes: readonly number[], which: number): number[] {
  const lcd = sizes.reduce((a, b) => a + b, 0);
  const order = sizes.map((size, i) => ({ size, i })).filter((x) => x.size > 0);
  order.sort((a, b) => b.size - a.size);
  const n = order.length;
  const chosen = new Array<number>(n).fill(0);
  // due[s]: the first unit segment s may take next, ceil(chosen · lcd / size); Infinity once it has all.
  let width = 1;
  while (width < n) width *= 2;
  const tree = new Array<number>(2 * width).fill(Infinity);
  const setDue = (s: number): void => {
    const size = order[s]!.size;
    let v = chosen[s]! >= size ? Infinity : Math.ceil((chosen[s]! * lcd) / size);
    let at = width + s;
    tree[at] = v;
    for (at >>= 1; at >= 1; at >>= 1) {
      v = Math.min(tree[2 * at]!, tree[2 * at + 1]!);
      if (tree[at] === v) break;
      tree[at] = v;
    }
  };
  for (let s = 0; s < n; s++) setDue(s);
  const out: number[] = [];
  for (let u = 0; u < lcd; u++) {
    if (tree[1]! > u) continue; // no segment due: cannot happen when the sizes sum to lcd
    // The leftmost segment in choosing order whose due position is at most u.
    let at = 1;
    while (at < width) at = tree[2 * at]! <= u ? 2 * at : 2 * at + 1;
    const s = at - width;
    chosen[s]!++;
    if (order[s]!.i === which) out.push(u);
    setDue(s);
  }
  return out;
}

/** The global number of a share's n-th (0-based) iteration; Infinity for an empty share. */
export function nthIteration(share: IterationShare, n: number): number {
  const m = share.residues.length;
  if (m === 0) return Infinity;
  return Math.floor(n / m) * share.period + share.residues[n % m]!;
}

/** How many of the iterations 0 … total−1 are in a share. */
export function iterationsIn(share: IterationShare, total: number): number {
  const rest = total % share.period;
  let n = Math.floor(total / share.period) * share.residues.length;
  for (const r of share.residues) if (r < rest) n++;
  return n;
}

/** The fraction of all iterations a share holds. */
export function shareFraction(share: IterationShare): number {
  return share.residues.length / share.period;
}

/** The iteration share of a segment of an arrival-rate or shared-iterations scenario (by maxVUs / vus); the plain stripe for the others. */
export function scenarioIterationShare(scenario: Scenario, seg: Segment): IterationShare {
  switch (scenario.executor) {
    case 'constant-arrival-rate':
    case 'ramping-arrival-rate':
      return iterationShare(scenario.maxVUs, seg);
    case 'shared-iterations':
      return iterationShare(scenario.vus, seg);
    default:
      return iterationShare(0, seg);
  }
}

/** iterations per timeUnit → per millisecond. */
function perMs(rate: number, timeUnitMs: number): number {
  return rate / timeUnitMs;
}

/**
 * The requests/s at the busiest moment of an arrival-rate scenario (each
 * iteration sends one request), `undefined` for closed-model executors
 * whose rate depends on the target.
 *
 * @example
 * peakArrivalRate({ executor: 'constant-arrival-rate', rate: 50, timeUnit: 100, ... }) // 500
 */
export function peakArrivalRate(scenario: Scenario): number | undefined {
  if (scenario.executor === 'constant-arrival-rate') return (scenario.rate * 1000) / scenario.timeUnit;
  if (scenario.executor === 'ramping-arrival-rate') {
    const peak = scenario.stages.reduce((m, s) => Math.max(m, s.target), scenario.startRate);
    return (peak * 1000) / scenario.timeUnit;
  }
  return undefined;
}

/** The scenario's regular duration in ms (without startTime and gracefulStop); `maxDuration` for iteration-based executors. */
export function regularDurationMs(scenario: Scenario): number {
  switch (scenario.executor) {
    case 'constant-arrival-rate':
    case 'constant-vus':
      return scenario.duration;
    case 'ramping-arrival-rate':
    case 'ramping-vus':
      return scenario.stages.reduce((sum, s) => sum + s.duration, 0);
    case 'shared-iterations':
    case 'per-vu-iterations':
      return scenario.maxDuration;
  }
}

/** The longest a run of the scenario can last: startTime + regular duration + gracefulStop. */
export function maxRunDurationMs(scenario: Scenario): number {
  return scenario.startTime + regularDurationMs(scenario) + scenario.gracefulStop;
}

interface RateStage {
  start: number;
  duration: number;
  /** Rates in iterations per ms at the stage's start and end. */
  from: number;
  to: number;
  /** Cumulative area (iterations) before the stage. */
  areaBefore: number;
  area: number;
}

function rateStages(scenario: ArrivalScenario): RateStage[] {
  if (scenario.executor === 'constant-arrival-rate') {
    const r = perMs(scenario.rate, scenario.timeUnit);
    return [{ start: 0, duration: scenario.duration, from: r, to: r, areaBefore: 0, area: r * scenario.duration }];
  }
  const out: RateStage[] = [];
  let from = perMs(scenario.startRate, scenario.timeUnit);
  let start = 0;
  let areaBefore = 0;
  for (const st of scenario.stages) {
    const to = perMs(st.target, scenario.timeUnit);
    const area = (st.duration * (from + to)) / 2;
    out.push({ start, duration: st.duration, from, to, areaBefore, area });
    areaBefore += area;
    start += st.duration;
    from = to;
  }
  return out;
}

/** The offset within a stage at which the area since the stage's start reaches `r` (numerically stable root of the quadratic). */
function solveInStage(st: RateStage, r: number): number {
  const slope = (st.to - st.from) / st.duration;
  if (Math.abs(slope) * st.duration < 1e-12 * Math.max(st.from, 1e-300)) return r / st.from;
  const disc = st.from * st.from + 2 * slope * r;
  const root = Math.sqrt(disc > 0 ? disc : 0);
  const denom = st.from + root;
  return denom > 0 ? Math.min(st.duration, (2 * r) / denom) : 0;
}

/**
 * A forward-only cursor over the start offsets (ms from the scenario's
 * start) of a segment's iterations. `next()` returns `Infinity` once the
 * scenario has no more iterations for the segment. `index` is the global
 * iteration number of the offset last returned (for `{{seq}}`).
 */
export interface ArrivalCursor {
  next(): number;
  readonly index: number;
}

/**
 * @example
 * const c = arrivalCursor(scenario, WHOLE);
 * for (let t = c.next(); t !== Infinity; t = c.next()) schedule(t);
 */
export function arrivalCursor(scenario: ArrivalScenario, seg: Segment): ArrivalCursor {
  const share = scenarioIterationShare(scenario, seg);
  let n = 0;
  let k = -1;
  if (scenario.executor === 'constant-arrival-rate') {
    const { rate, timeUnit } = scenario;
    // Iterations whose start k·timeUnit/rate is before the end, counted without float dust
    // (11 · 100 / 1.1 is 999.9999999999999, before a 1 s end): as plannedIterations counts them.
    const count = constantRateIterations(scenario);
    return {
      get index() {
        return k;
      },
      next() {
        k = nthIteration(share, n++);
        return k < count ? (k * timeUnit) / rate : Infinity;
      },
    };
  }
  const stages = rateStages(scenario);
  const counts = stageArrivalCounts(scenario, stages);
  const total = counts[counts.length - 1]!;
  let j = 0;
  return {
    get index() {
      return k;
    },
    next() {
      k = nthIteration(share, n++);
      const r = k + 1;
      if (r > total) return Infinity;
      while (j < stages.length - 1 && r > counts[j]!) j++;
      const st = stages[j]!;
      if (st.duration === 0 || st.area === 0) {
        // Not reachable: a stage without area holds no arrival.
        return st.start + st.duration;
      }
      return st.start + solveInStage(st, Math.min(Math.max(0, r - st.areaBefore), st.area));
    },
  };
}

/**
 * How many arrivals have started by the end of each stage of a
 * ramping-arrival-rate scenario: ⌊area up to the stage's end⌋ (arrival r,
 * 1-based, is due when the area reaches r), in exact arithmetic on the rates
 * as written and the whole-millisecond durations. Float areas carry dust
 * that grows with them, and any tolerance wide enough for it on a long run
 * (1e-9 of 10⁸ arrivals is 0.1 arrival) also takes in an arrival whose area
 * is not reached — one more at the end, or one due a fraction of an arrival
 * into the next stage put at the boundary.
 */
function stageArrivalCounts(scenario: Extract<Scenario, { executor: 'ramping-arrival-rate' }>, stages: RateStage[]): number[] {
  const rates = [scenario.startRate, ...scenario.stages.map((st) => st.target)].map(exactDecimal);
  const whole = [scenario.timeUnit, ...scenario.stages.map((st) => st.duration)].every((ms) => Number.isSafeInteger(ms));
  if (!whole || rates.some((r) => r === undefined)) {
    const last = stages[stages.length - 1]!;
    const eps = 1e-9 * Math.max(1, last.areaBefore + last.area);
    return stages.map((st) => Math.floor(st.areaBefore + st.area + eps));
  }
  // Rates over one power of ten L: the area up to a stage's end is Σ duration · (from + to) / (2 · timeUnit · L).
  const exact = rates as { num: bigint; den: bigint }[];
  const l = exact.reduce((m, r) => (r.den > m ? r.den : m), 1n);
  const scaled = exact.map((r) => r.num * (l / r.den));
  const q = 2n * BigInt(scenario.timeUnit) * l;
  let sum = 0n;
  return scenario.stages.map((st, i) => {
    sum += BigInt(st.duration) * (scaled[i]! + scaled[i + 1]!);
    return Number(sum / q);
  });
}

/**
 * How many iterations a constant-arrival-rate scenario starts: those with
 * k·timeUnit/rate < duration, i.e. ⌈duration·rate/timeUnit⌉, counted in
 * exact arithmetic on the rate as written (`String(rate)`, the shortest
 * decimal that reads back as it) and the whole-millisecond durations. In
 * floats the quotient's dust grows with it (86,400,000 · 2.2 / 10 is
 * 19,008,000.000000004), so no fixed allowance can tell an iteration due
 * exactly at the end from one just before it.
 */
function constantRateIterations(s: Extract<Scenario, { executor: 'constant-arrival-rate' }>): number {
  const rate = exactDecimal(s.rate);
  if (rate === undefined || !Number.isSafeInteger(s.duration) || !Number.isSafeInteger(s.timeUnit)) {
    return Math.ceil((s.duration * s.rate) / s.timeUnit - 1e-9);
  }
  const num = BigInt(s.duration) * rate.num;
  const den = BigInt(s.timeUnit) * rate.den;
  return Number((num + den - 1n) / den);
}

/** A finite non-negative number as the decimal fraction it prints as (1.1 → 11/10, 2e-7 → 2/10⁷); `undefined` otherwise. */
function exactDecimal(x: number): { num: bigint; den: bigint } | undefined {
  const m = /^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(x));
  if (!m) return undefined;
  const frac = m[2] ?? '';
  const exp = Number(m[3] ?? 0) - frac.length;
  const digits = BigInt(m[1]! + frac);
  return exp >= 0 ? { num: digits * 10n ** BigInt(exp), den: 1n } : { num: digits, den: 10n ** BigInt(-exp) };
}

/** All start offsets of a segment's iterations (tests and tools; the engine uses the cursor). */
export function arrivalOffsets(scenario: ArrivalScenario, seg: Segment = WHOLE, limit = 10_000_000): number[] {
  const c = arrivalCursor(scenario, seg);
  const out: number[] = [];
  for (let t = c.next(); t !== Infinity && out.length < limit; t = c.next()) out.push(t);
  return out;
}

/** The target arrival rate (iterations per second) of the whole scenario at `tMs` from its start. */
export function arrivalRateAt(scenario: ArrivalScenario, tMs: number): number {
  const stages = rateStages(scenario);
  if (tMs < 0) return 0;
  for (const st of stages) {
    if (tMs < st.start + st.duration) {
      const f = st.duration > 0 ? (tMs - st.start) / st.duration : 1;
      return (st.from + (st.to - st.from) * f) * 1000;
    }
  }
  return 0;
}

/** Which stage (0-based) is running at `tMs` from the scenario's start, and how many there are; `undefined` for executors without stages and before the start (`tMs` < 0, within `startTime`). */
export function stageAt(scenario: Scenario, tMs: number): { index: number; count: number } | undefined {
  if ((scenario.executor !== 'ramping-arrival-rate' && scenario.executor !== 'ramping-vus') || tMs < 0) return undefined;
  let end = 0;
  for (let i = 0; i < scenario.stages.length; i++) {
    end += scenario.stages[i]!.duration;
    if (tMs < end) return { index: i, count: scenario.stages.length };
  }
  return { index: scenario.stages.length - 1, count: scenario.stages.length };
}

/** A change of the planned VU count at `at` ms from the scenario's start. */
export interface VuStep {
  at: number;
  vus: number;
}

/**
 * The planned VU count of a segment of a `ramping-vus` scenario over time,
 * as steps (k6's `getRawExecutionSteps`): while ramping up from a to b over
 * D, VU number u joins at `D·(u−a)/(b−a)`; while ramping down, the count
 * drops to u−1 at `D·(a−u+1)/(a−b)`. The first step is at 0; the last
 * planned count holds until the end of the stages.
 *
 * @example
 * rampingVuSteps({ startVUs: 0, stages: [{ duration: 4000, target: 4 }], ... }, WHOLE)
 * // [{at:0,vus:0},{at:1000,vus:1},{at:2000,vus:2},{at:3000,vus:3},{at:4000,vus:4}]
 */
export function rampingVuSteps(scenario: RampingVusScenario, seg: Segment): VuStep[] {
  const steps: VuStep[] = [{ at: 0, vus: shareOf(scenario.startVUs, seg) }];
  const add = (at: number, unscaled: number): void => {
    const vus = shareOf(unscaled, seg);
    const last = steps[steps.length - 1]!;
    if (last.vus === vus) return;
    if (last.at === at) last.vus = vus;
    else steps.push({ at, vus });
  };
  let from = scenario.startVUs;
  let start = 0;
  for (const st of scenario.stages) {
    const to = st.target;
    if (st.duration === 0) {
      add(start, to);
    } else if (to > from) {
      for (let u = from + 1; u <= to; u++) add(start + (st.duration * (u - from)) / (to - from), u);
    } else if (to < from) {
      for (let u = from; u > to; u--) add(start + (st.duration * (from - u + 1)) / (from - to), u - 1);
    }
    start += st.duration;
    from = to;
  }
  return steps;
}

/** The largest number of VUs a segment of a closed-model scenario runs at once. */
export function maxVus(scenario: Scenario, seg: Segment = WHOLE): number {
  switch (scenario.executor) {
    case 'constant-arrival-rate':
    case 'ramping-arrival-rate':
      return shareOf(scenario.maxVUs, seg);
    case 'constant-vus':
    case 'shared-iterations':
    case 'per-vu-iterations':
      return shareOf(scenario.vus, seg);
    case 'ramping-vus':
      return rampingVuSteps(scenario, seg).reduce((m, s) => Math.max(m, s.vus), 0);
  }
}

/** Total iterations a whole arrival-rate scenario starts (tests and planning). */
export function plannedIterations(scenario: Scenario, seg: Segment = WHOLE): number | undefined {
  switch (scenario.executor) {
    case 'constant-arrival-rate':
      return iterationsIn(scenarioIterationShare(scenario, seg), constantRateIterations(scenario));
    case 'ramping-arrival-rate':
      return arrivalOffsets(scenario, seg).length;
    case 'shared-iterations':
      return iterationsIn(scenarioIterationShare(scenario, seg), scenario.iterations);
    case 'per-vu-iterations':
      return shareOf(scenario.vus, seg) * scenario.iterations;
    default:
      return undefined;
  }
}
