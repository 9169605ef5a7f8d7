/**
 * Burn-rate window sets as data (Sloth's `internal/alert/windows/*.yaml`, same
 * `AlertWindows` format so Sloth users can bring their files). A set names, for
 * each of page/ticket × quick/slow, the share of the period's error budget the
 * alert may burn and its long/short windows; the burn-rate factor follows from
 * the share and the SLO period exactly as Sloth computes it
 * (`internal/alert/window.go`, `getBurnRateFactor`):
 *
 *   factor = errorBudgetPercent × periodHours / 100 / longWindowHours
 *
 * so 2 % of a 30 day budget in 1 h is 14.4. A set used for an SLO whose period
 * differs from the set's `sloPeriod` keeps its budget shares and the factors
 * scale with the SLO period.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { BurnwatchError, durationProblem, parseDuration } from '../common/index.ts';
import type { AlertRule, BurnWindowPair, Severity } from './model.ts';

export interface AlertWindow {
  errorBudgetPercent: number;
  shortWindowMs: number;
  longWindowMs: number;
}

export interface WindowSet {
  name: string;
  /** The period the set was written for. */
  sloPeriodMs: number;
  page: { quick: AlertWindow; slow: AlertWindow };
  ticket: { quick: AlertWindow; slow: AlertWindow };
}

/** Built-in sets, one YAML file each in `slos/windows/`. */
export const BUILTIN_WINDOW_SETS = ['google-30d', 'google-28d', 'google-7d'] as const;

const promDurationMs = z.string().transform((text, ctx) => {
  const problem = durationProblem(text);
  if (problem) {
    ctx.addIssue({ code: 'custom', message: problem });
    return z.NEVER;
  }
  const ms = parseDuration(text);
  if (ms <= 0 || ms % 60_000 !== 0) {
    ctx.addIssue({ code: 'custom', message: `expected a whole number of minutes greater than zero, found "${text}"` });
    return z.NEVER;
  }
  return ms;
});

const windowSchema = z.strictObject({
  errorBudgetPercent: z.number().gt(0).lte(100),
  shortWindow: promDurationMs,
  longWindow: promDurationMs,
});

const windowSetSchema = z.strictObject({
  apiVersion: z.literal('sloth.slok.dev/v1', { error: 'expected apiVersion "sloth.slok.dev/v1"' }),
  kind: z.literal('AlertWindows', { error: 'expected kind "AlertWindows"' }),
  spec: z.strictObject({
    sloPeriod: promDurationMs,
    page: z.strictObject({ quick: windowSchema, slow: windowSchema }),
    ticket: z.strictObject({ quick: windowSchema, slow: windowSchema }),
  }),
});

function toWindow(w: z.output<typeof windowSchema>, where: string): AlertWindow {
  if (w.shortWindow >= w.longWindow) {
    throw new Error(`${where}: shortWindow must be shorter than longWindow`);
  }
  return { errorBudgetPercent: w.errorBudgetPercent, shortWindowMs: w.shortWindow, longWindowMs: w.longWindow };
}

/**
 * Parses an `AlertWindows` YAML document.
 *
 * @example
 * parseWindowSet(readFileSync('my-7d.yaml', 'utf8'), 'my-7d').page.quick.longWindowMs // 3_600_000
 */
export function parseWindowSet(text: string, name: string): WindowSet {
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (err) {
    throw new BurnwatchError('SLO_WINDOW_SET', `window set ${name}: not valid YAML`, { cause: err });
  }
  const r = windowSetSchema.safeParse(data);
  if (!r.success) {
    const first = r.error.issues[0];
    const where = first ? first.path.join('.') : '';
    throw new BurnwatchError('SLO_WINDOW_SET', `window set ${name}: ${where ? `${where}: ` : ''}${first?.message ?? 'invalid'}`);
  }
  const s = r.data.spec;
  try {
    return {
      name,
      sloPeriodMs: s.sloPeriod,
      page: { quick: toWindow(s.page.quick, 'page.quick'), slow: toWindow(s.page.slow, 'page.slow') },
      ticket: { quick: toWindow(s.ticket.quick, 'ticket.quick'), slow: toWindow(s.ticket.slow, 'ticket.slow') },
    };
  } catch (err) {
    throw new BurnwatchError('SLO_WINDOW_SET', `window set ${name}: ${(err as Error).message}`);
  }
}

