/**
 * k6's request timings: http_req_blocked, http_req_connecting,
 * http_req_tls_handshaking, http_req_sending, http_req_waiting and
 * http_req_receiving, measured against local servers whose connection
 * set-up, server time and body time are each made slow on purpose.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Server as HttpsServer } from 'node:https';
import { connect as netConnect, createServer as createTcpServer } from 'node:net';
import type { AddressInfo, Server as NetServer, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startRun } from './run.ts';
import { probeSpecSchema } from './spec.ts';
import { formatSummary } from './summary.ts';
import { thresholdProblems } from './thresholds.ts';
import { closedPort, probe, testServer } from './test-support.ts';
import type { Handler, TestServer } from './test-support.ts';
import type { RunSummary } from './summary.ts';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

const fixture = (name: string): URL => new URL(`./fixtures/${name}`, import.meta.url);
const iterations = (n: number): Record<string, unknown> => ({ executor: 'shared-iterations', vus: 1, iterations: n, maxDuration: '20s' });

async function serve(handler: Handler): Promise<TestServer> {
  const s = await testServer(handler);
  closers.push(() => s.close());
  return s;
}

/** Listens on 127.0.0.1 (a random port) and closes the server and its connections after the test; returns the port. */
async function listen(server: NetServer, sockets: ReadonlySet<Socket> = new Set()): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        (server as NetServer & { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close(() => resolve());
      }),
  );
  return (server.address() as AddressInfo).port;
}

/** An https server with the self-signed fixture certificate; `close` answers with `connection: close`. */
async function httpsServer(handler: Handler): Promise<HttpsServer> {
  const server = createHttpsServer({ key: readFileSync(fixture('self-signed.key')), cert: readFileSync(fixture('self-signed.crt')) }, (req, res) => {
    req.resume();
    req.on('end', () => handler(req, res, undefined as never));
  });
  await listen(server);
  return server;
}

/** Runs `fn` after at least `ms` of real time: Node's timers count from the event loop's cached clock and can fire early. */
function preciseDelay(ms: number, fn: () => void): void {
  const until = performance.now() + ms;
  const check = (): void => {
    const left = until - performance.now();
    if (left > 0) setTimeout(check, Math.ceil(left));
    else fn();
  };
  setTimeout(check, ms);
}

/**
 * A TCP proxy on 127.0.0.1 to `port` that holds back the server's bytes on
 * each connection for `delayMs` after the client's first ones (its TLS
 * ClientHello, sent once TCP is up): behind it a TLS handshake takes at
 * least that long, and nothing else does.
 */
async function handshakeDelayingProxy(port: number, delayMs: number): Promise<number> {
  const sockets = new Set<Socket>();
  const server = createTcpServer((client) => {
    const upstream = netConnect({ host: '127.0.0.1', port });
    sockets.add(client).add(upstream);
    let held: Buffer[] | null = [];
    let started = false;
    upstream.on('data', (chunk: Buffer) => {
      if (held) held.push(chunk);
      else client.write(chunk);
    });
    client.on('data', (chunk: Buffer) => {
      if (!started) {
        started = true;
        preciseDelay(delayMs, () => {
          for (const c of held ?? []) client.write(c);
          held = null;
        });
      }
      upstream.write(chunk);
    });
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  return listen(server, sockets);
}

/**
 * A raw TCP server on 127.0.0.1: when a request head has arrived on a
 * connection, `onHead(socket)` answers (or not) as written; nothing else is
 * read for it. Returns the port.
 */
async function rawServer(onHead: (socket: Socket) => void): Promise<number> {
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    let head = '';
    const onData = (chunk: Buffer): void => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      // Discard whatever else comes (the body), once the handler lets it flow.
      socket.on('data', () => {});
      onHead(socket);
    };
    socket.on('data', onData);
    socket.on('error', () => {});
  });
  return listen(server, sockets);
}

/** An http server on 127.0.0.1 that takes each request's body only `delayMs` after the request arrives, then answers; returns its URL. */
async function slowReader(delayMs: number): Promise<string> {
  const server = createServer((req, res) => {
    req.pause();
    preciseDelay(delayMs, () => {
      req.resume();
      req.on('end', () => res.end('ok'));
    });
  });
  return `http://127.0.0.1:${await listen(server)}`;
}

/** More than loopback's socket buffers hold on both sides. */
const LARGE_BODY = 'x'.repeat(16 * 1024 * 1024);

const closing: Handler = (_req, res) => {
  res.setHeader('connection', 'close');
  res.end('ok');
};

type Trend = Record<string, number> & { count: number; avg: number; min: number; med: number; max: number };

function trend(summary: RunSummary, key: string): Trend {
  const m = summary.metrics[key];
  expect(m, `${key} in the summary`).toBeDefined();
  expect(m!.type).toBe('trend');
  return m!.values as Trend;
}

