/**
 * Secret redaction for anything burnwatch shows: logs, API bodies, the status
 * page. A secret is replaced wherever it appears, raw or JSON-escaped (a
 * value with `"` or `\` is written escaped inside JSON), and the user-info
 * part of URLs (`https://user:pass@host`) is always hidden.
 *
 * @example
 * redact('{"url":"https://bot:hunter22@api"}', ['hunter22']) // '{"url":"https://[redacted]@api"}'
 */
/** The user-info runs to the last `@` before the authority ends (`/ ? # \`), as URL parsers read it: `pa@ss` is one password. */
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^/?#\\\s"']+@/gi;

/** Secrets shorter than this are not redacted: replacing "1" or "on" everywhere would make output unreadable. */
export const MIN_SECRET_LENGTH = 4;

export function redact(text: string, secrets: readonly string[]): string {
  let out = text.replace(USERINFO, '$1[redacted]@');
  for (const s of secrets) {
    if (s.length < MIN_SECRET_LENGTH) continue;
    out = out.split(s).join('[redacted]');
    const escaped = JSON.stringify(s).slice(1, -1);
    if (escaped !== s) out = out.split(escaped).join('[redacted]');
  }
  return out;
}

/**
 * JSON text of `data` with every string (values and keys) redacted. Numbers, booleans and null are left
 * alone: a secret that is also a JSON literal (`true`, or a count such as `1000` from `${VUS}`) must not turn
 * `"running":false` into `"running":[redacted]`, which is not JSON. `replacer` runs first (e.g. to turn
 * errors into plain objects).
 *
 * @example
 * redactJson({ token: 'Bearer s3cret-value', ok: true }, ['s3cret-value', 'true']) // '{"token":"Bearer [redacted]","ok":true}'
 */
export function redactJson(data: unknown, secrets: readonly string[], replacer?: (key: string, value: unknown) => unknown): string {
  return JSON.stringify(data, function (this: unknown, key: string, value: unknown): unknown {
    const v = replacer ? replacer.call(this, key, value) : value;
    if (typeof v === 'string') return redact(v, secrets);
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype) {
      const entries = Object.entries(v as Record<string, unknown>);
      if (entries.some(([k]) => redact(k, secrets) !== k)) return Object.fromEntries(entries.map(([k, x]) => [redact(k, secrets), x]));
    }
    return v;
  });
}

/** Redacts every string inside plain data (a view model, a JSON body) and returns a copy. */
export function redactData<T>(data: T, secrets: readonly string[]): T {
  return JSON.parse(redactJson(data, secrets)) as T;
}
