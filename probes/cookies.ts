/**
 * The cookies of one redirect chain, as k6 keeps them: `Set-Cookie` of each
 * followed redirect goes into Go's `net/http/cookiejar` (created without a
 * public-suffix list, as k6 creates it), whose cookies the next hops send.
 * k6 resets a VU's jar at every iteration (`noCookiesReset: false`); an
 * iteration here is one request, so the jar lives as long as its chain.
 * Pure.
 *
 * - parsing is Go's `http.ParseSetCookie`: a name that is not a token, or a
 *   value with a byte outside printable ASCII (CR, LF, NUL included) or
 *   with `"`, `;` or `\`, drops the cookie; an attribute it cannot read is
 *   ignored; `Expires` in RFC 1123 form only (Go's two layouts);
 * - storing is Go's jar: a `Domain` must domain-match the host (an IP
 *   host takes host-only cookies only), `Max-Age<=0` or a past `Expires`
 *   deletes, a `Path` not starting with `/` is the URL's default path; the
 *   port plays no part (RFC 6265);
 * - sending: host-only cookies to their host, domain cookies to it and
 *   its subdomains, under the path, `Secure` ones over https only; longer
 *   paths first, then oldest first; a value with a space or a comma is
 *   quoted (Go's `AddCookie`, which k6 calls without the quotes a value
 *   was received in).
 */

