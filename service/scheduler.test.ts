/**
 * The scheduler on node-cron with vitest's fake clock: node-cron arms its
 * heartbeat with setTimeout and reads `new Date()`, so advancing the fake
 * clock runs exactly the ticks that fall in the advanced span, and moving
 * the system time without running timers is an event loop that was blocked.
 */
import { getTasks } from 'node-cron';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { memoryLogger } from './telemetry/test-support.ts';
import { Scheduler } from './scheduler.ts';
import type { ScheduledProbe, TriggerResult } from './scheduler.ts';

const START = Date.parse('2025-01-01T00:00:00.500Z');
const EVERY_SECOND = '* * * * * *';

interface Harness {
  scheduler: Scheduler;
  triggers: string[];
  skips: [string, string][];
  lines: Record<string, unknown>[];
  /** What the next trigger answers (default: started). */
  answer: (probe: string) => TriggerResult;
}

let open: Scheduler[] = [];

function harness(random?: () => number): Harness {
  const { logger, lines } = memoryLogger();
  const h: Harness = {
    triggers: [],
    skips: [],
    lines,
    answer: (probe) => ({ started: true, runId: `${probe}-${h.triggers.length}` }),
    scheduler: undefined as unknown as Scheduler,
  };
  h.scheduler = new Scheduler({
    logger,
    trigger: (probe) => {
      h.triggers.push(probe);
      return h.answer(probe);
    },
    onSkip: (probe, reason) => h.skips.push([probe, reason]),
    random,
  });
  open.push(h.scheduler);
  return h;
}

const probe = (name: string, schedule = EVERY_SECOND, jitterMs = 0): ScheduledProbe => ({ name, schedule, jitterMs });
const taskNamed = (name: string): unknown => [...getTasks().values()].find((t) => t.name === name);

beforeEach(() => {
  vi.useFakeTimers({ now: START });
});
afterEach(async () => {
  await Promise.all(open.map((s) => s.stop()));
  open = [];
  vi.useRealTimers();
});

describe('Scheduler ticks', () => {
  it('starts a probe on every tick of a six-field cron with seconds', async () => {
    const h = harness();
    h.scheduler.set([probe('health')]);
    await vi.advanceTimersByTimeAsync(3_000);
    // Ticks at :01, :02 and :03; the clock is at :03.5.
    expect(h.triggers).toEqual(['health', 'health', 'health']);
    expect(h.skips).toEqual([]);
  });

  it('waits the jitter drawn from the injected random before starting the probe', async () => {
    const h = harness(() => 0.25);
    h.scheduler.set([probe('health', '*/10 * * * * *', 2_000)]);
    // The tick at :10.000 waits floor(0.25 × 2000) = 500 ms.
    await vi.advanceTimersByTimeAsync(9_500 + 499);
    expect(h.triggers).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.triggers).toEqual(['health']);
  });

  it('starts at once when the jitter drawn is zero', async () => {
    const h = harness(() => 0);
    h.scheduler.set([probe('health', '*/10 * * * * *', 2_000)]);
    await vi.advanceTimersByTimeAsync(9_500);
    expect(h.triggers).toEqual(['health']);
  });

  it('counts a tick whose previous run is still going as a skip, with a warning saying so', async () => {
    const h = harness();
    h.answer = () => ({ started: false, reason: 'running' });
    h.scheduler.set([probe('long')]);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(h.triggers).toEqual(['long', 'long']);
    expect(h.skips).toEqual([
      ['long', 'running'],
      ['long', 'running'],
    ]);
    const warnings = h.lines.filter((l) => l.msg === 'scheduled run skipped');
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatchObject({ level: 'warn', probe: 'long', reason: 'the previous run is still going' });
  });

  it('counts a run that could not start as a skip and logs why', async () => {
    const h = harness();
    h.answer = () => ({ started: false, reason: 'failed', message: 'probe "big" asks for 100 requests/s, above the maxRps cap' });
    h.scheduler.set([probe('big')]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(h.skips).toEqual([['big', 'failed']]);
    expect(h.lines.find((l) => l.msg === 'scheduled run skipped')).toMatchObject({ reason: 'probe "big" asks for 100 requests/s, above the maxRps cap' });
  });

  it('logs a trigger that throws and keeps ticking', async () => {
    const h = harness();
    let calls = 0;
    h.answer = () => {
      calls++;
      if (calls === 1) throw new Error('runner exploded');
      return { started: true, runId: 'r' };
    };
    h.scheduler.set([probe('health')]);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(h.triggers).toEqual(['health', 'health']);
    expect(h.lines.filter((l) => l.msg === 'scheduled run failed to start')).toEqual([
      expect.objectContaining({ level: 'error', probe: 'health', err: 'runner exploded' }),
    ]);
  });

  it('counts every tick node-cron could not run on time (a blocked event loop) as a missed skip', async () => {
    const h = harness();
    h.scheduler.set([probe('health')]);
    // The clock jumps 5 s while no timer runs: the heartbeat due at :01 runs at :06.
    vi.setSystemTime(START + 5_000);
    await vi.advanceTimersByTimeAsync(500);
    // Slots :01 to :05 are more than the 1 s tolerance late (or as late as the gap to the next slot): missed; :06 runs.
    expect(h.skips).toEqual([1, 2, 3, 4, 5].map(() => ['health', 'missed']));
    expect(h.triggers).toEqual(['health']);
    expect(h.lines.filter((l) => l.msg === 'scheduled run missed')).toHaveLength(5);
  });
});

