/**
 * The connection pool (connections, TLS set-up, HTTP/2 retry rules) against
 * k6 / Go's net/http and x/net/http2: edges a review found. Each test failed
 * on the code before its fix; its comment says what k6 / Go does, with the
 * source.
 */
import { readFileSync } from 'node:fs';
import { createSecureServer, constants } from 'node:http2';
import type { Http2Session } from 'node:http2';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { startRun } from './run.ts';
import type { RunSummary } from './summary.ts';
import { fixturePath, iterations, probe, testServer } from './test-support.ts';

const CA = fixturePath('mtls-ca.crt');
const KEY = readFileSync(fixturePath('mtls-server.key'));
const CERT = readFileSync(fixturePath('mtls-server.crt'));

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0)) await fn();
});

type Trend = Record<string, number> & { count: number; min: number; max: number };
const trend = (s: RunSummary, key: string): Trend => s.metrics[key]!.values as Trend;

describe('connections as k6 keeps them', () => {
  it('an idle keep-alive connection is kept between a VU’s requests (k6’s transport has no idle timeout), not closed after undici’s 4 s', async () => {
    // k6 js/runner.go newVU: the VU's http.Transport sets no IdleConnTimeout (0: "no limit", net/http
    // Transport docs), so a connection the server keeps open is reused however long the VU sleeps.
    // burnwatch's pool gave undici a keepAliveTimeout of 4 s (connection-pool.ts: `?? 4_000`), and undici
    // closes an idle HTTP/1.1 connection after 4 s when the server sends no Keep-Alive hint: a VU with
    // think time over 4 s reconnects on every request (http_req_connecting > 0, a new TCP connection).
    const s = await testServer((_req, res) => res.end('ok'));
    // No server-side idle timeout and no `Keep-Alive: timeout=` header (Node sends it only with a timeout).
    s.server.keepAliveTimeout = 0;
    cleanup.push(() => s.close());
    const summary = await startRun(
      probe({
        target: s.url,
        scenario: iterations(2),
        requests: [
          { name: 'first', url: '/a', sleep: '5s' },
          { name: 'second', url: '/b', sleep: '0s' },
        ],
      }),
      { threads: 1 },
    ).done;
    expect(summary.outcomes.ok).toBe(2);
    // k6: one connection for both requests; burnwatch opened a new one for the second.
    expect(s.connections).toBe(1);
    expect(trend(summary, 'http_req_connecting').max).toBe(0);
  }, 20_000);
});

describe('TLS set-up as k6 does it', () => {
  it('every new https connection does a full TLS handshake: k6 keeps no TLS session cache (no resumption)', async () => {
    // k6 js/runner.go newVU builds its tls.Config without ClientSessionCache, and Go's crypto/tls resumes
    // a session only with one ("ClientSessionCache ... If nil, session resumption is disabled"): with
    // noConnectionReuse each request pays, and http_req_tls_handshaking measures, a full handshake (the
    // README: "Each request then pays and measures its connect and TLS handshake — a target's
    // connection-setup capacity"). undici's connector caches sessions (maxCachedSessions, default 100)
    // and the pool did not turn that off: every connection after the first resumed.
    const resumed: boolean[] = [];
    const server = createHttpsServer({ key: KEY, cert: CERT }, (req, res) => {
      req.resume();
      res.end('ok');
    });
    server.on('secureConnection', (socket: TLSSocket) => resumed.push(socket.isSessionReused()));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanup.push(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });
    const summary = await startRun(
      probe({
        target: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
        tlsCACerts: CA,
        noConnectionReuse: true,
        scenario: iterations(4),
        requests: [{ name: 'get', url: '/' }],
      }),
      { threads: 1 },
    ).done;
    expect(summary.outcomes.ok).toBe(4);
    expect(resumed).toEqual([false, false, false, false]);
  });
});

