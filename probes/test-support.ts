/**
 * Local HTTP servers and probe builders for the probes tests (loopback
 * only): each server counts requests, records arrival times and the
 * highest concurrency it saw, and answers through a handler.
 */
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { OUTCOMES } from '../common/index.ts';
import { IntervalRecorder } from './histogram.ts';
import type { WorkerInit, WorkerPartial, WorkerRequestPartial } from './protocol.ts';
import { WHOLE } from './schedule.ts';
import { probeSpecSchema } from './spec.ts';
import type { Probe } from './spec.ts';

export interface TestServer {
  url: string;
  port: number;
  /** Requests received. */
  hits: number;
  /** `performance.now()` of each arrival (this process's clock). */
  arrivals: number[];
  /** Most requests in progress at once. */
  maxConcurrent: number;
  concurrent: number;
  /** TCP connections accepted. */
  connections: number;
  /** The server itself (its events). */
  server: Server;
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, server: TestServer) => void;

const okHandler: Handler = (_req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end('{"ok":true}');
};

/** Starts a server on 127.0.0.1 with a random port. */
export async function testServer(handler: Handler = okHandler): Promise<TestServer> {
  const state: TestServer = {
    url: '',
    port: 0,
    hits: 0,
    arrivals: [],
    maxConcurrent: 0,
    concurrent: 0,
    connections: 0,
    server: undefined as unknown as Server,
    close: async () => {},
  };
  const server = createServer((req, res) => {
    state.hits++;
    state.arrivals.push(performance.now());
    state.concurrent++;
    state.maxConcurrent = Math.max(state.maxConcurrent, state.concurrent);
    let counted = true;
    const done = (): void => {
      if (counted) state.concurrent--;
      counted = false;
    };
    res.on('close', done);
    req.resume();
    req.on('end', () => handler(req, res, state));
  });
  state.server = server;
  server.on('connection', () => state.connections++);
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  state.port = port;
  state.url = `http://127.0.0.1:${port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}

/** Answers after `ms`. */
export function delayed(ms: number, status = 200, body = 'ok'): Handler {
  return (_req, res) => {
    setTimeout(() => {
      res.statusCode = status;
      res.end(body);
    }, ms);
  };
}

/** A port on 127.0.0.1 where nothing listens (connection refused). */
export async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** Parses a probe spec (wire form) into the model, named `name`. */
export function probe(spec: Record<string, unknown>, name = 'test'): Probe {
  return { name, ...probeSpecSchema.parse(spec) };
}

/** A shared-iterations scenario: `n` iterations over `vus` VUs, bounded at 20 s. */
export function iterations(n: number, vus = 1): Record<string, unknown> {
  return { executor: 'shared-iterations', vus, iterations: n, maxDuration: '20s' };
}

/** The path of a file in probes/fixtures (certificates, keys). */
export function fixturePath(name: string): string {
  return fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
}

/** Waits until `cond()` holds, polling every 5 ms, for at most `ms` (then returns: the test's assertion says what failed). */
export async function until(cond: () => boolean, ms = 2_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 5));
}

export interface StalledListener {
  port: number;
  /** Requests the listener answered (after it began accepting), and connections that closed before sending one. */
  stats(): Promise<{ requests: number; closedUnused: number }>;
  close(): Promise<void>;
}

/**
 * A loopback port where TCP handshakes hang (a firewalled or dead host, seen
 * from the client): a listener (backlog 1) in a worker thread that blocks
 * right after listening, so nothing accepts, plus filler connections until
 * the kernel's accept queue is full; Linux then drops every further SYN.
 * After `acceptAfterMs` (default 30 s, or `close()`) the worker wakes,
 * accepts, and answers every request `200 ok`. Bounded: at most 8 fillers
 * of 200 ms each.
 */
export async function stalledListener(acceptAfterMs = 30_000): Promise<StalledListener> {
  const { Worker } = await import('node:worker_threads');
  const { connect } = await import('node:net');
  const wake = new Int32Array(new SharedArrayBuffer(4));
  const code = `
    const { createServer } = require('node:http');
    const { parentPort, workerData } = require('node:worker_threads');
    let requests = 0;
    let closedUnused = 0;
    const server = createServer((req, res) => { requests++; req.socket.used = true; req.resume(); res.end('ok'); });
    server.on('connection', (socket) => socket.on('close', () => { if (!socket.used) closedUnused++; }));
    parentPort.on('message', (m) => { if (m === 'stats') parentPort.postMessage({ requests, closedUnused }); });
    server.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
      parentPort.postMessage(server.address().port);
      Atomics.wait(workerData.wake, 0, 0, workerData.acceptAfterMs);
    });`;
  const worker = new Worker(code, { eval: true, workerData: { wake, acceptAfterMs } });
  const fillers: Socket[] = [];
  const close = async (): Promise<void> => {
    for (const s of fillers) s.destroy();
    Atomics.store(wake, 0, 1);
    Atomics.notify(wake, 0);
    await worker.terminate();
  };
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  for (let i = 0; i < 8; i++) {
    const socket = connect({ host: '127.0.0.1', port });
    socket.on('error', () => {});
    fillers.push(socket);
    const connected = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 200);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    // The accept queue is full: handshakes to this port now hang.
    if (!connected) {
      return {
        port,
        stats: () =>
          new Promise<{ requests: number; closedUnused: number }>((resolve) => {
            worker.once('message', resolve);
            worker.postMessage('stats');
          }),
        close,
      };
    }
  }
  await close();
  throw new Error('could not fill the accept queue of a loopback listener: no hanging handshake on this OS');
}

/**
 * One interval `index` of one request with these latencies (ms), all HTTP
 * 200, as a worker ships it (for aggregation tests without a run);
 * `request` overrides fields of the request's partial (headers, bytes).
 */
export function syntheticPartial(samplesMs: readonly number[], index = 0, request: Partial<WorkerRequestPartial> = {}): WorkerPartial {
  const rec = new IntervalRecorder();
  for (const ms of samplesMs) rec.record(ms * 1000);
  const latency = rec.toSparse();
  const n = samplesMs.length;
  return {
    worker: 0,
    index,
    end: (index + 1) * 1000,
    requests: [
      {
        outcomes: OUTCOMES.map((o) => (o === 'ok' ? n : 0)),
        statuses: { 200: n },
        expected: n,
        latency,
        waiting: latency,
        expectedLatency: latency,
        byStatus: {},
        within: [],
        headers: {},
        received: 0,
        sent: 0,
        redirects: 0,
        redirectLimited: 0,
        retries: 0,
        challenges: 0,
        h2: 0,
        ...request,
      },
    ],
    timings: [],
    iteration: latency,
    lag: latency,
    iterations: n,
    started: n,
    redirectsSent: 0,
    challengesSent: 0,
    dropped: 0,
    interrupted: 0,
    vus: 1,
    vusMax: 1,
    busy: 1,
    inFlight: 0,
    samples: [],
    errors: [],
  };
}

/** What the run would send one worker thread (the whole scenario, one thread, no thresholds), for tests of the Engine alone. */
export function workerInit(p: Probe, runId = 'test'): WorkerInit {
  return {
    runId,
    probe: p,
    segment: WHOLE,
    worker: 0,
    threads: 1,
    intervalMs: 1000,
    latencyThresholdsMs: [],
    latencyStatuses: [],
    timingsByRequest: false,
    countHeaders: [],
    traceSampleRatio: 0,
    maxSamples: 0,
  };
}
