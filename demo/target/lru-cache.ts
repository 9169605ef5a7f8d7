/**
 * A bounded LRU cache with a time-to-live per entry.
 *
 * A `Map` keeps insertion order, so re-inserting on every hit keeps the least
 * recently used entry first and eviction is `keys().next()`. Expired entries
 * are dropped when read, and crowded out by eviction otherwise.
 */

interface Entry<V> {
  value: V;
  expiresAt: number;
}

/**
 * @example
 * const cache = new LruCache<string>(2, 1_000);
 * cache.set('a', 'A', 0);
 * cache.get('a', 10);    // 'A'
 * cache.get('a', 2_000); // undefined (expired)
 */
export class LruCache<V> {
  readonly capacity: number;
  readonly ttlMs: number;
  private readonly entries = new Map<string, Entry<V>>();

  constructor(capacity: number, ttlMs: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`cache capacity must be a positive integer (got ${capacity})`);
    if (!(ttlMs > 0)) throw new RangeError(`cache TTL must be greater than 0 ms (got ${ttlMs})`);
    this.capacity = capacity;
    this.ttlMs = ttlMs;
  }

  /** The live value for `key` at time `now` (ms), marking it most recently used. */
  get(key: string, now: number): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    if (entry.expiresAt <= now) return undefined;
    this.entries.set(key, entry);
    return entry.value;
  }

  /** Stores `value` until `now + ttlMs`, evicting the least recently used entry when full. */
  set(key: string, value: V, now: number): void {
    const existing = this.entries.get(key);
    if (existing !== undefined) {
      this.entries.delete(key);
    } else if (this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { value, expiresAt: now + this.ttlMs });
  }

  /** Removes `key`; true when it was present. */
  delete(key: string): boolean {
    return this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
