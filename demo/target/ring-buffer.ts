/**
 * A fixed-size ring that keeps the last `capacity` values pushed: the slot
 * after the newest is the oldest, and a push overwrites it.
 *
 * ```
 *   [v5][v6][v3][v4]      capacity 4, six pushes: v1 and v2 are gone
 *            ▲ next
 * ```
 *
 * @example
 * const ring = new RingBuffer<string>(2);
 * ring.push('a'); ring.push('b'); ring.push('c');
 * ring.toArray(); // ['b', 'c']
 */
export class RingBuffer<T> {
  private readonly slots: (T | undefined)[];
  private next = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ring capacity must be a positive integer (got ${capacity})`);
    this.slots = new Array<T | undefined>(capacity).fill(undefined);
  }

  push(value: T): void {
    this.slots[this.next] = value;
    this.next = this.next + 1 === this.capacity ? 0 : this.next + 1;
    if (this.count < this.capacity) this.count++;
  }

  /** The retained values, oldest first. */
  toArray(): T[] {
    const out: T[] = [];
    const first = this.count < this.capacity ? 0 : this.next;
    for (let i = 0; i < this.count; i++) out.push(this.slots[(first + i) % this.capacity] as T);
    return out;
  }

  get size(): number {
    return this.count;
  }
}
