/**
 * data_sent and data_received count what crossed the wire: checked against
 * a raw TCP server that counts every byte it reads and writes.
 */
import { readFileSync } from 'node:fs';
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { startRun } from './run.ts';
import { probe } from './test-support.ts';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

const RESPONSE = 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\nok';
/** A chunked body whose framing (sizes, CRLFs, the last chunk and a trailer) is most of its bytes. */
const CHUNKED = 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n1\r\na\r\n2\r\nbc\r\n1\r\nd\r\n0\r\nx-trailer: 1\r\n\r\n';
/** An interim `103 Early Hints` before the final response. */
const EARLY_HINTS = `HTTP/1.1 103 Early Hints\r\nlink: </style.css>; rel=preload\r\n\r\n${RESPONSE}`;

const fixture = (name: string): URL => new URL(`./fixtures/${name}`, import.meta.url);

/**
 * Answers every request (head, then `content-length` bytes of body) with
 * `response`, over TCP or TLS (the self-signed fixture certificate); counts
 * the bytes both ways (TLS: the cleartext). `reset` writes the response's
 * first half and resets the connection instead.
 */
async function countingServer(response = RESPONSE, { tls = false, reset = false } = {}): Promise<{ url: string; read: () => number; written: () => number }> {
  let read = 0;
  let written = 0;
  const onSocket = (socket: Socket): void => {
    let buffered = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => {
      read += d.length;
      buffered = Buffer.concat([buffered, d]);
      for (;;) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end === -1) return;
        const head = buffered.subarray(0, end).toString('latin1');
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (buffered.length < end + 4 + length) return;
        buffered = buffered.subarray(end + 4 + length);
        const out = reset ? response.slice(0, response.length >> 1) : response;
        written += out.length;
        if (reset) socket.write(out, 'latin1', () => socket.resetAndDestroy());
        else socket.write(out, 'latin1');
      }
    });
    socket.on('error', () => {});
  };
  const server = tls
    ? createTlsServer({ key: readFileSync(fixture('self-signed.key')), cert: readFileSync(fixture('self-signed.crt')) }, onSocket)
    : createTcpServer(onSocket);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`, read: () => read, written: () => written };
}

describe('data_sent and data_received', () => {
  it.each([
    ['a GET', { name: 'get', url: '/x' }],
    ['a static ASCII body', { name: 'post', method: 'POST', url: '/x', body: 'a'.repeat(1000), headers: { 'content-type': 'text/plain' } }],
    ['a templated body with characters of several UTF-8 bytes', { name: 'post', method: 'POST', url: '/x', body: `${'é'.repeat(1000)}{{seq}}`, headers: { 'content-type': 'text/plain' } }],
    ['a 5-byte body', { name: 'post', method: 'POST', url: '/x', body: 'hello', headers: { 'content-type': 'text/plain' } }],
    ['a 100 kB body', { name: 'post', method: 'POST', url: '/x', body: 'a'.repeat(100_000), headers: { 'content-type': 'text/plain' } }],
    ['a POST without a body', { name: 'post', method: 'POST', url: '/x' }],
    ['a request with its own host and connection headers', { name: 'get', url: '/x', headers: { Host: 'example.test', Connection: 'keep-alive' } }],
  ])('count the bytes on the wire for %s', async (_what, request) => {
    const server = await countingServer();
    const summary = await startRun(probe({ target: server.url, scenario: { executor: 'shared-iterations', vus: 1, iterations: 5, maxDuration: '10s' }, requests: [request] })).done;
    expect(summary.outcomes.ok).toBe(5);
    expect(summary.metrics.data_sent!.values.count).toBe(server.read());
    expect(summary.metrics.data_received!.values.count).toBe(server.written());
  });

  it.each([
    ['a chunked body (chunk sizes, CRLFs, trailer)', CHUNKED],
    ['an interim 103 Early Hints before the response', EARLY_HINTS],
  ])('count every byte received for %s', async (_what, response) => {
    const server = await countingServer(response);
    const summary = await startRun(probe({ target: server.url, scenario: { executor: 'shared-iterations', vus: 1, iterations: 5, maxDuration: '10s' }, requests: [{ name: 'get', url: '/x' }] })).done;
    expect(summary.outcomes.ok).toBe(5);
    expect(summary.metrics.data_received!.values.count).toBe(server.written());
  });

  it('count the HTTP bytes of an https target, sent and received (not the TLS records)', async () => {
    const server = await countingServer(CHUNKED, { tls: true });
    const summary = await startRun(
      probe({ target: server.url, insecureSkipTLSVerify: true, scenario: { executor: 'shared-iterations', vus: 1, iterations: 5, maxDuration: '10s' }, requests: [{ name: 'get', url: '/x' }] }),
    ).done;
    expect(summary.outcomes.ok).toBe(5);
    expect(summary.metrics.data_sent!.values.count).toBe(server.read());
    expect(summary.metrics.data_received!.values.count).toBe(server.written());
  });

  it('count the part of a response that came before the connection was reset', async () => {
    const server = await countingServer('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n' + 'x'.repeat(100), { reset: true });
    const summary = await startRun(probe({ target: server.url, scenario: { executor: 'shared-iterations', vus: 1, iterations: 3, maxDuration: '10s' }, requests: [{ name: 'get', url: '/x' }] })).done;
    expect(summary.outcomes.reset).toBe(3);
    expect(summary.metrics.data_received!.values.count).toBe(server.written());
  });
});
