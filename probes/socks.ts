/**
 * The client side of a SOCKS5 handshake (RFC 1928, with RFC 1929
 * username/password authentication) as Go's net/http (k6) speaks it to a
 * `socks5://` or `socks5h://` proxy (net/http's socks bundle of
 * golang.org/x/net/internal/socks):
 *
 * ```
 *  greeting   05 01 00                   no authentication
 *             05 02 00 02                the same, or username/password (the URL has user-info)
 *  ◀ method   05 MM                      MM: 00, 02 (then RFC 1929), FF: none acceptable
 *  auth       01 ULEN USER PLEN PASS     ◀ 01 00: accepted
 *  CONNECT    05 01 00 ATYP ADDR PORT    ATYP 03: a host name (length first), 01: IPv4, 04: IPv6
 *  ◀ reply    05 REP 00 ATYP ADDR PORT   REP 00: the tunnel is up; anything else: refused
 * ```
 *
 * A host name is sent as it is, for the proxy to resolve (Go does so for
 * socks5:// and socks5h:// alike: it never resolves the target itself); an
 * IP address as its bytes (an IPv4-mapped IPv6 address as IPv4, as Go's
 * `To4`). Answers are read as Go reads them (`io.ReadFull`): byte counts
 * known in advance, whatever the chunks they arrive in; a reply's bound
 * address (up to 262 bytes) is read and dropped, and bytes past the reply
 * are handed back (`rest`), so nothing the target sent is lost.
 *
 * Pure: bytes in, steps out (`Handshake`); connection-pool.ts runs it, or
 * an HTTP CONNECT, on the socket to the proxy.
 */
import { isIP } from 'node:net';

/** What a handshake asks of the socket next. */
export type HandshakeStep =
  /** Write these bytes, then go on (feed it what was read, or an empty buffer to read what is already buffered). */
  | { kind: 'write'; bytes: Buffer | string }
  /** Read more. */
  | { kind: 'more' }
  /** The tunnel is up; `rest`: bytes read past the proxy's answer (the target's). */
  | { kind: 'done'; rest: Buffer }
  /** A connect_error: `ERR_PROXY_REFUSED` the proxy refused the tunnel, `ERR_PROXY_SET_UP` it could not be set up. */
  | { kind: 'failed'; code: 'ERR_PROXY_REFUSED' | 'ERR_PROXY_SET_UP'; message: string };

/** A proxy set-up exchange on a socket to the proxy, step by step. */
export interface Handshake {
  /** What is awaited from the proxy, for messages ("CONNECT api.example.com:443", "the SOCKS5 greeting"). */
  readonly waitingFor: string;
  /** The first step (a write). */
  start(): HandshakeStep;
  /** Takes bytes read from the proxy (an empty buffer: only what is already buffered); the next step. */
  feed(chunk: Buffer): HandshakeStep;
}

export interface SocksCredentials {
  /** Percent-decoded, as Go's `url.User.Username()` / `Password()`. */
  username: string;
  password: string;
}

const VERSION = 0x05;
const NO_AUTHENTICATION = 0x00;
const USERNAME_PASSWORD = 0x02;
const NO_ACCEPTABLE_METHODS = 0xff;
const USERNAME_PASSWORD_VERSION = 0x01;
const CONNECT = 0x01;
const IPV4 = 0x01;
const NAME = 0x03;
const IPV6 = 0x04;
const EMPTY = Buffer.alloc(0);

/** RFC 1928 §6's replies, as messages say them. */
const REPLIES: Record<number, string> = {
  1: 'general SOCKS server failure',
  2: 'connection not allowed by ruleset',
  3: 'network unreachable',
  4: 'host unreachable',
  5: 'connection refused by destination host',
  6: 'TTL expired',
  7: 'command not supported',
  8: 'address type not supported',
};

/** What a SOCKS5 reply code means (RFC 1928 §6). */
export function socksReply(code: number): string {
  return REPLIES[code] ?? `unassigned reply code ${code}`;
}

const hex = (byte: number): string => `0x${byte.toString(16).padStart(2, '0')}`;

