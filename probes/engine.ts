/**
 * The load engine of one worker thread: runs its execution segment of the
 * scenario, sends requests through undici, measures, and hands the
 * controller one partial per interval.
 *
 * Hot-path rules (see STYLE.md): everything that can be built per run is
 * (templates, header lists, frozen options for static requests, one
 * reusable `Exchange` handler per VU); per request there is the undici
 * request itself, the rendered strings, five `performance.now()` calls and
 * a few histogram increments. No sample is kept per request.
 *
 * The handler uses undici's native (v1) handler methods — `onConnect`,
 * `onHeaders`, `onData`, `onComplete`, `onError` — on purpose: undici
 * dispatches to those directly, while a v2 handler is wrapped per request
 * and has its headers parsed into an object per response.
 *
 * Open model: a timer walks the arrival cursor and starts every iteration
 * whose scheduled time has come; latency is measured from that scheduled
 * time (wrk2), so a stalled target cannot hide its stall behind requests
 * that were never sent. An iteration that finds no free VU (and the pool at
 * maxVUs) is dropped and counted. Closed model: each VU sends its next
 * request as soon as its previous one ends, or after its think time
 * (`sleep`, `minIterationDuration`).
 */
import { randomBytes } from 'node:crypto';
import { createServer, STATUS_CODES } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Dispatcher } from 'undici';
import { ConnectionPool } from './connection-pool.ts';
import { DnsResolver } from './dns.ts';
import { parseLocalIps } from './local-ips.ts';
import { compileHosts, mappedAddress } from './hosts.ts';
import type { HostsTable } from './hosts.ts';
import { compileProxies, proxyFor } from './proxy.ts';
import type { ProxyTable } from './proxy.ts';
import { TlsContexts } from './tls-auth.ts';
import { tlsConnectOptions, tlsOptionsHint } from './tls-options.ts';
import type { TlsOptionsSpec } from './tls-options.ts';
import type { Conn, PooledHandler } from './connection-pool.ts';
import { OUTCOMES } from '../common/conventions.ts';
import type { Outcome } from '../common/conventions.ts';
import { ChainCookies } from './cookies.ts';
import { digestAuthorization, digestChallenge } from './digest.ts';
import type { DigestChallenge } from './digest.ts';
import { countError } from './error-counts.ts';
import { checkHeaders, checkJson, rawHeader } from './expect.ts';
import { IntervalRecorder } from './histogram.ts';
import type { ErrorCount, TimingPartials, WorkerInit, WorkerPartial, WorkerRequestPartial } from './protocol.ts';
import { REDIRECT_CODE, redirectHop } from './redirect.ts';
import type { RedirectHop } from './redirect.ts';
import { buildRequest, compileRequests, weightedPicker } from './requests.ts';
import type { CompiledRequest } from './requests.ts';
import type { RequestSample } from './results.ts';
import { arrivalCursor, isArrivalRate, iterationsIn, nthIteration, rampingVuSteps, regularDurationMs, scenarioIterationShare, shareOf, WHOLE } from './schedule.ts';
import type { IterationShare, Segment } from './schedule.ts';
import type { ArrivalCursor } from './schedule.ts';
import type { Scenario } from './spec.ts';
import type { TemplateContext } from './template.ts';

/** Sentinel errors passed to undici's abort; identity-compared, never shown raw. */
class EngineAbort extends Error {}
const TIMEOUT = new EngineAbort('request timed out');
/** The request's timeout passed before it had a connection to go out on (a TCP connect that hangs). */
const CONNECT_TIMEOUT = new EngineAbort('timed out waiting for a connection');
const TOO_LARGE = new EngineAbort('response body larger than maxResponseBytes');
/** HTTP/2: the response's header fields add up to more than the header limit (undici enforces it over HTTP/1.1 only). */
const HEADERS_TOO_LARGE = new EngineAbort('response headers larger than maxResponseBytes');
const INTERRUPTED = new EngineAbort('iteration interrupted (gracefulStop / gracefulRampDown)');

/** The process (EMFILE) or the system (ENFILE) may open no more files: sockets included. */
const FD_LIMIT_CODES = new Set(['EMFILE', 'ENFILE']);
const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'ECONNABORTED',
  // connection-pool.ts: a proxy refused the tunnel, or failed to set it up.
  'ERR_PROXY_REFUSED',
  'ERR_PROXY_SET_UP',
  // connection-pool.ts: an HTTP/2 connection this undici's session could not be measured on (nothing sent).
  'ERR_BURNWATCH_H2_SESSION',
]);
/** Node's TLS and OpenSSL's certificate-verification error codes. */
const TLS_CODE = /^(ERR_SSL_|ERR_TLS_)|CERT|SELF_SIGNED|UNABLE_TO_/;
const CERT_CODE = /CERT|SELF_SIGNED|UNABLE_TO_/;
/** Alerts a server sends about the client's certificate (missing, untrusted, refused): the probe's tlsAuth, not the server's certificate. */
const CLIENT_CERT_ALERT = /_ALERT_(CERTIFICATE_REQUIRED|BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_UNKNOWN|UNSUPPORTED_CERTIFICATE|CERTIFICATE_REVOKED|CERTIFICATE_EXPIRED|ACCESS_DENIED)$/;
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

const O = Object.fromEntries(OUTCOMES.map((o, i) => [o, i])) as Record<Outcome, number>;
/** Error kinds a worker keeps per interval (see countError), as many as the run keeps. */
const MAX_ERROR_KINDS = 50;
/** Most origins redirects may lead a worker to besides the probe's own (each gets a connection pool). */
const MAX_REDIRECT_ORIGINS = 32;
const MAX_HEADER_VALUES = 100;
/**
 * A response that leaves other requests in flight starts the iterations
 * that have been due for at least this long (see afterResponse); younger
 * ones wait for the tick, which sends them
 * together — fewer event-loop wake-ups, which are what a paced generator
 * mostly pays for.
 */
const PIGGYBACK_MS = 0.5;
/** Errors of a connection that failed under a written request: the server had closed or reset it. */
const SOCKET_GONE_CODES = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);
/** HTTP/2 RST_STREAM REFUSED_STREAM: the server did not process the stream (RFC 9113 §8.7). */
const REFUSED_STREAM = 7;
/** HTTP/2 RST_STREAM PROTOCOL_ERROR: Go's client retries it when the server sent it (golang/go#47635). */
const PROTOCOL_ERROR = 1;
const REPLAYABLE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

/** Go's `Request.isReplayable`: a safe method, or a request that carries an idempotency key. */
function replayable(options: Dispatcher.DispatchOptions): boolean {
  if (REPLAYABLE_METHODS.has(options.method)) return true;
  const headers = (options.headers ?? []) as string[];
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!.toLowerCase();
    if (name === 'idempotency-key' || name === 'x-idempotency-key') return true;
  }
  return false;
}

/** A response's `Set-Cookie` values (latin1), or null if it has none. */
function setCookieValues(raw: readonly Buffer[] | null): string[] | null {
  let values: string[] | null = null;
  if (raw === null) return values;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const key = raw[i]!;
    if (key.length === 10 && key.toString('latin1').toLowerCase() === 'set-cookie') (values ??= []).push(raw[i + 1]!.toString('latin1'));
  }
  return values;
}

/** The bytes of a response's header fields, names and values (what undici's maxHeaderSize bounds over HTTP/1.1). */
function headerBytes(raw: readonly Buffer[]): number {
  let n = 0;
  for (let i = 0; i < raw.length; i++) n += raw[i]!.length;
  return n;
}

/** Most bytes the warm-up sends (see Engine.warmUp). */
const WARM_UP_MAX_BYTES = 4 * 1024 * 1024;
/** Most connections opened before the start, per target origin. */
const MAX_PRECONNECT = 500;
/**
 * Sparse arrivals (more than twice this far apart) are started on time to a
 * tenth of a millisecond rather than on Node's millisecond timer, which fires
 * up to a millisecond late (0.4–0.6 ms on average here): the tick timer is
 * set this much early and the rest is slept precisely (see tick).
 */
const PRECISE_LEAD_MS = 1.5;
/** Longest such sleep: the lead plus the millisecond a timer may fire early by (its start is taken from the loop's cached clock). */
const MAX_PRECISE_SLEEP_MS = PRECISE_LEAD_MS + 1;
/**
 * Arrivals closer together than this (more than 2,000/s per worker thread)
 * are not slept for one by one after a response: each sleep is one more
 * thread wake-up per request, which on a VM costs tens of µs of CPU (at
 * 5,000/s it more than doubled the CPU per request). There the tick and
 * PIGGYBACK_MS batch them, and start lag stays within ~1 ms.
 */
const PRECISE_MIN_GAP_MS = 0.5;
/** A thread-blocking sleep with sub-millisecond resolution (a futex wait); used only with nothing in flight. */
const SLEEP_CELL = new Int32Array(new SharedArrayBuffer(4));

