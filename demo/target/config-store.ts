/**
 * The configuration "database" and the cache in front of it.
 *
 * `ConfigStore` holds experiments and flags as serialised documents, the way
 * a real store would: a lookup costs an asynchronous hop (a `setImmediate`,
 * or a timer when `latencyMs > 0`) plus deserialising and compiling the
 * document. `CachedConfig` keeps compiled documents in an LRU cache with a
 * TTL so the hot paths answer synchronously on a hit; writes go through it so
 * they invalidate the cached entry.
 */
import { setImmediate as immediate, setTimeout as sleep } from 'node:timers/promises';
import { LruCache } from './lru-cache.ts';
import { compileExperiment, compileFlag } from './model.ts';
import type { CompiledExperiment, CompiledFlag, Experiment, Flag } from './model.ts';

interface Stored<T> {
  json: string;
  record: T;
}

/**
 * @example
 * const store = new ConfigStore(0);
 * store.putExperiment(experiment);
 * await store.fetchExperiment(experiment.id); // a fresh copy, after a simulated lookup
 */
export class ConfigStore {
  private readonly experiments = new Map<string, Stored<Experiment>>();
  private readonly flags = new Map<string, Stored<Flag>>();

  /** @param latencyMs simulated lookup latency; 0 means one event-loop hop. */
  constructor(private readonly latencyMs: number) {}

  private async hop(): Promise<void> {
    if (this.latencyMs > 0) await sleep(this.latencyMs);
    else await immediate();
  }

  /** The stored record (authoritative, no simulated cost). Do not mutate it. */
  experiment(id: string): Experiment | undefined {
    return this.experiments.get(id)?.record;
  }

  /** All experiments ordered by id. */
  listExperiments(): Experiment[] {
    return [...this.experiments.values()].map((s) => s.record).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  putExperiment(record: Experiment): void {
    this.experiments.set(record.id, { json: JSON.stringify(record), record: Object.freeze(record) });
  }

  deleteExperiment(id: string): boolean {
    return this.experiments.delete(id);
  }

  /** Looks an experiment up the slow way: a hop, then deserialising the stored document. */
  async fetchExperiment(id: string): Promise<Experiment | undefined> {
    await this.hop();
    const stored = this.experiments.get(id);
    return stored === undefined ? undefined : (JSON.parse(stored.json) as Experiment);
  }

  flag(key: string): Flag | undefined {
    return this.flags.get(key)?.record;
  }

  putFlag(record: Flag): void {
    this.flags.set(record.key, { json: JSON.stringify(record), record: Object.freeze(record) });
  }

  async fetchFlag(key: string): Promise<Flag | undefined> {
    await this.hop();
    const stored = this.flags.get(key);
    return stored === undefined ? undefined : (JSON.parse(stored.json) as Flag);
  }

  get experimentCount(): number {
    return this.experiments.size;
  }

  get flagCount(): number {
    return this.flags.size;
  }
}

/**
 * Read-through cache of compiled documents with single-flight loading: many
 * concurrent misses on one key cost one store lookup. A write invalidates the
 * cached entry and orphans an in-flight load, so a load that started before
 * the write can never put the old document back into the cache.
 *
 * @example
 * const hit = cached.cachedExperiment('exp-1', now);          // synchronous, or undefined on a miss
 * const loaded = hit ?? (await cached.loadExperiment('exp-1', true));
 */
export class CachedConfig {
  private readonly experimentCache: LruCache<CompiledExperiment>;
  private readonly flagCache: LruCache<CompiledFlag>;
  private readonly experimentLoads = new Map<string, Promise<CompiledExperiment | undefined>>();
  private readonly flagLoads = new Map<string, Promise<CompiledFlag | undefined>>();

  constructor(
    readonly store: ConfigStore,
    capacity: number,
    ttlMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.experimentCache = new LruCache(capacity, ttlMs);
    this.flagCache = new LruCache(capacity, ttlMs);
  }

  /** A cached compiled experiment, or undefined on a miss (synchronous). */
  cachedExperiment(id: string, now: number): CompiledExperiment | undefined {
    return this.experimentCache.get(id, now);
  }

  /** Loads from the store; fills the cache when `fill` is true. */
  loadExperiment(id: string, fill: boolean): Promise<CompiledExperiment | undefined> {
    if (!fill) return this.store.fetchExperiment(id).then((r) => (r === undefined ? undefined : compileExperiment(r)));
    const pending = this.experimentLoads.get(id);
    if (pending !== undefined) return pending;
    const load = this.store.fetchExperiment(id).then(
      (record) => {
        const compiled = record === undefined ? undefined : compileExperiment(record);
        if (this.experimentLoads.get(id) === load) {
          this.experimentLoads.delete(id);
          if (compiled !== undefined) this.experimentCache.set(id, compiled, this.now());
        }
        return compiled;
      },
      (err: unknown) => {
        if (this.experimentLoads.get(id) === load) this.experimentLoads.delete(id);
        throw err;
      },
    );
    this.experimentLoads.set(id, load);
    return load;
  }

  cachedFlag(key: string, now: number): CompiledFlag | undefined {
    return this.flagCache.get(key, now);
  }

  loadFlag(key: string, fill: boolean): Promise<CompiledFlag | undefined> {
    if (!fill) return this.store.fetchFlag(key).then((r) => (r === undefined ? undefined : compileFlag(r)));
    const pending = this.flagLoads.get(key);
    if (pending !== undefined) return pending;
    const load = this.store.fetchFlag(key).then(
      (record) => {
        const compiled = record === undefined ? undefined : compileFlag(record);
        if (this.flagLoads.get(key) === load) {
          this.flagLoads.delete(key);
          if (compiled !== undefined) this.flagCache.set(key, compiled, this.now());
        }
        return compiled;
      },
      (err: unknown) => {
        if (this.flagLoads.get(key) === load) this.flagLoads.delete(key);
        throw err;
      },
    );
    this.flagLoads.set(key, load);
    return load;
  }

  /** Writes an experiment through to the store and invalidates its cache entry. */
  putExperiment(record: Experiment): void {
    this.store.putExperiment(record);
    this.invalidateExperiment(record.id);
  }

  deleteExperiment(id: string): boolean {
    const existed = this.store.deleteExperiment(id);
    this.invalidateExperiment(id);
    return existed;
  }

  putFlag(record: Flag): void {
    this.store.putFlag(record);
    this.flagCache.delete(record.key);
    this.flagLoads.delete(record.key);
  }

  private invalidateExperiment(id: string): void {
    this.experimentCache.delete(id);
    this.experimentLoads.delete(id);
  }
}
