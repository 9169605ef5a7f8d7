/**
 * HTTP_PROXY / HTTPS_PROXY / NO_PROXY, read as k6 reads them (Go's
 * `http.ProxyFromEnvironment`, golang.org/x/net/http/httpproxy):
 *
 * - `HTTP_PROXY` serves http:// origins, `HTTPS_PROXY` https:// ones; the
 *   upper-case name wins over the lower-case one, an empty value is unset.
 *   A value is an http:// or https:// URL, or `host[:port]` (taken as
 *   http://); the port defaults to 80 / 443. `user:password@` in it is
 *   sent as `Proxy-Authorization: Basic …`.
 * - Or a SOCKS5 proxy, `socks5://[user:password@]host[:port]` or
 *   `socks5h://…` (port 1080 by default, Go's `portMap`), for http:// and
 *   https:// origins alike: each connection is a SOCKS5 CONNECT tunnel
 *   (socks.ts), TLS inside it for https. Go's transport treats the two
 *   schemes the same (net/http transport.go, dialConn: `case
 *   cm.proxyURL.Scheme == "socks5" || cm.proxyURL.Scheme == "socks5h"`) and
 *   sends the target's host NAME to the proxy, which resolves it (its socks
 *   dialer's `connect` sends address type FQDN for anything that is not an
 *   IP address): so socks5:// is remote resolution too, unlike curl's.
 *   socks5h:// is newer Go's (golang/go#24135; older Go read it as a host
 *   name). `user:password@` (percent-decoded) is offered as RFC 1929
 *   username/password authentication (Go offers it whenever the URL has
 *   user-info), never sent as a header.
 * - `NO_PROXY`: comma-separated entries, `*` (nothing is proxied), a name
 *   (`example.com`: it and every name under it; `.example.com` or
 *   `*.example.com`: only the names under it), an IP address, a CIDR range,
 *   each name or address optionally with `:port`. Malformed entries are
 *   skipped, as Go skips them.
 * - `localhost` and loopback addresses are never proxied.
 * - With `REQUEST_METHOD` set (a CGI environment) `HTTP_PROXY` may be a
 *   request's `Proxy` header ("httpoxy"): Go fails every http request then,
 *   and https ones still take HTTPS_PROXY; a probe with an http:// origin is
 *   refused before it starts (`httpRefused`).
 *
 * Unlike Go, a value that is no http(s) or SOCKS5 proxy URL is an error
 * before the run (`PROBE_PROXY_INVALID`, exit 104): `socks4://` or
 * `socks://`, which Go's transport does not speak, and any other scheme,
 * which Go does not speak as named either (its older httpproxy read such a
 * value as a host name, `ftp://h:21` → proxy `ftp:80`, so that every
 * request failed). Messages never show a value's user-info (a proxy is
 * named by `url`, without it). A bracketed IPv6 address in NO_PROXY
 * (`[2001:db8::5]`) matches it, where Go's parsing skips the entry. The
 * main thread reads the environment once per run (`readProxyEnv`); each
 * worker compiles NO_PROXY once (`compileProxies`) and looks an origin up
 * when its pool is built (`proxyFor`): per origin, never per request.
 */