/** Classifies a transport error; `hadResponse` = headers had arrived; `tls`: the probe's `tlsVersion` / `tlsCipherSuites`, for a failed handshake's hint. */
export function classifyError(err: Error, hadResponse: boolean, tls?: TlsOptionsSpec): { outcome: Outcome; message: string } {
  if (err === TIMEOUT) return { outcome: 'timeout', message: hadResponse ? 'timed out reading the body' : 'timed out waiting for the response' };
  if (err === CONNECT_TIMEOUT) return { outcome: 'connect_error', message: `${err.message} (no connection was opened or free within the request timeout)` };
  if (err === TOO_LARGE) return { outcome: 'assertion_failed', message: err.message };
  if (err === HEADERS_TOO_LARGE) return { outcome: 'http_error', message: err.message };
  const code = (err as { code?: string }).code ?? '';
  const causeCode = (err as { cause?: { code?: string } }).cause?.code ?? '';
  // The generator's own limit, not the target's: say so (the run also warns up front, see fdLimitWarning).
  if (FD_LIMIT_CODES.has(code) || FD_LIMIT_CODES.has(causeCode)) {
    return {
      outcome: 'connect_error',
      message: `${code || causeCode}: the load generator may not open another socket: its open-file limit (ulimit -n) is below the connections the VUs need; raise the limit or lower the VUs`,
    };
  }
  // The response came but its headers were beyond the limit: unread, so no status; failed, as a k6 error is.
  if (code === 'UND_ERR_HEADERS_OVERFLOW') return { outcome: 'http_error', message: 'response headers larger than maxResponseBytes' };
  if (TIMEOUT_CODES.has(code)) return { outcome: 'timeout', message: err.message };
  // localIPs: the socket could not take its local address.
  if (!hadResponse && (err as { syscall?: string }).syscall === 'bind') {
    const address = (err as { address?: string }).address ?? '';
    const why =
      code === 'EADDRNOTAVAIL'
        ? `${address} is not an address of this machine (localIPs binds to addresses the OS already has)`
        : code === 'EINVAL'
          ? `${address} cannot reach the target's address family (an IPv4 local address for an IPv6 target, or the reverse)`
          : `could not bind ${address}`;
    return { outcome: 'connect_error', message: `${code}: localIPs: ${why}` };
  }
  if (!hadResponse && (CONNECT_CODES.has(code) || CONNECT_CODES.has(causeCode))) return { outcome: 'connect_error', message: `${code || causeCode}: ${err.message}` };
  // The TLS handshake is part of setting up the connection: no request reached the target.
  if (!hadResponse && TLS_CODE.test(code)) {
    // OpenSSL's messages carry its internals ("C0..:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:file:line:"): keep the reason.
    const reason = /SSL routines:[^:]*:([^:]+):/.exec(err.message)?.[1] ?? err.message.split('\n')[0];
    const hint =
      code === 'ERR_SSL_WRONG_VERSION_NUMBER'
        ? ' (the target did not answer in TLS: is it plain http://?)'
        : CLIENT_CERT_ALERT.test(code)
          ? ' (the server refused the client certificate or wanted one: see tlsAuth)'
          : code.endsWith('_ALERT_HANDSHAKE_FAILURE')
            ? ' (the server ended the handshake; if it requires a client certificate, see tlsAuth)'
            : CERT_CODE.test(code)
              ? ' (tlsCACerts trusts an internal CA; insecureSkipTLSVerify: true accepts any certificate, for a staging target)'
              : '';
    return { outcome: 'connect_error', message: `TLS: ${code}: ${reason}${tlsOptionsHint(code, tls) ?? hint}` };
  }
  // Node's HTTP/2 resets a stream whose response has more than 128 header fields or 64 KiB of headers with
  // ENHANCE_YOUR_CALM, and fails nghttp2's header callback, on which nghttp2 resets it with INTERNAL_ERROR: the
  // stream closes with the first code, or with the second when a write of the session was in flight (Node then
  // queues its own reset), as under load. Either may also be the server's own reset.
  const hint =
    code === 'ERR_HTTP2_STREAM_ERROR' && (err.message.endsWith('NGHTTP2_ENHANCE_YOUR_CALM') || err.message.endsWith('NGHTTP2_INTERNAL_ERROR'))
      ? ' (the server reset the stream, or its response headers were beyond what Node’s HTTP/2 reads: 128 fields, 64 KiB)'
      : '';
  return { outcome: 'reset', message: code ? `${code}: ${err.message}${hint}` : err.message };
}

class Vu {
  ex: Exchange;
  /** Closed model: the VU keeps iterating while active. */
  active = false;
  running = false;
  /** Closed model, ramping down: stop after the current iteration; interrupt it at `retireAt`. */
  retireAt = Infinity;
  readonly ctx: TemplateContext;
  /** Closed model: starts this VU's next iteration (one function per VU, not a closure per request). */
  next: () => void = () => {};
  /** The timer of its think time (sleep, minIterationDuration), while it pauses after its request. */
  pause: NodeJS.Timeout | undefined = undefined;
  /** Its iteration's duration (µs) while it sleeps: recorded when the sleep ends, as k6 records an iteration; -1 when nothing is pending (padding, or no pause). */
  sleepingIterationUs = -1;

  constructor(
    readonly engine: Engine,
    readonly local: number,
    globalId: number,
  ) {
    this.ex = new Exchange(engine, this);
    this.ctx = { vu: globalId, iter: 0, seq: 0 };
  }
}

/** One request in flight, reused by its VU for the next one. */
class Exchange implements PooledHandler {
  active = false;
  /** Counts the requests this Exchange has carried (see Engine.abortExchange). */
  requestNo = 0;
  conn: Conn | null = null;
  pool: ConnectionPool | null = null;
  req!: CompiledRequest;
  scheduled = 0;
  /** When the chain's first request was sent. */
  firstSent = 0;
  /** When this hop was sent. */
  sent = 0;
  /** This hop's origin and options (a redirect is resolved against them). */
  origin = '';
  options: Dispatcher.DispatchOptions | null = null;
  /** The chain's earlier hops: redirects followed (against `req.maxRedirects`) and bytes, added to the stats when the chain ends (an interrupted one adds nothing). */
  chainRedirects = 0;
  /** Hops of the chain sent again after a kept-alive connection failed (see Engine.retryHop). */
  chainRetries = 0;
  /** Hops of the chain sent again to answer a 401's Digest challenge (auth: digest). */
  chainChallenges = 0;
  /** auth: digest: the chain's challenge and the nonce count last sent with it (later hops to the origin answer it at once); null before a challenge. */
  digest: { challenge: DigestChallenge; nc: number } | null = null;
  /**
   * This hop's Digest Authorization: 0 none; 1 sent ahead, from the chain's
   * challenge (a 401 to it is a new challenge); 2 answering the hop's own
   * challenge (a 401 to it is a refusal, unless its nonce was stale); 3 answering a
   * stale nonce (a 401 to it is a refusal).
   */
  digest401 = 0;
  chainReceived = 0;
  chainSent = 0;
  /** The chain's hops' k6 timings (ms) so far: blocked, connecting, TLS handshaking and sending (see addHopTimings). */
  chainBlocked = 0;
  chainConnecting = 0;
  chainTls = 0;
  chainSending = 0;
  /** The chain's cookies, from its first followed redirect with a `Set-Cookie` (k6's jar, reset every iteration); null before. */
  cookies: ChainCookies | null = null;
  /** This hop: when undici took a connection for it and is about to write it (k6's GotConn), and when it had written it; 0 = not yet. */
  gotConn = 0;
  wrote = 0;
  /** This hop was written on a socket it did not open (kept alive from an earlier request, or opened before the run). */
  reusedConn = false;
  /** This hop's connection set-up (ms), when it was the first request on a new socket; else 0. */
  connectMs = 0;
  tlsMs = 0;
  /** This hop went out over HTTP/2 (its connection negotiated h2). */
  h2 = false;
  /** This hop failed over HTTP/2 without the server having processed it (RST_STREAM REFUSED_STREAM, or beyond a GOAWAY's last stream): it may be sent again whatever its method. */
  unprocessed = false;
  /** Times this hop was sent again (Go's HTTP/2 client retries within each hop's RoundTrip). */
  hopRetries = 0;
  /** This hop's `authorization` came from its Location's user-info (redirect.ts): not carried on. */
  userInfoAuth = false;
  /** The hop whose body was waiting for its socket to drain (its `sent`), and what the drain calls. */
  private drainHop = -1;
  private readonly drained = (): void => {
    // After the response headers the sending is over (it ended at them, see Engine.complete).
    if (this.active && this.wrote === 0 && this.headersAt === 0 && this.sent === this.drainHop) this.wrote = performance.now();
  };
  headersAt = 0;
  deadline = Infinity;
  status = 0;
  bodyBytes = 0;
  /**
   * The socket this hop was written on and its byte count then: what it has
   * read since is this hop's data_received — every byte on the wire (status
   * line, headers, interim 1xx responses, chunk framing, trailers, a partial
   * body), which undici's callbacks do not all show. TLS records are not
   * counted (the socket counts what it decrypted).
   */
  hopSocket: Socket | null = null;
  readFrom = 0;
  /** Its written byte count then: what it has written since is this hop's data_sent (undici's own headers included). */
  writeFrom = 0;
  rawHeaders: Buffer[] | null = null;
  chunks: Buffer[] | null = null;
  kept = 0;
  truncated = false;
  abortFn: ((err?: Error) => void) | null = null;
  sample: { traceId: string; spanId: string; url: string } | null = null;

  constructor(
    readonly engine: Engine,
    readonly vu: Vu,
  ) {}

  /** Starts a hop: the request itself, or the one a redirect leads to. */
  hop(origin: string, options: Dispatcher.DispatchOptions, now: number): void {
    this.origin = origin;
    this.options = options;
    this.sent = now;
    this.gotConn = 0;
    this.wrote = 0;
    this.reusedConn = false;
    this.connectMs = 0;
    this.tlsMs = 0;
    this.h2 = false;
    this.unprocessed = false;
    this.headersAt = 0;
    this.status = 0;
    this.bodyBytes = 0;
    this.hopSocket = null;
    this.rawHeaders = null;
    this.digest401 = 0;
    this.abortFn = null;
    this.hopRetries = 0;
    this.truncated = false;
    this.kept = 0;
    this.chunks = this.req.expect.needsBody || this.engine.debug === 'full' ? [] : null;
  }

  /** A new request: no earlier hops. */
  startChain(): void {
    this.requestNo++;
    this.cookies = null;
    this.chainRedirects = 0;
    this.chainRetries = 0;
    this.chainChallenges = 0;
    this.userInfoAuth = false;
    this.digest = null;
    this.chainReceived = 0;
    this.chainSent = 0;
    this.chainBlocked = 0;
    this.chainConnecting = 0;
    this.chainTls = 0;
    this.chainSending = 0;
  }

  /** Ends a hop that a redirect (or a retry) follows: its bytes and timings join the chain's. */
  foldHopIntoChain(): void {
    this.chainReceived += this.receivedBytes();
    this.chainSent += this.writtenBytes();
    this.addHopTimings();
  }

  /**
   * When this hop counts as written: undici's onRequestSent (or the drain
   * after it), else the response headers if they came first (the sending
   * ends there; k6: waiting 0); 0 = not written.
   */
  writtenAt(): number {
    return this.wrote || this.headersAt;
  }

  /** What this hop's socket has read since the hop was written on it (0 if it never was). */
  receivedBytes(): number {
    const socket = this.hopSocket;
    return socket === null ? 0 : socket.bytesRead - this.readFrom;
  }

  /** What this hop's socket has been given to write since the hop was written on it (0 if it never was). */
  writtenBytes(): number {
    const socket = this.hopSocket;
    return socket === null ? 0 : socket.bytesWritten - this.writeFrom;
  }

  /** Adds this hop's set-up and sending to the chain's, if undici wrote it (took a connection for it). */
  addHopTimings(): void {
    const gotConn = this.gotConn;
    if (gotConn === 0) return;
    this.chainBlocked += gotConn - this.sent;
    this.chainConnecting += this.connectMs;
    this.chainTls += this.tlsMs;
    const wrote = this.writtenAt();
    if (wrote > 0) this.chainSending += wrote - gotConn;
  }

