import { describe, expect, it } from 'vitest';
import { assignVariant } from './assignment.ts';
import { EventAggregator, EventQueue, eventProblem, validateBatch } from './events.ts';
import type { DemoEvent, DropReason } from './events.ts';
import { compileExperiment, newExperiment } from './model.ts';

const exposure = (user: string, extra: Partial<DemoEvent> = {}): DemoEvent => ({ type: 'exposure', user, experiment: 'exp-1', ...extra });

describe('eventProblem', () => {
  it.each([
    [{ type: 'exposure', user: 'u-1', experiment: 'exp-1' }, undefined],
    [{ type: 'conversion', user: 'u-1', experiment: 'exp-1', variant: 'b', value: 9.5, ts: 1_700_000_000_000 }, undefined],
    [{ type: 'conversion', user: 'u-1', experiment: 'exp-1', ts: '2026-01-01T00:00:00Z' }, undefined],
    ['nope', 'expected an object, got "nope"'],
    [{ type: 'click', user: 'u-1', experiment: 'exp-1' }, 'type: expected "exposure" or "conversion", got "click"'],
    [{ type: 'exposure', user: '', experiment: 'exp-1' }, 'user: expected a non-empty string, got ""'],
    [{ type: 'exposure', user: 'u-1' }, 'experiment: expected a non-empty string, got undefined'],
    [{ type: 'exposure', user: 'u-1', experiment: 'exp-1', value: 'ten' }, 'value: expected a finite number, got "ten"'],
    [{ type: 'exposure', user: 'u-1', experiment: 'exp-1', ts: 'yesterday' }, 'ts: expected epoch milliseconds or an ISO-8601 timestamp, got "yesterday"'],
    [{ type: 'exposure', user: 'u-1', experiment: 'exp-1', colour: 'red' }, 'unknown key "colour" (expected type, user, experiment, variant, value, ts)'],
  ])('judges %j as %j', (event, problem) => {
    expect(eventProblem(event)).toBe(problem);
  });
});

describe('validateBatch', () => {
  it('names the index of the first invalid event', () => {
    const r = validateBatch([exposure('u-1'), exposure('u-2'), { type: 'exposure', user: 7, experiment: 'exp-1' }], 10);
    expect(r).toEqual({ status: 400, code: 'invalid_event', message: 'events[2]: user: expected a non-empty string, got number' });
  });

  it('refuses a batch larger than the limit with 413 before looking at its events', () => {
    expect(validateBatch(new Array(11).fill('junk'), 10)).toMatchObject({ status: 413, code: 'batch_too_large' });
  });

  it('refuses a body that is not a non-empty array', () => {
    expect(validateBatch({ events: [] }, 10)).toMatchObject({ status: 400, message: 'expected a JSON array of events, got object' });
    expect(validateBatch([], 10)).toMatchObject({ status: 400, code: 'invalid_batch' });
  });
});

describe('EventQueue', () => {
  it('accepts a batch whole or not at all', () => {
    const queue = new EventQueue(3);
    expect(queue.offer([exposure('a'), exposure('b')])).toBe(true);
    expect(queue.offer([exposure('c'), exposure('d')])).toBe(false);
    expect(queue.size).toBe(2);
  });

  it('drains in arrival order across the wrap-around of its ring', () => {
    const queue = new EventQueue(3);
    const seen: string[] = [];
    queue.offer([exposure('a'), exposure('b')]);
    queue.drain(1, (e) => seen.push(e.user));
    queue.offer([exposure('c'), exposure('d')]);
    expect(queue.drain(10, (e) => seen.push(e.user))).toBe(3);
    expect(seen).toEqual(['a', 'b', 'c', 'd']);
    expect(queue.size).toBe(0);
  });
});

describe('EventAggregator', () => {
  const record = newExperiment({ id: 'exp-1', variants: [{ name: 'control', weight: 1 }, { name: 'b', weight: 1 }] }, new Date());

  function aggregator() {
    const drops: DropReason[] = [];
    const agg = new EventAggregator((id) => (id === 'exp-1' ? record : undefined), (r) => drops.push(r));
    return { agg, drops };
  }

  it('counts exposures, conversions and values per variant', () => {
    const { agg } = aggregator();
    agg.add(exposure('u-1', { variant: 'b' }));
    agg.add(exposure('u-2', { variant: 'b' }));
    agg.add({ type: 'conversion', user: 'u-1', experiment: 'exp-1', variant: 'b', value: 4 });
    agg.add({ type: 'conversion', user: 'u-2', experiment: 'exp-1', variant: 'b', value: 6 });
    expect(agg.stats('exp-1', 'b')).toEqual({ exposures: 2, conversions: 2, valueSum: 10, valueCount: 2 });
    expect(agg.stats('exp-1', 'control')).toBeUndefined();
  });

  it('attributes an event without a variant to the variant the user is assigned', () => {
    const { agg } = aggregator();
    const expected = assignVariant(compileExperiment(record), 'u-77');
    agg.add(exposure('u-77'));
    expect(agg.stats('exp-1', expected)?.exposures).toBe(1);
  });

  it('drops and reports events for unknown experiments and variants', () => {
    const { agg, drops } = aggregator();
    expect(agg.add({ type: 'exposure', user: 'u', experiment: 'exp-404' })).toBe(false);
    expect(agg.add(exposure('u', { variant: 'zzz' }))).toBe(false);
    expect(drops).toEqual(['unknown_experiment', 'unknown_variant']);
  });

  it('forgets an experiment entirely', () => {
    const { agg } = aggregator();
    agg.add(exposure('u-1', { variant: 'b' }));
    agg.forget('exp-1');
    expect(agg.stats('exp-1', 'b')).toBeUndefined();
  });
});
