/**
 * A pool of undici `Client`s (one keep-alive connection each, no
 * pipelining) that opens at most a few connections at a time.
 *
 * Why not undici's `Pool`: it opens a new connection for every request that
 * finds all connections busy — including busy *connecting*. At the start of
 * an open-model run at thousands of requests/s that means one TCP connect
 * per request until the first connections are up; the connects slow both
 * sides down, which keeps every connection busy longer, which opens more:
 * a thundering herd that took over a second to settle at 2,000 req/s on a
 * 2-core machine, and showed up as a latency spike at the start of every
 * run. Here a request that finds no idle connection waits in a FIFO while
 * `maxConnecting` connections are being opened; its latency still counts
 * from its scheduled start, so the wait is measured, not hidden.
 *
 * ```
 *  dispatch ─▶ idle connection? ──yes──▶ client.dispatch
 *                 │ no
 *                 ▼
 *          fewer than max connections and maxConnecting connects? ──yes──▶ new Client
 *                 │ no
 *                 ▼
 *               queue ◀── release(conn) / connect event pump it
 * ```
 *
 * A connection whose socket is gone (a failed connect, a reset) is not
 * handed on but replaced, and one whose request failed is handed on only
 * after undici is done with its client: see `release`.
 *
 * Picking a connection is a stack pop (the most recently used one, warm in
 * every cache), not a scan over all connections.
 */
import { isIP, connect as netConnect } from 'node:net';
import type { LookupFunction, Socket } from 'node:net';
import { checkServerIdentity } from 'node:tls';
import type { SecureContext } from 'node:tls';
import { buildConnector, Client } from 'undici';
import type { Dispatcher } from 'undici';

/**
 * A TLS alert the server sends after the handshake has completed on the
 * client's side (TLS 1.3: "certificate required", "unknown CA", "bad
 * certificate" when it refuses the client certificate, which it reads after
 * the client's Finished) arrives as a socket 'error' followed by the end of
 * the stream; undici then fails the request with the later "other side
 * closed", and the reason is lost. Closing the socket on the alert itself
 * keeps it as the request's error. One listener per https connection.
 */
function keepTlsAlert(socket: Socket): void {
  socket.prependListener('error', (err: Error & { code?: string }) => {
    if (err.code?.startsWith('ERR_SSL_') && err.code.includes('_ALERT_') && !socket.destroyed) socket.destroy();
  });
}

/** One connection. */
export class Conn {
  /** Its first connect has not finished yet (counts against `maxConnecting`). */
  connecting = true;
  /** Has a live socket: from undici's 'connect' to its 'disconnect' or 'connectionError'. */
  connected = false;
  /** Its current socket (undici's, handed over by the connect), to see whether a request's bytes have left. */
  socket: Socket | null = null;
  /** Called once when the socket's write buffer next drains (a request body larger than the kernel took at once). */
  afterDrain: (() => void) | null = null;
  /**
   * Its socket was just opened and no request has been sent on it yet: the
   * first one takes `connectMs` and `tlsMs` as its k6 `http_req_connecting`
   * and `http_req_tls_handshaking` (a request on a reused or pre-opened
   * socket has 0 for both). A request that gave up while the socket was
   * being opened for it takes it too (see the engine's `onConnect`): k6
   * charges a dial only to the request that waited for it.
   */
  setUp = false;
  connectMs = 0;
  tlsMs = 0;
  constructor(readonly client: Client) {}

  /** Takes `socket` as its own: one 'drain' listener per socket, whatever the number of requests on it. */
  adopt(socket: Socket): void {
    this.socket = socket;
    socket.on('drain', () => {
      const after = this.afterDrain;
      this.afterDrain = null;
      after?.();
    });
  }

  /** Whether the socket is fresh (its set-up not yet taken); takes it: later requests reuse the socket. */
  takeSetUp(): boolean {
    if (!this.setUp) return false;
    this.setUp = false;
    return true;
  }
}

/** A handler the pool can tell about its connection; `active` false = abandoned, skip it. */
export interface PooledHandler extends Dispatcher.DispatchHandler {
  conn: Conn | null;
  readonly active: boolean;
}

interface Queued {
  opts: Dispatcher.DispatchOptions;
  handler: PooledHandler;
}