  /** undici is about to write the request on a connected socket. */
  onConnect(abort: (err?: Error) => void): void {
    if (this.active) {
      this.abortFn = abort;
      this.gotConn = performance.now();
      const conn = this.conn;
      if (conn !== null) {
        this.h2 = conn.h2;
        // Connection: close is not sent over HTTP/2: the connection is retired after this request instead (Go: doNotReuse).
        if (this.h2 && this.req.closesConnection) {
          conn.connected = false;
          conn.replaceAtOnce = true;
        }
        const socket = conn.socket;
        if (socket !== null) {
          this.hopSocket = socket;
          this.readFrom = socket.bytesRead;
          this.writeFrom = socket.bytesWritten;
        }
        if (conn.takeSetUp()) {
          this.connectMs = conn.connectMs;
          this.tlsMs = conn.tlsMs;
        } else this.reusedConn = true;
      }
      return;
    }
    // The socket it waited for was opened for it: its set-up is no later request's (k6 charges a dial to its request).
    this.conn?.takeSetUp();
    // Given up (timed out or interrupted) while it waited for its connection:
    // never send it. Throwing makes undici drop the request and keep the
    // socket that just opened (abort() would destroy it, and the next
    // request would have to connect again).
    throw INTERRUPTED;
  }

  /**
   * undici has handed the whole request to the socket. A body larger than
   * the kernel takes at once is still in the socket's buffer then; it is
   * written when the buffer drains (Go, and so k6, report a request
   * written when the kernel has taken it).
   *
   * HTTP/2: undici has handed it to the session, which writes its frames
   * at the end of this event-loop turn; a body is written when its
   * stream's writes have completed ('finish'), which HTTP/2 flow control
   * may hold back for round trips (Go reports it written then too). A
   * request without a body counts as written now.
   */
  onRequestSent(): void {
    if (!this.active) return;
    const conn = this.conn;
    if (conn !== null && conn.socket?.writableNeedDrain === true) {
      this.drainHop = this.sent;
      conn.afterDrain = this.drained;
    } else if (conn !== null && conn.h2 && conn.stream !== null && conn.stream.writableLength > 0) {
      this.drainHop = this.sent;
      conn.stream.once('finish', this.drained);
    } else this.wrote = performance.now();
  }

  onHeaders(statusCode: number, headers: Buffer[]): boolean {
    if (!this.active || statusCode < 200) return true;
    // undici bounds the header block over HTTP/1.1 (maxHeaderSize), not over HTTP/2: the same limit here.
    if (this.h2 && headerBytes(headers) > this.engine.headerLimit) {
      this.abortFn?.(HEADERS_TOO_LARGE);
      return false;
    }
    this.status = statusCode;
    this.headersAt = performance.now();
    this.rawHeaders = headers;
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (!this.active) return true;
    this.bodyBytes += chunk.length;
    if (this.bodyBytes > this.engine.maxResponseBytes) {
      this.truncated = true;
      // httpDebug full shows the body up to the limit.
      const room = this.engine.maxResponseBytes - (this.bodyBytes - chunk.length);
      if (this.chunks && this.engine.debug === 'full' && room > 0) {
        this.chunks.push(chunk.subarray(0, room));
        this.kept += room;
      }
      if (this.abortFn) this.abortFn(TOO_LARGE);
      return false;
    }
    if (this.chunks) {
      this.chunks.push(chunk);
      this.kept += chunk.length;
    }
    return true;
  }

  onComplete(_trailers: string[] | null): void {
    this.releaseConn('response');
    this.engine.complete(this, undefined);
  }

  onError(err: Error): void {
    const conn = this.conn;
    // HTTP/2: refused by the server unprocessed (RFC 9113 §8.7), which Go's client sends again; and a
    // PROTOCOL_ERROR reset, which Go retries when the server sent it. Node does not say who sent a reset
    // (nghttp2 sends one itself for a malformed response), so that one is sent again only when replaying
    // it is safe whoever sent it (an idempotent method or an Idempotency-Key).
    if (conn !== null && conn.h2) {
      const rst = conn.stream?.rstCode;
      if (conn.unprocessed || rst === REFUSED_STREAM || (rst === PROTOCOL_ERROR && this.headersAt === 0 && this.options !== null && replayable(this.options))) this.unprocessed = true;
    }
    this.releaseConn(this.engine.inDispatch ? 'refused' : 'error');
    this.engine.complete(this, err);
  }

  /** undici is done with this request: its connection can take the next one (also for an abandoned exchange; when, the pool's `release` decides). */
  private releaseConn(ended: 'response' | 'error' | 'refused'): void {
    const conn = this.conn;
    if (conn) {
      this.conn = null;
      // This hop is over: a later drain of its socket is no business of this exchange's next hop or request.
      if (conn.afterDrain === this.drained) conn.afterDrain = null;
      this.pool!.release(conn, ended);
    }
  }
}

/** k6's request timings of one request, or of all of them together (see `WorkerInit.timingsByRequest`). */
class TimingRecorders {
  readonly blocked = new IntervalRecorder();
  readonly connecting = new IntervalRecorder();
  readonly tlsHandshaking = new IntervalRecorder();
  readonly sending = new IntervalRecorder();
  readonly receiving = new IntervalRecorder();

  flush(): TimingPartials {
    const out: TimingPartials = {
      blocked: this.blocked.toSparse(),
      connecting: this.connecting.toSparse(),
      tlsHandshaking: this.tlsHandshaking.toSparse(),
      sending: this.sending.toSparse(),
      receiving: this.receiving.toSparse(),
    };
    this.blocked.reset();
    this.connecting.reset();
    this.tlsHandshaking.reset();
    this.sending.reset();
    this.receiving.reset();
    return out;
  }
}

class RequestStats {
  outcomes = new Array<number>(OUTCOMES.length).fill(0);
  statuses: Record<string, number> = {};
  expected = 0;
  readonly latency = new IntervalRecorder();
  readonly waiting = new IntervalRecorder();
  readonly expectedLatency = new IntervalRecorder();
  /** Indexed by status code: recorders for the statuses thresholds filter latency by, undefined for the rest. */
  readonly byStatus: ({ latency: IntervalRecorder; waiting: IntervalRecorder } | undefined)[] = [];
  within: number[];
  headers: Record<string, Record<string, number>> = {};
  received = 0;
  sent = 0;
  redirects = 0;
  redirectLimited = 0;
  retries = 0;
  challenges = 0;
  /** Responses that came over HTTP/2 (the others, of those in `waiting`, over HTTP/1.1). */
  h2 = 0;

  constructor(
    withinCount: number,
    private readonly latencyStatuses: readonly number[],
    /** Its own, or shared by every request. */
    readonly timings: TimingRecorders,
  ) {
    this.within = new Array<number>(withinCount).fill(0);
    for (const status of latencyStatuses) this.byStatus[status] = { latency: new IntervalRecorder(), waiting: new IntervalRecorder() };
  }

  flush(): WorkerRequestPartial {
    const out: WorkerRequestPartial = {
      outcomes: this.outcomes,
      statuses: this.statuses,
      expected: this.expected,
      latency: this.latency.toSparse(),
      waiting: this.waiting.toSparse(),
      expectedLatency: this.expectedLatency.toSparse(),
      byStatus: {},
      within: this.within,
      headers: this.headers,
      received: this.received,
      sent: this.sent,
      redirects: this.redirects,
      redirectLimited: this.redirectLimited,
      retries: this.retries,
      challenges: this.challenges,
      h2: this.h2,
    };
    for (const status of this.latencyStatuses) {
      const r = this.byStatus[status]!;
      if (r.latency.totalCount === 0) continue;
      out.byStatus[status] = { latency: r.latency.toSparse(), waiting: r.waiting.toSparse() };
      r.latency.reset();
      r.waiting.reset();
    }
    this.outcomes = new Array<number>(OUTCOMES.length).fill(0);
    this.statuses = {};
    this.expected = 0;
    this.latency.reset();
    this.waiting.reset();
    this.expectedLatency.reset();
    this.within = new Array<number>(this.within.length).fill(0);
    this.headers = {};
    this.received = 0;
    this.sent = 0;
    this.redirects = 0;
    this.redirectLimited = 0;
    this.retries = 0;
    this.challenges = 0;
    this.h2 = 0;
    return out;
  }
}

type Post = (msg: { type: 'interval' | 'done'; partial: WorkerPartial } | { type: 'debug'; text: string }) => void;

/** `name: value` lines of a flat header list (undici's raw Buffers, or strings). */
function headerLines(headers: readonly (Buffer | string)[]): string {
  let out = '';
  for (let i = 0; i + 1 < headers.length; i += 2) out += `${headers[i]!.toString()}: ${headers[i + 1]!.toString('latin1')}\n`;
  return out;
}

/** A request or response body as httpDebug shows it: text, or its size when it is not (a stream, bytes beyond text). */
function bodyText(body: unknown): string {
  if (body === null || body === undefined) return '';
  const text = typeof body === 'string' ? body : Buffer.isBuffer(body) ? body.toString('utf8') : undefined;
  if (text === undefined) return '(a body that is not text)\n';
  return text === '' ? '' : `${text}\n`;
}

/**
 * One worker's share of a run. Lifecycle: `new Engine(init, post)` (compiles
 * everything), `start(startAt)`, then `stop()` at any time; posts an
 * `interval` partial at every interval boundary and a final `done`.
 */
export class Engine {
  readonly maxResponseBytes: number;
  /** k6's httpDebug: write each hop's request and response (`full`: their bodies too); undefined: off. */
  readonly debug: 'headers' | 'full' | undefined;
  /** Most bytes of response header fields read (undici's maxHeaderSize over HTTP/1.1; checked by the Exchange over HTTP/2). */
  readonly headerLimit: number;
  private readonly scenario: Scenario;
  private readonly requests: CompiledRequest[];
  private readonly pools = new Map<string, ConnectionPool>();
  private readonly poolOptions: ConstructorParameters<typeof ConnectionPool>[1];
  /** The TLS contexts of the probe's client certificates and CAs, one per certificate, shared by the pools of the origins it applies to. */
  private readonly tlsContexts: TlsContexts;
  /** The probe's `hosts`, compiled: where a pool's connections go (looked up per origin, when its pool is built). */
  private readonly hosts: HostsTable;
  /** HTTP_PROXY / HTTPS_PROXY / NO_PROXY, compiled: which proxy a pool's connections go through (per origin, when its pool is built). */
  private readonly proxies: ProxyTable | undefined;
  /** The probe's own origins; redirects may add up to MAX_REDIRECT_ORIGINS more. */
  private readonly ownOrigins: number;
  private readonly pick: () => number;
  private readonly stats: RequestStats[];
  /** k6's request timings: one set per request, or one for all (`WorkerInit.timingsByRequest`). */
  private readonly timingRecorders: TimingRecorders[];
  private readonly iterationHist = new IntervalRecorder();
  /** k6's `minIterationDuration`, ms (0: none). */
  private readonly minIterationMs: number;
  /** Some request has think time (`sleep`) or iterations have a minimum duration: a VU may pause after its response. */
  private readonly pauses: boolean;
  private readonly lagHist = new IntervalRecorder();
  private readonly open: boolean;
  private readonly thresholdsMs: number[];
  private readonly countHeaders: string[];
  private readonly vus: Vu[] = [];
  private readonly free: Vu[] = [];
  private readonly maxVus: number;
  private readonly timers = new Set<NodeJS.Timeout>();

