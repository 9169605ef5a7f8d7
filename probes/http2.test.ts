/**
 * HTTP/2 over TLS, negotiated by ALPN as k6 (Go's client) negotiates it,
 * against a real `node:http2` secure server on 127.0.0.1 that also speaks
 * HTTP/1.1 (`allowHTTP1`), with the test CA's certificate for 127.0.0.1
 * (trusted through `tlsCACerts`). The server records what it saw per
 * request (protocol, path, cookies) and the HTTP/2 sessions it accepted.
 */
import { readFileSync } from 'node:fs';
import { createSecureServer, constants } from 'node:http2';
import type { Http2SecureServer, Http2ServerRequest, Http2ServerResponse, Http2Session } from 'node:http2';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createSecureContext } from 'node:tls';
import type { TLSSocket } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionPool } from './connection-pool.ts';
import type { Conn, PooledHandler } from './connection-pool.ts';
import { startRun } from './run.ts';
import { formatSummary } from './summary.ts';
import type { RunSummary } from './summary.ts';
import { fixturePath as fixture, iterations, probe, testServer } from './test-support.ts';

const CA = fixture('mtls-ca.crt');
const KEY = readFileSync(fixture('mtls-server.key'));
const CERT = readFileSync(fixture('mtls-server.crt'));

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0)) await fn();
});

interface Seen {
  version: string;
  method: string;
  path: string;
  cookie: string | undefined;
  /** The HTTP/2 stream's id (undefined over HTTP/1.1). */
  stream: number | undefined;
}

interface H2Server {
  url: string;
  seen: Seen[];
  /** HTTP/2 sessions (connections that negotiated h2) accepted. */
  sessions: Http2Session[];
  /** Ids of the streams that closed before their response was all sent (the client cancelled them). */
  cancelled: number[];
  /** Bytes the server's TLS sockets read and wrote (cleartext), all connections. */
  bytes: () => { read: number; written: number };
}

type H2Handler = (req: Http2ServerRequest, res: Http2ServerResponse, n: number) => void;

