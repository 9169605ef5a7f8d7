import { describe, expect, it } from 'vitest';
import { fmix32, fnv1a32, pairHash, unitInterval } from './hash.ts';

/** FNV-1a over the bytes Node's own UTF-8 encoder produces: the reference. */
function referenceFnv(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) h = Math.imul(h ^ byte, 0x01000193);
  return h >>> 0;
}

describe('fnv1a32', () => {
  it.each([
    ['', 0x811c9dc5],
    ['a', 0xe40c292c],
    ['foobar', 0xbf9cf968],
  ])('hashes %j to the published FNV-1a test vector', (text, expected) => {
    expect(fnv1a32(text)).toBe(expected);
  });

  it.each(['exp-1:u-42', 'café', 'ユーザー', 'emoji 🚀 user', 'lone \ud800 surrogate', 'x'.repeat(1000)])(
    'hashes %j exactly like FNV-1a over its UTF-8 bytes',
    (text) => {
      expect(fnv1a32(text)).toBe(referenceFnv(text));
    },
  );
});

describe('pairHash', () => {
  it('equals the finalised hash of "namespace:id" without building that string', () => {
    expect(pairHash('exp-1', 'u-1')).toBe(fmix32(fnv1a32('exp-1:u-1')));
    expect(pairHash('flag-3', 'ü')).toBe(fmix32(fnv1a32('flag-3:ü')));
  });

  it('is pinned: these values must never change, or every user would change variant', () => {
    expect(pairHash('exp-1', 'u-1')).toBe(1256838788);
  });

  it('separates namespace and id, so "a:b" + "c" differs from "a" + "b:c" only through the colon position', () => {
    expect(pairHash('ab', 'c')).not.toBe(pairHash('a', 'bc'));
  });
});

describe('unitInterval', () => {
  it('spreads sequential user ids evenly over ten buckets (chi-square well under the 0.1 % critical value)', () => {
    const counts = new Array<number>(10).fill(0);
    const n = 10_000;
    for (let i = 0; i < n; i++) {
      const p = unitInterval('exp-9', `u-${i}`);
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThan(1);
      counts[Math.floor(p * 10)]! += 1;
    }
    const expected = n / 10;
    const chi2 = counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
    // 9 degrees of freedom: P(chi2 > 27.88) = 0.001.
    expect(chi2).toBeLessThan(27.88);
  });
});
