/**
 * Durations as written in configs and on the command line: k6 / Prometheus
 * style units, compound forms allowed (`1m30s`, `1h30m`, `500ms`, `30d`).
 *
 * @example
 * parseDuration('1m30s') // 90_000
 * formatDuration(90_000) // '1m30s'
 */

const UNIT_MS = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
} as const;

type Unit = keyof typeof UNIT_MS;

const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/y;

/** Why a duration string was rejected; `undefined` when it is valid. */
export function durationProblem(text: string): string | undefined {
  if (text.length === 0) return 'an empty string is not a duration';
  if (/^\d+(\.\d+)?$/.test(text)) return `"${text}" has no unit; write e.g. "${text}s" or "${text}ms"`;
  PART.lastIndex = 0;
  let pos = 0;
  while (pos < text.length) {
    PART.lastIndex = pos;
    const m = PART.exec(text);
    if (!m) return `"${text}" is not a duration; expected a number with a unit (ms, s, m, h, d, w), e.g. "30s", "5m", "1h30m", "30d"`;
    pos = PART.lastIndex;
  }
  return undefined;
}

/** Parses a duration string into milliseconds; throws a `RangeError` with a sentence when invalid. */
export function parseDuration(text: string): number {
  const problem = durationProblem(text);
  if (problem) throw new RangeError(problem);
  let total = 0;
  let pos = 0;
  while (pos < text.length) {
    PART.lastIndex = pos;
    const m = PART.exec(text)!;
    total += Number(m[1]) * UNIT_MS[m[2] as Unit];
    pos = PART.lastIndex;
  }
  return Math.round(total);
}

/** Formats milliseconds in the largest exact units, e.g. `90_000` → `1m30s`, `2_592_000_000` → `30d`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 0) return `-${formatDuration(-ms)}`;
  const units: Unit[] = ['d', 'h', 'm', 's', 'ms'];
  let rest = Math.round(ms);
  let out = '';
  for (const unit of units) {
    const size = UNIT_MS[unit];
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}
