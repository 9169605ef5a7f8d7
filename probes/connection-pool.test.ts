import { createServer } from 'node:http';
import type { AddressInfo, LookupFunction } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Client } from 'undici';
import { ConnectionPool } from './connection-pool.ts';
import type { Conn, PooledHandler } from './connection-pool.ts';
import { closedPort, stalledListener } from './test-support.ts';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup) await c();
  cleanup = [];
});

/** A server that holds every response until `release()`; counts connections. */
async function holdingServer(): Promise<{ origin: string; connections: () => number; held: () => number; release: () => void }> {
  let connections = 0;
  const held: (() => void)[] = [];
  const server = createServer((_req, res) => held.push(() => res.end('ok')));
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => connections,
    held: () => held.length,
    release: () => held.splice(0).forEach((f) => f()),
  };
}

function handler(pool: ConnectionPool, done: { n: number; errors: string[] }): PooledHandler {
  const h: PooledHandler & { conn: Conn | null } = {
    active: true,
    conn: null,
    onConnect: () => {},
    onHeaders: () => true,
    onData: () => true,
    onComplete: () => {
      const c = h.conn;
      h.conn = null;
      if (c) pool.release(c);
      done.n++;
    },
    onError: (err: Error) => {
      const c = h.conn;
      h.conn = null;
      if (c) pool.release(c, 'error');
      done.errors.push(err.message);
    },
  };
  return h;
}

/** A loopback port where a TCP handshake never completes (see stalledListener), released after the test. */
async function blackhole(): Promise<number> {
  const listener = await stalledListener();
  cleanup.push(() => listener.close());
  return listener.port;
}

/** Records uncaught exceptions (which would kill a load worker thread) until the test ends. */
function captureUncaught(): Error[] {
  const caught: Error[] = [];
  const listener = (err: Error): void => {
    caught.push(err);
  };
  process.on('uncaughtException', listener);
  cleanup.push(() => {
    process.off('uncaughtException', listener);
    return Promise.resolve();
  });
  return caught;
}

const count = (resource: string): number => process.getActiveResourcesInfo().filter((r) => r === resource).length;

const until = async (cond: () => boolean, ms = 3000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
};

