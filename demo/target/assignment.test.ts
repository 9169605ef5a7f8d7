import { describe, expect, it } from 'vitest';
import { assignVariant, evaluateFlag, inRollout } from './assignment.ts';
import { compileExperiment, compileFlag, flagFromBody, newExperiment } from './model.ts';
import type { ExperimentInput, FlagInput } from './model.ts';

const NOW = new Date('2026-01-01T00:00:00Z');

function experiment(input: ExperimentInput) {
  return compileExperiment(newExperiment(input, NOW));
}

function flag(key: string, body: FlagInput) {
  return compileFlag(flagFromBody(key, body, undefined, NOW));
}

const users = Array.from({ length: 10_000 }, (_, i) => `user-${i}`);

function shares(variants: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const v of variants) counts.set(v, (counts.get(v) ?? 0) + 1);
  return new Map([...counts].map(([k, c]) => [k, c / variants.length]));
}

describe('assignVariant', () => {
  const fiftyFifty = experiment({ id: 'exp-1', variants: [{ name: 'control', weight: 50 }, { name: 'treatment', weight: 50 }] });

  it('gives the same user the same variant on every call', () => {
    for (const user of ['u-1', 'u-2', 'alice', 'bob']) {
      const first = assignVariant(fiftyFifty, user);
      for (let i = 0; i < 5; i++) expect(assignVariant(fiftyFifty, user)).toBe(first);
    }
  });

  it('gives the same answer for an equal configuration compiled separately (as after a restart)', () => {
    const again = experiment({ id: 'exp-1', variants: [{ name: 'control', weight: 50 }, { name: 'treatment', weight: 50 }] });
    for (const user of users.slice(0, 500)) expect(assignVariant(again, user)).toBe(assignVariant(fiftyFifty, user));
  });

  it('is pinned to known assignments, so a change of algorithm cannot slip through', () => {
    expect(['u-1', 'u-2', 'u-3', 'u-4', 'u-5', 'alice', 'bob'].map((u) => assignVariant(fiftyFifty, u))).toEqual([
      'control',
      'control',
      'treatment',
      'treatment',
      'control',
      'control',
      'treatment',
    ]);
  });

  it.each([
    { name: '50/50', weights: [50, 50] },
    { name: '80/20', weights: [80, 20] },
    { name: '34/33/33', weights: [34, 33, 33] },
    { name: '1/1/2 (weights need not sum to 100)', weights: [1, 1, 2] },
  ])('follows $name weights within two percentage points over 10,000 users', ({ weights }) => {
    const exp = experiment({ id: 'exp-dist', variants: weights.map((weight, i) => ({ name: `v${i}`, weight })) });
    const total = weights.reduce((a, b) => a + b, 0);
    const observed = shares(users.map((u) => assignVariant(exp, u)));
    weights.forEach((w, i) => {
      expect(Math.abs((observed.get(`v${i}`) ?? 0) - w / total)).toBeLessThan(0.02);
    });
  });

  it('assigns independently per experiment: the same user is not in the same arm everywhere', () => {
    const a = experiment({ id: 'exp-a', variants: [{ name: 'x', weight: 1 }, { name: 'y', weight: 1 }] });
    const b = experiment({ id: 'exp-b', variants: [{ name: 'x', weight: 1 }, { name: 'y', weight: 1 }] });
    const same = users.filter((u) => assignVariant(a, u) === assignVariant(b, u)).length / users.length;
    expect(same).toBeGreaterThan(0.47);
    expect(same).toBeLessThan(0.53);
  });
});

describe('evaluateFlag', () => {
  const targeted = flag('checkout', {
    rules: [
      { attribute: 'user', operator: 'startsWith', values: ['internal-'] },
      { attribute: 'user', operator: 'in', values: ['u-blocked'], rollout: 0 },
      { attribute: 'country', operator: 'in', values: ['NL', 'DE'], rollout: 100 },
      { attribute: 'plan', operator: 'notIn', values: ['free'], rollout: 100 },
    ],
    rollout: 0,
  });
  const noAttributes = () => undefined;

  it('serves the off variation to everybody when the kill switch is off', () => {
    const off = flag('killed', { enabled: false, rollout: 100, offVariation: 'legacy', onVariation: 'new' });
    expect(evaluateFlag(off, 'internal-1', noAttributes)).toEqual({ enabled: false, variation: 'legacy', reason: 'disabled' });
  });

  it('turns the flag on for users whose id starts with a targeted prefix', () => {
    expect(evaluateFlag(targeted, 'internal-7', noAttributes)).toEqual({ enabled: true, variation: 'on', reason: 'rule_match', ruleIndex: 0 });
  });

  it('excludes users on a list whose rule rolls out to 0 %', () => {
    expect(evaluateFlag(targeted, 'u-blocked', (n) => (n === 'country' ? 'NL' : undefined))).toEqual({
      enabled: false,
      variation: 'off',
      reason: 'rule_match',
      ruleIndex: 1,
    });
  });

  it('matches request attributes such as country by list membership', () => {
    expect(evaluateFlag(targeted, 'u-1', (n) => (n === 'country' ? 'DE' : undefined))).toMatchObject({ enabled: true, ruleIndex: 2 });
    expect(evaluateFlag(targeted, 'u-1', (n) => (n === 'country' ? 'FR' : undefined))).toEqual({ enabled: false, variation: 'off', reason: 'rollout' });
  });

  it('does not let a notIn rule match users that lack the attribute', () => {
    expect(evaluateFlag(targeted, 'u-1', noAttributes).reason).toBe('rollout');
    expect(evaluateFlag(targeted, 'u-1', (n) => (n === 'plan' ? 'pro' : undefined))).toMatchObject({ enabled: true, ruleIndex: 3 });
  });

  it('rolls out to the configured share of users that match no rule, within a percentage point', () => {
    for (const rollout of [5, 25, 50, 90]) {
      const f = flag('rollout-flag', { rollout });
      const on = users.filter((u) => evaluateFlag(f, u, noAttributes).enabled).length / users.length;
      expect(Math.abs(on - rollout / 100)).toBeLessThan(0.01);
    }
  });

  it('keeps everybody who had the flag when the rollout grows from 10 % to 20 %', () => {
    const at10 = users.filter((u) => inRollout('grow', u, 10));
    expect(at10.length).toBeGreaterThan(0);
    expect(at10.every((u) => inRollout('grow', u, 20))).toBe(true);
  });
});
