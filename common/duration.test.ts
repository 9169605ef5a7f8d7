import { describe, expect, it } from 'vitest';
import { durationProblem, formatDuration, parseDuration } from './duration.ts';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['2h', 7_200_000],
    ['30d', 2_592_000_000],
    ['1w', 604_800_000],
    ['1m30s', 90_000],
    ['1h30m', 5_400_000],
    ['1.5s', 1_500],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    ['', 'empty'],
    ['30', 'has no unit'],
    ['5x', 'is not a duration'],
    ['m5', 'is not a duration'],
    ['5 m', 'is not a duration'],
    ['-5s', 'is not a duration'],
  ])('rejects %j with a sentence saying it %s', (text, fragment) => {
    expect(durationProblem(text)).toContain(fragment);
    expect(() => parseDuration(text)).toThrow(RangeError);
  });
});

describe('formatDuration', () => {
  it('writes the largest exact units', () => {
    expect(formatDuration(90_000)).toBe('1m30s');
    expect(formatDuration(2_592_000_000)).toBe('30d');
    expect(formatDuration(300)).toBe('300ms');
    expect(formatDuration(0)).toBe('0s');
  });

  it('round-trips through parseDuration', () => {
    for (const ms of [1, 999, 1_000, 61_000, 3_600_000, 93_784_005]) expect(parseDuration(formatDuration(ms))).toBe(ms);
  });
});