describe('Scheduler.set', () => {
  it('keeps the node-cron task of a probe whose schedule did not change, and replaces a changed one', () => {
    const h = harness();
    h.scheduler.set([probe('a'), probe('b', '*/5 * * * * *')]);
    const a = taskNamed('probe:a');
    const b = taskNamed('probe:b');
    expect(a).toBeDefined();
    h.scheduler.set([probe('a', EVERY_SECOND, 100), probe('b', '*/7 * * * * *')]);
    expect(taskNamed('probe:a')).toBe(a);
    expect(taskNamed('probe:b')).not.toBe(b);
    expect(taskNamed('probe:b')).toBeDefined();
    expect(h.scheduler.scheduled().sort()).toEqual(['a', 'b']);
  });

  it('uses the new jitter of a probe whose schedule did not change', async () => {
    const h = harness(() => 0.5);
    h.scheduler.set([probe('a', '*/10 * * * * *', 0)]);
    h.scheduler.set([probe('a', '*/10 * * * * *', 4_000)]);
    await vi.advanceTimersByTimeAsync(9_500);
    expect(h.triggers).toEqual([]);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(h.triggers).toEqual(['a']);
  });

  it('stops ticking a probe that is no longer in the set and destroys its task', async () => {
    const h = harness();
    h.scheduler.set([probe('a'), probe('b')]);
    await vi.advanceTimersByTimeAsync(1_000);
    h.scheduler.set([probe('b')]);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(h.triggers.filter((p) => p === 'a')).toHaveLength(1);
    expect(h.triggers.filter((p) => p === 'b')).toHaveLength(3);
    expect(taskNamed('probe:a')).toBeUndefined();
    expect(h.scheduler.scheduled()).toEqual(['b']);
  });

  it('does not start a probe removed from the set while its jittered start was pending', async () => {
    const h = harness(() => 0.5);
    h.scheduler.set([probe('a', '*/10 * * * * *', 2_000)]);
    // The tick at :10 waits 1000 ms; the probe is removed half-way.
    await vi.advanceTimersByTimeAsync(9_500 + 500);
    h.scheduler.set([]);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(h.triggers).toEqual([]);
  });
});

describe('Scheduler.nextRun and stop', () => {
  it('gives the next scheduled start of a probe, and null for a probe it does not schedule', () => {
    const h = harness();
    h.scheduler.set([probe('a', '*/5 * * * * *')]);
    expect(h.scheduler.nextRun('a')?.toISOString()).toBe('2025-01-01T00:00:05.000Z');
    expect(h.scheduler.nextRun('nope')).toBeNull();
  });

  it('clears pending jittered starts, stops every task, and ignores set() afterwards', async () => {
    const h = harness(() => 0.5);
    h.scheduler.set([probe('a', EVERY_SECOND, 800)]);
    await vi.advanceTimersByTimeAsync(700); // the tick at :01 waits 400 ms
    await h.scheduler.stop();
    expect(h.scheduler.scheduled()).toEqual([]);
    expect(h.scheduler.nextRun('a')).toBeNull();
    expect(taskNamed('probe:a')).toBeUndefined();
    h.scheduler.set([probe('a')]);
    expect(h.scheduler.scheduled()).toEqual([]);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(h.triggers).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
