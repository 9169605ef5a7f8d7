/**
 * data_sent and data_received count what crossed the wire: checked against
 * a raw TCP server that counts every byte it reads and writes.
 */
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startRun } from './run.ts';
import { probe } from './test-support.ts';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

const RESPONSE = 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\nok';

/** Answers every request (head, then `content-length` bytes of body) with RESPONSE; counts the bytes both ways. */
async function countingServer(): Promise<{ url: string; read: () => number; written: () => number }> {
  let read = 0;
  let written = 0;
  const server = createTcpServer((socket) => {
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
        socket.write(RESPONSE, 'latin1');
        written += RESPONSE.length;
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, read: () => read, written: () => written };
}

describe('data_sent and data_received', () => {
  it.each([
    ['a GET', { name: 'get', url: '/x' }],
    ['a static ASCII body', { name: 'post', method: 'POST', url: '/x', body: 'a'.repeat(1000), headers: { 'content-type': 'text/plain' } }],
    ['a templated body with characters of several UTF-8 bytes', { name: 'post', method: 'POST', url: '/x', body: `${'é'.repeat(1000)}{{seq}}`, headers: { 'content-type': 'text/plain' } }],
  ])('count the bytes on the wire for %s', async (_what, request) => {
    const server = await countingServer();
    const summary = await startRun(probe({ target: server.url, scenario: { executor: 'shared-iterations', vus: 1, iterations: 5, maxDuration: '10s' }, requests: [request] })).done;
    expect(summary.outcomes.ok).toBe(5);
    expect(summary.metrics.data_sent!.values.count).toBe(server.read());
    expect(summary.metrics.data_received!.values.count).toBe(server.written());
  });
});
