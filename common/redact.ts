/**
 * Secret redaction for anything burnwatch shows: logs, API bodies, the status
 * page. A secret is replaced wherever it appears, raw or JSON-escaped (a
 * value with `"` or `\` is written escaped inside JSON), and the user-info
 * part of URLs (`https://user:pass@host`) is always hidden.
 *
 * @example
 * redact('{"url":"https://bot:hunter22@api"}', ['hunter22']) // '{"url":"https://[redacted]@api"}'
 */
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^/\s"'@]+@/gi;

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

/** Redacts every string inside plain data (a view model, a JSON body) and returns a copy. */
export function redactData<T>(data: T, secrets: readonly string[]): T {
  return JSON.parse(redact(JSON.stringify(data), secrets)) as T;
}