/**
 * What holds for every request, so for the averages over the same
 * requests: a connection's set-up happens while the request is blocked,
 * and a written request's sending is never 0 (a write takes µs). Values
 * are HDR bucket tops (≤ 0.1 % high): a small tolerance.
 */
function expectConsistent(summary: RunSummary): void {
  const blocked = trend(summary, 'http_req_blocked');
  const connecting = trend(summary, 'http_req_connecting');
  const tls = trend(summary, 'http_req_tls_handshaking');
  const sending = trend(summary, 'http_req_sending');
  expect(connecting.count).toBe(blocked.count);
  expect(tls.count).toBe(blocked.count);
  expect(sending.count).toBe(blocked.count);
  expect(connecting.avg + tls.avg).toBeLessThanOrEqual(blocked.avg * 1.01 + 0.002);
  if (sending.count > 0) expect(sending.min).toBeGreaterThan(0);
}

describe('k6 request timings', () => {
  it('a reused keep-alive connection has no connect time; a target that closes each connection makes every later request connect, inside http_req_blocked', async () => {
    const keptAlive = await serve((_req, res) => res.end('ok'));
    const reused = await startRun(probe({ target: keptAlive.url, scenario: iterations(20), requests: [{ name: 'get', url: '/' }] })).done;
    expect(reused.outcomes.ok).toBe(20);
    for (const key of ['http_req_blocked', 'http_req_connecting', 'http_req_tls_handshaking', 'http_req_sending', 'http_req_waiting', 'http_req_receiving']) {
      expect(trend(reused, key).count, key).toBe(20);
    }
    expectConsistent(reused);
    // The VU's connection was opened before the run (plain http: as k6 pre-allocates VUs): no request paid for it.
    expect(trend(reused, 'http_req_connecting').max).toBe(0);
    expect(trend(reused, 'http_req_tls_handshaking').max).toBe(0);

    const closed = await serve(closing);
    const fresh = await startRun(probe({ target: closed.url, scenario: iterations(20), requests: [{ name: 'get', url: '/' }] })).done;
    expect(fresh.outcomes.ok).toBe(20);
    expect(closed.connections).toBeGreaterThanOrEqual(20);
    expectConsistent(fresh);
    // Every request after the first (on the pre-opened connection) opened its own.
    expect(trend(fresh, 'http_req_connecting').med).toBeGreaterThan(0);
    expect(trend(fresh, 'http_req_tls_handshaking').max).toBe(0);
  });

  it('on a keep-alive https target only the request that opened the connection has its handshake', async () => {
    const server = await httpsServer((_req, res) => res.end('ok'));
    const summary = await startRun(
      probe({ target: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, insecureSkipTLSVerify: true, scenario: iterations(10), requests: [{ name: 'get', url: '/' }] }),
    ).done;
    expect(summary.outcomes.ok).toBe(10);
    expectConsistent(summary);
    const tls = trend(summary, 'http_req_tls_handshaking');
    expect(tls.count).toBe(10);
    expect(tls.max).toBeGreaterThan(0);
    expect(tls.med).toBe(0);
    // One request in ten carried it all.
    expect(tls.avg * 10).toBeCloseTo(tls.max, 1);
    expect(trend(summary, 'http_req_connecting').med).toBe(0);
  });

  it('a slow TLS handshake is http_req_tls_handshaking and http_req_blocked, not http_req_waiting or http_req_sending', async () => {
    const server = await httpsServer(closing);
    const port = await handshakeDelayingProxy((server.address() as AddressInfo).port, 150);
    const summary = await startRun(
      probe({ target: `https://127.0.0.1:${port}`, insecureSkipTLSVerify: true, scenario: iterations(3), requests: [{ name: 'get', url: '/' }] }),
    ).done;
    expect(summary.outcomes.ok).toBe(3);
    expectConsistent(summary);
    const tls = trend(summary, 'http_req_tls_handshaking');
    expect(tls.count).toBe(3);
    expect(tls.min).toBeGreaterThanOrEqual(135);
    expect(trend(summary, 'http_req_connecting').max).toBeLessThan(100);
    expect(trend(summary, 'http_req_blocked').min).toBeGreaterThanOrEqual(135);
    expect(trend(summary, 'http_req_sending').max).toBeLessThan(50);
    // The server answered at once: waiting runs from the request written, not from the dispatch.
    expect(trend(summary, 'http_req_waiting').max).toBeLessThan(100);
    // Closed model: latency runs from the send, connection set-up included (what the client waited).
    expect(trend(summary, 'http_req_duration').min).toBeGreaterThanOrEqual(135);
  });

  it('a connection opened for a request that gave up waiting charges its set-up to no later request', async () => {
    const server = await httpsServer((_req, res) => res.end('ok'));
    const port = await handshakeDelayingProxy((server.address() as AddressInfo).port, 500);
    const summary = await startRun(
      probe({
        target: `https://127.0.0.1:${port}`,
        insecureSkipTLSVerify: true,
        scenario: iterations(3),
        requests: [{ name: 'get', url: '/', timeout: '300ms' }],
      }),
    ).done;
    // The first request times out waiting for the connection; the next one, sent after the
    // connect began, waits for it and uses it; the third reuses it.
    expect(summary.outcomes).toMatchObject({ connect_error: 1, ok: 2 });
    expectConsistent(summary);
    expect(trend(summary, 'http_req_tls_handshaking')).toMatchObject({ count: 2, max: 0 });
    expect(trend(summary, 'http_req_blocked').max).toBeGreaterThanOrEqual(100);
  });

  it('time to the response headers is http_req_waiting, the body after them http_req_receiving', async () => {
    const server = await serve((_req, res) => {
      preciseDelay(60, () => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('first ');
        preciseDelay(60, () => res.end('last'));
      });
    });
    const summary = await startRun(probe({ target: server.url, scenario: iterations(3), requests: [{ name: 'get', url: '/' }] })).done;
    expect(summary.outcomes.ok).toBe(3);
    expectConsistent(summary);
    const waiting = trend(summary, 'http_req_waiting');
    const receiving = trend(summary, 'http_req_receiving');
    expect(waiting.min).toBeGreaterThanOrEqual(54);
    expect(waiting.max).toBeLessThan(100);
    expect(receiving.min).toBeGreaterThanOrEqual(50);
    expect(receiving.max).toBeLessThan(100);
    expect(trend(summary, 'http_req_duration').min).toBeGreaterThanOrEqual(108);
    expect(trend(summary, 'http_req_sending').max).toBeLessThan(20);
    // The table shows them as k6's does.
    const table = formatSummary(summary);
    for (const name of ['http_req_blocked', 'http_req_connecting', 'http_req_receiving', 'http_req_sending', 'http_req_tls_handshaking']) {
      expect(table).toMatch(new RegExp(`^ {4}${name}\\.+: avg=`, 'm'));
    }
  });

  it('a body the target reads slowly is http_req_sending until the kernel has taken it, not http_req_waiting', async () => {
    const target = await slowReader(300);
    const summary = await startRun(probe({ target, scenario: iterations(2), requests: [{ name: 'upload', method: 'POST', url: '/', body: LARGE_BODY }] })).done;
    expect(summary.outcomes.ok).toBe(2);
    expectConsistent(summary);
    expect(trend(summary, 'http_req_sending').min).toBeGreaterThanOrEqual(250);
    expect(trend(summary, 'http_req_waiting').max).toBeLessThan(100);
  });

  it('a response that starts before the body is all written ends the sending there (waiting 0)', async () => {
    // Answers the head at once with one byte of body, takes the request body after 300 ms, ends at 600 ms.
    const port = await rawServer((socket) => {
      socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\no');
      socket.pause();
      preciseDelay(300, () => socket.resume());
      preciseDelay(600, () => socket.write('k'));
    });
    const summary = await startRun(
      probe({ target: `http://127.0.0.1:${port}`, scenario: iterations(1), requests: [{ name: 'upload', method: 'POST', url: '/', body: LARGE_BODY }] }),
    ).done;
    expect(summary.outcomes.ok).toBe(1);
    expectConsistent(summary);
    expect(trend(summary, 'http_req_sending').max).toBeLessThan(100);
    expect(trend(summary, 'http_req_waiting').max).toBe(0);
    expect(trend(summary, 'http_req_receiving').min).toBeGreaterThanOrEqual(540);
  });

  it('a 307 that sends a large body on to a slow reader: the second hop’s sending runs until its own socket has taken it', async () => {
    const final = await slowReader(1000);
    // The first answers 307 on the head, before taking the body, and drains it 300 ms later:
    // a drain of the first hop's socket must not end the second hop's sending.
    const port = await rawServer((socket) => {
      socket.write(`HTTP/1.1 307 Temporary Redirect\r\nlocation: ${final}/final\r\ncontent-length: 0\r\n\r\n`);
      socket.pause();
      preciseDelay(300, () => socket.resume());
    });
    const summary = await startRun(
      probe({
        target: `http://127.0.0.1:${port}`,
        scenario: iterations(1),
        requests: [{ name: 'upload', method: 'POST', url: '/start', body: LARGE_BODY, timeout: '10s' }],
      }),
    ).done;
    expect(summary.outcomes.ok).toBe(1);
    expect(summary.redirects).toEqual({ upload: 1 });
    expectConsistent(summary);
    expect(trend(summary, 'http_req_sending').min).toBeGreaterThanOrEqual(900);
    expect(trend(summary, 'http_req_waiting').max).toBeLessThan(100);
  });

  it('a request whose body the target never takes times out saying so', async () => {
    const port = await rawServer((socket) => socket.pause());
    const summary = await startRun(
      probe({
        target: `http://127.0.0.1:${port}`,
        scenario: iterations(1),
        requests: [{ name: 'upload', method: 'POST', url: '/', body: LARGE_BODY, timeout: '1s' }],
      }),
    ).done;
    expect(summary.outcomes.timeout).toBe(1);
    expect(summary.errors[0]!.message).toBe('timed out sending the request: the target did not take all of its body');
  });

  it('a redirect chain adds up the set-up of every hop: a slow handshake on the first hop stays in the chain’s timings', async () => {
    const final = await serve((_req, res) => res.end('final'));
    const first = await httpsServer((_req, res) => {
      res.writeHead(302, { location: `${final.url}/landing`, connection: 'close' });
      res.end();
    });
    const port = await handshakeDelayingProxy((first.address() as AddressInfo).port, 150);
    const summary = await startRun(
      probe({ target: `https://127.0.0.1:${port}`, insecureSkipTLSVerify: true, scenario: iterations(2), requests: [{ name: 'get', url: '/start' }] }),
    ).done;
    expect(summary.outcomes.ok).toBe(2);
    expect(summary.redirects).toEqual({ get: 2 });
    expectConsistent(summary);
    expect(trend(summary, 'http_req_tls_handshaking')).toMatchObject({ count: 2 });
    expect(trend(summary, 'http_req_tls_handshaking').min).toBeGreaterThanOrEqual(135);
    expect(trend(summary, 'http_req_blocked').min).toBeGreaterThanOrEqual(135);
  });

  it('a chain whose last hop cannot connect keeps the timings of the hops that were written', async () => {
    const port0 = await closedPort();
    const first = await httpsServer((_req, res) => {
      res.writeHead(302, { location: `http://127.0.0.1:${port0}/landing`, connection: 'close' });
      res.end();
    });
    const port = await handshakeDelayingProxy((first.address() as AddressInfo).port, 150);
    const summary = await startRun(
      probe({ target: `https://127.0.0.1:${port}`, insecureSkipTLSVerify: true, scenario: iterations(2), requests: [{ name: 'get', url: '/start' }] }),
    ).done;
    expect(summary.outcomes.connect_error).toBe(2);
    expectConsistent(summary);
    expect(trend(summary, 'http_req_tls_handshaking')).toMatchObject({ count: 2 });
    expect(trend(summary, 'http_req_tls_handshaking').min).toBeGreaterThanOrEqual(135);
  });

  it('per-request timings are kept when a threshold filters one by request, and are one set for the probe otherwise', async () => {
    const server = await serve((req, res) => {
      if (req.url === '/slow') preciseDelay(50, () => res.end('ok'));
      else res.end('ok');
    });
    const requests = [
      { name: 'fast', url: '/fast' },
      { name: 'slow', url: '/slow' },
    ];
    const scenario = { executor: 'per-vu-iterations', vus: 1, iterations: 6, maxDuration: '20s' };
    const byRequest = await startRun(probe({ target: server.url, scenario, requests, thresholds: { 'http_req_receiving{request:slow}': ['max<1000'] } })).done;
    expect(byRequest.thresholds[0]).toMatchObject({ ok: true });
    const slow = byRequest.metrics['http_req_receiving{request:slow}']!.values;
    expect(slow.count).toBeGreaterThan(0);
    expect(slow.count).toBeLessThan(trend(byRequest, 'http_req_receiving').count);
    expectConsistent(byRequest);
    const together = await startRun(probe({ target: server.url, scenario, requests })).done;
    expect(trend(together, 'http_req_receiving').count).toBe(6);
    expectConsistent(together);
  });

  it('thresholds on the timings are accepted, filtered by request tags; a status filter is refused with what to use instead', () => {
    const spec = (thresholds: Record<string, unknown>) =>
      probeSpecSchema.parse({
        target: 'http://127.0.0.1:1',
        scenario: { executor: 'constant-arrival-rate', rate: 10, duration: '1s', preAllocatedVUs: 1 },
        requests: [{ name: 'get_variant', url: '/a' }],
        thresholds,
      });
    expect(
      thresholdProblems(
        spec({
          http_req_connecting: ['p(95)<50'],
          http_req_tls_handshaking: ['max<200'],
          'http_req_blocked{request:get_variant}': ['avg<10'],
          http_req_sending: ['p(99)<1'],
          http_req_receiving: ['med<5'],
        }),
      ),
    ).toEqual([]);
    const problems = thresholdProblems(spec({ 'http_req_connecting{status:200}': ['p(95)<50'] }));
    expect(problems.map((p) => p.message).join('\n')).toMatch(/http_req_connecting cannot be filtered by status/);
  });
});