const cache = new Map<string, WindowSet>();

/**
 * The directory holding the built-in sets: next to this module in sources,
 * and `slos/windows/` of the package when running from `dist/` (tsc does not
 * copy data files).
 */
function builtinDir(): string {
  const here = fileURLToPath(new URL('./windows/', import.meta.url));
  if (existsSync(here)) return here;
  return fileURLToPath(new URL('../../slos/windows/', import.meta.url));
}

/**
 * A built-in window set by name (`google-30d`, `google-28d`, `google-7d`).
 *
 * @example
 * windowSet('google-30d').page.quick // { errorBudgetPercent: 2, shortWindowMs: 300_000, longWindowMs: 3_600_000 }
 */
export function windowSet(name: string): WindowSet {
  const hit = cache.get(name);
  if (hit) return hit;
  if (!(BUILTIN_WINDOW_SETS as readonly string[]).includes(name)) {
    throw new BurnwatchError('SLO_WINDOW_SET', `unknown window set "${name}"; expected one of ${BUILTIN_WINDOW_SETS.join(', ')} or a path to an AlertWindows YAML file`);
  }
  const set = parseWindowSet(readFileSync(`${builtinDir()}${name}.yaml`, 'utf8'), name);
  cache.set(name, set);
  return set;
}

/** Loads a custom window set from a YAML file (Sloth's `AlertWindows` format). */
export function loadWindowSetFile(file: string): WindowSet {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new BurnwatchError('SLO_WINDOW_SET', `could not read window set file ${file}`, { cause: err });
  }
  return parseWindowSet(text, file);
}

/** The built-in set written for this period, or google-30d (its budget shares scale to any period). */
export function defaultWindowSet(periodMs: number): WindowSet {
  for (const name of BUILTIN_WINDOW_SETS) {
    const set = windowSet(name);
    if (set.sloPeriodMs === periodMs) return set;
  }
  return windowSet('google-30d');
}

/**
 * Sloth's burn-rate factor: the speed that burns `errorBudgetPercent` of the
 * period's budget in `longWindowMs`. Same arithmetic order as Sloth, in hours,
 * so the floats match its rules bit for bit (28d slow page: 5.6000000000000005).
 *
 * @example
 * burnRateFactor(30 * 86_400_000, 2, 3_600_000) // 14.4
 */
export function burnRateFactor(periodMs: number, errorBudgetPercent: number, longWindowMs: number): number {
  const hoursRequiredConsumption = (errorBudgetPercent * (periodMs / 3_600_000)) / 100;
  return hoursRequiredConsumption / (longWindowMs / 3_600_000);
}

function pair(name: string, w: AlertWindow, periodMs: number): BurnWindowPair {
  return {
    name,
    shortMs: w.shortWindowMs,
    longMs: w.longWindowMs,
    factor: burnRateFactor(periodMs, w.errorBudgetPercent, w.longWindowMs),
    op: 'gt',
    budgetPercent: w.errorBudgetPercent,
  };
}

/** The page and ticket alerts of a window set for an SLO period. */
export function windowSetAlerts(
  set: WindowSet,
  periodMs: number,
  alertName: string,
  labels: { page: Record<string, string>; ticket: Record<string, string> },
): AlertRule[] {
  const rule = (severity: Severity): AlertRule => ({
    name: severity,
    alertName,
    severity,
    pairs: [pair('quick', set[severity].quick, periodMs), pair('slow', set[severity].slow, periodMs)],
    forMs: 0,
    labels: labels[severity],
  });
  return [rule('page'), rule('ticket')];
}
