/**
 * cookies.ts / redirect.ts against k6 (Go's net/http and net/http/cookiejar),
 * edges a review found. Each test failed on the code before its fix; each says
 * what Go/k6 does, what burnwatch did instead, and where Go does it.
 */
import { describe, expect, it } from 'vitest';
import { CookieJar, parseSetCookie } from './cookies.ts';
import { redirectHop } from './redirect.ts';
import type { RedirectHop } from './redirect.ts';

const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);

function hop(origin: string, headers: string[], location: string, status = 302): RedirectHop {
  const r = redirectHop(origin, { path: '/start', method: 'GET', headers, body: null }, { hostname: new URL(origin).hostname, setsReferer: false }, status, location);
  if (typeof r === 'string') throw new Error(r);
  return r;
}

/** The hop's headers as a name (lower case) → value map. */
function headerMap(h: RedirectHop): Record<string, string> {
  const list = (h.options.headers ?? []) as string[];
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < list.length; i += 2) out[list[i]!.toLowerCase()] = list[i + 1]!;
  return out;
}

describe('redirects as Go’s http.Client follows them', () => {
  it('drops Proxy-Authenticate (as well as Proxy-Authorization) on the way to another host', () => {
    // Go ≥ 1.24.4 / 1.23.10 (CVE-2025-4673, golang/go#73816): makeHeadersCopier treats
    // "Authorization", "Www-Authenticate", "Cookie", "Cookie2", "Proxy-Authorization" and
    // "Proxy-Authenticate" as sensitive and strips all of them once a redirect leaves the
    // first host's domain (src/net/http/client.go). burnwatch's CREDENTIALS set
    // (redirect.ts) lacked proxy-authenticate, so the header went on to the other host.
    const h = headerMap(hop('http://api.example', ['proxy-authorization', 'Basic YTpi', 'proxy-authenticate', 'Basic realm="x"', 'x-id', '7'], 'http://other.example/x'));
    expect(h['proxy-authorization']).toBeUndefined();
    expect(h['x-id']).toBe('7');
    expect(h['proxy-authenticate']).toBeUndefined();
  });

  it('an explicit Host goes on only when the Location is relative, not to an absolute Location on the same origin', () => {
    // Go (src/net/http/client.go, Client.do): `if req.Host != "" && req.Host != req.URL.Host
    // { if u, _ := url.Parse(loc); u != nil && !u.IsAbs() { host = req.Host } }` — the
    // custom Host (k6 puts a `Host` header in req.Host, js/modules/k6/http/request.go) is kept
    // only for a Location without a scheme (golang/go#22233). A server that answers with an
    // absolute URL to itself (common) makes Go send Host: <the URL's host> on the next hop.
    // burnwatch kept `host: canary.example` because the origin did not change.
    const h = headerMap(hop('http://127.0.0.1:8080', ['host', 'canary.example'], 'http://127.0.0.1:8080/next'));
    expect(h.host).toBeUndefined();
  });

  it('a Location with user-info sends its credentials as basic auth on that hop', () => {
    // Go's send() (src/net/http/client.go) runs for every hop: `if u := req.URL.User; u != nil
    // && req.Header.Get("Authorization") == "" { req.Header.Set("Authorization", "Basic "+…) }`,
    // so a redirect to http://user:pass@host/… is answered with Authorization: Basic (k6 sends
    // a request URL's credentials the same way, as burnwatch does for the first request — README
    // "Credentials in a URL"). redirectHop kept only pathname+search: the hop sent no credentials.
    const h = headerMap(hop('http://api.example', [], 'http://user:pass@api.example/private'));
    expect(h.authorization).toBe(`Basic ${Buffer.from('user:pass').toString('base64')}`);
  });
});

describe('Set-Cookie Expires read with Go’s time.Parse', () => {
  it('reads a numeric zone such as "+0000" (Go’s parseTimeZone "Special Case 3"), so an Expires in the past deletes the cookie', () => {
    // http.ParseSetCookie parses Expires with time.Parse(time.RFC1123, …) (layout "… MST").
    // For the MST element, time.parseTimeZone accepts "+hh"/"+hhmm" when leadingInt is ≤ 23
    // (src/time/format.go: parseSignedOffset), so "+0000" is a zone (an unknown one: offset 0)
    // and "Thu, 01 Jan 1970 00:00:00 +0000" is the Unix epoch. The jar then deletes the cookie
    // (cookiejar newEntry: `!c.Expires.After(now)` → remove). burnwatch's EXPIRES regex only
    // took [A-Z]{3,5} zones: no Expires, so the "deletion" stored a session cookie `a=`.
    expect(parseSetCookie('a=; Expires=Thu, 01 Jan 1970 00:00:00 +0000')!.expires).toBe(0);
    const jar = new CookieJar();
    const url = new URL('http://h.example/');
    jar.set(url, [parseSetCookie('a=1')!], NOW);
    jar.set(url, [parseSetCookie('a=; Expires=Thu, 01 Jan 1970 00:00:00 +0000')!], NOW);
    expect(jar.header(url, NOW)).toBe('');
  });

  it('takes zone names as Go’s parseTimeZone does: GMT+h is one, a 4-letter name not ending in T is not', () => {
    // src/time/format.go parseTimeZone: "GMT" may carry an hour offset (parseGMT), and a run of
    // 4 upper-case letters is a zone only if it ends in "T" (or is "WITA"), 5 only if it ends in
    // "T". A fake zone's instant is the clock time read as UTC (parse: `t.setLoc(FixedZone(…))`
    // without addSec), so "07:28:00 GMT+2" is 07:28:00Z. burnwatch's [A-Z]{3,5} took "ABCD"
    // (Go: no Expires, a session cookie) and refuses "GMT+2" (Go: an Expires).
    expect(parseSetCookie('a=1; Expires=Wed, 21 Oct 2015 07:28:00 ABCD')!.expires).toBeUndefined();
    expect(parseSetCookie('a=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT+2')!.expires).toBe(Date.UTC(2015, 9, 21, 7, 28, 0));
  });
});

describe('redirect edges', () => {
  it('a Location whose user-info holds a bad escape is not a valid URL (Go’s url.Parse refuses it), not a crash', () => {
    const r = redirectHop('http://api.example', { path: '/start', method: 'GET', headers: [], body: null }, { hostname: 'api.example', setsReferer: false }, 302, 'http://us%zzer:pw@api.example/x');
    expect(r).toBe('HTTP 302 redirects to "http://us%zzer:pw@api.example/x", which is not a valid URL');
  });

  it('keeps an explicit Host for a path-only Location, and a hop’s own Authorization over a Location’s user-info', () => {
    expect(headerMap(hop('http://127.0.0.1:8080', ['host', 'canary.example'], '/next')).host).toBe('canary.example');
    const h = headerMap(hop('http://api.example', ['authorization', 'Bearer t'], 'http://user:pass@api.example/private'));
    expect(h.authorization).toBe('Bearer t');
  });
});
