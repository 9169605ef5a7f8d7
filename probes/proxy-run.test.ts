/**
 * HTTP_PROXY / HTTPS_PROXY / NO_PROXY in whole runs, against real processes
 * on 127.0.0.1: a small proxy written here (CONNECT tunnels, absolute-form
 * requests) and the targets behind it. Targets are named under `.test`,
 * which never resolves in DNS (RFC 6761): the proxy alone knows them (it
 * sends every `*.test` name to 127.0.0.1, the URL's port kept), so a request
 * that reaches a target went through the proxy, and the proxy counts what
 * it carried. The environment is passed to `startRun` (`env`), never set
 * on `process.env`.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import { createSecureServer } from 'node:http2';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, connect as netConnect } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { PassThrough } from 'node:stream';
import { join } from 'node:path';
import type { SecureVersion, TLSSocket } from 'node:tls';
import { runCommand } from '../service/commands/run.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../test/helpers.ts';
import { ConnectionPool } from './connection-pool.ts';
import type { ConnectionPoolOptions, PooledHandler } from './connection-pool.ts';
import { startRun } from './run.ts';
import type { RunOptions } from './run.ts';
import type { RunSummary } from './summary.ts';
import { closedPort, fixturePath as fixture, iterations, probe, testServer } from './test-support.ts';

const CA = fixture('mtls-ca.crt');

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0)) await fn();
});

interface TestProxy {
  /** `http://127.0.0.1:PORT` (https:// for a TLS proxy). */
  url: string;
  port: number;
  /** TCP connections accepted. */
  connections: () => number;
  /** CONNECT authorities tunnelled, in order. */
  tunnels: string[];
  /** Absolute-form request targets forwarded, in order. */
  forwarded: string[];
  /** The Proxy-Authorization of each CONNECT and forwarded request (undefined: none). */
  auth: (string | undefined)[];
  /** Cuts every open tunnel, both sides (a proxy dying mid-tunnel). */
  cut: () => void;
  /** An https:// proxy: the TLS version of each connection to it. */
  protocols: string[];
}

interface ProxyBehaviour {
  /** Answer 407 unless Proxy-Authorization is exactly this. */
  require?: string;
  /** Answer every CONNECT with this status instead of tunnelling. */
  connectStatus?: number;
  /** TLS to the proxy itself (an https:// proxy URL), with the test CA's certificate for 127.0.0.1. */
  tls?: boolean;
  /** With `tls`: the TLS versions the proxy accepts (default Node's: 1.2 to 1.3). */
  tlsVersions?: { minVersion?: SecureVersion; maxVersion?: SecureVersion };
}

/** The proxy's own resolver: every `*.test` name is 127.0.0.1; nothing else is reached. */
function resolveTest(host: string): string | undefined {
  return host.endsWith('.test') ? '127.0.0.1' : undefined;
}

