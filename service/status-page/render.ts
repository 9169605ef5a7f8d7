/**
 * The status page at `/` of `burnwatch serve`: one server-rendered HTML
 * document, built for an on-call engineer reading it at 3 a.m. What is on fire
 * comes first (overall state, firing and pending alerts), then every SLO with
 * its budget and burn rates, then recent probe runs and the probe schedule.
 *
 * Pure: a `StatusView` in, a string out. No framework, no scripts, no external
 * assets; the page reloads itself with `<meta http-equiv="refresh">`, so it
 * works with JavaScript off. Every value from the view goes through the `html`
 * template, which escapes it. A number the view does not have (null) reads
 * "no data", never 0 or NaN. Colours always come with a text label.
 */
import type { AlertEvaluation, PairEvaluation, Severity, WindowEvaluation } from '../../slos/index.ts';
import {
  budgetBarValue,
  formatBudget,
  formatBurnRate,
  formatClock,
  formatCount,
  formatDuration,
  formatErrorPercent,
  formatLatency,
  formatObjective,
  formatPercentFloor,
  formatRelative,
  formatWindowLabel,
  parseTime,
  sliDecimals,
} from './format.ts';
import { SafeHtml, html } from './html.ts';
import type { HtmlValue } from './html.ts';
import { STYLES } from './styles.ts';
import type { StatusProbe, StatusRun, StatusSlo, StatusView } from './view.ts';

type Tone = 'ok' | 'warn' | 'crit' | 'info' | 'none';

/** An alert as the page lists it: the alert state machine's view, with the evaluator's window pairs beside it. */
interface AlertRow {
  slo: string;
  name: string;
  severity: Severity;
  state: 'firing' | 'pending';
  since: string | null;
  burnRate: number | null;
  windows: string[];
  pairs: PairEvaluation[];
}

/** What the renderer derives once from the view. */
interface Model {
  view: StatusView;
  /** `generatedAt` in ms; null when unparsable (relative times are then left out). */
  now: number | null;
  alerts: AlertRow[];
  /** SLOs whose no-data condition is alerting. */
  silent: StatusSlo[];
  /** Firing/pending, page first, most urgent first. */
  slos: StatusSlo[];
}

const NO_DATA = html`<span class="nodata">no data</span>`;

/** A formatted value, or "no data" for a missing one. */
function orNoData(text: string | null): HtmlValue {
  return text === null ? NO_DATA : text;
}

