/**
 * Generators from the SLO model (pure: model in, text out). Prometheus rule
 * files today; Grafana dashboards join here.
 */
export { generateRuleFile, generateRules } from './rules.ts';
export type { RuleGroup, RuleWarning, RulesOptions } from './rules.ts';
export { goFixed, goFloat, labelFilter } from './go-format.ts';
export { sliPromql } from './promql.ts';
export type { SliPromql } from './promql.ts';
