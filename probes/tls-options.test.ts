/**
 * k6's `tlsVersion` and `tlsCipherSuites`: validation, the mapping of k6's
 * (Go's) suite names to OpenSSL's, and whole runs against real `node:https`
 * servers on 127.0.0.1 that accept only some versions or suites (their
 * certificate is the test CA's for 127.0.0.1 / localhost, trusted through
 * tlsCACerts; fixtures: probes/fixtures/make-mtls.sh).
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { ServerOptions } from 'node:https';
import type { AddressInfo } from 'node:net';
import { connect, createSecureContext, createServer as createTlsServer, getCiphers } from 'node:tls';
import type { TLSSocket } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { startRun } from './run.ts';
import { probeSpecSchema } from './spec.ts';
import { fixturePath as path, iterations, probe } from './test-support.ts';
import { TlsContexts } from './tls-auth.ts';
import { CIPHER_SUITES, describeTlsVersions, tlsConnectOptions } from './tls-options.ts';

const pem = (name: string): string => readFileSync(path(name), 'utf8');
const CA = path('mtls-ca.crt');
const CLIENT = { cert: path('mtls-client.crt'), key: path('mtls-client.key') };

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0)) await fn();
});

function problems(spec: Record<string, unknown>): { path: string; message: string }[] {
  const r = probeSpecSchema.safeParse({ target: 'https://api.example.com', scenario: iterations(1), requests: [{ name: 'a', url: '/x' }], ...spec });
  return r.success ? [] : r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}

/** The one problem `spec` has, as `path: message`. */
function problem(spec: Record<string, unknown>): string {
  const found = problems(spec);
  expect(found).toHaveLength(1);
  return `${found[0]!.path}: ${found[0]!.message}`;
}

