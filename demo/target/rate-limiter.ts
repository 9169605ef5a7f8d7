/**
 * Token buckets per client. A bucket holds at most `burst` tokens and refills
 * at `rps` tokens per second; a request takes one token. Buckets are refilled
 * lazily when touched, so an idle client costs nothing but its map entry, and
 * `sweep` drops entries that have refilled completely (they are
 * indistinguishable from a fresh bucket).
 */

/** Token-bucket parameters. */
export interface RateLimitOptions {
  /** Sustained requests per second per client. */
  rps: number;
  /** Bucket size: requests a fresh client may send at once. */
  burst: number;
}

interface Bucket {
  tokens: number;
  last: number;
}

/**
 * @example
 * const limiter = new RateLimiter({ rps: 10, burst: 2 });
 * limiter.take('client-a', 0); // 0: allowed
 * limiter.take('client-a', 0); // 0: allowed
 * limiter.take('client-a', 0); // 100: denied, a token is back in 100 ms
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;
  private readonly burst: number;
  /** Milliseconds an untouched bucket takes to refill from empty. */
  private readonly fullAfterMs: number;

  constructor(
    options: RateLimitOptions,
    private readonly maxClients = 100_000,
  ) {
    if (!(options.rps > 0) || !Number.isFinite(options.rps)) throw new RangeError(`rateLimit.rps must be a number greater than 0 (got ${options.rps})`);
    if (!(options.burst >= 1) || !Number.isFinite(options.burst)) throw new RangeError(`rateLimit.burst must be a number of at least 1 (got ${options.burst})`);
    this.perMs = options.rps / 1000;
    this.burst = options.burst;
    this.fullAfterMs = options.burst / this.perMs;
  }

  /**
   * Takes a token from `key`'s bucket at time `now` (ms). Returns 0 when the
   * request may proceed, otherwise the milliseconds until a token is back.
   */
  take(key: string, now: number): number {
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      if (this.buckets.size >= this.maxClients) this.makeRoom(now);
      bucket = { tokens: this.burst, last: now };
      this.buckets.set(key, bucket);
    } else {
      const elapsed = now - bucket.last;
      if (elapsed > 0) {
        const refilled = bucket.tokens + elapsed * this.perMs;
        bucket.tokens = refilled > this.burst ? this.burst : refilled;
        bucket.last = now;
      }
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return (1 - bucket.tokens) / this.perMs;
  }

  /** Drops buckets that have refilled completely by `now`; returns how many. */
  sweep(now: number): number {
    let dropped = 0;
    for (const [key, bucket] of this.buckets) {
      if (now - bucket.last >= this.fullAfterMs) {
        this.buckets.delete(key);
        dropped++;
      }
    }
    return dropped;
  }

  private makeRoom(now: number): void {
    this.sweep(now);
    if (this.buckets.size < this.maxClients) return;
    // Still full of active clients (or of spoofed client ids): forget the
    // oldest tenth rather than grow without bound.
    let excess = this.buckets.size - Math.floor(this.maxClients * 0.9);
    for (const key of this.buckets.keys()) {
      if (excess-- <= 0) break;
      this.buckets.delete(key);
    }
  }

  /** Clients currently tracked. */
  get clients(): number {
    return this.buckets.size;
  }
}