/** An https server that offers h2 and http/1.1 (ALPN); `handler` answers the nth request (1-based); default: 200 "ok". */
async function h2Server(handler: H2Handler = (_req, res) => res.end('ok')): Promise<H2Server> {
  const seen: Seen[] = [];
  const sessions: Http2Session[] = [];
  const cancelled: number[] = [];
  const sockets: { bytesRead: number; bytesWritten: number }[] = [];
  const server: Http2SecureServer = createSecureServer({ key: KEY, cert: CERT, allowHTTP1: true }, (req, res) => {
    const stream = req.httpVersion === '2.0' ? req.stream : undefined;
    // A stream the client reset (RST_STREAM) before its response was all sent.
    stream?.on('close', () => {
      if (stream.aborted) cancelled.push(stream.id!);
    });
    // Errors of streams the test resets or the client cancels.
    stream?.on('error', () => {});
    seen.push({ version: req.httpVersion, method: req.method, path: req.url, cookie: req.headers.cookie, stream: stream?.id });
    const n = seen.length;
    req.resume();
    req.on('end', () => handler(req, res, n));
  });
  server.on('session', (session: Http2Session) => {
    sessions.push(session);
    session.on('error', () => {});
  });
  server.on('secureConnection', (socket: TLSSocket) => sockets.push(socket));
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(async () => {
    for (const s of sessions) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  const bytes = (): { read: number; written: number } => ({
    read: sockets.reduce((n, s) => n + s.bytesRead, 0),
    written: sockets.reduce((n, s) => n + s.bytesWritten, 0),
  });
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, sessions, cancelled, bytes };
}

async function run(spec: Record<string, unknown>): Promise<RunSummary> {
  return startRun(probe({ tlsCACerts: CA, requests: [{ name: 'get', url: '/' }], ...spec }), { threads: 1 }).done;
}

type Trend = Record<string, number> & { count: number; avg: number; min: number; med: number; max: number };
const trend = (s: RunSummary, key: string): Trend => s.metrics[key]!.values as Trend;
const counter = (s: RunSummary, key: string): number => s.metrics[key]!.values.count!;

describe('ALPN: https targets that offer h2 get HTTP/2, as in k6', () => {
  it('a server that offers h2 and http/1.1 is spoken to in HTTP/2: one connection per VU, every request on it; the summary counts the protocol per request', async () => {
    const s = await h2Server();
    const summary = await run({ target: s.url, scenario: iterations(12, 3) });
    expect(summary.outcomes).toMatchObject({ ok: 12, reset: 0, connect_error: 0 });
    expect(s.seen.map((r) => r.version)).toEqual(Array(12).fill('2.0'));
    // One HTTP/2 connection per VU, as k6 (each VU its own transport): no multiplexing across VUs.
    expect(s.sessions).toHaveLength(3);
    expect(summary.protocols).toEqual({ get: { 'HTTP/2.0': 12 } });
    expect(formatSummary(summary)).toContain('protocols: get HTTP/2.0=12');
  });

  it('an https server that offers only http/1.1 keeps HTTP/1.1; so does plain http (no h2c)', async () => {
    const versions: string[] = [];
    const h1 = createHttpsServer({ key: KEY, cert: CERT }, (req, res) => {
      versions.push(req.httpVersion);
      res.end('ok');
    });
    await new Promise<void>((resolve) => h1.listen(0, '127.0.0.1', resolve));
    cleanup.push(async () => {
      h1.closeAllConnections();
      await new Promise((resolve) => h1.close(resolve));
    });
    const summary = await run({ target: `https://127.0.0.1:${(h1.address() as AddressInfo).port}`, scenario: iterations(4) });
    expect(summary.outcomes.ok).toBe(4);
    expect(versions).toEqual(Array(4).fill('1.1'));
    expect(summary.protocols).toEqual({ get: { 'HTTP/1.1': 4 } });
    expect(formatSummary(summary)).not.toContain('protocols:');

    const plain = await testServer((req, res) => {
      versions.push(`plain ${req.httpVersion}`);
      res.end('ok');
    });
    cleanup.push(() => plain.close());
    const plainSummary = await run({ target: plain.url, scenario: iterations(2) });
    expect(plainSummary.outcomes.ok).toBe(2);
    expect(versions.slice(4)).toEqual(['plain 1.1', 'plain 1.1']);
    expect(plainSummary.protocols).toEqual({ get: { 'HTTP/1.1': 2 } });
  });

  it('http2: false keeps HTTP/1.1 with a server that offers h2 (k6: GODEBUG=http2client=0)', async () => {
    const s = await h2Server();
    const summary = await run({ target: s.url, scenario: iterations(3), http2: false });
    expect(summary.outcomes.ok).toBe(3);
    expect(s.seen.map((r) => r.version)).toEqual(['1.1', '1.1', '1.1']);
    expect(s.sessions).toHaveLength(0);
    expect(summary.protocols).toEqual({ get: { 'HTTP/1.1': 3 } });
  });
});

describe('measurements over HTTP/2', () => {
  it('timings: the first request dials (TCP and TLS), the others reuse the connection; waiting holds the server time; receiving the body time', async () => {
    const s = await h2Server((_req, res) => {
      setTimeout(() => {
        res.write('a');
        setTimeout(() => res.end('b'), 30);
      }, 40);
    });
    const summary = await run({ target: s.url, scenario: iterations(5) });
    expect(summary.outcomes.ok).toBe(5);
    for (const key of ['http_req_blocked', 'http_req_connecting', 'http_req_tls_handshaking', 'http_req_sending', 'http_req_waiting', 'http_req_receiving']) {
      expect(trend(summary, key).count, key).toBe(5);
    }
    expect(trend(summary, 'http_req_connecting').max).toBeGreaterThan(0);
    expect(trend(summary, 'http_req_tls_handshaking').max).toBeGreaterThan(0);
    // Only the first request opened the connection.
    expect(trend(summary, 'http_req_connecting').med).toBe(0);
    expect(trend(summary, 'http_req_tls_handshaking').med).toBe(0);
    expect(trend(summary, 'http_req_sending').min).toBeGreaterThan(0);
    expect(trend(summary, 'http_req_sending').max).toBeLessThan(20);
    expect(trend(summary, 'http_req_waiting').min).toBeGreaterThanOrEqual(38);
    expect(trend(summary, 'http_req_receiving').min).toBeGreaterThanOrEqual(25);
    expect(trend(summary, 'http_req_duration').min).toBeGreaterThanOrEqual(trend(summary, 'http_req_waiting').min);
  });

  it('sending lasts until the body is written: an upload the server takes late (HTTP/2 flow control holds it back) is sending, not waiting', async () => {
    // Takes nothing for 300 ms: beyond the first 64 KiB window the client may not send.
    const slow = createSecureServer({ key: KEY, cert: CERT, allowHTTP1: true }, (req, res) => {
      req.pause();
      setTimeout(() => {
        req.resume();
        req.on('end', () => res.end('ok'));
      }, 300);
    });
    slow.on('session', (session) => session.on('error', () => {}));
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    cleanup.push(async () => {
      await new Promise((resolve) => {
        slow.close(resolve);
        setTimeout(resolve, 100);
      });
    });
    const summary = await run({
      target: `https://127.0.0.1:${(slow.address() as AddressInfo).port}`,
      scenario: iterations(1),
      requests: [{ name: 'upload', method: 'POST', url: '/', body: 'x'.repeat(1024 * 1024), headers: { 'content-type': 'text/plain' } }],
    });
    expect(summary.outcomes.ok).toBe(1);
    expect(summary.protocols).toEqual({ upload: { 'HTTP/2.0': 1 } });
    expect(trend(summary, 'http_req_sending').max).toBeGreaterThanOrEqual(250);
    expect(trend(summary, 'http_req_waiting').max).toBeLessThan(100);
    // The body and its DATA frames (9 bytes each per ≤ 16 KiB) went out.
    expect(counter(summary, 'data_sent')).toBeGreaterThan(1024 * 1024);
    expect(counter(summary, 'data_sent')).toBeLessThan(1024 * 1024 + 2_000);
  });

  it('data_sent and data_received are the connection’s bytes while each request was on it: HTTP/2 frames and HPACK-compressed headers, within what the server counted', async () => {
    const body = 'y'.repeat(1000);
    const s = await h2Server((_req, res) => res.end(body));
    const summary = await run({ target: s.url, scenario: iterations(10) });
    expect(summary.outcomes.ok).toBe(10);
    const sent = counter(summary, 'data_sent');
    const received = counter(summary, 'data_received');
    const server = s.bytes();
    // What the client counted the server read and wrote, less what crossed while no request was on the
    // connection (a SETTINGS acknowledgement after the first response, the client's goodbye at the end).
    expect(sent).toBeLessThanOrEqual(server.read);
    expect(sent).toBeGreaterThanOrEqual(server.read - 100);
    expect(received).toBeLessThanOrEqual(server.written);
    expect(received).toBeGreaterThanOrEqual(server.written - 100);
    // Ten bodies and their frames; a repeated request's headers compress to a few bytes (HPACK): here 230 bytes
    // sent for the ten GETs (~100 of them the connection preface and SETTINGS), where HTTP/1.1 sends 920.
    expect(received).toBeGreaterThan(10 * body.length);
    expect(sent).toBeLessThan(10 * 60 + 200);
  });

  it('a redirect that sets a cookie is followed over HTTP/2 with the cookie, one request in the metrics', async () => {
    const s = await h2Server((req, res) => {
      if (req.url === '/start') res.writeHead(302, { location: '/end', 'set-cookie': ['sid=42; Path=/', 'theme=dark'] }).end();
      else res.end('done');
    });
    const summary = await run({ target: s.url, scenario: iterations(2), requests: [{ name: 'login', url: '/start' }] });
    expect(summary.outcomes.ok).toBe(2);
    expect(summary.redirects).toEqual({ login: 2 });
    expect(s.seen.map((r) => `${r.version} ${r.path} ${r.cookie ?? '-'}`)).toEqual([
      '2.0 /start -',
      '2.0 /end sid=42; theme=dark',
      '2.0 /start -',
      '2.0 /end sid=42; theme=dark',
    ]);
    expect(summary.protocols).toEqual({ login: { 'HTTP/2.0': 2 } });
  });

  it('Connection: close is not sent over HTTP/2; the connection is not reused after the request, as Go’s client does not (every request dials)', async () => {
    const s = await h2Server();
    const summary = await run({ target: s.url, scenario: iterations(3), requests: [{ name: 'get', url: '/', headers: { Connection: 'close' } }] });
    expect(summary.outcomes.ok).toBe(3);
    expect(s.seen.map((r) => r.version)).toEqual(['2.0', '2.0', '2.0']);
    expect(s.sessions).toHaveLength(3);
    expect(trend(summary, 'http_req_tls_handshaking').min).toBeGreaterThan(0);
  });

  it('noConnectionReuse over HTTP/2: every request on a connection of its own, as over HTTP/1.1', async () => {
    const s = await h2Server();
    const summary = await run({ target: s.url, scenario: iterations(3), noConnectionReuse: true });
    expect(summary.outcomes.ok).toBe(3);
    expect(s.seen.map((r) => r.version)).toEqual(['2.0', '2.0', '2.0']);
    expect(s.sessions).toHaveLength(3);
    expect(trend(summary, 'http_req_tls_handshaking').count).toBe(3);
    expect(trend(summary, 'http_req_tls_handshaking').min).toBeGreaterThan(0);
  });

  it('noConnectionReuse over HTTP/2 with many VUs: each retired connection is replaced at once, not 4 at a time (the pool’s connect cap)', async () => {
    let inFlight = 0;
    let most = 0;
    const s = await h2Server((_req, res) => {
      inFlight++;
      most = Math.max(most, inFlight);
      setTimeout(() => {
        inFlight--;
        res.end('ok');
      }, 150);
    });
    const summary = await run({ target: s.url, scenario: iterations(36, 12), noConnectionReuse: true });
    expect(summary.outcomes).toMatchObject({ ok: 36, connect_error: 0 });
    // 12 VUs, each on a new connection per request: the server sees them at once, not 4.
    expect(most).toBeGreaterThanOrEqual(10);
  });

  it('interim responses (103 Early Hints, an unsolicited 100 Continue) are skipped', async () => {
    const s = await h2Server((req, res) => {
      req.stream.additionalHeaders({ ':status': 103, link: '</style.css>; rel=preload' });
      req.stream.additionalHeaders({ ':status': 100 });
      res.end('ok');
    });
    const summary = await run({ target: s.url, scenario: iterations(2) });
    expect(summary.outcomes).toMatchObject({ ok: 2, reset: 0 });
  });
});

describe('timeouts and limits cancel the stream, not the connection', () => {
  it('a request over its timeout is a timeout; the VU’s next request goes out on the same connection', async () => {
    const s = await h2Server((req, res) => {
      if (req.url === '/slow') setTimeout(() => res.stream.destroyed || res.end('late'), 2_000).unref();
      else res.end('ok');
    });
    const summary = await run({
      target: s.url,
      scenario: iterations(4),
      requests: [
        { name: 'slow', url: '/slow', timeout: '300ms' },
        { name: 'fast', url: '/fast' },
      ],
    });
    expect(summary.outcomes).toMatchObject({ ok: 2, timeout: 2, reset: 0 });
    expect(s.sessions).toHaveLength(1);
    // The client cancelled the timed-out streams (RST_STREAM), the connection stayed.
    expect(s.cancelled).toEqual([1, 5]);
    expect(s.seen.map((r) => r.stream)).toEqual([1, 3, 5, 7]);
  });

  it('a body over maxResponseBytes is cut off (assertion_failed); the stream is cancelled and the connection serves the next request', async () => {
    const s = await h2Server((req, res) => res.end(req.url === '/big' ? 'z'.repeat(300_000) : 'ok'));
    const summary = await run({
      target: s.url,
      scenario: iterations(4),
      maxResponseBytes: 65_536,
      requests: [
        { name: 'big', url: '/big' },
        { name: 'small', url: '/small' },
      ],
    });
    expect(summary.outcomes).toMatchObject({ ok: 2, assertion_failed: 2, reset: 0 });
    expect(summary.errors).toContainEqual(expect.objectContaining({ outcome: 'assertion_failed', message: 'response body larger than maxResponseBytes (65536 bytes)' }));
    expect(s.sessions).toHaveLength(1);
  });

  it('response headers over maxResponseBytes (at least 16 KiB) are an http_error, as over HTTP/1.1', async () => {
    const s = await h2Server((req, res) => {
      if (req.url === '/fat') res.setHeader('x-fat', 'f'.repeat(20_000));
      res.end('ok');
    });
    const summary = await run({
      target: s.url,
      scenario: iterations(4),
      maxResponseBytes: 16_384,
      requests: [
        { name: 'fat', url: '/fat' },
        { name: 'thin', url: '/thin' },
      ],
    });
    expect(summary.outcomes).toMatchObject({ ok: 2, http_error: 2, reset: 0 });
    expect(summary.errors).toContainEqual(expect.objectContaining({ outcome: 'http_error', message: 'response headers larger than maxResponseBytes (16384 bytes)' }));
    expect(s.sessions).toHaveLength(1);
  });

  it('more header fields than Node’s HTTP/2 reads (128; Go has no such limit) is a reset that says so, not a crash', async () => {
    const s = await h2Server((_req, res) => {
      for (let i = 0; i < 200; i++) res.setHeader(`x-h${i}`, 'v');
      res.end('ok');
    });
    const summary = await run({ target: s.url, scenario: iterations(1) });
    expect(summary.outcomes).toMatchObject({ reset: 1 });
    // ENHANCE_YOUR_CALM, or INTERNAL_ERROR when a write of the session was in flight (see classify-error.test.ts).
    expect(summary.errors[0]!.message).toMatch(
      /^ERR_HTTP2_STREAM_ERROR: Stream closed with error code NGHTTP2_(ENHANCE_YOUR_CALM|INTERNAL_ERROR) \(the server reset the stream, or its response headers were beyond what Node’s HTTP\/2 reads: 128 fields, 64 KiB\)$/,
    );
  });
});

describe('GOAWAY and RST_STREAM: Go’s retry rules (x/net/http2 canRetryError)', () => {
  it('a graceful GOAWAY that covers the request in flight (nginx at keepalive_requests): its response still counts; the next request opens a new connection', async () => {
    const s = await h2Server((req, res, n) => {
      const stream = req.stream;
      if (n === 3) {
        stream.session!.goaway(constants.NGHTTP2_NO_ERROR, stream.id);
        setTimeout(() => res.end('last'), 30);
      } else res.end('ok');
    });
    const summary = await run({ target: s.url, scenario: iterations(5) });
    expect(summary.outcomes).toMatchObject({ ok: 5, reset: 0 });
    expect(summary.retries).toEqual({});
    expect(s.seen).toHaveLength(5);
    expect(s.sessions).toHaveLength(2);
  });

  it('a GOAWAY below the request’s stream (unprocessed) sends it again on a new connection, whatever its method', async () => {
    const s = await h2Server((req, res, n) => {
      const stream = req.stream;
      if (n === 3) stream.session!.goaway(constants.NGHTTP2_NO_ERROR, stream.id! - 2);
      else res.end('ok');
    });
    const summary = await run({ target: s.url, scenario: iterations(4), requests: [{ name: 'post', method: 'POST', url: '/', body: { a: 1 } }] });
    expect(summary.outcomes).toMatchObject({ ok: 4, reset: 0 });
    expect(summary.retries).toEqual({ post: 1 });
    expect(s.seen).toHaveLength(5);
    expect(s.sessions).toHaveLength(2);
  });

  it('RST_STREAM REFUSED_STREAM (never processed) is sent again, even a POST; any other reset is a reset and the connection goes on', async () => {
    const s = await h2Server((req, res, n) => {
      const stream = req.stream;
      if (n === 2) stream.close(constants.NGHTTP2_REFUSED_STREAM);
      else if (req.url === '/broken') stream.close(constants.NGHTTP2_INTERNAL_ERROR);
      else res.end('ok');
    });
    const refused = await run({ target: s.url, scenario: iterations(3), requests: [{ name: 'post', method: 'POST', url: '/', body: { a: 1 } }] });
    expect(refused.outcomes).toMatchObject({ ok: 3, reset: 0 });
    expect(refused.retries).toEqual({ post: 1 });

    const broken = await run({
      target: s.url,
      scenario: iterations(4),
      requests: [
        { name: 'broken', url: '/broken' },
        { name: 'fine', url: '/fine' },
      ],
    });
    expect(broken.outcomes).toMatchObject({ ok: 2, reset: 2 });
    expect(broken.retries).toEqual({});
    expect(broken.errors).toContainEqual(expect.objectContaining({ outcome: 'reset', message: expect.stringContaining('NGHTTP2_INTERNAL_ERROR') as unknown }));
    // One connection per run: the resets did not cost it.
    expect(s.sessions).toHaveLength(2);
  });

  it('a GOAWAY with an error code that covers the request is a reset, not retried (the server may have acted on it)', async () => {
    const s = await h2Server((req, res, n) => {
      const stream = req.stream;
      if (n === 2) stream.session!.goaway(constants.NGHTTP2_INTERNAL_ERROR, stream.id);
      else res.end('ok');
    });
    const summary = await run({ target: s.url, scenario: iterations(3) });
    expect(summary.outcomes).toMatchObject({ ok: 2, reset: 1 });
    expect(summary.retries).toEqual({});
    expect(summary.errors[0]!.message).toContain('GOAWAY');
  });
});

describe('request headers HTTP/2 forbids', () => {
  it('Proxy-Connection and TE other than "trailers" are not sent over HTTP/2 (RFC 9113 §8.2.2; Go drops Proxy-Connection too), and sent as written over HTTP/1.1', async () => {
    const seen: Record<string, string | string[] | undefined>[] = [];
    const s = await h2Server((req, res) => {
      seen.push({ version: req.httpVersion, te: req.headers.te, 'proxy-connection': req.headers['proxy-connection'], 'x-kept': req.headers['x-kept'] });
      res.end('ok');
    });
    const requests = [
      { name: 'gzip', url: '/', headers: { TE: 'gzip', 'Proxy-Connection': 'keep-alive', 'HTTP2-Settings': 'AAMAAABkAAQAAP__', 'x-kept': '1' } },
      { name: 'trailers', url: '/', headers: { te: 'trailers' } },
    ];
    const h2 = await run({ target: s.url, scenario: iterations(2), requests });
    expect(h2.outcomes).toMatchObject({ ok: 2, connect_error: 0 });
    expect(seen).toEqual([
      { version: '2.0', te: undefined, 'proxy-connection': undefined, 'x-kept': '1' },
      { version: '2.0', te: 'trailers', 'proxy-connection': undefined, 'x-kept': undefined },
    ]);
    const h1 = await run({ target: s.url, scenario: iterations(1), requests: requests.slice(0, 1), http2: false });
    expect(h1.outcomes.ok).toBe(1);
    expect(seen[2]).toEqual({ version: '1.1', te: 'gzip', 'proxy-connection': 'keep-alive', 'x-kept': '1' });
  });
});

describe('the pool alone', () => {
  /** Sends one GET on `pool`; resolves with its status, or its error's code and message. */
  function get(pool: ConnectionPool, onConn: (conn: Conn) => void = () => {}): Promise<string> {
    return new Promise((resolve) => {
      const h: PooledHandler = {
        active: true,
        conn: null,
        onConnect: () => {},
        onHeaders: (status: number) => {
          resolve(`${status} over ${h.conn!.h2 ? 'h2' : 'http/1.1'}`);
          return true;
        },
        onData: () => true,
        onComplete: () => pool.release(h.conn!),
        onError: (err: Error & { code?: string }) => {
          if (h.conn) pool.release(h.conn, 'error');
          resolve(`${err.code}: ${err.message}`);
        },
      };
      pool.dispatch({ path: '/', method: 'GET', headersTimeout: 0, bodyTimeout: 0 }, h);
      onConn(h.conn!);
    });
  }

  it('speaks HTTP/2 with allowH2 only; a session it cannot find (another undici) fails the request instead of measuring it wrong', async () => {
    const s = await h2Server();
    const options = { connections: 1, connectTimeout: 2_000, secureContext: createSecureContext({ ca: readFileSync(CA) }) };
    const h2 = new ConnectionPool(s.url, { ...options, allowH2: true });
    const h1 = new ConnectionPool(s.url, options);
    const hidden = new ConnectionPool(s.url, { ...options, allowH2: true });
    cleanup.push(() => Promise.all([h2.destroy(), h1.destroy(), hidden.destroy()]));
    expect(await get(h2)).toBe('200 over h2');
    expect(await get(h1)).toBe('200 over http/1.1');
    const result = await get(hidden, (conn) => {
      // Runs before the pool's own listener: nothing on the socket looks like a session any more, as if undici kept it elsewhere.
      conn.client.prependListener('connect', () => {
        for (const key of Object.getOwnPropertySymbols(conn.socket!)) {
          const value = (conn.socket as unknown as Record<symbol, { goaway?: unknown } | undefined>)[key];
          if (typeof value?.goaway === 'function') value.goaway = undefined;
        }
      });
    });
    expect(result).toMatch(/^ERR_BURNWATCH_H2_SESSION: HTTP\/2 was negotiated, .*set http2: false$/);
    expect(s.seen.map((r) => r.version)).toEqual(['2.0', '1.1']);
  });
});
