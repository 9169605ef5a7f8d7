/**
 * One SLO's SLI index: minute buckets (good, total) and, for timeslice
 * budgeting, the derived per-slice values, kept up to date on every write so
 * the evaluator only ever sums ranges.
 */
import type { Budgeting } from './model.ts';
import { SlotSeries } from './series.ts';

export const MINUTE_MS = 60_000;
const MINUTES_PER_DAY = 1440;

export interface Sums {
  good: number;
  total: number;
}

/** A minute bucket as stored: `minute` is the epoch ms of the minute's start. */
export interface MinuteBucket {
  minute: number;
  good: number;
  total: number;
}

/**
 * What the evaluator reads: sums over minute ranges and slice ranges. Indices
 * are epoch ms / 60 000 for minutes and epoch ms / sliceMs for slices.
 */
export interface SliView {
  /** Σ good and Σ total over minutes `[fromMinute, toMinute)`. */
  events(fromMinute: number, toMinute: number): Sums;
  /**
   * Over slices `[fromSlice, toSlice)`: `good` = Σ good-slice flags (timeslices)
   * or Σ slice ratios (ratioTimeslices); `total` = number of slices with events.
   */
  slices(fromSlice: number, toSlice: number): Sums;
  /** Slice length the slice sums were built for; null for occurrences. */
  readonly sliceMs: number | null;
  /** The last minute (index) that had events; null when none. */
  lastEventMinute(): number | null;
}

export class SloIndex implements SliView {
  private readonly raw = new SlotSeries(MINUTES_PER_DAY, ['count', 'count']);
  private derived: SlotSeries | null = null;
  private budgeting: Budgeting = { method: 'occurrences' };
  private sliceMinutes = 0;
  private last: number | null = null;

  constructor(budgeting: Budgeting) {
    this.configure(budgeting);
  }

  get sliceMs(): number | null {
    return this.budgeting.method === 'occurrences' ? null : this.budgeting.sliceMs;
  }

  /** Bytes held by the slot arrays. */
  get bytes(): number {
    return this.raw.bytes + (this.derived?.bytes ?? 0);
  }

  /** (Re)configures the derived slice values; rebuilds them when the budgeting changed. */
  configure(budgeting: Budgeting): void {
    if (JSON.stringify(budgeting) === JSON.stringify(this.budgeting) && (budgeting.method === 'occurrences' || this.derived)) return;
    this.budgeting = budgeting;
    if (budgeting.method === 'occurrences') {
      this.derived = null;
      return;
    }
    this.sliceMinutes = budgeting.sliceMs / MINUTE_MS;
    this.derived = new SlotSeries(MINUTES_PER_DAY / this.sliceMinutes, [budgeting.method === 'ratioTimeslices' ? 'float' : 'count', 'count']);
    const seen = new Set<number>();
    this.raw.forEach(-Infinity, Infinity, (minute) => {
      const k = Math.floor(minute / this.sliceMinutes);
      if (!seen.has(k)) {
        seen.add(k);
        this.refreshSlice(k);
      }
    });
  }

  /** Adds counts to a minute (index = epoch ms / 60 000). */
  addMinute(minute: number, good: number, total: number): void {
    this.raw.add(minute, 0, good);
    this.raw.add(minute, 1, total);
    if (total > 0 && (this.last === null || minute > this.last)) this.last = minute;
    if (this.derived) this.refreshSlice(Math.floor(minute / this.sliceMinutes));
  }

  private refreshSlice(k: number): void {
    const d = this.derived!;
    const from = k * this.sliceMinutes;
    const to = from + this.sliceMinutes;
    const good = this.raw.sum(0, from, to);
    const total = this.raw.sum(1, from, to);
    const b = this.budgeting;
    let value = 0;
    if (total > 0) {
      if (b.method === 'ratioTimeslices') value = good / total;
      else if (b.method === 'timeslices') value = b.rule.kind === 'anyGood' ? (good > 0 ? 1 : 0) : good / total >= b.rule.target ? 1 : 0;
    }
    d.set(k, 0, value);
    d.set(k, 1, total > 0 ? 1 : 0);
  }

  events(fromMinute: number, toMinute: number): Sums {
    return { good: this.raw.sum(0, fromMinute, toMinute), total: this.raw.sum(1, fromMinute, toMinute) };
  }

  slices(fromSlice: number, toSlice: number): Sums {
    if (!this.derived) return { good: 0, total: 0 };
    return { good: this.derived.sum(0, fromSlice, toSlice), total: this.derived.sum(1, fromSlice, toSlice) };
  }

  lastEventMinute(): number | null {
    return this.last;
  }

  /** Minute buckets with events in `[fromMs, toMs)`. */
  buckets(fromMs: number, toMs: number): MinuteBucket[] {
    const out: MinuteBucket[] = [];
    this.raw.forEach(Math.ceil(fromMs / MINUTE_MS), Math.ceil(toMs / MINUTE_MS), (m, [good, total]) => {
      out.push({ minute: m * MINUTE_MS, good: good!, total: total! });
    });
    return out;
  }

  /** Forgets whole days before `ms`. */
  dropBefore(ms: number): void {
    const minute = Math.floor(ms / MINUTE_MS);
    this.raw.dropBefore(minute);
    this.derived?.dropBefore(Math.floor(minute / this.sliceMinutes));
  }
}
