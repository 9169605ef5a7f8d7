/**
 * Experiment results: pure maths over per-variant aggregates.
 *
 * Conversion rate is conversions per exposure. Each treatment is compared
 * with the control by a two-sided, pooled two-proportion z-test. The counts
 * are event counts (the demo does not de-duplicate users), so a client that
 * sends more conversions than exposures gets a rate above 1; the test then
 * caps conversions at exposures so it stays defined.
 */

/** Running sums for one variant of one experiment. */
export interface VariantStats {
  exposures: number;
  conversions: number;
  /** Sum and count of the `value` of events that carried one. */
  valueSum: number;
  valueCount: number;
}

/** One row of the results table. */
export interface VariantResult {
  variant: string;
  control: boolean;
  exposures: number;
  conversions: number;
  conversionRate: number;
  /** Mean `value` over events that carried one; null when none did. */
  meanValue: number | null;
  /** Relative change of the conversion rate vs control; null for the control or when control's rate is 0. */
  uplift: number | null;
  /** z statistic vs control; null for the control or when undefined. */
  zScore: number | null;
  /** Two-sided p-value vs control; null for the control or when a side has no exposures. */
  pValue: number | null;
}

/** The body of `GET /v1/experiments/:id/results`. */
export interface ExperimentResults {
  experiment: string;
  control: string;
  totalExposures: number;
  totalConversions: number;
  variants: VariantResult[];
}

/** A fresh, all-zero aggregate. */
export function emptyStats(): VariantStats {
  return { exposures: 0, conversions: 0, valueSum: 0, valueCount: 0 };
}

/**
 * Standard normal CDF Φ(x), via the complementary error function
 * (the Chebyshev fit of Numerical Recipes' `erfcc`, fractional error below
 * 1.2e-7 everywhere).
 *
 * @example
 * normalCdf(1.959964) // ≈ 0.975
 */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

function erfc(x: number): number {
  // The fit is off by 3e-8 at 0; pin the one point where exactness matters (z = 0 must give p = 1).
  if (x === 0) return 1;
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/**
 * Pooled two-proportion z-test of `conversionsB / exposuresB` against
 * `conversionsA / exposuresA`. Returns null when either side has no
 * exposures. When the pooled rate is 0 or 1 there is no variance and no
 * evidence of a difference: z = 0, p = 1.
 *
 * @example
 * twoProportionZTest(100, 1000, 130, 1000) // { z: ≈2.10, pValue: ≈0.036 }
 */
export function twoProportionZTest(
  conversionsA: number,
  exposuresA: number,
  conversionsB: number,
  exposuresB: number,
): { z: number; pValue: number } | null {
  if (exposuresA <= 0 || exposuresB <= 0) return null;
  const ca = Math.min(conversionsA, exposuresA);
  const cb = Math.min(conversionsB, exposuresB);
  const pooled = (ca + cb) / (exposuresA + exposuresB);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / exposuresA + 1 / exposuresB));
  if (!(se > 0)) return { z: 0, pValue: 1 };
  const z = (cb / exposuresB - ca / exposuresA) / se;
  const pValue = Math.min(1, Math.max(0, 2 * (1 - normalCdf(Math.abs(z)))));
  return { z, pValue };
}

/**
 * The results table for an experiment from its per-variant aggregates.
 * Variants are listed in the experiment's order; variants without events
 * show zeros.
 *
 * @example
 * computeResults('exp-1', 'control', ['control', 'b'], (v) => stats.get(v))
 */
export function computeResults(
  experiment: string,
  control: string,
  variants: readonly string[],
  statsOf: (variant: string) => VariantStats | undefined,
): ExperimentResults {
  const base = statsOf(control) ?? emptyStats();
  let totalExposures = 0;
  let totalConversions = 0;
  const rows = variants.map((variant): VariantResult => {
    const s = statsOf(variant) ?? emptyStats();
    totalExposures += s.exposures;
    totalConversions += s.conversions;
    const rate = s.exposures > 0 ? s.conversions / s.exposures : 0;
    const isControl = variant === control;
    const test = isControl ? null : twoProportionZTest(base.conversions, base.exposures, s.conversions, s.exposures);
    const baseRate = base.exposures > 0 ? base.conversions / base.exposures : 0;
    return {
      variant,
      control: isControl,
      exposures: s.exposures,
      conversions: s.conversions,
      conversionRate: rate,
      meanValue: s.valueCount > 0 ? s.valueSum / s.valueCount : null,
      uplift: isControl || baseRate === 0 || s.exposures === 0 ? null : rate / baseRate - 1,
      zScore: test?.z ?? null,
      pValue: test?.pValue ?? null,
    };
  });
  return { experiment, control, totalExposures, totalConversions, variants: rows };
}
