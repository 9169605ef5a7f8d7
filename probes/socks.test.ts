/**
 * The SOCKS5 client handshake (RFC 1928, RFC 1929) alone: the bytes it
 * writes and how it reads every answer, whatever the chunks they come in.
 * On sockets, against a scripted proxy and the real microsocks:
 * socks-run.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { SocksHandshake, socksConnectRequest, socksReply } from './socks.ts';
import type { HandshakeStep } from './socks.ts';

const P = 'socks5://proxy.corp:1080';
const bytes = (...b: number[]): Buffer => Buffer.from(b);
/** A reply to CONNECT: success (or `rep`), bound to 10.0.0.1:4321. */
const reply = (rep = 0): Buffer => bytes(5, rep, 0, 1, 10, 0, 0, 1, 0x10, 0xe1);

function written(step: HandshakeStep): Buffer {
  if (step.kind !== 'write') throw new Error(`expected a write, got ${JSON.stringify(step)}`);
  return Buffer.from(step.bytes);
}

function failed(step: HandshakeStep): { code: string; message: string } {
  if (step.kind !== 'failed') throw new Error(`expected a failure, got ${JSON.stringify(step)}`);
  return { code: step.code, message: step.message };
}

/** Feeds `data` one byte at a time: 'more' for each byte but the last, whose step is returned. */
function byteByByte(hs: SocksHandshake, data: Buffer): HandshakeStep {
  for (let i = 0; i < data.length - 1; i++) expect(hs.feed(data.subarray(i, i + 1)), `byte ${i}`).toEqual({ kind: 'more' });
  return hs.feed(data.subarray(data.length - 1));
}

describe('the CONNECT request (RFC 1928 §4)', () => {
  it('sends a host name as it is, for the proxy to resolve (address type 3, its length first), the port big-endian', () => {
    expect(socksConnectRequest('api.example.com', 443)).toEqual(Buffer.concat([bytes(5, 1, 0, 3, 15), Buffer.from('api.example.com'), bytes(0x01, 0xbb)]));
    expect(socksConnectRequest('xn--bcher-kva.example', 8080)).toEqual(Buffer.concat([bytes(5, 1, 0, 3, 21), Buffer.from('xn--bcher-kva.example'), bytes(0x1f, 0x90)]));
  });

  it('sends an IP address as its bytes: IPv4 (type 1), IPv6 with or without brackets (type 4), an IPv4-mapped IPv6 address as IPv4 (Go’s To4)', () => {
    expect(socksConnectRequest('10.1.2.3', 80)).toEqual(bytes(5, 1, 0, 1, 10, 1, 2, 3, 0, 80));
    const v6 = bytes(5, 1, 0, 4, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0x01, 0xbb);
    expect(socksConnectRequest('[2001:db8::5]', 443)).toEqual(v6);
    expect(socksConnectRequest('2001:db8:0:0:0:0:0:5', 443)).toEqual(v6);
    expect(socksConnectRequest('::1', 1)).toEqual(bytes(5, 1, 0, 4, ...new Array<number>(15).fill(0), 1, 0, 1));
    expect(socksConnectRequest('[::ffff:a01:203]', 80)).toEqual(bytes(5, 1, 0, 1, 10, 1, 2, 3, 0, 80));
    expect(socksConnectRequest('::ffff:10.1.2.3', 80)).toEqual(bytes(5, 1, 0, 1, 10, 1, 2, 3, 0, 80));
  });

  it('a name longer than 255 bytes cannot be sent (Go: "FQDN too long"): the handshake fails before asking', () => {
    const long = `${'a'.repeat(63)}.`.repeat(4) + 'example';
    expect(socksConnectRequest(long, 443)).toMatch(/is 263 bytes long, more than SOCKS5 sends \(255\)/);
    const hs = new SocksHandshake(P, long, 443);
    hs.start();
    expect(failed(hs.feed(bytes(5, 0)))).toEqual({ code: 'ERR_PROXY_SET_UP', message: expect.stringMatching(/^proxy socks5:\/\/proxy\.corp:1080 cannot be asked for a{63}\..*: the host name/) as unknown });
  });
});

