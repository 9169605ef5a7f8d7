/**
 * Calendar-aligned SLO windows (a calendar week or month read in an IANA time
 * zone), computed with `Intl` only. A period starts at the anchor (day 1 of
 * the month or ISO weekday 1 = Monday, 00:00 by default) in local wall time;
 * when the anchor day does not exist in a month (day 31 in April) the last day
 * of the month is used.
 */
import type { SloWindow } from './model.ts';

type CalendarWindow = Extract<SloWindow, { kind: 'calendar' }>;

interface LocalParts {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** ISO weekday, 1 = Monday … 7 = Sunday. */
  weekday: number;
}

const formats = new Map<string, Intl.DateTimeFormat>();
const WEEKDAYS: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

function format(timeZone: string): Intl.DateTimeFormat {
  let f = formats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      weekday: 'short',
    });
    formats.set(timeZone, f);
  }
  return f;
}

function localParts(ms: number, timeZone: string): LocalParts {
  const out: LocalParts = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0, weekday: 0 };
  for (const p of format(timeZone).formatToParts(ms)) {
    switch (p.type) {
      case 'year':
        out.year = Number(p.value);
        break;
      case 'month':
        out.month = Number(p.value);
        break;
      case 'day':
        out.day = Number(p.value);
        break;
      case 'hour':
        out.hour = Number(p.value);
        break;
      case 'minute':
        out.minute = Number(p.value);
        break;
      case 'second':
        out.second = Number(p.value);
        break;
      case 'weekday':
        out.weekday = WEEKDAYS[p.value] ?? 0;
        break;
      default:
        break;
    }
  }
  return out;
}

/** Offset of the time zone at instant `ms` (local − UTC), in ms. */
function offsetAt(ms: number, timeZone: string): number {
  const p = localParts(ms, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/** The instant of a local wall time in the zone (the later instant when it falls in a DST gap). */
export function zonedTimeToUtc(year: number, month: number, day: number, hour: number, minute: number, timeZone: string): number {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  const first = offsetAt(wall, timeZone);
  const second = offsetAt(wall - first, timeZone);
  const t = wall - second;
  if (offsetAt(t, timeZone) === second) return t;
  // In a gap neither offset reads back as this wall time. The later instant is the wall time read with the
  // offset from before the change (the smaller one: clocks jump forward): 02:30 in Berlin's gap is 03:30 CEST,
  // midnight in Santiago's gap is 01:00 −03 (the larger offset would give 23:00 −04 the day before, west of UTC).
  return wall - Math.min(first, second);
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Normalises a possibly out-of-range local date (day 0, month 13 …). */
function norm(year: number, month: number, day: number): { year: number; month: number; day: number } {
  const d = new Date(Date.UTC(year, month - 1, day));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

function monthStart(year: number, month: number, w: CalendarWindow): number {
  const n = norm(year, month, 1);
  const day = Math.min(w.anchor.day, daysInMonth(n.year, n.month));
  return zonedTimeToUtc(n.year, n.month, day, w.anchor.hour, w.anchor.minute, w.timeZone);
}

/**
 * The calendar period containing `now`: `[start, end)` in epoch ms.
 *
 * @example
 * calendarPeriod(Date.UTC(2024, 1, 10), { kind: 'calendar', unit: 'month', timeZone: 'UTC', anchor: { day: 1, hour: 0, minute: 0 } })
 * // { start: Date.UTC(2024, 1, 1), end: Date.UTC(2024, 2, 1) }
 */
export function calendarPeriod(now: number, w: CalendarWindow): { start: number; end: number } {
  const p = localParts(now, w.timeZone);
  if (w.unit === 'month') {
    let start = monthStart(p.year, p.month, w);
    let ym = { year: p.year, month: p.month };
    if (start > now) {
      ym = norm(p.year, p.month - 1, 1);
      start = monthStart(ym.year, ym.month, w);
    }
    const next = norm(ym.year, ym.month + 1, 1);
    return { start, end: monthStart(next.year, next.month, w) };
  }
  const back = (p.weekday - w.anchor.day + 7) % 7;
  let d = norm(p.year, p.month, p.day - back);
  let start = zonedTimeToUtc(d.year, d.month, d.day, w.anchor.hour, w.anchor.minute, w.timeZone);
  if (start > now) {
    d = norm(d.year, d.month, d.day - 7);
    start = zonedTimeToUtc(d.year, d.month, d.day, w.anchor.hour, w.anchor.minute, w.timeZone);
  }
  const e = norm(d.year, d.month, d.day + 7);
  return { start, end: zonedTimeToUtc(e.year, e.month, e.day, w.anchor.hour, w.anchor.minute, w.timeZone) };
}

/** True when `tz` is an IANA time zone this runtime knows. */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
