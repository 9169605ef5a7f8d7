/**
 * The SLO engine's public surface: the model and its wire schemas (burnwatch
 * `SLO` kind and OpenSLO v1), the SLI store, ingestion of load-engine
 * results, the evaluator, window sets and alert backtesting.
 */
export { counterSelector, defaultAlertName, indicatorSchema, mapBudgeting, nominalPeriodMs, sliceMs, sloSpecSchema, toSlo } from './spec.ts';
export type { SloSpec } from './spec.ts';
export { errorBudgetRatio } from './model.ts';
export type { AlertRule, Alerting, Budgeting, BurnWindowPair, Indicator, IndicatorKind, Severity, SliceRule, Slo, SloWindow } from './model.ts';
export { BUILTIN_WINDOW_SETS, burnRateFactor, defaultWindowSet, loadWindowSetFile, parseWindowSet, windowSet, windowSetAlerts } from './windows.ts';
export type { AlertWindow, WindowSet } from './windows.ts';
export { calendarPeriod, isTimeZone, zonedTimeToUtc } from './calendar.ts';
export { prometheusDuration } from './prom-duration.ts';
export { MINUTE_MS, SloIndex } from './sli-index.ts';
export type { MinuteBucket, SliView, Sums } from './sli-index.ts';
export {
  DEFAULT_RETENTION_MS,
  REPORT_RETENTION_MS,
  createMemoryStore,
  evaluationSpanMs,
  minuteStart,
  retentionMs,
} from './store.ts';
export type { BucketDelta, SliStore } from './store.ts';
export { openSqliteStore } from './sqlite-store.ts';
export type { SqliteStoreOptions } from './sqlite-store.ts';
export { decodeHistogram, encodeHistogram, mergeHistograms } from './latency.ts';
export { classifyCacheHeader, ingestSnapshot, recordSnapshot, scrapeDelta, sliRequirements, sumSamples, withinKey } from './ingest.ts';
export type { ScrapeSample, SliRequirements } from './ingest.ts';
export { alertWindowsMs, evaluateSlo, periodRange } from './evaluate.ts';
export type { AlertEvaluation, EvaluateOptions, PairEvaluation, SliSource, SloEvaluation, WindowEvaluation } from './evaluate.ts';
export { resolveOpenSlo } from './openslo.ts';
export type { OpenSloDocument, OpenSloProblem } from './openslo.ts';
export { parseSliCsv, replay } from './replay.ts';
export type { CsvProblem, ReplayBudget, ReplayTransition, SliRow } from './replay.ts';
