/**
 * k6's `hosts` option, against real servers on 127.0.0.1. Names under
 * `.test` never resolve in DNS (RFC 6761), so a request that reaches a
 * server proves the mapping; the servers see the name (Host, SNI).
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionPool } from './connection-pool.ts';
import { Engine } from './engine.ts';
import { compileHosts, mappedAddress } from './hosts.ts';
import { startRun } from './run.ts';
import { probeSpecSchema } from './spec.ts';
import { fixturePath as fixture, iterations, probe, testServer, until, workerInit } from './test-support.ts';

const CA = fixture('mtls-ca.crt');

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0)) await fn();
});

/** An http server on 127.0.0.1 that records each request's Host header and counts connections. */
async function hostServer(handler?: Parameters<typeof testServer>[0]): Promise<{ port: number; hosts: string[]; connections: () => number; hits: () => number }> {
  const hosts: string[] = [];
  const s = await testServer((req, res, state) => {
    hosts.push(String(req.headers.host));
    if (handler) handler(req, res, state);
    else res.end('ok');
  });
  cleanup.push(() => s.close());
  return { port: s.port, hosts, connections: () => s.connections, hits: () => s.hits };
}

function problems(spec: Record<string, unknown>): { path: string; message: string }[] {
  const r = probeSpecSchema.safeParse({ scenario: iterations(1), requests: [{ name: 'a', url: '/x' }], ...spec });
  return r.success ? [] : r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}

describe('hosts: which entry a connection takes (k6’s dialer)', () => {
  const table = compileHosts({
    'canary.test': '10.0.0.1',
    'canary.test:443': '10.0.0.2:8443',
    '*.canary.test': '10.0.0.3',
    '*.api.canary.test': '[2001:db8::4]',
    '*.canary.test:8080': '10.0.0.5:9090',
    'Mixed.Case.test.': '10.0.0.6',
    '192.0.2.7': '10.0.0.7',
  });
  it('host:port first, then host; an exact name before a wildcard, the most specific wildcard first; the entry’s port replaces the URL’s', () => {
    expect(mappedAddress(table, 'http://canary.test')).toEqual({ host: '10.0.0.1', port: 80 });
    expect(mappedAddress(table, 'http://canary.test:3000')).toEqual({ host: '10.0.0.1', port: 3000 });
    expect(mappedAddress(table, 'https://canary.test')).toEqual({ host: '10.0.0.2', port: 8443 });
    expect(mappedAddress(table, 'https://canary.test:443')).toEqual({ host: '10.0.0.2', port: 8443 });
    // A wildcard covers every name under the domain, at any depth, not the domain itself.
    expect(mappedAddress(table, 'http://a.canary.test')).toEqual({ host: '10.0.0.3', port: 80 });
    expect(mappedAddress(table, 'http://a.b.canary.test')).toEqual({ host: '10.0.0.3', port: 80 });
    expect(mappedAddress(table, 'https://x.api.canary.test')).toEqual({ host: '2001:db8::4', port: 443 });
    expect(mappedAddress(table, 'http://a.canary.test:8080')).toEqual({ host: '10.0.0.5', port: 9090 });
    expect(mappedAddress(table, 'http://MIXED.case.test')).toEqual({ host: '10.0.0.6', port: 80 });
    expect(mappedAddress(table, 'http://192.0.2.7:81')).toEqual({ host: '10.0.0.7', port: 81 });
    expect(mappedAddress(table, 'http://other.test')).toBeUndefined();
    expect(mappedAddress(table, 'http://canary.test.evil')).toBeUndefined();
    expect(mappedAddress(compileHosts({}), 'http://canary.test')).toBeUndefined();
  });
});