/** A `Set-Cookie` line, read as Go reads it. */
export interface SetCookie {
  name: string;
  value: string;
  /** As given (`''`: none); checked when stored. */
  domain: string;
  path: string;
  /** Seconds; `<= 0` deletes; undefined: no valid `Max-Age`. */
  maxAge: number | undefined;
  /** Epoch ms; undefined: no valid `Expires`. */
  expires: number | undefined;
  secure: boolean;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Go's `validCookieValueByte`: printable ASCII but `"`, `;` and `\`. */
const VALUE = /^[\x20\x21\x23-\x3a\x3c-\x5b\x5d-\x7e]*$/;
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
/**
 * Go's `time.RFC1123` and `Mon, 02-Jan-2006 15:04:05 MST` (names in any
 * case); the zone is checked by `isGoZone`, and its clock time read as UTC,
 * as Go reads a zone it does not know (a fake zone: the instant is not moved,
 * not even by GMT+h's hours).
 */
const EXPIRES = /^([A-Za-z]{3}), (\d\d)([ -])([A-Za-z]{3})\3(\d{4}) (\d\d?):(\d\d):(\d\d) (\S+)$/;

/**
 * Whether all of `zone` is a zone to Go's `time.parseTimeZone`: ChST or MeST;
 * GMT, optionally with a signed hour offset; a signed offset of at most 23
 * (`+07`, `+0000`: `leadingInt` reads all the digits); or 3 upper-case letters,
 * 4 ending in T (or WITA), 5 ending in T.
 */
function isGoZone(zone: string): boolean {
  if (zone === 'ChST' || zone === 'MeST' || zone === 'GMT') return true;
  const signed = (s: string): boolean => /^[+-]\d+$/.test(s) && Number(s.slice(1)) <= 23;
  if (zone.startsWith('GMT')) return signed(zone.slice(3));
  if (zone.startsWith('+') || zone.startsWith('-')) return signed(zone);
  if (!/^[A-Z]{3,5}$/.test(zone)) return false;
  return zone.length === 3 || zone.endsWith('T') || zone === 'WITA';
}

/** Go's `textproto.TrimString`. */
const trim = (s: string): string => s.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');

/** Go's `parseCookieValue`: the value, without the double quotes around it if `quoted` allows them; undefined if invalid. */
function cookieValue(raw: string, quoted: boolean): string | undefined {
  const v = quoted && raw.length > 1 && raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw;
  return VALUE.test(v) ? v : undefined;
}

function parseExpires(text: string): number | undefined {
  const m = EXPIRES.exec(text);
  if (!m) return undefined;
  const month = MONTHS.indexOf(m[4]!.toLowerCase());
  const [day, year, hour, minute, second] = [m[2], m[5], m[6], m[7], m[8]].map(Number) as [number, number, number, number, number];
  if (!DAYS.includes(m[1]!.toLowerCase()) || month < 0 || hour > 23 || minute > 59 || second > 59 || !isGoZone(m[9]!)) return undefined;
  const at = new Date(Date.UTC(2000, month, day, hour, minute, second));
  at.setUTCFullYear(year);
  // A day the month does not have (31 Apr) is an error in Go.
  return at.getUTCDate() === day ? at.getTime() : undefined;
}

/**
 * One `Set-Cookie` value (latin1), or undefined if Go drops it.
 *
 * @example
 * parseSetCookie('session=abc; Path=/; Max-Age=3600; HttpOnly')
 * // { name: 'session', value: 'abc', domain: '', path: '/', maxAge: 3600, expires: undefined, secure: false }
 */
export function parseSetCookie(line: string): SetCookie | undefined {
  const parts = line.split(';');
  const first = trim(parts[0]!);
  const eq = first.indexOf('=');
  if (eq < 0) return undefined;
  const name = trim(first.slice(0, eq));
  const value = cookieValue(first.slice(eq + 1), true);
  if (!TOKEN.test(name) || value === undefined) return undefined;
  const c: SetCookie = { name, value, domain: '', path: '', maxAge: undefined, expires: undefined, secure: false };
  for (let i = 1; i < parts.length; i++) {
    const part = trim(parts[i]!);
    const at = part.indexOf('=');
    const attr = (at < 0 ? part : part.slice(0, at)).toLowerCase();
    const val = cookieValue(at < 0 ? '' : part.slice(at + 1), false);
    if (val === undefined) continue;
    if (attr === 'secure') c.secure = true;
    else if (attr === 'domain') c.domain = val;
    else if (attr === 'path') c.path = val;
    else if (attr === 'expires') c.expires = parseExpires(val);
    else if (attr === 'max-age' && /^[+-]?\d+$/.test(val)) {
      const secs = Number(val);
      // Go's strconv.Atoi, and no leading zero on a number that is not 0.
      if (Number.isSafeInteger(secs) && !(secs !== 0 && val.startsWith('0'))) c.maxAge = secs;
    }
  }
  return c;
}

interface Entry {
  name: string;
  value: string;
  domain: string;
  hostOnly: boolean;
  path: string;
  secure: boolean;
  /** Epoch ms; Infinity for a session cookie. */
  expires: number;
  /** Go's jarKey of the host that set it: only hosts with the same key see it. */
  key: string;
  /** Creation order (an update keeps the place of the cookie it replaces). */
  seq: number;
}

/** Go's `isIP`: anything with `:` or `%`, or an IPv4 address. */
const isIp = (host: string): boolean => /[:%]/.test(host) || /^\d{1,3}(\.\d{1,3}){3}$/.test(host);

/** Go's `canonicalHost`: the host name without the port, brackets or a trailing dot (WHATWG URLs are lower-cased and punycoded already). */
const canonicalHost = (url: URL): string => url.hostname.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');

/** Go's `jarKey` without a public-suffix list: an IP, or the host's last two labels. */
function jarKey(host: string): string {
  if (isIp(host)) return host;
  const last = host.lastIndexOf('.');
  if (last <= 0) return host;
  return host.slice(host.lastIndexOf('.', last - 1) + 1);
}

/** The URL's path, percent-decoded as Go's `URL.Path` is (as sent if it does not decode). */
function urlPath(url: URL): string {
  try {
    return decodeURIComponent(url.pathname);
  } catch {
    return url.pathname;
  }
}

/** RFC 6265 §5.1.4's default path: the path up to its last `/`, or `/`. */
function defaultPath(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

const hasDotSuffix = (s: string, suffix: string): boolean => s.length > suffix.length && s.endsWith(suffix) && s[s.length - suffix.length - 1] === '.';

/** Go's `domainAndType`: where a cookie set by `host` goes, or undefined if Go rejects its Domain. */
function cookieDomain(host: string, domain: string): { domain: string; hostOnly: boolean } | undefined {
  if (domain === '') return { domain: host, hostOnly: true };
  // An IP address has no subdomains: only itself, as a host-only cookie.
  if (isIp(host)) return host === domain ? { domain: host, hostOnly: true } : undefined;
  const d = (domain.startsWith('.') ? domain.slice(1) : domain).toLowerCase();
  if (d === '' || d.startsWith('.') || d.endsWith('.')) return undefined;
  return host === d || hasDotSuffix(host, d) ? { domain: d, hostOnly: false } : undefined;
}

/** RFC 6265 §5.1.4 path-match. */
function pathMatch(cookiePath: string, path: string): boolean {
  if (path === cookiePath) return true;
  return path.startsWith(cookiePath) && (cookiePath.endsWith('/') || path[cookiePath.length] === '/');
}

/** A cookie value as Go's `AddCookie` writes it: quoted if it has a space or a comma. */
const sentValue = (v: string): string => (v !== '' && /[ ,]/.test(v) ? `"${v}"` : v);

/** Go's `net/http/cookiejar.Jar` without a public-suffix list, for one chain. */
export class CookieJar {
  private readonly entries: Entry[] = [];
  private seq = 0;

  /** Stores what a response from `url` set (Go's `Jar.SetCookies`); `now` in epoch ms. */
  set(url: URL, cookies: readonly SetCookie[], now: number): void {
    const host = canonicalHost(url);
    const key = jarKey(host);
    const defPath = defaultPath(urlPath(url));
    for (const c of cookies) {
      const scope = cookieDomain(host, c.domain);
      if (scope === undefined) continue;
      const path = c.path.startsWith('/') ? c.path : defPath;
      // Max-Age before Expires; either in the past deletes.
      const expires = c.maxAge !== undefined ? (c.maxAge <= 0 ? -Infinity : now + c.maxAge * 1000) : (c.expires ?? Infinity);
      const at = this.entries.findIndex((e) => e.key === key && e.domain === scope.domain && e.path === path && e.name === c.name);
      if (expires <= now) {
        if (at >= 0) this.entries.splice(at, 1);
        continue;
      }
      const seq = at >= 0 ? this.entries[at]!.seq : this.seq++;
      const entry: Entry = { name: c.name, value: c.value, ...scope, path, secure: c.secure, expires, key, seq };
      if (at >= 0) this.entries[at] = entry;
      else this.entries.push(entry);
    }
  }

  /** The `Cookie` header value for `url` (Go's `Jar.Cookies`, joined as `AddCookie` joins them); `''` if none. */
  header(url: URL, now: number): string {
    const https = url.protocol === 'https:';
    const host = canonicalHost(url);
    const key = jarKey(host);
    const path = urlPath(url) || '/';
    const sent = this.entries.filter(
      (e) =>
        e.key === key &&
        e.expires > now &&
        (e.domain === host || (!e.hostOnly && hasDotSuffix(host, e.domain))) &&
        pathMatch(e.path, path) &&
        (https || !e.secure),
    );
    sent.sort((a, b) => b.path.length - a.path.length || a.seq - b.seq);
    return sent.map((e) => `${e.name}=${sentValue(e.value)}`).join('; ');
  }
}

/**
 * The request's own `Cookie` header once a redirect set `names`, as Go's
 * client carries it on (`makeHeadersCopier`): unchanged if it has none of
 * them, else its other cookies as sorted `name=value` pairs (`''` if none
 * is left).
 *
 * @example
 * ownCookieWithout('theme=dark; session=old', new Set(['session'])) // 'theme=dark'
 */
export function ownCookieWithout(header: string, names: ReadonlySet<string>): string {
  const pairs: { name: string; value: string }[] = [];
  for (const part of header.split(';')) {
    const p = trim(part);
    if (p === '') continue;
    const eq = p.indexOf('=');
    const name = trim(eq < 0 ? p : p.slice(0, eq));
    const value = cookieValue(eq < 0 ? '' : p.slice(eq + 1), true);
    if (TOKEN.test(name) && value !== undefined) pairs.push({ name, value });
  }
  if (!pairs.some((c) => names.has(c.name))) return header;
  const kept = pairs.filter((c) => !names.has(c.name)).map((c) => `${c.name}=${c.value}`);
  return kept.sort().join('; ');
}

/**
 * A redirect chain's cookies, from the first followed redirect that sets
 * one: the jar, and the request's own `Cookie` header as it goes on.
 */
export class ChainCookies {
  private readonly jar = new CookieJar();

  /** The request's own `Cookie` header as it goes on (`''`: none, or no more). */
  private own: string;

  /** @param hopHeaders the headers of the hop whose response set the chain's first cookie: its `Cookie` is the request's own, as far as it went on */
  constructor(hopHeaders: readonly string[]) {
    const own: string[] = [];
    for (let i = 0; i + 1 < hopHeaders.length; i += 2) if (hopHeaders[i]!.toLowerCase() === 'cookie') own.push(hopHeaders[i + 1]!);
    this.own = own.join('; ');
  }

  /** A followed redirect from `url` set these (`Set-Cookie` values, latin1). */
  received(url: URL, lines: readonly string[], now: number): void {
    const cookies: SetCookie[] = [];
    for (const line of lines) {
      const c = parseSetCookie(line);
      if (c) cookies.push(c);
    }
    if (cookies.length === 0) return;
    // Go: a cookie a redirect sets replaces the request's own of that name, whatever its domain and path.
    if (this.own !== '') this.own = ownCookieWithout(this.own, new Set(cookies.map((c) => c.name)));
    this.jar.set(url, cookies, now);
  }

  /**
   * The next hop's headers: `headers` (redirectHop's, whose `Cookie` is
   * there while the request's own still goes on) with one `cookie`: the
   * own one, then the jar's for `url`.
   */
  headers(url: URL, headers: readonly string[], now: number): string[] {
    const out: string[] = [];
    let carried = false;
    for (let i = 0; i + 1 < headers.length; i += 2) {
      if (headers[i]!.toLowerCase() === 'cookie') carried = true;
      else out.push(headers[i]!, headers[i + 1]!);
    }
    // Dropped on the way to another host: not sent again, whatever host comes next (Go's stripSensitiveHeaders).
    if (!carried) this.own = '';
    const jar = this.jar.header(url, now);
    const value = this.own !== '' && jar !== '' ? `${this.own}; ${jar}` : this.own || jar;
    if (value !== '') out.push('cookie', value);
    return out;
  }
}
