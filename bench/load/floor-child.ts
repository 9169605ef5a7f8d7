/**
 * Floors under the bench's figures: 50 keep-alive connections that send a
 * fixed request and count the responses, with no timing, no histograms, no
 * worker thread — either as bare TCP sockets (no HTTP parser at all) or as
 * undici `Client`s dispatching with an empty handler (the HTTP client
 * burnwatch uses, alone). Run beside the real tools so the bench can say
 * how much of burnwatch's CPU per request is its own work, how much is
 * undici's, and how much is what the machine charges any Node process for
 * the traffic (system calls and event-loop wake-ups).
 *
 * - `closed`: each connection sends its next request as soon as a response arrived.
 * - `paced`: requests evenly spaced at `rate`/s, sent from a timer the way
 *   burnwatch's open model sends them (every due arrival on each tick, on a
 *   free connection); a response only frees its connection.
 *
 * Prints one JSON line: steady-state requests, seconds and CPU time (µs),
 * from the end of the first second to the end, as the other children do.
 *
 * Usage: node bin/run-ts.js bench/load/floor-child.ts '<json: { url, client, mode, rate?, duration }>'
 */
import { connect } from 'node:net';
import { Client } from 'undici';
import type { Dispatcher } from 'undici';
import { BENCH_HEADERS, BENCH_HEADERS_BUT_CONNECTION } from './wire.ts';

interface FloorConfig {
  url: string;
  client: 'socket' | 'undici';
  mode: 'closed' | 'paced';
  /** Requests per second (paced). */
  rate?: number;
  /** Seconds. */
  duration: number;
}

/** One keep-alive connection: `send()` one request; `onResponse` runs once per response. */
interface Conn {
  send(): void;
}

const CONNECTIONS = 50;
const cfg = JSON.parse(process.argv[2] ?? '{}') as FloorConfig;
const url = new URL(cfg.url);
const durationMs = cfg.duration * 1000;

let responses = 0;
let start = 0;
let end = Infinity;
const idle: Conn[] = [];

function onResponse(conn: Conn): void {
  responses++;
  if (cfg.mode === 'paced') idle.push(conn);
  else if (performance.now() < end) conn.send();
}

/** A bare socket; a response is counted by its status line (the bench target's responses are tiny). */
function socketConn(): Promise<Conn> {
  const headers = Object.entries(BENCH_HEADERS).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  const request = Buffer.from(`GET ${url.pathname} HTTP/1.1\r\nhost: ${url.host}\r\n${headers}\r\n`);
  const statusLine = Buffer.from('HTTP/1.1 ');
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    socket.setNoDelay(true);
    const conn: Conn = { send: () => socket.write(request) };
    socket.on('data', (chunk: Buffer) => {
      for (let i = chunk.indexOf(statusLine); i !== -1; i = chunk.indexOf(statusLine, i + statusLine.length)) onResponse(conn);
    });
    socket.once('connect', () => resolve(conn));
    socket.once('error', reject);
  });
}

/** An undici Client with burnwatch's options and an empty handler, warmed by one request. */
async function undiciConn(): Promise<Conn> {
  const client = new Client(url.origin, { pipelining: 1 });
  const options: Dispatcher.DispatchOptions = Object.freeze({ path: url.pathname, method: 'GET', headers: Object.entries(BENCH_HEADERS_BUT_CONNECTION).flat(), headersTimeout: 0, bodyTimeout: 0 });
  const conn: Conn = { send: () => client.dispatch(options, handler) };
  const handler = {
    onConnect: (): void => {},
    onHeaders: (): boolean => true,
    onData: (): boolean => true,
    onComplete: (): void => onResponse(conn),
    onError: (err: Error): void => {
      process.stderr.write(`floor: ${err.message}\n`);
      process.exit(1);
    },
  } as unknown as Dispatcher.DispatchHandler;
  await (await client.request({ path: url.pathname, method: 'GET', headers: { ...BENCH_HEADERS_BUT_CONNECTION } })).body.text();
  return conn;
}

const conns = await Promise.all(Array.from({ length: CONNECTIONS }, () => (cfg.client === 'undici' ? undiciConn() : socketConn())));
idle.push(...conns);

start = performance.now();
end = start + durationMs;
let firstCpu: NodeJS.CpuUsage | undefined;
let firstResponses = 0;
setTimeout(() => {
  firstCpu = process.cpuUsage();
  firstResponses = responses;
}, 1000);

if (cfg.mode === 'closed') {
  for (const conn of idle.splice(0)) conn.send();
} else {
  const intervalMs = 1000 / (cfg.rate ?? 5000);
  let sent = 0;
  const tick = (): void => {
    const now = performance.now();
    while (start + sent * intervalMs <= now && start + sent * intervalMs < end) {
      const conn = idle.pop();
      if (!conn) break; // all busy: the arrival waits for the next tick (the bench target never lets that happen)
      conn.send();
      sent++;
    }
    const next = start + sent * intervalMs;
    if (next < end) setTimeout(tick, Math.max(0, next - performance.now()));
  };
  tick();
}

await new Promise((resolve) => setTimeout(resolve, durationMs));
const cpu = process.cpuUsage(firstCpu);
const seconds = (performance.now() - start) / 1000 - 1;
process.stdout.write(`${JSON.stringify({ requests: responses - firstResponses, seconds, cpuUs: cpu.user + cpu.system })}\n`);
process.exit(0);