describe('hosts validation', () => {
  it('accepts k6’s shape', () => {
    expect(
      problems({
        target: 'https://api.canary.test',
        requests: [
          { name: 'a', url: '/x' },
          { name: 'b', url: 'http://canary.test:8080/y' },
          { name: 'c', url: 'http://www.other.test/z' },
        ],
        hosts: { 'api.canary.test:443': '127.0.0.1:8443', 'canary.test': '::1', '*.other.test': '[::1]:9000' },
      }),
    ).toEqual([]);
  });

  it('rejects keys that are not hosts, values that are not IP addresses (a host name included), a key given twice, and an entry for none of the probe’s hosts', () => {
    const found = problems({
      target: 'http://canary.test:8080',
      requests: [
        { name: 'a', url: '/x' },
        { name: 'b', url: 'https://api.canary.test/y' },
      ],
      hosts: {
        'canary.test:8080': '127.0.0.1',
        'http://canary.test': '127.0.0.1',
        'canary.test:99999': '127.0.0.1',
        '*canary.test': '127.0.0.1',
        '[::1]:80': '127.0.0.1',
        'API.canary.test': 'canary.internal',
        'api.canary.test': '127.0.0.1',
        '*.canary.test': '127.0.0.1:0',
        'canary.test': '10.0.0.300',
        'canary.tset:8080': '127.0.0.1',
        'api.canary.test:80': '127.0.0.1',
      },
    });
    const at = (key: string): string[] => found.filter((p) => p.path === `hosts.${key}`).map((p) => p.message);
    expect(at('canary.test:8080')).toEqual([]);
    expect(at('http://canary.test')[0]).toMatch(/is not a host: expected a name as in the URL, with no scheme/);
    expect(at('canary.test:99999')[0]).toMatch(/port 99999 is out of range/);
    expect(at('*canary.test')[0]).toMatch(/write \*\.domain/);
    expect(at('[::1]:80')[0]).toMatch(/IPv6 address/);
    expect(at('API.canary.test')).toEqual([expect.stringMatching(/"canary\.internal" is a host name: .*not looked up/)]);
    expect(at('api.canary.test')[0]).toMatch(/also given as "API\.canary\.test"/);
    expect(at('*.canary.test')[0]).toMatch(/port 0 is out of range/);
    expect(at('canary.test')[0]).toMatch(/"10\.0\.0\.300" is not an IP address/);
    // canary.test:8080 takes the host:port entry: the bare host's is never used.
    expect(at('canary.test')[1]).toMatch(/applies to none of the probe’s hosts: canary\.test:8080 takes "canary\.test:8080"/);
    expect(at('canary.tset:8080')[0]).toMatch(/matches none of the probe’s hosts \(canary\.test:8080, api\.canary\.test:443\).*sends the load to the real host/);
    // The port in a key is the URL's, 443 for https by default.
    expect(at('api.canary.test:80')[0]).toMatch(/matches none of the probe’s hosts.*80 or 443 when it gives none/);
    const list = problems({ target: 'http://canary.test', hosts: { 'canary.test': ['127.0.0.1', '127.0.0.2'] } });
    expect(list.map((p) => p.path)).toEqual(['hosts.canary.test']);
    expect(list[0]!.message).toMatch(/one address per host/);
    expect(problems({ target: 'http://canary.test', hosts: ['canary.test'] })[0]!.message).toMatch(/expected a map of host/);
  });
});

describe('hosts: connections go to the mapped address, the name stays', () => {
  it('a host mapped to 127.0.0.1 keeps the URL’s port; the server sees Host: the name', async () => {
    const s = await hostServer();
    const summary = await startRun(probe({ target: `http://canary.test:${s.port}`, scenario: iterations(4, 2), requests: [{ name: 'get', url: '/' }], hosts: { 'canary.test': '127.0.0.1' } }), { threads: 1 }).done;
    expect(summary.outcomes).toMatchObject({ ok: 4, connect_error: 0 });
    expect(s.hosts).toEqual(Array(4).fill(`canary.test:${s.port}`));
  });

  it('a host:port mapping sends http://canary.test (port 80) to 127.0.0.1:PORT, with Host: canary.test', async () => {
    const s = await hostServer();
    const summary = await startRun(probe({ target: 'http://canary.test', scenario: iterations(3), requests: [{ name: 'get', url: '/' }], hosts: { 'canary.test:80': `127.0.0.1:${s.port}` } }), { threads: 1 }).done;
    expect(summary.outcomes).toMatchObject({ ok: 3 });
    expect(s.hosts).toEqual(Array(3).fill('canary.test'));
  });

  it('pre-connected connections (plain http) go to the mapped address too: the VUs’ connections are all the server sees', async () => {
    const s = await hostServer();
    const pool = new ConnectionPool('http://canary.test', { connections: 3, connectTimeout: 2_000, connectTo: { host: '127.0.0.1', port: s.port } });
    cleanup.push(() => pool.destroy());
    expect(await pool.preconnect(3)).toBe(3);
    await until(() => s.connections() === 3);
    expect(s.connections()).toBe(3);

    // The engine's warm-up pre-opens the target's connections through the mapping, as a run does.
    const s2 = await hostServer();
    const init = workerInit(probe({ target: 'http://canary.test', scenario: { executor: 'constant-vus', vus: 3, duration: '1s' }, requests: [{ name: 'get', url: '/' }], hosts: { 'canary.test': `127.0.0.1:${s2.port}` } }), 'hosts-preconnect');
    const engine = new Engine(init, () => {});
    cleanup.push(() => engine.close());
    await engine.warmUp(10);
    await until(() => s2.connections() >= 3);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect({ connections: s2.connections(), hits: s2.hits() }).toEqual({ connections: 3, hits: 0 });

    // A whole run: 3 VUs, 30 requests, 3 connections (pre-opened and then used).
    const s3 = await hostServer();
    const summary = await startRun(probe({ target: 'http://canary.test', scenario: iterations(30, 3), requests: [{ name: 'get', url: '/' }], hosts: { 'canary.test': `127.0.0.1:${s3.port}` } }), { threads: 1 }).done;
    expect(summary.outcomes.ok).toBe(30);
    expect(s3.connections()).toBe(3);
  });

  it('a redirect to a mapped host follows the mapping (its own pool), with Host: its name', async () => {
    const end = await hostServer();
    const start = await hostServer((req, res) => {
      res.writeHead(302, { location: `http://end.canary.test:${end.port}/done` }).end();
    });
    const summary = await startRun(
      probe({
        target: `http://start.canary.test:${start.port}`,
        scenario: iterations(4),
        requests: [{ name: 'go', url: '/' }],
        hosts: { '*.canary.test': '127.0.0.1' },
      }),
      { threads: 1 },
    ).done;
    expect(summary.outcomes).toMatchObject({ ok: 4, connect_error: 0 });
    expect(summary.redirects).toMatchObject({ go: 4 });
    expect(start.hosts).toEqual(Array(4).fill(`start.canary.test:${start.port}`));
    expect(end.hosts).toEqual(Array(4).fill(`end.canary.test:${end.port}`));
  });

  it('an unmapped host is looked up as usual: a name that does not resolve is a connect_error, beside a mapped one that works', async () => {
    const s = await hostServer();
    const summary = await startRun(
      probe({
        target: `http://canary.test:${s.port}`,
        scenario: iterations(4),
        requests: [
          { name: 'mapped', url: '/' },
          { name: 'unmapped', url: `http://unmapped.test:${s.port}/` },
        ],
        hosts: { 'canary.test': '127.0.0.1' },
      }),
      { threads: 1 },
    ).done;
    expect(summary.outcomes).toMatchObject({ ok: 2, connect_error: 2 });
    expect(summary.errors[0]!.message).toMatch(/ENOTFOUND|EAI_AGAIN/);
    expect(summary.errors[0]!.message).toMatch(/unmapped\.test/);
    expect(s.hosts).toEqual(Array(2).fill(`canary.test:${s.port}`));
  });
});

