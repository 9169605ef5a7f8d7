import { describe, expect, it } from 'vitest';
import {
  budgetBarValue,
  formatBudget,
  formatBurnRate,
  formatClock,
  formatCount,
  formatDuration,
  formatErrorPercent,
  formatLatency,
  formatPercentFloor,
  formatRelative,
  formatWindowLabel,
  objectiveDecimals,
  parseTime,
  sliDecimals,
} from './format.ts';

const NOW = Date.parse('2025-06-03T03:12:00.000Z');

describe('formatting for people', () => {
  it.each([
    ['an SLI just under a 99.9 % objective never rounds up to meet it', formatPercentFloor(0.998999, 2), '99.89 %'],
    ['an SLI keeps digits a float product loses (0.9995 × 100 = 99.9499…)', formatPercentFloor(0.9995, 2), '99.95 %'],
    ['a perfect SLI reads 100', formatPercentFloor(1, 1), '100.0 %'],
    ['a missing SLI is null, for the caller to say "no data"', formatPercentFloor(null, 2), null],
    ['NaN is treated as missing, never printed', formatPercentFloor(Number.NaN, 2), null],
  ])('%s', (_name, got, want) => {
    expect(got).toBe(want);
  });

  it.each([
    [99.9, 1, 2],
    [95, 0, 1],
    [99.95, 2, 3],
    [99.999, 3, 4],
  ])('an objective of %s has %i decimals and its SLI is shown with %i', (objective, decimals, sli) => {
    expect(objectiveDecimals(objective)).toBe(decimals);
    expect(sliDecimals(objective)).toBe(sli);
  });

  it.each([
    [0, '0x'],
    [0.004, '<0.01x'],
    [0.347, '0.35x'],
    [1.2, '1.2x'],
    [15.13, '15.1x'],
    [120.4, '120x'],
    [null, null],
    [Number.POSITIVE_INFINITY, null],
  ])('a burn rate of %s reads %s', (rate, want) => {
    expect(formatBurnRate(rate)).toBe(want);
  });

  it.each([
    [850, '850 ms'],
    [999.7, '1s'],
    [45_000, '45s'],
    [59_600, '1m'],
    [312_000, '5m 12s'],
    [12_000_000, '3h 20m'],
    [3_599_800, '1h'],
    [187_200_000, '2d 4h'],
    [-90_000, '-1m 30s'],
    [null, null],
  ])('a duration of %s ms reads %s', (ms, want) => {
    expect(formatDuration(ms)).toBe(want);
  });

  it.each([
    [0.42, '0.4 ms'],
    [12.4, '12 ms'],
    [1240, '1.24 s'],
    [null, null],
  ])('a latency of %s ms reads %s', (ms, want) => {
    expect(formatLatency(ms)).toBe(want);
  });

  it.each([
    [0, '0 %'],
    [0.0000004, '<0.01 %'],
    [0.0182, '1.82 %'],
    [0.125, '12.5 %'],
    [null, null],
  ])('an error ratio of %s reads %s', (ratio, want) => {
    expect(formatErrorPercent(ratio)).toBe(want);
  });

  it('counts get thousands separators', () => {
    expect(formatCount(1_080_000)).toBe('1,080,000');
    expect(formatCount(12)).toBe('12');
    expect(formatCount(null)).toBeNull();
  });

  it('a budget reads as a share with one decimal; the bar stays within 0–100', () => {
    expect(formatBudget(0.1873)).toBe('18.7 %');
    expect(formatBudget(-0.35)).toBe('-35.0 %');
    expect(formatBudget(-0.00001)).toBe('0.0 %');
    expect(formatBudget(null)).toBeNull();
    expect(budgetBarValue(0.1873)).toBe(18.7);
    expect(budgetBarValue(-0.35)).toBe(0);
    expect(budgetBarValue(1.2)).toBe(100);
    expect(budgetBarValue(null)).toBeNull();
  });

  it('times are UTC, dated only when not today, and relative to the page time', () => {
    expect(formatClock(NOW - 2 * 60_000, NOW)).toBe('03:10 UTC');
    expect(formatClock(NOW, NOW, true)).toBe('03:12:00 UTC');
    expect(formatClock(Date.parse('2025-06-02T22:10:00Z'), NOW)).toBe('2 Jun 22:10 UTC');
    expect(formatClock(Date.parse('2024-12-31T23:59:00Z'), NOW)).toBe('31 Dec 2024 23:59 UTC');
    expect(formatRelative(NOW - 8 * 60_000, NOW)).toBe('8m ago');
    expect(formatRelative(NOW + 3 * 60_000, NOW)).toBe('in 3m');
    expect(formatRelative(NOW - 5_000, NOW)).toBe('just now');
    expect(formatRelative(NOW - 125 * 60_000, NOW)).toBe('2h 5m ago');
  });

  it('unparsable times are null and calendar windows read as words', () => {
    expect(parseTime('yesterday-ish')).toBeNull();
    expect(parseTime(null)).toBeNull();
    expect(formatWindowLabel('calendar-month')).toBe('calendar month');
    expect(formatWindowLabel('30d')).toBe('30d');
  });
});
