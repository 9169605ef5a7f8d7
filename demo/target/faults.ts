/**
 * Fault injection for the `/v1/*` endpoints, so burnwatch's probes, SLOs and
 * soak tests have something real to detect: added latency, injected 500s, a
 * memory leak, and a disabled cache.
 */

/** The injectable faults. All zero / `cacheEnabled: true` means healthy. */
export interface Faults {
  /** Added latency per request (ms), applied with a timer. */
  latencyMs: number;
  /** Uniform jitter around `latencyMs` (ms): the delay is latencyMs ± jitterMs, at least 0. */
  jitterMs: number;
  /** Probability (0..1) that a request is answered with a 500. */
  errorRate: number;
  /** Bytes retained per request and never released (until the faults are reset). */
  leakBytesPerRequest: number;
  /** When false every config read bypasses the cache (all `X-Cache: MISS`). */
  cacheEnabled: boolean;
}

export const DEFAULT_FAULTS: Readonly<Faults> = Object.freeze({
  latencyMs: 0,
  jitterMs: 0,
  errorRate: 0,
  leakBytesPerRequest: 0,
  cacheEnabled: true,
});

/** The leak stops growing here, so a mistaken setting cannot take the machine down. */
export const LEAK_CAP_BYTES = 512 * 1024 * 1024;

const MAX_LATENCY_MS = 60_000;
const MAX_LEAK_PER_REQUEST = 16 * 1024 * 1024;

/** A fault patch that failed validation. */
export class FaultValidationError extends Error {
  readonly code = 'invalid_faults';

  constructor(message: string) {
    super(message);
    this.name = 'FaultValidationError';
  }
}

function numberIn(key: string, value: unknown, min: number, max: number, integer: boolean): number {
  const ok = typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max && (!integer || Number.isInteger(value));
  if (!ok) {
    const what = integer ? 'an integer' : 'a number';
    throw new FaultValidationError(`${key} must be ${what} from ${min} to ${max} (got ${JSON.stringify(value) ?? String(value)})`);
  }
  return value;
}

/**
 * Validates a partial fault update (the body of `POST /admin/faults`).
 * Unknown keys are errors.
 *
 * @example
 * parseFaultPatch({ latencyMs: 50, errorRate: 0.1 }) // { latencyMs: 50, errorRate: 0.1 }
 * parseFaultPatch({ errorRate: 2 })                  // throws: errorRate must be a number from 0 to 1 (got 2)
 */
export function parseFaultPatch(body: unknown): Partial<Faults> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new FaultValidationError('expected a JSON object with any of latencyMs, jitterMs, errorRate, leakBytesPerRequest, cacheEnabled');
  }
  const patch: Partial<Faults> = {};
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    switch (key) {
      case 'latencyMs':
        patch.latencyMs = numberIn(key, value, 0, MAX_LATENCY_MS, false);
        break;
      case 'jitterMs':
        patch.jitterMs = numberIn(key, value, 0, MAX_LATENCY_MS, false);
        break;
      case 'errorRate':
        patch.errorRate = numberIn(key, value, 0, 1, false);
        break;
      case 'leakBytesPerRequest':
        patch.leakBytesPerRequest = numberIn(key, value, 0, MAX_LEAK_PER_REQUEST, true);
        break;
      case 'cacheEnabled':
        if (typeof value !== 'boolean') throw new FaultValidationError(`cacheEnabled must be true or false (got ${JSON.stringify(value)})`);
        patch.cacheEnabled = value;
        break;
      default:
        throw new FaultValidationError(`unknown fault "${key}" (expected latencyMs, jitterMs, errorRate, leakBytesPerRequest, cacheEnabled)`);
    }
  }
  return patch;
}

/**
 * The live fault settings and the memory they leak. `active` is a single
 * boolean the hot path checks before doing any fault work.
 */
export class FaultInjector {
  private state: Faults = { ...DEFAULT_FAULTS };
  private readonly leaked: Buffer[] = [];
  private leakedTotal = 0;
  /** True when any fault other than a disabled cache is set. */
  active = false;

  constructor(
    private readonly random: () => number = Math.random,
    private readonly leakCapBytes = LEAK_CAP_BYTES,
  ) {}

  current(): Faults {
    return { ...this.state };
  }

  /** Applies a validated patch (see `parseFaultPatch`); returns the new settings. */
  update(patch: Partial<Faults>): Faults {
    this.state = { ...this.state, ...patch };
    const s = this.state;
    this.active = s.latencyMs > 0 || s.jitterMs > 0 || s.errorRate > 0 || s.leakBytesPerRequest > 0;
    return this.current();
  }

  /** Back to healthy, releasing the leaked memory. */
  reset(): Faults {
    this.leaked.length = 0;
    this.leakedTotal = 0;
    return this.update(DEFAULT_FAULTS);
  }

  get cacheEnabled(): boolean {
    return this.state.cacheEnabled;
  }

  /** The delay to add to this request (ms), 0 for none. */
  delayMs(): number {
    const { latencyMs, jitterMs } = this.state;
    if (jitterMs === 0) return latencyMs;
    const d = latencyMs + (this.random() * 2 - 1) * jitterMs;
    return d > 0 ? d : 0;
  }

  /** Whether this request should fail with an injected 500. */
  shouldFail(): boolean {
    const rate = this.state.errorRate;
    return rate > 0 && (rate >= 1 || this.random() < rate);
  }

  /** Retains `leakBytesPerRequest` more bytes, up to the cap (`LEAK_CAP_BYTES` by default) in total. */
  leak(): void {
    const n = Math.min(this.state.leakBytesPerRequest, this.leakCapBytes - this.leakedTotal);
    if (n <= 0) return;
    // Filled with a non-zero byte so the pages are really touched and show up in RSS.
    this.leaked.push(Buffer.alloc(n, 0x6c));
    this.leakedTotal += n;
  }

  /** Bytes retained by the leak fault so far. */
  get leakedBytes(): number {
    return this.leakedTotal;
  }
}
