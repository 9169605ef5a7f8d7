/**
 * The configuration the demo target starts with, so the default probes
 * (`exp-{{randInt 1 50}}`, `flag-{{randInt 1 20}}`) hit real documents.
 */
import type { ExperimentInput, FlagInput } from './model.ts';

/** Experiments and flags created when the target starts. */
export interface SeedData {
  experiments: ExperimentInput[];
  /** Flags by key (the key is not part of a flag body). */
  flags: Record<string, FlagInput>;
}

const VARIANT_SETS: readonly ExperimentInput['variants'][] = [
  [
    { name: 'control', weight: 34 },
    { name: 'variant-a', weight: 33 },
    { name: 'variant-b', weight: 33 },
  ],
  [
    { name: 'control', weight: 50 },
    { name: 'treatment', weight: 50 },
  ],
  [
    { name: 'control', weight: 80 },
    { name: 'treatment', weight: 20 },
  ],
];

const ROLLOUTS = [0, 5, 10, 25, 50, 100] as const;
const COUNTRIES = ['NL', 'DE', 'FR', 'US', 'GB', 'JP', 'BR'] as const;

/**
 * `exp-1..exp-N` cycle through three variant sets (34/33/33 three-way,
 * 50/50, 80/20); `flag-1..flag-M` each target `internal-` users and a pair of
 * countries, exclude `u-blocked`, roll out to 0–100 % of everyone else, and
 * every tenth flag is switched off.
 *
 * @example
 * defaultSeed(2, 1).experiments.map((e) => e.id) // ['exp-1', 'exp-2']
 */
export function defaultSeed(experiments = 50, flags = 20): SeedData {
  const seed: SeedData = { experiments: [], flags: {} };
  for (let i = 1; i <= experiments; i++) {
    const variants = VARIANT_SETS[i % VARIANT_SETS.length]!;
    seed.experiments.push({
      id: `exp-${i}`,
      name: `Demo experiment ${i}`,
      control: 'control',
      variants: variants.map((v) => ({ ...v })),
    });
  }
  for (let i = 1; i <= flags; i++) {
    const countries = [COUNTRIES[i % COUNTRIES.length]!, COUNTRIES[(i + 3) % COUNTRIES.length]!];
    seed.flags[`flag-${i}`] = {
      description: `Demo flag ${i}`,
      enabled: i % 10 !== 0,
      rules: [
        { attribute: 'user', operator: 'startsWith', values: ['internal-'], rollout: 100 },
        { attribute: 'user', operator: 'in', values: ['u-blocked'], rollout: 0 },
        { attribute: 'country', operator: 'in', values: countries, rollout: 50 },
      ],
      rollout: ROLLOUTS[i % ROLLOUTS.length]!,
    };
  }
  return seed;
}