describe('tlsVersion / tlsCipherSuites validation', () => {
  it('accepts k6’s forms: a version name, { min, max } (either omitted), Go’s suite names (TLS 1.3 ones beside TLS 1.2 ones)', () => {
    expect(problems({ tlsVersion: 'tls1.2' })).toEqual([]);
    expect(problems({ tlsVersion: { min: 'tls1.0', max: 'tls1.2' } })).toEqual([]);
    expect(problems({ tlsVersion: { min: 'tls1.3' } })).toEqual([]);
    expect(problems({ tlsVersion: { max: 'tls1.2' } })).toEqual([]);
    expect(problems({ tlsVersion: {} })).toEqual([]);
    expect(problems({ tlsCipherSuites: ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'TLS_RSA_WITH_AES_128_CBC_SHA', 'TLS_AES_128_GCM_SHA256'] })).toEqual([]);
    expect(problems({ tlsCipherSuites: ['TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305', 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256'] })).toEqual([]);
    expect(problems({ tlsVersion: { min: 'tls1.0', max: 'tls1.1' }, tlsCipherSuites: ['TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA'] })).toEqual([]);
  });

  it('rejects an unknown version with a “did you mean”, ssl3.0 saying why, and min above max (a default named as such)', () => {
    expect(problems({ tlsVersion: 'TLSv1.2' })).toEqual([{ path: 'tlsVersion', message: 'unknown TLS version "TLSv1.2"; did you mean tls1.2? (k6\'s names: tls1.0, tls1.1, tls1.2, tls1.3)' }]);
    expect(problem({ tlsVersion: { min: 'tls1.2', max: 'tls13' } })).toMatch(/^tlsVersion\.max: unknown TLS version "tls13"; did you mean tls1\.3\?/);
    expect(problems({ tlsVersion: 'http2' })[0]!.message).toBe('unknown TLS version "http2" (k6\'s names: tls1.0, tls1.1, tls1.2, tls1.3)');
    // k6's own TLS example still writes min: 'ssl3.0'.
    expect(problem({ tlsVersion: { min: 'ssl3.0', max: 'tls1.2' } })).toBe('tlsVersion.min: SSL 3.0 ("ssl3.0") is not supported: k6 dropped it, as Go and Node\'s OpenSSL did; the oldest version is tls1.0');
    expect(problems({ tlsVersion: { min: 'tls1.3', max: 'tls1.2' } })).toEqual([{ path: 'tlsVersion', message: 'min tls1.3 is above max tls1.2: no TLS version is left to connect with' }]);
    expect(problems({ tlsVersion: { max: 'tls1.1' } })).toEqual([
      { path: 'tlsVersion', message: 'min tls1.2 (the default) is above max tls1.1: no TLS version is left to connect with; give min too, e.g. { min: tls1.0, max: tls1.1 }' },
    ]);
    expect(problems({ tlsVersion: 12 })[0]!.message).toMatch(/expected a TLS version \(tls1\.0, tls1\.1, tls1\.2, tls1\.3\) or \{ min, max \}/);
    expect(problems({ tlsVersion: { min: 'tls1.2', maximum: 'tls1.3' } }).map((p) => p.path)).toEqual(['tlsVersion']);
  });

  it('rejects an unknown suite (“did you mean”), OpenSSL’s name for one (naming k6’s), an empty list, and lists that would change nothing', () => {
    const found = problems({ tlsCipherSuites: ['TLS_ECDHE_RSA_WITH_AES128_GCM_SHA256', 'ECDHE-RSA-AES256-GCM-SHA384', 'TLS_NOTHING_LIKE_IT', 7] });
    expect(found).toEqual([
      { path: 'tlsCipherSuites.3', message: 'expected a cipher suite name, such as TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256' },
      {
        path: 'tlsCipherSuites.0',
        message: 'unknown cipher suite "TLS_ECDHE_RSA_WITH_AES128_GCM_SHA256"; did you mean TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256? (k6\'s names are Go\'s, such as TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)',
      },
      { path: 'tlsCipherSuites.1', message: '"ECDHE-RSA-AES256-GCM-SHA384" is OpenSSL\'s name; write k6\'s (Go\'s, IANA\'s): TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384' },
      { path: 'tlsCipherSuites.2', message: 'unknown cipher suite "TLS_NOTHING_LIKE_IT" (k6\'s names are Go\'s, such as TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)' },
    ]);
    expect(problems({ tlsCipherSuites: [] })[0]!.message).toBe('expected at least one cipher suite; to allow every suite, leave tlsCipherSuites out');
    // Go ignores CipherSuites for TLS 1.3: a list of TLS 1.3 suites, or one with TLS 1.3 only, would restrict nothing.
    expect(problem({ tlsCipherSuites: ['TLS_AES_256_GCM_SHA384'] })).toMatch(/^tlsCipherSuites: lists only TLS 1\.3 suites, which cannot be chosen \(k6 ignores them.*set tlsVersion: tls1\.3\)$/);
    expect(problem({ tlsVersion: 'tls1.3', tlsCipherSuites: ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'] })).toMatch(
      /^tlsCipherSuites: restricts TLS 1\.0–1\.2 suites only, and tlsVersion allows only TLS 1\.3 .*remove it$/,
    );
    expect(problem({ tlsVersion: { min: 'tls1.0', max: 'tls1.1' }, tlsCipherSuites: ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'] })).toMatch(
      /^tlsCipherSuites: none of these suites works below TLS 1\.2 .*at most tls1\.1: add a CBC suite/,
    );
  });

  it('a name k6 takes that this Node’s OpenSSL lacks (RC4, 3DES) is a validation error, not a silent no-op', () => {
    const here = new Set(getCiphers());
    for (const [name, openssl] of [
      ['TLS_RSA_WITH_RC4_128_SHA', 'rc4-sha'],
      ['TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA', 'ecdhe-rsa-des-cbc3-sha'],
    ] as const) {
      const found = problems({ tlsCipherSuites: ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', name] });
      if (here.has(openssl)) expect(found).toEqual([]);
      else expect(found.map((p) => `${p.path}: ${p.message}`)).toEqual([`tlsCipherSuites.1: "${name}" is one k6 takes, but this Node's OpenSSL (${process.versions.openssl}) has no such suite (${CIPHER_SUITES[name]!.openssl}: RC4 and 3DES are not built in); remove it`]);
    }
  });

  it('compiles to one context’s options: the versions, OpenSSL’s names for the TLS 1.0–1.2 suites (TLS 1.3’s left alone), security level 0 for TLS 1.0/1.1', () => {
    expect(tlsConnectOptions({})).toBeUndefined();
    expect(tlsConnectOptions({ tlsVersion: 'tls1.2' })).toEqual({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' });
    expect(tlsConnectOptions({ tlsVersion: { max: 'tls1.2' } })).toEqual({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' });
    expect(tlsConnectOptions({ tlsCipherSuites: ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'TLS_AES_128_GCM_SHA256', 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305'] })).toEqual({
      minVersion: 'TLSv1.2',
      maxVersion: 'TLSv1.3',
      ciphers: 'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-CHACHA20-POLY1305',
    });
    expect(tlsConnectOptions({ tlsVersion: { min: 'tls1.0' }, tlsCipherSuites: ['TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA'] })).toEqual({
      minVersion: 'TLSv1',
      maxVersion: 'TLSv1.3',
      ciphers: 'ECDHE-RSA-AES128-SHA:@SECLEVEL=0',
    });
    expect(tlsConnectOptions({ tlsVersion: { min: 'tls1.1' } })!.ciphers).toMatch(/:@SECLEVEL=0$/);
    // One context per worker for every origin without a client certificate (none for http), built once.
    const contexts = new TlsContexts(undefined, tlsConnectOptions({ tlsVersion: 'tls1.3' }));
    expect(contexts.forOrigin('https://a.example:8443')).toBeDefined();
    expect(contexts.forOrigin('https://b.example')).toBe(contexts.forOrigin('https://a.example:8443'));
    expect(contexts.forOrigin('http://a.example')).toBeUndefined();
    expect(new TlsContexts(undefined, tlsConnectOptions({})).forOrigin('https://a.example')).toBeUndefined();
    expect(describeTlsVersions(undefined)).toBe('TLS 1.2 to 1.3 (the default; tlsVersion: { min: tls1.0 } allows older ones)');
    expect(describeTlsVersions({ min: 'tls1.0', max: 'tls1.2' })).toBe('TLS 1.0 to 1.2 (tlsVersion: { min: tls1.0, max: tls1.2 })');
  });
});

describe('every k6 suite name this OpenSSL has is the suite IANA names so', () => {
  it('negotiates, at TLS 1.2, exactly that suite (the server names it); ChaCha20’s Go name is IANA’s without _SHA256', async () => {
    const servers = { RSA: await tlsServer(pem('mtls-server.key'), pem('mtls-server.crt')), ECDSA: await tlsServer(pem('self-signed.key'), pem('self-signed.crt')) };
    const here = new Set(getCiphers().map((c) => c.toUpperCase()));
    const checked: string[] = [];
    for (const [name, s] of Object.entries(CIPHER_SUITES)) {
      if (s.openssl === undefined || !here.has(s.openssl) || name.endsWith('_POLY1305_SHA256')) continue;
      const server = name.includes('_ECDSA_') ? servers.ECDSA : servers.RSA;
      const options = tlsConnectOptions({ tlsVersion: 'tls1.2', tlsCipherSuites: [name] })!;
      const seen = await new Promise<string>((resolve, reject) => {
        const socket = connect({ host: '127.0.0.1', port: server.port, rejectUnauthorized: false, secureContext: createSecureContext(options) }, () => {
          resolve(`${socket.getProtocol()} ${socket.getCipher().standardName}`);
          socket.destroy();
        });
        socket.on('error', reject);
      });
      expect(seen, name).toBe(`TLSv1.2 ${name.endsWith('_CHACHA20_POLY1305') ? `${name}_SHA256` : name}`);
      checked.push(name);
    }
    // AES (CBC, GCM) and ChaCha20, with RSA and ECDHE key exchange, RSA and ECDSA certificates.
    expect(checked.length).toBeGreaterThanOrEqual(17);
  });
});

/** A plain TLS server (any suite, TLS 1.2) that ends each connection once its handshake is done. */
async function tlsServer(key: string, cert: string): Promise<{ port: number }> {
  const server = createTlsServer({ key, cert, ciphers: 'ALL:@SECLEVEL=0', maxVersion: 'TLSv1.2' }, (socket) => socket.end());
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => new Promise((resolve) => server.close(resolve)));
  return { port: (server.address() as AddressInfo).port };
}

interface SeenServer {
  port: number;
  /** Per request: the connection's TLS version and suite (IANA's name), as the server sees them. */
  seen: string[];
  /** Per request: the client certificate's common name, if any. */
  clients: string[];
}

/** An https server on 127.0.0.1 (the test CA's certificate for 127.0.0.1 and localhost) with `options` (minVersion, maxVersion, ciphers …). */
async function httpsServer(options: ServerOptions = {}): Promise<SeenServer> {
  const seen: string[] = [];
  const clients: string[] = [];
  const server = createServer({ key: pem('mtls-server.key'), cert: pem('mtls-server.crt'), ...options }, (req, res) => {
    const socket = req.socket as TLSSocket;
    seen.push(`${socket.getProtocol()} ${socket.getCipher().standardName}`);
    const cn = socket.getPeerCertificate().subject?.CN;
    if (cn !== undefined) clients.push(String(cn));
    res.end('ok');
  });
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return { port: (server.address() as AddressInfo).port, seen, clients };
}

const run = (port: number, spec: Record<string, unknown>, n = 4) =>
  startRun(probe({ target: `https://127.0.0.1:${port}`, scenario: iterations(n, 2), requests: [{ name: 'get', url: '/' }], tlsCACerts: CA, ...spec }), { threads: 1 }).done;

describe('tlsVersion in whole runs', () => {
  it('a TLS 1.2 probe against a TLS 1.3-only server, and a TLS 1.3 probe against a TLS 1.2-only one: a connect_error that names the versions the probe offers', async () => {
    const only13 = await httpsServer({ minVersion: 'TLSv1.3' });
    const old = await run(only13.port, { tlsVersion: 'tls1.2' });
    expect(old.outcomes).toMatchObject({ ok: 0, connect_error: 4 });
    expect(old.errors).toEqual([
      {
        outcome: 'connect_error',
        message: 'TLS: ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION: tlsv1 alert protocol version (the server and the probe share no TLS version: the probe offers TLS 1.2 only (tlsVersion: tls1.2))',
        count: 4,
      },
    ]);
    expect(only13.seen).toEqual([]);
    const only12 = await httpsServer({ maxVersion: 'TLSv1.2' });
    const recent = await run(only12.port, { tlsVersion: { min: 'tls1.3' } }, 2);
    expect(recent.outcomes).toMatchObject({ ok: 0, connect_error: 2 });
    expect(recent.errors[0]!.message).toMatch(/^TLS: ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION: .*the probe offers TLS 1\.3 only \(tlsVersion: \{ min: tls1\.3 \}\)\)$/);
  });

  it('without tlsVersion a server that speaks only TLS 1.0/1.1 fails naming the default; { min: tls1.0 } reaches it (TLS 1.1)', async () => {
    const legacy = await httpsServer({ minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' });
    const refused = await run(legacy.port, {}, 2);
    expect(refused.outcomes.connect_error).toBe(2);
    expect(refused.errors[0]!.message).toMatch(/share no TLS version: the probe offers TLS 1\.2 to 1\.3 \(the default; tlsVersion: \{ min: tls1\.0 \} allows older ones\)\)$/);
    const allowed = await run(legacy.port, { tlsVersion: { min: 'tls1.0' } }, 2);
    expect(allowed.outcomes).toMatchObject({ ok: 2, connect_error: 0 });
    expect(new Set(legacy.seen.map((s) => s.split(' ')[0]))).toEqual(new Set(['TLSv1.1']));
  });

  it('tls1.3: the server sees TLS 1.3 on every request (the probe’s target and another origin of it)', async () => {
    const server = await httpsServer();
    const summary = await startRun(
      probe({
        target: `https://127.0.0.1:${server.port}`,
        scenario: iterations(6, 2),
        requests: [
          { name: 'ip', url: '/' },
          { name: 'name', url: `https://localhost:${server.port}/` },
        ],
        tlsCACerts: CA,
        tlsVersion: 'tls1.3',
      }),
      { threads: 1 },
    ).done;
    expect(summary.outcomes).toMatchObject({ ok: 6, connect_error: 0 });
    expect(server.seen).toHaveLength(6);
    expect(server.seen.every((s) => s.startsWith('TLSv1.3 '))).toBe(true);
    // The same server, a tls1.2 probe: TLS 1.2 (Node's client would pick 1.3).
    server.seen.length = 0;
    expect((await run(server.port, { tlsVersion: 'tls1.2' }, 2)).outcomes.ok).toBe(2);
    expect(server.seen.every((s) => s.startsWith('TLSv1.2 '))).toBe(true);
  });
});

describe('tlsCipherSuites in whole runs', () => {
  const listed = ['TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', 'TLS_RSA_WITH_AES_128_CBC_SHA256'];

  it('{ min: tls1.2, max: tls1.2 } and two suites: every connection is TLS 1.2 with one of them (a server that would pick others)', async () => {
    const server = await httpsServer();
    const summary = await run(server.port, { tlsVersion: { min: 'tls1.2', max: 'tls1.2' }, tlsCipherSuites: listed });
    expect(summary.outcomes).toMatchObject({ ok: 4, connect_error: 0 });
    expect(server.seen).toHaveLength(4);
    for (const s of server.seen) {
      const [version, cipher] = s.split(' ');
      expect(version).toBe('TLSv1.2');
      expect(listed).toContain(cipher);
    }
    // One suite: that one.
    const one = await httpsServer();
    await run(one.port, { tlsVersion: 'tls1.2', tlsCipherSuites: ['TLS_RSA_WITH_AES_128_CBC_SHA256'] }, 2);
    expect(one.seen).toEqual(Array(2).fill('TLSv1.2 TLS_RSA_WITH_AES_128_CBC_SHA256'));
  });

  it('they do not restrict TLS 1.3 (as in k6): a TLS 1.3 server is still reached, with its own suite', async () => {
    const server = await httpsServer({ minVersion: 'TLSv1.3' });
    const summary = await run(server.port, { tlsCipherSuites: listed }, 2);
    expect(summary.outcomes.ok).toBe(2);
    expect(server.seen.every((s) => s.startsWith('TLSv1.3 TLS_AES_'))).toBe(true);
  });

  it('a TLS 1.2 server that takes none of them: a connect_error that names tlsCipherSuites', async () => {
    const server = await httpsServer({ maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-CHACHA20-POLY1305' });
    const summary = await run(server.port, { tlsCipherSuites: listed }, 2);
    expect(summary.outcomes).toMatchObject({ ok: 0, connect_error: 2 });
    expect(summary.errors[0]!.message).toMatch(/^TLS: ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE: .*it may take none of tlsCipherSuites/);
  });

  it('apply with a tlsAuth client certificate too (its own context carries them)', async () => {
    const server = await httpsServer({ ca: pem('mtls-ca.crt'), requestCert: true, rejectUnauthorized: true });
    const summary = await run(server.port, { tlsVersion: 'tls1.2', tlsCipherSuites: listed.slice(0, 1), tlsAuth: [{ domains: ['127.0.0.1'], ...CLIENT }] });
    expect(summary.outcomes).toMatchObject({ ok: 4, connect_error: 0, reset: 0 });
    expect(server.seen).toEqual(Array(4).fill('TLSv1.2 TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384'));
    expect(server.clients).toEqual(Array(4).fill('burnwatch test client'));
  });
});
