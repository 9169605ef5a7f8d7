/**
 * TLS client certificates (k6's `tlsAuth`) and `tlsCACerts`, against a real
 * `node:https` server that requires a client certificate signed by the test
 * CA (fixtures: probes/fixtures/make-mtls.sh).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BurnwatchError } from '../common/index.ts';
import { BIN, finished } from '../test/helpers.ts';
import type { IntervalSnapshot } from './results.ts';
import { startRun } from './run.ts';
import { probeSpecSchema } from './spec.ts';
import { fixturePath as path, iterations, probe } from './test-support.ts';
import { clientCertIndex, readTlsMaterial } from './tls-auth.ts';

const pem = (name: string): string => readFileSync(path(name), 'utf8');
const CA = path('mtls-ca.crt');
const CLIENT = { cert: path('mtls-client.crt'), key: path('mtls-client.key') };
const STRANGER = { cert: path('mtls-stranger.crt'), key: path('mtls-stranger.key') };

let dir: string;
let server: Server;
let port: number;
/** Common names of the client certificates the server accepted, per request. */
const seen: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'burnwatch-mtls-'));
  server = createServer({ key: pem('mtls-server.key'), cert: pem('mtls-server.crt'), ca: pem('mtls-ca.crt'), requestCert: true, rejectUnauthorized: true }, (req, res) => {
    seen.push(String((req.socket as TLSSocket).getPeerCertificate().subject?.CN));
    if (req.url === '/start') {
      res.writeHead(302, { location: `https://127.0.0.1:${port}/end` }).end();
      return;
    }
    res.end('ok');
  });
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

const target = (host = '127.0.0.1'): string => `https://${host}:${port}`;

function problems(spec: Record<string, unknown>): { path: string; message: string }[] {
  const r = probeSpecSchema.safeParse({ scenario: iterations(1), requests: [{ name: 'a', url: '/x' }], ...spec });
  return r.success ? [] : r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}

function thrown(fn: () => unknown): BurnwatchError {
  try {
    fn();
  } catch (err) {
    if (err instanceof BurnwatchError) return err;
    throw err;
  }
  throw new Error('expected a BurnwatchError');
}

describe('tlsAuth: which host gets which certificate (k6 / Go semantics)', () => {
  const entries = [
    { domains: ['api.internal', '127.0.0.1'] },
    { domains: ['*.corp.example', '::1'] },
    { domains: ['exact.corp.example'] },
  ];
  it('matches the host exactly (any case, a trailing dot ignored), or one leftmost label under a *. wildcard; an exact name wins over a wildcard', () => {
    expect(clientCertIndex('api.internal', entries)).toBe(0);
    expect(clientCertIndex('API.Internal.', entries)).toBe(0);
    expect(clientCertIndex('127.0.0.1', entries)).toBe(0);
    expect(clientCertIndex('[::1]', entries)).toBe(1);
    expect(clientCertIndex('a.corp.example', entries)).toBe(1);
    expect(clientCertIndex('exact.corp.example', entries)).toBe(2);
    // A wildcard stands for one label, as in a certificate: not deeper, not the bare domain.
    expect(clientCertIndex('a.b.corp.example', entries)).toBe(-1);
    expect(clientCertIndex('corp.example', entries)).toBe(-1);
    expect(clientCertIndex('sub.api.internal', entries)).toBe(-1);
    expect(clientCertIndex('127.0.0.2', entries)).toBe(-1);
  });
});