/** An HTTP/2 server that resets its second stream with PROTOCOL_ERROR and answers the others; `streams()` counts them. */
async function protocolErrorServer(): Promise<{ url: string; streams: () => number }> {
  const sessions: Http2Session[] = [];
  let n = 0;
  const server = createSecureServer({ key: KEY, cert: CERT, allowHTTP1: true }, (req, res) => {
    req.stream.on('error', () => {});
    n++;
    if (n === 2) req.stream.close(constants.NGHTTP2_PROTOCOL_ERROR);
    else res.end('ok');
  });
  server.on('session', (session: Http2Session) => {
    sessions.push(session);
    session.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(async () => {
    for (const s of sessions) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, streams: () => n };
}

describe('HTTP/2 retries as x/net/http2 canRetryError', () => {
  it('RST_STREAM PROTOCOL_ERROR from the server is sent again, as Go’s client retries it (golang/go#47635)', async () => {
    // x/net/http2 transport.go canRetryError: `if se.Code == ErrCodeProtocol && se.Cause == errFromPeer
    // { return true }` (golang/go#47635, #42777: servers that refuse a stream with PROTOCOL_ERROR), beside
    // ErrCodeRefusedStream. k6 (js/runner.go: http2.ConfigureTransport) retries such a request; burnwatch
    // (engine.ts onError) treated only REFUSED_STREAM as unprocessed, so the request was a `reset`. The
    // README claims the GOAWAY / RST_STREAM rules "follow Go's client (x/net/http2's canRetryError)".
    const s = await protocolErrorServer();
    const summary = await startRun(
      probe({
        target: s.url,
        tlsCACerts: CA,
        scenario: iterations(3),
        requests: [{ name: 'get', url: '/' }],
      }),
      { threads: 1 },
    ).done;
    expect(summary.outcomes).toMatchObject({ ok: 3, reset: 0 });
    expect(summary.retries).toEqual({ get: 1 });
    expect(s.streams()).toBe(4);
  });

  it('a POST reset with PROTOCOL_ERROR is not sent again: Node does not say whether the server or nghttp2 sent it, and a malformed response means the server acted on it', async () => {
    // Go retries only a reset the server sent (errFromPeer); nghttp2 resets a stream itself, with the same
    // code, when a response is malformed. Without knowing which, only a request safe to replay goes again.
    const s = await protocolErrorServer();
    const summary = await startRun(
      probe({
        target: s.url,
        tlsCACerts: CA,
        scenario: iterations(3),
        requests: [{ name: 'get', method: 'POST', url: '/', body: 'x', headers: { 'content-type': 'text/plain' } }],
      }),
      { threads: 1 },
    ).done;
    expect(summary.outcomes).toMatchObject({ ok: 2, reset: 1 });
    expect(summary.retries ?? {}).toEqual({});
    expect(s.streams()).toBe(3);
  });

  it('REFUSED_STREAM on two hops of a redirect chain: each hop is sent again once (Go retries per RoundTrip), not only the first', async () => {
    // Go's http.Client follows a redirect with a new Transport.RoundTrip per hop (net/http client.go
    // Client.do), and x/net/http2 RoundTripOpt retries each one whose error canRetryError accepts
    // (REFUSED_STREAM: "the server did not process it"). The README: a request refused unprocessed is
    // "sent again ... once" and "a server that refuses twice gives a reset". Here no hop is refused
    // twice, but engine.ts resend() refused to retry when `ex.chainRetries > 0`, a count over the whole
    // chain: the second hop's refusal ends the chain as a `reset`.
    const sessions: Http2Session[] = [];
    const refused = new Set<string>();
    const server = createSecureServer({ key: KEY, cert: CERT, allowHTTP1: true }, (req, res) => {
      req.stream.on('error', () => {});
      const path = req.url;
      if (!refused.has(path)) {
        refused.add(path);
        req.stream.close(constants.NGHTTP2_REFUSED_STREAM);
      } else if (path === '/start') res.writeHead(302, { location: '/end' }).end();
      else res.end('ok');
    });
    server.on('session', (session: Http2Session) => {
      sessions.push(session);
      session.on('error', () => {});
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanup.push(async () => {
      for (const s of sessions) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    });
    const summary = await startRun(
      probe({
        target: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
        tlsCACerts: CA,
        scenario: iterations(1),
        requests: [{ name: 'login', url: '/start' }],
      }),
      { threads: 1 },
    ).done;
    expect(summary.outcomes).toMatchObject({ ok: 1, reset: 0 });
    expect(summary.redirects).toEqual({ login: 1 });
    expect(summary.retries).toEqual({ login: 2 });
  });
});
