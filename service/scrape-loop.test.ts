import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryStore } from '../slos/index.ts';
import type { SliStore, Slo } from '../slos/index.ts';
import { eventually } from '../test/tools.ts';
import type { Config } from './config/index.ts';
import { ScrapeLoops } from './scrape-loop.ts';
import { memoryLogger } from './telemetry/test-support.ts';
import { configFrom, localServer } from './test-support.ts';
import type { LocalServer } from './test-support.ts';

const HITS = 'cache_hits_total{cache="main"}';
const TOTAL = 'cache_requests_total{cache="main"}';

/** What the target's /metrics answers: counters, a status, or a body without the series. */
interface Target {
  hits: number;
  total: number;
  status: number;
  series: boolean;
}

const servers: LocalServer[] = [];
const openLoops: ScrapeLoops[] = [];
afterEach(async () => {
  for (const l of openLoops.splice(0)) l.stop();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function target(): Promise<{ server: LocalServer; state: Target }> {
  const state: Target = { hits: 0, total: 0, status: 200, series: true };
  const server = await localServer((_req, res) => {
    res.statusCode = state.status;
    res.setHeader('content-type', 'text/plain; version=0.0.4');
    if (state.status !== 200) return res.end('internal error\n');
    const lines = ['# TYPE cache_hits_total counter', `cache_hits_total{cache="main"} ${state.hits}`, `cache_hits_total{cache="other"} 999`];
    if (state.series) lines.push('# TYPE cache_requests_total counter', `cache_requests_total{cache="main"} ${state.total}`);
    res.end(`${lines.join('\n')}\n`);
  });
  servers.push(server);
  return { server, state };
}

/** A scrape-based SLO `name` on `url`, and `header-hits` read from a response header. */
function sloConfig(url: string, name: string): Config {
  return configFrom(`
apiVersion: burnwatch/v1
kind: Probe
metadata: { name: api }
spec:
  target: http://127.0.0.1:9
  scenario: { executor: shared-iterations, vus: 1, iterations: 1, maxDuration: 5s }
  requests: [{ name: get, url: /x }]
---
apiVersion: burnwatch/v1
kind: SLO
metadata: { name: ${name} }
spec:
  probe: api
  indicator: { cacheHit: { scrape: "${url}", hits: '${HITS}', total: '${TOTAL}', interval: 1h } }
  objective: 90
---
apiVersion: burnwatch/v1
kind: SLO
metadata: { name: header-hits }
spec: { probe: api, indicator: { cacheHit: { header: X-Cache } }, objective: 90 }
`);
}

const scrapeSlo = (url: string, name = 'cache-hits'): Slo => sloConfig(url, name).slos.get(name)!;

function setup(): { loops: ScrapeLoops; store: SliStore; lines: Record<string, unknown>[] } {
  const store = createMemoryStore();
  const { logger, lines } = memoryLogger();
  const l = new ScrapeLoops(store, logger);
  openLoops.push(l);
  return { loops: l, store, lines };
}

const buckets = (store: SliStore, slo: string): { good: number; total: number }[] =>
  store.read(slo, 0, Number.MAX_SAFE_INTEGER).map((b) => ({ good: b.good, total: b.total }));

describe('ScrapeLoops.scrape', () => {
  it('stores nothing on the first scrape and the counter increases from the second on', async () => {
    const { server, state } = await target();
    const slo = scrapeSlo(`${server.url}/metrics`);
    const { loops, store } = setup();
    state.hits = 100;
    state.total = 120;
    await loops.scrape(slo);
    expect(buckets(store, 'cache-hits')).toEqual([]);
    state.hits = 130;
    state.total = 160;
    await loops.scrape(slo);
    // 30 hits out of 40 lookups; the series with cache="other" is not selected.
    expect(buckets(store, 'cache-hits')).toEqual([{ good: 30, total: 40 }]);
    state.hits = 131;
    state.total = 161;
    await loops.scrape(slo);
    const all = buckets(store, 'cache-hits');
    expect(all.reduce((n, b) => n + b.good, 0)).toBe(31);
    expect(all.reduce((n, b) => n + b.total, 0)).toBe(41);
  });

  it('starts over when a reload points the SLO at other counters: no delta between two targets', async () => {
    const staging = await target();
    const production = await target();
    const { loops, store } = setup();
    staging.state.hits = 100;
    staging.state.total = 120;
    await loops.scrape(scrapeSlo(`${staging.server.url}/metrics`));
    // The reloaded SLO, same name, reads another target whose counters have a life of their own.
    production.state.hits = 900_000;
    production.state.total = 1_000_000;
    const moved = scrapeSlo(`${production.server.url}/metrics`);
    await loops.scrape(moved);
    expect(buckets(store, 'cache-hits')).toEqual([]);
    production.state.hits = 900_009;
    production.state.total = 1_000_010;
    await loops.scrape(moved);
    expect(buckets(store, 'cache-hits')).toEqual([{ good: 9, total: 10 }]);
  });

  it('logs one warning per distinct error of a failing target, then one recovery line, and never throws', async () => {
    const down = await localServer();
    const downUrl = `${down.url}/metrics`;
    await down.close();
    const { server, state } = await target();
    const { loops, store, lines } = setup();

    const downSlo = scrapeSlo(downUrl);
    await expect(loops.scrape(downSlo)).resolves.toBeUndefined();
    await loops.scrape(downSlo);

    const slo = scrapeSlo(`${server.url}/metrics`);
    state.status = 500;
    await loops.scrape(slo);
    await loops.scrape(slo);
    state.status = 200;
    state.series = false;
    await loops.scrape(slo);
    await loops.scrape(slo);
    state.series = true;
    await loops.scrape(slo);
    await loops.scrape(slo);

    const scrapeLines = lines.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('cache metrics scrape')).map((l): unknown[] => [l.level, l.msg, l.url, l.err]);
    expect(scrapeLines).toEqual([
      // fetch's own message says nothing; the cause is what an operator acts on.
      ['warn', 'cache metrics scrape failed', downUrl, expect.stringMatching(/^fetch failed: .*ECONNREFUSED/)],
      ['warn', 'cache metrics scrape failed', `${server.url}/metrics`, 'HTTP 500'],
      ['warn', 'cache metrics scrape failed', `${server.url}/metrics`, `no series matching ${TOTAL}`],
      ['info', 'cache metrics scrape recovered', `${server.url}/metrics`, undefined],
    ]);
    expect(buckets(store, 'cache-hits')).toEqual([]);
  });

  it('scrapes an SLO only once at a time', async () => {
    const { server } = await target();
    const slo = scrapeSlo(`${server.url}/metrics`);
    const { loops } = setup();
    await Promise.all([loops.scrape(slo), loops.scrape(slo), loops.scrape(slo)]);
    expect(server.hits).toBe(1);
    await loops.scrape(slo);
    expect(server.hits).toBe(2);
  });

  it('does nothing for an SLO whose cache hits come from a response header', async () => {
    const { server } = await target();
    const header = sloConfig(`${server.url}/metrics`, 'cache-hits').slos.get('header-hits')!;
    const { loops, lines } = setup();
    await loops.scrape(header);
    expect(server.hits).toBe(0);
    expect(lines).toEqual([]);
  });
});

describe('ScrapeLoops.set', () => {
  it('scrapes every scrape-based SLO at once when set, and none of the others', async () => {
    const a = await target();
    const b = await target();
    const { loops } = setup();
    loops.set([scrapeSlo(`${a.server.url}/metrics`, 'a-hits'), scrapeSlo(`${b.server.url}/metrics`, 'b-hits')]);
    await eventually(() => (a.server.hits === 1 && b.server.hits === 1 ? true : undefined), 'both targets scraped', 5_000, 10);
    expect([a.server.hits, b.server.hits]).toEqual([1, 1]);
  });
});
