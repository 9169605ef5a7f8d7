/**
 * A consecutive-failure circuit breaker.
 *
 * ```
 *            failureThreshold consecutive failures
 *   CLOSED ────────────────────────────────────────▶ OPEN ◀──────────┐
 *     ▲                                               │ resetAfterMs  │ trial fails
 *     │            trial succeeds                     ▼               │
 *     └───────────────────────────────────────── HALF_OPEN ───────────┘
 *                                           (exactly one call let through)
 * ```
 *
 * A call counts as failed when it errors or when it took longer than
 * `slowCallMs`, even if it eventually succeeded: a dependency that answers in
 * ten seconds is as good as down for its callers. The clock is passed in
 * (milliseconds), so the state machine is tested without waiting.
 */

/** Breaker tuning. */
export interface BreakerOptions {
  /** Consecutive failed (or slow) calls that open the breaker. */
  failureThreshold: number;
  /** How long the breaker stays open before letting one trial call through. */
  resetAfterMs: number;
  /** Calls slower than this count as failures. */
  slowCallMs: number;
}

export type BreakerState = 'closed' | 'open' | 'half_open';

/** Numeric encoding for the state gauge (resilience4j's): closed 0, open 1, half-open 2. */
export const BREAKER_STATE_VALUE: Readonly<Record<BreakerState, number>> = { closed: 0, open: 1, half_open: 2 };

/**
 * @example
 * const breaker = new CircuitBreaker({ failureThreshold: 2, resetAfterMs: 1_000, slowCallMs: 100 });
 * if (breaker.acquire(now)) {
 *   const ok = await callDependency();
 *   breaker.record(ok, elapsedMs, performance.now());
 * } else {
 *   reply503(breaker.retryAfterMs(now));
 * }
 */
export class CircuitBreaker {
  private current: BreakerState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private trialInFlight = false;

  constructor(
    readonly options: BreakerOptions,
    private readonly onChange: (from: BreakerState, to: BreakerState) => void = () => {},
  ) {
    if (!Number.isInteger(options.failureThreshold) || options.failureThreshold < 1) {
      throw new RangeError(`breaker.failureThreshold must be a positive integer (got ${options.failureThreshold})`);
    }
    if (!(options.resetAfterMs >= 0)) throw new RangeError(`breaker.resetAfterMs must be 0 or more (got ${options.resetAfterMs})`);
    if (!(options.slowCallMs > 0)) throw new RangeError(`breaker.slowCallMs must be greater than 0 (got ${options.slowCallMs})`);
  }

  /** The state at `now`; an open breaker whose reset time has passed reads as half-open. */
  state(now: number): BreakerState {
    if (this.current === 'open' && now - this.openedAt >= this.options.resetAfterMs) this.transition('half_open');
    return this.current;
  }

  /** Whether a call may start now. In half-open, only the first caller gets through. */
  acquire(now: number): boolean {
    switch (this.state(now)) {
      case 'closed':
        return true;
      case 'open':
        return false;
      case 'half_open':
        if (this.trialInFlight) return false;
        this.trialInFlight = true;
        return true;
    }
  }

  /** Records the outcome of a call that `acquire` let through, `durationMs` after it started (so at `now - durationMs`). */
  record(succeeded: boolean, durationMs: number, now: number): void {
    const failed = !succeeded || durationMs > this.options.slowCallMs;
    switch (this.current) {
      case 'closed':
        if (!failed) {
          this.failures = 0;
        } else if (++this.failures >= this.options.failureThreshold) {
          this.open(now);
        }
        return;
      case 'half_open':
        // A call that started before the breaker opened (`now - durationMs` is its start) is not the trial:
        // like one that ends while the breaker is open, it changes nothing. The start is recomputed from
        // floats: 1 µs of slack keeps a trial started the instant it opened (resetAfterMs 0) its own.
        if (now - durationMs < this.openedAt - 0.001) return;
        this.trialInFlight = false;
        if (failed) {
          this.open(now);
        } else {
          this.failures = 0;
          this.transition('closed');
        }
        return;
      case 'open':
        // A call that started before the breaker opened; it changes nothing.
        return;
    }
  }

  /** How long a rejected caller should wait before retrying. */
  retryAfterMs(now: number): number {
    if (this.current === 'open') return Math.max(0, this.options.resetAfterMs - (now - this.openedAt));
    if (this.current === 'half_open') return Math.min(this.options.resetAfterMs, 1_000);
    return 0;
  }

  private open(now: number): void {
    this.openedAt = now;
    this.failures = 0;
    this.trialInFlight = false;
    this.transition('open');
  }

  private transition(to: BreakerState): void {
    const from = this.current;
    this.current = to;
    if (from !== to) this.onChange(from, to);
  }
}
