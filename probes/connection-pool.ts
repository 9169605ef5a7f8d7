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
 *
 * A pool is per origin, whatever its connections dial: the origin's host,
 * the address `hosts` maps it to (`connectTo`), or a proxy (`proxy`: an
 * HTTP proxy's CONNECT tunnel for https, absolute-form requests for http; a
 * SOCKS5 proxy's tunnel for both).
 *
 * HTTP/2 (`allowH2`): an https connection offers `h2` and `http/1.1` by
 * ALPN, as Go's client (k6) does, and undici speaks HTTP/2 on it when the
 * server picks `h2`. A connection still carries one request at a time (one
 * stream, then the next): a VU's connection is its own, as in k6, where
 * every VU has its own transport. undici 7's HTTP/2 falls short in two
 * places the pool makes up for on each HTTP/2 connection (see `hookH2`):
 * its `onRequestSent` comes before any byte of the request is written, and
 * it fails the request in flight on any GOAWAY, even one whose last stream
 * id says the server will answer it (undici#5089, fixed only in undici 8).
 */
import { constants as h2 } from 'node:http2';
import type { ClientHttp2Session, ClientHttp2Stream, OutgoingHttpHeaders } from 'node:http2';
import { isIP, connect as netConnect } from 'node:net';
import type { LookupFunction, Socket } from 'node:net';
import { checkServerIdentity } from 'node:tls';
import type { SecureContext } from 'node:tls';
import { buildConnector, Client, errors } from 'undici';
import type { Dispatcher } from 'undici';
import type { ProxyServer } from './proxy.ts';
import { SocksHandshake } from './socks.ts';
import type { Handshake, HandshakeStep } from './socks.ts';

/** How long an idle connection is kept (with no server hint, and at most with one): see `open`. */
const IDLE_KEEP_ALIVE_MS = 3_600_000;

/** undici's connector, which returns the socket it opens (its types say void). */
type Open = (options: buildConnector.Options, callback: buildConnector.Callback) => Socket | undefined;

/** Most bytes of a proxy's answer to CONNECT (status line and headers) read before giving up on it. */
const MAX_CONNECT_ANSWER = 16_384;

/**
 * A failed proxy set-up, a connect_error (nothing reached the origin):
 * `ERR_PROXY_REFUSED` the proxy answered CONNECT with no 2xx (a SOCKS5
 * proxy: with a reply other than success), `ERR_PROXY_SET_UP` it closed,
 * or answered what is not HTTP, SOCKS5 or TLS, or refused the credentials
 * of a SOCKS5 proxy URL.
 */
function setUpError(code: 'ERR_PROXY_REFUSED' | 'ERR_PROXY_SET_UP', message: string): Error {
  return Object.assign(new Error(message), { code });
}

/**
 * An error of the connection to the proxy before the tunnel was up, its
 * message naming the proxy, its code (the outcome) kept — but a reset: the
 * proxy dropped the set-up, and nothing reached the origin (a
 * connect_error, not the `reset` of a request the origin had).
 */
function proxyError(proxy: ProxyServer, err: Error, what?: string): Error {
  // localIPs: the socket could not take its local address; the engine says which and why.
  if ((err as { syscall?: string }).syscall === 'bind') return err;
  const code = (err as { code?: string }).code;
  if (code === 'ECONNRESET' || code === 'EPIPE') {
    return Object.assign(new Error(`proxy ${proxy.url} reset the connection before ${what !== undefined ? `answering ${what}` : 'it was set up'}`, { cause: err }), { code: 'ERR_PROXY_SET_UP' });
  }
  // The engine's hint for this code speaks of the target: this is the proxy, and the usual mistake is https:// for a plain one.
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER') return setUpError('ERR_PROXY_SET_UP', `proxy ${proxy.url} did not answer in TLS: is it an http:// proxy?`);
  // OpenSSL's internals ("…:SSL routines:…:reason:file:line:") reduced to the reason.
  const reason = /SSL routines:[^:]*:([^:]+):/.exec(err.message)?.[1] ?? err.message;
  return Object.assign(new Error(`proxy ${proxy.url}: ${reason}`, { cause: err }), { code });
}

const EMPTY = Buffer.alloc(0);

/**
 * An HTTP proxy's tunnel to `authority` (`CONNECT host:port`, with the proxy
 * URL's credentials), as a handshake: done at a 2xx answer, its headers
 * read up to MAX_CONNECT_ANSWER bytes.
 */
function connectHandshake(proxy: ProxyServer, authority: string): Handshake {
  const what = `CONNECT ${authority}`;
  let answer: Buffer = EMPTY;
  return {
    waitingFor: what,
    start: () => {
      const auth = proxy.authorization !== undefined ? `Proxy-Authorization: ${proxy.authorization}\r\n` : '';
      return { kind: 'write', bytes: `${what} HTTP/1.1\r\nHost: ${authority}\r\n${auth}\r\n` };
    },
    feed: (chunk) => {
      if (chunk.length > 0) answer = answer.length === 0 ? chunk : Buffer.concat([answer, chunk]);
      const end = answer.indexOf('\r\n\r\n');
      if (end < 0) {
        if (answer.length > MAX_CONNECT_ANSWER) return { kind: 'failed', code: 'ERR_PROXY_SET_UP', message: `proxy ${proxy.url} answered ${what} with more than ${MAX_CONNECT_ANSWER} bytes of headers` };
        return { kind: 'more' };
      }
      const status = /^HTTP\/1\.[01] ([0-9]{3}) ?([^\r\n]*)/.exec(answer.toString('latin1', 0, end));
      if (!status) return { kind: 'failed', code: 'ERR_PROXY_SET_UP', message: `proxy ${proxy.url} did not answer ${what} in HTTP/1.1` };
      const code = Number(status[1]);
      if (code < 200 || code > 299) {
        const reason = status[2] ? ` (${status[2]})` : '';
        const hint = code !== 407 ? '' : proxy.authorization ? ': it refused the proxy URL’s credentials' : ': the proxy URL gives no credentials (http://user:password@host:port)';
        return { kind: 'failed', code: 'ERR_PROXY_REFUSED', message: `proxy ${proxy.url} answered ${code} to ${what}${reason}${hint}` };
      }
      return { kind: 'done', rest: answer.subarray(end + 4) };
    },
  };
}

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
  /** Its current socket speaks HTTP/2 (the server picked `h2` by ALPN). */
  h2 = false;
  /** HTTP/2: the stream of the request on it, from undici's write of it to its `release`; else null. */
  stream: ClientHttp2Stream | null = null;
  /** HTTP/2: set while undici fails the request in flight for a GOAWAY whose last stream id is below its stream: the server never processed it. */
  unprocessed = false;
  /**
   * Retired by choice after its request (HTTP/2 with Connection: close or
   * noConnectionReuse, a graceful GOAWAY): its replacement is opened at once,
   * outside `maxConnecting`, as an HTTP/1.1 Client reconnects in place.
   */
  replaceAtOnce = false;
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
   * certificate, `tlsCACerts`, `tlsVersion` / `tlsCipherSuites`), built once
   * and shared; undefined: Node's default (its roots, no client
   * certificate, TLS 1.2 to 1.3).
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
  /** k6's `localIPs`: the local address of each new socket (to the origin, the mapped address or the proxy), asked once per dial; undefined: the OS picks. */
  localAddress?: () => string;
  /**
   * Connect to this address (an IP address, IPv6 without brackets) and port
   * instead of the origin's host (the probe's `hosts`); the URL, the Host
   * header, TLS SNI and the certificate check keep the origin's name.
   */
  connectTo?: { host: string; port: number };
  /**
   * Open connections through this proxy (the environment's HTTP_PROXY /
   * HTTPS_PROXY; ignored with `connectTo`): an https origin's through a
   * CONNECT tunnel, then TLS with the origin inside it (its SNI,
   * certificate check and `secureContext`); an http origin's to the proxy
   * itself, each request sent in absolute form (`GET http://host:port/x`)
   * with the proxy URL's credentials as Proxy-Authorization. A SOCKS5
   * proxy (`proxy.socks`) tunnels both (a SOCKS5 CONNECT to the origin's
   * host name or address), then TLS inside it for https as through CONNECT,
   * plain requests for http.
   */
  proxy?: ProxyServer;
  /** An https:// proxy: the TLS context of connections to it (`tlsCACerts`, `tlsVersion` / `tlsCipherSuites`); undefined: Node's default. */
  proxySecureContext?: SecureContext;
  /**
   * https: offer HTTP/2 by ALPN (`h2`, `http/1.1`) and speak it when the
   * server picks it, as Go's client (k6) does; default false (HTTP/1.1 only).
   * Plain http is always HTTP/1.1 (no h2c).
   */
  allowH2?: boolean;
}

