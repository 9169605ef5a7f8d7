/**
 * HTTP Digest access authentication (RFC 7616, and RFC 2617's form without
 * `qop`), the client side of k6's `auth: "digest"`: the request goes out
 * without credentials, a `401` whose `WWW-Authenticate` carries a Digest
 * challenge is answered by sending the request again with an
 * `Authorization: Digest …` computed from the URL's user name and password.
 * Pure; the engine sends the hops.
 *
 * - Algorithms: MD5 (the default when the challenge names none), SHA-256,
 *   SHA-512-256, and their `-sess` variants; a challenge with another
 *   algorithm is skipped, as k6's digest client skips it.
 * - `qop`: `auth` when offered, else `auth-int` (the body hashed into A2),
 *   else none (RFC 2069's response, no `nc` / `cnonce`).
 * - `userhash=true` sends the hashed user name; `opaque` is echoed.
 * - Several challenges (in one header or several): the first usable Digest
 *   one, in the server's order (RFC 7616 §3.7: servers list their preferred
 *   first).
 */
import { createHash, randomBytes } from 'node:crypto';

/** A Digest challenge from a `WWW-Authenticate` header. */
export interface DigestChallenge {
  realm: string;
  nonce: string;
  opaque: string | undefined;
  /** As the server wrote it (case kept, for the echo); `MD5` when it wrote none. */
  algorithm: string;
  /** The qop the client answers with; undefined: the server offered none. */
  qop: 'auth' | 'auth-int' | undefined;
  userhash: boolean;
  /** `stale=true`: the nonce expired, the credentials were right. */
  stale: boolean;
}

/** One challenge of a `WWW-Authenticate` value: its scheme and its auth-params (names lower-cased). */
export interface Challenge {
  scheme: string;
  params: Map<string, string>;
}

const HASHES: Record<string, string> = { MD5: 'md5', 'SHA-256': 'sha256', 'SHA-512-256': 'sha512-256' };
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/;

/**
 * Parses `WWW-Authenticate` values (RFC 9110 §11.6.1): challenges separated
 * by commas, each a scheme then auth-params (`name=token` or
 * `name="quoted \"string\""`) or a token68. Lenient, as clients are: a
 * malformed part ends the value's parse, keeping what came before it.
 */