function badge(tone: Tone, text: string): SafeHtml {
  return html`<span class="badge ${tone}">${text}</span>`;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

// ---------------------------------------------------------------- deriving

function alertKey(slo: string, name: string): string {
  return `${slo}\u0000${name}`;
}

/**
 * The alerts to list: the view's (the alert state machine's, which knows when
 * an alert started), plus any the evaluator has firing or pending that the view
 * lacks, so the header can never say "all within budget" beside a firing SLO.
 */
function alertRows(view: StatusView): AlertRow[] {
  const evaluations = new Map<string, AlertEvaluation>();
  for (const s of view.slos) for (const a of s.evaluation.alerts) evaluations.set(alertKey(s.name, a.name), a);
  const rows: AlertRow[] = [];
  const seen = new Set<string>();
  for (const a of view.alerts) {
    const key = alertKey(a.slo, a.name);
    if (seen.has(key)) continue;
    seen.add(key);
    rows.push({ ...a, windows: [...a.windows], pairs: evaluations.get(key)?.pairs ?? [] });
  }
  for (const s of view.slos) {
    for (const a of s.evaluation.alerts) {
      const key = alertKey(s.name, a.name);
      if (seen.has(key) || !(a.firing || a.pending)) continue;
      seen.add(key);
      rows.push({
        slo: s.name,
        name: a.name,
        severity: a.severity,
        state: a.firing ? 'firing' : 'pending',
        since: null,
        burnRate: a.burnRate,
        windows: [...a.windows],
        pairs: a.pairs,
      });
    }
  }
  return rows.sort(compareAlerts);
}

function alertUrgency(a: { state: 'firing' | 'pending'; severity: Severity }): number {
  return (a.state === 'firing' ? 0 : 2) + (a.severity === 'page' ? 0 : 1);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareAlerts(a: AlertRow, b: AlertRow): number {
  return (
    alertUrgency(a) - alertUrgency(b) ||
    (b.burnRate ?? -1) - (a.burnRate ?? -1) ||
    compareText(a.slo, b.slo) ||
    compareText(a.name, b.name)
  );
}

/** 0 page firing, 1 ticket firing, 2 pending, 3 silent or out of budget, 4 fine. */
function sloRank(s: StatusSlo, alerts: AlertRow[]): number {
  const mine = alerts.filter((a) => a.slo === s.name);
  if (mine.some((a) => a.state === 'firing' && a.severity === 'page')) return 0;
  if (mine.some((a) => a.state === 'firing')) return 1;
  if (mine.length > 0) return 2;
  const remaining = s.evaluation.budget.remaining;
  if (s.evaluation.noData.alerting || (remaining !== null && remaining <= 0)) return 3;
  return 4;
}

/** Most urgent first; then the least budget left (no data last); then by name. Stable for equal SLOs. */
function sortSlos(slos: StatusSlo[], alerts: AlertRow[]): StatusSlo[] {
  const keyed = slos.map((s, i) => ({ s, i, rank: sloRank(s, alerts), remaining: s.evaluation.budget.remaining }));
  keyed.sort(
    (a, b) =>
      a.rank - b.rank ||
      (a.remaining ?? Infinity) - (b.remaining ?? Infinity) ||
      compareText(a.s.name, b.s.name) ||
      a.i - b.i,
  );
  return keyed.map((k) => k.s);
}

function derive(view: StatusView): Model {
  const alerts = alertRows(view);
  return {
    view,
    now: parseTime(view.generatedAt),
    alerts,
    silent: view.slos.filter((s) => s.evaluation.noData.alerting),
    slos: sortSlos(view.slos, alerts),
  };
}

// ---------------------------------------------------------------- pieces

function timeOf(iso: string | null, now: number | null, opts: { relative?: boolean; seconds?: boolean } = {}): HtmlValue {
  if (iso === null) return html`<span class="sub inline">unknown</span>`;
  const t = parseTime(iso);
  if (t === null) return iso;
  const relative = opts.relative !== false && now !== null;
  return html`<time datetime="${new Date(t).toISOString()}">${formatClock(t, now ?? Number.NaN, opts.seconds)}</time>${
    relative ? html`<span class="sub">${formatRelative(t, now)}</span>` : ''
  }`;
}

function budgetTone(remaining: number): Tone {
  if (remaining <= 0) return 'crit';
  if (remaining < 0.25) return 'warn';
  return 'ok';
}

function budgetCell(s: StatusSlo): SafeHtml {
  const e = s.evaluation;
  const b = e.budget;
  const pct = formatBudget(b.remaining);
  const value = budgetBarValue(b.remaining);
  if (b.remaining === null || pct === null || value === null) {
    return html`<td>${NO_DATA}<span class="sub">no events in the SLO window</span></td>`;
  }
  const tone = budgetTone(b.remaining);
  const text = b.remaining <= 0 ? `error budget exhausted (${pct} remaining)` : `${pct} of error budget remaining`;
  let outlook: HtmlValue;
  if (b.remaining <= 0 || b.timeToExhaustionMs === 0) outlook = html`<span class="t-crit">exhausted</span>`;
  else if (b.timeToExhaustionMs !== null) {
    const lasts = b.timeToExhaustionMs >= e.period.lengthMs;
    outlook = lasts
      ? `lasts over ${formatWindowLabel(e.period.window)} at ${formatBurnRate(b.currentBurnRate) ?? '?'}`
      : html`<span class="${b.timeToExhaustionMs < 24 * 3600_000 ? 't-crit' : ''}">exhausts in ${formatDuration(b.timeToExhaustionMs)}</span>`;
  } else if (b.currentBurnRate === 0) outlook = `not burning (${b.currentWindow})`;
  else outlook = html`current burn rate: ${NO_DATA}`;
  return html`<td>
<div class="budget"><div class="bar" role="progressbar" aria-label="Error budget remaining for ${s.name}" aria-valuemin="0" aria-valuemax="100" aria-valuenow="${value}" aria-valuetext="${text}"><div class="${tone}" style="width:${value}%"></div></div><span class="pct ${b.remaining <= 0 ? 't-crit' : ''}">${pct}</span></div>
<span class="sub">${outlook}</span></td>`;
}

function sliCell(s: StatusSlo): SafeHtml {
  const e = s.evaluation;
  const text = formatPercentFloor(e.sli.sli, sliDecimals(e.objectivePercent));
  if (e.sli.sli === null || text === null) return html`<td class="num">${NO_DATA}</td>`;
  const below = e.sli.sli < e.objective;
  const volume = e.budgeting === 'occurrences' ? `${formatCount(e.sli.events) ?? '?'} events` : `${formatCount(e.sli.total) ?? '?'} slices`;
  return html`<td class="num"><span class="${below ? 't-crit' : ''}">${text}</span><span class="sub">${below ? 'below objective' : volume}</span></td>`;
}

/** The smallest factor of a severity's pairs that look at a window: above it, that window is burning too fast. */
function factorFor(alerts: AlertEvaluation[], window: string, severity: Severity): number | null {
  let min: number | null = null;
  for (const a of alerts) {
    if (a.severity !== severity) continue;
    for (const p of a.pairs) {
      if (p.shortWindow !== window && p.longWindow !== window) continue;
      if (min === null || p.factor < min) min = p.factor;
    }
  }
  return min;
}

function burnCell(s: StatusSlo, window: string): SafeHtml {
  const w: WindowEvaluation | undefined = s.evaluation.windows.find((x) => x.window === window);
  if (!w) return html`<td class="num"><span class="sub inline" title="not an alert window of this SLO">n/a</span></td>`;
  const text = formatBurnRate(w.burnRate);
  if (w.burnRate === null || text === null) return html`<td class="num">${NO_DATA}</td>`;
  const page = factorFor(s.evaluation.alerts, window, 'page');
  const ticket = factorFor(s.evaluation.alerts, window, 'ticket');
  let cls = '';
  if (page !== null && w.burnRate > page) cls = 't-crit';
  else if (ticket !== null && w.burnRate > ticket) cls = 't-warn';
  else if (w.burnRate > 1) cls = 't-hot';
  return html`<td class="num"><span class="${cls}">${text}</span></td>`;
}

function alertBadges(s: StatusSlo, alerts: AlertRow[]): SafeHtml {
  const mine = new Map(alerts.filter((a) => a.slo === s.name).map((a) => [a.name, a]));
  const names = [...new Set([...s.evaluation.alerts.map((a) => a.name), ...mine.keys()])];
  const out: SafeHtml[] = [];
  for (const name of names) {
    const row = mine.get(name);
    const ev = s.evaluation.alerts.find((a) => a.name === name);
    const severity = row?.severity ?? ev?.severity ?? 'ticket';
    const label = name === severity ? name : `${name} (${severity})`;
    if (row?.state === 'firing') out.push(badge(severity === 'page' ? 'crit' : 'warn', `${label}: firing`));
    else if (row?.state === 'pending') out.push(badge('warn', `${label}: pending`));
    else if (ev && ev.pairs.length > 0 && ev.pairs.every((p) => p.shortBurnRate === null || p.longBurnRate === null)) {
      out.push(badge('none', `${label}: no data`));
    } else out.push(badge('ok', `${label}: ok`));
  }
  const nd = s.evaluation.noData;
  if (nd.alerting) out.push(badge('warn', `no data for ${formatDuration(nd.silentForMs) ?? '?'}`));
  return html`${out}`;
}

function sloRow(s: StatusSlo, windows: string[], m: Model): SafeHtml {
  const e = s.evaluation;
  const rank = sloRank(s, m.alerts);
  const rowClass = rank === 0 ? 'row-crit' : rank <= 3 ? 'row-warn' : '';
  const allSilent = e.windows.length > 0 && e.windows.every((w) => w.burnRate === null);
  let burns: HtmlValue;
  if (windows.length === 0) burns = '';
  else if (allSilent) {
    const nd = e.noData;
    const why =
      nd.lastEventAt === null
        ? nd.silentForMs === null
          ? 'never had events'
          : `never had events, expected for ${formatDuration(nd.silentForMs) ?? '?'}`
        : `last event ${formatRelative(parseTime(nd.lastEventAt) ?? Number.NaN, m.now ?? Number.NaN)}`;
    burns = html`<td colspan="${windows.length}" class="center">${NO_DATA} <span class="sub inline">in any alert window: ${why}</span></td>`;
  } else burns = windows.map((w) => burnCell(s, w));
  return html`<tr class="${rowClass}" id="slo-${s.name}">
<th scope="row" class="slo"><span class="name">${s.name}</span>${s.description ? html`<span class="sub desc">${s.description}</span>` : ''}<span class="sub">${s.service} · probe ${s.probe}</span></th>
<td class="indicator">${s.indicator}</td>
<td class="num">${formatObjective(e.objectivePercent)}<span class="sub">${formatWindowLabel(e.period.window)}${e.budgeting === 'occurrences' ? '' : ', slices'}</span></td>
${sliCell(s)}
${budgetCell(s)}
${burns}
<td>${alertBadges(s, m.alerts)}</td>
</tr>`;
}

/** Every alert window of every SLO, shortest first. */
function windowColumns(slos: StatusSlo[]): string[] {
  const byLabel = new Map<string, number>();
  for (const s of slos) for (const w of s.evaluation.windows) if (!byLabel.has(w.window)) byLabel.set(w.window, w.durationMs);
  return [...byLabel.entries()].sort((a, b) => a[1] - b[1] || compareText(a[0], b[0])).map(([label]) => label);
}

function sloSection(m: Model): SafeHtml {
  if (m.slos.length === 0) {
    return html`<section aria-labelledby="slos-h"><h2 id="slos-h">SLOs</h2><div class="scroll"><p class="empty">No SLOs are configured.</p></div></section>`;
  }
  const windows = windowColumns(m.slos);
  return html`<section aria-labelledby="slos-h">
<h2 id="slos-h">SLOs <span class="sub inline">${plural(m.slos.length, 'objective', 'objectives')}, most urgent first</span></h2>
<div class="scroll"><table>
<thead>
<tr><th scope="col" rowspan="2">SLO</th><th scope="col" rowspan="2">Indicator</th><th scope="col" rowspan="2" class="num">Objective</th><th scope="col" rowspan="2" class="num">SLI (SLO window)</th><th scope="col" rowspan="2">Error budget remaining</th>${
    windows.length > 0 ? html`<th scope="colgroup" colspan="${windows.length}" class="center">Burn rate by alert window</th>` : ''
  }<th scope="col" rowspan="2">Alerts</th></tr>
<tr>${windows.map((w) => html`<th scope="col" class="num">${w}</th>`)}</tr>
</thead>
<tbody>
${m.slos.map((s) => sloRow(s, windows, m))}
</tbody>
</table></div>
<p class="legend">Burn rate 1x spends exactly the whole error budget over the SLO window. A rate is red above the page threshold for its window and amber above the ticket threshold; an alert fires when both windows of one of its pairs are above its threshold.</p>
</section>`;
}

function pairLine(p: PairEvaluation): SafeHtml {
  const s = formatBurnRate(p.shortBurnRate);
  const l = formatBurnRate(p.longBurnRate);
  return html`<li class="${p.holds ? 'holds' : ''}">${p.shortWindow}/${p.longWindow}: ${orNoData(s)} and ${orNoData(l)} vs ${formatBurnRate(p.factor) ?? ''} ${
    p.holds ? html`<span class="t-crit">holds</span>` : html`<span class="sub inline">below</span>`
  }</li>`;
}

function alertsSection(m: Model): SafeHtml {
  const rows: SafeHtml[] = m.alerts.map((a) => {
    const tone: Tone = a.state === 'firing' && a.severity === 'page' ? 'crit' : 'warn';
    const pairs = a.pairs.length > 0 ? html`<ul class="pairs">${a.pairs.map(pairLine)}</ul>` : a.windows.length > 0 ? a.windows.join(', ') : NO_DATA;
    return html`<tr class="${tone === 'crit' ? 'row-crit' : 'row-warn'}">
<td>${badge(tone, a.state)}</td>
<td>${a.severity}</td>
<th scope="row"><a href="#slo-${a.slo}" class="name">${a.slo}</a>${a.name === a.severity ? '' : html`<span class="sub">alert ${a.name}</span>`}</th>
<td class="num">${orNoData(formatBurnRate(a.burnRate))}</td>
<td>${pairs}</td>
<td class="nowrap">${a.state === 'pending' && a.since === null ? html`<span class="sub inline">not yet firing</span>` : timeOf(a.since, m.now)}</td>
</tr>`;
  });
  for (const s of m.silent) {
    const nd = s.evaluation.noData;
    rows.push(html`<tr class="row-warn">
<td>${badge('warn', 'no data')}</td>
<td><span class="sub inline">no-data</span></td>
<th scope="row"><a href="#slo-${s.name}" class="name">${s.name}</a><span class="sub">probe ${s.probe}</span></th>
<td class="num">${NO_DATA}</td>
<td>silent for ${formatDuration(nd.silentForMs) ?? '?'} (alerts after ${formatDuration(nd.thresholdMs) ?? '?'})</td>
<td class="nowrap">${nd.lastEventAt === null ? html`<span class="sub inline">never had events</span>` : html`last event ${timeOf(nd.lastEventAt, m.now)}`}</td>
</tr>`);
  }
  const body =
    rows.length === 0
      ? html`<p class="empty">No alerts firing or pending.</p>`
      : html`<table>
<thead><tr><th scope="col">State</th><th scope="col">Severity</th><th scope="col">SLO</th><th scope="col" class="num">Burn rate</th><th scope="col">Window pairs (short and long burn rate vs threshold)</th><th scope="col">Since</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>`;
  return html`<section aria-labelledby="alerts-h"><h2 id="alerts-h">Alerts <span class="sub inline">firing and pending</span></h2><div class="scroll">${body}</div></section>`;
}

const RUN_TONE: Record<StatusRun['status'], Tone> = {
  running: 'info',
  passed: 'ok',
  failed: 'crit',
  aborted: 'warn',
  error: 'crit',
  interrupted: 'warn',
};

function runDuration(r: StatusRun, now: number | null): HtmlValue {
  const start = parseTime(r.startedAt);
  const end = parseTime(r.endedAt);
  if (start !== null && end !== null) return formatDuration(end - start) ?? NO_DATA;
  if (r.status === 'running' && start !== null && now !== null) return html`${formatDuration(now - start)}<span class="sub">so far</span>`;
  return html`<span class="sub inline">unknown</span>`;
}

function thresholdsCell(r: StatusRun): SafeHtml {
  const total = r.thresholdsPassed + r.thresholdsFailed;
  if (total === 0) return html`<span class="sub inline">${r.status === 'running' ? 'pending' : 'none'}</span>`;
  if (r.thresholdsFailed === 0) return html`<span class="t-ok">${r.thresholdsPassed} passed</span>`;
  return html`${r.thresholdsPassed} passed, <span class="t-crit">${r.thresholdsFailed} failed</span>`;
}

function runsSection(m: Model): SafeHtml {
  const runs = m.view.runs;
  const body =
    runs.length === 0
      ? html`<p class="empty">No runs yet.</p>`
      : html`<table>
<thead><tr><th scope="col">Probe</th><th scope="col">Status</th><th scope="col">Started</th><th scope="col" class="num">Duration</th><th scope="col" class="num">Requests</th><th scope="col" class="num">Errors</th><th scope="col" class="num">p95</th><th scope="col">Thresholds</th><th scope="col">Stop reason</th></tr></thead>
<tbody>
${runs.map(
  (r) => html`<tr>
<th scope="row"><span class="name">${r.probe}</span><span class="sub"><a href="api/runs/${encodeURIComponent(r.id)}" class="mono">${r.id}</a></span></th>
<td>${badge(RUN_TONE[r.status] ?? 'none', r.status)}</td>
<td class="nowrap">${timeOf(r.startedAt, m.now)}</td>
<td class="num">${runDuration(r, m.now)}</td>
<td class="num">${orNoData(formatCount(r.requests))}</td>
<td class="num"><span class="${r.errorRatio !== null && r.errorRatio >= 0.01 ? 't-crit' : ''}">${orNoData(formatErrorPercent(r.errorRatio))}</span></td>
<td class="num">${orNoData(formatLatency(r.p95Ms))}</td>
<td class="nowrap">${thresholdsCell(r)}</td>
<td>${r.stopReason ?? html`<span class="sub inline">none</span>`}</td>
</tr>`,
)}
</tbody>
</table>`;
  return html`<section aria-labelledby="runs-h"><h2 id="runs-h">Recent runs <span class="sub inline">latest first</span></h2><div class="scroll">${body}</div></section>`;
}

function probesSection(m: Model): SafeHtml {
  const probes = [...m.view.probes].sort((a, b) => compareText(a.name, b.name));
  const lastRun = new Map<string, StatusRun>();
  for (const r of m.view.runs) if (!lastRun.has(r.probe) && r.status !== 'running') lastRun.set(r.probe, r);
  const row = (p: StatusProbe): SafeHtml => {
    const last = lastRun.get(p.name);
    return html`<tr>
<th scope="row"><span class="name">${p.name}</span></th>
<td>${p.schedule === null ? html`<span class="sub inline">on demand</span>` : html`<code>${p.schedule}</code>`}</td>
<td class="nowrap">${p.nextRunAt === null ? html`<span class="sub inline">${p.schedule === null ? 'on demand' : 'not scheduled'}</span>` : timeOf(p.nextRunAt, m.now)}</td>
<td>${p.running ? badge('info', 'running') : html`<span class="sub inline">idle</span>`}</td>
<td class="nowrap">${last ? html`${badge(RUN_TONE[last.status] ?? 'none', last.status)} ${timeOf(last.startedAt, m.now, { relative: false })}` : html`<span class="sub inline">none yet</span>`}</td>
<td class="num">${p.skippedRuns > 0 ? html`<span class="t-warn">${p.skippedRuns} skipped</span><span class="sub">previous run still going</span>` : '0'}</td>
</tr>`;
  };
  const body =
    probes.length === 0
      ? html`<p class="empty">No probes are configured.</p>`
      : html`<table>
<thead><tr><th scope="col">Probe</th><th scope="col">Schedule (cron)</th><th scope="col">Next run</th><th scope="col">State</th><th scope="col">Last finished run</th><th scope="col" class="num">Skipped runs</th></tr></thead>
<tbody>
${probes.map(row)}
</tbody>
</table>`;
  return html`<section aria-labelledby="probes-h"><h2 id="probes-h">Probes</h2><div class="scroll">${body}</div></section>`;
}

interface Overall {
  tone: Tone;
  label: string;
  headline: string;
  detail: string[];
}

function overall(m: Model): Overall {
  const firing = m.alerts.filter((a) => a.state === 'firing');
  const pages = firing.filter((a) => a.severity === 'page');
  const pending = m.alerts.filter((a) => a.state === 'pending');
  const exhausted = m.view.slos.filter((s) => s.evaluation.budget.remaining !== null && s.evaluation.budget.remaining <= 0);
  const parts: Array<{ key: string; text: string }> = [];
  if (firing.length > 0) parts.push({ key: 'firing', text: `${plural(firing.length, 'alert', 'alerts')} firing` });
  if (pending.length > 0) parts.push({ key: 'pending', text: `${plural(pending.length, 'alert', 'alerts')} pending` });
  if (m.silent.length > 0) parts.push({ key: 'silent', text: `${plural(m.silent.length, 'SLO', 'SLOs')} without data` });
  if (exhausted.length > 0) parts.push({ key: 'exhausted', text: `${plural(exhausted.length, 'SLO', 'SLOs')} out of error budget` });

  if (m.view.slos.length === 0) return { tone: 'none', label: 'NO SLOS', headline: 'No SLOs configured', detail: [] };
  const first = parts[0];
  if (!first) return { tone: 'ok', label: 'OK', headline: 'All SLOs within budget', detail: [] };
  const rest = parts.slice(1).map((p) => p.text);
  if (pages.length > 0) {
    const lead = pages[0] as AlertRow;
    const burn = formatBurnRate(lead.burnRate);
    const what = `${lead.slo} ${lead.name}${burn === null ? '' : ` at ${burn}`}${lead.windows.length > 0 ? ` over ${lead.windows.join(', ')}` : ''}`;
    return { tone: 'crit', label: 'PAGING', headline: first.text, detail: [what, ...rest] };
  }
  return { tone: 'warn', label: first.key === 'firing' ? 'TICKET' : 'WARNING', headline: first.text, detail: rest };
}

/** Whole seconds between reloads; 0 = never (also for nonsense such as NaN or under a second). */
function refreshInterval(seconds: number): number {
  return Number.isFinite(seconds) && seconds >= 1 ? Math.floor(seconds) : 0;
}

function htmlDocument(title: string, refresh: number, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
${refresh > 0 ? html`<meta http-equiv="refresh" content="${refresh}">` : ''}
<title>${title}</title>
<link rel="icon" href="data:,">
<style>${new SafeHtml(STYLES)}</style>
</head>
<body>
${body}
</body>
</html>
`.value;
}

/**
 * Renders the status page for a view: a complete HTML document.
 *
 * @example
 * res.type('html').send(renderStatusPage(view));
 */
export function renderStatusPage(view: StatusView): string {
  const m = derive(view);
  const o = overall(m);
  const refresh = refreshInterval(view.refreshSeconds);
  const generated = parseTime(view.generatedAt);
  const counts: Array<[string, number]> = [
    ['SLOs', view.slos.length],
    ['firing', m.alerts.filter((a) => a.state === 'firing').length],
    ['pending', m.alerts.filter((a) => a.state === 'pending').length],
    ['no data', m.silent.length],
    ['runs', view.runs.length],
  ];
  const title = o.tone === 'ok' ? 'OK · burnwatch status' : `${o.label}: ${o.headline} · burnwatch status`;
  const body = html`<header class="masthead">
<h1 class="brand">burnwatch <span>status</span></h1>
<p class="meta">Generated ${
    generated === null ? view.generatedAt : html`<time datetime="${new Date(generated).toISOString()}">${new Date(generated).toISOString().slice(0, 10)} ${formatClock(generated, generated, true)}</time>`
  } · ${refresh > 0 ? `refreshes every ${refresh} s` : 'does not refresh'} · v${view.version}</p>
</header>
<section class="state ${o.tone}" aria-label="Overall state">
<span class="label">${o.label}</span>
<p class="headline">${o.headline}</p>
${o.detail.length > 0 ? html`<span class="detail">${o.detail.join(' · ')}</span>` : ''}
<span class="counts">${counts.map(([k, n]) => html`<span><b>${n}</b> ${k}</span>`)}</span>
</section>
<main>
${alertsSection(m)}
${sloSection(m)}
${runsSection(m)}
${probesSection(m)}
</main>
<footer>Times are UTC. Burn rate = error ratio ÷ error budget. Alerts follow the SRE workbook's multiwindow, multi-burn-rate rules. burnwatch v${view.version}.</footer>`;
  return htmlDocument(title, refresh, body);
}

/**
 * The page shown when the status cannot be evaluated: still a readable page
 * that says so, reloading itself (every 30 s unless told otherwise) so it
 * recovers on its own once evaluation works again.
 *
 * @example
 * res.status(500).type('html').send(renderStatusPageError(`could not evaluate SLOs: ${err.message}`));
 */
export function renderStatusPageError(message: string, options: { refreshSeconds?: number; generatedAt?: string; version?: string } = {}): string {
  const refresh = refreshInterval(options.refreshSeconds ?? 30);
  const body = html`<header class="masthead">
<h1 class="brand">burnwatch <span>status</span></h1>
<p class="meta">${options.generatedAt ? `Generated ${options.generatedAt} · ` : ''}${
    refresh > 0 ? `retries every ${refresh} s` : 'does not refresh'
  }${options.version ? ` · v${options.version}` : ''}</p>
</header>
<section class="state crit" aria-label="Overall state">
<span class="label">UNKNOWN</span>
<p class="headline">Status unavailable: SLOs could not be evaluated</p>
<span class="detail">Alert states and error budgets are unknown until evaluation works again. Check the service logs and <a href="metrics">/metrics</a>.</span>
</section>
<main>
<section aria-labelledby="error-h"><h2 id="error-h">Error</h2><pre class="error-box mono">${message}</pre></section>
</main>`;
  return htmlDocument('UNKNOWN: status unavailable · burnwatch status', refresh, body);
}
