/**
 * Prometheus rule files from the SLO model, Sloth's layout and names
 * (slok/sloth `sli_rules_v1`, `metadata_rules_v1`, `alert_rules_v1`), so
 * dashboards and habits built on Sloth's series work unchanged:
 *
 * - `sloth-slo-sli-recordings-<id>`: `slo:sli_error:ratio_rate<W>` for every
 *   alert window, and the SLO period as Sloth's optimised rule (mean of the
 *   shortest window's ratio over the period);
 * - `sloth-slo-meta-recordings-<id>`: `slo:objective:ratio`,
 *   `slo:error_budget:ratio`, `slo:time_period:days`,
 *   `slo:current_burn_rate:ratio`, `slo:period_burn_rate:ratio`,
 *   `slo:period_error_budget_remaining:ratio`, `sloth_slo_info`;
 * - `sloth-slo-alerts-<id>`: one alert per severity whose expression is
 *   Sloth's multiwindow, multi-burn-rate template
 *   (`max(short > factor × budget) without (sloth_window) and max(long > …)`,
 *   pairs joined by `or`), plus a no-data alert when `noDataFor` is set.
 *
 * Labels `sloth_id`, `sloth_service`, `sloth_slo`, `sloth_window`; numbers
 * printed the way Go prints them. Pure: model in, YAML out.
 */
import { Document } from 'yaml';
import { GENERATED_HEADER, LABEL, SLOTH, sliErrorRatioRule } from '../common/index.ts';
import { alertWindowsMs, errorBudgetRatio, prometheusDuration } from '../slos/index.ts';
import type { AlertRule, Slo } from '../slos/index.ts';
import { goFixed, goFloat, labelFilter } from './go-format.ts';
import { sliPromql } from './promql.ts';

export interface RuleWarning {
  slo: string;
  message: string;
}

export interface RulesOptions {
  /** `sloth_version` label of `sloth_slo_info` (burnwatch's version). */
  version?: string;
  /** `sloth_mode` label; default `burnwatch-gen-prom`. */
  mode?: string;
}

interface RecordingRule {
  record: string;
  expr: string;
  labels: Record<string, string>;
}

interface AlertingRule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface RuleGroup {
  name: string;
  rules: (RecordingRule | AlertingRule)[];
}

function sorted(labels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.keys(labels).sort().map((k) => [k, labels[k]!]));
}

function idLabels(slo: Slo): Record<string, string> {
  return { [SLOTH.label.id]: slo.id, [SLOTH.label.service]: slo.service, [SLOTH.label.slo]: slo.name };
}

/** Sloth's multiwindow, multi-burn-rate alert expression for one alert. */
function alertExpr(alert: AlertRule, filter: string, budget: string): string {
  const cmp = (op: 'gt' | 'gte'): string => (op === 'gte' ? '>=' : '>');
  const w = SLOTH.label.window;
  return `${alert.pairs
    .map(
      (p) =>
        `(\n` +
        `    max(${sliErrorRatioRule(prometheusDuration(p.shortMs))}${filter} ${cmp(p.op)} (${goFloat(p.factor)} * ${budget})) without (${w})\n` +
        `    and\n` +
        `    max(${sliErrorRatioRule(prometheusDuration(p.longMs))}${filter} ${cmp(p.op)} (${goFloat(p.factor)} * ${budget})) without (${w})\n` +
        `)`,
    )
    .join('\nor\n')}\n`;
}

