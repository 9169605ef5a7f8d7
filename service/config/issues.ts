/** A problem found in a config: where it is and what is wrong, as one sentence. */
export interface ConfigIssue {
  file: string;
  /** 1-based; 0 when the problem has no position (e.g. a missing file). */
  line: number;
  column: number;
  /** Key path inside the document, e.g. `spec.scenario.stages[0].duration`; '' for the whole file. */
  path: string;
  message: string;
  severity: 'error' | 'warning';
}

/**
 * One line per issue: `file:line:col key.path: message`.
 *
 * @example
 * formatConfigIssue({ file: 'slo.yaml', line: 7, column: 14, path: 'spec.objective', message: '150 is out of range', severity: 'error' })
 * // 'slo.yaml:7:14 spec.objective: 150 is out of range'
 */
export function formatConfigIssue(issue: ConfigIssue): string {
  const where = issue.line > 0 ? `${issue.file}:${issue.line}:${issue.column}` : issue.file;
  const what = issue.severity === 'warning' ? `warning: ${issue.message}` : issue.message;
  return issue.path ? `${where} ${issue.path}: ${what}` : `${where}: ${what}`;
}

/** `['spec', 'stages', 0, 'duration']` → `spec.stages[0].duration`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (typeof part === 'string' && /^[A-Za-z_$][\w$-]*$/.test(part)) out += out ? `.${part}` : part;
    else out += `[${JSON.stringify(String(part))}]`;
  }
  return out;
}

/** A short rendering of a found value for messages: strings quoted, long values cut. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : `a list of ${value.length}`;
  if (typeof value === 'object') return 'a mapping';
  let text: string;
  if (typeof value === 'string') text = JSON.stringify(value);
  else if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') text = String(value);
  else text = typeof value;
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
