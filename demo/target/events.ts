/**
 * Event ingestion: validation of a batch, a bounded queue, and the aggregator
 * the background drainer feeds.
 *
 * A batch is accepted whole or not at all: every event is validated before
 * any is queued, and a batch that does not fit in the queue is refused (the
 * client retries after `Retry-After`), so a 202 always means "all of it".
 */
import { assignVariant } from './assignment.ts';
import { emptyStats } from './analytics.ts';
import type { VariantStats } from './analytics.ts';
import { compileExperiment } from './model.ts';
import type { CompiledExperiment, Experiment } from './model.ts';

export const EVENT_TYPES = ['exposure', 'conversion'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** One ingested event. `variant` may be omitted: the drainer derives it from the assignment. */
export interface DemoEvent {
  type: EventType;
  user: string;
  experiment: string;
  variant?: string;
  value?: number;
  /** Epoch milliseconds or an ISO-8601 string. */
  ts?: number | string;
}

const EVENT_KEYS = new Set(['type', 'user', 'experiment', 'variant', 'value', 'ts']);
const MAX_ID = 256;

function kind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}"` : typeof value;
}

function idProblem(key: string, value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0) return `${key}: expected a non-empty string, got ${kind(value)}`;
  if (value.length > MAX_ID) return `${key}: expected at most ${MAX_ID} characters, got ${value.length}`;
  return undefined;
}

/**
 * Why `value` is not a valid event (relative key path and reason), or
 * undefined when it is one.
 *
 * @example
 * eventProblem({ type: 'click', user: 'u-1', experiment: 'exp-1' }) // 'type: expected "exposure" or "conversion", got "click"'
 */
export function eventProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return `expected an object, got ${kind(value)}`;
  const e = value as Record<string, unknown>;
  for (const key in e) {
    if (!EVENT_KEYS.has(key)) return `unknown key "${key}" (expected type, user, experiment, variant, value, ts)`;
  }
  if (e.type !== 'exposure' && e.type !== 'conversion') return `type: expected "exposure" or "conversion", got ${kind(e.type)}`;
  const problem = idProblem('user', e.user) ?? idProblem('experiment', e.experiment) ?? (e.variant === undefined ? undefined : idProblem('variant', e.variant));
  if (problem !== undefined) return problem;
  if (e.value !== undefined && (typeof e.value !== 'number' || !Number.isFinite(e.value))) return `value: expected a finite number, got ${kind(e.value)}`;
  if (e.ts !== undefined) {
    if (typeof e.ts === 'number') {
      if (!Number.isFinite(e.ts) || e.ts < 0) return `ts: expected epoch milliseconds (a number of 0 or more), got ${e.ts}`;
    } else if (typeof e.ts !== 'string' || Number.isNaN(Date.parse(e.ts))) {
      return `ts: expected epoch milliseconds or an ISO-8601 timestamp, got ${kind(e.ts)}`;
    }
  }
  return undefined;
}

/** Why a batch was refused; `status` is the HTTP status to answer with. */
export interface BatchProblem {
  status: 400 | 413;
  code: 'invalid_batch' | 'invalid_event' | 'batch_too_large';
  message: string;
}

/**
 * Validates a parsed request body as a batch of at most `maxEvents` events.
 * Returns the events, or the first problem found (naming the event's index).
 */
export function validateBatch(body: unknown, maxEvents: number): DemoEvent[] | BatchProblem {
  if (!Array.isArray(body)) return { status: 400, code: 'invalid_batch', message: `expected a JSON array of events, got ${kind(body)}` };
  if (body.length === 0) return { status: 400, code: 'invalid_batch', message: 'expected at least one event, got an empty array' };
  if (body.length > maxEvents) {
    return { status: 413, code: 'batch_too_large', message: `a batch holds at most ${maxEvents} events, got ${body.length}` };
  }
  for (let i = 0; i < body.length; i++) {
    const problem = eventProblem(body[i]);
    if (problem !== undefined) return { status: 400, code: 'invalid_event', message: `events[${i}]: ${problem}` };
  }
  return body as DemoEvent[];
}

