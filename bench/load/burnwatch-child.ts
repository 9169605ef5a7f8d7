/**
 * Runs one burnwatch load in its own process for the bench, and prints one
 * JSON line: steady-state requests and CPU time (from the end of the first
 * second to the end), the summary's figures and RSS samples.
 *
 * Usage: node bin/run-ts.js bench/load/burnwatch-child.ts '<json: { url, scenario, threads?, rssEveryMs? }>'
 */
import { probeSpecSchema, startRun } from '../../probes/index.ts';

interface ChildConfig {
  url: string;
  scenario: Record<string, unknown>;
  threads?: number;
  rssEveryMs?: number;
}

const cfg = JSON.parse(process.argv[2] ?? '{}') as ChildConfig;
const spec = probeSpecSchema.parse({
  target: cfg.url,
  scenario: cfg.scenario,
  requests: [{ name: 'get', url: '/' }],
  // The bench measures the generator, not the safety net.
  autoAbort: { errorRate: 100, for: '1h' },
});
const rss: [number, number][] = [];
const t0 = performance.now();
const sampleRss = (): void => {
  rss.push([Math.round(performance.now() - t0), process.memoryUsage.rss()]);
};
const rssTimer = cfg.rssEveryMs ? setInterval(sampleRss, cfg.rssEveryMs) : undefined;
let firstCpu: NodeJS.CpuUsage | undefined;
let firstRequests = 0;
let firstElapsed = 0;
let lastCpu: NodeJS.CpuUsage | undefined;
let lastRequests = 0;
let lastElapsed = 0;
const run = startRun({ name: 'bench', ...spec }, {
  ...(cfg.threads ? { threads: cfg.threads } : {}),
  onProgress: (p) => {
    const cpu = process.cpuUsage();
    if (process.env.BENCH_DEBUG) process.stderr.write(`${JSON.stringify(p)}\n`);
    if (!firstCpu) {
      firstCpu = cpu;
      firstRequests = p.requests;
      firstElapsed = p.elapsedMs;
    }
    lastCpu = cpu;
    lastRequests = p.requests;
    lastElapsed = p.elapsedMs;
  },
});
const summary = await run.done;
if (rssTimer) clearInterval(rssTimer);
sampleRss();
const cpuUs = firstCpu && lastCpu ? lastCpu.user - firstCpu.user + lastCpu.system - firstCpu.system : 0;
process.stdout.write(
  `${JSON.stringify({
    requests: lastRequests - firstRequests,
    seconds: (lastElapsed - firstElapsed) / 1000,
    cpuUs,
    total: summary.metrics.http_reqs?.values.count ?? 0,
    dropped: summary.droppedIterations,
    lagP99Ms: summary.metrics.http_req_start_lag?.values['p(99)'] ?? null,
    p99Ms: summary.metrics.http_req_duration?.values['p(99)'] ?? null,
    p50Ms: summary.metrics.http_req_duration?.values.med ?? null,
    failed: summary.metrics.http_req_failed?.values.rate ?? null,
    threads: summary.threads,
    status: summary.status,
    rss,
  })}\n`,
);
