/**
 * Number and label formatting exactly as Sloth's Go templates print them, so
 * burnwatch's rules carry the same literals (`0.9990000000000001`,
 * `14.4 * 0.0009999999999999432`) and a user diffing the two sees no noise.
 */

/**
 * Go's `%v` / `%g` for a float64 (strconv 'g' with the shortest precision):
 * shortest round-trip digits, `%e` form when the exponent is below −4 or at
 * least 6 (`1e+06`, `1.0000000000331966e-05`), else plain decimals.
 *
 * @example
 * goFloat(99.9 / 100)         // '0.9990000000000001'
 * goFloat((100 - 99.999) / 100) // '1.0000000000047748e-05'
 * goFloat(30)                 // '30'
 */
export function goFloat(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const [mantissa, expText] = x.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) {
    const abs = Math.abs(exp);
    return `${mantissa}e${exp < 0 ? '-' : '+'}${abs < 10 ? `0${abs}` : abs}`;
  }
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  let out: string;
  if (exp >= 0) {
    const intLen = exp + 1;
    out = digits.length <= intLen ? digits + '0'.repeat(intLen - digits.length) : `${digits.slice(0, intLen)}.${digits.slice(intLen)}`;
  } else {
    out = `0.${'0'.repeat(-exp - 1)}${digits}`;
  }
  return negative ? `-${out}` : out;
}

/** Go's `strconv.FormatFloat(x, 'f', -1, 64)`: shortest digits, never an exponent (Sloth's `sloth_objective`). */
export function goFixed(x: number): string {
  const s = goFloat(x);
  if (!s.includes('e')) return s;
  const [m, e] = s.split('e') as [string, string];
  const exp = Number(e);
  const negative = m.startsWith('-');
  const digits = m.replace('-', '').replace('.', '');
  let out: string;
  if (exp < 0) out = `0.${'0'.repeat(-exp - 1)}${digits}`;
  else out = digits.length <= exp + 1 ? digits + '0'.repeat(exp + 1 - digits.length) : `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  return negative ? `-${out}` : out;
}

/** A PromQL / Go-quoted string literal. */
export function promString(v: string): string {
  return `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/**
 * A label filter the way Prometheus' `model.LabelSet.String()` writes it (and
 * Sloth uses): names sorted, `name="value"` joined by `, `.
 *
 * @example
 * labelFilter({ sloth_slo: 'b', sloth_id: 'a' }) // '{sloth_id="a", sloth_slo="b"}'
 */
export function labelFilter(labels: Record<string, string>): string {
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${promString(labels[k]!)}`);
  return `{${parts.join(', ')}}`;
}