/** The 16 bytes of a valid IPv6 address (as `isIP` accepts it, without brackets or zone). */
function ipv6Bytes(ip: string): Buffer {
  const words = (part: string): number[] =>
    part === ''
      ? []
      : part.split(':').flatMap((group) => {
          if (!group.includes('.')) return [parseInt(group, 16)];
          const [a, b, c, d] = group.split('.').map(Number) as [number, number, number, number];
          return [(a << 8) | b, (c << 8) | d];
        });
  const gap = ip.indexOf('::');
  const head = words(gap < 0 ? ip : ip.slice(0, gap));
  const tail = gap < 0 ? [] : words(ip.slice(gap + 2));
  const all = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  const out = Buffer.alloc(16);
  all.forEach((word, i) => out.writeUInt16BE(word, i * 2));
  return out;
}

/**
 * The CONNECT request for `host` (a name, or an IP address, IPv6 with or
 * without brackets) and `port`; a string: why it cannot be sent.
 */
export function socksConnectRequest(host: string, port: number): Buffer | string {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  let address: Buffer;
  if (isIP(bare) === 4) address = Buffer.from([IPV4, ...bare.split('.').map(Number)]);
  else if (isIP(bare) === 6) {
    const bytes = ipv6Bytes(bare);
    const mapped = bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
    address = mapped ? Buffer.from([IPV4, ...bytes.subarray(12)]) : Buffer.concat([Buffer.from([IPV6]), bytes]);
  } else {
    const name = Buffer.from(bare);
    if (name.length > 255) return `the host name ${bare.slice(0, 40)}… is ${name.length} bytes long, more than SOCKS5 sends (255)`;
    address = Buffer.concat([Buffer.from([NAME, name.length]), name]);
  }
  return Buffer.concat([Buffer.from([VERSION, CONNECT, 0x00]), address, Buffer.from([port >> 8, port & 0xff])]);
}

/**
 * Why these credentials cannot be sent, or undefined: RFC 1929 takes 1 to
 * 255 bytes each; an empty password is sent all the same, as Go sends it
 * (golang/go#57285), since proxies accept it.
 */
function credentialsProblem({ username, password }: SocksCredentials): string | undefined {
  const user = Buffer.byteLength(username);
  const pass = Buffer.byteLength(password);
  if (user === 0) return 'its username is empty';
  if (user > 255) return `its username is ${user} bytes long`;
  if (pass > 255) return `its password is ${pass} bytes long`;
  return undefined;
}

/**
 * One SOCKS5 handshake to `host:port` through the proxy named `proxy` in
 * messages (its URL without user-info), offering username/password
 * authentication when `credentials` are given (Go offers it whenever the
 * URL has user-info).
 */
export class SocksHandshake implements Handshake {
  private stage: 'method' | 'auth' | 'reply' | 'done' = 'method';
  private buffered: Buffer = EMPTY;
  /** `host:port` as messages show it (IPv6 in brackets). */
  private readonly authority: string;

  constructor(
    private readonly proxy: string,
    private readonly host: string,
    private readonly port: number,
    private readonly credentials?: SocksCredentials,
  ) {
    const bare = host.replace(/^\[(.*)\]$/, '$1');
    this.authority = `${isIP(bare) === 6 ? `[${bare}]` : bare}:${port}`;
  }

  get waitingFor(): string {
    if (this.stage === 'method') return 'the SOCKS5 greeting';
    if (this.stage === 'auth') return 'the SOCKS5 username/password authentication';
    return `SOCKS5 CONNECT ${this.authority}`;
  }

  start(): HandshakeStep {
    return { kind: 'write', bytes: Buffer.from(this.credentials ? [VERSION, 2, NO_AUTHENTICATION, USERNAME_PASSWORD] : [VERSION, 1, NO_AUTHENTICATION]) };
  }

