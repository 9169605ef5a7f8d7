import { describe, expect, it, vi } from 'vitest';
import { CachedConfig, ConfigStore } from './config-store.ts';
import { newExperiment } from './model.ts';
import type { Experiment } from './model.ts';

function record(id: string, variants = ['control', 'b']): Experiment {
  return newExperiment({ id, variants: variants.map((name) => ({ name, weight: 1 })) }, new Date());
}

describe('ConfigStore', () => {
  it('returns a deserialised copy on a slow lookup, never the stored object', async () => {
    const store = new ConfigStore(0);
    const r = record('exp-1');
    store.putExperiment(r);
    const fetched = await store.fetchExperiment('exp-1');
    expect(fetched).toEqual(r);
    expect(fetched).not.toBe(store.experiment('exp-1'));
    expect(await store.fetchExperiment('nope')).toBeUndefined();
  });

  it('waits at least its configured latency per lookup', async () => {
    const store = new ConfigStore(20);
    store.putExperiment(record('exp-1'));
    const t0 = performance.now();
    await store.fetchExperiment('exp-1');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(18);
  });
});

describe('CachedConfig', () => {
  function setup(ttlMs = 1_000) {
    let now = 0;
    const store = new ConfigStore(0);
    store.putExperiment(record('exp-1'));
    const fetch = vi.spyOn(store, 'fetchExperiment');
    const cached = new CachedConfig(store, 100, ttlMs, () => now);
    return { store, fetch, cached, advance: (ms: number) => (now += ms) };
  }

  it('misses, loads, and then hits', async () => {
    const { cached, fetch } = setup();
    expect(cached.cachedExperiment('exp-1', 0)).toBeUndefined();
    const loaded = await cached.loadExperiment('exp-1', true);
    expect(loaded?.id).toBe('exp-1');
    expect(cached.cachedExperiment('exp-1', 1)).toBe(loaded);
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it('makes one store lookup for many concurrent misses on the same key', async () => {
    const { cached, fetch } = setup();
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => cached.loadExperiment('exp-1', true)));
    expect(new Set(results).size).toBe(1);
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it('neither reads nor fills the cache when asked to bypass it', async () => {
    const { cached } = setup();
    await cached.loadExperiment('exp-1', false);
    expect(cached.cachedExperiment('exp-1', 0)).toBeUndefined();
  });

  it('expires entries after the time to live', async () => {
    const { cached, advance } = setup(100);
    await cached.loadExperiment('exp-1', true);
    expect(cached.cachedExperiment('exp-1', 50)).toBeDefined();
    advance(150);
    expect(cached.cachedExperiment('exp-1', 150)).toBeUndefined();
  });

  it('invalidates on write, and a load that started before the write cannot put the old document back', async () => {
    const { cached } = setup();
    const stale = cached.loadExperiment('exp-1', true);
    cached.putExperiment(record('exp-1', ['control', 'new-arm']));
    await stale;
    expect(cached.cachedExperiment('exp-1', 1)).toBeUndefined();
    const fresh = await cached.loadExperiment('exp-1', true);
    expect(fresh?.variantNames).toEqual(['control', 'new-arm']);
  });

  it('forgets a deleted experiment', async () => {
    const { cached } = setup();
    await cached.loadExperiment('exp-1', true);
    expect(cached.deleteExperiment('exp-1')).toBe(true);
    expect(cached.cachedExperiment('exp-1', 1)).toBeUndefined();
    expect(await cached.loadExperiment('exp-1', true)).toBeUndefined();
  });
});
