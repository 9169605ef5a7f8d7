/**
 * The fixed bench target: a minimal Node HTTP server (one process, one
 * core), answering `200 ok` to everything. `--stall` makes it answer in
 * 10 ms and hold every response during the last second of each 10 s
 * period (a 1 s stall every 10 s). `GET /__stats` returns and resets the
 * count and the first/last arrival times (ms) of the other requests.
 *
 * Usage: node bin/run-ts.js bench/load/target.ts [--stall] → prints "listening PORT".
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const stall = process.argv.includes('--stall');
const PERIOD_MS = 10_000;
const STALL_MS = 1_000;
const BASE_MS = 10;
const t0 = performance.now();
let count = 0;
let first = 0;
let last = 0;

const server = createServer((req, res) => {
  if (req.url === '/__stats') {
    const body = JSON.stringify({ count, first, last });
    count = 0;
    first = 0;
    last = 0;
    res.end(body);
    return;
  }
  const now = performance.now();
  count++;
  if (first === 0) first = now;
  last = now;
  if (!stall) {
    res.end('ok');
    return;
  }
  const inPeriod = (now - t0) % PERIOD_MS;
  const wait = inPeriod >= PERIOD_MS - STALL_MS ? PERIOD_MS - inPeriod : 0;
  setTimeout(() => res.end('ok'), BASE_MS + wait);
});
server.keepAliveTimeout = 60_000;
server.headersTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
