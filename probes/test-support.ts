/**
 * Local HTTP servers and probe builders for the probes tests (loopback
 * only): each server counts requests, records arrival times and the
 * highest concurrency it saw, and answers through a handler.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
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