async function testProxy(behaviour: ProxyBehaviour = {}): Promise<TestProxy> {
  let connections = 0;
  const tunnels: string[] = [];
  const forwarded: string[] = [];
  const auth: (string | undefined)[] = [];
  const protocols: string[] = [];
  const authorized = (req: IncomingMessage): boolean => {
    auth.push(req.headers['proxy-authorization']);
    return behaviour.require === undefined || req.headers['proxy-authorization'] === behaviour.require;
  };
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    if (!authorized(req)) {
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="test"' }).end();
      return;
    }
    const url = URL.canParse(req.url ?? '') ? new URL(req.url!) : undefined;
    const address = url ? resolveTest(url.hostname) : undefined;
    if (!url || !address) {
      res.writeHead(502).end('not a .test absolute-form request');
      return;
    }
    forwarded.push(req.url!);
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    const upstream = httpRequest({ host: address, port: Number(url.port || 80), method: req.method, path: url.pathname + url.search, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  };
  const server: HttpServer = behaviour.tls
    ? (createHttpsServer({ key: readFileSync(fixture('mtls-server.key')), cert: readFileSync(fixture('mtls-server.crt')), ...behaviour.tlsVersions }, onRequest))
    : createHttpServer(onRequest);
  server.on(behaviour.tls ? 'secureConnection' : 'connection', (socket: Socket) => {
    connections++;
    if (behaviour.tls) protocols.push(String((socket as TLSSocket).getProtocol()));
  });
  server.on('tlsClientError', () => {});
  server.keepAliveTimeout = 10_000;
  const sockets = new Set<Socket>();
  const open = new Set<Socket>();
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    sockets.add(client);
    client.on('error', () => {});
    if (!authorized(req)) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    if (behaviour.connectStatus !== undefined) {
      client.end(`HTTP/1.1 ${behaviour.connectStatus} Refused\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    const [host, port] = [req.url!.slice(0, req.url!.lastIndexOf(':')), Number(req.url!.slice(req.url!.lastIndexOf(':') + 1))];
    const address = resolveTest(host);
    if (!address) {
      client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    tunnels.push(req.url!);
    const upstream = netConnect({ host: address, port }, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      client.pipe(upstream);
      upstream.pipe(client);
      open.add(client).add(upstream);
    });
    sockets.add(upstream);
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  cleanup.push(async () => {
    for (const s of sockets) s.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const cut = (): void => {
    for (const socket of open) socket.destroy();
    open.clear();
  };
  return { url: `${behaviour.tls ? 'https' : 'http'}://127.0.0.1:${port}`, port, connections: () => connections, tunnels, forwarded, auth, cut, protocols };
}

/** An http target on 127.0.0.1 that records each request's Host header. */
async function httpTarget(handler?: Parameters<typeof testServer>[0]): Promise<{ port: number; hosts: string[]; hits: () => number }> {
  const hosts: string[] = [];
  const s = await testServer((req, res, state) => {
    hosts.push(String(req.headers.host));
    if (handler) handler(req, res, state);
    else res.end('ok');
  });
  cleanup.push(() => s.close());
  return { port: s.port, hosts, hits: () => s.hits };
}

/** An https target on 127.0.0.1 with a certificate for api.canary.test only (signed by the test CA); records SNI and Host; answers `ok` unless `onRequest` says it answered. */
async function httpsTarget(onRequest?: () => boolean): Promise<{ port: number; sni: (string | false | null)[]; hosts: string[] }> {
  const sni: (string | false | null)[] = [];
  const hosts: string[] = [];
  const server = createHttpsServer({ key: readFileSync(fixture('hosts-server.key')), cert: readFileSync(fixture('hosts-server.crt')) }, (req, res) => {
    sni.push((req.socket as TLSSocket).servername);
    hosts.push(String(req.headers.host));
    if (onRequest?.() !== true) res.end('ok');
  });
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return { port: (server.address() as AddressInfo).port, sni, hosts };
}

async function run(spec: Record<string, unknown>, env: Record<string, string>, options: RunOptions = {}): Promise<RunSummary> {
  return startRun(probe({ requests: [{ name: 'get', url: '/x' }], ...spec }), { threads: 1, env, ...options }).done;
}

const basic = (userPass: string): string => `Basic ${Buffer.from(userPass).toString('base64')}`;

describe('HTTP_PROXY: http targets are requested from the proxy in absolute form', () => {
  it('each request goes to the proxy as GET http://api.test:PORT/x (no CONNECT); the target sees Host: the name; one proxy connection per VU', async () => {
    const target = await httpTarget();
    const proxy = await testProxy();
    const summary = await run({ target: `http://api.test:${target.port}`, scenario: iterations(6, 2) }, { HTTP_PROXY: proxy.url });
    expect(summary.outcomes).toMatchObject({ ok: 6, connect_error: 0 });
    expect(proxy.forwarded).toEqual(Array(6).fill(`http://api.test:${target.port}/x`));
    expect(proxy.tunnels).toEqual([]);
    expect(target.hosts).toEqual(Array(6).fill(`api.test:${target.port}`));
    // The VUs' connections, opened before the start (through the proxy) and kept alive.
    expect(proxy.connections()).toBe(2);
  });

  it('an http target through a plain proxy has no TLS handshake: http_req_tls_handshaking is 0 (k6 reports none), http_req_connecting the TCP connect', async () => {
    const target = await httpTarget();
    const proxy = await testProxy();
    // noConnectionReuse: no pre-opened connections, each request dials the proxy and is timed.
    const summary = await run({ target: `http://api.test:${target.port}`, scenario: iterations(3), noConnectionReuse: true }, { HTTP_PROXY: proxy.url });
    expect(summary.outcomes).toMatchObject({ ok: 3 });
    expect(proxy.connections()).toBe(3);
    expect(summary.metrics.http_req_connecting!.values.max).toBeGreaterThan(0);
    expect(summary.metrics.http_req_tls_handshaking!.values.max).toBe(0);
  });

  it('http_proxy (lower case) is read when HTTP_PROXY is not set; HTTPS_PROXY does not apply to http targets', async () => {
    const target = await httpTarget();
    const proxy = await testProxy();
    const lower = await run({ target: `http://api.test:${target.port}`, scenario: iterations(2) }, { http_proxy: proxy.url });
    expect(lower.outcomes.ok).toBe(2);
    const other = await run({ target: `http://api.test:${target.port}`, scenario: iterations(1) }, { HTTPS_PROXY: proxy.url });
    expect(other.outcomes.connect_error).toBe(1);
    expect(other.errors[0]!.message).toMatch(/ENOTFOUND|EAI_AGAIN/);
    expect(proxy.forwarded).toHaveLength(2);
  });

  it('a redirect to another .test origin goes through the proxy too (its own pool)', async () => {
    const end = await httpTarget();
    const start = await httpTarget((_req, res) => {
      res.writeHead(302, { location: `http://end.test:${end.port}/done` }).end();
    });
    const proxy = await testProxy();
    const summary = await run({ target: `http://start.test:${start.port}`, scenario: iterations(3) }, { HTTP_PROXY: proxy.url });
    expect(summary.outcomes).toMatchObject({ ok: 3 });
    expect(summary.redirects).toMatchObject({ get: 3 });
    expect(proxy.forwarded.filter((u) => u.startsWith('http://end.test'))).toEqual(Array(3).fill(`http://end.test:${end.port}/done`));
    expect(end.hosts).toEqual(Array(3).fill(`end.test:${end.port}`));
  });
});

describe('HTTPS_PROXY: https targets through a CONNECT tunnel, TLS to the target inside it', () => {
  it('CONNECT api.canary.test:PORT, then SNI and the certificate check for api.canary.test (trusted through tlsCACerts)', async () => {
    const target = await httpsTarget();
    const proxy = await testProxy();
    const summary = await run({ target: `https://api.canary.test:${target.port}`, scenario: iterations(6, 2), tlsCACerts: CA }, { HTTPS_PROXY: proxy.url });
    expect(summary.outcomes).toMatchObject({ ok: 6, connect_error: 0 });
    // One tunnel per VU connection, kept alive across its requests.
    expect(proxy.tunnels).toEqual(Array(2).fill(`api.canary.test:${target.port}`));
    expect(proxy.forwarded).toEqual([]);
    expect(target.sni).toEqual(Array(6).fill('api.canary.test'));
    expect(target.hosts).toEqual(Array(6).fill(`api.canary.test:${target.port}`));
    // TCP to the proxy, then the TLS handshake with the target: both timed.
    expect(summary.metrics.http_req_tls_handshaking!.values.max).toBeGreaterThan(0);
    expect(summary.metrics.http_req_connecting!.values.max).toBeGreaterThan(0);
  });

  it('the target’s certificate is still checked inside the tunnel: another name is refused (a connect_error on that name)', async () => {
    const target = await httpsTarget();
    const proxy = await testProxy();
    const summary = await run({ target: `https://www.canary.test:${target.port}`, scenario: iterations(1), tlsCACerts: CA }, { HTTPS_PROXY: proxy.url });
    expect(summary.outcomes.connect_error).toBe(1);
    expect(summary.errors[0]!.message).toMatch(/ERR_TLS_CERT_ALTNAME_INVALID.*www\.canary\.test/);
    expect(proxy.tunnels).toEqual([`www.canary.test:${target.port}`]);
  });

  it('an https:// proxy (TLS to the proxy, trusted through tlsCACerts) carries both an https target (TLS inside TLS) and an http one', async () => {
    const secure = await httpsTarget();
    const plain = await httpTarget();
    const proxy = await testProxy({ tls: true });
    const summary = await run(
      {
        target: `https://api.canary.test:${secure.port}`,
        scenario: iterations(4),
        requests: [
          { name: 'secure', url: '/s' },
          { name: 'plain', url: `http://plain.test:${plain.port}/p` },
        ],
        tlsCACerts: CA,
      },
      { HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url },
    );
    expect(summary.outcomes).toMatchObject({ ok: 4, connect_error: 0, reset: 0 });
    expect(proxy.tunnels).toEqual([`api.canary.test:${secure.port}`]);
    expect(proxy.forwarded).toEqual(Array(2).fill(`http://plain.test:${plain.port}/p`));
    expect(secure.sni).toEqual(Array(2).fill('api.canary.test'));
  });

  it('tlsVersion applies to the https:// proxy too, as Go’s transport uses its TLS config there: TLS 1.2 reaches a TLS 1.2 proxy, TLS 1.3 fails naming the proxy and the versions', async () => {
    const plain = await httpTarget();
    const proxy = await testProxy({ tls: true, tlsVersions: { maxVersion: 'TLSv1.2' } });
    const spec = { target: `http://plain.test:${plain.port}`, scenario: iterations(2), tlsCACerts: CA };
    const ok = await run({ ...spec, tlsVersion: 'tls1.2' }, { HTTP_PROXY: proxy.url });
    expect(ok.outcomes).toMatchObject({ ok: 2, connect_error: 0 });
    expect(proxy.protocols).toEqual(['TLSv1.2']);
    const refused = await run({ ...spec, tlsVersion: 'tls1.3' }, { HTTP_PROXY: proxy.url });
    expect(refused.outcomes).toMatchObject({ ok: 0, connect_error: 2 });
    expect(refused.errors[0]!.message).toBe(
      `TLS: ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION: proxy ${proxy.url}: tlsv1 alert protocol version (the server and the probe share no TLS version: the probe offers TLS 1.3 only (tlsVersion: tls1.3))`,
    );
    expect(plain.hits()).toBe(2);
  });

  it('HTTP/2 inside the tunnel: a target that offers h2 is spoken to in HTTP/2 through CONNECT, as Go’s client does', async () => {
    const versions: string[] = [];
    const server = createSecureServer({ key: readFileSync(fixture('hosts-server.key')), cert: readFileSync(fixture('hosts-server.crt')), allowHTTP1: true }, (req, res) => {
      versions.push(`${req.httpVersion} ${String(req.headers[':authority'] ?? req.headers.host)}`);
      res.end('ok');
    });
    server.on('session', (session) => session.on('error', () => {}));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const sessions = new Set<{ destroy(): void }>();
    server.on('session', (session) => sessions.add(session));
    cleanup.push(async () => {
      for (const session of sessions) session.destroy();
      await new Promise((resolve) => server.close(resolve));
    });
    const port = (server.address() as AddressInfo).port;
    const proxy = await testProxy();
    const summary = await run({ target: `https://api.canary.test:${port}`, scenario: iterations(3), tlsCACerts: CA }, { HTTPS_PROXY: proxy.url });
    expect(summary.outcomes).toMatchObject({ ok: 3, connect_error: 0, reset: 0 });
    expect(proxy.tunnels).toEqual([`api.canary.test:${port}`]);
    expect(versions).toEqual(Array(3).fill(`2.0 api.canary.test:${port}`));
    expect(summary.protocols).toEqual({ get: { 'HTTP/2.0': 3 } });
  });
});

describe('proxy credentials: Proxy-Authorization from the proxy URL', () => {
  it('without them the proxy answers 407: a connect_error naming the CONNECT for https, the 407 response (http_error) for http', async () => {
    const secure = await httpsTarget();
    const plain = await httpTarget();
    const proxy = await testProxy({ require: basic('bot:p@ss word') });
    const summary = await run(
      {
        target: `https://api.canary.test:${secure.port}`,
        scenario: iterations(2),
        requests: [
          { name: 'secure', url: '/s' },
          { name: 'plain', url: `http://plain.test:${plain.port}/p` },
        ],
        tlsCACerts: CA,
      },
      { HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url },
    );
    expect(summary.outcomes).toMatchObject({ ok: 0, connect_error: 1, http_error: 1 });
    const messages = summary.errors.map((e) => e.message);
    expect(messages).toContainEqual(expect.stringMatching(new RegExp(`proxy ${proxy.url} answered 407 to CONNECT api\\.canary\\.test:${secure.port}`)));
    expect(messages).toContain('HTTP 407');
    expect(secure.sni).toEqual([]);
    expect(plain.hits()).toBe(0);
  });

  it('with user:password in the URL (percent-encoded) each CONNECT (https) and each request (http) carries Proxy-Authorization: Basic; the target never sees it', async () => {
    const secure = await httpsTarget();
    const seen: (string | undefined)[] = [];
    const plain = await httpTarget((req, res) => {
      seen.push(req.headers['proxy-authorization']);
      res.end('ok');
    });
    const proxy = await testProxy({ require: basic('bot:p@ss word') });
    const url = proxy.url.replace('http://', 'http://bot:p%40ss%20word@');
    const summary = await run(
      {
        target: `https://api.canary.test:${secure.port}`,
        scenario: iterations(6),
        requests: [
          { name: 'secure', url: '/s' },
          { name: 'plain', url: `http://plain.test:${plain.port}/p` },
        ],
        tlsCACerts: CA,
      },
      { HTTPS_PROXY: url, HTTP_PROXY: url },
    );
    expect(summary.outcomes).toMatchObject({ ok: 6, connect_error: 0 });
    // One CONNECT (the https connection is kept alive) and three forwarded requests.
    expect(proxy.auth).toEqual(Array(4).fill(basic('bot:p@ss word')));
    expect(seen).toEqual([undefined, undefined, undefined]);
  });
});

describe('proxy failures are classified, never a crash', () => {
  it('a proxy that refuses the connection: a connect_error naming the proxy, for https and http targets', async () => {
    const port = await closedPort();
    const proxyUrl = `http://127.0.0.1:${port}`;
    const summary = await run(
      { target: 'https://api.canary.test', scenario: iterations(2), requests: [{ name: 'secure', url: '/s' }, { name: 'plain', url: 'http://plain.test/p' }] },
      { HTTPS_PROXY: proxyUrl, HTTP_PROXY: proxyUrl },
    );
    expect(summary.outcomes).toMatchObject({ connect_error: 2 });
    expect(summary.stopReason ?? '').not.toMatch(/crashed/);
    for (const e of summary.errors) expect(e.message).toMatch(new RegExp(`^ECONNREFUSED: proxy http://127\\.0\\.0\\.1:${port}: connect ECONNREFUSED`));
  });

  it('CONNECT answered 403 or 502: a connect_error "proxy answered N to CONNECT host:port"', async () => {
    for (const status of [403, 502]) {
      const proxy = await testProxy({ connectStatus: status });
      const summary = await run({ target: 'https://api.canary.test:8443', scenario: iterations(2) }, { HTTPS_PROXY: proxy.url });
      expect(summary.outcomes).toMatchObject({ connect_error: 2, reset: 0 });
      expect(summary.errors[0]!.message).toMatch(new RegExp(`^ERR_PROXY_REFUSED: proxy ${proxy.url} answered ${status} to CONNECT api\\.canary\\.test:8443`));
    }
  });

  it('a proxy that drops the connection before answering CONNECT is a connect_error (nothing reached the target), whether it closes (FIN) or resets (RST)', async () => {
    for (const rst of [false, true]) {
      const sockets = new Set<Socket>();
      const dying = createNetServer((c) => {
        sockets.add(c);
        c.on('error', () => {});
        c.once('data', () => (rst ? c.resetAndDestroy() : c.end()));
      });
      await new Promise<void>((resolve) => dying.listen(0, '127.0.0.1', resolve));
      cleanup.push(async () => {
        for (const c of sockets) c.destroy();
        await new Promise((resolve) => dying.close(resolve));
      });
      const url = `http://127.0.0.1:${(dying.address() as AddressInfo).port}`;
      const summary = await run({ target: 'https://api.canary.test:8443', scenario: iterations(2) }, { HTTPS_PROXY: url });
      expect(summary.outcomes).toMatchObject({ connect_error: 2, reset: 0 });
      expect(summary.errors[0]!.message).toMatch(new RegExp(`^ERR_PROXY_SET_UP: proxy ${url} (closed|reset) the connection before answering CONNECT api\\.canary\\.test:8443`));
    }
  });

  it('https:// given for a plain proxy: a connect_error that says so (not the target’s "wrong version number")', async () => {
    const proxy = await testProxy();
    const url = proxy.url.replace('http://', 'https://');
    const summary = await run({ target: 'https://api.canary.test', scenario: iterations(1) }, { HTTPS_PROXY: url });
    expect(summary.outcomes.connect_error).toBe(1);
    expect(summary.errors[0]!.message).toBe(`ERR_PROXY_SET_UP: proxy ${url} did not answer in TLS: is it an http:// proxy?`);
  });

  it('a proxy that drops the tunnel while the request waits for its response: a reset', async () => {
    const proxy = await testProxy();
    // The request came through the tunnel (after the TLS handshake): the proxy cuts it, the response never leaves.
    const target = await httpsTarget(() => {
      proxy.cut();
      return true;
    });
    const summary = await run({ target: `https://api.canary.test:${target.port}`, scenario: iterations(2), tlsCACerts: CA }, { HTTPS_PROXY: proxy.url });
    expect(summary.outcomes).toMatchObject({ ok: 0, connect_error: 0, reset: 2 });
    expect(summary.errors[0]!.message).toBe('UND_ERR_SOCKET: other side closed');
    expect(target.hosts).toHaveLength(2);
    expect(proxy.tunnels).toHaveLength(2);
  });
});

describe('what is not proxied', () => {
  it('loopback targets never are (Go’s rule), whatever NO_PROXY says', async () => {
    const target = await httpTarget();
    const proxy = await testProxy();
    const summary = await run({ target: `http://127.0.0.1:${target.port}`, scenario: iterations(3) }, { HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url, NO_PROXY: '' });
    expect(summary.outcomes.ok).toBe(3);
    expect(proxy.connections()).toBe(0);
  });

  it('a NO_PROXY match is dialled directly: the .test name is looked up here, and fails', async () => {
    const target = await httpTarget();
    const proxy = await testProxy();
    for (const noProxy of ['api.test', '.test', 'test', `api.test:${target.port}`, '*']) {
      const summary = await run({ target: `http://api.test:${target.port}`, scenario: iterations(1) }, { HTTP_PROXY: proxy.url, NO_PROXY: noProxy });
      expect(summary.outcomes.connect_error, noProxy).toBe(1);
      expect(summary.errors[0]!.message).toMatch(/ENOTFOUND|EAI_AGAIN/);
    }
    // Another port, another name: proxied.
    const summary = await run({ target: `http://api.test:${target.port}`, scenario: iterations(1) }, { HTTP_PROXY: proxy.url, no_proxy: 'api.test:1,other.test,pi.test' });
    expect(summary.outcomes.ok).toBe(1);
    expect(proxy.connections()).toBe(1);
  });

  it('an origin that hosts maps is dialled at the mapped address, not through the proxy', async () => {
    const target = await httpTarget();
    const proxy = await testProxy();
    const summary = await run({ target: `http://api.test:${target.port}`, scenario: iterations(3), hosts: { 'api.test': '127.0.0.1' } }, { HTTP_PROXY: proxy.url });
    expect(summary.outcomes.ok).toBe(3);
    expect(target.hosts).toEqual(Array(3).fill(`api.test:${target.port}`));
    expect(proxy.connections()).toBe(0);
  });
});

describe('the pool alone', () => {
  it('pre-connects an http origin’s connections to the proxy; requests then go out on them in absolute form', async () => {
    const target = await httpTarget();
    const proxy = await testProxy();
    const options: ConnectionPoolOptions = { connections: 3, connectTimeout: 2_000, proxy: { url: proxy.url, host: '127.0.0.1', port: proxy.port, tls: false, variable: 'HTTP_PROXY' } };
    const pool = new ConnectionPool(`http://api.test:${target.port}`, options);
    cleanup.push(() => pool.destroy());
    expect(await pool.preconnect(3)).toBe(3);
    // The proxy accepts them a moment after the client sees them connected.
    for (const end = Date.now() + 2_000; proxy.connections() < 3 && Date.now() < end; ) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(proxy.connections()).toBe(3);
    const status = await new Promise<number>((resolve, reject) => {
      const h: PooledHandler = {
        active: true,
        conn: null,
        onConnect: () => {},
        onHeaders: (statusCode: number) => {
          resolve(statusCode);
          return true;
        },
        onData: () => true,
        onComplete: () => {
          if (h.conn) pool.release(h.conn);
        },
        onError: (err: Error) => reject(err),
      };
      pool.dispatch({ path: '/x', method: 'GET', headers: [] }, h);
    });
    expect(status).toBe(200);
    expect(proxy.forwarded).toEqual([`http://api.test:${target.port}/x`]);
    expect(proxy.connections()).toBe(3);
  });
});

describe('REQUEST_METHOD (a CGI environment) concerns http:// only, as in Go', () => {
  it('an https-only probe runs through HTTPS_PROXY; a probe with an http:// origin is refused before it starts', async () => {
    const secure = await httpsTarget();
    const proxy = await testProxy();
    const env = { HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url, REQUEST_METHOD: 'GET' };
    const summary = await run({ target: `https://api.canary.test:${secure.port}`, scenario: iterations(1), tlsCACerts: CA }, env);
    expect(summary.outcomes).toMatchObject({ ok: 1 });
    expect(() => startRun(probe({ target: 'http://api.test', scenario: iterations(1), requests: [{ name: 'get', url: '/' }] }), { env })).toThrow(
      expect.objectContaining({ code: 'PROBE_PROXY_INVALID', message: expect.stringMatching(/HTTP_PROXY is set and so is REQUEST_METHOD/) as unknown }),
    );
  });
});

describe('burnwatch run says which origins go through a proxy', () => {
  it('one line per proxied origin under the header, naming the proxy (without its credentials) and the variable; none for a direct origin', async () => {
    const target = await httpTarget();
    const proxy = await testProxy();
    const dir = await mkdtemp(join(tmpdir(), 'burnwatch-proxy-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'probe.yaml');
    await writeFile(
      file,
      `apiVersion: burnwatch/v1
kind: Probe
metadata: { name: proxied }
spec:
  target: http://api.test:${target.port}
  scenario: { executor: shared-iterations, vus: 1, iterations: 2, maxDuration: 5s }
  requests: [{ name: get, url: /x }, { name: direct, url: 'http://127.0.0.1:${target.port}/y' }]
`,
    );
    const withCredentials = proxy.url.replace('http://', 'http://bot:hunter22@');
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => (text += c.toString()));
    const code = await runCommand(file, { out, handleSignals: false, env: { HTTP_PROXY: withCredentials } });
    expect(code, text).toBe(0);
    const header = text.split('\n').slice(0, 4);
    expect(header).toContain(`  through proxy ${proxy.url} (HTTP_PROXY): http://api.test:${target.port}`);
    expect(text).not.toMatch(/hunter22/);
    expect(text).not.toMatch(/through proxy .*127\.0\.0\.1:${target.port}$/m);
  });

  it('names only origins a request goes to: a target no request uses is not listed', async () => {
    const { proxiedOrigins, readProxyEnv } = await import('./proxy.ts');
    const p = probe({ target: 'http://unused.test', scenario: iterations(1), requests: [{ name: 'get', url: 'http://api.test/x' }] });
    expect(proxiedOrigins(p, readProxyEnv({ HTTP_PROXY: 'http://proxy.corp:3128' })).map((o) => o.origin)).toEqual(['http://api.test']);
  });
});

describe('a bad proxy variable stops the run before it starts', () => {
  it('startRun throws PROBE_PROXY_INVALID; burnwatch run exits 104 and names the variable, without its credentials', async () => {
    expect(() => startRun(probe({ target: 'http://api.test', scenario: iterations(1), requests: [{ name: 'get', url: '/' }] }), { env: { HTTPS_PROXY: 'socks4://127.0.0.1:1080' } })).toThrow(
      expect.objectContaining({ code: 'PROBE_PROXY_INVALID', message: expect.stringMatching(/HTTPS_PROXY.*socks4/) as unknown }),
    );
    const dir = await mkdtemp(join(tmpdir(), 'burnwatch-proxy-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'probe.yaml');
    await writeFile(
      file,
      `apiVersion: burnwatch/v1
kind: Probe
metadata: { name: proxied }
spec:
  target: http://api.test
  scenario: { executor: shared-iterations, vus: 1, iterations: 1, maxDuration: 5s }
  requests: [{ name: get, url: / }]
`,
    );
    const out = await runCli(['run', file], { env: { HTTP_PROXY: 'ftp://bot:hunter22@proxy.test:21', NO_PROXY: '' }, timeoutMs: 40_000 });
    expect(out.code, out.stderr + out.stdout).toBe(104);
    expect(out.stderr).toMatch(/HTTP_PROXY/);
    expect(out.stderr).not.toMatch(/hunter22/);
  });
});