export function parseChallenges(values: readonly string[]): Challenge[] {
  const out: Challenge[] = [];
  for (const value of values) {
    let s = value;
    let current: Challenge | undefined;
    for (;;) {
      s = s.replace(/^[\s,]+/, '');
      if (s === '') break;
      const name = TOKEN.exec(s)?.[0];
      if (name === undefined) break;
      const rest = s.slice(name.length);
      const eq = /^\s*=\s*/.exec(rest);
      if (current !== undefined && eq) {
        // An auth-param of the current challenge.
        let v = rest.slice(eq[0].length);
        let text: string;
        if (v.startsWith('"')) {
          let i = 1;
          text = '';
          while (i < v.length && v[i] !== '"') {
            if (v[i] === '\\' && i + 1 < v.length) i++;
            text += v[i];
            i++;
          }
          if (i >= v.length) break; // unterminated quoted string
          v = v.slice(i + 1);
        } else {
          const t = TOKEN.exec(v)?.[0];
          if (t === undefined) break;
          text = t;
          v = v.slice(t.length);
        }
        current.params.set(name.toLowerCase(), text);
        s = v;
        continue;
      }
      // A new challenge: its scheme, then a token68 or auth-params.
      current = { scheme: name, params: new Map() };
      out.push(current);
      s = rest;
      const token68 = /^\s+([A-Za-z0-9\-._~+/]+=*)\s*(,|$)/.exec(s);
      if (token68 && !/^\s+[!#$%&'*+\-.^_`|~0-9A-Za-z]+\s*=[^=]/.test(s)) {
        current.params.set('', token68[1]!);
        s = s.slice(token68[0].length);
        current = undefined;
      }
    }
  }
  return out;
}

/** The first usable Digest challenge among `WWW-Authenticate` values, or why there is none. */
export function digestChallenge(values: readonly string[]): DigestChallenge | string {
  const all = parseChallenges(values);
  const digests = all.filter((c) => c.scheme.toLowerCase() === 'digest');
  for (const c of digests) {
    const realm = c.params.get('realm');
    const nonce = c.params.get('nonce');
    if (realm === undefined || nonce === undefined) continue;
    const algorithm = c.params.get('algorithm') ?? 'MD5';
    const base = algorithm.toUpperCase().replace(/-SESS$/, '');
    if (HASHES[base] === undefined) continue;
    const offered = (c.params.get('qop') ?? '').split(',').map((q) => q.trim().toLowerCase());
    const qop = offered.includes('auth') ? 'auth' : offered.includes('auth-int') ? 'auth-int' : undefined;
    if (qop === undefined && c.params.has('qop')) continue; // qop offered, none we speak
    return {
      realm,
      nonce,
      opaque: c.params.get('opaque'),
      algorithm,
      qop,
      userhash: c.params.get('userhash')?.toLowerCase() === 'true',
      stale: c.params.get('stale')?.toLowerCase() === 'true',
    };
  }
  if (digests.length > 0) return `its Digest challenge is not usable (${describe(digests[0]!)}): burnwatch answers MD5, SHA-256 and SHA-512-256 (and -sess), qop auth or auth-int`;
  if (all.length === 0) return values.length === 0 ? 'it sent no WWW-Authenticate' : `its WWW-Authenticate is not readable: ${values.join(', ').slice(0, 120)}`;
  return `it offers no Digest challenge (WWW-Authenticate: ${all.map((c) => c.scheme).join(', ')})`;
}

function describe(c: Challenge): string {
  const parts: string[] = [];
  for (const key of ['algorithm', 'qop']) if (c.params.has(key)) parts.push(`${key}=${c.params.get(key)}`);
  if (!c.params.has('realm')) parts.push('no realm');
  if (!c.params.has('nonce')) parts.push('no nonce');
  return parts.join(', ') || 'no parameters';
}

/** What an answer to a challenge needs besides the challenge: the credentials and the request. */
export interface DigestRequest {
  username: string;
  password: string;
  method: string;
  /** The request target as sent (`/path?query`). */
  uri: string;
  /** The body (for qop auth-int). */
  body?: string | Uint8Array | null;
  /** The nonce count (1 for the first answer to a nonce). */
  nc: number;
  /** Client nonce; random when not given (tests give one). */
  cnonce?: string;
}

/**
 * `Authorization: Digest …` answering `challenge` (RFC 7616 §3.4). Hashes
 * are over bytes, as Go's client (k6) and servers such as Apache compute
 * them: the challenge's values as they came on the wire (the header read as
 * latin1, one char per byte: a UTF-8 realm stays its bytes), the URL's user
 * name and password as UTF-8; the returned header is latin1 text, one char
 * per byte, so the user name goes out as its UTF-8 bytes.
 */
export function digestAuthorization(challenge: DigestChallenge, r: DigestRequest): string {
  const upper = challenge.algorithm.toUpperCase();
  const sess = upper.endsWith('-SESS');
  const hashName = HASHES[upper.replace(/-SESS$/, '')]!;
  /** Hashes the parts, each with its encoding: `[text, 'utf8' | 'latin1']` or bytes. */
  const H = (...parts: (readonly [string, BufferEncoding] | Uint8Array)[]): string => {
    const h = createHash(hashName);
    for (const p of parts) h.update(p instanceof Uint8Array ? p : Buffer.from(p[0], p[1]));
    return h.digest('hex');
  };
  const wire = (text: string): readonly [string, BufferEncoding] => [text, 'latin1'];
  const utf8 = (text: string): readonly [string, BufferEncoding] => [text, 'utf8'];
  const cnonce = r.cnonce ?? randomBytes(16).toString('hex');
  const nc = r.nc.toString(16).padStart(8, '0');
  let ha1 = H(utf8(r.username), wire(`:${challenge.realm}:`), utf8(r.password));
  if (sess) ha1 = H(wire(`${ha1}:${challenge.nonce}:${cnonce}`));
  const body = typeof r.body === 'string' ? utf8(r.body) : (r.body ?? new Uint8Array(0));
  const ha2 = challenge.qop === 'auth-int' ? H(wire(`${r.method}:${r.uri}:${H(body)}`)) : H(wire(`${r.method}:${r.uri}`));
  const response = challenge.qop === undefined ? H(wire(`${ha1}:${challenge.nonce}:${ha2}`)) : H(wire(`${ha1}:${challenge.nonce}:${nc}:${cnonce}:${challenge.qop}:${ha2}`));
  const username = challenge.userhash ? H(utf8(r.username), wire(`:${challenge.realm}`)) : Buffer.from(r.username, 'utf8').toString('latin1');
  const parts = [`username=${quoted(username)}`, `realm=${quoted(challenge.realm)}`, `nonce=${quoted(challenge.nonce)}`, `uri=${quoted(r.uri)}`, `algorithm=${challenge.algorithm}`, `response="${response}"`];
  if (challenge.opaque !== undefined) parts.push(`opaque=${quoted(challenge.opaque)}`);
  if (challenge.qop !== undefined) parts.push(`qop=${challenge.qop}`, `nc=${nc}`, `cnonce="${cnonce}"`);
  if (challenge.userhash) parts.push('userhash=true');
  return `Digest ${parts.join(', ')}`;
}

function quoted(text: string): string {
  return `"${text.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}