  private iterations = 0;
  private startedIterations = 0;
  private redirectsSent = 0;
  /** VUs in their think time (sleep, minIterationDuration's padding). */
  private pausing = 0;
  /** The timer of the next gracefulRampDown end (see armRetire). */
  private retireTimer: NodeJS.Timeout | undefined;
  /** Requests sent again to answer a Digest challenge (auth: digest), since the last interval: like redirects, more requests than the iterations. */
  private challengesSent = 0;
  private dropped = 0;
  private interrupted = 0;
  private inFlight = 0;
  private peakInFlight = 0;
  /** Closed model: the most VUs active at once since the last partial. */
  private peakActive = 0;
  private errors = new Map<string, ErrorCount>();
  private samples: RequestSample[] = [];
  private seqCounter = 0;
  /** Which global iteration numbers this worker runs (arrival-rate and shared-iterations: in proportion to its VUs). */
  private readonly share: IterationShare;
  private dispatching = false;
  /** Inside `send`'s call to the pool's dispatch (a failure now is undici refusing the request). */
  get inDispatch(): boolean {
    return this.dispatching;
  }
  /** During warmUp: where a finished warm-up iteration goes instead of the VU pool. */
  private warming: ((vu: Vu) => void) | undefined;

  private t0 = 0;
  private scenarioStart = 0;
  private intervalIndex = 0;
  private started = false;
  private stopping = false;
  private finished = false;
  private cursor: ArrivalCursor | undefined;
  private nextOffset = Infinity;
  /** Open model: the spacing (ms) between the last started arrival and the next one. */
  private gapMs = Infinity;
  private tickTimer: NodeJS.Timeout | undefined;
  /** Closed model: planned VU count right now. */
  private planned = 0;
  /** shared-iterations: the counter the run's threads claim iterations from, how many there are, and whose share they are (WorkerInit.sharedIterations). */
  private claimed: Int32Array | undefined;
  private claimTotal = 0;
  private claimShare: IterationShare | undefined;
  private perVuIterations = 0;
  /** Arrival-rate executors: the VUs the run's threads have allocated, and how many they may (WorkerInit.sharedVus). */
  private vuBudget: Int32Array | undefined;
  private vuBudgetMax = 0;
  /** The run's segment (the budget's): a budget VU's number comes from its place in the budget, 1..maxVUs as k6's __VU. */
  private vuBudgetSegment: Segment = WHOLE;

  constructor(
    private readonly init: WorkerInit,
    private readonly post: Post,
  ) {
    const probe = init.probe;
    this.scenario = probe.scenario;
    this.maxResponseBytes = probe.maxResponseBytes;
    this.debug = init.httpDebug;
    this.headerLimit = Math.max(16_384, probe.maxResponseBytes);
    this.requests = compileRequests(probe);
    this.minIterationMs = probe.minIterationDuration ?? 0;
    this.pauses = this.minIterationMs > 0 || this.requests.some((r) => r.sleepMaxMs > 0);
    this.pick = weightedPicker(probe.requests.map((r) => r.weight));
    this.thresholdsMs = [...init.latencyThresholdsMs];
    this.countHeaders = init.countHeaders.map((h) => h.toLowerCase());
    this.timingRecorders = init.timingsByRequest ? this.requests.map(() => new TimingRecorders()) : [new TimingRecorders()];
    this.stats = this.requests.map((_, i) => new RequestStats(this.thresholdsMs.length, init.latencyStatuses, this.timingRecorders[init.timingsByRequest ? i : 0]!));
    this.open = isArrivalRate(this.scenario);
    this.share = scenarioIterationShare(this.scenario, init.segment);
    const seg = init.segment;
    const s = this.scenario;
    switch (s.executor) {
      case 'constant-arrival-rate':
      case 'ramping-arrival-rate':
        // A segment without a VU unit gets no arrivals (scenarioIterationShare) and holds no VU.
        this.maxVus = shareOf(s.maxVUs, seg);
        // With the run's budget a thread with arrivals may hold any VUs the other threads have not taken.
        if (init.sharedVus && this.maxVus > 0) {
          this.vuBudget = new Int32Array(init.sharedVus.counter);
          this.vuBudgetMax = init.sharedVus.max;
          this.vuBudgetSegment = init.sharedVus.segment;
          this.maxVus = this.vuBudgetMax;
        }
        break;
      case 'ramping-vus':
        this.maxVus = rampingVuSteps(s, seg).reduce((m, st) => Math.max(m, st.vus), 0);
        break;
      case 'shared-iterations': {
        // The run's threads claim from one counter, as k6's VUs do: a free VU takes what a slow one cannot.
        const shared = init.sharedIterations;
        this.claimShare = shared ? scenarioIterationShare(s, shared.segment) : this.share;
        this.claimTotal = iterationsIn(this.claimShare, s.iterations);
        this.claimed = new Int32Array(shared ? shared.counter : new SharedArrayBuffer(4));
        this.maxVus = this.claimTotal > 0 ? shareOf(s.vus, seg) : 0;
        break;
      }
      default:
        this.maxVus = shareOf(s.vus, seg);
    }
    const maxTimeout = Math.max(...this.requests.map((r) => r.timeoutMs));
    this.poolOptions = {
      connections: Math.max(1, this.maxVus),
      connectTimeout: Math.min(10_000, maxTimeout),
      rejectUnauthorized: !probe.insecureSkipTLSVerify,
      // Headers are bounded as the body is (undici's 16 KiB would cut a large CSP or cookie set as a "reset").
      maxHeaderSize: this.headerLimit,
      // https: HTTP/2 when the server offers it (ALPN), as k6; `http2: false` keeps HTTP/1.1.
      allowH2: probe.http2,
      // k6's dns option: one resolver per worker, consulted by new connections only.
      lookup: new DnsResolver(probe.dns).lookup,
      ...(probe.localIPs !== undefined ? { localAddress: localAddresses(probe.localIPs, init.worker, init.threads) } : {}),
    };
    this.tlsContexts = new TlsContexts(init.tls, tlsConnectOptions(probe));
    this.hosts = compileHosts(probe.hosts);
    this.proxies = compileProxies(init.proxy);
    for (const r of this.requests) if (!this.pools.has(r.origin)) this.pools.set(r.origin, this.newPool(r.origin));
    this.ownOrigins = this.pools.size;
    if (this.open) {
      const pre = isArrivalRate(s) && this.maxVus > 0 ? Math.max(1, Math.min(shareOf(s.maxVUs, seg), shareOf(s.preAllocatedVUs, seg))) : 0;
      const first = this.vuBudget ? Atomics.add(this.vuBudget, 0, pre) : undefined;
      for (let i = 0; i < pre; i++) this.free.push(this.newVu(first === undefined ? undefined : first + i));
    } else {
      for (let i = 0; i < this.maxVus; i++) this.newVu();
    }
  }