describe('the handshake, step by step', () => {
  it('without credentials: greeting 05 01 00, then CONNECT once the proxy picks "no authentication", then done', () => {
    const hs = new SocksHandshake(P, 'api.example.com', 443);
    expect(hs.waitingFor).toBe('the SOCKS5 greeting');
    expect(written(hs.start())).toEqual(bytes(5, 1, 0));
    expect(written(hs.feed(bytes(5, 0)))).toEqual(socksConnectRequest('api.example.com', 443));
    expect(hs.waitingFor).toBe('SOCKS5 CONNECT api.example.com:443');
    expect(hs.feed(reply())).toEqual({ kind: 'done', rest: Buffer.alloc(0) });
  });

  it('with credentials: greeting 05 02 00 02; username/password (RFC 1929, UTF-8 bytes) when the proxy picks it, then CONNECT', () => {
    const hs = new SocksHandshake(P, '10.0.0.9', 8080, { username: 'bøt', password: 'p@ss word' });
    expect(written(hs.start())).toEqual(bytes(5, 2, 0, 2));
    const auth = written(hs.feed(bytes(5, 2)));
    expect(auth).toEqual(Buffer.concat([bytes(1, 4), Buffer.from('bøt'), bytes(9), Buffer.from('p@ss word')]));
    expect(hs.waitingFor).toBe('the SOCKS5 username/password authentication');
    expect(written(hs.feed(bytes(1, 0)))).toEqual(bytes(5, 1, 0, 1, 10, 0, 0, 9, 0x1f, 0x90));
    expect(hs.feed(reply())).toMatchObject({ kind: 'done' });
  });

  it('with credentials, a proxy that picks "no authentication" gets none (Go’s Authenticate does nothing then)', () => {
    const hs = new SocksHandshake(P, 'api.example.com', 443, { username: 'bot', password: 'pw' });
    hs.start();
    expect(written(hs.feed(bytes(5, 0)))).toEqual(socksConnectRequest('api.example.com', 443));
  });

  it('reads answers split anywhere, one byte at a time, a bound host name’s length included; bytes past the reply are handed back', () => {
    const hs = new SocksHandshake(P, 'api.example.com', 443, { username: 'bot', password: 'pw' });
    hs.start();
    expect(written(byteByByte(hs, bytes(5, 2)))).toEqual(Buffer.concat([bytes(1, 3), Buffer.from('bot'), bytes(2), Buffer.from('pw')]));
    expect(written(byteByByte(hs, bytes(1, 0)))[0]).toBe(5);
    const bound = Buffer.concat([bytes(5, 0, 0, 3, 9), Buffer.from('proxy.lan'), bytes(0x04, 0x38)]);
    expect(byteByByte(hs, bound)).toEqual({ kind: 'done', rest: Buffer.alloc(0) });

    const again = new SocksHandshake(P, '::1', 443);
    again.start();
    again.feed(bytes(5, 0));
    const v6 = bytes(5, 0, 0, 4, ...new Array<number>(16).fill(0), 0, 80);
    expect(again.feed(Buffer.concat([v6, Buffer.from('\x16\x03\x03')]))).toEqual({ kind: 'done', rest: Buffer.from('\x16\x03\x03') });
  });

  it('answers that arrive together are read in turn (as io.ReadFull reads them): the next write, then an empty feed finds the reply', () => {
    const hs = new SocksHandshake(P, 'api.example.com', 443);
    hs.start();
    expect(written(hs.feed(Buffer.concat([bytes(5, 0), reply(), Buffer.from('HTTP/1.1 200')])))[0]).toBe(5);
    expect(hs.feed(Buffer.alloc(0))).toEqual({ kind: 'done', rest: Buffer.from('HTTP/1.1 200') });
  });
});

