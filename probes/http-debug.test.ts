/**
 * k6's `--http-debug` (`httpDebug`): each request and response written out
 * as it goes — headers, and with `full` the bodies — for finding out why a
 * probe's requests fail.
 */
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { startRun } from './run.ts';
import { probe, testServer } from './test-support.ts';
import type { TestServer } from './test-support.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function sink(): { out: PassThrough; text: () => string } {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => (text += c.toString()));
  return { out, text: () => text };
}

const iterations = (n: number) => ({ executor: 'shared-iterations', vus: 1, iterations: n, maxDuration: '10s' });

describe('httpDebug', () => {
  it('headers: every hop’s request and response, redirects included, without bodies', async () => {
    server = await testServer((req, res) => {
      if (req.url === '/old') res.writeHead(302, { location: '/new' }).end();
      else res.writeHead(200, { 'content-type': 'text/plain', 'x-cache': 'HIT' }).end('the body');
    });
    const { out, text } = sink();
    const summary = await startRun(probe({ target: server.url, scenario: iterations(1), requests: [{ name: 'get', url: '/old', headers: { 'X-Trace': 'abc' } }] }), { threads: 1, httpDebug: 'headers', debugOut: out }).done;
    expect(summary.outcomes.ok).toBe(1);
    const host = new URL(server.url).host;
    const t = text();
    expect(t).toContain(`Request:\nGET /old HTTP/1.1\nHost: ${host}\nX-Trace: abc\nuser-agent: burnwatch/0.1\n\n`);
    expect(t).toMatch(/Response:\nHTTP\/1\.1 302 Found\n(.+\n)*location: \/new\n/);
    expect(t).toContain(`Request:\nGET /new HTTP/1.1\nHost: ${host}\n`);
    expect(t).toMatch(/Response:\nHTTP\/1\.1 200 OK\n(.+\n)*x-cache: HIT\n/);
    expect(t).not.toContain('the body');
    // Request, response, request, response: in order.
    expect(t.match(/^(Request|Response):$/gm)).toEqual(['Request:', 'Response:', 'Request:', 'Response:']);
  });

  it('full: the bodies too (a POST’s and the response’s, cut at maxResponseBytes)', async () => {
    server = await testServer((_req, res) => res.end('x'.repeat(100)));
    const { out, text } = sink();
    await startRun(probe({ target: server.url, scenario: iterations(1), maxResponseBytes: 40, requests: [{ name: 'post', method: 'POST', url: '/e', body: { event: 'click' } }] }), { threads: 1, httpDebug: 'full', debugOut: out }).done;
    const t = text();
    expect(t).toMatch(/Request:\nPOST \/e HTTP\/1\.1\n(.+\n)*content-type: application\/json\n(.+\n)*\n\{"event":"click"\}\n/);
    expect(t).toMatch(/Response:\nHTTP\/1\.1 200 OK\n(.+\n)*\nx{40}\n\(cut at maxResponseBytes, 40 bytes\)\n/);
  });

  it('a request that fails has its error written in place of the response', async () => {
    const { out, text } = sink();
    await startRun(probe({ target: 'http://127.0.0.1:9', scenario: iterations(1), requests: [{ name: 'get', url: '/' }] }), { threads: 1, httpDebug: 'headers', debugOut: out }).done;
    expect(text()).toMatch(/Request:\nGET \/ HTTP\/1\.1\n[\s\S]*Response: none \(connect_error: ECONNREFUSED/);
  });

  it('off by default: nothing is written', async () => {
    server = await testServer();
    const { out, text } = sink();
    await startRun(probe({ target: server.url, scenario: iterations(2), requests: [{ name: 'get', url: '/' }] }), { threads: 1, debugOut: out }).done;
    expect(text()).toBe('');
  });
});
