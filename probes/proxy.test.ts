/**
 * Which proxy an origin takes, from the environment as Go's
 * `http.ProxyFromEnvironment` (golang.org/x/net/http/httpproxy) reads it.
 * Pure: the environment is passed in. Whole runs through a real proxy:
 * proxy-run.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { BurnwatchError } from '../common/index.ts';
import { compileProxies, proxyFor, readProxyEnv } from './proxy.ts';

/** The proxy URL `origin` takes under `env`, or undefined (dialled directly). */
function via(env: Record<string, string>, origin: string): string | undefined {
  return proxyFor(compileProxies(readProxyEnv(env)), origin)?.url;
}

function thrown(env: Record<string, string>): BurnwatchError {
  try {
    readProxyEnv(env);
  } catch (err) {
    if (err instanceof BurnwatchError) return err;
    throw err;
  }
  throw new Error('expected a BurnwatchError');
}

const P = 'http://proxy.corp:3128';

describe('reading the environment (httpproxy.FromEnvironment)', () => {
  it('HTTP_PROXY serves http origins, HTTPS_PROXY https ones; none set: no proxy at all', () => {
    expect(readProxyEnv({})).toBeUndefined();
    expect(readProxyEnv({ NO_PROXY: 'a.test', PATH: '/bin' })).toBeUndefined();
    expect(via({ HTTP_PROXY: P }, 'http://api.example.com')).toBe(P);
    expect(via({ HTTP_PROXY: P }, 'https://api.example.com')).toBeUndefined();
    expect(via({ HTTPS_PROXY: P }, 'https://api.example.com')).toBe(P);
    expect(via({ HTTPS_PROXY: P }, 'http://api.example.com')).toBeUndefined();
  });

  it('the upper-case name wins over the lower-case one; an empty value counts as unset', () => {
    expect(via({ HTTP_PROXY: P, http_proxy: 'http://other:1' }, 'http://a.example')).toBe(P);
    expect(via({ HTTP_PROXY: '', http_proxy: P }, 'http://a.example')).toBe(P);
    expect(via({ HTTPS_PROXY: P, https_proxy: 'http://other:1' }, 'https://a.example')).toBe(P);
    expect(via({ https_proxy: P }, 'https://a.example')).toBe(P);
    expect(via({ HTTPS_PROXY: P, NO_PROXY: '', no_proxy: 'a.example' }, 'https://a.example')).toBeUndefined();
    expect(via({ HTTPS_PROXY: P, NO_PROXY: 'b.example', no_proxy: 'a.example' }, 'https://a.example')).toBe(P);
  });

  it('host[:port] without a scheme is taken as http://; the port defaults to 80 (http) or 443 (https); credentials become Basic, percent-decoded', () => {
    const env = readProxyEnv({ HTTP_PROXY: 'proxy.corp:3128', HTTPS_PROXY: 'https://bot:p%40ss@[2001:db8::1]' })!;
    expect(env.http).toEqual({ url: 'http://proxy.corp:3128', host: 'proxy.corp', port: 3128, tls: false, variable: 'HTTP_PROXY' });
    expect(env.https).toEqual({ url: 'https://[2001:db8::1]', host: '2001:db8::1', port: 443, tls: true, authorization: `Basic ${Buffer.from('bot:p@ss').toString('base64')}`, variable: 'HTTPS_PROXY' });
    expect(readProxyEnv({ HTTP_PROXY: '10.0.0.1' })!.http).toEqual({ url: 'http://10.0.0.1', host: '10.0.0.1', port: 80, tls: false, variable: 'HTTP_PROXY' });
    expect(readProxyEnv({ http_proxy: '10.0.0.1' })!.http!.variable).toBe('http_proxy');
    expect(readProxyEnv({ HTTP_PROXY: 'http://user@proxy.corp:8080/' })!.http!.authorization).toBe(`Basic ${Buffer.from('user:').toString('base64')}`);
  });

  it('socks5:// and socks5h:// are SOCKS5 proxies (the same to Go: the proxy resolves the target’s name); port 1080 by default; user-info for RFC 1929, percent-decoded, never a Proxy-Authorization', () => {
    const env = readProxyEnv({ HTTPS_PROXY: 'socks5://bot:p%40ss%20word@Proxy.Corp', HTTP_PROXY: 'socks5h://127.0.0.1:9050' })!;
    expect(env.https).toEqual({ url: 'socks5://proxy.corp:1080', host: 'proxy.corp', port: 1080, tls: false, socks: { credentials: { username: 'bot', password: 'p@ss word' } }, variable: 'HTTPS_PROXY' });
    expect(env.http).toEqual({ url: 'socks5h://127.0.0.1:9050', host: '127.0.0.1', port: 9050, tls: false, socks: {}, variable: 'HTTP_PROXY' });
    // Any case of the scheme (Go lower-cases it); IPv6 in brackets; a user without a password (Go: an empty one).
    expect(readProxyEnv({ https_proxy: 'SOCKS5H://bot@[2001:db8::1]:1081/' })!.https).toEqual({
      url: 'socks5h://[2001:db8::1]:1081',
      host: '2001:db8::1',
      port: 1081,
      tls: false,
      socks: { credentials: { username: 'bot', password: '' } },
      variable: 'https_proxy',
    });
    expect(via({ HTTPS_PROXY: 'socks5://proxy.corp:1080' }, 'https://api.example.com')).toBe('socks5://proxy.corp:1080');
    expect(via({ HTTP_PROXY: 'socks5://proxy.corp:1080', NO_PROXY: '.example.com' }, 'http://api.example.com')).toBeUndefined();
    expect(via({ HTTP_PROXY: 'socks5://proxy.corp:1080' }, 'http://127.0.0.1:8080')).toBeUndefined();
  });

  it('a value that is no http(s) or SOCKS5 proxy URL is an error before the run, naming the variable, never its credentials', () => {
    const socks4 = thrown({ HTTPS_PROXY: 'socks4://bot:hunter22@127.0.0.1:1080' });
    expect(socks4.code).toBe('PROBE_PROXY_INVALID');
    expect(socks4.message).toMatch(/^HTTPS_PROXY: socks4:\/\/\[redacted\]@127\.0\.0\.1:1080 .*socks4 .*not supported \(http:\/\/, https:\/\/, socks5:\/\/ and socks5h:\/\/ proxies are\)/);
    expect(socks4.message).not.toMatch(/hunter22/);
    expect(thrown({ HTTPS_PROXY: 'socks://127.0.0.1:1080' }).message).toMatch(/^HTTPS_PROXY: socks:\/\/127\.0\.0\.1:1080 .*socks .*not supported/);
    expect(thrown({ http_proxy: 'ftp://proxy.corp:21' }).message).toMatch(/^http_proxy: ftp:\/\/proxy\.corp:21 .*http:\/\/, https:\/\/, socks5:\/\//);
    expect(thrown({ HTTP_PROXY: 'http://proxy.corp:99999' }).message).toMatch(/^HTTP_PROXY: .*not a URL/);
    expect(thrown({ HTTP_PROXY: 'http://' }).message).toMatch(/^HTTP_PROXY: .*not a URL/);
    expect(thrown({ HTTPS_PROXY: 'http://proxy corp' }).message).toMatch(/^HTTPS_PROXY: .*not a URL/);
    expect(thrown({ HTTPS_PROXY: 'socks5://' }).message).toMatch(/^HTTPS_PROXY: socks5:\/\/ is not a URL: expected socks5:\/\/host:port/);
    expect(thrown({ HTTPS_PROXY: 'socks5://proxy.corp:70000' }).message).toMatch(/^HTTPS_PROXY: .*not a URL/);
  });

  it('never shows the password, even in a value that does not parse (no scheme, an unencoded "/" or "@" in it)', () => {
    for (const value of ['bot:hunter22@proxy.corp:99999', 'http://bot:hunter/22@proxy.corp:3128', 'http://bot:hun@ter22@proxy corp', 'socks4://bot:hunter22@127.0.0.1:1080', 'socks5://bot:hunter22@proxy corp', 'socks5h://bot:hun@ter22@proxy.corp:99999']) {
      const m = thrown({ HTTPS_PROXY: value }).message;
      expect(m).not.toMatch(/hunter|hun@ter/);
      expect(m).toMatch(/^HTTPS_PROXY: .*\[redacted\]@/);
    }
    expect(thrown({ HTTPS_PROXY: 'bot:hunter22@proxy.corp:99999' }).message).toMatch(/^HTTPS_PROXY: \[redacted\]@proxy\.corp:99999 /);
  });

  it('in a CGI environment (REQUEST_METHOD set) HTTP_PROXY may be a request’s Proxy header (httpoxy): it is not used, and a probe with an http:// origin is refused (Go fails its http requests); HTTPS_PROXY is fine', () => {
    const env = readProxyEnv({ HTTP_PROXY: P, HTTPS_PROXY: P, REQUEST_METHOD: 'GET' })!;
    expect(env.http).toBeUndefined();
    expect(env.httpRefused).toMatch(/HTTP_PROXY.*REQUEST_METHOD.*CGI/);
    expect(via({ HTTP_PROXY: P, HTTPS_PROXY: P, REQUEST_METHOD: 'GET' }, 'https://a.example')).toBe(P);
    expect(via({ HTTPS_PROXY: P, REQUEST_METHOD: 'GET' }, 'https://a.example')).toBe(P);
  });
});

describe('which origins are proxied (httpproxy useProxy)', () => {
  const env = (noProxy: string): Record<string, string> => ({ HTTP_PROXY: P, HTTPS_PROXY: P, NO_PROXY: noProxy });

  it('localhost and loopback addresses never are, whatever NO_PROXY says', () => {
    for (const origin of ['http://localhost:8080', 'https://LOCALHOST', 'http://localhost.', 'http://127.0.0.1', 'http://127.8.9.10:81', 'https://[::1]:8443', 'http://[::ffff:127.0.0.1]', 'http://0x7f.1']) {
      expect(via(env(''), origin), origin).toBeUndefined();
    }
    // Only those: a name under localhost, or another private address, is proxied.
    expect(via(env(''), 'http://api.localhost')).toBe(P);
    expect(via(env(''), 'http://10.0.0.1')).toBe(P);
  });

  it('"*" alone: nothing is proxied', () => {
    expect(via(env('*'), 'https://api.example.com')).toBeUndefined();
    expect(via(env('a.test, *'), 'http://10.1.2.3')).toBeUndefined();
  });

  it('example.com matches the name and every name under it; .example.com and *.example.com only the names under it', () => {
    expect(via(env('example.com'), 'https://example.com')).toBeUndefined();
    expect(via(env('example.com'), 'https://api.example.com')).toBeUndefined();
    expect(via(env('example.com'), 'https://a.b.example.com')).toBeUndefined();
    expect(via(env('example.com'), 'https://notexample.com')).toBe(P);
    for (const entry of ['.example.com', '*.example.com']) {
      expect(via(env(entry), 'https://example.com'), entry).toBe(P);
      expect(via(env(entry), 'https://api.example.com'), entry).toBeUndefined();
    }
  });

  it('entries are comma-separated, trimmed, any case; host:port matches only that port (the URL’s, 80/443 by default)', () => {
    expect(via(env(' Other.test ,  API.Example.com '), 'https://api.example.com')).toBeUndefined();
    expect(via(env('example.com:443'), 'https://api.example.com')).toBeUndefined();
    expect(via(env('example.com:443'), 'http://api.example.com')).toBe(P);
    expect(via(env('example.com:8443'), 'https://api.example.com:8443')).toBeUndefined();
    expect(via(env('api.example.com.'), 'https://api.example.com.')).toBeUndefined();
  });

  it('IP addresses, with or without a port, and CIDR ranges (IPv4 and IPv6) match IP-address origins', () => {
    expect(via(env('10.0.0.5'), 'http://10.0.0.5:8080')).toBeUndefined();
    expect(via(env('10.0.0.5:80'), 'http://10.0.0.5')).toBeUndefined();
    expect(via(env('10.0.0.5:80'), 'http://10.0.0.5:8080')).toBe(P);
    expect(via(env('10.0.0.0/8'), 'http://10.200.3.4')).toBeUndefined();
    expect(via(env('10.0.0.0/8'), 'http://11.0.0.1')).toBe(P);
    expect(via(env('2001:db8::/32'), 'https://[2001:db8:1::5]')).toBeUndefined();
    expect(via(env('[2001:db8::5]:443'), 'https://[2001:db8::5]')).toBeUndefined();
    expect(via(env('2001:db8::5'), 'https://[2001:db8:0:0::5]:8443')).toBeUndefined();
    // An IPv4 entry covers the IPv4-mapped IPv6 form of the address.
    expect(via(env('10.0.0.0/8'), 'http://[::ffff:10.1.1.1]')).toBeUndefined();
    // A name is not its address: 10.0.0.0/8 does not cover api.internal, whatever it resolves to.
    expect(via(env('10.0.0.0/8'), 'http://api.internal')).toBe(P);
  });

  it('malformed entries are skipped, as Go skips them', () => {
    expect(via(env(':80, ,,[, example.com'), 'https://example.com')).toBeUndefined();
    expect(via(env(':80'), 'https://example.com')).toBe(P);
    expect(via(env('., *.'), 'https://example.com')).toBe(P);
  });
});