/**
 * A bounded FIFO of events over a fixed array (a ring buffer), so a full
 * queue refuses work instead of growing.
 *
 * ```
 *   head ──▶ [e3][e4][e5][  ][  ][e1][e2] ◀── tail wraps around
 * ```
 */
export class EventQueue {
  private readonly slots: (DemoEvent | undefined)[];
  private head = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`event queue capacity must be a positive integer (got ${capacity})`);
    this.slots = new Array<DemoEvent | undefined>(capacity).fill(undefined);
  }

  /** Queues all of `events`, or none when they do not all fit. */
  offer(events: readonly DemoEvent[]): boolean {
    if (events.length > this.capacity - this.count) return false;
    let tail = (this.head + this.count) % this.capacity;
    for (const event of events) {
      this.slots[tail] = event;
      tail = tail + 1 === this.capacity ? 0 : tail + 1;
    }
    this.count += events.length;
    return true;
  }

  /** Removes up to `max` events from the head, passing each to `sink`; returns how many. */
  drain(max: number, sink: (event: DemoEvent) => void): number {
    const n = Math.min(max, this.count);
    for (let i = 0; i < n; i++) {
      const event = this.slots[this.head]!;
      this.slots[this.head] = undefined;
      this.head = this.head + 1 === this.capacity ? 0 : this.head + 1;
      this.count--;
      sink(event);
    }
    return n;
  }

  get size(): number {
    return this.count;
  }
}

/** Why the aggregator did not count an event. */
export type DropReason = 'unknown_experiment' | 'unknown_variant';

/**
 * Per-experiment, per-variant running sums. Events for experiments that do
 * not exist (any more) or for variants the experiment does not have are
 * dropped and reported, which also keeps memory bounded by the configuration.
 *
 * @example
 * const agg = new EventAggregator((id) => store.experiment(id));
 * agg.add({ type: 'exposure', user: 'u-1', experiment: 'exp-1' });
 * agg.stats('exp-1', 'control'); // { exposures: 1, … } if u-1 is in control
 */
export class EventAggregator {
  private readonly byExperiment = new Map<string, Map<string, VariantStats>>();
  private readonly compiled = new WeakMap<Experiment, CompiledExperiment>();

  constructor(
    private readonly lookup: (id: string) => Experiment | undefined,
    private readonly onDrop: (reason: DropReason) => void = () => {},
  ) {}

  /** Counts one event; returns false (and reports why) when it was dropped. */
  add(event: DemoEvent): boolean {
    const record = this.lookup(event.experiment);
    if (record === undefined) {
      this.onDrop('unknown_experiment');
      return false;
    }
    let variant = event.variant;
    if (variant === undefined) {
      let compiled = this.compiled.get(record);
      if (compiled === undefined) {
        compiled = compileExperiment(record);
        this.compiled.set(record, compiled);
      }
      variant = assignVariant(compiled, event.user);
    } else if (!record.variants.some((v) => v.name === variant)) {
      this.onDrop('unknown_variant');
      return false;
    }
    let variants = this.byExperiment.get(record.id);
    if (variants === undefined) {
      variants = new Map();
      this.byExperiment.set(record.id, variants);
    }
    let stats = variants.get(variant);
    if (stats === undefined) {
      stats = emptyStats();
      variants.set(variant, stats);
    }
    if (event.type === 'exposure') stats.exposures++;
    else stats.conversions++;
    if (event.value !== undefined) {
      stats.valueSum += event.value;
      stats.valueCount++;
    }
    return true;
  }

  /** The running sums of one variant (live object; copy before handing out). */
  stats(experiment: string, variant: string): VariantStats | undefined {
    return this.byExperiment.get(experiment)?.get(variant);
  }

  /** Drops everything known about an experiment (it was deleted). */
  forget(experiment: string): void {
    this.byExperiment.delete(experiment);
  }
}
