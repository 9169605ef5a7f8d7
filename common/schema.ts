/**
 * Zod building blocks shared by every kind's wire schema: durations and
 * percentages are parsed once here, at the boundary, into plain numbers
 * (milliseconds, ratios) so the core never sees a string like "5m".
 */
import { z } from 'zod';
import { durationProblem, parseDuration } from './duration.ts';

/** A duration string (`30s`, `5m`, `1h30m`, `30d`) parsed to milliseconds. */
export const durationMs = z.string({ error: 'expected a duration such as "30s", "5m" or "2h"' }).transform((text, ctx) => {
  const problem = durationProblem(text);
  if (problem) {
    ctx.addIssue({ code: 'custom', message: problem });
    return z.NEVER;
  }
  return parseDuration(text);
});

/** Like {@link durationMs} but must be more than zero. */
export const positiveDurationMs = durationMs.refine((ms) => ms > 0, { message: 'expected a duration greater than zero' });

function percentToRatio(value: number | string, ctx: z.RefinementCtx, exclusiveMax: boolean): number {
  const text = typeof value === 'string' ? value.trim().replace(/%$/, '') : value;
  const n = typeof text === 'string' ? Number(text) : text;
  if (typeof text === 'string' && (text === '' || !Number.isFinite(n))) {
    ctx.addIssue({ code: 'custom', message: `"${String(value)}" is not a percentage; expected a number such as 99.9 or "99.9%"` });
    return z.NEVER;
  }
  const tooHigh = exclusiveMax ? n >= 100 : n > 100;
  if (!(n > 0) || tooHigh) {
    ctx.addIssue({
      code: 'custom',
      message: `${String(value)} is out of range; expected a percentage above 0 and ${exclusiveMax ? 'below' : 'at most'} 100`,
    });
    return z.NEVER;
  }
  return n / 100;
}

/** A percentage written as `99.9` or `"99.9%"`, above 0 and below 100, parsed to a ratio (0.999). For objectives. */
export const objectivePercent = z
  .union([z.number(), z.string()], { error: 'expected a percentage such as 99.9' })
  .transform((v, ctx) => percentToRatio(v, ctx, true));

/** A percentage above 0 and at most 100, parsed to a ratio. */
export const percentRatio = z
  .union([z.number(), z.string()], { error: 'expected a percentage such as 5 or "5%"' })
  .transform((v, ctx) => percentToRatio(v, ctx, false));

/** A metadata name: lower-case letters, digits, `-`, `_`, `.`; starts with a letter or digit. */
export const resourceName = z
  .string({ error: 'expected a name' })
  .regex(/^[a-z0-9][a-z0-9._-]{0,126}$/, {
    message: 'expected a name of lower-case letters, digits, "-", "_" or "." (at most 127 characters, starting with a letter or digit)',
  });

/** Free-form string labels (`key: value`). */
export const labels = z.record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, { message: 'expected a label name like team_name' }), z.string());