/**
 * The HTTP/2 session undici keeps on an h2 socket (under its own symbol
 * property), found by its shape rather than the symbol's name; undefined
 * if there is none.
 */
function sessionOf(socket: Socket): ClientHttp2Session | undefined {
  for (const key of Object.getOwnPropertySymbols(socket)) {
    const value = (socket as unknown as Record<symbol, unknown>)[key] as Partial<ClientHttp2Session> | null | undefined;
    if (typeof value === 'object' && value !== null && typeof value.request === 'function' && typeof value.goaway === 'function' && typeof value.setLocalWindowSize === 'function') {
      return value as ClientHttp2Session;
    }
  }
  return undefined;
}

/**
 * Removes the request headers HTTP/2 forbids (RFC 9113 §8.2.2) that undici
 * passes on (it drops `connection` itself; validation refuses `keep-alive`,
 * `transfer-encoding`, `upgrade`): Node's HTTP/2 would throw on them, out of
 * undici's write. Go's client drops `proxy-connection` too; `te` other than
 * `trailers` and `http2-settings` cannot be sent at all. Their names are
 * as the probe wrote them (any case): looked at by length first.
 */
function dropConnectionHeaders(headers: OutgoingHttpHeaders): void {
  for (const key in headers) {
    const n = key.length;
    if (n !== 2 && n !== 14 && n !== 16) continue;
    const name = key.toLowerCase();
    if (name === 'proxy-connection' || name === 'http2-settings' || (name === 'te' && headers[key] !== 'trailers')) delete headers[key];
  }
}

