import { describe, expect, it } from 'vitest';
import { calendarPeriod, zonedTimeToUtc } from './calendar.ts';
import type { SloWindow } from './model.ts';

type Cal = Extract<SloWindow, { kind: 'calendar' }>;
const month = (timeZone: string, day = 1, hour = 0): Cal => ({ kind: 'calendar', unit: 'month', timeZone, anchor: { day, hour, minute: 0 } });
const week = (timeZone: string, day = 1): Cal => ({ kind: 'calendar', unit: 'week', timeZone, anchor: { day, hour: 0, minute: 0 } });
const iso = (p: { start: number; end: number }): [string, string] => [new Date(p.start).toISOString(), new Date(p.end).toISOString()];

describe('calendarPeriod', () => {
  it.each([
    ['a UTC month', Date.UTC(2024, 1, 10, 12), month('UTC'), ['2024-02-01T00:00:00.000Z', '2024-03-01T00:00:00.000Z']],
    ['the first instant of a month belongs to it', Date.UTC(2024, 2, 1), month('UTC'), ['2024-03-01T00:00:00.000Z', '2024-04-01T00:00:00.000Z']],
    ['a Berlin month spans the DST change (31 days minus 1 hour)', Date.UTC(2024, 2, 15), month('Europe/Berlin'), ['2024-02-29T23:00:00.000Z', '2024-03-31T22:00:00.000Z']],
    ['a Kolkata month starts at 18:30 UTC', Date.UTC(2024, 5, 1, 10), month('Asia/Kolkata'), ['2024-05-31T18:30:00.000Z', '2024-06-30T18:30:00.000Z']],
    ['a New York month, still in the previous month locally', Date.UTC(2024, 6, 1, 2), month('America/New_York'), ['2024-06-01T04:00:00.000Z', '2024-07-01T04:00:00.000Z']],
    ['an anchor on day 31 falls back to the last day in shorter months', Date.UTC(2024, 1, 20), month('UTC', 31), ['2024-01-31T00:00:00.000Z', '2024-02-29T00:00:00.000Z']],
    ['an ISO week (Monday) in UTC', Date.UTC(2025, 0, 8, 15), week('UTC'), ['2025-01-06T00:00:00.000Z', '2025-01-13T00:00:00.000Z']],
    ['a week starting on Sunday (ISO day 7)', Date.UTC(2025, 0, 8, 15), week('UTC', 7), ['2025-01-05T00:00:00.000Z', '2025-01-12T00:00:00.000Z']],
    ['a Tokyo week', Date.UTC(2025, 0, 5, 16), week('Asia/Tokyo'), ['2025-01-05T15:00:00.000Z', '2025-01-12T15:00:00.000Z']],
  ] as const)('%s', (_name, now, w, expected) => {
    expect(iso(calendarPeriod(now, w))).toEqual(expected);
  });

  it('maps wall time to an instant across offsets', () => {
    expect(zonedTimeToUtc(2024, 7, 1, 0, 0, 'Europe/Berlin')).toBe(Date.UTC(2024, 5, 30, 22));
    expect(zonedTimeToUtc(2024, 1, 1, 0, 0, 'Europe/Berlin')).toBe(Date.UTC(2023, 11, 31, 23));
  });

  it('maps a wall time in a DST gap to the later instant, east and west of UTC', () => {
    // Berlin, 31 March 2024: 02:00 CET → 03:00 CEST; 02:30 does not exist: 03:30 CEST.
    expect(zonedTimeToUtc(2024, 3, 31, 2, 30, 'Europe/Berlin')).toBe(Date.UTC(2024, 2, 31, 1, 30));
    // Santiago, 8 September 2024: 00:00 −04 → 01:00 −03; midnight does not exist: 01:00 −03 (04:00Z), not 23:00 −04 the day before.
    expect(zonedTimeToUtc(2024, 9, 8, 0, 0, 'America/Santiago')).toBe(Date.UTC(2024, 8, 8, 4));
  });

  it('ends a period where the next one starts when its end falls in a DST gap (Santiago, a week from Sunday 00:00)', () => {
    const w = week('America/Santiago', 7);
    // 03:30Z on 8 September 2024 is still Saturday 23:30 −04 in Santiago: the week that began on 1 September.
    const now = Date.UTC(2024, 8, 8, 3, 30);
    const p = calendarPeriod(now, w);
    expect(iso(p)).toEqual(['2024-09-01T04:00:00.000Z', '2024-09-08T04:00:00.000Z']);
    expect(calendarPeriod(p.end, w).start).toBe(p.end);
  });
});