function sloGroups(slo: Slo, options: Required<RulesOptions>, warnings: RuleWarning[]): RuleGroup[] {
  const q = sliPromql(slo, prometheusDuration);
  for (const message of q.warnings) warnings.push({ slo: slo.name, message });
  if ('skip' in q) return [];
  if (slo.window.kind === 'calendar') {
    warnings.push({
      slo: slo.name,
      message: `Prometheus rules cannot follow a calendar ${slo.window.unit}; the period rules use a rolling ${prometheusDuration(slo.periodMs)} window (the service evaluates the calendar window exactly)`,
    });
  }
  const ids = idLabels(slo);
  const filter = labelFilter(ids);
  const base = sorted({ ...ids, ...slo.labels });
  const period = slo.periodMs;
  const windows = alertWindowsMs(slo);
  // An SLO without burn-rate alerts (an OpenSLO policy alerting on no data only) still gets its period
  // SLI, burn rate and budget: from a 5m series, as Sloth's shortest (a whole slice at least).
  if (windows.length === 0) windows.push(Math.min(period, Math.max(5 * 60_000, slo.budgeting.method === 'occurrences' ? 0 : slo.budgeting.sliceMs)));
  const periodText = prometheusDuration(period);
  const shortest = windows[0]!;

  const sli: RecordingRule[] = windows
    .filter((ms) => ms !== period)
    .map((ms) => {
      const w = prometheusDuration(ms);
      return { record: sliErrorRatioRule(w), expr: q.errorRatio(w), labels: sorted({ ...ids, [SLOTH.label.window]: w, ...slo.labels }) };
    });
  const shortRule = sliErrorRatioRule(prometheusDuration(shortest));
  sli.push({
    record: sliErrorRatioRule(periodText),
    expr:
      shortest === period
        ? q.errorRatio(periodText)
        : `sum_over_time(${shortRule}${filter}[${periodText}])\n/ ignoring (${SLOTH.label.window})\ncount_over_time(${shortRule}${filter}[${periodText}])\n`,
    labels: sorted({ ...ids, [SLOTH.label.window]: periodText, ...slo.labels }),
  });

  const objective = goFloat(slo.objectivePercent / 100);
  const burn = (w: string): string =>
    `${sliErrorRatioRule(w)}${filter}\n/ on(${SLOTH.label.id}, ${SLOTH.label.slo}, ${SLOTH.label.service}) group_left\n${SLOTH.errorBudgetRatio}${filter}\n`;
  const meta: RecordingRule[] = [
    { record: SLOTH.objectiveRatio, expr: `vector(${objective})`, labels: base },
    { record: SLOTH.errorBudgetRatio, expr: `vector(1-${objective})`, labels: base },
    { record: SLOTH.timePeriodDays, expr: `vector(${goFloat(period / 3_600_000 / 24)})`, labels: base },
    { record: SLOTH.currentBurnRateRatio, expr: burn(prometheusDuration(shortest)), labels: base },
    { record: SLOTH.periodBurnRateRatio, expr: burn(periodText), labels: base },
    { record: SLOTH.periodErrorBudgetRemainingRatio, expr: `1 - ${SLOTH.periodBurnRateRatio}${filter}`, labels: base },
    {
      record: SLOTH.infoMetric,
      expr: 'vector(1)',
      labels: sorted({
        ...base,
        [SLOTH.label.version]: options.version,
        [SLOTH.label.mode]: options.mode,
        [SLOTH.label.spec]: slo.spec,
        [SLOTH.label.objective]: goFixed(slo.objectivePercent),
      }),
    },
  ];

  const budget = goFloat(errorBudgetRatio(slo));
  const title = (severity: string): string =>
    `(${severity}) {{$labels.${SLOTH.label.service}}} {{$labels.${SLOTH.label.slo}}} SLO error budget burn rate is too fast.`;
  const alerts: AlertingRule[] = slo.alerting.alerts.map((a) => {
    return {
      alert: a.alertName,
      expr: alertExpr(a, filter, budget),
      ...(a.forMs > 0 ? { for: prometheusDuration(a.forMs) } : {}),
      labels: sorted({ [SLOTH.label.severity]: a.severity, [LABEL.severity]: a.severity, [LABEL.slo]: slo.name, ...a.labels }),
      annotations: {
        summary: `{{$labels.${SLOTH.label.service}}} {{$labels.${SLOTH.label.slo}}} SLO error budget burn rate is over expected.`,
        title: title(a.severity),
      },
    };
  });
  if (slo.alerting.noDataForMs > 0) {
    const d = prometheusDuration(slo.alerting.noDataForMs);
    alerts.push({
      alert: slo.alerting.noDataAlertName,
      expr: `(${q.totalIncrease(d)} or vector(0)) == 0\n`,
      labels: sorted({ ...ids, [SLOTH.label.severity]: 'ticket', [LABEL.severity]: 'ticket', [LABEL.slo]: slo.name }),
      annotations: {
        summary: `{{$labels.${SLOTH.label.service}}} {{$labels.${SLOTH.label.slo}}} SLO has had no events for ${d}.`,
        title: `(ticket) {{$labels.${SLOTH.label.service}}} {{$labels.${SLOTH.label.slo}}} SLO has no data.`,
      },
    });
  }

  const groups: RuleGroup[] = [
    { name: `sloth-slo-sli-recordings-${slo.id}`, rules: sli },
    { name: `sloth-slo-meta-recordings-${slo.id}`, rules: meta },
  ];
  if (alerts.length > 0) groups.push({ name: `sloth-slo-alerts-${slo.id}`, rules: alerts });
  return groups;
}

/**
 * The rule file for a set of SLOs, with the warnings about what the probe
 * series cannot express exactly.
 *
 * @example
 * const { yaml, warnings } = generateRuleFile([...config.slos.values()], { version: '0.1.0' });
 */
export function generateRuleFile(slos: readonly Slo[], options: RulesOptions = {}): { yaml: string; warnings: RuleWarning[]; groups: RuleGroup[] } {
  const opts: Required<RulesOptions> = { version: options.version ?? 'dev', mode: options.mode ?? 'burnwatch-gen-prom' };
  const warnings: RuleWarning[] = [];
  const groups = slos.flatMap((s) => sloGroups(s, opts, warnings));
  const doc = new Document({ groups }, { aliasDuplicateObjects: false });
  const notes = warnings.map((w) => ` ${w.slo}: ${w.message}`);
  doc.commentBefore = [` ${GENERATED_HEADER}`, ` Prometheus recording and alerting rules for ${slos.length} SLO${slos.length === 1 ? '' : 's'} (Sloth-compatible names).`, ...notes].join('\n');
  const yaml = doc.toString({ lineWidth: 0, indentSeq: false });
  return { yaml, warnings, groups };
}

/**
 * The Prometheus rule file (YAML) for a set of SLOs; the first line is a
 * comment with `GENERATED_HEADER`.
 *
 * @example
 * writeFileSync('slo-rules.yml', generateRules([...config.slos.values()]));
 */
export function generateRules(slos: readonly Slo[], options: RulesOptions = {}): string {
  return generateRuleFile(slos, options).yaml;
}