describe('connection pool', () => {
  it('opens one connection per concurrent request up to its limit and queues the rest in order', async () => {
    const s = await holdingServer();
    const pool = new ConnectionPool(s.origin, { connections: 3, connectTimeout: 1000 });
    cleanup.unshift(() => pool.destroy());
    const done = { n: 0, errors: [] as string[] };
    for (let i = 0; i < 7; i++) pool.dispatch({ path: `/${i}`, method: 'GET', headersTimeout: 0, bodyTimeout: 0 }, handler(pool, done));
    await until(() => s.held() === 3);
    expect(pool.size).toBe(3);
    expect(pool.queued).toBe(4);
    while (done.n < 7) {
      s.release();
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(s.connections()).toBe(3);
    expect(done.errors).toEqual([]);
  });

  it('never has more than maxConnecting connections being opened at once', async () => {
    const s = await holdingServer();
    const pool = new ConnectionPool(s.origin, { connections: 100, connectTimeout: 1000, maxConnecting: 2 });
    cleanup.unshift(() => pool.destroy());
    const done = { n: 0, errors: [] as string[] };
    for (let i = 0; i < 10; i++) pool.dispatch({ path: '/', method: 'GET', headersTimeout: 0, bodyTimeout: 0 }, handler(pool, done));
    // Synchronously only two connections were started; the rest wait for a connect to finish.
    expect(pool.size).toBe(2);
    expect(pool.queued).toBe(8);
    await until(() => s.held() === 10);
    expect(pool.size).toBe(10);
    s.release();
    await until(() => done.n === 10);
    expect(done.n).toBe(10);
  });

  it('pre-connected connections serve the first requests without connecting again', async () => {
    const s = await holdingServer();
    const pool = new ConnectionPool(s.origin, { connections: 10, connectTimeout: 1000 });
    cleanup.unshift(() => pool.destroy());
    expect(await pool.preconnect(4)).toBe(4);
    await until(() => s.connections() === 4);
    expect(s.connections()).toBe(4);
    expect(s.held()).toBe(0);
    const done = { n: 0, errors: [] as string[] };
    for (let i = 0; i < 4; i++) pool.dispatch({ path: '/', method: 'GET', headersTimeout: 0, bodyTimeout: 0 }, handler(pool, done));
    await until(() => s.held() === 4);
    s.release();
    await until(() => done.n === 4);
    expect(done.n).toBe(4);
    expect(s.connections()).toBe(4);
  });

  it('skips a queued request whose handler was abandoned', async () => {
    const s = await holdingServer();
    const pool = new ConnectionPool(s.origin, { connections: 1, connectTimeout: 1000 });
    cleanup.unshift(() => pool.destroy());
    const done = { n: 0, errors: [] as string[] };
    pool.dispatch({ path: '/first', method: 'GET', headersTimeout: 0, bodyTimeout: 0 }, handler(pool, done));
    const abandoned = { ...handler(pool, done), active: false };
    pool.dispatch({ path: '/abandoned', method: 'GET', headersTimeout: 0, bodyTimeout: 0 }, abandoned);
    pool.dispatch({ path: '/third', method: 'GET', headersTimeout: 0, bodyTimeout: 0 }, handler(pool, done));
    await until(() => s.held() === 1);
    s.release();
    await until(() => s.held() === 1);
    s.release();
    await until(() => done.n === 2);
    expect(done.n).toBe(2);
  });

  it('fails a queued request with its own connect error, without crashing, when a connect fails while it waits', async () => {
    const caught = captureUncaught();
    const pool = new ConnectionPool(`http://127.0.0.1:${await closedPort()}`, { connections: 1, connectTimeout: 1000 });
    cleanup.unshift(() => pool.destroy());
    const done = { n: 0, errors: [] as string[] };
    // The second waits in the pool's queue (connections: 1); the handlers release in onError, as the engine's do.
    pool.dispatch({ path: '/a', method: 'GET' }, handler(pool, done));
    pool.dispatch({ path: '/b', method: 'GET' }, handler(pool, done));
    expect(pool.queued).toBe(1);
    await until(() => done.errors.length === 2 || caught.length > 0);
    await new Promise((r) => setTimeout(r, 50));
    expect(caught.map((e) => e.message)).toEqual([]);
    expect(done.errors).toHaveLength(2);
    for (const e of done.errors) expect(e).toMatch(/ECONNREFUSED/);
    expect(done.n).toBe(0);
    expect(pool.queued).toBe(0);
  });

  it('gives every queued request its own connect error when connects keep failing (several connections)', async () => {
    const caught = captureUncaught();
    const pool = new ConnectionPool(`http://127.0.0.1:${await closedPort()}`, { connections: 3, maxConnecting: 2, connectTimeout: 1000 });
    cleanup.unshift(() => pool.destroy());
    const done = { n: 0, errors: [] as string[] };
    for (let i = 0; i < 10; i++) pool.dispatch({ path: `/${i}`, method: 'GET' }, handler(pool, done));
    await until(() => done.errors.length === 10 || caught.length > 0);
    await new Promise((r) => setTimeout(r, 50));
    expect(caught.map((e) => e.message)).toEqual([]);
    expect(done.errors).toHaveLength(10);
    expect(pool.queued).toBe(0);
    expect(pool.size).toBeLessThanOrEqual(3);
  });

  it('hands a connection to the next queued request synchronously when a whole response ends', async () => {
    const s = await holdingServer();
    const pool = new ConnectionPool(s.origin, { connections: 1, connectTimeout: 1000 });
    cleanup.unshift(() => pool.destroy());
    const done = { n: 0, errors: [] as string[] };
    const second = handler(pool, done);
    let handedOver: { queued: number; same: boolean } | null = null;
    const first = handler(pool, done);
    first.onComplete = () => {
      const c = first.conn!;
      first.conn = null;
      pool.release(c);
      handedOver = { queued: pool.queued, same: second.conn === c };
      done.n++;
    };
    pool.dispatch({ path: '/first', method: 'GET', headersTimeout: 0, bodyTimeout: 0 }, first);
    pool.dispatch({ path: '/second', method: 'GET', headersTimeout: 0, bodyTimeout: 0 }, second);
    await until(() => s.held() === 1);
    s.release();
    await until(() => done.n === 1);
    expect(handedOver).toEqual({ queued: 0, same: true });
    await until(() => s.held() === 1);
    s.release();
    await until(() => done.n === 2);
    expect(done.n).toBe(2);
    expect(done.errors).toEqual([]);
    expect(s.connections()).toBe(1);
  });

  it('preconnect resolves with 0 when the connect times out (a handshake that never completes)', async () => {
    const port = await blackhole();
    const pool = new ConnectionPool(`http://127.0.0.1:${port}`, { connections: 1, connectTimeout: 300 });
    cleanup.unshift(() => pool.destroy());
    const sockets = count('TCPSocketWrap');
    const timers = count('Timeout');
    const start = performance.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const result = await Promise.race([
      pool.preconnect(1),
      new Promise<string>((resolve) => (timer = setTimeout(() => resolve('still pending after 2 s'), 2000))),
    ]);
    clearTimeout(timer);
    const elapsed = performance.now() - start;
    expect(result).toBe(0);
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(1000);
    // No socket or timer left behind.
    await until(() => count('TCPSocketWrap') <= sockets, 1000);
    expect(count('TCPSocketWrap')).toBeLessThanOrEqual(sockets);
    expect(count('Timeout')).toBeLessThanOrEqual(timers);
  });

  it('preconnect resolves with 0 when the connect is refused', async () => {
    const pool = new ConnectionPool(`http://127.0.0.1:${await closedPort()}`, { connections: 2, connectTimeout: 1000 });
    cleanup.unshift(() => pool.destroy());
    expect(await pool.preconnect(2)).toBe(0);
  });
});

describe('connection set-up times (k6 http_req_connecting, http_req_tls_handshaking)', () => {
  it('time the TCP connect from after the name lookup: a slow DNS answer is not connect time', async () => {
    const server = await holdingServer();
    const port = new URL(server.origin).port;
    let looked = 0;
    const slowDns: LookupFunction = (hostname, options, callback) => {
      looked++;
      setTimeout(() => {
        if (options.all) (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: '127.0.0.1', family: 4 }]);
        else callback(null, '127.0.0.1', 4);
      }, 120);
    };
    const pool = new ConnectionPool(`http://slow-dns.test:${port}`, { connections: 1, connectTimeout: 2_000, lookup: slowDns });
    cleanup.unshift(() => pool.destroy());
    const done = { n: 0, errors: [] as string[] };
    const h = handler(pool, done);
    let setUp: { fresh: boolean; connectMs: number; tlsMs: number } | undefined;
    h.onConnect = () => {
      const conn = h.conn!;
      setUp = { fresh: conn.takeSetUp(), connectMs: conn.connectMs, tlsMs: conn.tlsMs };
    };
    const sent = performance.now();
    pool.dispatch({ path: '/', method: 'GET' }, h);
    await until(() => server.held() === 1);
    const blocked = performance.now() - sent;
    server.release();
    await until(() => done.n === 1);
    expect(looked).toBe(1);
    expect(blocked).toBeGreaterThanOrEqual(100);
    expect(setUp).toMatchObject({ fresh: true, tlsMs: 0 });
    // Loopback connects in well under a millisecond; the 120 ms lookup is not in it.
    expect(setUp!.connectMs).toBeLessThan(50);
    expect(setUp!.connectMs).toBeGreaterThan(0);
  });
});

describe('what the engine relies on in undici', () => {
  it('a handler that throws in onConnect has its request dropped before it is written, and the connection stays open', async () => {
    let connections = 0;
    const paths: string[] = [];
    const server = createServer((req, res) => {
      paths.push(req.url ?? '');
      res.end('ok');
    });
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = new Client(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    cleanup.push(async () => {
      await client.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    const send = (path: string, giveUp: boolean): Promise<string> =>
      new Promise((resolve) => {
        client.dispatch({ path, method: 'GET', headersTimeout: 0, bodyTimeout: 0 }, {
          onConnect: () => {
            if (giveUp) throw new Error('given up');
          },
          onHeaders: () => true,
          onData: () => true,
          onComplete: () => resolve('done'),
          onError: (err: Error) => resolve(err.message),
        });
      });
    expect(await send('/first', false)).toBe('done');
    expect(await send('/given-up', true)).toBe('given up');
    expect(await send('/third', false)).toBe('done');
    expect(paths).toEqual(['/first', '/third']);
    expect(connections).toBe(1);
  });
});
