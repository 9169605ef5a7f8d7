import { describe, expect, it } from 'vitest';
import { fixtureStatusView } from './fixtures.ts';
import { escapeHtml, html } from './html.ts';
import { renderStatusPage, renderStatusPageError } from './render.ts';
import type { StatusSlo, StatusView } from './view.ts';

function slo(view: StatusView, name: string): StatusSlo {
  const s = view.slos.find((x) => x.name === name);
  if (!s) throw new Error(`no SLO ${name} in the fixture`);
  return s;
}

/** The SLO rows' names, in page order. */
function sloOrder(page: string): string[] {
  return [...page.matchAll(/<tr class="[^"]*" id="slo-([^"]+)">/g)].map((m) => m[1] ?? '');
}

/** The `<tr id="slo-NAME">` row's markup. */
function sloRowHtml(page: string, name: string): string {
  const start = page.indexOf(`id="slo-${name}"`);
  expect(start).toBeGreaterThan(0);
  return page.slice(start, page.indexOf('</tr>', start));
}

/** The rendered page as text, roughly as a reader sees it. */
function text(page: string): string {
  return page
    .replace(/<style>[\s\S]*?<\/style>/, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ');
}

/** What a JS-free reader of the page would see once entities are decoded. */
const INJECTIONS = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "'><svg onload=alert(1)>"];

describe('escapeHtml', () => {
  it('escapes the five characters that can open markup or leave an attribute', () => {
    expect(escapeHtml(`<a href="x" title='y'>&amp;</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;');
  });

  it.each(INJECTIONS)('leaves no tag and no attribute break-out in %s', (payload) => {
    const out = escapeHtml(payload);
    expect(out).not.toMatch(/[<>"']/);
  });

  it('leaves plain text alone', () => {
    expect(escapeHtml('p99 ≤ 100 ms per 1m slice')).toBe('p99 ≤ 100 ms per 1m slice');
  });

  it('the html template escapes every interpolation but keeps nested templates', () => {
    const name = '<b>x</b>';
    expect(html`<td>${name}</td>`.value).toBe('<td>&lt;b&gt;x&lt;/b&gt;</td>');
    expect(html`<td>${html`<i>${name}</i>`}</td>`.value).toBe('<td><i>&lt;b&gt;x&lt;/b&gt;</i></td>');
    expect(html`${[1, '<', null, false, undefined]}`.value).toBe('1&lt;');
  });
});

describe('renderStatusPage', () => {
  it('is a complete HTML document with inline CSS and no scripts or external assets', () => {
    const page = renderStatusPage(fixtureStatusView());
    expect(page.startsWith('<!doctype html>\n<html lang="en">')).toBe(true);
    expect(page).toContain('<meta charset="utf-8">');
    expect(page).toContain('<style>');
    expect(page).toContain('prefers-color-scheme: dark');
    expect(page).not.toMatch(/<script|<link rel="stylesheet"|src="http|href="http|@import|url\(/i);
    expect(page.trimEnd().endsWith('</html>')).toBe(true);
  });

  it('names every SLO, probe and run', () => {
    const view = fixtureStatusView();
    const page = renderStatusPage(view);
    for (const s of view.slos) expect(page).toContain(`id="slo-${s.name}"`);
    for (const p of view.probes) expect(text(page)).toContain(` ${p.name} `);
    for (const r of view.runs) expect(page).toContain(`href="api/runs/${r.id}"`);
  });

  it('says what is on fire in the header, the title and the alert list', () => {
    const page = renderStatusPage(fixtureStatusView());
    expect(page).toContain('<title>PAGING: 1 alert firing · burnwatch status</title>');
    expect(page).toContain('<section class="state crit" aria-label="Overall state"');
    const t = text(page);
    expect(t).toContain('PAGING 1 alert firing events-errors page at 15.1x over 5m/1h · 1 alert pending · 1 SLO without data');
    expect(t).toContain('5m/1h: 18.2x and 15.1x vs 14.4x holds');
    expect(t).toContain('30m/6h: 16.3x and 4.2x vs 6.0x below');
  });

  it('is green with "All SLOs within budget" when nothing is firing, pending, silent or overspent', () => {
    const view = fixtureStatusView();
    view.alerts = [];
    view.slos = view.slos.filter((s) => !['events-errors', 'analytics-latency', 'uptime'].includes(s.name));
    const page = renderStatusPage(view);
    expect(page).toContain('<section class="state ok"');
    expect(text(page)).toContain('OK All SLOs within budget');
    expect(text(page)).toContain('No alerts firing or pending.');
    expect(page).toContain('<title>OK · burnwatch status</title>');
  });

  it('an alert the evaluator has firing counts even when the alert list lacks it', () => {
    const view = fixtureStatusView();
    view.alerts = [];
    const page = renderStatusPage(view);
    expect(page).toContain('<section class="state crit"');
    expect(text(page)).toContain('1 alert firing');
    expect(sloOrder(page)[0]).toBe('events-errors');
  });

  it('sorts SLOs: paging, then ticket firing, then pending, then silent, then least budget left; ties by name', () => {
    const view = fixtureStatusView();
    const crud = slo(view, 'crud-latency');
    const ticket = crud.evaluation.alerts.find((a) => a.severity === 'ticket');
    if (!ticket) throw new Error('fixture has a ticket alert');
    ticket.firing = true;
    const page = renderStatusPage(view);
    expect(sloOrder(page)).toEqual([
      'events-errors',
      'crud-latency',
      'analytics-latency',
      'uptime',
      'cache-hit-ratio',
      'flags-latency',
      'assignment-latency',
    ]);
    // The input order does not matter.
    view.slos.reverse();
    expect(sloOrder(renderStatusPage(view))).toEqual(sloOrder(page));
  });

  it('firing alerts come before pending ones, pages before tickets', () => {
    const view = fixtureStatusView();
    view.alerts.reverse();
    const page = renderStatusPage(view);
    const alerts = page.slice(page.indexOf('id="alerts-h"'), page.indexOf('id="slos-h"'));
    expect(alerts.indexOf('events-errors')).toBeLessThan(alerts.indexOf('analytics-latency'));
    expect(alerts.indexOf('analytics-latency')).toBeLessThan(alerts.indexOf('>uptime<'));
  });

  it('shows "no data" for an SLO without data, never 0, NaN or a budget bar', () => {
    const page = renderStatusPage(fixtureStatusView());
    const row = sloRowHtml(page, 'uptime');
    expect(row).toContain('<span class="nodata">no data</span>');
    expect(row).not.toContain('role="progressbar"');
    expect(text(row)).not.toMatch(/NaN|undefined|null|\b0 %|\b0x|0\.0 %/);
    expect(text(row)).toContain('no data in any alert window: never had events, expected for 42m');
    expect(text(row)).toContain('no data for 42m');
    expect(page).not.toMatch(/NaN|undefined|>null</);
  });

  it('shows "no data" for a single window without data and for missing run figures', () => {
    const view = fixtureStatusView();
    const w = slo(view, 'flags-latency').evaluation.windows[0];
    if (!w) throw new Error('fixture has windows');
    w.sli = null;
    w.errorRatio = null;
    w.burnRate = null;
    const page = renderStatusPage(view);
    const row = sloRowHtml(page, 'flags-latency');
    expect(row.match(/no data/g)).toHaveLength(1);
    expect(row).toContain('0.65x');
    const runs = page.slice(page.indexOf('id="runs-h"'));
    const errored = runs.slice(runs.indexOf('r-0106'), runs.indexOf('</tr>', runs.indexOf('r-0106')));
    expect(errored.match(/no data/g)).toHaveLength(2); // error % and p95
  });

  it('draws budget bars with the remaining share as aria values and width', () => {
    const page = renderStatusPage(fixtureStatusView());
    const row = sloRowHtml(page, 'events-errors');
    expect(row).toContain(
      'role="progressbar" aria-label="Error budget remaining for events-errors" aria-valuemin="0" aria-valuemax="100" aria-valuenow="18.7" aria-valuetext="18.7 % of error budget remaining"',
    );
    expect(row).toContain('style="width:18.7%"');
    expect(text(row)).toContain('exhausts in 7h 25m');
    expect(page.match(/role="progressbar"/g)).toHaveLength(6);
  });

  it('an overspent budget shows an empty bar, the negative share and "exhausted"', () => {
    const view = fixtureStatusView();
    const b = slo(view, 'cache-hit-ratio').evaluation.budget;
    b.consumed = 1.35;
    b.remaining = -0.35;
    b.timeToExhaustionMs = 0;
    const page = renderStatusPage(view);
    const row = sloRowHtml(page, 'cache-hit-ratio');
    expect(row).toContain('aria-valuenow="0"');
    expect(row).toContain('aria-valuetext="error budget exhausted (-35.0 % remaining)"');
    expect(text(row)).toContain('-35.0 %');
    expect(text(row)).toContain('exhausted');
    expect(text(page)).toContain('1 SLO out of error budget');
    // Out of budget ranks above the SLOs that are fine.
    expect(sloOrder(page).indexOf('cache-hit-ratio')).toBeLessThan(sloOrder(page).indexOf('flags-latency'));
  });

  it('a budget that outlasts the window says so instead of a far-off date', () => {
    const page = renderStatusPage(fixtureStatusView());
    expect(text(sloRowHtml(page, 'crud-latency'))).toContain('lasts over 30d at 0.04x');
    expect(text(sloRowHtml(page, 'assignment-latency'))).toContain('not burning (5m)');
  });

  it.each([
    [30, '<meta http-equiv="refresh" content="30">'],
    [12.7, '<meta http-equiv="refresh" content="12">'],
  ])('reloads itself every %s s', (seconds, meta) => {
    const view = fixtureStatusView();
    view.refreshSeconds = seconds;
    expect(renderStatusPage(view)).toContain(meta);
  });

  it.each([0, -5, Number.NaN, 0.5])('does not reload itself when refreshSeconds is %s', (seconds) => {
    const view = fixtureStatusView();
    view.refreshSeconds = seconds;
    const page = renderStatusPage(view);
    expect(page).not.toContain('http-equiv="refresh"');
    expect(text(page)).toContain('does not refresh');
  });

  it('escapes every string from the view', () => {
    const view = fixtureStatusView();
    const [a, b, c] = INJECTIONS as [string, string, string];
    const s = slo(view, 'events-errors');
    s.name = a;
    s.evaluation.slo = a;
    s.description = b;
    s.indicator = c;
    s.service = b;
    s.probe = a;
    const w = s.evaluation.windows[0];
    if (w) w.window = b;
    view.alerts[0] = { ...(view.alerts[0] as StatusView['alerts'][number]), slo: a, name: b, windows: [c] };
    const run = view.runs[0];
    if (run) Object.assign(run, { id: b, probe: a, stopReason: c, startedAt: a });
    const probe = view.probes[0];
    if (probe) Object.assign(probe, { name: b, schedule: a, nextRunAt: c });
    view.version = a;
    view.generatedAt = b;
    const page = renderStatusPage(view);
    expect(page).not.toMatch(/<script|<img|<svg/i);
    // No attribute broke out: no event handler inside any tag.
    expect(page).not.toMatch(/<[^>]*\son\w+=/i);
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
    expect(page).toContain('&#39;&gt;&lt;svg onload=alert(1)&gt;');
    // The run link's id is URL-encoded, then escaped.
    expect(page).toContain(`href="api/runs/${encodeURIComponent(b)}"`);
  });

  it('renders an empty service readably', () => {
    const page = renderStatusPage({ generatedAt: '2025-06-03T03:12:00.000Z', version: '0.1.0', refreshSeconds: 0, slos: [], alerts: [], runs: [], probes: [] });
    const t = text(page);
    expect(t).toContain('No SLOs configured');
    expect(t).toContain('No SLOs are configured.');
    expect(t).toContain('No runs yet.');
    expect(t).toContain('No probes are configured.');
  });
});

describe('renderStatusPageError', () => {
  it('is a readable, escaped page that retries by itself', () => {
    const page = renderStatusPageError(`could not evaluate SLOs: ${INJECTIONS[0] ?? ''}`);
    expect(page.startsWith('<!doctype html>')).toBe(true);
    expect(page).toContain('<meta http-equiv="refresh" content="30">');
    expect(page).not.toContain('<script');
    expect(text(page)).toContain('Status unavailable: SLOs could not be evaluated');
    expect(page).toContain('could not evaluate SLOs: &lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('takes the refresh interval and version of the service', () => {
    const page = renderStatusPageError('store closed', { refreshSeconds: 0, version: '"1.0' });
    expect(page).not.toContain('http-equiv="refresh"');
    expect(page).toContain('v&quot;1.0');
  });
});