export interface ConnectionPoolOptions {
  /** Most connections (the VU count: one connection per VU, as k6). */
  connections: number;
  /** Most connections being opened at once; default 4. */
  maxConnecting?: number;
  connectTimeout: number;
  /** https: verify the target's certificate (default true; the probe's `insecureSkipTLSVerify` turns it off). */
  rejectUnauthorized?: boolean;
  /**
   * https: the TLS context of this origin's connections (a `tlsAuth` client
   * certificate, `tlsCACerts`), built once and shared; undefined: Node's
   * default (its roots, no client certificate).
   */
  secureContext?: SecureContext;
  /** undici's pipelining limit; the pool itself never sends a second request on a busy connection. */
  pipelining?: number;
  keepAliveTimeout?: number;
  keepAliveMaxTimeout?: number;
  /** Largest response header block undici reads (its default is 16 KiB; Go's client, k6's, reads up to 10 MB). */
  maxHeaderSize?: number;
  /** Resolves host names (Node's `net.connect` option; default `dns.lookup`). */
  lookup?: LookupFunction;
  /**
   * Connect to this address (an IP address, IPv6 without brackets) and port
   * instead of the origin's host (the probe's `hosts`); the URL, the Host
   * header, TLS SNI and the certificate check keep the origin's name.
   */
  connectTo?: { host: string; port: number };
}

export class ConnectionPool {
  private readonly idle: Conn[] = [];
  private readonly all: Conn[] = [];
  private connecting = 0;
  private queue: (Queued | undefined)[] = [];
  private head = 0;
  private readonly maxConnecting: number;
  private closed = false;
  /** TCP connections opened by `preconnect`, handed to the next new Client instead of connecting. */
  private readonly spare: Socket[] = [];
  private readonly connector: buildConnector.connector;
  /** `connectTo` as undici's connect options (`hostname`, `port`, `servername`), laid over each new connection's; undefined: none. */
  private readonly dialTo: { hostname: string; port: string; servername?: string } | undefined;

  constructor(
    private readonly origin: string,
    private readonly options: ConnectionPoolOptions,
  ) {
    this.maxConnecting = options.maxConnecting ?? 4;
    const to = options.connectTo;
    const name = new URL(origin).hostname.replace(/^\[|\]$/g, '');
    const ipOrigin = isIP(name) !== 0;
    // undici connects to `hostname` and takes SNI (`servername`) and the session cache key from the origin's
    // host; tls.connect checks the certificate against `servername`, else `host` (here the mapped address).
    this.dialTo = to ? { hostname: to.host, port: String(to.port), ...(ipOrigin ? {} : { servername: name }) } : undefined;
    this.connector = buildConnector({
      timeout: options.connectTimeout,
      rejectUnauthorized: options.rejectUnauthorized ?? true,
      // Passed on to tls.connect: a connection does its handshake, never rebuilds the context.
      ...(options.secureContext ? { secureContext: options.secureContext } : {}),
      ...(options.lookup ? { lookup: options.lookup } : {}),
      // An IP address is never SNI: check the certificate against the origin's address, not the mapped one.
      ...(to && ipOrigin ? { checkServerIdentity: (_host: string, cert: Parameters<typeof checkServerIdentity>[1]) => checkServerIdentity(name, cert) } : {}),
    });
  }

