/**
 * The load bench compares clients against one target whose parser is the
 * closed model's bottleneck, so every client must send the same request.
 * Each client of the bench runs briefly against a listener that records the
 * request heads it receives.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBinary } from '../../test/tools.ts';
import { runAutocannon, runBurnwatch, runFloor, wrkArgs } from './load-bench.ts';

const wrk = requireBinary('wrk');

/** Answers `200 ok` to every request and keeps each distinct request head (request line and headers). */
function recordingTarget(): Promise<{ server: Server; url: string; heads: Set<string> }> {
  const heads = new Set<string>();
  const server = createServer((socket) => {
    let pending = '';
    socket.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1');
      for (let end = pending.indexOf('\r\n\r\n'); end !== -1; end = pending.indexOf('\r\n\r\n')) {
        heads.add(pending.slice(0, end));
        pending = pending.slice(end + 4);
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
      }
    });
    socket.on('error', () => {});
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, heads }));
  });
}

/** A head with lower-cased header names, sorted (order and case cost a parser nothing measurable). */
function normalise(head: string): string {
  const [line, ...headers] = head.split('\r\n');
  const lowered = headers.map((h) => {
    const colon = h.indexOf(':');
    return `${h.slice(0, colon).toLowerCase()}:${h.slice(colon + 1).trim()}`;
  });
  return [line, ...lowered.sort()].join('\n');
}

function runWrkBriefly(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(wrk.need(), wrkArgs(url, 1), { stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`wrk exited with ${code}`));
    });
  });
}

describe('load bench: the same request from every client', () => {
  let target: Awaited<ReturnType<typeof recordingTarget>>;
  beforeAll(async () => {
    target = await recordingTarget();
  });
  afterAll(() => new Promise<void>((resolve) => target.server.close(() => resolve())));

  /** The distinct normalised heads one client sent. */
  async function headsOf(run: () => Promise<unknown>): Promise<string[]> {
    target.heads.clear();
    await run();
    return [...new Set([...target.heads].map(normalise))];
  }

  it.skipIf(wrk.skip)('burnwatch, autocannon, wrk and both floors send one identical request head', { timeout: 120_000 }, async () => {
    const host = new URL(target.url).host;
    const expected = ['GET / HTTP/1.1', 'connection:keep-alive', `host:${host}`, 'user-agent:burnwatch/0.1'].join('\n');
    const byClient = {
      burnwatch: await headsOf(() => runBurnwatch({ url: target.url, scenario: { executor: 'shared-iterations', vus: 2, iterations: 20 } }, 1)),
      autocannon: await headsOf(() => runAutocannon({ url: target.url, connections: 2, duration: 1 })),
      wrk: await headsOf(() => runWrkBriefly(target.url)),
      socketFloor: await headsOf(() => runFloor({ url: target.url, client: 'socket', mode: 'closed', duration: 1 })),
      undiciFloor: await headsOf(() => runFloor({ url: target.url, client: 'undici', mode: 'closed', duration: 1 })),
    };
    expect(byClient).toEqual({ burnwatch: [expected], autocannon: [expected], wrk: [expected], socketFloor: [expected], undiciFloor: [expected] });
  });
});
