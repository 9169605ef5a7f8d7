/**
 * The in-memory SLI index: per SLO, per-minute counts (and per-slice values
 * for timeslice budgeting) laid out so a window sum costs a bounded number of
 * operations whatever the window length — evaluation is O(windows) per SLO,
 * not O(minutes):
 *
 * ```
 *  day chunks (one per UTC day, sparse)       prefix over day totals
 *  ┌──────────── day d ─────────────┐         P[d] = Σ day totals before d
 *  │ slots   [s0 s1 … s1439]        │  ◀─ partial edges: ≤ 2 × (block − 1) slot reads
 *  │ blocks  [b0 … b23] (hour sums) │  ◀─ partial day: ≤ blocks per day reads
 *  │ day total                      │
 *  └────────────────────────────────┘
 *  sum(a, b) = edge slots + edge blocks + (P[db] − P[da + 1])
 * ```
 *
 * Count channels are `Uint32Array` (8 bytes a minute for good + total) and
 * switch to `Float64Array` for a chunk when a value is fractional or too big
 * (replayed Prometheus exports). The prefix over days is rebuilt lazily from
 * the first changed day.
 */

type Channel = Uint32Array | Float64Array;
export type ChannelKind = 'count' | 'float';

interface Chunk {
  data: Channel[];
  blocks: Float64Array[];
  day: Float64Array;
}

export class SlotSeries {
  readonly slotsPerDay: number;
  readonly blockSize: number;
  private readonly nBlocks: number;
  private readonly kinds: ChannelKind[];
  private baseDay = 0;
  private chunks: (Chunk | undefined)[] = [];
  private prefix: Float64Array[];
  private prefixValidUpTo = 0;

  constructor(slotsPerDay: number, kinds: ChannelKind[]) {
    this.slotsPerDay = slotsPerDay;
    this.kinds = kinds;
    this.blockSize = slotsPerDay >= 1440 && slotsPerDay % 60 === 0 ? 60 : Math.max(1, Math.round(Math.sqrt(slotsPerDay)));
    this.nBlocks = Math.ceil(slotsPerDay / this.blockSize);
    this.prefix = kinds.map(() => new Float64Array(1));
  }

  /** Number of day chunks held (for memory accounting). */
  get days(): number {
    return this.chunks.reduce((n, c) => (c ? n + 1 : n), 0);
  }

  /** Approximate bytes held by the slot arrays. */
  get bytes(): number {
    let b = 0;
    for (const c of this.chunks) if (c) for (const d of c.data) b += d.byteLength;
    return b;
  }

  private chunkFor(day: number): Chunk {
    if (this.chunks.length === 0) {
      this.baseDay = day;
    } else if (day < this.baseDay) {
      const shift = this.baseDay - day;
      this.chunks = [...new Array<Chunk | undefined>(shift), ...this.chunks];
      this.baseDay = day;
      this.prefixValidUpTo = 0;
    }
    const i = day - this.baseDay;
    while (this.chunks.length <= i) this.chunks.push(undefined);
    let c = this.chunks[i];
    if (!c) {
      c = {
        data: this.kinds.map((k) => (k === 'count' ? new Uint32Array(this.slotsPerDay) : new Float64Array(this.slotsPerDay))),
        blocks: this.kinds.map(() => new Float64Array(this.nBlocks)),
        day: new Float64Array(this.kinds.length),
      };
      this.chunks[i] = c;
    }
    return c;
  }

  /** Adds `diff` to one slot of one channel. */
  add(slot: number, channel: number, diff: number): void {
    if (diff === 0) return;
    const day = Math.floor(slot / this.slotsPerDay);
    const c = this.chunkFor(day);
    const i = slot - day * this.slotsPerDay;
    let arr = c.data[channel]!;
    const next = arr[i]! + diff;
    if (arr instanceof Uint32Array && (next < 0 || next > 0xffff_ffff || !Number.isInteger(next))) {
      arr = Float64Array.from(arr);
      c.data[channel] = arr;
    }
    arr[i] = next;
    c.blocks[channel]![Math.floor(i / this.blockSize)]! += diff;
    c.day[channel]! += diff;
    const ci = day - this.baseDay;
    if (ci < this.prefixValidUpTo) this.prefixValidUpTo = ci;
  }