describe('tlsAuth / tlsCACerts validation', () => {
  it('accepts k6’s shape and rejects a domain that is not a host name, one listed twice, and an entry for none of the probe’s https hosts', () => {
    expect(problems({ target: 'https://api.internal:8443', tlsAuth: [{ domains: ['api.internal'], ...CLIENT }], tlsCACerts: CA })).toEqual([]);
    expect(problems({ target: 'https://a.corp.example', tlsAuth: [{ domains: ['*.corp.example'], ...CLIENT, password: 'x' }] })).toEqual([]);
    const found = problems({
      target: 'https://api.internal',
      tlsAuth: [
        { domains: ['api.internal', 'https://api.internal', 'api.internal:8443', 'a.*.internal'], ...CLIENT },
        { domains: ['API.internal'], ...STRANGER },
        { domains: [], ...CLIENT },
        { domains: ['other.internal'], ...CLIENT },
      ],
    });
    expect(found.map((p) => p.path)).toEqual(['tlsAuth.2.domains', 'tlsAuth.0.domains.1', 'tlsAuth.0.domains.2', 'tlsAuth.0.domains.3', 'tlsAuth.1.domains.0', 'tlsAuth.3.domains']);
    expect(found[0]!.message).toMatch(/at least one domain/);
    expect(found[1]!.message).toMatch(/host name.*no scheme/);
    expect(found[4]!.message).toMatch(/also in tlsAuth\[0\]/);
    expect(found[5]!.message).toMatch(/matches none of the probe’s https hosts \(api\.internal\).*never be sent/);
    expect(problems({ target: 'http://api.internal', tlsAuth: [{ domains: ['api.internal'], ...CLIENT }] })[0]!.message).toMatch(/only over https/);
  });

  it('reads files and PEM text once at the start, naming the key path and the file of a problem (PROBE_TLS_AUTH_INVALID)', async () => {
    const read = (auth: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
      readTlsMaterial(probe({ target: target(), scenario: iterations(1), requests: [{ name: 'a', url: '/' }], tlsAuth: [{ domains: ['127.0.0.1'], ...auth }], ...extra }));
    const ok = read({ cert: pem('mtls-client.crt'), key: CLIENT.key }, { tlsCACerts: pem('mtls-ca.crt') });
    expect(ok).toEqual({ auth: [{ domains: ['127.0.0.1'], cert: pem('mtls-client.crt'), key: pem('mtls-client.key') }], ca: pem('mtls-ca.crt') });
    expect(read({ cert: CLIENT.cert, key: path('mtls-client-enc.key'), password: 'burnwatch' })!.auth[0]).toMatchObject({ passphrase: 'burnwatch' });

    const missing = thrown(() => read({ cert: '/nonexistent/client.crt', key: CLIENT.key }));
    expect(missing.code).toBe('PROBE_TLS_AUTH_INVALID');
    expect(missing.message).toMatch(/^tlsAuth\[0\]\.cert: cannot read \/nonexistent\/client\.crt: ENOENT/);
    const notPem = join(dir, 'not.pem');
    await writeFile(notPem, 'hello');
    expect(thrown(() => read({ cert: notPem, key: CLIENT.key })).message).toMatch(new RegExp(`^tlsAuth\\[0\\]\\.cert: ${notPem} is not PEM`));
    expect(thrown(() => read({ cert: CLIENT.key, key: CLIENT.key })).message).toMatch(/^tlsAuth\[0\]\.cert: .*mtls-client\.key holds no certificate/);
    expect(thrown(() => read({ cert: CLIENT.cert, key: CLIENT.cert })).message).toMatch(/^tlsAuth\[0\]\.key: .*mtls-client\.crt holds no private key/);
    const mismatch = thrown(() => read({ cert: CLIENT.cert, key: STRANGER.key }));
    expect(mismatch.message).toMatch(/^tlsAuth\[0\]\.key: .*mtls-stranger\.key is not the private key of the certificate in .*mtls-client\.crt/);
    expect(thrown(() => read({ cert: CLIENT.cert, key: path('mtls-client-enc.key') })).message).toMatch(/^tlsAuth\[0\]\.key: .*mtls-client-enc\.key is encrypted: give its password/);
    expect(thrown(() => read({ cert: CLIENT.cert, key: path('mtls-client-enc.key'), password: 'wrong' })).message).toMatch(/^tlsAuth\[0\]\.password: cannot decrypt .*mtls-client-enc\.key/);
    expect(thrown(() => read({ cert: '-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n', key: CLIENT.key })).message).toMatch(/^tlsAuth\[0\]\.cert: the PEM text is not a valid certificate/);
    expect(thrown(() => read({ ...CLIENT }, { tlsCACerts: '/nonexistent/ca.pem' })).message).toMatch(/^tlsCACerts: cannot read \/nonexistent\/ca\.pem/);

    // startRun reads them before any worker starts.
    const run = probe({ target: target(), scenario: iterations(1), requests: [{ name: 'a', url: '/' }], tlsAuth: [{ domains: ['127.0.0.1'], cert: CLIENT.cert, key: STRANGER.key }] });
    expect(thrown(() => startRun(run)).code).toBe('PROBE_TLS_AUTH_INVALID');
  });
});

describe('mTLS against a server that requires a client certificate', () => {
  const run = (extra: Record<string, unknown>, requests: Record<string, unknown>[] = [{ name: 'get', url: '/' }], host = '127.0.0.1') =>
    startRun(probe({ target: target(host), scenario: iterations(6, 2), requests, ...extra }), { threads: 1 }).done;

  it('the right certificate gets ok, trusting the server through tlsCACerts (no insecureSkipTLSVerify)', async () => {
    seen.length = 0;
    const summary = await run({ tlsAuth: [{ domains: ['127.0.0.1'], ...CLIENT }], tlsCACerts: CA });
    expect(summary.outcomes).toMatchObject({ ok: 6, connect_error: 0, reset: 0 });
    expect(seen).toEqual(Array(6).fill('burnwatch test client'));
    // PEM text (as from ${VAR}) and an encrypted key work as well.
    const text = await run({ tlsAuth: [{ domains: ['127.0.0.1'], cert: pem('mtls-client.crt'), key: path('mtls-client-enc.key'), password: 'burnwatch' }], tlsCACerts: pem('mtls-ca.crt') });
    expect(text.outcomes.ok).toBe(6);
  });

  it('without tlsCACerts the server’s certificate is not trusted', async () => {
    const summary = await run({ tlsAuth: [{ domains: ['127.0.0.1'], ...CLIENT }] });
    expect(summary.outcomes.connect_error).toBe(6);
    expect(summary.errors[0]!.message).toMatch(/^TLS: SELF_SIGNED_CERT_IN_CHAIN: .*tlsCACerts trusts an internal CA/);
  });

  it('without a certificate the server’s alert is a connect_error that points at tlsAuth, not insecureSkipTLSVerify', async () => {
    const summary = await run({ tlsCACerts: CA });
    expect(summary.outcomes.connect_error).toBe(6);
    expect(summary.errors[0]!.message).toMatch(/^TLS: ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: .*tlsAuth/);
    expect(summary.errors[0]!.message).not.toMatch(/insecureSkipTLSVerify/);
  });

  it('a certificate the server does not trust: a node server closes the connection after the TLS 1.3 handshake without an alert, a reset', async () => {
    const summary = await run({ tlsAuth: [{ domains: ['127.0.0.1'], ...STRANGER }], tlsCACerts: CA });
    // Node verifies a client certificate after OpenSSL's handshake and destroys the socket (no alert); a server that
    // sends one (Go: "bad certificate", OpenSSL: "unknown ca") gives a connect_error naming tlsAuth, as above.
    expect(summary.outcomes).toMatchObject({ ok: 0, reset: 6 });
    expect(summary.errors).toEqual([{ outcome: 'reset', message: 'UND_ERR_SOCKET: other side closed', count: 6 }]);
  });

  it('domains pick the origins: a host not listed gets no certificate; a redirect origin that is listed gets it', async () => {
    seen.length = 0;
    const requests = [
      { name: 'listed', url: `${target('localhost')}/` },
      { name: 'unlisted', url: `${target('127.0.0.1')}/` },
    ];
    const snapshots: IntervalSnapshot[] = [];
    await startRun(probe({ target: target(), scenario: iterations(6, 2), requests, tlsAuth: [{ domains: ['localhost'], ...CLIENT }], tlsCACerts: CA }), {
      threads: 1,
      onInterval: (s) => snapshots.push(s),
    }).done;
    const outcomes = (name: string): Record<string, number> => {
      const all = snapshots.flatMap((s) => s.requests).filter((r) => r.request === name);
      return { ok: all.reduce((n, r) => n + r.outcomes.ok, 0), connect_error: all.reduce((n, r) => n + r.outcomes.connect_error, 0) };
    };
    expect(outcomes('listed')).toEqual({ ok: 3, connect_error: 0 });
    expect(outcomes('unlisted')).toEqual({ ok: 0, connect_error: 3 });
    expect(seen).toEqual(Array(3).fill('burnwatch test client'));
    const redirected = await run({ tlsAuth: [{ domains: ['LOCALHOST', '127.0.0.1'], ...CLIENT }], tlsCACerts: CA }, [{ name: 'start', url: '/start' }], 'localhost');
    expect(redirected.outcomes.ok).toBe(6);
    expect(redirected.redirects).toMatchObject({ start: 6 });
  });

  it('burnwatch run, end to end: exit 0 with the right certificate, 104 with an unreadable key', async () => {
    const yaml = (key: string): string => `apiVersion: burnwatch/v1
kind: Probe
metadata: { name: mtls }
spec:
  target: ${target()}
  scenario: { executor: shared-iterations, vus: 1, iterations: 5, maxDuration: 10s }
  requests: [{ name: get, url: / }]
  tlsAuth:
    - { domains: [127.0.0.1], cert: ${CLIENT.cert}, key: ${key} }
  tlsCACerts: ${CA}
  thresholds: { http_req_failed: ["rate==0"] }
`;
    const good = join(dir, 'good.yaml');
    const bad = join(dir, 'bad.yaml');
    await writeFile(good, yaml(CLIENT.key));
    await writeFile(bad, yaml('/nonexistent/client.key'));
    const ok = await finished(spawn(process.execPath, [BIN, 'run', good], { stdio: 'pipe' }), 40_000);
    expect(ok.code, ok.stderr + ok.stdout).toBe(0);
    expect(ok.stdout).toMatch(/http_reqs/);
    const refused = await finished(spawn(process.execPath, [BIN, 'run', bad], { stdio: 'pipe' }), 40_000);
    expect(refused.code).toBe(104);
    expect(refused.stderr + refused.stdout).toMatch(/tlsAuth\[0\]\.key: cannot read \/nonexistent\/client\.key/);
  });
});
