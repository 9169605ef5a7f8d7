export { durationProblem, formatDuration, parseDuration } from './duration.ts';
export { BurnwatchError, errorMessage } from './errors.ts';
export { durationMs, labels, objectivePercent, percentRatio, positiveDurationMs, resourceName } from './schema.ts';
export { siblingModule, startWorker } from './worker.ts';
export { editDistance, suggest } from './suggest.ts';
export { MIN_SECRET_LENGTH, redact, redactData, redactJson } from './redact.ts';
export {
  EXEMPLAR_LABEL,
  GENERATED_HEADER,
  LABEL,
  LATENCY_BUCKETS_SECONDS,
  METRIC,
  OUTCOMES,
  SLOTH,
  sliErrorRatioRule,
  totalOutcomes,
} from './conventions.ts';
export type { Outcome } from './conventions.ts';