  /** Sets one slot of one channel. */
  set(slot: number, channel: number, value: number): void {
    this.add(slot, channel, value - this.get(slot, channel));
  }

  get(slot: number, channel: number): number {
    const day = Math.floor(slot / this.slotsPerDay);
    const c = this.chunks[day - this.baseDay];
    if (!c || day < this.baseDay) return 0;
    return c.data[channel]![slot - day * this.slotsPerDay]!;
  }

  private ensurePrefix(): void {
    const n = this.chunks.length;
    if (this.prefixValidUpTo >= n && this.prefix[0]!.length === n + 1) return;
    for (let ch = 0; ch < this.kinds.length; ch++) {
      let p = this.prefix[ch]!;
      if (p.length !== n + 1) {
        const q = new Float64Array(n + 1);
        q.set(p.subarray(0, Math.min(p.length, n + 1)));
        p = q;
        this.prefix[ch] = p;
      }
      const from = Math.min(this.prefixValidUpTo, n);
      for (let i = from; i < n; i++) p[i + 1] = p[i]! + (this.chunks[i]?.day[ch] ?? 0);
    }
    this.prefixValidUpTo = n;
  }

  private within(ci: number, ch: number, i: number, j: number): number {
    const c = this.chunks[ci];
    if (!c || i >= j) return 0;
    if (i === 0 && j === this.slotsPerDay) return c.day[ch]!;
    const data = c.data[ch]!;
    const bs = this.blockSize;
    const bi = Math.ceil(i / bs);
    const bj = Math.floor(j / bs);
    let s = 0;
    if (bi >= bj) {
      for (let k = i; k < j; k++) s += data[k]!;
      return s;
    }
    for (let k = i; k < bi * bs; k++) s += data[k]!;
    const blocks = c.blocks[ch]!;
    for (let b = bi; b < bj; b++) s += blocks[b]!;
    for (let k = bj * bs; k < j; k++) s += data[k]!;
    return s;
  }

  /**
   * Σ of a channel over slots `[from, to)`.
   *
   * @example
   * const s = new SlotSeries(1440, ['count']); s.add(10, 0, 3); s.add(2000, 0, 4);
   * s.sum(0, 0, 3000) // 7
   */
  sum(ch: number, from: number, to: number): number {
    const spd = this.slotsPerDay;
    const lo = Math.max(from, this.baseDay * spd);
    const hi = Math.min(to, (this.baseDay + this.chunks.length) * spd);
    if (lo >= hi) return 0;
    const da = Math.floor(lo / spd);
    const db = Math.floor((hi - 1) / spd);
    const ca = da - this.baseDay;
    const cb = db - this.baseDay;
    if (ca === cb) return this.within(ca, ch, lo - da * spd, hi - da * spd);
    this.ensurePrefix();
    const p = this.prefix[ch]!;
    return this.within(ca, ch, lo - da * spd, spd) + (p[cb]! - p[ca + 1]!) + this.within(cb, ch, 0, hi - db * spd);
  }

  /** Calls `fn` for every slot in `[from, to)` where any channel is non-zero. */
  forEach(from: number, to: number, fn: (slot: number, values: number[]) => void): void {
    const spd = this.slotsPerDay;
    for (let ci = 0; ci < this.chunks.length; ci++) {
      const c = this.chunks[ci];
      if (!c) continue;
      const dayStart = (this.baseDay + ci) * spd;
      if (dayStart + spd <= from || dayStart >= to) continue;
      const i0 = Math.max(0, from - dayStart);
      const i1 = Math.min(spd, to - dayStart);
      for (let i = i0; i < i1; i++) {
        let any = false;
        for (const d of c.data) if (d[i] !== 0) any = true;
        if (any) fn(dayStart + i, c.data.map((d) => d[i]!));
      }
    }
  }

  /** Drops whole days that end at or before `slot`. */
  dropBefore(slot: number): void {
    const day = Math.floor(slot / this.slotsPerDay);
    const n = day - this.baseDay;
    if (n <= 0 || this.chunks.length === 0) return;
    this.chunks = this.chunks.slice(n);
    this.baseDay = day;
    this.prefixValidUpTo = 0;
    if (this.chunks.length === 0) this.baseDay = 0;
  }
}
