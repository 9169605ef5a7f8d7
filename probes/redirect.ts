/**
 * Following a redirect, as k6 does (Go's http.Client rules): the next hop's
 * URL, method, headers and body. Pure; the engine keeps the chain's state.
 *
 * - 301, 302, 303: the next request is a GET without a body (a HEAD stays a
 *   HEAD), and loses the headers that described the body;
 * - 307, 308: the same method and body;
 * - to another host (not the same host or one of its subdomains), the
 *   credentials (`authorization`, `cookie`, `www-authenticate`,
 *   `proxy-authorization`) and an explicit `host` are not sent on;
 * - the Location is resolved against the URL that answered with it; only
 *   http(s) is followed.
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

const CREDENTIALS = new Set(['authorization', 'cookie', 'cookie2', 'www-authenticate', 'proxy-authorization']);
const BODY_HEADERS = new Set(['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location', 'transfer-encoding']);

/** The next hop: where it goes and what it sends. */
export interface RedirectHop {
  origin: string;
  options: Dispatcher.DispatchOptions;
  /** Bytes of request line, headers and body on the wire, as undici writes them. */
  bytes: number;
}

/** Go's rule for passing credentials on: the same host, or a subdomain of the first request's host. */
function sameOrSubdomain(next: string, first: string): boolean {
  return next === first || next.endsWith(`.${first}`);
}

/**
 * The request a redirect leads to, or what is wrong with its Location.
 *
 * @param origin the origin that answered (`http://127.0.0.1:8081`)
 * @param options the request it answered
 * @param firstHost the host name of the chain's first request (credentials go on only to it and its subdomains)
 * @param location the Location header as received (bytes read as latin1)
 *
 * @example
 * redirectHop('http://a:1', { path: '/old', method: 'POST', headers: [], body: 'x' }, 'a', 303, '/new')
 * // { origin: 'http://a:1', options: { path: '/new', method: 'GET', headers: [], body: null }, bytes: … }
 */
export function redirectHop(origin: string, options: Dispatcher.DispatchOptions, firstHost: string, status: number, location: string): RedirectHop | string {
  // Servers send UTF-8 in a Location now and then; the URL parser percent-encodes it.
  const written = Buffer.from(location, 'latin1').toString('utf8');
  let url: URL;
  try {
    url = new URL(written, origin + options.path);
  } catch {
    return `HTTP ${status} redirects to "${written}", which is not a valid URL`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `HTTP ${status} redirects to "${written}", which is not an http(s) URL`;
  const keepBody = status === 307 || status === 308;
  const method = keepBody || options.method === 'HEAD' ? options.method : 'GET';
  const crossOrigin = url.origin !== origin;
  const trusted = sameOrSubdomain(url.hostname, firstHost);
  const before = (options.headers ?? []) as string[];
  const headers: string[] = [];
  let bytes = `${method}  HTTP/1.1\r\nhost: ${url.host}\r\nconnection: keep-alive\r\n\r\n`.length;
  for (let i = 0; i + 1 < before.length; i += 2) {
    const name = before[i]!;
    const lower = name.toLowerCase();
    if ((!keepBody && BODY_HEADERS.has(lower)) || (!trusted && CREDENTIALS.has(lower)) || (crossOrigin && lower === 'host')) continue;
    headers.push(name, before[i + 1]!);
    bytes += name.length + before[i + 1]!.length + 4;
  }
  const body = keepBody ? (options.body ?? null) : null;
  const path = url.pathname + url.search;
  bytes += path.length;
  if (body !== null) {
    const length = typeof body === 'string' ? Buffer.byteLength(body) : (body as Buffer).length;
    bytes += `content-length: ${length}\r\n`.length + length;
  }
  return { origin: url.origin, options: { ...options, path, method, headers, body }, bytes };
}