describe('hosts over https: SNI and the certificate check keep the name', () => {
  async function httpsServer(): Promise<{ port: number; sni: (string | false | null)[] }> {
    const sni: (string | false | null)[] = [];
    const server: Server = createHttpsServer({ key: readFileSync(fixture('hosts-server.key')), cert: readFileSync(fixture('hosts-server.crt')) }, (req, res) => {
      sni.push((req.socket as TLSSocket).servername);
      res.end(String(req.headers.host));
    });
    server.on('tlsClientError', () => {});
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanup.push(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });
    return { port: (server.address() as AddressInfo).port, sni };
  }

  it('a certificate for api.canary.test only, trusted through tlsCACerts (no insecureSkipTLSVerify), verifies for the mapped name', async () => {
    const s = await httpsServer();
    const summary = await startRun(
      probe({
        target: 'https://api.canary.test',
        scenario: iterations(4, 2),
        requests: [{ name: 'get', url: '/', expect: { headers: {} } }],
        hosts: { 'api.canary.test:443': `127.0.0.1:${s.port}` },
        tlsCACerts: CA,
      }),
      { threads: 1 },
    ).done;
    expect(summary.outcomes).toMatchObject({ ok: 4, connect_error: 0 });
    expect(s.sni).toEqual(Array(4).fill('api.canary.test'));
  });

  it('another name mapped to the same server fails the certificate check on that name, not on 127.0.0.1', async () => {
    const s = await httpsServer();
    const summary = await startRun(
      probe({ target: `https://www.canary.test:${s.port}`, scenario: iterations(2), requests: [{ name: 'get', url: '/' }], hosts: { 'www.canary.test': '127.0.0.1' }, tlsCACerts: CA }),
      { threads: 1 },
    ).done;
    expect(summary.outcomes).toMatchObject({ ok: 0, connect_error: 2 });
    expect(summary.errors[0]!.message).toMatch(/ERR_TLS_CERT_ALTNAME_INVALID.*www\.canary\.test/);
    expect(s.sni).toEqual([]);
  });

  it('an IP-address origin mapped elsewhere is checked against its own address (no SNI)', async () => {
    const s = await httpsServer();
    const summary = await startRun(
      probe({ target: `https://192.0.2.10:${s.port}`, scenario: iterations(1), requests: [{ name: 'get', url: '/' }], hosts: { '192.0.2.10': '127.0.0.1' }, tlsCACerts: CA }),
      { threads: 1 },
    ).done;
    expect(summary.outcomes.connect_error).toBe(1);
    expect(summary.errors[0]!.message).toMatch(/ERR_TLS_CERT_ALTNAME_INVALID.*192\.0\.2\.10/);
  });
});
