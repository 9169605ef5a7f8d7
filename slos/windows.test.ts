import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BurnwatchError } from '../common/index.ts';
import { burnRateFactor, defaultWindowSet, loadWindowSetFile, parseWindowSet, windowSet, windowSetAlerts } from './windows.ts';

const H = 3_600_000;
const D = 24 * H;

describe('window sets', () => {
  it.each([
    // Sloth's golden files: out-base (30d), out-base-28d, out-base-7d.
    ['google-30d', 30 * D, [14.4, 6, 3, 1]],
    ['google-28d', 28 * D, [13.44, 5.6000000000000005, 2.8000000000000003, 0.9333333333333333]],
    ['google-7d', 7 * D, [13.44, 3.5, 1.4000000000000001, 0.98]],
  ] as const)('%s gives Sloth’s burn-rate factors bit for bit', (name, period, factors) => {
    const set = windowSet(name);
    expect(set.sloPeriodMs).toBe(period);
    const alerts = windowSetAlerts(set, period, 'X', { page: {}, ticket: {} });
    expect(alerts.flatMap((a) => a.pairs.map((p) => p.factor))).toEqual(factors);
  });

  it.each([
    // The workbook's table: budget consumed = factor × long window / period.
    ['a 1h/5m pair at 14.4x consumes 2 % of a 30 day budget', 14.4, H, 0.02],
    ['a 6h/30m pair at 6x consumes 5 %', 6, 6 * H, 0.05],
    ['a 1d/2h pair at 3x consumes 10 %', 3, D, 0.1],
    ['a 3d/6h pair at 1x consumes 10 %', 1, 3 * D, 0.1],
  ])('%s', (_name, factor, long, consumed) => {
    expect((factor * long) / (30 * D)).toBeCloseTo(consumed, 12);
  });

  it('keeps the windows of the workbook: 5m/1h, 30m/6h for pages, 2h/1d, 6h/3d for tickets', () => {
    const s = windowSet('google-30d');
    expect([s.page.quick, s.page.slow, s.ticket.quick, s.ticket.slow].map((w) => [w.shortWindowMs / 60_000, w.longWindowMs / 60_000])).toEqual([
      [5, 60],
      [30, 360],
      [120, 1440],
      [360, 4320],
    ]);
  });

  it('scales a set to another period by its budget shares (2 % of a 14 day budget in 1h is 6.72x)', () => {
    expect(burnRateFactor(14 * D, 2, H)).toBeCloseTo(6.72, 12);
    expect(defaultWindowSet(14 * D).name).toBe('google-30d');
    expect(defaultWindowSet(28 * D).name).toBe('google-28d');
    expect(defaultWindowSet(7 * D).name).toBe('google-7d');
  });

  it('reads Sloth’s AlertWindows files (custom sets are data)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bw-windows-'));
    const file = join(dir, 'custom-30d.yaml');
    writeFileSync(
      file,
      `apiVersion: sloth.slok.dev/v1
kind: AlertWindows
spec:
  sloPeriod: 30d
  page:
    quick: { errorBudgetPercent: 1, shortWindow: 2m, longWindow: 30m }
    slow: { errorBudgetPercent: 2, shortWindow: 15m, longWindow: 3h }
  ticket:
    quick: { errorBudgetPercent: 5, shortWindow: 1h, longWindow: 12h }
    slow: { errorBudgetPercent: 5, shortWindow: 3h, longWindow: 36h }
`,
    );
    const set = loadWindowSetFile(file);
    expect(windowSetAlerts(set, 30 * D, 'X', { page: {}, ticket: {} })[0]!.pairs[0]).toMatchObject({ shortMs: 120_000, longMs: 1_800_000, factor: 14.4 });
  });

  it('rejects a malformed set with a sentence and a stable code', () => {
    const bad = 'apiVersion: sloth.slok.dev/v1\nkind: AlertWindows\nspec:\n  sloPeriod: 30d\n  page: {}\n';
    expect(() => parseWindowSet(bad, 'mine')).toThrowError(BurnwatchError);
    expect(() => parseWindowSet(bad, 'mine')).toThrowError(/window set mine: spec.page.quick/);
    expect(() => windowSet('google-99d')).toThrowError(/unknown window set "google-99d"/);
    expect(() => loadWindowSetFile('/nope/none.yaml')).toThrowError(/could not read window set file/);
  });
});
