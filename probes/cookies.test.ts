import { describe, expect, it } from 'vitest';
import { ChainCookies, CookieJar, ownCookieWithout, parseSetCookie } from './cookies.ts';

const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);

/** A jar fed `lines` by `from`, asked for `to`'s Cookie header, `laterMs` after. */
function sent(from: string, lines: string[], to: string, laterMs = 0): string {
  const jar = new CookieJar();
  jar.set(new URL(from), lines.map((l) => parseSetCookie(l)!), NOW);
  return jar.header(new URL(to), NOW + laterMs);
}

describe('parseSetCookie reads a Set-Cookie value as Go’s http.ParseSetCookie does', () => {
  it('reads the name, the value and the attributes, in any case, ignoring HttpOnly and SameSite', () => {
    expect(parseSetCookie(' sid = abc ; path=/app; DOMAIN=.Example.com; Secure; HttpOnly; SameSite=Lax; Max-Age=60')).toEqual({
      name: 'sid',
      value: ' abc',
      domain: '.Example.com',
      path: '/app',
      maxAge: 60,
      expires: undefined,
      secure: true,
    });
    expect(parseSetCookie('empty=')).toMatchObject({ name: 'empty', value: '' });
    expect(parseSetCookie('q="a b"')).toMatchObject({ value: 'a b' });
    expect(parseSetCookie('b64=YQ==; Path=/')).toMatchObject({ value: 'YQ==' });
  });

  it('drops a cookie without "=", with a name that is not a token, or with a value byte Go refuses (CR, LF, NUL, non-ASCII, ", ;, \\)', () => {
    for (const line of ['', 'novalue', '=v', 'a b=1', 'a=x\r\nInjected: 1', 'a=x\ny', 'a=x\x00y', 'a=caf\xe9', 'a=x"y', 'a=x\\y', 'a=\x01']) {
      expect(parseSetCookie(line), JSON.stringify(line)).toBeUndefined();
    }
  });

  it('ignores an attribute it cannot read and keeps the cookie', () => {
    expect(parseSetCookie('a=1; Path=/x"y; Domain=caf\xe9.com')).toMatchObject({ name: 'a', path: '', domain: '' });
    expect(parseSetCookie('a=1; Max-Age=05')!.maxAge).toBeUndefined();
    expect(parseSetCookie('a=1; Max-Age=soon')!.maxAge).toBeUndefined();
    expect(parseSetCookie('a=1; Max-Age=10; Max-Age=x')!.maxAge).toBe(10);
    expect(parseSetCookie('a=1; Max-Age=0')!.maxAge).toBe(0);
    expect(parseSetCookie('a=1; Max-Age=-5')!.maxAge).toBe(-5);
    expect(parseSetCookie('a=1; Max-Age=+5')!.maxAge).toBe(5);
  });

  it('reads Expires in Go’s two RFC 1123 layouts only; another form, or a day the month lacks, is no Expires', () => {
    expect(parseSetCookie('a=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT')!.expires).toBe(Date.UTC(2015, 9, 21, 7, 28, 0));
    expect(parseSetCookie('a=1; expires=wed, 21-oct-2015 7:28:00 UTC')!.expires).toBe(Date.UTC(2015, 9, 21, 7, 28, 0));
    for (const text of ['Wednesday, 21-Oct-15 07:28:00 GMT', 'Wed Oct 21 07:28:00 2015', 'Wed, 31 Apr 2015 07:28:00 GMT', 'Wed, 21 Oct 2015 07:28:00 gmt', 'Xyz, 21 Oct 2015 07:28:00 GMT']) {
      expect(parseSetCookie(`a=1; Expires=${text}`)!.expires, text).toBeUndefined();
    }
    // An unreadable Expires clears an earlier one, as in Go.
    expect(parseSetCookie('a=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT; Expires=never')!.expires).toBeUndefined();
  });
});

