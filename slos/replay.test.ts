import { describe, expect, it } from 'vitest';
import { parseSliCsv, replay } from './replay.ts';
import { sloSpecSchema, toSlo } from './spec.ts';

const M = 60_000;
const T0 = Date.UTC(2025, 2, 10, 9); // the spike starts
const slo = toSlo('checkout-errors', sloSpecSchema.parse({ probe: 'shop', indicator: { errorRate: {} }, objective: 99.9 }));

/** Three clean days at 1000 events a minute, a 30 minute spike at 5 % errors from T0, two clean hours. */
function csv(stepSeconds = 60): string {
  const lines = ['timestamp,good,total'];
  const perRow = stepSeconds / 60;
  for (let t = T0 - 3 * 24 * 60 * M; t < T0 + 150 * M; t += stepSeconds * 1000) {
    const bad = t >= T0 && t < T0 + 30 * M ? 50 * perRow : 0;
    const ts = (t / 1000) % 2 === 0 ? new Date(t).toISOString() : String(t / 1000);
    lines.push(`${ts},${1000 * perRow - bad},${1000 * perRow}`);
  }
  return `${lines.join('\n')}\n`;
}

describe('replay', () => {
  it('prints the page firing and resolving at the expected minutes for a 30 minute 5 % spike on a 99.9 % SLO', () => {
    const { rows, problems } = parseSliCsv(csv());
    expect(problems).toEqual([]);
    const { transitions, end } = replay(slo, rows);
    // 1h/5m at 14.4x: the 1h window crosses 1.44 % after 18 bad minutes (18 × 5 % / 60 = 1.5 %);
    // after the spike the 5m window drops under 1.44 % once only one bad minute is left in it (34 min).
    expect(transitions).toEqual([
      { at: new Date(T0 + 18 * M).toISOString(), alert: 'page', severity: 'page', state: 'firing', burnRate: expect.closeTo(15, 9) as number },
      { at: new Date(T0 + 34 * M).toISOString(), alert: 'page', severity: 'page', state: 'resolved', burnRate: expect.closeTo(10, 9) as number },
    ]);
    // 1500 bad events of ~4.47M in 30 days: about a third of the budget.
    expect(end.at).toBe(new Date(T0 + 150 * M).toISOString());
    expect(end.budget.window).toBe('30d');
    expect(end.budget.consumed).toBeCloseTo(1500 / ((3 * 1440 + 150) * 1000) / 0.0009999999999999432, 9);
    expect(end.firing).toEqual([]);
  });

  it('gives the same transitions whatever the step of the rows (10 s rows add up per minute)', () => {
    const strip = (t: { at: string; alert: string; state: string }[]): string[] => t.map((x) => `${x.at} ${x.alert} ${x.state}`);
    const perMinute = replay(slo, parseSliCsv(csv(60)).rows).transitions;
    const tenSeconds = replay(slo, parseSliCsv(csv(10)).rows).transitions;
    expect(perMinute).toHaveLength(2);
    expect(strip(tenSeconds)).toEqual(strip(perMinute));
  });

  it('lists alerts still firing when the data ends', () => {
    const rows = parseSliCsv(csv()).rows.filter((r) => r.at < T0 + 25 * M);
    expect(replay(slo, rows).end.firing).toEqual(['page']);
  });
});

describe('parseSliCsv', () => {
  it('reads ISO 8601 (UTC when no zone) and Unix seconds, and sorts the rows', () => {
    const { rows, problems } = parseSliCsv('timestamp,good,total\n1735689660,5,10\n2025-01-01T00:00:00Z,1,2\n2025-01-01T00:02:00,3,3\n2025-01-01T01:03:00+01:00,0,0\n');
    expect(problems).toEqual([]);
    expect(rows.map((r) => r.at - Date.UTC(2025, 0, 1))).toEqual([0, 60_000, 120_000, 180_000]);
  });

  it.each([
    ['', 1, 'empty file'],
    ['time,ok,all\n', 1, 'expected the header "timestamp,good,total"'],
    ['timestamp,good,total\n', 2, 'no rows after the header'],
    ['timestamp,good,total\nyesterday,1,2\n', 2, 'neither ISO 8601'],
    ['timestamp,good,total\n1735689600000,1,2\n', 2, 'looks like milliseconds'],
    ['timestamp,good,total\n1735689600,3,2\n', 2, 'good (3) is more than total (2)'],
    ['timestamp,good,total\n1735689600,-1,2\n', 2, 'good must be a number of events ≥ 0'],
    ['timestamp,good,total\n1735689600,1\n', 2, 'expected 3 columns'],
    // Date.parse reads 30 February as 2 March (and 31 April as 1 May): a typo must not move a row.
    ['timestamp,good,total\n2025-02-30T00:00:00Z,1,2\n', 2, 'timestamp "2025-02-30T00:00:00Z" is not a valid date'],
    ['timestamp,good,total\n2025-04-31,1,2\n', 2, 'timestamp "2025-04-31" is not a valid date'],
  ])('reports %j with a line number', (text, line, message) => {
    expect(parseSliCsv(text).problems).toContainEqual({ line, message: expect.stringContaining(message) as string });
  });
});
