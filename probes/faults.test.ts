import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { IntervalSnapshot, RequestSample } from './results.ts';
import { startRun } from './run.ts';
import { formatSummary } from './summary.ts';
import type { RunSummary } from './summary.ts';
import { closedPort, iterations, probe, stalledListener, testServer } from './test-support.ts';
import type { TestServer } from './test-support.ts';
import { BIN, finished } from '../test/helpers.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const fixture = (name: string): URL => new URL(`./fixtures/${name}`, import.meta.url);

describe('fault paths give a classified outcome, never a crash', () => {
  it('a refused connection is a connect_error, and is never within a latency threshold however fast it failed', async () => {
    const port = await closedPort();
    const snapshots: IntervalSnapshot[] = [];
    const summary = await startRun(probe({ target: `http://127.0.0.1:${port}`, scenario: iterations(20, 2), requests: [{ name: 'get', url: '/x' }] }), {
      latencyThresholdsMs: [1000],
      onInterval: (s) => snapshots.push(s),
    }).done;
    const within = snapshots.flatMap((s) => s.requests).reduce((n, r) => n + (r.within['1000'] ?? 0), 0);
    const failed = snapshots.flatMap((s) => s.requests).reduce((n, r) => n + r.outcomes.connect_error, 0);
    expect(failed).toBe(20);
    expect(within).toBe(0);
    expect(summary.status).toBe('passed');
    expect(summary.outcomes.connect_error).toBe(20);
    expect(summary.metrics.http_req_failed!.values.rate).toBe(1);
    expect(summary.errors[0]).toMatchObject({ outcome: 'connect_error', message: expect.stringMatching(/ECONNREFUSED/) as unknown });
  });

  it('a request undici refuses to send is counted as not sent, open and closed model, and never crashes the run', async () => {
    // Validation rejects such header values; this is the engine's own guard
    // for any request that fails inside dispatch, before anything is sent.
    server = await testServer();
    // 5,000/s on 5 VUs: several arrivals are due on each tick, so a connection
    // not handed back at once ties up VUs and drops arrivals.
    for (const scenario of [
      { executor: 'constant-arrival-rate', rate: 5000, duration: '1s', preAllocatedVUs: 5 },
      { executor: 'shared-iterations', vus: 2, iterations: 300, maxDuration: '10s' },
    ]) {
      const p = probe({ target: server.url, scenario, requests: [{ name: 'get', url: '/x' }] });
      p.requests[0]!.headers['x-bad'] = 'a\u0001b';
      const summary = await startRun(p, { threads: 1 }).done;
      expect(summary.stopReason).not.toMatch(/crashed/);
      expect(summary.status).toBe('passed');
      const expected = scenario.executor === 'shared-iterations' ? 300 : 5000;
      expect(summary.outcomes.connect_error).toBeGreaterThanOrEqual(expected - 1);
      expect(summary.droppedIterations).toBe(0);
      expect(summary.metrics.http_req_failed!.values.rate).toBe(1);
      expect(summary.errors[0]).toMatchObject({ outcome: 'connect_error', message: expect.stringMatching(/not sent: invalid x-bad header/) as unknown });
    }
    expect(server.hits).toBe(0);
  });

  it('a TLS failure is a connect_error that says why; insecureSkipTLSVerify accepts a self-signed certificate', async () => {
    server = await testServer();
    const https = createHttpsServer({ key: readFileSync(fixture('self-signed.key')), cert: readFileSync(fixture('self-signed.crt')) }, (_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
    const httpsUrl = `https://127.0.0.1:${(https.address() as AddressInfo).port}`;
    try {
      const run = (target: string, extra: Record<string, unknown> = {}) =>
        startRun(probe({ target, scenario: iterations(4, 2), requests: [{ name: 'get', url: '/x' }], ...extra }), { threads: 1 }).done;
      const plain = await run(server.url.replace('http:', 'https:'));
      expect(plain.outcomes.connect_error).toBe(4);
      expect(plain.errors[0]!.message).toBe('TLS: ERR_SSL_WRONG_VERSION_NUMBER: wrong version number (the target did not answer in TLS: is it plain http://?)');
      const selfSigned = await run(httpsUrl);
      expect(selfSigned.outcomes.connect_error).toBe(4);
      expect(selfSigned.errors[0]!.message).toMatch(/^TLS: DEPTH_ZERO_SELF_SIGNED_CERT: self[- ]signed certificate.*insecureSkipTLSVerify/);
      const skipped = await run(httpsUrl, { insecureSkipTLSVerify: true });
      expect(skipped.outcomes.ok).toBe(4);
    } finally {
      await new Promise((resolve) => https.close(resolve));
    }
  });

  it('a server that closes every connection after its response, without saying so, costs no iteration', async () => {
    // The closed model dispatches the next request from inside undici's
    // onComplete; undici must still see the close before writing it.
    server = await testServer((_req, res) => {
      res.end('ok', () => res.socket?.destroy());
    });
    for (const scenario of [
      { executor: 'shared-iterations', vus: 5, iterations: 300, maxDuration: '20s' },
      { executor: 'constant-arrival-rate', rate: 300, duration: '1s', preAllocatedVUs: 5, maxVUs: 50 }, // room for a loaded machine: a drop is no outcome
    ]) {
      const summary = await startRun(probe({ target: server.url, scenario, requests: [{ name: 'get', url: '/x' }] }), { threads: 1 }).done;
      expect(summary.outcomes).toEqual({ ok: 300, http_error: 0, assertion_failed: 0, timeout: 0, connect_error: 0, reset: 0 });
    }
    expect(server.hits).toBe(600);
  });

  it('a GET written on a kept-alive connection the server had just closed is retried on a new one, as Go’s client (k6) retries it; a POST is not', async () => {
    // The server ends each connection right after its response without a
    // `connection: close`, so the next request often meets the closing socket.
    server = await testServer((req, res) => {
      res.end('ok');
      req.socket.end();
    });
    const get = await startRun(
      probe({ target: server.url, scenario: iterations(300), requests: [{ name: 'get', url: '/x' }] }),
      { threads: 1 },
    ).done;
    expect(get.outcomes).toEqual({ ok: 300, http_error: 0, assertion_failed: 0, timeout: 0, connect_error: 0, reset: 0 });
    const retried = get.retries?.get ?? 0;
    expect(retried).toBeGreaterThan(0);
    // The server may have read a request it could no longer answer: it saw that one twice, as with Go's client.
    expect(server.hits).toBeGreaterThanOrEqual(300);
    expect(server.hits).toBeLessThanOrEqual(300 + retried);
    expect(formatSummary(get)).toMatch(/retried: get=\d+ \(written on a kept-alive connection the server or a middlebox had closed/);
    const post = await startRun(
      probe({ target: server.url, scenario: iterations(300), requests: [{ name: 'post', method: 'POST', url: '/x', body: 'x', headers: { 'content-type': 'text/plain' } }] }),
      { threads: 1 },
    ).done;
    expect(post.outcomes.ok + post.outcomes.reset).toBe(300);
    expect(post.retries).toEqual({});
  });

  it('a GET meeting several stale kept-alive connections in a row (a middlebox dropped them) is retried until it goes out on a connection it opened', async () => {
    // A request written on a connection idle for more than 200 ms is reset; others are answered.
    const last = new WeakMap<Socket, number>();
    server = await testServer((req, res) => {
      const socket = req.socket;
      if (performance.now() - (last.get(socket) ?? 0) > 200) {
        socket.resetAndDestroy();
        return;
      }
      res.end('ok', () => last.set(socket, performance.now()));
    });
    server.server.on('connection', (socket: Socket) => last.set(socket, performance.now()));
    const summary = await startRun(
      probe({
        target: server.url,
        scenario: { executor: 'constant-arrival-rate', rate: 4, duration: '2s', preAllocatedVUs: 6, maxVUs: 6 },
        requests: [{ name: 'get', url: '/x' }],
      }),
      { threads: 1 },
    ).done;
    // Before, a retry took the next idle connection, as stale: after two, the request was a reset.
    expect(summary.outcomes).toMatchObject({ ok: 8, reset: 0 });
    expect(summary.retries?.get).toBeGreaterThan(2);
  });

  it('a retried request whose retry cannot connect keeps the blocked and sending time of its first attempt', async () => {
    let n = 0;
    server = await testServer((req, res) => {
      if (++n === 1) res.end('ok');
      else {
        // The second request meets a reset on its kept-alive connection, and the retry a closed port:
        // the listener is closed first, so the retry's connect cannot land in a backlog closed after it (a reset, not a refusal).
        server!.server.close();
        req.socket.resetAndDestroy();
      }
    });
    const summary = await startRun(probe({ target: server.url, scenario: iterations(2), requests: [{ name: 'get', url: '/x' }] }), { threads: 1 }).done;
    server = undefined;
    expect(summary.outcomes).toMatchObject({ ok: 1, connect_error: 1 });
    expect(summary.retries).toEqual({ get: 1 });
    expect(summary.metrics.http_req_blocked!.values.count).toBe(2);
    expect(summary.metrics.http_req_sending!.values.count).toBe(2);
  });

  it('more VUs than the process may open sockets (ulimit -n): the run warns up front, ends on time, and its connect errors name the limit', async () => {
    server = await testServer();
    const dir = await mkdtemp(join(tmpdir(), 'bw-fd-'));
    const file = join(dir, 'fd.yaml');
    await writeFile(
      file,
      `apiVersion: burnwatch/v1\nkind: Probe\nmetadata: { name: fd }\nspec:\n  target: ${server.url}\n  scenario: { executor: constant-vus, vus: 200, duration: 2s }\n  requests: [{ name: get, url: /x }]\n`,
    );
    const out = join(dir, 'summary.json');
    // Before, the VUs without a socket retried on microtasks and nextTicks only: timers and I/O starved, the run never ended.
    const child = spawn('sh', ['-c', `ulimit -n 120 && exec "${process.execPath}" "${BIN}" run "${file}" --summary-export "${out}"`], { stdio: 'pipe' });
    const result = await finished(child, 40_000);
    expect(result.code).toBe(0);
    const summary = JSON.parse(await readFile(out, 'utf8')) as RunSummary;
    expect(summary.outcomes.ok).toBeGreaterThan(0);
    expect(summary.outcomes.connect_error).toBeGreaterThan(0);
    expect(summary.errors[0]?.message).toMatch(/^EMFILE: .*open-file limit \(ulimit -n\)/);
    expect(summary.warnings.join('\n')).toMatch(/up to 200 connections \(one per VU and origin\) but the process may open only 120 open files \(ulimit -n\)/);
    expect(summary.durationMs).toBeLessThan(10_000);
    expect(result.stderr).toMatch(/^warning: this run may open up to 200 connections/m);
  }, 60_000);

  it('a connection reset in the middle of the body, or before any response, is a reset', async () => {
    let n = 0;
    server = await testServer((_req, res) => {
      n++;
      if (n % 2 === 0) {
        res.socket?.destroy();
        return;
      }
      res.writeHead(200, { 'content-length': '1000' });
      res.write('x'.repeat(100));
      setTimeout(() => res.socket?.destroy(), 5);
    });
    const summary = await startRun(probe({ target: server.url, scenario: iterations(10), requests: [{ name: 'get', url: '/x' }] })).done;
    expect(summary.outcomes.reset).toBe(10);
    // The five that got headers have a status; the others have none.
    expect(summary.metrics['http_reqs']!.values.count).toBe(10);
    expect(summary.errors.reduce((s, e) => s + e.count, 0)).toBe(10);
  });

  it('a target that never answers times out at the request timeout', async () => {
    server = await testServer(() => {
      // never answer
    });
    const summary = await startRun(
      probe({ target: server.url, timeout: '300ms', scenario: iterations(4, 2), requests: [{ name: 'get', url: '/x' }] }),
    ).done;
    expect(summary.outcomes.timeout).toBe(4);
    const d = summary.metrics.http_req_duration!.values;
    expect(d.min).toBeGreaterThanOrEqual(295);
    expect(d.max).toBeLessThan(450);
    expect(summary.errors[0]?.message).toMatch(/timed out waiting for the response/);
  });

  it('open model: a timeout that frees the only VU just as the next arrival is due records each request once, and only requests sent', async () => {
    const sentTraces = new Set<string>();
    server = await testServer((req) => {
      sentTraces.add(String(req.headers.traceparent).split('-')[1] ?? '');
      // never answer
    });
    const samples: RequestSample[] = [];
    const summary = await startRun(
      probe({
        target: server.url,
        timeout: '97ms',
        scenario: { executor: 'constant-arrival-rate', rate: 10, duration: '3s', preAllocatedVUs: 1, maxVUs: 1, gracefulStop: '1s' },
        requests: [{ name: 'get', url: '/x' }],
      }),
      { threads: 1, traceSampleRatio: 1, maxSamplesPerInterval: 1000, onInterval: (s) => samples.push(...s.samples) },
    ).done;
    expect(summary.metrics.http_reqs!.values.count! + summary.droppedIterations + summary.interruptedIterations).toBe(30);
    expect(samples.length).toBe(summary.metrics.http_reqs!.values.count);
    // Every request recorded as a timeout waited its 97 ms, and reached the target.
    expect(samples.filter((s) => s.latencyMs < 95).map((s) => `${s.outcome} ${s.latencyMs.toFixed(2)} ms`)).toEqual([]);
    expect(samples.filter((s) => !sentTraces.has(s.traceId))).toEqual([]);
  });

  it('a response that fails after its headers (body timed out or reset) is no expected response and has no status, as in k6', async () => {
    server = await testServer((req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('x'.repeat(10));
      if (req.url === '/reset') setTimeout(() => req.socket.resetAndDestroy(), 20);
      // else: the body stalls
    });
    const summary = await startRun(
      probe({
        target: server.url,
        timeout: '300ms',
        scenario: iterations(4, 2),
        requests: [
          { name: 'stall', url: '/stall' },
          { name: 'reset', url: '/reset' },
        ],
        thresholds: {
          'http_req_duration{expected_response:true}': ['p(95)<200'],
          'http_reqs{expected_response:true}': ['count<1'],
          'http_reqs{status:200}': ['count<1'],
          'http_req_failed{expected_response:false}': ['rate>0.99'],
        },
      }),
      { threads: 1 },
    ).done;
    expect(summary.outcomes).toMatchObject({ timeout: 2, reset: 2 });
    const m = summary.metrics;
    expect(m.http_req_failed!.values.rate).toBe(1);
    expect(m['http_reqs{expected_response:true}']!.values.count).toBe(0);
    expect(m['http_reqs{status:200}']!.values.count).toBe(0);
    expect(m['http_req_duration{expected_response:true}']!.values.count ?? 0).toBe(0);
    expect(m['http_req_failed{expected_response:false}']!.values.rate).toBe(1);
    expect(summary.status).toBe('passed');
  });

  it('a 50 MB body is cut off past maxResponseBytes instead of being read or buffered', async () => {
    let written = 0;
    server = await testServer((_req, res) => {
      const chunk = Buffer.alloc(64 * 1024, 120);
      res.writeHead(200, { 'content-length': String(50 * 1024 * 1024) });
      const pump = (): void => {
        while (written < 50 * 1024 * 1024 && !res.destroyed) {
          written += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      pump();
    });
    const t0 = performance.now();
    const summary = await startRun(probe({ target: server.url, maxResponseBytes: 1_000_000, scenario: iterations(1), requests: [{ name: 'big', url: '/x' }] })).done;
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(summary.outcomes.assertion_failed).toBe(1);
    expect(summary.errors[0]?.message).toMatch(/larger than maxResponseBytes \(1000000 bytes\)/);
    expect(summary.metrics.data_received!.values.count).toBeLessThan(3_000_000);
    // The server could not push the whole body: the connection was closed under it.
    expect(written).toBeLessThan(20 * 1024 * 1024);
  });

  it('response headers larger than undici’s 16 KiB default are read up to maxResponseBytes; beyond it the response is an http_error saying so, not a reset', async () => {
    server = await testServer((req, res) => {
      res.setHeader('content-security-policy', `default-src 'self' ${'https://cdn.example.com/'.repeat(req.url === '/huge' ? 4000 : 800)}`);
      res.end('ok');
    });
    const summary = await startRun(
      probe({
        target: server.url,
        maxResponseBytes: 65536,
        scenario: iterations(4),
        requests: [
          { name: 'big', url: '/big' },
          { name: 'huge', url: '/huge' },
        ],
      }),
      { threads: 1 },
    ).done;
    expect(summary.outcomes).toMatchObject({ ok: 2, http_error: 2, reset: 0 });
    expect(summary.errors).toEqual([{ outcome: 'http_error', message: 'response headers larger than maxResponseBytes (65536 bytes)', count: 2 }]);
  });

  it('an unexpected status is an http_error and an expected one is ok, per request', async () => {
    server = await testServer((req, res) => {
      res.statusCode = req.url === '/missing' ? 404 : 503;
      res.end();
    });
    const summary = await startRun(
      probe({
        target: server.url,
        scenario: iterations(10),
        requests: [
          { name: 'down', url: '/down' },
          { name: 'missing', url: '/missing', expect: { status: [404] } },
        ],
      }),
    ).done;
    expect(summary.outcomes).toMatchObject({ http_error: 5, ok: 5 });
    expect(summary.metrics['http_req_failed{request:down}']!.values.rate).toBe(1);
    expect(summary.metrics['http_req_failed{request:missing}']!.values.rate).toBe(0);
    expect(summary.errors[0]).toMatchObject({ outcome: 'http_error', message: 'HTTP 503', count: 5 });
  });

  it('a target whose TCP handshake hangs gives connect_error, not a response timeout, and no data sent', async () => {
    const listener = await stalledListener();
    try {
      const summary = await startRun(
        probe({ target: `http://127.0.0.1:${listener.port}`, timeout: '400ms', scenario: iterations(2, 2), requests: [{ name: 'get', url: '/x' }] }),
      ).done;
      expect(summary.outcomes).toMatchObject({ connect_error: 2, timeout: 0 });
      expect(summary.errors[0]?.message).toMatch(/timed out waiting for a connection/);
      expect(summary.metrics.data_sent!.values.count).toBe(0);
    } finally {
      await listener.close();
    }
  });

  it('a request that timed out before its connection opened is never sent once it opens', async () => {
    // The listener starts accepting after ~1.5 s, so the connection opens on
    // a later SYN retry, after the first requests timed out waiting for it.
    const listener = await stalledListener(1_500);
    try {
      const summary = await startRun(
        probe({
          target: `http://127.0.0.1:${listener.port}`,
          timeout: '300ms',
          scenario: { executor: 'constant-vus', vus: 1, duration: '4s', gracefulStop: '1s' },
          requests: [{ name: 'get', url: '/x' }],
        }),
      ).done;
      // How many time out before a SYN retry gets through depends on the kernel's retry timing.
      expect(summary.outcomes.connect_error).toBeGreaterThanOrEqual(1);
      expect(summary.outcomes.timeout).toBe(0);
      expect(summary.outcomes.ok).toBeGreaterThan(0);
      const seen = await listener.stats();
      // Every request the target answered was one the run counted: none was sent after it had been given up.
      expect(seen.requests).toBe(summary.outcomes.ok);
      // And dropping it did not cost the connection that had just opened (the fillers stay open until close()).
      expect(seen.closedUnused).toBe(0);
    } finally {
      await listener.close();
    }
  });

  it('an unexpected status stays an http_error when its body is also larger than maxResponseBytes', async () => {
    server = await testServer((_req, res) => {
      res.statusCode = 503;
      res.end('x'.repeat(2_000));
    });
    const summary = await startRun(probe({ target: server.url, maxResponseBytes: 1_000, scenario: iterations(2), requests: [{ name: 'get', url: '/x' }] })).done;
    expect(summary.outcomes).toMatchObject({ http_error: 2, assertion_failed: 0 });
    expect(summary.metrics.http_req_failed!.values.rate).toBe(1);
    expect(summary.errors[0]).toMatchObject({ outcome: 'http_error', message: 'HTTP 503', count: 2 });
  });

  it('a server that resets each connection right after its response gets every iteration classified, no worker crash', async () => {
    // A reset while a request waits for its idle-socket check makes undici fail that request inside its
    // client-wide error handler; handing the connection on from there used to crash the worker.
    server = await testServer((req, res) => {
      res.end('ok', () => setImmediate(() => req.socket.resetAndDestroy()));
    });
    const summary = await startRun(
      probe({
        target: server.url,
        scenario: { executor: 'constant-arrival-rate', rate: 3000, duration: '2s', preAllocatedVUs: 20, maxVUs: 50 },
        requests: [{ name: 'get', url: '/x' }],
      }),
    ).done;
    expect(summary.stopReason).toBe('completed');
    expect(summary.status).toBe('passed');
    const classified = Object.values(summary.outcomes).reduce((a, b) => a + b, 0);
    expect(classified + summary.droppedIterations + summary.interruptedIterations).toBe(6000);
    expect(summary.outcomes.reset).toBeGreaterThan(0);
  });

  it('header and JSON expectations that do not hold are assertion failures with the reason', async () => {
    server = await testServer((req, res) => {
      res.setHeader('x-cache', req.url === '/hit' ? 'HIT' : 'MISS');
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ variant: req.url === '/hit' ? 'control' : 'treatment', n: [1, 2] }));
    });
    const summary = await startRun(
      probe({
        target: server.url,
        scenario: iterations(9),
        requests: [
          { name: 'hit', url: '/hit', expect: { headers: { 'X-Cache': 'HIT' }, json: { '$.variant': 'control', '$.n[1]': 2 } } },
          { name: 'miss', url: '/miss', expect: { headers: { 'x-cache': { matches: '^HIT$' } } } },
          { name: 'json', url: '/json', expect: { json: { variant: 'control', '$.absent': { exists: false } } } },
        ],
      }),
    ).done;
    expect(summary.outcomes).toMatchObject({ ok: 3, assertion_failed: 6 });
    const messages = summary.errors.map((e) => e.message).sort();
    expect(messages).toEqual(['header x-cache: expected a value matching /^HIT$/, got "MISS"', 'json variant: expected "control", got "treatment"']);
    expect(summary.metrics.checks!.values.rate).toBeCloseTo(1 / 3, 6);
    // Assertion failures are not HTTP failures (k6's http_req_failed counts statuses and transport errors).
    expect(summary.metrics.http_req_failed!.values.rate).toBe(0);
  });
});