import { BlockList, isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { BurnwatchError } from '../common/errors.ts';
import { basicAuth } from './requests.ts';
import { compileHosts, mappedAddress } from './hosts.ts';
import type { SocksCredentials } from './socks.ts';
import type { Probe } from './spec.ts';
import { normalHost, requestOrigins } from './tls-auth.ts';

/** A proxy, as the workers get it (plain data). */
export interface ProxyServer {
  /** The proxy URL without its credentials (`http://proxy.corp:3128`): what messages name it by. */
  url: string;
  /** Its host name or IP address (IPv6 without brackets). */
  host: string;
  port: number;
  /** An https:// proxy: the connection to the proxy itself is TLS. */
  tls: boolean;
  /** `Basic …` from the URL's user-info, sent as Proxy-Authorization; absent: none (and for a SOCKS5 proxy). */
  authorization?: string;
  /**
   * A SOCKS5 proxy (`socks5://` or `socks5h://`, the same to Go): every
   * connection, to an http or an https origin, is a SOCKS5 CONNECT tunnel
   * to the origin (its host name resolved by the proxy); `credentials`,
   * from the URL's user-info, are offered for username/password
   * authentication (RFC 1929). Absent: an HTTP proxy.
   */
  socks?: { credentials?: SocksCredentials };
  /** The variable it was read from (`HTTPS_PROXY`, `https_proxy`, …), for messages. */
  variable: string;
}

/** What the environment says, read once per run on the main thread. */
export interface ProxyEnv {
  /** HTTP_PROXY (else http_proxy): for http:// origins. */
  http?: ProxyServer;
  /** HTTPS_PROXY (else https_proxy): for https:// origins. */
  https?: ProxyServer;
  /** NO_PROXY (else no_proxy), as given. */
  noProxy: string;
  /**
   * HTTP_PROXY was set in a CGI environment (REQUEST_METHOD): it is not
   * used, and a probe with an http:// origin is refused with this message
   * (Go fails its http requests; https ones still take HTTPS_PROXY).
   */
  httpRefused?: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/** The first of `names` set to a non-empty value, and its name (Go's getEnvAny). */
function variable(env: Env, ...names: string[]): { name: string; value: string } | undefined {
  for (const name of names) {
    const value = env[name];
    if (value !== undefined && value !== '') return { name, value };
  }
  return undefined;
}

/**
 * A value as messages show it: anything before its last `@` (user-info,
 * whatever it holds, parsed or not) replaced by `[redacted]`.
 */
function withoutCredentials(value: string): string {
  const at = value.lastIndexOf('@');
  if (at < 0) return value;
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(value)?.[0] ?? '';
  return `${scheme}[redacted]@${value.slice(at + 1)}`;
}

function invalid(name: string, value: string, why: string): never {
  throw new BurnwatchError('PROBE_PROXY_INVALID', `${name}: ${withoutCredentials(value.trim())} ${why}`);
}

/** Percent-decoded (Go's `url.User` decodes user-info), or as written when a `%` starts no escape. */
function percentDecoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The schemes of SOCKS5 proxies: the same to Go's transport (it sends the target's name to the proxy for both). */
const SOCKS_SCHEMES = new Set(['socks5', 'socks5h']);

/**
 * A socks5:// or socks5h:// value (`scheme` in lower case). Its URL's host
 * is opaque to WHATWG (a scheme it does not know): lower-cased here, a
 * percent-encoded international name converted to punycode; port 1080 by
 * default, as Go's `canonicalAddr`.
 */
function parseSocks(name: string, value: string, scheme: string, v: string): ProxyServer {
  const text = `${scheme}${v.slice(scheme.length)}`;
  const url = URL.canParse(text) ? new URL(text) : undefined;
  if (!url || url.hostname === '') invalid(name, value, `is not a URL: expected ${scheme}://host:port (with user:password@ for username/password authentication)`);
  let host = url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (host.includes('%')) host = domainToASCII(percentDecoded(host)) || host;
  const port = url.port ? Number(url.port) : 1080;
  const credentials = url.username !== '' || url.password !== '' ? { username: percentDecoded(url.username), password: percentDecoded(url.password) } : undefined;
  return {
    url: `${scheme}://${isIP(host) === 6 ? `[${host}]` : host}:${port}`,
    host,
    port,
    tls: false,
    socks: credentials ? { credentials } : {},
    variable: name,
  };
}

/** A proxy variable's value as a proxy, or a `PROBE_PROXY_INVALID` naming the variable. */
function parseProxy(name: string, value: string): ProxyServer {
  const v = value.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(v)?.[1]?.toLowerCase();
  if (scheme !== undefined && SOCKS_SCHEMES.has(scheme)) return parseSocks(name, value, scheme, v);
  if (scheme !== undefined && scheme !== 'http' && scheme !== 'https') {
    invalid(
      name,
      value,
      scheme.startsWith('socks')
        ? `is a ${scheme} proxy: not supported (http://, https://, socks5:// and socks5h:// proxies are)`
        : 'is not a proxy URL: expected http://, https://, socks5:// or socks5h:// (or host:port, taken as http://)',
    );
  }
  // host[:port] alone is http://, as Go reads it.
  const text = scheme === undefined ? `http://${v}` : v;
  const url = URL.canParse(text) ? new URL(text) : undefined;
  if (!url || url.hostname === '') invalid(name, value, 'is not a URL: expected http://host:port (with user:password@ for Proxy-Authorization)');
  const tls = url.protocol === 'https:';
  const auth = basicAuth(url);
  return {
    url: url.origin,
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : tls ? 443 : 80,
    tls,
    ...(auth !== undefined ? { authorization: auth } : {}),
    variable: name,
  };
}

/**
 * The proxies the environment names, once per run; undefined when it names
 * none (NO_PROXY alone changes nothing). Throws a `BurnwatchError`
 * (`PROBE_PROXY_INVALID`) for a value that is no http(s) proxy URL; HTTP_PROXY
 * in a CGI environment is left out and said in `httpRefused` (startRun
 * refuses a probe with http:// origins then).
 *
 * @example
 * readProxyEnv({ HTTPS_PROXY: 'http://bot:s3cret@proxy.corp:3128', NO_PROXY: '.internal' })
 * // { https: { url: 'http://proxy.corp:3128', host: 'proxy.corp', port: 3128, tls: false, authorization: 'Basic Ym90OnMzY3JldA==', variable: 'HTTPS_PROXY' }, noProxy: '.internal' }
 */
export function readProxyEnv(env: Env): ProxyEnv | undefined {
  const http = variable(env, 'HTTP_PROXY', 'http_proxy');
  const https = variable(env, 'HTTPS_PROXY', 'https_proxy');
  if (!http && !https) return undefined;
  if (http && variable(env, 'REQUEST_METHOD')) {
    return {
      ...(https ? { https: parseProxy(https.name, https.value) } : {}),
      noProxy: variable(env, 'NO_PROXY', 'no_proxy')?.value ?? '',
      httpRefused: `${http.name} is set and so is REQUEST_METHOD: in a CGI environment ${http.name} may come from a request's Proxy header (httpoxy), so it is not used for the probe's http:// requests (Go fails them too); unset one of them`,
    };
  }
  return {
    ...(http ? { http: parseProxy(http.name, http.value) } : {}),
    ...(https ? { https: parseProxy(https.name, https.value) } : {}),
    noProxy: variable(env, 'NO_PROXY', 'no_proxy')?.value ?? '',
  };
}

/** One NO_PROXY entry: any host, IP addresses (one, or a range), or names ending in `suffix` (with its dot). */
type Matcher = { all: true } | { ips: BlockList; port: string } | { suffix: string; port: string; orName: boolean };

/** The environment's proxies and its NO_PROXY compiled, once per worker. */
export interface ProxyTable {
  http?: ProxyServer;
  https?: ProxyServer;
  matchers: Matcher[];
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

const family = (ip: string): 'ipv4' | 'ipv6' => (isIP(ip) === 6 ? 'ipv6' : 'ipv4');

/** `host:port` / `[v6]:port` split as Go's net.SplitHostPort splits it; undefined: not of that form. */
function splitHostPort(entry: string): [string, string] | undefined {
  if (entry.startsWith('[')) {
    const end = entry.indexOf(']');
    return end > 0 && entry[end + 1] === ':' ? [entry.slice(1, end), entry.slice(end + 2)] : undefined;
  }
  const colon = entry.indexOf(':');
  return colon >= 0 && colon === entry.lastIndexOf(':') ? [entry.slice(0, colon), entry.slice(colon + 1)] : undefined;
}

/** A NO_PROXY entry (trimmed, lower case, not empty) as a matcher, or undefined: skipped (Go's config.init). */
function matcher(entry: string): Matcher | undefined {
  if (entry === '*') return { all: true };
  const cidr = /^([^/]+)\/([0-9]{1,3})$/.exec(entry);
  if (cidr && isIP(cidr[1]!) !== 0 && Number(cidr[2]) <= (isIP(cidr[1]!) === 4 ? 32 : 128)) {
    const ips = new BlockList();
    ips.addSubnet(cidr[1]!, Number(cidr[2]), family(cidr[1]!));
    return { ips, port: '' };
  }
  const [bare, port] = splitHostPort(entry) ?? [entry, ''];
  let host = bare.replace(/^\[(.*)\]$/, '$1');
  if (host === '') return undefined;
  if (isIP(host) !== 0) {
    const ips = new BlockList();
    ips.addAddress(host, family(host));
    return { ips, port };
  }
  if (host.startsWith('*.')) host = host.slice(1);
  const orName = !host.startsWith('.');
  // An internationalised name as origins have it (punycode); one that does not convert is kept as written.
  if (/[\u0080-\uffff]/.test(host)) host = domainToASCII(host) || host;
  // Trailing dots are dropped on both sides (see proxyFor); `.` or `*.` alone would then match every name.
  const suffix = (orName ? `.${host}` : host).replace(/\.$/, '');
  return suffix === '' ? undefined : { suffix, port, orName };
}

/** The environment's proxies with NO_PROXY compiled, once per worker; undefined: no proxy. */
export function compileProxies(env: ProxyEnv | undefined): ProxyTable | undefined {
  if (!env) return undefined;
  const matchers: Matcher[] = [];
  for (const raw of env.noProxy.split(',')) {
    const m = matcher(raw.trim().toLowerCase());
    if (m && 'all' in m) {
      matchers.splice(0, matchers.length, m);
      break;
    }
    if (m) matchers.push(m);
  }
  return { ...(env.http ? { http: env.http } : {}), ...(env.https ? { https: env.https } : {}), matchers };
}

/**
 * The proxy connections to `origin` go through, or undefined: dialled
 * directly (no proxy for its scheme, localhost or a loopback address, or a
 * NO_PROXY match). Called when an origin's pool is built.
 */
export function proxyFor(table: ProxyTable | undefined, origin: string): ProxyServer | undefined {
  if (!table) return undefined;
  const url = new URL(origin);
  const proxy = url.protocol === 'https:' ? table.https : url.protocol === 'http:' ? table.http : undefined;
  if (!proxy) return undefined;
  // Unlike Go, a trailing dot is dropped first: `localhost.` is localhost.
  const host = normalHost(url.hostname);
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  const ip = isIP(host) !== 0;
  if (host === 'localhost' || (ip && LOOPBACK.check(host, family(host)))) return undefined;
  for (const m of table.matchers) {
    if ('all' in m) return undefined;
    if (m.port !== '' && m.port !== port) continue;
    if ('ips' in m ? ip && m.ips.check(host, family(host)) : host.endsWith(m.suffix) || (m.orName && host === m.suffix.slice(1))) return undefined;
  }
  return proxy;
}

/**
 * The probe's own origins that go through a proxy (`hosts`-mapped ones are
 * dialled directly), each with its proxy: what `burnwatch run` shows under
 * its header. Redirect targets are decided when a redirect leads there.
 */
export function proxiedOrigins(probe: Pick<Probe, 'target' | 'requests' | 'hosts'>, env: ProxyEnv | undefined): { origin: string; proxy: ProxyServer }[] {
  const table = compileProxies(env);
  if (!table) return [];
  const hosts = compileHosts(probe.hosts);
  const out: { origin: string; proxy: ProxyServer }[] = [];
  for (const origin of requestOrigins(probe)) {
    const proxy = mappedAddress(hosts, origin) ? undefined : proxyFor(table, origin);
    if (proxy) out.push({ origin, proxy });
  }
  return out;
}
