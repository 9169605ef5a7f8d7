import { describe, expect, it } from 'vitest';
import { LruCache } from './lru-cache.ts';

describe('LruCache', () => {
  it('evicts the least recently used entry when full', () => {
    const cache = new LruCache<number>(2, 1_000);
    cache.set('a', 1, 0);
    cache.set('b', 2, 0);
    cache.set('c', 3, 0);
    expect(cache.get('a', 1)).toBeUndefined();
    expect(cache.get('b', 1)).toBe(2);
    expect(cache.get('c', 1)).toBe(3);
  });

  it('counts a read as a use, so a recently read entry survives eviction', () => {
    const cache = new LruCache<number>(2, 1_000);
    cache.set('a', 1, 0);
    cache.set('b', 2, 0);
    expect(cache.get('a', 1)).toBe(1);
    cache.set('c', 3, 2);
    expect(cache.get('a', 3)).toBe(1);
    expect(cache.get('b', 3)).toBeUndefined();
  });

  it('forgets an entry once its time to live has passed', () => {
    const cache = new LruCache<string>(10, 100);
    cache.set('k', 'v', 1_000);
    expect(cache.get('k', 1_099)).toBe('v');
    expect(cache.get('k', 1_100)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('replaces an existing key without evicting another entry, and restarts its time to live', () => {
    const cache = new LruCache<number>(2, 100);
    cache.set('a', 1, 0);
    cache.set('b', 2, 0);
    cache.set('a', 10, 50);
    expect(cache.size).toBe(2);
    expect(cache.get('b', 60)).toBe(2);
    expect(cache.get('a', 120)).toBe(10);
  });

  it('deletes single entries on request', () => {
    const cache = new LruCache<number>(2, 100);
    cache.set('a', 1, 0);
    expect(cache.delete('a')).toBe(true);
    expect(cache.delete('a')).toBe(false);
    expect(cache.get('a', 0)).toBeUndefined();
  });

  it('rejects a capacity below one and a non-positive time to live with a sentence', () => {
    expect(() => new LruCache(0, 100)).toThrow(/capacity must be a positive integer/);
    expect(() => new LruCache(1, 0)).toThrow(/TTL must be greater than 0/);
  });
});
