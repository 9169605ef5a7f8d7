/**
 * Following a redirect, as k6 does (Go's http.Client rules): the next hop's
 * URL, method, headers and body. Pure; the engine keeps the chain's state.
 *
 * - 301, 302, 303: the next request is a GET without a body (a HEAD stays a
 *   HEAD), and loses the headers that described the body (`content-type`
 *   and the like, as fetch drops them; Go's client sends them on with the
 *   GET);
 * - 307, 308: the same method and body;
 * - to another host (not the same host or one of its subdomains), the
 *   credentials (`authorization`, `cookie`, `cookie2`, `www-authenticate`,
 *   `proxy-authorization`, `proxy-authenticate`) are not sent on (cookies a
 *   redirect set are the engine's, see cookies.ts: they go by their own
 *   domain); an explicit `host` goes on only to a Location without a
 *   scheme on the same origin;
 * - a Location with user-info (`http://user:pass@host/`) is sent with basic
 *   auth for it, on that hop only, unless the hop carries an `authorization` on;
 * - each hop sends `referer: <the URL that redirected>` (none from https
 *   to http), unless the request sets its own, which goes on as it is;
 * - the Location is read as Go reads it: bytes beyond ASCII and
 *   backslashes are percent-encoded as they are (Go keeps a backslash in
 *   the path, where a WHATWG URL parser would read a host), control
 *   characters make it invalid, and it is resolved against the URL that
 *   answered; only http(s) is followed.
 */
import type { Dispatcher } from 'undici';

/** The statuses a redirect is followed on (with a Location), as k6 (Go's http.Client) follows them. */
export const REDIRECT_STATUSES: readonly number[] = [301, 302, 303, 307, 308];

/** `REDIRECT_CODE[status] === 1` for REDIRECT_STATUSES. */
export const REDIRECT_CODE: Uint8Array = (() => {
  const a = new Uint8Array(600);
  for (const code of REDIRECT_STATUSES) a[code] = 1;
  return a;
})();

/** Go's sensitive headers (client.go makeHeadersCopier; Proxy-Authenticate since Go 1.24.4, CVE-2025-4673). */
const CREDENTIALS = new Set(['authorization', 'cookie', 'cookie2', 'www-authenticate', 'proxy-authorization', 'proxy-authenticate']);
/** A URL with a scheme (Go's url.IsAbs). */
const HAS_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;
const BODY_HEADERS = new Set(['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location', 'transfer-encoding']);

/** The next hop: where it goes and what it sends. */
export interface RedirectHop {
  origin: string;
  options: Dispatcher.DispatchOptions;
  /** Its URL (what the chain's cookies are chosen for). */
  url: URL;
  /** Its `authorization` is the basic auth of its Location's user-info: the next hop does not carry it on. */
  userInfoAuth: boolean;
}

/** Go's rule for passing credentials on: the same host, or a subdomain of the first request's host. */
function sameOrSubdomain(next: string, first: string): boolean {
  return next === first || next.endsWith(`.${first}`);
}

/** What the chain's first request decides for every hop. */
export interface ChainStart {
  /** Its host name: credentials go on only to it and its subdomains. */
  hostname: string;
  /** It sets its own `referer`, which every hop sends as it is. */
  setsReferer: boolean;
}

const RAW_BYTE = /[\x80-\xff\\]/g;
/** A control character (the header value is latin1: nothing beyond U+00FF). */
const CONTROL = /[^\x20-\x7e\x80-\xff]/;
const percentEncoded = (c: string): string => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`;

/**
 * The request a redirect leads to, or what is wrong with its Location.
 *
 * @param origin the origin that answered (`http://127.0.0.1:8081`)
 * @param options the request it answered
 * @param location the Location header as received (bytes read as latin1), not empty
 *
 * @example
 * redirectHop('http://a:1', { path: '/old', method: 'POST', headers: [], body: 'x' }, { hostname: 'a', setsReferer: false }, 303, '/new')
 * // { origin: 'http://a:1', options: { path: '/new', method: 'GET', headers: ['referer', 'http://a:1/old'], body: null }, url: new URL('http://a:1/new'), userInfoAuth: false }
 */
export function redirectHop(
  origin: string,
  options: Dispatcher.DispatchOptions,
  first: ChainStart,
  status: number,
  location: string,
  /** The hop that answered got its `authorization` from its own Location's user-info (`RedirectHop.userInfoAuth`). */
  userInfoAuth = false,
): RedirectHop | string {
  // For messages: servers send UTF-8 in a Location now and then.
  const shown = Buffer.from(location, 'latin1').toString('utf8');
  const from = origin + options.path;
  let url: URL;
  let userInfo: string | undefined;
  try {
    if (CONTROL.test(location)) throw new TypeError('control character');
    url = new URL(location.replace(RAW_BYTE, percentEncoded), from);
    // Go's url.Parse refuses a bad escape in the user-info (`%zz`), as decodeURIComponent does.
    if (url.username !== '' || url.password !== '') userInfo = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  } catch {
    return `HTTP ${status} redirects to "${shown}", which is not a valid URL`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `HTTP ${status} redirects to "${shown}", which is not an http(s) URL`;
  const keepBody = status === 307 || status === 308;
  const method = keepBody || options.method === 'HEAD' ? options.method : 'GET';
  // Go keeps an explicit Host only for a Location without a scheme (golang/go#22233): not for an
  // absolute one, even to the same origin. Unlike Go, not for `//other.host/` either.
  const keepHost = url.origin === origin && !HAS_SCHEME.test(location);
  const trusted = sameOrSubdomain(url.hostname, first.hostname);
  const before = (options.headers ?? []) as string[];
  const headers: string[] = [];
  for (let i = 0; i + 1 < before.length; i += 2) {
    const name = before[i]!;
    const lower = name.toLowerCase();
    if ((!keepBody && BODY_HEADERS.has(lower)) || (!trusted && CREDENTIALS.has(lower)) || (!keepHost && lower === 'host')) continue;
    // Go copies the first request's headers to every hop and adds a URL's user-info on that hop only.
    if (userInfoAuth && lower === 'authorization') continue;
    // The referer an earlier hop added is replaced by this hop's.
    if (lower === 'referer' && !first.setsReferer) continue;
    headers.push(name, before[i + 1]!);
  }
  if (!first.setsReferer && !(origin.startsWith('https:') && url.protocol === 'http:')) headers.push('referer', from);
  // A Location with user-info: Go's send() answers it with basic auth unless the hop has an Authorization.
  let addsAuth = false;
  if (userInfo !== undefined && !headers.some((h, i) => i % 2 === 0 && h.toLowerCase() === 'authorization')) {
    headers.push('authorization', `Basic ${Buffer.from(userInfo).toString('base64')}`);
    addsAuth = true;
  }
  const body = keepBody ? (options.body ?? null) : null;
  const path = url.pathname + url.search;
  return { origin: url.origin, options: { ...options, path, method, headers, body }, url, userInfoAuth: addsAuth };
}
