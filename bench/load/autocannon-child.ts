/**
 * Runs autocannon (its API, in this process, no workers) for the bench and
 * prints one JSON line: steady-state requests and CPU time (from the first
 * tick, 1 s in, to the end) and its latency figures.
 *
 * Usage: node bin/run-ts.js bench/load/autocannon-child.ts '<json: { url, connections, duration, overallRate?, ignoreCoordinatedOmission? }>'
 */
import autocannon from 'autocannon';
import { BENCH_HEADERS_BUT_CONNECTION } from './wire.ts';

interface ChildConfig {
  url: string;
  connections: number;
  duration: number;
  overallRate?: number;
  ignoreCoordinatedOmission?: boolean;
}

const cfg = JSON.parse(process.argv[2] ?? '{}') as ChildConfig;
let ticks = 0;
let counted = 0;
let firstCpu: NodeJS.CpuUsage | undefined;
let firstCounted = 0;
let firstAt = 0;
const instance = autocannon(
  {
    url: cfg.url,
    connections: cfg.connections,
    headers: { ...BENCH_HEADERS_BUT_CONNECTION },
    duration: cfg.duration,
    ...(cfg.overallRate ? { overallRate: cfg.overallRate } : {}),
    ...(cfg.ignoreCoordinatedOmission ? { ignoreCoordinatedOmission: true } : {}),
  },
  (err, result) => {
    if (err) {
      process.stderr.write(`${String(err)}\n`);
      process.exit(1);
    }
    const cpu = process.cpuUsage();
    const cpuUs = firstCpu ? cpu.user - firstCpu.user + cpu.system - firstCpu.system : 0;
    process.stdout.write(
      `${JSON.stringify({
        requests: counted - firstCounted,
        seconds: (performance.now() - firstAt) / 1000,
        cpuUs,
        total: result.requests.total,
        p99Ms: result.latency.p99,
        p50Ms: result.latency.p50,
        errors: result.errors + result.timeouts + result.non2xx,
      })}\n`,
    );
  },
);
instance.on('tick', (c: { counter: number }) => {
  counted += c.counter;
  ticks++;
  if (ticks === 1) {
    firstCpu = process.cpuUsage();
    firstCounted = counted;
    firstAt = performance.now();
  }
});