/** Go's HTTP/2 client's flow-control windows (x/net/http2 transportDefaultStreamFlow, transportDefaultConnFlow): a large body downloads at the pace k6's does. */
const H2_STREAM_WINDOW = 4 << 20;
const H2_CONNECTION_WINDOW = 1 << 30;

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
  /** The proxy connections go through (`options.proxy`, unless `connectTo`), and its address as undici's connect options. */
  private readonly proxy: ProxyServer | undefined;
  private readonly proxyDial: buildConnector.Options | undefined;
  /** An https:// proxy's connector (TLS to the proxy, with its context); a plain proxy is dialled by `connector`. */
  private readonly proxyConnector: buildConnector.connector | undefined;
  /** What CONNECT asks the proxy for: the origin's `host:port` (an IPv6 address in brackets). */
  private readonly authority: string;
  /** The origin's host (IPv6 without brackets) and port, as a SOCKS5 CONNECT asks for them. */
  private readonly target: { host: string; port: number };
  /** http origin through a proxy: the absolute-form copy of each frozen (static) request's options, made once. */
  private readonly absolute = new WeakMap<Dispatcher.DispatchOptions, Dispatcher.DispatchOptions>();

  constructor(
    private readonly origin: string,
    private readonly options: ConnectionPoolOptions,
  ) {
    this.maxConnecting = options.maxConnecting ?? 4;
    const to = options.connectTo;
    const url = new URL(origin);
    const name = url.hostname.replace(/^\[|\]$/g, '');
    const ipOrigin = isIP(name) !== 0;
    // undici connects to `hostname` and takes SNI (`servername`) and the session cache key from the origin's
    // host; tls.connect checks the certificate against `servername`, else `host` (here the mapped address).
    this.dialTo = to ? { hostname: to.host, port: String(to.port), ...(ipOrigin ? {} : { servername: name }) } : undefined;
    this.connector = buildConnector({
      timeout: options.connectTimeout,
      rejectUnauthorized: options.rejectUnauthorized ?? true,
      // No TLS session resumption: k6's tls.Config has no ClientSessionCache, so every new connection
      // does (and http_req_tls_handshaking measures) a full handshake. undici caches 100 by default.
      maxCachedSessions: 0,
      // ALPN: h2 and http/1.1 (undici offers them in that order, the server picks; Go offers h2 first).
      allowH2: options.allowH2 === true,
      // Passed on to tls.connect: a connection does its handshake, never rebuilds the context.
      ...(options.secureContext ? { secureContext: options.secureContext } : {}),
      ...(options.lookup ? { lookup: options.lookup } : {}),
      // An IP address is never SNI: check the certificate against the origin's address, not the mapped one.
      ...(to && ipOrigin ? { checkServerIdentity: (_host: string, cert: Parameters<typeof checkServerIdentity>[1]) => checkServerIdentity(name, cert) } : {}),
    });
    this.authority = `${url.hostname}:${url.port || (url.protocol === 'https:' ? 443 : 80)}`;
    this.target = { host: name, port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)) };
    const proxy = to ? undefined : options.proxy;
    this.proxy = proxy;
    if (proxy) {
      const host = proxy.host.includes(':') ? `[${proxy.host}]` : proxy.host;
      // `host` gives undici the proxy's name for SNI (none for an IP address), not the origin's.
      this.proxyDial = { hostname: proxy.host, host: `${host}:${proxy.port}`, port: String(proxy.port), protocol: proxy.tls ? 'https:' : 'http:' };
      if (proxy.tls) {
        this.proxyConnector = buildConnector({
          timeout: options.connectTimeout,
          rejectUnauthorized: options.rejectUnauthorized ?? true,
          maxCachedSessions: 0,
          ...(options.proxySecureContext ? { secureContext: options.proxySecureContext } : {}),
          ...(options.lookup ? { lookup: options.lookup } : {}),
        });
      }
      // Only an http pool through an HTTP proxy sends its requests otherwise: the others keep the plain `send`, untouched.
      if (url.protocol === 'http:' && !proxy.socks) {
        this.send = (conn, opts, handler) => {
          handler.conn = conn;
          conn.client.dispatch(this.absoluteForm(opts), handler);
        };
      }
    }
  }

  /**
   * `opts` in absolute form (`path` the whole URL), with the proxy URL's
   * credentials as Proxy-Authorization (added to the request's headers, as
   * Go adds them). Frozen options (a static request's) are copied once.
   */
  private absoluteForm(opts: Dispatcher.DispatchOptions): Dispatcher.DispatchOptions {
    const frozen = Object.isFrozen(opts);
    const made = frozen ? this.absolute.get(opts) : undefined;
    if (made) return made;
    const auth = this.proxy!.authorization;
    const headers = opts.headers;
    let withAuth = headers;
    if (auth !== undefined) {
      if (headers === undefined || headers === null) withAuth = ['proxy-authorization', auth];
      else if (Array.isArray(headers)) withAuth = [...headers, 'proxy-authorization', auth];
      else withAuth = { ...(headers as Record<string, string>), 'proxy-authorization': auth };
    }
    const out: Dispatcher.DispatchOptions = { ...opts, path: this.origin + opts.path, ...(withAuth !== undefined ? { headers: withAuth } : {}) };
    if (frozen) this.absolute.set(opts, Object.freeze(out));
    return out;
  }

  /**
   * Opens up to `n` TCP connections now (no HTTP is sent), so that the
   * first requests of a run do not pay for connection set-up on either
   * side — at thousands of requests/s that set-up otherwise dominates the
   * first few hundred milliseconds. Plain http only (not through an
   * https:// proxy); through a SOCKS5 proxy the tunnel is set up too.
   * Resolves with how many connected.
   */
  async preconnect(n: number): Promise<number> {
    const url = new URL(this.origin);
    if (url.protocol !== 'http:' || n <= 0 || this.proxy?.tls) return 0;
    // `hosts`' address, the proxy's, or the origin's own.
    const to = this.dialTo ?? this.proxyDial;
    const port = Number(to?.port ?? (url.port || 80));
    const host = to?.hostname ?? url.hostname.replace(/^\[|\]$/g, '');
    const count = Math.min(n, this.options.connections);
    const opened = await Promise.all(
      Array.from(
        { length: count },
        () =>
          new Promise<boolean>((resolve) => {
            const localAddress = this.options.localAddress?.();
            const socket = netConnect({ host, port, ...(this.options.lookup ? { lookup: this.options.lookup } : {}), ...(localAddress !== undefined ? { localAddress } : {}) });
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
              const proxy = this.proxy;
              if (!proxy?.socks) {
                this.spare.push(socket);
                settle(true);
                return;
              }
              // Through a SOCKS5 proxy: its tunnel now too, so that the socket is what a connect hands undici.
              this.setUpTunnel(socket, new SocksHandshake(proxy.url, this.target.host, this.target.port, proxy.socks.credentials), (err) => {
                if (err !== undefined || timer === undefined || this.closed) {
                  socket.destroy();
                  settle(false);
                  return;
                }
                this.spare.push(socket);
                settle(true);
              });
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
      if (this.proxy) {
        this.connectThroughProxy(conn, opts, callback);
        return;
      }
      let start = 0;
      let tcpAt = 0;
      // `hosts`: the mapped address (an IP: no lookup), the origin's name kept for SNI and the certificate check.
      const localAddress = this.options.localAddress?.();
      const dial = this.dialTo || localAddress !== undefined ? { ...opts, ...this.dialTo, ...(localAddress !== undefined ? { localAddress } : {}) } : opts;
      const opened = (this.connector as unknown as Open)(dial, (...args) => {
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

  /**
   * A new connection through the proxy: TCP (an https:// proxy: and TLS) to
   * the proxy; then the proxy's set-up, if any: a SOCKS5 handshake (any
   * origin), a CONNECT tunnel (an https origin through an HTTP proxy), none
   * (an http origin through an HTTP proxy: requests go in absolute form);
   * then for an https origin TLS with the origin inside the tunnel. Timed
   * as Go's client (k6) times it: `connectMs` is the TCP connect to the
   * proxy, `tlsMs` the TLS handshakes (with an https:// proxy, and with the
   * origin); the CONNECT or SOCKS5 exchange is in neither (only in the
   * request's `blocked`, as in k6).
   */
  private connectThroughProxy(conn: Conn, opts: buildConnector.Options, callback: buildConnector.Callback): void {
    const proxy = this.proxy!;
    let start = 0;
    let tcpAt = 0;
    const localAddress = this.options.localAddress?.();
    const proxyDial = localAddress !== undefined ? { ...this.proxyDial!, localAddress } : this.proxyDial!;
    const opened = ((this.proxyConnector ?? this.connector) as unknown as Open)(proxyDial, (...args) => {
      if (args[0] !== null) {
        callback(proxyError(proxy, args[0]), null);
        return;
      }
      const socket = args[1];
      const up = performance.now();
      const tcp = tcpAt || up;
      // An https:// proxy's TLS handshake; a plain proxy's socket is up at its TCP connect (what is between is no TLS).
      const proxyTlsMs = proxy.tls ? up - tcp : 0;
      const ready = (s: Socket, tlsMs: number): void => {
        conn.adopt(s);
        if (s !== socket || proxy.tls) keepTlsAlert(s);
        conn.connectMs = tcp - start;
        conn.tlsMs = tlsMs;
        conn.setUp = true;
        callback(null, s);
      };
      const tunnelled = (): void => {
        if (opts.protocol !== 'https:') {
          ready(socket, proxyTlsMs);
          return;
        }
        const tlsStart = performance.now();
        // The origin's TLS over the tunnel: its SNI, certificate check and context, as without a proxy.
        this.connector({ ...opts, httpSocket: socket }, (...tls) => {
          if (tls[0] === null) ready(tls[1], proxyTlsMs + performance.now() - tlsStart);
          else {
            socket.destroy();
            callback(tls[0], null);
          }
        });
      };
      const handshake = proxy.socks
        ? new SocksHandshake(proxy.url, this.target.host, this.target.port, proxy.socks.credentials)
        : opts.protocol === 'https:'
          ? connectHandshake(proxy, this.authority)
          : undefined;
      if (handshake === undefined) {
        tunnelled();
        return;
      }
      this.setUpTunnel(socket, handshake, (err) => {
        if (err === undefined) tunnelled();
        else {
          socket.destroy();
          callback(err, null);
        }
      });
    });
    start = performance.now();
    if (opened && typeof opened.once === 'function') {
      opened.once('lookup', () => (start = performance.now()));
      opened.prependOnceListener('connect', () => (tcpAt = performance.now()));
    }
  }

  /**
   * Runs `handshake` (a CONNECT, a SOCKS5 handshake) with the proxy on
   * `socket`, within `connectTimeout`; `done` once: no error when the
   * tunnel is up, the socket then left paused with any bytes read past
   * the proxy's answer put back, for TLS or undici to take over.
   */
  private setUpTunnel(socket: Socket, handshake: Handshake, done: (err?: Error) => void): void {
    const proxy = this.proxy!;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const finish = (err?: Error): void => {
      if (timer === undefined) return;
      clearTimeout(timer);
      timer = undefined;
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      done(err);
    };
    const take = (first: HandshakeStep): void => {
      let step = first;
      // Bounded: each write moves the handshake a stage on (a SOCKS5 handshake writes at most three times).
      for (let writes = 0; step.kind === 'write' && writes < 8; writes++) {
        socket.write(step.bytes);
        step = handshake.feed(EMPTY);
      }
      if (step.kind === 'failed') finish(setUpError(step.code, step.message));
      else if (step.kind === 'done') {
        socket.pause();
        // The origin speaks only when spoken to: nothing should follow; what did is handed on.
        if (step.rest.length > 0) socket.unshift(step.rest);
        finish();
      }
    };
    const onData = (chunk: Buffer): void => take(handshake.feed(chunk));
    const onError = (err: Error): void => finish(proxyError(proxy, err, handshake.waitingFor));
    const onEnd = (): void => finish(setUpError('ERR_PROXY_SET_UP', `proxy ${proxy.url} closed the connection before answering ${handshake.waitingFor}`));
    socket.on('data', onData);
    socket.on('error', onError);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    timer = setTimeout(
      () => finish(new errors.ConnectTimeoutError(`proxy ${proxy.url}: no answer to ${handshake.waitingFor} within ${this.options.connectTimeout} ms`)),
      this.options.connectTimeout,
    );
    take(handshake.start());
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
    conn.stream = null;
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

  /** Sends on `conn`; a proxied http pool has its own (see the constructor). */
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
    if (conn.replaceAtOnce) {
      const next = this.dequeue();
      const fresh = next ? this.open(true) : undefined;
      if (next && fresh) this.send(fresh, next.opts, next.handler);
      else if (next) this.requeue(next);
    }
    this.pump();
  }

  /** Puts a request taken from the queue back at its head. */
  private requeue(q: Queued): void {
    if (this.head > 0) this.queue[--this.head] = q;
    else this.queue.unshift(q);
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
      // k6's transport sets no IdleConnTimeout: an idle connection stays until the server closes it (a VU
      // with think time keeps its connection). undici closes one after keepAliveTimeout when the server
      // gives no `Keep-Alive: timeout=` hint, and follows a hint up to keepAliveMaxTimeout, so a server's
      // own close is never raced: an hour for both (Go ignores the hint; undici's timers need a bound).
      keepAliveTimeout: this.options.keepAliveTimeout ?? IDLE_KEEP_ALIVE_MS,
      keepAliveMaxTimeout: this.options.keepAliveMaxTimeout ?? IDLE_KEEP_ALIVE_MS,
      ...(this.options.maxHeaderSize !== undefined ? { maxHeaderSize: this.options.maxHeaderSize } : {}),
      // HTTP/2, when a server picks it: no PINGs of its own (Go's client sends none by default), Go's windows.
      ...(this.options.allowH2 === true ? { allowH2: true, pingInterval: 0, initialWindowSize: H2_STREAM_WINDOW, connectionWindowSize: H2_CONNECTION_WINDOW } : {}),
    });
    const conn = new Conn(client);
    const settled = (): void => {
      if (!conn.connecting) return;
      conn.connecting = false;
      this.connecting--;
      this.pump();
    };
    // Before undici writes the first request on the new socket.
    client.on('connect', () => {
      conn.connected = true;
      conn.h2 = false;
      conn.stream = null;
      if (conn.socket !== null && (conn.socket as Socket & { alpnProtocol?: string | false }).alpnProtocol === 'h2') this.hookH2(conn, conn.socket);
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

  /**
   * A new HTTP/2 connection (undici has just set up its session on
   * `socket`, and writes its first request next). What undici 7 does not
   * do, done here on its session:
   *   - each request's stream is kept (`conn.stream`), so that the engine
   *     can tell when the request was written: undici calls
   *     `onRequestSent` when it has handed the request to the session,
   *     before a byte of it is written, and a body the server's flow
   *     control holds back goes out later still (see Exchange.onRequestSent);
   *   - request headers HTTP/2 forbids are dropped (`dropConnectionHeaders`):
   *     Node would throw on them out of undici's write, uncaught;
   *   - a GOAWAY is read as RFC 9113 §6.8 and Go's client read it. undici
   *     fails the request in flight on any GOAWAY and drops the connection;
   *     but one with NO_ERROR whose last stream id covers the request says
   *     the server will answer it (nginx sends it on a connection's
   *     `keepalive_requests`-th request, 1000 by default): that request is
   *     left to finish, the connection then retired (`connected` false, see
   *     `handOn`). A GOAWAY below the request's stream says the server never
   *     processed it: undici fails it with `unprocessed` set, and the engine
   *     sends it again (Go: errClientConnGotGoAway is retried). Any other
   *     GOAWAY (an error code over a request the server may have acted on,
   *     one on an idle connection) is undici's to handle. (A response with
   *     trailers is released at its trailers, a moment before its stream
   *     ends; a GOAWAY in between is undici's too, as without this.)
   * A socket that negotiated h2 without a session to be found on it
   * (another undici version) is not used: a request on it would be
   * measured wrong. Its client is destroyed, which fails the requests
   * waiting for it with a reason that says so.
   */
  private hookH2(conn: Conn, socket: Socket): void {
    const session = sessionOf(socket);
    if (!session) {
      conn.connected = false;
      const err = Object.assign(new Error('HTTP/2 was negotiated, but this version of undici keeps its session where burnwatch does not find it; set http2: false'), { code: 'ERR_BURNWATCH_H2_SESSION' });
      conn.client.destroy(err).catch(() => {});
      return;
    }
    conn.h2 = true;
    const request = session.request.bind(session);
    session.request = (...args: Parameters<ClientHttp2Session['request']>): ClientHttp2Stream => {
      if (args[0] !== undefined) dropConnectionHeaders(args[0]);
      const stream = request(...args);
      conn.stream = stream;
      return stream;
    };
    const undici = session.listeners('goaway') as ((...args: unknown[]) => void)[];
    session.removeAllListeners('goaway');
    session.on('goaway', (code: number, lastStreamID: number, data: Buffer) => {
      const forward = (): void => {
        for (const listener of undici) listener.call(session, code, lastStreamID, data);
      };
      const stream = conn.stream;
      if (stream === null || stream.closed || stream.id === undefined) forward();
      else if (stream.id > lastStreamID) {
        conn.unprocessed = true;
        try {
          forward();
        } finally {
          conn.unprocessed = false;
        }
      } else if (code === h2.NGHTTP2_NO_ERROR) {
        // Node lets the stream finish, then closes the session; the connection takes no other request.
        conn.connected = false;
        conn.replaceAtOnce = true;
      } else forward();
    });
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
