/**
 * The kinds of error a worker's interval and the run keep, bounded: the
 * Space-Saving algorithm (Metwally et al., 2005). When the list is full a
 * new kind takes the place of the least counted one and starts from its
 * count, noted as `overcount` (the true count is at least `count −
 * overcount`). Any kind with more than 1/max of the errors counted is in
 * the list, however late it began: a 503 flood at hour 20 of a soak run is
 * not shut out by the assertion messages of hour 1, nor, within an
 * interval, by the first errors of the interval.
 */
import type { Outcome } from '../common/index.ts';
import type { ErrorCount } from './protocol.ts';

/** The list's key of an error kind. */
function errorKey(outcome: Outcome, message: string): string {
  return `${outcome}\u0000${message}`;
}

/**
 * Adds `count` errors of a kind (with the `overcount` they carry from a
 * list they were kept in) to `errors`, keeping at most `max` kinds.
 *
 * @example
 * const errors = new Map(); countError(errors, 20, 'http_error', 'HTTP 503', 1);
 */
export function countError(errors: Map<string, ErrorCount>, max: number, outcome: Outcome, message: string, count: number, overcount = 0): void {
  const key = errorKey(outcome, message);
  const known = errors.get(key);
  if (known) {
    known.count += count;
    if (overcount > 0) known.overcount = (known.overcount ?? 0) + overcount;
    return;
  }
  if (errors.size < max) {
    errors.set(key, overcount > 0 ? { outcome, message, count, overcount } : { outcome, message, count });
    return;
  }
  let leastKey = '';
  let least: ErrorCount | undefined;
  for (const [k, v] of errors) {
    if (least === undefined || v.count < least.count) {
      least = v;
      leastKey = k;
    }
  }
  errors.delete(leastKey);
  errors.set(key, { outcome, message, count: least!.count + count, overcount: least!.count + overcount });
}