  /**
   * Runs a few hundred iterations through the real hot path — templates,
   * the connection pool, undici, the handler, classification and the
   * histograms — against a throwaway HTTP server inside this worker, then
   * discards what they recorded. Without it the first second of a run would
   * pay for undici loading and compiling its llhttp WebAssembly on the first
   * connection (hundreds of ms through the TypeScript loader) and for V8
   * compiling the hot path, while the schedule runs on and iterations pile
   * up. The target sees none of it. It stops early once WARM_UP_MAX_BYTES
   * are sent: a probe uploading large bodies would otherwise spend seconds
   * sending hundreds of them. Resolves with the iterations it ran.
   */
  async warmUp(iterations = 400): Promise<number> {
    const server = createServer((_req, res) => {
      res.setHeader('x-cache', 'HIT');
      res.end('{"ok":true}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const local = new ConnectionPool(`http://127.0.0.1:${port}`, { connections: 2, connectTimeout: 2_000 });
    const saved = new Map(this.pools);
    for (const origin of saved.keys()) this.pools.set(origin, local);
    const vus = [new Vu(this, -1, 0), new Vu(this, -2, 0)];
    let ran = 0;
    try {
      let left = iterations;
      let bytes = 0;
      await new Promise<void>((resolve) => {
        let running = vus.length;
        const next = (vu: Vu): void => {
          if (left-- > 0 && bytes < WARM_UP_MAX_BYTES) setImmediate(() => this.send(vu, left % 2 === 0 ? performance.now() : undefined));
          else if (--running === 0) resolve();
        };
        this.warming = (vu) => {
          ran++;
          // What the request gave its socket (the exchange still holds it: the next send resets it).
          bytes += vu.ex.writtenBytes();
          next(vu);
        };
        for (const vu of vus) next(vu);
      });
    } finally {
      this.warming = undefined;
      for (const [origin, pool] of saved) this.pools.set(origin, pool);
      await local.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      this.partial(performance.now());
      this.peakInFlight = 0;
    }
    // Open the VUs' connections to the target now, as k6 pre-allocates VUs
    // (TCP only, no request): see ConnectionPool.preconnect. Not for a
    // scenario that starts much later (idle connections may be closed).
    // Not without keep-alive (noConnectionReuse): each request opens, and measures, its own connection.
    const reuse = !this.init.probe.noConnectionReuse && !this.init.probe.noVUConnectionReuse;
    if (this.scenario.startTime <= 30_000 && this.maxVus > 0 && reuse) {
      const s = this.scenario;
      const wanted = isArrivalRate(s) ? shareOf(s.preAllocatedVUs, this.init.segment) : this.maxVus;
      const perOrigin = Math.min(MAX_PRECONNECT, Math.max(1, wanted));
      await Promise.all([...this.pools.values()].map((p) => p.preconnect(perOrigin)));
    }
    return ran;
  }

  /**
   * A pool for `origin` (the probe's own, or a redirect's), with the TLS
   * context of its client certificate if `tlsAuth` names its host (every
   * context, an https:// proxy's too, carries `tlsVersion` /
   * `tlsCipherSuites`), and the
   * address its connections go to if `hosts` maps it, else the proxy they
   * go through if the environment names one for it (a mapped origin is
   * dialled at its address, never through a proxy).
   */
  private newPool(origin: string): ConnectionPool {
    const secureContext = this.tlsContexts.forOrigin(origin);
    const connectTo = mappedAddress(this.hosts, origin);
    const proxy = connectTo ? undefined : proxyFor(this.proxies, origin);
    const proxySecureContext = proxy?.tls ? this.tlsContexts.forOrigin(proxy.url) : undefined;
    return new ConnectionPool(origin, {
      ...this.poolOptions,
      ...(secureContext ? { secureContext } : {}),
      ...(connectTo ? { connectTo } : {}),
      ...(proxy ? { proxy } : {}),
      ...(proxySecureContext ? { proxySecureContext } : {}),
    });
  }

  /** `ordinal`: its place in the run's VU budget (arrival-rate executors on a budget); else numbered by this thread's segment. */
  private newVu(ordinal?: number): Vu {
    const local = this.vus.length;
    const seg = ordinal === undefined ? this.init.segment : this.vuBudgetSegment;
    const vu = new Vu(this, local, (ordinal ?? local) * seg.count + seg.index + 1);
    vu.next = () => this.iterate(vu);
    this.vus.push(vu);
    return vu;
  }

  private setTimer(fn: () => void, delay: number): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, Math.max(0, delay));
    this.timers.add(t);
    return t;
  }

  private clearTimer(t: NodeJS.Timeout | undefined): void {
    if (t) {
      clearTimeout(t);
      this.timers.delete(t);
    }
  }

  /** Starts at `startAt` (epoch ms, `performance.timeOrigin` based). */
  start(startAt: number): void {
    if (this.started) return;
    this.started = true;
    this.t0 = startAt - performance.timeOrigin;
    this.scenarioStart = this.t0 + this.scenario.startTime;
    const now = performance.now();
    this.setTimer(() => this.flushInterval(), this.t0 + this.init.intervalMs - now);
    const minTimeout = Math.min(...this.requests.map((r) => r.timeoutMs));
    const sweepMs = Math.min(100, Math.max(5, minTimeout / 10));
    const sweep = setInterval(() => this.sweep(), sweepMs);
    this.timers.add(sweep);
    if (this.stopping) {
      this.finish();
      return;
    }
    this.setTimer(() => this.begin(), this.scenarioStart - now);
  }

  private begin(): void {
    if (this.stopping) return;
    const s = this.scenario;
    const regularEnd = this.scenarioStart + regularDurationMs(s);
    switch (s.executor) {
      case 'constant-arrival-rate':
      case 'ramping-arrival-rate':
        this.cursor = arrivalCursor(s, this.init.segment);
        this.nextOffset = this.cursor.next();
        this.tick();
        break;
      case 'constant-vus':
        this.setPlanned(this.maxVus);
        break;
      case 'ramping-vus': {
        const steps = rampingVuSteps(s, this.init.segment);
        for (const step of steps) {
          if (step.at <= 0) this.setPlanned(step.vus);
          else this.setTimer(() => this.setPlanned(step.vus), this.scenarioStart + step.at - performance.now());
        }
        break;
      }
      case 'shared-iterations':
        this.setPlanned(this.maxVus);
        break;
      case 'per-vu-iterations':
        this.perVuIterations = s.iterations;
        this.setPlanned(this.maxVus);
        break;
    }
    // A segment or thread whose share of the iterations is empty has nothing to wait for.
    if (s.executor === 'shared-iterations' || s.executor === 'per-vu-iterations') this.maybeAllDone();
    if (this.stopping) return;
    this.setTimer(() => this.endRegular(), regularEnd - performance.now());
  }

  /**
   * Open model: start everything that is due, then sleep until the next one.
   *
   * Node's timers count whole milliseconds from a cached clock, so a timer
   * fires up to ~1 ms after its time — at 50 req/s that lateness would be
   * most of a fast endpoint's measured latency (it is measured from the
   * scheduled start). When the next arrival is more than twice
   * PRECISE_LEAD_MS away, the timer is set PRECISE_LEAD_MS early and, when
   * it fires (at most MAX_PRECISE_SLEEP_MS early) with nothing in flight
   * (so no response waits on the blocked event loop), the remainder is
   * slept with Atomics.wait, which wakes within ~0.1 ms here. With requests
   * in flight, or at rates where arrivals are closer than that, the
   * millisecond timer and the per-response check in `complete` keep time.
   */
  private tick(): void {
    this.tickTimer = undefined;
    if (this.stopping || !this.cursor) return;
    const due = this.scenarioStart + this.nextOffset;
    const early = due - performance.now();
    if (early > 0 && early <= MAX_PRECISE_SLEEP_MS && this.inFlight === 0) Atomics.wait(SLEEP_CELL, 0, 0, early);
    this.runDue();
    if (this.stopping || this.nextOffset === Infinity) return; // the regular-end timer takes over
    const delay = this.scenarioStart + this.nextOffset - performance.now();
    this.tickTimer = this.setTimer(() => this.tick(), delay > 2 * PRECISE_LEAD_MS ? delay - PRECISE_LEAD_MS : delay);
  }

  /**
   * Starts every iteration whose scheduled time has come. Called by the
   * tick timer and also after every response: Node's timers have 1 ms
   * granularity, but at high rates responses arrive every fraction of a
   * millisecond, so checking the schedule there starts iterations closer
   * to their time at the cost of one comparison per response.
   */
  private runDue(): void {
    const cursor = this.cursor!;
    const base = this.scenarioStart;
    let now = performance.now();
    while (base + this.nextOffset <= now) {
      const seq = cursor.index;
      const at = this.nextOffset;
      this.startArrival(base + at, seq);
      this.nextOffset = cursor.next();
      this.gapMs = this.nextOffset - at;
      if (this.stopping) return;
      now = performance.now();
    }
  }

  private startArrival(scheduled: number, seq: number): void {
    let vu = this.free.pop();
    if (!vu) {
      vu = this.allocateVu();
      if (!vu) {
        this.dropped++;
        return;
      }
    }
    vu.ctx.seq = seq;
    this.send(vu, scheduled);
  }

  /** Open model, no VU free: another, if one may be allocated (from the run's budget shared by its threads, if it has one). */
  private allocateVu(): Vu | undefined {
    const budget = this.vuBudget;
    if (budget === undefined) return this.vus.length < this.maxVus ? this.newVu() : undefined;
    // The counter's value before the add is the VU's place in the budget: unique across the threads, below the max.
    const ordinal = Atomics.add(budget, 0, 1);
    if (ordinal < this.vuBudgetMax) return this.newVu(ordinal);
    Atomics.sub(budget, 0, 1);
    return undefined;
  }

  /** Closed model: changes the number of VUs that iterate. */
  private setPlanned(n: number): void {
    if (this.stopping) return;
    const target = Math.min(n, this.vus.length);
    const now = performance.now();
    const rampDown = this.scenario.executor === 'ramping-vus' ? this.scenario.gracefulRampDown : 0;
    let retiring = false;
    for (let i = 0; i < this.vus.length; i++) {
      const vu = this.vus[i]!;
      if (i < target) {
        vu.retireAt = Infinity;
        if (!vu.active) {
          vu.active = true;
          if (!vu.running) this.iterate(vu);
        }
      } else if (vu.active) {
        vu.active = false;
        if (vu.pause !== undefined && (rampDown === 0 || vu.sleepingIterationUs < 0)) {
          // Ramped down in its think time: with no grace the iteration is interrupted now; padding (its iteration over) just ends.
          this.interruptPause(vu);
        } else if (vu.running) {
          // Its iteration (its request, then its sleep) may finish within gracefulRampDown.
          vu.retireAt = now + rampDown;
          retiring = true;
        }
      }
    }
    // Interrupted at retireAt on the dot (k6's hard stop), not at the next timeout sweep: a request ending in between would count.
    if (retiring) {
      if (rampDown === 0) this.retireDue();
      else this.armRetire(now);
    }
    this.planned = target;
    this.peakActive = Math.max(this.peakActive, this.activeVus());
  }

  /** Closed model: VUs active or still finishing an iteration. */
  private activeVus(): number {
    let n = 0;
    for (const v of this.vus) if (v.active || v.running) n++;
    return n;
  }

  /** Closed model: the VU's next iteration, if it should have one. */
  private iterate(vu: Vu): void {
    if (!vu.active || this.stopping) {
      vu.running = false;
      return;
    }
    let seq: number;
    if (this.claimed !== undefined) {
      const n = Atomics.add(this.claimed, 0, 1);
      if (n >= this.claimTotal) {
        vu.active = false;
        vu.running = false;
        this.maybeAllDone();
        return;
      }
      seq = nthIteration(this.claimShare!, n);
    } else if (this.scenario.executor === 'per-vu-iterations' && vu.ctx.iter >= this.perVuIterations) {
      vu.active = false;
      vu.running = false;
      this.maybeAllDone();
      return;
    } else {
      // The share is the plain stripe (k ≡ index mod count) for the executors whose iterations do not follow VUs.
      seq = nthIteration(this.share, this.seqCounter++);
    }
    vu.running = true;
    vu.ctx.seq = seq;
    this.send(vu, undefined);
  }

  private maybeAllDone(): void {
    if (this.inFlight === 0 && this.vus.every((v) => !v.running)) this.finish();
  }

  private send(vu: Vu, scheduled: number | undefined): void {
    const req = this.requests[this.pick()]!;
    const ex = vu.ex;
    let sampled = false;
    let traceHeader: [string, string] | undefined;
    if (this.init.traceSampleRatio > 0 && this.samples.length < this.init.maxSamples && Math.random() < this.init.traceSampleRatio) {
      sampled = true;
      const ids = randomBytes(24).toString('hex');
      const traceId = ids.slice(0, 32);
      const spanId = ids.slice(32, 48);
      traceHeader = ['traceparent', `00-${traceId}-${spanId}-01`];
      ex.sample = { traceId, spanId, url: '' };
    } else ex.sample = null;
    const built = buildRequest(req, vu.ctx, traceHeader);
    if (sampled && ex.sample) ex.sample.url = req.origin + built.path;
    const now = performance.now();
    ex.active = true;
    ex.req = req;
    ex.firstSent = now;
    ex.startChain();
    ex.scheduled = scheduled ?? now;
    ex.deadline = now + req.timeoutMs;
    ex.hop(req.origin, built.options, now);
    if (scheduled !== undefined) this.lagHist.record((now - scheduled) * 1000);
    // Busy: a request in flight; in the open model also a VU in its think time, which cannot take an arrival.
    const busy = ++this.inFlight + (this.open ? this.pausing : 0);
    if (busy > this.peakInFlight) this.peakInFlight = busy;
    vu.ctx.iter++;
    this.startedIterations++;
    this.dispatch(ex, this.pools.get(req.origin)!);
  }

  private dispatch(ex: Exchange, pool: ConnectionPool): void {
    if (this.debug !== undefined && !this.warming) this.debugRequest(ex);
    const outer = this.dispatching;
    this.dispatching = true;
    try {
      ex.pool = pool;
      pool.dispatch(ex.options!, ex);
    } finally {
      this.dispatching = outer;
    }
  }

  /**
   * A request written on a kept-alive connection (or one opened before the
   * run) that failed before any byte of a response came back: the server
   * had closed the connection, idle, as the request went out (RFC 9112
   * §9.3.1.1). Go's client, and so k6, sends a replayable request again
   * (`Transport.shouldRetryRequest`), on the next connection, for as long
   * as the one it failed on was reused; so does this, within the request's
   * timeout. A middlebox may have dropped every idle connection: each retry
   * retires one, so a request is sent again at most once per connection of
   * the pool before it goes out on one it opened. The latency still runs
   * from the first send. Returns whether it was sent again.
   */
  private retryHop(ex: Exchange, err: Error): boolean {
    if (ex.unprocessed) return this.resend(ex);
    if (!ex.reusedConn || ex.chainRetries > this.poolOptions.connections || this.stopping || this.dispatching) return false;
    if (!SOCKET_GONE_CODES.has((err as { code?: string }).code ?? '') || ex.receivedBytes() !== 0) return false;
    if (!replayable(ex.options!)) return false;
    return this.resend(ex);
  }

  /**
   * Sends the hop again (see retryHop), within the request's timeout.
   * HTTP/2 requests the server refused unprocessed come here whatever their
   * method and connection (Go's client retries errClientConnGotGoAway and
   * REFUSED_STREAM: nothing of them was acted on); they are sent again once
   * (Go's first retry is at once, later ones back off 1 s, 2 s, … up to 6).
   */
  private resend(ex: Exchange): boolean {
    if (this.stopping || this.dispatching || (ex.unprocessed && ex.hopRetries > 0)) return false;
    const options = ex.options!;
    const pool = this.pools.get(ex.origin);
    if (!pool || performance.now() >= ex.deadline) return false;
    ex.foldHopIntoChain();
    ex.chainRetries++;
    // The same hop again: its Authorization (and what a 401 to it means) goes with it.
    const digest401 = ex.digest401;
    const hopRetries = ex.hopRetries + 1;
    ex.hop(ex.origin, options, performance.now());
    ex.digest401 = digest401;
    ex.hopRetries = hopRetries;
    this.dispatch(ex, pool);
    return true;
  }

  /**
   * A redirect arrived and the request may follow it: count this hop's
   * bytes and send the next one on the same exchange (its latency, timeout
   * and sample go on). Returns what is wrong with the Location instead, if
   * anything: the chain ends with this response.
   */
  private followRedirect(ex: Exchange, location: string): string | undefined {
    const hop = redirectHop(ex.origin, ex.options!, ex.req.chain, ex.status, location, ex.userInfoAuth);
    if (typeof hop === 'string') return hop;
    let pool = this.pools.get(hop.origin);
    if (!pool) {
      if (this.pools.size >= this.ownOrigins + MAX_REDIRECT_ORIGINS) return `HTTP ${ex.status} redirects to ${hop.origin}, more origins than a run follows redirects to (${MAX_REDIRECT_ORIGINS})`;
      pool = this.newPool(hop.origin);
      this.pools.set(hop.origin, pool);
    }
    // Only a followed redirect's Set-Cookie is read: with one request per iteration, k6's jar dies with the chain.
    const setCookie = setCookieValues(ex.rawHeaders);
    if (setCookie !== null || ex.cookies !== null) this.carryCookies(ex, hop, setCookie);
    ex.foldHopIntoChain();
    ex.chainRedirects++;
    this.redirectsSent++;
    // auth: digest: the Authorization was this hop's own (k6 adds it below the redirects, which carry the
    // request's headers); a hop back to the credentials' origin answers the chain's challenge at once.
    const digest = ex.req.digest !== undefined && ex.digest !== null && hop.origin === ex.req.origin;
    if (ex.digest401 > 0) hop.options.headers = withoutAuthorization(hop.options.headers as string[]);
    if (digest) hop.options.headers = this.digestHeaders(ex, hop.options);
    ex.hop(hop.origin, hop.options, performance.now());
    ex.userInfoAuth = hop.userInfoAuth;
    ex.digest401 = digest ? 1 : 0;
    this.dispatch(ex, pool);
    return undefined;
  }

  /**
   * auth: digest, a 401 from the credentials' origin: sends the hop again
   * with the Authorization its Digest challenge asks for (k6 sends the
   * request twice the same way; the chain is one request here, its latency
   * to the final response). Returns why the 401 stands instead: no usable
   * challenge, or credentials refused (a 401 to an answer whose nonce was
   * not stale).
   */
  private answerChallenge(ex: Exchange): string | undefined {
    // Several WWW-Authenticate headers are one comma-separated list (RFC 9110 §5.3).
    const www = rawHeader(ex.rawHeaders, 'www-authenticate');
    const found = digestChallenge(www === undefined ? [] : [www]);
    if (typeof found === 'string') return `HTTP 401 (auth: digest, but ${found})`;
    // As k6's digest client: an answer sent ahead that meets a 401 answers the hop's own challenge once.
    if (ex.digest401 >= 3 || (ex.digest401 === 2 && !found.stale)) return 'HTTP 401 (the server refused the digest credentials)';
    const next = ex.digest401 === 2 ? 3 : 2;
    ex.digest = { challenge: found, nc: 0 };
    const options = { ...ex.options! };
    options.headers = this.digestHeaders(ex, options);
    ex.foldHopIntoChain();
    ex.chainChallenges++;
    this.challengesSent++;
    ex.hop(ex.origin, options, performance.now());
    ex.digest401 = next;
    this.dispatch(ex, this.pools.get(ex.origin)!);
    return undefined;
  }

  /** The hop's headers with the Authorization answering the chain's Digest challenge (its next nonce count). */
  private digestHeaders(ex: Exchange, options: Dispatcher.DispatchOptions): string[] {
    const d = ex.digest!;
    const creds = ex.req.digest!;
    const authorization = digestAuthorization(d.challenge, {
      username: creds.username,
      password: creds.password,
      method: options.method,
      uri: options.path,
      body: options.body as string | Uint8Array | null | undefined,
      nc: ++d.nc,
    });
    const headers = withoutAuthorization((options.headers ?? []) as string[]);
    headers.push('authorization', authorization);
    return headers;
  }

  /**
   * Stores what this redirect set (k6: `Set-Cookie` of a redirect goes into
   * the VU's jar) and gives the next hop its `Cookie`: the request's own,
   * as Go's client carries it on, then the jar's for the hop's URL.
   */
  private carryCookies(ex: Exchange, hop: RedirectHop, setCookie: string[] | null): void {
    const now = Date.now();
    const options = ex.options!;
    if (setCookie !== null) {
      ex.cookies ??= new ChainCookies((options.headers ?? []) as string[]);
      ex.cookies.received(new URL(ex.origin + options.path), setCookie, now);
    }
    hop.options.headers = ex.cookies!.headers(hop.url, (hop.options.headers ?? []) as string[], now);
  }

  /**
   * Called once per hop: undici's onComplete (`err` undefined: a whole
   * response arrived), its onError, or a timeout the sweep forced. A
   * redirect the request follows sends the next hop on the same exchange;
   * anything else ends the chain and records it.
   */
  complete(ex: Exchange, err: Error | undefined): void {
    if (!ex.active) return;
    const now = performance.now();
    // Past its deadline it is a timeout whatever came (k6's timeout is a context deadline), though the
    // sweep, every min(100 ms, timeout / 10), has not forced it yet; headers after the deadline are none.
    if (now >= ex.deadline && err !== INTERRUPTED && err !== TIMEOUT && err !== CONNECT_TIMEOUT) {
      if (ex.headersAt >= ex.deadline) ex.headersAt = 0;
      err = ex.abortFn ? TIMEOUT : CONNECT_TIMEOUT;
    }
    if (err !== undefined && ex.headersAt === 0 && this.retryHop(ex, err)) return;
    if (this.debug !== undefined && !this.warming && ex.headersAt > 0) this.debugResponse(ex);
    let redirectProblem: string | undefined;
    let unfollowed = false;
    if (err === undefined && ex.status === 401 && ex.req.digest !== undefined && ex.origin === ex.req.origin && ex.headersAt > 0) {
      redirectProblem = this.answerChallenge(ex);
      if (redirectProblem === undefined) return;
    } else if (err === undefined && REDIRECT_CODE[ex.status] === 1 && ex.headersAt > 0) {
      const location = rawHeader(ex.rawHeaders, 'location', false);
      // An empty Location is none (Go returns the redirect).
      if (location) {
        if (ex.chainRedirects < ex.req.maxRedirects) {
          redirectProblem = this.followRedirect(ex, location);
          if (redirectProblem === undefined) return;
          unfollowed = true;
        } else if (ex.req.maxRedirects > 0) this.stats[ex.req.index]!.redirectLimited++;
      }
    }
    ex.active = false;
    this.inFlight--;
    const vu = ex.vu;
    const req = ex.req;
    const st = this.stats[req.index]!;
    if (err === INTERRUPTED) {
      if (this.debug !== undefined && !this.warming && ex.headersAt === 0) this.post({ type: 'debug', text: 'Response: none (interrupted: gracefulStop / gracefulRampDown)\n\n' });
      this.interrupted++;
      // In no metric but the byte counters, as in k6 (its dialer's trail of an interrupted iteration counts them).
      st.received += ex.receivedBytes() + ex.chainReceived;
      st.sent += ex.chainSent + ex.writtenBytes();
      this.release(vu);
      return;
    }
    const hadResponse = ex.headersAt > 0;
    // A whole response, or one cut at maxResponseBytes (an assertion): it has a status. One that failed
    // after its headers (a body that timed out or was reset) has none, and is no expected response (k6: status 0);
    // nor has a redirect that could not be followed (Go's client returns an error, not the 3xx).
    const responded = hadResponse && (err === undefined || err === TOO_LARGE) && !unfollowed;
    let outcome: Outcome;
    let message: string | undefined;
    const accepted = responded && req.expect.acceptedStatus[ex.status] === 1;
    // Failed inside dispatch() itself: undici refused the request (e.g. a header value it rejects), nothing was sent.
    if (err !== undefined && this.dispatching && !hadResponse) {
      outcome = 'connect_error';
      message = `not sent: ${err.message}`;
    } else if (err && !(err === TOO_LARGE && hadResponse && !accepted)) {
      ({ outcome, message } = classifyError(err, hadResponse, this.init.probe));
      if (err === TIMEOUT && !hadResponse && ex.gotConn > 0 && ex.wrote === 0) message = 'timed out sending the request: the target did not take all of its body';
      if (err === TOO_LARGE) message = `response body larger than maxResponseBytes (${this.maxResponseBytes} bytes)`;
      else if (err === HEADERS_TOO_LARGE || (err as { code?: string }).code === 'UND_ERR_HEADERS_OVERFLOW') message = `${message} (${this.maxResponseBytes} bytes)`;
    } else if (redirectProblem !== undefined) {
      outcome = 'http_error';
      message = redirectProblem;
    } else if (!accepted) {
      // An unexpected status is an http_error whatever its body (a large error page is still a failed request).
      outcome = 'http_error';
      message = `HTTP ${ex.status}`;
    } else {
      message = req.expect.headers.length > 0 ? checkHeaders(req.expect, ex.rawHeaders) : undefined;
      if (message === undefined && ex.chunks && req.expect.needsBody) message = checkJson(req.expect, Buffer.concat(ex.chunks, ex.kept), ex.truncated, rawHeader(ex.rawHeaders, 'content-encoding'), this.maxResponseBytes);
      outcome = message === undefined ? 'ok' : 'assertion_failed';
    }
    if (this.debug !== undefined && !this.warming && !hadResponse) this.post({ type: 'debug', text: `Response: none (${outcome}${message !== undefined ? `: ${message}` : ''})\n\n` });
    st.outcomes[O[outcome]]!++;
    if (responded) st.statuses[ex.status] = (st.statuses[ex.status] ?? 0) + 1;
    const latencyMs = now - ex.scheduled;
    const latencyUs = latencyMs * 1000;
    st.latency.record(latencyUs);
    // k6's timings: a request undici wrote (this hop or an earlier one of its chain) has its
    // set-up and sending, a response its waiting and receiving.
    if (ex.gotConn > 0 || ex.chainRedirects > 0 || ex.chainRetries > 0) {
      ex.addHopTimings();
      const timings = st.timings;
      timings.blocked.record(ex.chainBlocked * 1000);
      timings.connecting.record(ex.chainConnecting * 1000);
      timings.tlsHandshaking.record(ex.chainTls * 1000);
      timings.sending.record(ex.chainSending * 1000);
    }
    if (hadResponse) {
      const waitingUs = (ex.headersAt - ex.writtenAt()) * 1000;
      st.waiting.record(waitingUs);
      if (ex.h2) st.h2++;
      st.timings.receiving.record((now - ex.headersAt) * 1000);
      const byStatus = responded ? st.byStatus[ex.status] : undefined;
      if (byStatus) {
        byStatus.latency.record(latencyUs);
        byStatus.waiting.record(waitingUs);
      }
    }
    if (accepted) {
      st.expected++;
      st.expectedLatency.record(latencyUs);
    }
    // Only a request that succeeded can be fast: a refused connection answered in 1 ms is not a good latency event.
    if (outcome === 'ok') {
      const th = this.thresholdsMs;
      for (let k = 0; k < th.length; k++) if (latencyMs <= th[k]!) st.within[k]!++;
    }
    if (hadResponse && this.countHeaders.length > 0) {
      for (const name of this.countHeaders) {
        const value = rawHeader(ex.rawHeaders, name, false) ?? '';
        const counts = (st.headers[name] ??= {});
        if (value in counts || Object.keys(counts).length < MAX_HEADER_VALUES) counts[value] = (counts[value] ?? 0) + 1;
        else counts['(other)'] = (counts['(other)'] ?? 0) + 1;
      }
    }
    st.received += ex.receivedBytes() + ex.chainReceived;
    // What the hops' sockets read and wrote while the hops were on them (nothing for a hop undici never wrote).
    st.sent += ex.chainSent + ex.writtenBytes();
    st.redirects += ex.chainRedirects;
    st.retries += ex.chainRetries;
    st.challenges += ex.chainChallenges;
    // Closed model: an iteration is its one request, sent when it started, so
    // its duration is the request's latency; partial() adds those histograms
    // once per interval instead of recording every value twice.
    // Think time is part of the iteration, as k6's sleep() is (its length drawn now); minIterationDuration's
    // padding is not: k6 pads after it has recorded iteration_duration. An iteration that sleeps ends when
    // its sleep does (k6 counts it then, or counts it interrupted when gracefulStop / gracefulRampDown cut
    // the sleep short); see pauseAfter.
    const sleepMs = this.pauses ? this.sleepFor(req) : 0;
    const pauseMs = this.pauses ? Math.max(sleepMs, this.minIterationMs - (now - ex.firstSent)) : 0;
    if (sleepMs > 0) vu.sleepingIterationUs = (now - ex.firstSent + sleepMs) * 1000;
    else {
      if (this.open || this.pauses) this.iterationHist.record((now - ex.firstSent) * 1000);
      this.iterations++;
    }
    if (message !== undefined && outcome !== 'ok') this.noteError(outcome, message);
    if (ex.sample) {
      this.samples.push({
        traceId: ex.sample.traceId,
        spanId: ex.sample.spanId,
        request: req.name,
        method: req.method,
        url: ex.sample.url,
        status: ex.status,
        outcome,
        startTime: performance.timeOrigin + ex.firstSent,
        durationMs: now - ex.firstSent,
        latencyMs,
        ...(outcome !== 'ok' && message !== undefined ? { error: message } : {}),
      });
      ex.sample = null;
    }
    ex.rawHeaders = null;
    ex.chunks = null;
    this.release(vu, err === undefined, pauseMs, sleepMs);
    // Not from inside dispatch(): the runDue or tick that is sending carries on itself (a request failing
    // there would otherwise start the next one from within its own send, recursing once per arrival).
    if (this.cursor && !this.stopping && !this.warming && !this.dispatching) this.afterResponse(now);
  }

  /**
   * Open model, after a response: start what is due. With other requests
   * in flight only arrivals due for PIGGYBACK_MS go now (the rest wait for
   * the tick, together). With nothing in flight and the next arrival at
   * most MAX_PRECISE_SLEEP_MS away, sleep precisely until it and start it:
   * at moderate rates (arrivals 0.5–3 ms apart, too close for the tick
   * timer to be set early) the millisecond timer would otherwise start it
   * up to a millisecond late, and nothing can arrive during the sleep.
   * Closer arrivals keep batching on the tick (see PRECISE_MIN_GAP_MS).
   */
  private afterResponse(now: number): void {
    const early = this.scenarioStart + this.nextOffset - now;
    if (this.inFlight === 0 && early <= MAX_PRECISE_SLEEP_MS && this.gapMs >= PRECISE_MIN_GAP_MS) {
      if (early > 0) Atomics.wait(SLEEP_CELL, 0, 0, early);
      this.runDue();
    } else if (early <= -PIGGYBACK_MS) this.runDue();
  }

  /** The think time after a request: its `sleep`, uniform in [min, max]. */
  private sleepFor(req: CompiledRequest): number {
    return req.sleepMaxMs > req.sleepMinMs ? req.sleepMinMs + Math.random() * (req.sleepMaxMs - req.sleepMinMs) : req.sleepMinMs;
  }

  /**
   * The VU's request is over; `responded`: it ended in a whole response,
   * inside undici's onComplete. It pauses `pauseMs` of think time first
   * (the VU stays busy, as a k6 VU in sleep()): its `sleepMs` sleep, which
   * is part of its iteration, then minIterationDuration's padding. A run
   * that is stopping lets the pause run on within gracefulStop, and a VU
   * ramped down within gracefulRampDown, as k6 lets an iteration finish.
   */
  private release(vu: Vu, responded = false, pauseMs = 0, sleepMs = 0): void {
    if (this.warming) {
      this.warming(vu);
      return;
    }
    if (pauseMs > 0 && !this.finished) {
      // Ending (the run, or this VU by a ramp-down): the sleep ends the iteration; no padding before the next, which never comes.
      const ending = this.stopping || (!this.open && !vu.active);
      if (!ending || (sleepMs > 0 && (this.open || this.stopping || vu.retireAt !== Infinity))) {
        this.pauseAfter(vu, ending ? sleepMs : pauseMs, sleepMs);
        return;
      }
    }
    if (vu.sleepingIterationUs >= 0) this.endSleep(vu);
    if (this.open) {
      this.free.push(vu);
    } else if (vu.active && !this.stopping) {
      // After a complete response the next iteration is dispatched right
      // away, from inside undici's onComplete, as autocannon does: undici
      // queues it behind the finished request and writes it after its own
      // one-loop-turn wait for a server that closes anyway, and since it was
      // queued before that request retired, it skips the idle-socket check
      // (a second setImmediate per request, for sockets that sat idle).
      // After an error or a forced timeout (where the caller still works on
      // this VU's exchange) it waits for the next loop turn: an error that
      // comes without I/O (a socket Node cannot open, EMFILE, fails on a
      // nextTick) would otherwise loop on microtasks and nextTicks alone,
      // starving timers and I/O — the run would never end.
      if (responded) vu.next();
      else setImmediate(vu.next);
    } else {
      vu.running = false;
      vu.retireAt = Infinity;
      if (this.scenario.executor === 'shared-iterations' || this.scenario.executor === 'per-vu-iterations') this.maybeAllDone();
    }
    if (this.stopping && this.inFlight === 0 && this.pausing === 0) this.finish();
  }

  /** Think time: the sleep (its end ends the iteration), then the padding; then the VU is released. */
  private pauseAfter(vu: Vu, pauseMs: number, sleepMs: number): void {
    this.pausing++;
    const done = (): void => {
      vu.pause = undefined;
      this.pausing--;
      this.release(vu, true);
    };
    if (sleepMs > 0 && pauseMs > sleepMs) {
      vu.pause = this.setTimer(() => {
        this.endSleep(vu);
        if (this.stopping || (!this.open && !vu.active)) done();
        else vu.pause = this.setTimer(done, pauseMs - sleepMs);
      }, sleepMs);
    } else vu.pause = this.setTimer(done, pauseMs);
  }

  /** The VU's sleep is over: its iteration ends (k6 records iteration_duration and iterations now). */
  private endSleep(vu: Vu): void {
    this.iterationHist.record(vu.sleepingIterationUs);
    this.iterations++;
    vu.sleepingIterationUs = -1;
  }

  /** gracefulStop / gracefulRampDown ran out while the VU paused: an iteration still in its sleep is interrupted (k6), its padding just ends. */
  private interruptPause(vu: Vu): void {
    this.clearTimer(vu.pause);
    vu.pause = undefined;
    this.pausing--;
    if (vu.sleepingIterationUs >= 0) {
      vu.sleepingIterationUs = -1;
      this.interrupted++;
    }
    vu.running = false;
    vu.retireAt = Infinity;
  }

  /** httpDebug: the hop's request as it goes out (the body too with `full`). */
  private debugRequest(ex: Exchange): void {
    const o = ex.options!;
    const headers = (o.headers ?? []) as string[];
    // undici sends Host from the origin unless the request sets its own (written among its headers).
    const ownHost = headers.some((h, i) => i % 2 === 0 && h.toLowerCase() === 'host');
    let text = `Request:\n${o.method} ${o.path} HTTP/1.1\n${ownHost ? '' : `Host: ${new URL(ex.origin).host}\n`}${headerLines(headers)}\n`;
    if (this.debug === 'full') text += bodyText(o.body);
    this.post({ type: 'debug', text });
  }

  /** httpDebug: the hop's response, its status and headers (and the body read, with `full`). */
  private debugResponse(ex: Exchange): void {
    let text = `Response:\n${ex.h2 ? 'HTTP/2.0' : 'HTTP/1.1'} ${ex.status} ${STATUS_CODES[ex.status] ?? ''}\n${headerLines(ex.rawHeaders ?? [])}\n`;
    if (this.debug === 'full' && ex.chunks) {
      text += bodyText(Buffer.concat(ex.chunks, ex.kept));
      if (ex.truncated) text += `(cut at maxResponseBytes, ${this.maxResponseBytes} bytes)\n`;
    }
    this.post({ type: 'debug', text: `${text}\n` });
  }

  private noteError(outcome: Outcome, message: string): void {
    countError(this.errors, MAX_ERROR_KINDS, outcome, message, 1);
  }

  /** Closed model: interrupts the iterations of ramped-down VUs whose gracefulRampDown is over. */
  private retireDue(): void {
    const now = performance.now();
    let next = Infinity;
    for (let i = 0; i < this.vus.length; i++) {
      const vu = this.vus[i]!;
      if (now < vu.retireAt) {
        next = Math.min(next, vu.retireAt);
        continue;
      }
      vu.retireAt = Infinity;
      if (vu.ex.active) this.abortExchange(vu.ex, INTERRUPTED);
      else if (vu.pause !== undefined) this.interruptPause(vu);
    }
    // Node's timer may fire a millisecond early (its start is the loop's cached clock): come back for a VU
    // not yet due. The sweep catches one with a request in flight, but nothing else would a pausing one.
    this.armRetire(now, next);
    // A stopping run waits for pauses: the last one cut here may be what it waited for.
    if (this.stopping && this.inFlight === 0 && this.pausing === 0) this.finish();
  }

  /** One timer for the next ramped-down VU's gracefulRampDown end (`next`: that time, when the caller knows it). */
  private armRetire(now: number, next = Infinity): void {
    if (next === Infinity) for (const vu of this.vus) if (vu.retireAt < next) next = vu.retireAt;
    this.clearTimer(this.retireTimer);
    this.retireTimer =
      next === Infinity
        ? undefined
        : this.setTimer(() => {
            this.retireTimer = undefined;
            this.retireDue();
          }, next - now);
  }

  /** Times out overdue requests and interrupts ramped-down VUs past gracefulRampDown. */
  private sweep(): void {
    const now = performance.now();
    for (let i = 0; i < this.vus.length; i++) {
      const vu = this.vus[i]!;
      const ex = vu.ex;
      if (!ex.active) continue;
      if (now >= vu.retireAt) {
        this.abortExchange(ex, INTERRUPTED);
        vu.retireAt = Infinity;
      } else if (now >= ex.deadline) {
        // Not yet handed to a socket (abortFn is set when undici writes it): still waiting for a connection.
        this.abortExchange(ex, ex.abortFn ? TIMEOUT : CONNECT_TIMEOUT);
      }
    }
  }

  private abortExchange(ex: Exchange, reason: EngineAbort): void {
    if (ex.abortFn) {
      // undici's abort ends the request at once (onError → complete); that
      // may free the VU and start its next arrival on this same Exchange,
      // which is then active again but no business of this abort.
      const request = ex.requestNo;
      ex.abortFn(reason);
      if (ex.requestNo !== request) return;
    }
    if (ex.active) {
      // Still waiting for a connection (in the pool's queue or on a connect):
      // record it now and give the VU a fresh handler. The abandoned one is
      // skipped by the pool, or dropped by onConnect before undici writes it.
      ex.vu.ex = new Exchange(this, ex.vu);
      this.complete(ex, reason);
    }
  }

  /** The regular duration is over: no new iterations; in-flight ones get gracefulStop. */
  private endRegular(): void {
    if (this.stopping) return;
    // Node schedules timers from the event loop's cached clock, which can be
    // a millisecond or two behind: never end before the regular end, and
    // never before the open model has started its last due iteration.
    const now = performance.now();
    const regularEnd = this.scenarioStart + regularDurationMs(this.scenario);
    if (now < regularEnd) {
      this.setTimer(() => this.endRegular(), regularEnd - now);
      return;
    }
    if (this.open && this.nextOffset !== Infinity) {
      this.clearTimer(this.tickTimer);
      this.tick();
      if (this.nextOffset !== Infinity) {
        this.setTimer(() => this.endRegular(), this.scenarioStart + this.nextOffset - performance.now() + 1);
        return;
      }
    }
    // As k6 does: the iterations maxDuration left unstarted are dropped.
    const s = this.scenario;
    if (this.claimed !== undefined) {
      // Claims what is left (once, whichever thread comes first): no thread starts another.
      for (;;) {
        const n = Atomics.load(this.claimed, 0);
        if (n >= this.claimTotal) break;
        if (Atomics.compareExchange(this.claimed, 0, n, this.claimTotal) === n) {
          this.dropped += this.claimTotal - n;
          break;
        }
      }
    } else if (s.executor === 'per-vu-iterations') {
      for (const vu of this.vus) this.dropped += Math.max(0, this.perVuIterations - vu.ctx.iter);
    }
    this.beginStop(this.scenario.gracefulStop);
  }

  private beginStop(graceMs: number): void {
    this.stopping = true;
    this.clearTimer(this.tickTimer);
    for (const vu of this.vus) {
      vu.active = false;
      // minIterationDuration's padding comes after an iteration: nothing to wait for (a sleep is part of one).
      if (vu.pause !== undefined && vu.sleepingIterationUs < 0) this.interruptPause(vu);
    }
    if (this.inFlight === 0 && this.pausing === 0) {
      this.finish();
      return;
    }
    this.setTimer(() => this.interruptAll(), graceMs);
  }

  private interruptAll(): void {
    for (const vu of this.vus) {
      if (vu.ex.active) this.abortExchange(vu.ex, INTERRUPTED);
      if (vu.pause !== undefined) this.interruptPause(vu);
    }
    this.finish();
  }

  /** Stop requested by the controller: graceful (honours gracefulStop) or hard. */
  stop(hard: boolean): void {
    if (this.finished) return;
    if (!this.started) {
      this.stopping = true;
      return;
    }
    if (hard) {
      this.stopping = true;
      this.clearTimer(this.tickTimer);
      this.interruptAll();
    } else if (!this.stopping) {
      this.beginStop(this.scenario.gracefulStop);
    }
  }

  private partial(endPerf: number): WorkerPartial {
    if (!this.open && !this.pauses) for (const st of this.stats) this.iterationHist.add(st.latency);
    const requests = this.stats.map((s) => s.flush());
    const p: WorkerPartial = {
      worker: this.init.worker,
      index: this.intervalIndex,
      end: performance.timeOrigin + endPerf,
      requests,
      timings: this.timingRecorders.map((t) => t.flush()),
      iteration: this.iterationHist.toSparse(),
      lag: this.lagHist.toSparse(),
      iterations: this.iterations,
      started: this.startedIterations,
      redirectsSent: this.redirectsSent,
      challengesSent: this.challengesSent,
      dropped: this.dropped,
      interrupted: this.interrupted,
      vus: this.open ? this.vus.length : Math.max(this.peakActive, this.activeVus()),
      vusMax: this.open ? this.vus.length : this.maxVus,
      busy: this.peakInFlight,
      inFlight: this.inFlight,
      samples: this.samples,
      errors: [...this.errors.values()],
    };
    this.iterationHist.reset();
    this.lagHist.reset();
    this.peakInFlight = this.inFlight + (this.open ? this.pausing : 0);
    if (!this.open) this.peakActive = this.activeVus();
    this.iterations = 0;
    this.startedIterations = 0;
    this.redirectsSent = 0;
    this.challengesSent = 0;
    this.dropped = 0;
    this.interrupted = 0;
    this.samples = [];
    this.errors = new Map();
    return p;
  }

  private flushInterval(): void {
    if (this.finished) return;
    const boundary = this.t0 + (this.intervalIndex + 1) * this.init.intervalMs;
    this.post({ type: 'interval', partial: this.partial(boundary) });
    this.intervalIndex++;
    this.setTimer(() => this.flushInterval(), boundary + this.init.intervalMs - performance.now());
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.stopping = true;
    for (const t of this.timers) {
      clearTimeout(t);
      clearInterval(t);
    }
    this.timers.clear();
    const now = performance.now();
    // An interval boundary may have passed without its timer having run yet.
    while (this.started && this.t0 + (this.intervalIndex + 1) * this.init.intervalMs <= now) {
      this.post({ type: 'interval', partial: this.partial(this.t0 + (this.intervalIndex + 1) * this.init.intervalMs) });
      this.intervalIndex++;
    }
    this.post({ type: 'done', partial: this.partial(now) });
  }

  /** Closes the connection pools (after `done`). */
  async close(): Promise<void> {
    await Promise.allSettled([...this.pools.values()].map((p) => p.destroy()));
  }

  /** The VUs planned right now (closed model), for tests. */
  get plannedVus(): number {
    return this.planned;
  }
}

/** A copy of flat `[name, value, …]` headers without Authorization. */
function withoutAuthorization(headers: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < headers.length; i += 2) if (headers[i]!.toLowerCase() !== 'authorization') out.push(headers[i]!, headers[i + 1]!);
  return out;
}

/**
 * k6's localIPs: the local address of each new socket of this worker.
 * Dial n of worker w of this process's `threads` is the process's dial
 * n·threads + w, and takes that address of the pool, so the process's
 * connections spread over the addresses as k6's VUs do. As in k6 (which
 * numbers by the instance's own VUs, `idLocal`), each process of a
 * `--segment` run starts at the pool's first address.
 */
function localAddresses(value: string | string[], worker: number, threads: number): () => string {
  const pool = parseLocalIps(value);
  if (typeof pool === 'string') throw new Error(`localIPs: ${pool}`); // validated with the probe
  let n = 0;
  return () => pool.at(n++ * threads + worker);
}
