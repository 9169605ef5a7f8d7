import { describe, expect, it } from 'vitest';
import { editDistance, suggest } from './suggest.ts';

describe('suggest', () => {
  it('names the known word a typo was meant to be', () => {
    expect(suggest('objectve', ['objective', 'probe', 'window'])).toBe('objective');
    expect(suggest('randint', ['randInt', 'uuid'])).toBe('randInt');
    expect(suggest('radnInt', ['randInt', 'uuid'])).toBe('randInt');
  });

  it('suggests nothing when no word is close, or the word is too short to tell', () => {
    expect(suggest('latency', ['objective', 'probe'])).toBeUndefined();
    expect(suggest('t', ['s'])).toBeUndefined();
    expect(suggest('x', [])).toBeUndefined();
  });

  it('counts insertions, deletions and substitutions', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('same', 'same')).toBe(0);
  });
});
