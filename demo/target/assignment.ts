/**
 * Pure evaluation: which variant a user sees, whether a flag is on for a user.
 * Both are deterministic functions of the configuration and the user, so the
 * same user gets the same answer on every call, every replica and every
 * restart.
 */
import { pairHash, unitInterval } from './hash.ts';
import type { CompiledExperiment, CompiledFlag, CompiledRule } from './model.ts';

/**
 * The variant of `experiment` for `user`: the stable hash of
 * `experiment.id + ':' + user` placed on the experiment's cumulative weights.
 *
 * @example
 * assignVariant(compileExperiment(exp), 'u-42') // e.g. 'treatment', always the same for u-42
 */
export function assignVariant(experiment: CompiledExperiment, user: string): string {
  const point = unitInterval(experiment.id, user) * experiment.totalWeight;
  const cumulative = experiment.cumulative;
  const last = cumulative.length - 1;
  for (let i = 0; i < last; i++) {
    if (point < cumulative[i]!) return experiment.variantNames[i]!;
  }
  return experiment.variantNames[last]!;
}

/** Why a flag evaluated the way it did. */
export type FlagReason = 'disabled' | 'rule_match' | 'rollout';

/** The outcome of one flag evaluation. */
export interface FlagEvaluation {
  enabled: boolean;
  variation: string;
  reason: FlagReason;
  /** Index of the deciding rule when `reason` is `rule_match`. */
  ruleIndex?: number;
}

/** Reads a targeting attribute; `user` is the user id, others come from the request. */
export type AttributeLookup = (name: string) => string | undefined;

/**
 * Whether `user` falls inside the first `percentage` percent of the flag's
 * stable buckets (10,000 buckets, so 0.01 % resolution). The bucket depends
 * only on the flag key and the user, so raising a rollout from 10 % to 20 %
 * keeps everybody who already had the flag.
 */
export function inRollout(flagKey: string, user: string, percentage: number): boolean {
  if (percentage >= 100) return true;
  if (percentage <= 0) return false;
  return pairHash(flagKey, user) % 10_000 < percentage * 100;
}

function ruleMatches(rule: CompiledRule, value: string | undefined): boolean {
  // A missing attribute matches no condition, not even `notIn`: a rule never
  // targets users it knows nothing about.
  if (value === undefined) return false;
  switch (rule.operator) {
    case 'in':
      return rule.valueSet.has(value);
    case 'notIn':
      return !rule.valueSet.has(value);
    case 'startsWith':
      for (const prefix of rule.values) if (value.startsWith(prefix)) return true;
      return false;
    case 'endsWith':
      for (const suffix of rule.values) if (value.endsWith(suffix)) return true;
      return false;
  }
}

/**
 * Evaluates a flag: kill switch first, then the first matching targeting rule
 * (with its own rollout percentage), then the flag's fallthrough rollout.
 *
 * @example
 * evaluateFlag(flag, 'internal-7', () => undefined) // { enabled: true, variation: 'on', reason: 'rule_match', ruleIndex: 0 }
 */
export function evaluateFlag(flag: CompiledFlag, user: string, attribute: AttributeLookup): FlagEvaluation {
  if (!flag.enabled) return { enabled: false, variation: flag.offVariation, reason: 'disabled' };
  const rules = flag.rules;
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i]!;
    const value = rule.attribute === 'user' ? user : attribute(rule.attribute);
    if (ruleMatches(rule, value)) {
      const on = inRollout(flag.key, user, rule.rollout);
      return { enabled: on, variation: on ? flag.onVariation : flag.offVariation, reason: 'rule_match', ruleIndex: i };
    }
  }
  const on = inRollout(flag.key, user, flag.rollout);
  return { enabled: on, variation: on ? flag.onVariation : flag.offVariation, reason: 'rollout' };
}