describe('CookieJar keeps cookies as Go’s cookiejar does without a public-suffix list (k6’s)', () => {
  it('sends a host-only cookie to its host only, whatever the port; a Domain cookie to the domain and its subdomains', () => {
    expect(sent('http://api.example.com/login', ['a=1'], 'http://api.example.com:8443/home')).toBe('a=1');
    expect(sent('http://api.example.com/login', ['a=1'], 'http://eu.api.example.com/home')).toBe('');
    expect(sent('http://api.example.com/login', ['a=1'], 'http://example.com/home')).toBe('');
    for (const to of ['http://example.com/', 'http://api.example.com/', 'http://a.b.example.com/']) {
      expect(sent('http://api.example.com/login', ['a=1; Domain=.EXAMPLE.com'], to), to).toBe('a=1');
    }
    expect(sent('http://api.example.com/login', ['a=1; Domain=example.com'], 'http://notexample.com/')).toBe('');
  });

  it('rejects a Domain the host does not domain-match, or a malformed one', () => {
    for (const domain of ['other.com', 'eu.api.example.com', 'ample.com', '.', '..example.com', 'example.com.']) {
      expect(sent('http://api.example.com/', [`a=1; Domain=${domain}`], 'http://api.example.com/'), domain).toBe('');
    }
  });

  it('an IP host takes host-only cookies only: no Domain, or a Domain that is the address itself', () => {
    expect(sent('http://127.0.0.1:8080/', ['a=1'], 'http://127.0.0.1:9090/')).toBe('a=1');
    expect(sent('http://127.0.0.1/', ['a=1; Domain=127.0.0.1'], 'http://127.0.0.1/')).toBe('a=1');
    expect(sent('http://127.0.0.1/', ['a=1; Domain=.127.0.0.1'], 'http://127.0.0.1/')).toBe('');
    expect(sent('http://127.0.0.1/', ['a=1; Domain=localhost'], 'http://localhost/')).toBe('');
    expect(sent('http://127.0.0.1/', ['a=1'], 'http://localhost/')).toBe('');
    expect(sent('http://[::1]:80/', ['a=1'], 'http://[::1]:81/')).toBe('a=1');
  });

  it('a cookie for a one-label domain goes back only to hosts of the setter’s last two labels (Go’s jar key)', () => {
    expect(sent('http://a.example.com/', ['a=1; Domain=com'], 'http://b.example.com/')).toBe('a=1');
    expect(sent('http://a.example.com/', ['a=1; Domain=com'], 'http://other.com/')).toBe('');
  });

  it('path-matches, with RFC 6265’s default path (the URL’s directory) when Path is missing or does not start with "/"', () => {
    const login = 'http://h.example/account/login?next=/x';
    expect(sent(login, ['a=1'], 'http://h.example/account/home')).toBe('a=1');
    expect(sent(login, ['a=1'], 'http://h.example/account')).toBe('a=1');
    expect(sent(login, ['a=1'], 'http://h.example/accounts')).toBe('');
    expect(sent(login, ['a=1'], 'http://h.example/')).toBe('');
    expect(sent(login, ['a=1; Path=relative'], 'http://h.example/account/x')).toBe('a=1');
    expect(sent(login, ['a=1; Path=/'], 'http://h.example/')).toBe('a=1');
    expect(sent(login, ['a=1; Path=/app/'], 'http://h.example/app/x')).toBe('a=1');
    expect(sent(login, ['a=1; Path=/app'], 'http://h.example/app/x')).toBe('a=1');
    expect(sent(login, ['a=1; Path=/app'], 'http://h.example/apple')).toBe('');
    expect(sent('http://h.example', ['a=1'], 'http://h.example/anything')).toBe('a=1');
    // Matched against the decoded path, as Go's URL.Path.
    expect(sent(login, ['a=1; Path=/a b'], 'http://h.example/a%20b/c')).toBe('a=1');
  });

  it('sends a Secure cookie over https only', () => {
    expect(sent('https://h.example/', ['a=1; Secure'], 'https://h.example/')).toBe('a=1');
    expect(sent('https://h.example/', ['a=1; Secure'], 'http://h.example/')).toBe('');
    // Go's jar takes a Secure cookie set over http too.
    expect(sent('http://h.example/', ['a=1; Secure'], 'https://h.example/')).toBe('a=1');
  });

  it('Max-Age (before Expires) and Expires set a lifetime; Max-Age<=0 or a past Expires deletes the stored cookie', () => {
    expect(sent('http://h.example/', ['a=1; Max-Age=2'], 'http://h.example/', 1999)).toBe('a=1');
    expect(sent('http://h.example/', ['a=1; Max-Age=2'], 'http://h.example/', 2000)).toBe('');
    expect(sent('http://h.example/', ['a=1; Max-Age=60; Expires=Thu, 01 Jan 1970 00:00:00 GMT'], 'http://h.example/')).toBe('a=1');
    expect(sent('http://h.example/', ['a=1; Expires=Thu, 01 Jan 2099 00:00:00 GMT'], 'http://h.example/')).toBe('a=1');
    for (const deletion of ['a=; Max-Age=0', 'a=x; Max-Age=-1', 'a=; Expires=Thu, 01 Jan 1970 00:00:00 GMT']) {
      expect(sent('http://h.example/', ['a=1', 'b=2', deletion], 'http://h.example/'), deletion).toBe('b=2');
      // Never stored: there is nothing to delete, and nothing is sent.
      expect(sent('http://h.example/', [deletion], 'http://h.example/'), deletion).toBe('');
    }
    // Another path or domain is another cookie: not deleted.
    expect(sent('http://h.example/', ['a=1', 'a=; Max-Age=0; Path=/x'], 'http://h.example/x')).toBe('a=1');
  });

  it('replaces a cookie of the same name, domain and path in place; orders longer paths first, then the older', () => {
    expect(sent('http://h.example/', ['z=1', 'a=1', 'z=2'], 'http://h.example/')).toBe('z=2; a=1');
    expect(sent('http://h.example/', ['short=1; Path=/', 'long=1; Path=/a/b', 'mid=1; Path=/a', 'a=1'], 'http://h.example/a/b/c')).toBe('long=1; mid=1; short=1; a=1');
    expect(sent('http://h.example/', ['a=1; Path=/', 'a=2; Path=/x'], 'http://h.example/x')).toBe('a=2; a=1');
  });

  it('quotes a value with a space or a comma, as Go’s AddCookie does; sends a quoted one without its quotes (as k6 does)', () => {
    expect(sent('http://h.example/', ['a=x y', 'b=1,2', 'c="q"', 'd=""'], 'http://h.example/')).toBe('a="x y"; b="1,2"; c=q; d=');
  });
});