  feed(chunk: Buffer): HandshakeStep {
    if (chunk.length > 0) this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const b = this.buffered;
    switch (this.stage) {
      case 'method': {
        if (b.length < 2) return { kind: 'more' };
        if (b[0] !== VERSION) return this.notSocks(b);
        const method = b[1]!;
        this.take(2);
        if (method === NO_AUTHENTICATION) return this.connect();
        if (method === USERNAME_PASSWORD && this.credentials) {
          const problem = credentialsProblem(this.credentials);
          if (problem !== undefined) return this.fail('ERR_PROXY_SET_UP', `asks for a username and password (RFC 1929: a username of 1 to 255 bytes, a password of up to 255), and the proxy URL's user-info does not give them: ${problem}`);
          const user = Buffer.from(this.credentials.username);
          const pass = Buffer.from(this.credentials.password);
          this.stage = 'auth';
          return { kind: 'write', bytes: Buffer.concat([Buffer.from([USERNAME_PASSWORD_VERSION, user.length]), user, Buffer.from([pass.length]), pass]) };
        }
        const offered = this.credentials ? 'no authentication, username/password' : 'no authentication';
        if (method === NO_ACCEPTABLE_METHODS) {
          const hint = this.credentials ? '' : ': it may want a username and password, and the proxy URL gives none (socks5://user:password@host:port)';
          return this.fail('ERR_PROXY_SET_UP', `accepts none of the SOCKS5 authentication methods offered (${offered})${hint}`);
        }
        return this.fail('ERR_PROXY_SET_UP', `chose SOCKS5 authentication method ${hex(method)}, which was not offered (${offered})`);
      }
      case 'auth': {
        if (b.length < 2) return { kind: 'more' };
        if (b[0] !== USERNAME_PASSWORD_VERSION) return this.fail('ERR_PROXY_SET_UP', `did not answer the username/password authentication in RFC 1929 (version byte ${hex(b[0]!)})`);
        if (b[1] !== 0x00) return this.fail('ERR_PROXY_SET_UP', `refused the username and password of the proxy URL (RFC 1929 status ${hex(b[1]!)})`);
        this.take(2);
        return this.connect();
      }
      case 'reply': {
        if (b.length < 2) return { kind: 'more' };
        if (b[0] !== VERSION) return this.fail('ERR_PROXY_SET_UP', `did not answer ${this.waitingFor} in SOCKS5 (version byte ${hex(b[0]!)})`);
        if (b[1] !== 0x00) return this.fail('ERR_PROXY_REFUSED', `answered ${b[1]} to ${this.waitingFor} (${socksReply(b[1]!)})`);
        if (b.length < 4) return { kind: 'more' };
        if (b[2] !== 0x00) return this.fail('ERR_PROXY_SET_UP', `answered ${this.waitingFor} with a reserved byte of ${hex(b[2]!)}, not 0x00`);
        let length: number;
        if (b[3] === IPV4) length = 4 + 4 + 2;
        else if (b[3] === IPV6) length = 4 + 16 + 2;
        else if (b[3] === NAME) {
          if (b.length < 5) return { kind: 'more' };
          length = 4 + 1 + b[4]! + 2;
        } else return this.fail('ERR_PROXY_SET_UP', `answered ${this.waitingFor} with an unknown address type ${hex(b[3]!)}`);
        if (b.length < length) return { kind: 'more' };
        this.take(length);
        this.stage = 'done';
        const rest = this.buffered;
        this.buffered = EMPTY;
        return { kind: 'done', rest };
      }
      default:
        return { kind: 'done', rest: EMPTY };
    }
  }

  /** Drops `n` bytes that were read. */
  private take(n: number): void {
    this.buffered = this.buffered.length === n ? EMPTY : this.buffered.subarray(n);
  }

  private connect(): HandshakeStep {
    const request = socksConnectRequest(this.host, this.port);
    if (typeof request === 'string') return this.fail('ERR_PROXY_SET_UP', `cannot be asked for ${this.authority}: ${request}`);
    this.stage = 'reply';
    return { kind: 'write', bytes: request };
  }

  /** The first answer's first byte is no SOCKS version 5: say what it looks like. */
  private notSocks(b: Buffer): HandshakeStep {
    if (b.toString('latin1', 0, 2) === 'HT') return this.fail('ERR_PROXY_SET_UP', 'answered the SOCKS5 greeting in HTTP: is it an http:// proxy?');
    return this.fail('ERR_PROXY_SET_UP', `did not answer the SOCKS5 greeting in SOCKS5 (version byte ${hex(b[0]!)})`);
  }

  private fail(code: 'ERR_PROXY_REFUSED' | 'ERR_PROXY_SET_UP', why: string): HandshakeStep {
    this.stage = 'done';
    this.buffered = EMPTY;
    return { kind: 'failed', code, message: `proxy ${this.proxy} ${why}` };
  }
}
