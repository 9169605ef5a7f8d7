import { describe, expect, it } from 'vitest';
import { flagFromBody, newExperiment } from './model.ts';
import { defaultSeed } from './seed.ts';

describe('defaultSeed', () => {
  const seed = defaultSeed();

  it('creates exp-1..exp-50 and flag-1..flag-20, the ids the default probes use', () => {
    expect(seed.experiments.map((e) => e.id)).toEqual(Array.from({ length: 50 }, (_, i) => `exp-${i + 1}`));
    expect(Object.keys(seed.flags)).toEqual(Array.from({ length: 20 }, (_, i) => `flag-${i + 1}`));
  });

  it('gives every experiment two or three weighted variants with a control', () => {
    for (const e of seed.experiments) {
      expect(e.variants.length).toBeGreaterThanOrEqual(2);
      expect(e.variants.length).toBeLessThanOrEqual(3);
      expect(e.variants.map((v) => v.name)).toContain(e.control);
    }
  });

  it('passes the same validation as the API', () => {
    const now = new Date();
    for (const e of seed.experiments) expect(() => newExperiment(e, now)).not.toThrow();
    for (const [key, f] of Object.entries(seed.flags)) expect(flagFromBody(key, f, undefined, now).rules.length).toBeGreaterThan(0);
  });
});
