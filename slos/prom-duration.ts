/**
 * Prometheus' own duration spelling (`prometheus/common` `model.Duration.String`),
 * which Sloth uses for rule names and the `sloth_window` label: years and
 * weeks only when exact (7d → `1w`, 28d → `4w`, 30d → `30d`), then d h m s ms.
 *
 * @example
 * prometheusDuration(28 * 86_400_000) // '4w'
 * prometheusDuration(90 * 60_000)     // '1h30m'
 */
export function prometheusDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = Math.round(ms);
  let out = '';
  const unit = (name: string, mult: number, exact: boolean): void => {
    if (exact && rest % mult !== 0) return;
    const v = Math.floor(rest / mult);
    if (v > 0) {
      out += `${v}${name}`;
      rest -= v * mult;
    }
  };
  unit('y', 365 * 86_400_000, true);
  unit('w', 7 * 86_400_000, true);
  unit('d', 86_400_000, false);
  unit('h', 3_600_000, false);
  unit('m', 60_000, false);
  unit('s', 1000, false);
  unit('ms', 1, false);
  return out;
}
