import { describe, expect, it } from 'vitest';
import { computeResults, normalCdf, twoProportionZTest } from './analytics.ts';
import type { VariantStats } from './analytics.ts';

describe('normalCdf', () => {
  it.each([
    [0, 0.5],
    [1, 0.841344746],
    [1.959963985, 0.975],
    [-1.959963985, 0.025],
    [3, 0.998650102],
    [-6, 9.8659e-10],
  ])('Φ(%d) is %d to six places', (x, expected) => {
    expect(normalCdf(x)).toBeCloseTo(expected, 6);
  });
});

describe('twoProportionZTest', () => {
  it('matches a worked example: 10 % vs 13 % of 1,000 each gives z ≈ 2.10, p ≈ 0.036', () => {
    const r = twoProportionZTest(100, 1_000, 130, 1_000)!;
    expect(r.z).toBeCloseTo(2.1028, 3);
    expect(r.pValue).toBeCloseTo(0.0355, 3);
  });

  it('is symmetric: swapping the arms flips the sign of z and keeps p', () => {
    const ab = twoProportionZTest(30, 200, 45, 210)!;
    const ba = twoProportionZTest(45, 210, 30, 200)!;
    expect(ba.z).toBeCloseTo(-ab.z, 12);
    expect(ba.pValue).toBeCloseTo(ab.pValue, 12);
  });

  it('finds no difference (p = 1) for equal rates and when nobody or everybody converted', () => {
    expect(twoProportionZTest(50, 500, 50, 500)).toEqual({ z: 0, pValue: 1 });
    expect(twoProportionZTest(0, 100, 0, 100)).toEqual({ z: 0, pValue: 1 });
    expect(twoProportionZTest(100, 100, 80, 80)).toEqual({ z: 0, pValue: 1 });
  });

  it('is undefined (null) when an arm has no exposures', () => {
    expect(twoProportionZTest(0, 0, 10, 100)).toBeNull();
  });
});

describe('computeResults', () => {
  const stats = new Map<string, VariantStats>([
    ['control', { exposures: 1_000, conversions: 100, valueSum: 250, valueCount: 100 }],
    ['treatment', { exposures: 1_000, conversions: 130, valueSum: 390, valueCount: 130 }],
  ]);

  it('reports per-variant counts, rates, mean value, uplift and p-value vs control', () => {
    const r = computeResults('exp-1', 'control', ['control', 'treatment', 'unseen'], (v) => stats.get(v));
    expect(r.totalExposures).toBe(2_000);
    expect(r.totalConversions).toBe(230);
    const [control, treatment, unseen] = r.variants;
    expect(control).toMatchObject({ variant: 'control', control: true, conversionRate: 0.1, meanValue: 2.5, pValue: null, uplift: null });
    expect(treatment).toMatchObject({ variant: 'treatment', control: false, conversionRate: 0.13, meanValue: 3 });
    expect(treatment!.uplift).toBeCloseTo(0.3, 10);
    expect(treatment!.pValue).toBeCloseTo(twoProportionZTest(100, 1_000, 130, 1_000)!.pValue, 12);
    expect(unseen).toMatchObject({ exposures: 0, conversions: 0, conversionRate: 0, meanValue: null, pValue: null, uplift: null });
  });
});
