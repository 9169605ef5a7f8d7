/**
 * Digest auth over non-ASCII realms and user names (found in review).
 *
 * Digest auth and bytes: a header's value is bytes. Go (k6) and Apache's
 * mod_auth_digest hash the realm and the user name as the bytes that go on
 * the wire (a UTF-8 realm from an Apache `AuthName "Zürich"`, a user name
 * percent-decoded from the URL as UTF-8). The server below checks answers
 * that way, over the raw bytes, as Apache does (confirmed by hand: Apache
 * with `AuthName "Zürich"` accepts `curl --digest`, and refuses burnwatch).
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startRun } from './run.ts';
import { iterations, probe } from './test-support.ts';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});

const md5 = (b: Buffer | string): string => createHash('md5').update(b).digest('hex');
/** A header value as the bytes it was on the wire (node:http reads header values as latin1). */
const bytes = (headerValue: string): Buffer => Buffer.from(headerValue, 'latin1');

/**
 * A Digest (MD5, qop auth) server that, as Apache and Go do, works on bytes:
 * the realm goes out as its UTF-8 bytes and an answer is checked over the raw
 * bytes of its user name and realm. Records each response's status.
 */
async function byteDigestServer(user: string, password: string, realm: string): Promise<{ url: (userinfo: string) => string; statuses: number[] }> {
  const realmBytes = Buffer.from(realm, 'utf8');
  const userBytes = Buffer.from(user, 'utf8');
  const nonce = 'dcd98b7102dd2f0e8b11d0f600bfb0c093';
  const statuses: number[] = [];
  const server = createServer((req, res) => {
    req.resume();
    const auth = req.headers.authorization;
    if (auth?.startsWith('Digest ')) {
      const p = new Map<string, string>();
      for (const m of auth.slice(7).matchAll(/([a-z0-9-]+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]+))/gi)) p.set(m[1]!.toLowerCase(), m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!);
      const u = bytes(p.get('username') ?? '');
      const r = bytes(p.get('realm') ?? '');
      if (u.equals(userBytes) && r.equals(realmBytes) && p.get('nonce') === nonce) {
        const ha1 = md5(Buffer.concat([u, Buffer.from(':'), r, Buffer.from(`:${password}`)]));
        const ha2 = md5(`${req.method}:${p.get('uri')}`);
        if (p.get('response') === md5(`${ha1}:${nonce}:${p.get('nc')}:${p.get('cnonce')}:auth:${ha2}`)) {
          statuses.push(200);
          res.end('{"ok":true}');
          return;
        }
      }
    }
    statuses.push(401);
    res.statusCode = 401;
    // node:http writes a header value's characters as bytes (latin1): this writes the realm's UTF-8 bytes.
    res.setHeader('www-authenticate', `Digest realm="${realmBytes.toString('latin1')}", nonce="${nonce}", qop="auth", algorithm=MD5`);
    // A Buffer body: a string one would make node:http send the header block UTF-8-encoded along with it.
    res.end(Buffer.from('unauthorized'));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { url: (userinfo) => `http://${userinfo}@127.0.0.1:${port}`, statuses };
}

describe('auth: digest, byte for byte as Go (k6) and Apache compute it', () => {
  it('answers a challenge whose realm is not ASCII (a UTF-8 realm, as Apache sends AuthName "Zürich") with the hash of the realm’s bytes', async () => {
    const server = await byteDigestServer('ann', 'pw', 'Zürich');
    const summary = await startRun(probe({ target: server.url('ann:pw'), auth: 'digest', scenario: iterations(1), requests: [{ name: 'get', url: '/flags' }] }), { threads: 1 }).done;
    expect(summary.errors.map((e) => e.message)).toEqual([]);
    expect(summary.outcomes.ok).toBe(1);
    expect(server.statuses).toEqual([401, 200]);
  });

  it('sends a user name outside Latin-1 (Łukasz, percent-encoded UTF-8 in the URL) as its UTF-8 bytes, as Go does, instead of "not sent: invalid authorization header"', async () => {
    const server = await byteDigestServer('Łukasz', 'pw', 'api');
    const summary = await startRun(probe({ target: server.url('%C5%81ukasz:pw'), auth: 'digest', scenario: iterations(1), requests: [{ name: 'get', url: '/flags' }] }), { threads: 1 }).done;
    expect(summary.errors.map((e) => e.message)).toEqual([]);
    expect(summary.outcomes.ok).toBe(1);
    expect(server.statuses).toEqual([401, 200]);
  });
});
