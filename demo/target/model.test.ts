import { describe, expect, it } from 'vitest';
import { ValidationError, compileExperiment, flagFromBody, newExperiment, replacedExperiment } from './model.ts';

const NOW = new Date('2026-03-01T12:00:00Z');
const LATER = new Date('2026-03-02T12:00:00Z');
const body = { id: 'exp-x', variants: [{ name: 'a', weight: 1 }, { name: 'b', weight: 3 }] };

function problem(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof ValidationError) return err.message;
    throw err;
  }
  throw new Error('expected a ValidationError');
}

describe('newExperiment', () => {
  it('builds a version-1 record whose control defaults to the first variant', () => {
    expect(newExperiment(body, NOW)).toEqual({
      id: 'exp-x',
      name: 'exp-x',
      control: 'a',
      variants: body.variants,
      version: 1,
      createdAt: '2026-03-01T12:00:00.000Z',
      updatedAt: '2026-03-01T12:00:00.000Z',
    });
  });

  it.each([
    [{ ...body, id: 'has space' }, 'id: expected 1–64 characters'],
    [{ ...body, variants: [{ name: 'a', weight: 1 }] }, 'variants: expected at least 2 variants'],
    [{ ...body, variants: [{ name: 'a', weight: 1 }, { name: 'a', weight: 1 }] }, 'variants[1].name: duplicate variant name "a"'],
    [{ ...body, variants: [{ name: 'a', weight: 1 }, { name: 'b', weight: 0 }] }, 'variants[1].weight: expected a weight greater than 0'],
    [{ ...body, control: 'c' }, 'control: "c" is not one of the variants (a, b)'],
    [{ ...body, owner: 'me' }, 'body: Unrecognized key: "owner"'],
  ])('refuses %j, naming the key path', (input, message) => {
    expect(problem(() => newExperiment(input, NOW))).toContain(message);
  });
});

describe('replacedExperiment', () => {
  it('bumps the version, keeps createdAt and takes the new variants', () => {
    const first = newExperiment(body, NOW);
    const next = replacedExperiment(first, { variants: [{ name: 'x', weight: 1 }, { name: 'y', weight: 1 }], control: 'y' }, LATER);
    expect(next).toMatchObject({ id: 'exp-x', version: 2, control: 'y', createdAt: first.createdAt, updatedAt: '2026-03-02T12:00:00.000Z' });
  });

  it('refuses a body whose id differs from the path', () => {
    expect(problem(() => replacedExperiment(newExperiment(body, NOW), { ...body, id: 'other' }, LATER))).toBe(
      'id: "other" does not match the id in the path ("exp-x")',
    );
  });
});

describe('flagFromBody', () => {
  it('fills defaults: enabled, on/off variations, no rules, full rollout', () => {
    expect(flagFromBody('f', {}, undefined, NOW)).toEqual({
      key: 'f',
      enabled: true,
      onVariation: 'on',
      offVariation: 'off',
      rules: [],
      rollout: 100,
      version: 1,
      updatedAt: '2026-03-01T12:00:00.000Z',
    });
  });

  it('increments the version of an existing flag', () => {
    const first = flagFromBody('f', {}, undefined, NOW);
    expect(flagFromBody('f', { rollout: 5 }, first, LATER).version).toBe(2);
  });

  it.each([
    [{ rollout: 101 }, 'rollout: '],
    [{ rules: [{ attribute: 'country', operator: 'matches', values: ['NL'] }] }, 'rules[0].operator: '],
    [{ rules: [{ attribute: 'country', operator: 'in', values: [] }] }, 'rules[0].values: expected at least one value'],
    [{ onVariation: 'same', offVariation: 'same' }, 'offVariation: onVariation and offVariation must differ'],
    [{ key: 'other' }, 'key: "other" does not match the key in the path ("f")'],
  ])('refuses %j, naming the key path', (input, message) => {
    expect(problem(() => flagFromBody('f', input, undefined, NOW))).toContain(message);
  });
});

describe('compileExperiment', () => {
  it('precomputes cumulative weights for assignment', () => {
    const c = compileExperiment(newExperiment(body, NOW));
    expect([...c.cumulative]).toEqual([1, 4]);
    expect(c.totalWeight).toBe(4);
    expect(c.variantNames).toEqual(['a', 'b']);
  });
});
