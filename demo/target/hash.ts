/**
 * Stable 32-bit hashing for assignment and rollout buckets.
 *
 * FNV-1a over the UTF-8 bytes of the input (encoded inline, so hashing a
 * string allocates nothing), followed by murmur3's 32-bit finaliser to spread
 * the bits: plain FNV-1a maps ids that differ only in their last character
 * ("u-1", "u-2", …) to values that differ mostly in the low bits, and the
 * buckets below are taken from the high bits.
 *
 * These functions are part of the demo's contract: a user's variant must not
 * change across restarts or releases, so never change the algorithm.
 */

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const TWO_POW_32 = 4294967296;

/** Folds the UTF-8 bytes of `text` into an FNV-1a state. */
function fnvUpdate(state: number, text: string): number {
  let h = state;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      h = Math.imul(h ^ c, FNV_PRIME);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        i++;
        c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
        h = Math.imul(h ^ (0xf0 | (c >>> 18)), FNV_PRIME);
        h = Math.imul(h ^ (0x80 | ((c >>> 12) & 0x3f)), FNV_PRIME);
        h = Math.imul(h ^ (0x80 | ((c >>> 6) & 0x3f)), FNV_PRIME);
        h = Math.imul(h ^ (0x80 | (c & 0x3f)), FNV_PRIME);
        continue;
      }
    }
    // A lone surrogate is encoded as U+FFFD, as TextEncoder does.
    if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
    if (c < 0x800) {
      h = Math.imul(h ^ (0xc0 | (c >>> 6)), FNV_PRIME);
      h = Math.imul(h ^ (0x80 | (c & 0x3f)), FNV_PRIME);
    } else {
      h = Math.imul(h ^ (0xe0 | (c >>> 12)), FNV_PRIME);
      h = Math.imul(h ^ (0x80 | ((c >>> 6) & 0x3f)), FNV_PRIME);
      h = Math.imul(h ^ (0x80 | (c & 0x3f)), FNV_PRIME);
    }
  }
  return h;
}

/**
 * FNV-1a (32 bit) of the UTF-8 bytes of `text`, as an unsigned integer.
 *
 * @example
 * fnv1a32('a') // 0xe40c292c
 */
export function fnv1a32(text: string): number {
  return fnvUpdate(FNV_OFFSET, text) >>> 0;
}

/** murmur3's fmix32 finaliser: full avalanche of a 32-bit value. */
export function fmix32(value: number): number {
  let h = value;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const COLON = ':'.charCodeAt(0);

/**
 * The stable hash of `namespace + ':' + id` (without building that string):
 * FNV-1a over the UTF-8 bytes, then fmix32. Unsigned 32-bit integer.
 *
 * @example
 * pairHash('exp-1', 'u-42') === pairHash('exp-1', 'u-42') // true, in every process
 */
export function pairHash(namespace: string, id: string): number {
  let h = fnvUpdate(FNV_OFFSET, namespace);
  h = Math.imul(h ^ COLON, FNV_PRIME);
  h = fnvUpdate(h, id);
  return fmix32(h >>> 0);
}

/**
 * A position in [0, 1) for `namespace:id`, uniform over ids.
 *
 * @example
 * const p = unitInterval('flag-3', 'u-7'); // 0 <= p < 1
 */
export function unitInterval(namespace: string, id: string): number {
  return pairHash(namespace, id) / TWO_POW_32;
}
