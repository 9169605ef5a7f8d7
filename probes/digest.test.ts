import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { digestAuthorization, digestChallenge, parseChallenges } from './digest.ts';
import type { DigestChallenge } from './digest.ts';

/** The value of `name` in an Authorization: Digest header. */
function param(header: string, name: string): string | undefined {
  const m = new RegExp(`[\\s,]${name}=("((?:[^"\\\\]|\\\\.)*)"|[^,\\s]+)`).exec(` ${header.replace(/^Digest /, '')}`);
  return m ? (m[2] ?? m[1]) : undefined;
}

describe('Digest responses match the RFCs’ worked examples', () => {
  it('RFC 7616 §3.9.1: SHA-256 and MD5, qop auth', () => {
    const values = [
      'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"',
      'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=MD5, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"',
    ];
    const request = { username: 'Mufasa', password: 'Circle of Life', method: 'GET', uri: '/dir/index.html', nc: 1, cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ' };
    // The server's first (preferred) challenge is answered.
    const sha = digestChallenge(values) as DigestChallenge;
    expect(sha.algorithm).toBe('SHA-256');
    const header = digestAuthorization(sha, request);
    expect(param(header, 'response')).toBe('753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
    expect(header).toBe(
      'Digest username="Mufasa", realm="http-auth@example.org", nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", uri="/dir/index.html", algorithm=SHA-256, response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS", qop=auth, nc=00000001, cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"',
    );
    const md5 = digestChallenge([values[1]!]) as DigestChallenge;
    expect(param(digestAuthorization(md5, request), 'response')).toBe('8ca523f5e9506fed4657c9700eebdbec');
  });

  it('RFC 2617 §3.5: MD5, qop auth', () => {
    const c = digestChallenge(['Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"']) as DigestChallenge;
    expect(c).toMatchObject({ algorithm: 'MD5', qop: 'auth', opaque: '5ccc069c403ebaf9f0171e9517f40e41', stale: false, userhash: false });
    const header = digestAuthorization(c, { username: 'Mufasa', password: 'Circle Of Life', method: 'GET', uri: '/dir/index.html', nc: 1, cnonce: '0a4f113b' });
    expect(param(header, 'response')).toBe('6629fae49393a05397450978507c4ef1');
    expect(param(header, 'nc')).toBe('00000001');
    expect(param(header, 'qop')).toBe('auth');
  });

  it('RFC 2069 (no qop): H(HA1:nonce:HA2), without nc or cnonce', () => {
    const c = digestChallenge(['Digest realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093"']) as DigestChallenge;
    expect(c.qop).toBeUndefined();
    const header = digestAuthorization(c, { username: 'Mufasa', password: 'Circle Of Life', method: 'GET', uri: '/dir/index.html', nc: 1 });
    const md5 = (t: string): string => createHash('md5').update(t).digest('hex');
    expect(param(header, 'response')).toBe(md5(`${md5('Mufasa:testrealm@host.com:Circle Of Life')}:dcd98b7102dd2f0e8b11d0f600bfb0c093:${md5('GET:/dir/index.html')}`));
    expect(param(header, 'nc')).toBeUndefined();
    expect(param(header, 'cnonce')).toBeUndefined();
  });

  it('-sess hashes the nonces into HA1; auth-int hashes the body into HA2; the nonce count is hex, 8 digits', () => {
    const base = { realm: 'r', nonce: 'n', opaque: undefined, userhash: false, stale: false } as const;
    const r = { username: 'u', password: 'p', method: 'POST', uri: '/x', body: 'hello', nc: 26, cnonce: 'c' };
    const plain = digestAuthorization({ ...base, algorithm: 'MD5', qop: 'auth' }, r);
    const sess = digestAuthorization({ ...base, algorithm: 'MD5-sess', qop: 'auth' }, r);
    const int = digestAuthorization({ ...base, algorithm: 'MD5', qop: 'auth-int' }, r);
    const intOther = digestAuthorization({ ...base, algorithm: 'MD5', qop: 'auth-int' }, { ...r, body: 'other' });
    expect(new Set([plain, sess, int, intOther].map((h) => param(h, 'response'))).size).toBe(4);
    expect(param(plain, 'nc')).toBe('0000001a');
    expect(param(sess, 'algorithm')).toBe('MD5-sess');
    // The body does not enter qop=auth.
    expect(param(digestAuthorization({ ...base, algorithm: 'MD5', qop: 'auth' }, { ...r, body: 'other' }), 'response')).toBe(param(plain, 'response'));
    const sha512 = digestAuthorization({ ...base, algorithm: 'SHA-512-256', qop: 'auth' }, r);
    expect(param(sha512, 'response')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('userhash=true sends H(username:realm); quotes and backslashes in values are escaped; a random cnonce when none is given', () => {
    const c: DigestChallenge = { realm: 'api', nonce: 'n"1', opaque: 'o\\p', algorithm: 'SHA-256', qop: 'auth', userhash: true, stale: false };
    const h = digestAuthorization(c, { username: 'ann', password: 'x', method: 'GET', uri: '/', nc: 1 });
    expect(param(h, 'username')).toMatch(/^[0-9a-f]{64}$/);
    expect(param(h, 'username')).not.toContain('ann');
    expect(h).toContain('nonce="n\\"1"');
    expect(h).toContain('opaque="o\\\\p"');
    expect(h).toContain('userhash=true');
    const again = digestAuthorization(c, { username: 'ann', password: 'x', method: 'GET', uri: '/', nc: 1 });
    expect(param(again, 'cnonce')).not.toBe(param(h, 'cnonce'));
  });
});

describe('WWW-Authenticate is read as RFC 9110 writes it', () => {
  it('several challenges in one value, quoted strings with commas and escapes, token68', () => {
    expect(parseChallenges(['Newauth realm="apps", type=1, title="Login to \\"apps\\"", Basic realm="simple"'])).toEqual([
      { scheme: 'Newauth', params: new Map([['realm', 'apps'], ['type', '1'], ['title', 'Login to "apps"']]) },
      { scheme: 'Basic', params: new Map([['realm', 'simple']]) },
    ]);
    expect(parseChallenges(['Negotiate a87421000492aa874209af8bc028==, Digest realm="a, b", nonce=xyz'])).toEqual([
      { scheme: 'Negotiate', params: new Map([['', 'a87421000492aa874209af8bc028==']]) },
      { scheme: 'Digest', params: new Map([['realm', 'a, b'], ['nonce', 'xyz']]) },
    ]);
    expect(parseChallenges(['NTLM', 'Digest REALM="x" , NONCE="y"'])).toEqual([
      { scheme: 'NTLM', params: new Map() },
      { scheme: 'Digest', params: new Map([['realm', 'x'], ['nonce', 'y']]) },
    ]);
  });

  it('picks the first usable Digest challenge, skipping other schemes and algorithms it does not speak', () => {
    const c = digestChallenge(['Basic realm="b", Digest realm="d", nonce="1", algorithm=SHA-999, Digest realm="d", nonce="2", algorithm=sha-256-sess, qop="auth-int"']);
    expect(c).toMatchObject({ nonce: '2', algorithm: 'sha-256-sess', qop: 'auth-int' });
    expect(digestChallenge(['Digest realm="d", nonce="1", stale=TRUE'])).toMatchObject({ stale: true });
  });

  it('says why there is no usable challenge', () => {
    expect(digestChallenge([])).toBe('it sent no WWW-Authenticate');
    expect(digestChallenge(['Basic realm="x", Bearer'])).toBe('it offers no Digest challenge (WWW-Authenticate: Basic, Bearer)');
    expect(digestChallenge(['Digest realm="x", nonce="1", algorithm=SHA-999'])).toMatch(/^its Digest challenge is not usable \(algorithm=SHA-999\)/);
    expect(digestChallenge(['Digest realm="x", nonce="1", qop="auth-conf"'])).toMatch(/not usable \(qop=auth-conf\)/);
    expect(digestChallenge(['Digest realm="x"'])).toMatch(/not usable \(no nonce\)/);
    expect(digestChallenge(['"broken'])).toMatch(/^its WWW-Authenticate is not readable: "broken/);
  });
});