  /**
   * Opens up to `n` TCP connections now (no HTTP is sent), so that the
   * first requests of a run do not pay for connection set-up on either
   * side — at thousands of requests/s that set-up otherwise dominates the
   * first few hundred milliseconds. Plain http only. Resolves with how many
   * connected.
   */
  async preconnect(n: number): Promise<number> {
    const url = new URL(this.origin);
    if (url.protocol !== 'http:' || n <= 0) return 0;
    const port = Number(this.dialTo?.port ?? (url.port || 80));
    const host = this.dialTo?.hostname ?? url.hostname.replace(/^\[|\]$/g, '');
    const count = Math.min(n, this.options.connections);
    const opened = await Promise.all(
      Array.from(
        { length: count },
        () =>
          new Promise<boolean>((resolve) => {
            const socket = netConnect({ host, port });
            socket.setNoDelay(true);
            socket.setKeepAlive(true, 60_000);
            let timer: ReturnType<typeof setTimeout> | undefined;
            // Exactly once, whichever comes first: connect, error, close
            // (a destroy without an error emits only 'close') or the timeout.
            const settle = (connected: boolean): void => {
              if (timer === undefined) return;
              clearTimeout(timer);
              timer = undefined;
              resolve(connected);
            };
            timer = setTimeout(() => {
              socket.destroy();
              settle(false);
            }, this.options.connectTimeout);
            socket.once('connect', () => {
              if (timer === undefined) return;
              if (this.closed) {
                socket.destroy();
                settle(false);
                return;
              }
              this.spare.push(socket);
              settle(true);
            });
            // Also keeps a later error on a spare socket from being uncaught.
            socket.on('error', () => settle(false));
            socket.once('close', () => {
              const i = this.spare.indexOf(socket);
              if (i >= 0) this.spare.splice(i, 1);
              settle(false);
            });
          }),
      ),
    );
    const connected = opened.filter(Boolean).length;
    // Also let undici set up its HTTP/1 context on them (parser, listeners),
    // which costs as much again as the TCP connect, through Client's
    // internal connect method when this undici version has it.
    const kConnect = Object.getOwnPropertySymbols(Client.prototype).find((sym) => sym.description === 'connect');
    if (kConnect) {
      const ready: Conn[] = [];
      await Promise.all(
        Array.from({ length: connected }, () => {
          const conn = this.open(true);
          if (!conn) return Promise.resolve();
          return new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, this.options.connectTimeout);
            try {
              (conn.client as unknown as Record<symbol, (cb: () => void) => void>)[kConnect]!(() => {
                clearTimeout(timer);
                resolve();
              });
              ready.push(conn);
            } catch {
              clearTimeout(timer);
              resolve();
            }
          });
        }),
      );
      this.idle.push(...ready);
    }
    return connected;
  }

  /**
   * undici's connect for `conn`'s client: a pre-opened socket when one is
   * left (no set-up time is charged to a request for it), else a new one,
   * timed as k6 times a dial: the TCP connect (from after the DNS lookup
   * and the synchronous socket set-up), then (https) the TLS handshake.
   */
  private connectClient(conn: Conn, opts: buildConnector.Options, callback: buildConnector.Callback): void {
    conn.setUp = false;
    let socket = this.spare.pop();
    while (socket && (socket.destroyed || !socket.writable)) socket = this.spare.pop();
    if (!socket) {
      let start = 0;
      let tcpAt = 0;
      // `hosts`: the mapped address (an IP: no lookup), the origin's name kept for SNI and the certificate check.
      const dial = this.dialTo ? { ...opts, ...this.dialTo } : opts;
      // undici's connector returns the socket it opens (its types say void).
      const opened = (this.connector as unknown as (o: buildConnector.Options, cb: buildConnector.Callback) => Socket | undefined)(dial, (...args) => {
        if (args[0] === null) {
          const end = performance.now();
          const tcp = tcpAt || end;
          conn.adopt(args[1]);
          if (opts.protocol === 'https:') keepTlsAlert(args[1]);
          conn.connectMs = tcp - start;
          conn.tlsMs = end - tcp;
          conn.setUp = true;
        }
        callback(...args);
      });
      // Not before: tls.connect builds its SecureContext synchronously (ms on the first call), and a name is looked up first.
      start = performance.now();
      if (opened && typeof opened.once === 'function') {
        opened.once('lookup', () => (start = performance.now()));
        // A TLS socket emits 'connect' when TCP is up — first, before tls's own listener writes the ClientHello — and 'secureConnect' (undici's callback) after the handshake.
        if (opts.protocol === 'https:') opened.prependOnceListener('connect', () => (tcpAt = performance.now()));
      }
      return;
    }
    conn.adopt(socket);
    socket.removeAllListeners('close');
    socket.removeAllListeners('error');
    // Asynchronously, as a real connect: undici ignores a resume that
    // arrives while it is still inside its own connect call.
    const ready = socket;
    queueMicrotask(() => callback(null, ready));
  }

  get size(): number {
    return this.all.length;
  }

  get queued(): number {
    return this.queue.length - this.head;
  }

  dispatch(opts: Dispatcher.DispatchOptions, handler: PooledHandler): void {
    const conn = this.idle.pop() ?? this.open();
    if (conn) this.send(conn, opts, handler);
    else this.queue.push({ opts, handler });
  }

  /**
   * The request on `conn` is over: hand the connection to the next waiting
   * request. How it ended (`ended`) decides when:
   *   - `response` (undici's onComplete): synchronously;
   *   - `error` (undici's onError): a microtask later. undici may be calling
   *     from inside its client's `onError` (a failed connect, a reset), which
   *     fails the client's queued requests one by one and then asserts the
   *     client's queue is empty: a request dispatched on that client now
   *     would make the assertion throw, from a socket 'error' listener,
   *     uncaught;
   *   - `refused` (undici refused the request inside `dispatch()`, before
   *     queueing it; it never touched the connection): synchronously, so the
   *     other arrivals of the same tick find the connection free.
   * A connection with no live socket (its connect failed, or the socket was
   * reset or destroyed) is retired instead, a microtask later, and the next
   * waiting request gets a new connection (counted against
   * `maxConnecting`): a working one, or its own connect error.
   */
  release(conn: Conn, ended: 'response' | 'error' | 'refused' = 'response'): void {
    if (this.closed) return;
    if (ended === 'error') queueMicrotask(() => this.handOn(conn, false));
    else this.handOn(conn, ended === 'refused');
  }

  private handOn(conn: Conn, refused: boolean): void {
    if (this.closed) return;
    if (!conn.connected && !refused) {
      queueMicrotask(() => this.retire(conn));
      return;
    }
    const next = this.dequeue();
    if (next) this.send(conn, next.opts, next.handler);
    else this.idle.push(conn);
  }

  private send(conn: Conn, opts: Dispatcher.DispatchOptions, handler: PooledHandler): void {
    handler.conn = conn;
    conn.client.dispatch(opts, handler);
  }

  /** Drops a connection whose socket is gone (connect failed, reset, destroyed) and opens new ones for waiting requests. */
  private retire(conn: Conn): void {
    if (this.closed) return; // destroy() has destroyed its client
    const i = this.all.indexOf(conn);
    if (i >= 0) {
      this.all[i] = this.all[this.all.length - 1]!;
      this.all.pop();
    }
    if (conn.connecting) {
      conn.connecting = false;
      this.connecting--;
    }
    conn.client.destroy().catch(() => {});
    this.pump();
  }

  private dequeue(): Queued | undefined {
    while (this.head < this.queue.length) {
      const q = this.queue[this.head];
      this.queue[this.head++] = undefined;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      if (q && q.handler.active) return q;
    }
    return undefined;
  }

  private open(unlimited = false): Conn | undefined {
    if (this.closed || this.all.length >= this.options.connections || (!unlimited && this.connecting >= this.maxConnecting)) return undefined;
    const client = new Client(this.origin, {
      // undici connects on the first dispatch, after `conn` is set.
      connect: (opts, callback) => this.connectClient(conn, opts, callback),
      pipelining: this.options.pipelining ?? 1,
      connectTimeout: this.options.connectTimeout,
      keepAliveTimeout: this.options.keepAliveTimeout ?? 4_000,
      keepAliveMaxTimeout: this.options.keepAliveMaxTimeout ?? 60_000,
      ...(this.options.maxHeaderSize !== undefined ? { maxHeaderSize: this.options.maxHeaderSize } : {}),
    });
    const conn = new Conn(client);
    const settled = (): void => {
      if (!conn.connecting) return;
      conn.connecting = false;
      this.connecting--;
      this.pump();
    };
    client.on('connect', () => {
      conn.connected = true;
      settled();
    });
    client.on('connectionError', () => {
      conn.connected = false;
      settled();
    });
    client.on('disconnect', () => {
      conn.connected = false;
    });
    this.connecting++;
    this.all.push(conn);
    return conn;
  }

  /** A connect finished: open more connections for waiting requests. */
  private pump(): void {
    while (this.head < this.queue.length) {
      const conn = this.idle.pop() ?? this.open();
      if (!conn) return;
      const next = this.dequeue();
      if (!next) {
        this.idle.push(conn);
        return;
      }
      this.send(conn, next.opts, next.handler);
    }
  }

  async destroy(): Promise<void> {
    this.closed = true;
    this.queue = [];
    this.head = 0;
    for (const socket of this.spare.splice(0)) socket.destroy();
    await Promise.allSettled(this.all.map((c) => c.client.destroy()));
  }
}