describe('the request’s own Cookie header after a redirect sets cookies (Go’s makeHeadersCopier)', () => {
  it('is kept as it is when no name is set again; else loses the names set and is rewritten sorted', () => {
    expect(ownCookieWithout('b=2;a=1', new Set(['c']))).toBe('b=2;a=1');
    expect(ownCookieWithout('z=9; theme=dark; session=old; bad name=1', new Set(['session']))).toBe('theme=dark; z=9');
    expect(ownCookieWithout('session=old', new Set(['session']))).toBe('');
    expect(ownCookieWithout('a="x"; b=1; a=2', new Set(['b']))).toBe('a=2; a=x');
  });
});

describe('ChainCookies: one Cookie header per hop, the request’s own then the jar’s', () => {
  const hop = (cookies: ChainCookies, to: string, headers: string[]): string[] => cookies.headers(new URL(to), headers, NOW);

  it('replaces the hop’s Cookie with the own cookies (less those set again) followed by the jar’s', () => {
    const c = new ChainCookies(['Cookie', 'theme=dark; session=old', 'x-id', '7']);
    c.received(new URL('http://h.example/login'), ['session=new; Path=/', 'csrf=t'], NOW);
    expect(hop(c, 'http://h.example/home', ['Cookie', 'theme=dark; session=old', 'x-id', '7'])).toEqual(['x-id', '7', 'cookie', 'theme=dark; session=new; csrf=t']);
  });

  it('once the own cookies were not sent on (another host), they are not sent again; the jar’s follow their own domain', () => {
    const c = new ChainCookies(['cookie', 'own=1']);
    c.received(new URL('http://a.example/login'), ['sid=1'], NOW);
    // redirectHop dropped the Cookie on the way to b.example.
    expect(hop(c, 'http://b.example/x', [])).toEqual([]);
    expect(hop(c, 'http://a.example/home', [])).toEqual(['cookie', 'sid=1']);
    expect(hop(c, 'http://a.example/home', ['cookie', 'sid=1'])).toEqual(['cookie', 'sid=1']);
  });

  it('sends no Cookie header when there is nothing to send', () => {
    const c = new ChainCookies(['cookie', 'sid=old']);
    c.received(new URL('http://a.example/'), ['sid=; Max-Age=0'], NOW);
    expect(hop(c, 'http://a.example/', ['cookie', 'sid=old', 'accept', '*/*'])).toEqual(['accept', '*/*']);
  });

  it('ignores Set-Cookie values it cannot read, and keeps the rest', () => {
    const c = new ChainCookies([]);
    c.received(new URL('http://a.example/'), ['bad=a\r\nx: 1', 'no-equals', 'ok=1'], NOW);
    expect(hop(c, 'http://a.example/', [])).toEqual(['cookie', 'ok=1']);
  });
});
