/**
 * Number and time formatting for people: "99.95 %", "1.2x", "3h 20m", "12 ms".
 * Every formatter returns `null` for a missing value, so the caller renders
 * "no data" and never a 0 or NaN.
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

function usable(x: number | null | undefined): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

/** Decimals an objective was written with (99.9 → 1, 95 → 0, 99.95 → 2). */
export function objectiveDecimals(objectivePercent: number): number {
  const s = String(objectivePercent);
  const dot = s.indexOf('.');
  return dot < 0 ? 0 : Math.min(s.length - dot - 1, 4);
}

/**
 * A ratio as a percentage, truncated (never rounded up), so an SLI just under
 * its objective never prints as meeting it: 0.99899 at 2 decimals is "99.89 %".
 *
 * @example
 * formatPercentFloor(0.99953, 2) // "99.95 %"
 */
export function formatPercentFloor(ratio: number | null, decimals: number): string | null {
  if (!usable(ratio)) return null;
  const f = 10 ** decimals;
  // The epsilon absorbs float error (0.9995 × 100 = 99.94999…).
  const v = Math.floor(ratio * 100 * f + 1e-7) / f;
  return `${v.toFixed(decimals)} %`;
}

/** Decimals to show an SLI with: one more than its objective has, at least one. */
export function sliDecimals(objectivePercent: number): number {
  return Math.max(1, Math.min(objectiveDecimals(objectivePercent) + 1, 4));
}

/** An objective as written: 99.9 → "99.9 %". */
export function formatObjective(objectivePercent: number): string {
  return `${objectivePercent} %`;
}

/** Share of the error budget left (1 = all of it, negative = overspent), one decimal: "18.7 %", "-35.0 %". */
export function formatBudget(remaining: number | null): string | null {
  if (!usable(remaining)) return null;
  const v = Math.round(remaining * 1000) / 10;
  return `${(Object.is(v, -0) ? 0 : v).toFixed(1)} %`;
}

/** The budget bar's value, 0–100 with one decimal (an overspent budget shows an empty bar). */
export function budgetBarValue(remaining: number | null): number | null {
  if (!usable(remaining)) return null;
  const v = Math.round(Math.min(Math.max(remaining, 0), 1) * 1000) / 10;
  return Object.is(v, -0) ? 0 : v;
}

/**
 * A burn rate: "0x", "0.35x", "1.2x", "14.4x", "120x".
 *
 * @example
 * formatBurnRate(15.13) // "15.1x"
 */
export function formatBurnRate(rate: number | null): string | null {
  if (!usable(rate)) return null;
  if (rate === 0) return '0x';
  if (rate < 0.01) return '<0.01x';
  if (rate < 1) return `${rate.toFixed(2)}x`;
  if (rate < 100) return `${rate.toFixed(1)}x`;
  return `${Math.round(rate)}x`;
}

/**
 * A duration in its two largest units: "850 ms", "45s", "5m 12s", "3h 20m", "2d 4h".
 *
 * @example
 * formatDuration(12_000_000) // "3h 20m"
 */
export function formatDuration(ms: number | null): string | null {
  if (!usable(ms)) return null;
  const sign = ms < 0 ? '-' : '';
  const a = Math.abs(ms);
  if (Math.round(a) < SECOND) return `${sign}${Math.round(a)} ms`;
  const units: Array<[number, string]> = [
    [DAY, 'd'],
    [HOUR, 'h'],
    [MINUTE, 'm'],
    [SECOND, 's'],
  ];
  // Round to the smaller of the two units shown first, so 59.6 s reads "1m", not "60s".
  for (let i = 0; i < units.length; i++) {
    const [size, label] = units[i] as [number, string];
    const next = units[i + 1];
    const step = next ? next[0] : size;
    const rounded = Math.round(a / step) * step;
    if (rounded < size) continue;
    const big = Math.floor(rounded / size);
    const small = Math.round((rounded - big * size) / step);
    return small === 0 || !next ? `${sign}${big}${label}` : `${sign}${big}${label} ${small}${next[1]}`;
  }
  return `${sign}${Math.round(a)} ms`;
}

/** A latency: "0.4 ms", "12 ms", "1.24 s". */
export function formatLatency(ms: number | null): string | null {
  if (!usable(ms)) return null;
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

/** A count with thousands separators: "1,234,567". */
export function formatCount(n: number | null): string | null {
  if (!usable(n)) return null;
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** An error ratio as a percentage: "0 %", "<0.01 %", "0.12 %", "12.5 %". */
export function formatErrorPercent(ratio: number | null): string | null {
  if (!usable(ratio)) return null;
  if (ratio === 0) return '0 %';
  const p = ratio * 100;
  if (p < 0.01) return '<0.01 %';
  if (p < 10) return `${p.toFixed(2)} %`;
  return `${p.toFixed(1)} %`;
}

/** Milliseconds since the epoch, or null for a missing or unparsable time. */
export function parseTime(iso: string | null): number | null {
  if (iso === null) return null;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : null;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/**
 * A wall-clock time in UTC, with the date only when it is not the day of `now`:
 * "03:10 UTC", "2 Jun 22:10 UTC".
 */
export function formatClock(t: number, now: number, seconds = false): string {
  const d = new Date(t);
  const n = new Date(now);
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}${seconds ? `:${pad(d.getUTCSeconds())}` : ''}`;
  const sameDay = d.getUTCFullYear() === n.getUTCFullYear() && d.getUTCMonth() === n.getUTCMonth() && d.getUTCDate() === n.getUTCDate();
  if (sameDay) return `${time} UTC`;
  const year = d.getUTCFullYear() === n.getUTCFullYear() ? '' : ` ${d.getUTCFullYear()}`;
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()] ?? ''}${year} ${time} UTC`;
}

/** "just now", "4m ago", "in 3m", "2h 5m ago". */
export function formatRelative(t: number, now: number): string {
  const diff = t - now;
  if (Math.abs(diff) < 30 * SECOND) return diff > 0 ? 'in a few seconds' : 'just now';
  // Minutes are precise enough for a page that reloads every half minute.
  const d = formatDuration(Math.round(Math.abs(diff) / MINUTE) * MINUTE) ?? '';
  return diff > 0 ? `in ${d}` : `${d} ago`;
}

/** An SLO window label for people: `30d` stays, `calendar-month` → "calendar month". */
export function formatWindowLabel(window: string): string {
  return window.startsWith('calendar-') ? `calendar ${window.slice('calendar-'.length)}` : window;
}