describe('answers that fail the handshake, each a connect_error naming the proxy', () => {
  const at = (stage: 'method' | 'auth' | 'reply', credentials = false): SocksHandshake => {
    const hs = new SocksHandshake(P, 'api.example.com', 443, credentials ? { username: 'bot', password: 'hunter22' } : undefined);
    hs.start();
    if (stage === 'auth') hs.feed(bytes(5, 2));
    if (stage === 'reply') hs.feed(bytes(5, 0));
    return hs;
  };

  it('a reply other than success: ERR_PROXY_REFUSED with the reply’s meaning (RFC 1928 §6)', () => {
    const meanings = ['general SOCKS server failure', 'connection not allowed by ruleset', 'network unreachable', 'host unreachable', 'connection refused by destination host', 'TTL expired', 'command not supported', 'address type not supported'];
    for (const [i, meaning] of meanings.entries()) {
      expect(socksReply(i + 1)).toBe(meaning);
      expect(failed(at('reply').feed(reply(i + 1)))).toEqual({ code: 'ERR_PROXY_REFUSED', message: `proxy ${P} answered ${i + 1} to SOCKS5 CONNECT api.example.com:443 (${meaning})` });
    }
    expect(failed(at('reply').feed(bytes(5, 0x2a))).message).toBe(`proxy ${P} answered 42 to SOCKS5 CONNECT api.example.com:443 (unassigned reply code 42)`);
  });

  it('no acceptable method: ERR_PROXY_SET_UP, saying the URL gives no credentials when it gives none', () => {
    expect(failed(at('method').feed(bytes(5, 0xff)))).toEqual({
      code: 'ERR_PROXY_SET_UP',
      message: `proxy ${P} accepts none of the SOCKS5 authentication methods offered (no authentication): it may want a username and password, and the proxy URL gives none (socks5://user:password@host:port)`,
    });
    expect(failed(at('method', true).feed(bytes(5, 0xff))).message).toBe(`proxy ${P} accepts none of the SOCKS5 authentication methods offered (no authentication, username/password)`);
  });

  it('a method that was not offered (username/password without credentials, GSSAPI): ERR_PROXY_SET_UP', () => {
    expect(failed(at('method').feed(bytes(5, 2))).message).toBe(`proxy ${P} chose SOCKS5 authentication method 0x02, which was not offered (no authentication)`);
    expect(failed(at('method', true).feed(bytes(5, 1))).message).toBe(`proxy ${P} chose SOCKS5 authentication method 0x01, which was not offered (no authentication, username/password)`);
  });

  it('username/password refused (any non-zero status): ERR_PROXY_SET_UP, never showing them', () => {
    const refused = failed(at('auth', true).feed(bytes(1, 1)));
    expect(refused).toEqual({ code: 'ERR_PROXY_SET_UP', message: `proxy ${P} refused the username and password of the proxy URL (RFC 1929 status 0x01)` });
    expect(failed(at('auth', true).feed(bytes(5, 0))).message).toBe(`proxy ${P} did not answer the username/password authentication in RFC 1929 (version byte 0x05)`);
  });

  it('credentials RFC 1929 cannot carry (Go: "invalid username/password"): ERR_PROXY_SET_UP when the proxy asks for them; an empty password is sent (Go allows it, golang/go#57285)', () => {
    const ask = (username: string, password: string): string => {
      const hs = new SocksHandshake(P, 'api.example.com', 443, { username, password });
      hs.start();
      return failed(hs.feed(bytes(5, 2))).message;
    };
    const empty = new SocksHandshake(P, 'api.example.com', 443, { username: 'bot', password: '' });
    empty.start();
    expect(written(empty.feed(bytes(5, 2)))).toEqual(Buffer.concat([bytes(1, 3), Buffer.from('bot'), bytes(0)]));
    expect(ask('', 'pw')).toMatch(/asks for a username and password \(RFC 1929: a username of 1 to 255 bytes, a password of up to 255\), and the proxy URL's user-info does not give them: its username is empty$/);
    expect(ask('bot', 'é'.repeat(128))).toMatch(/: its password is 256 bytes long$/);
    expect(ask('u'.repeat(256), 'pw')).toMatch(/: its username is 256 bytes long$/);
  });

  it('a malformed answer: ERR_PROXY_SET_UP saying what was wrong (not SOCKS5, an HTTP proxy, a reserved byte, an address type)', () => {
    expect(failed(at('method').feed(Buffer.from('HTTP/1.1 400 Bad Request\r\n')))).toEqual({ code: 'ERR_PROXY_SET_UP', message: `proxy ${P} answered the SOCKS5 greeting in HTTP: is it an http:// proxy?` });
    expect(failed(at('method').feed(bytes(4, 0))).message).toBe(`proxy ${P} did not answer the SOCKS5 greeting in SOCKS5 (version byte 0x04)`);
    expect(failed(at('reply').feed(bytes(4, 0x5a))).message).toBe(`proxy ${P} did not answer SOCKS5 CONNECT api.example.com:443 in SOCKS5 (version byte 0x04)`);
    expect(failed(at('reply').feed(bytes(5, 0, 1, 1))).message).toBe(`proxy ${P} answered SOCKS5 CONNECT api.example.com:443 with a reserved byte of 0x01, not 0x00`);
    expect(failed(at('reply').feed(bytes(5, 0, 0, 7))).message).toBe(`proxy ${P} answered SOCKS5 CONNECT api.example.com:443 with an unknown address type 0x07`);
  });

  it('never reads more than a reply can hold: a whole reply is at most 4 + 1 + 255 + 2 bytes, the rest is handed back', () => {
    const hs = at('reply');
    const name = Buffer.alloc(255, 0x61);
    const big = Buffer.concat([bytes(5, 0, 0, 3, 255), name, bytes(1, 2)]);
    expect(hs.feed(Buffer.concat([big, Buffer.alloc(1000, 0x7a)]))).toEqual({ kind: 'done', rest: Buffer.alloc(1000, 0x7a) });
  });

  it('messages never carry the credentials', () => {
    for (const answer of [bytes(1, 1), bytes(9, 9), bytes(1)]) {
      const step = at('auth', true).feed(answer);
      expect(JSON.stringify(step)).not.toMatch(/hunter22|bot/);
    }
  });
});
