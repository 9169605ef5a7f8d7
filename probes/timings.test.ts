/**
 * k6's request timings: http_req_blocked, http_req_connecting,
 * http_req_tls_handshaking, http_req_sending, http_req_waiting and
 * http_req_receiving, measured against local servers whose connection
 * set-up, server time and body time are each made slow on purpose.
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { Server as HttpsServer } from 'node:https';
import { connect as netConnect, createServer as createTcpServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startRun } from './run.ts';
import { probeSpecSchema } from './spec.ts';
import { formatSummary } from './summary.ts';
import { thresholdProblems } from './thresholds.ts';
import { probe, testServer } from './test-support.ts';
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

/** An https server with the self-signed fixture certificate; `close` answers with `connection: close`. */
async function httpsServer(handler: Handler): Promise<HttpsServer> {
  const server = createHttpsServer({ key: readFileSync(fixture('self-signed.key')), cert: readFileSync(fixture('self-signed.crt')) }, (req, res) => {
    req.resume();
    req.on('end', () => handler(req, res, undefined as never));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return server;
}

/**
 * A TCP proxy on 127.0.0.1 to `port` that holds back the server's first
 * bytes on each connection for `delayMs`: behind it a TLS handshake (the
 * server speaks second) takes at least that long, and nothing else does.
 */
async function handshakeDelayingProxy(port: number, delayMs: number): Promise<number> {
  const sockets = new Set<Socket>();
  const server = createTcpServer((client) => {
    const upstream = netConnect({ host: '127.0.0.1', port });
    sockets.add(client).add(upstream);
    const opened = performance.now();
    let held: Buffer[] | null = [];
    setTimeout(() => {
      for (const chunk of held ?? []) client.write(chunk);
      held = null;
    }, delayMs);
    upstream.on('data', (chunk: Buffer) => {
      if (held && performance.now() - opened < delayMs) held.push(chunk);
      else client.write(chunk);
    });
    client.on('data', (chunk: Buffer) => upstream.write(chunk));
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  return (server.address() as AddressInfo).port;
}

const closing: Handler = (_req, res) => {
  res.setHeader('connection', 'close');
  res.end('ok');
};

function trend(summary: RunSummary, key: string): Record<string, number> & { count: number; min: number; med: number; max: number } {
  const m = summary.metrics[key];
  expect(m, `${key} in the summary`).toBeDefined();
  expect(m!.type).toBe('trend');
  return m!.values as Record<string, number> & { count: number; min: number; med: number; max: number };
}

describe('k6 request timings', () => {
  it('a reused keep-alive connection has no connect time; a target that closes each connection makes every later request connect, inside http_req_blocked', async () => {
    const keptAlive = await serve((_req, res) => res.end('ok'));
    const reused = await startRun(probe({ target: keptAlive.url, scenario: iterations(20), requests: [{ name: 'get', url: '/' }] })).done;
    expect(reused.outcomes.ok).toBe(20);
    for (const key of ['http_req_blocked', 'http_req_connecting', 'http_req_tls_handshaking', 'http_req_sending', 'http_req_waiting', 'http_req_receiving']) {
      expect(trend(reused, key).count, key).toBe(20);
    }
    // The VU's connection was opened before the run (as k6 pre-allocates VUs): no request paid for it.
    expect(trend(reused, 'http_req_connecting').max).toBe(0);
    expect(trend(reused, 'http_req_tls_handshaking').max).toBe(0);

    const closed = await serve(closing);
    const fresh = await startRun(probe({ target: closed.url, scenario: iterations(20), requests: [{ name: 'get', url: '/' }] })).done;
    expect(fresh.outcomes.ok).toBe(20);
    expect(closed.connections).toBeGreaterThanOrEqual(20);
    const connecting = trend(fresh, 'http_req_connecting');
    const blocked = trend(fresh, 'http_req_blocked');
    expect(connecting.count).toBe(20);
    // Every request after the first (on the pre-opened connection) opened its own.
    expect(connecting.med).toBeGreaterThan(0);
    expect(blocked.med).toBeGreaterThanOrEqual(connecting.med);
    expect(trend(fresh, 'http_req_tls_handshaking').max).toBe(0);
  });

  it('a slow TLS handshake is http_req_tls_handshaking and http_req_blocked, not http_req_waiting', async () => {
    const server = await httpsServer(closing);
    const port = await handshakeDelayingProxy((server.address() as AddressInfo).port, 150);
    const summary = await startRun(
      probe({ target: `https://127.0.0.1:${port}`, insecureSkipTLSVerify: true, scenario: iterations(3), requests: [{ name: 'get', url: '/' }] }),
    ).done;
    expect(summary.outcomes.ok).toBe(3);
    const tls = trend(summary, 'http_req_tls_handshaking');
    expect(tls.count).toBe(3);
    expect(tls.min).toBeGreaterThanOrEqual(149);
    expect(trend(summary, 'http_req_connecting').max).toBeLessThan(100);
    expect(trend(summary, 'http_req_blocked').min).toBeGreaterThanOrEqual(149);
    // The server answered at once: waiting runs from the request written, not from the dispatch.
    expect(trend(summary, 'http_req_waiting').max).toBeLessThan(100);
    // Closed model: latency runs from the send, connection set-up included (what the client waited).
    expect(trend(summary, 'http_req_duration').min).toBeGreaterThanOrEqual(149);
  });

  it('time to the response headers is http_req_waiting, the body after them http_req_receiving', async () => {
    const server = await serve((_req, res) => {
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('first ');
        setTimeout(() => res.end('last'), 80);
      }, 40);
    });
    const summary = await startRun(probe({ target: server.url, scenario: iterations(3), requests: [{ name: 'get', url: '/' }] })).done;
    expect(summary.outcomes.ok).toBe(3);
    const waiting = trend(summary, 'http_req_waiting');
    const receiving = trend(summary, 'http_req_receiving');
    expect(waiting.min).toBeGreaterThanOrEqual(39);
    expect(waiting.max).toBeLessThan(79);
    expect(receiving.min).toBeGreaterThanOrEqual(79);
    expect(trend(summary, 'http_req_duration').min).toBeGreaterThanOrEqual(119);
    const sending = trend(summary, 'http_req_sending');
    expect(sending.count).toBe(3);
    expect(sending.max).toBeLessThan(20);
    // The table shows them as k6's does.
    const table = formatSummary(summary);
    for (const name of ['http_req_blocked', 'http_req_connecting', 'http_req_receiving', 'http_req_sending', 'http_req_tls_handshaking']) {
      expect(table).toMatch(new RegExp(`^ {4}${name}\\.+: avg=`, 'm'));
    }
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
    expect(trend(summary, 'http_req_tls_handshaking').min).toBeGreaterThanOrEqual(149);
    expect(trend(summary, 'http_req_blocked').min).toBeGreaterThanOrEqual(149);
    expect(trend(summary, 'http_req_tls_handshaking').count).toBe(2);
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
