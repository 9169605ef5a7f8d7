/**
 * The demo target: an experimentation-platform API (assignment, flags, event
 * ingestion, analytics, CRUD) with fault injection, used as burnwatch's
 * embedded default system under test. See README.md in this folder.
 */
export { createDemoTarget, startDemoTarget } from './server.ts';
export type { DemoLogLevel, DemoLogger, DemoTarget, DemoTargetOptions } from './server.ts';
export { DEFAULT_FAULTS, FaultValidationError, LEAK_CAP_BYTES } from './faults.ts';
export type { Faults } from './faults.ts';
export { defaultSeed } from './seed.ts';
export type { SeedData } from './seed.ts';
export { DEMO_METRIC } from './metrics.ts';
export { assignVariant, evaluateFlag, inRollout } from './assignment.ts';
export type { FlagEvaluation, FlagReason } from './assignment.ts';
export { compileExperiment, compileFlag } from './model.ts';
export type { Experiment, ExperimentInput, Flag, FlagInput, FlagRule, Variant } from './model.ts';
export type { BreakerOptions } from './circuit-breaker.ts';
export type { RateLimitOptions } from './rate-limiter.ts';
