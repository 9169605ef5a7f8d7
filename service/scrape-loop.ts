/**
 * Cache-hit SLIs read from the target's own Prometheus metrics
 * (`cacheHit: { scrape, hits, total }`): each such SLO is scraped on its
 * interval and the counter increases go to the SLI store. Each scrape is
 * bounded (timeout, body size) and a failing target is logged once per
 * change of error, never thrown.
 */
import { errorMessage } from '../common/index.ts';
import { scrapeDelta, sumSamples } from '../slos/index.ts';
import type { ScrapeSample, SliStore, Slo } from '../slos/index.ts';
import type { Logger } from './logger.ts';

const TIMEOUT_MS = 5_000;
const MAX_BYTES = 8 * 1024 * 1024;

export class ScrapeLoops {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Per SLO, the last sample and the counters it was read from (a reload may point the SLO elsewhere). */
  private readonly last = new Map<string, { source: string; sample: ScrapeSample }>();
  private readonly lastError = new Map<string, string>();
  private readonly inFlight = new Set<string>();
  private readonly store: SliStore;
  private readonly logger: Logger;

  constructor(store: SliStore, logger: Logger) {
    this.store = store;
    this.logger = logger;
  }

  /** (Re)starts a loop for every scrape-based SLO; stops loops of SLOs no longer configured. */
  set(slos: readonly Slo[]): void {
    this.stop();
    for (const slo of slos) {
      const ind = slo.indicator;
      if (ind.kind !== 'cacheHit' || ind.source !== 'scrape') continue;
      const timer = setInterval(() => void this.scrape(slo), ind.intervalMs);
      timer.unref();
      this.timers.set(slo.name, timer);
      void this.scrape(slo);
    }
  }

  stop(): void {
    for (const t of this.timers.values()) clearInterval(t);
    this.timers.clear();
  }

  /** One scrape of one SLO's target (exported for tests through the class). */
  async scrape(slo: Slo): Promise<void> {
    const ind = slo.indicator;
    if (ind.kind !== 'cacheHit' || ind.source !== 'scrape' || this.inFlight.has(slo.name)) return;
    this.inFlight.add(slo.name);
    try {
      const res = await fetch(ind.url, { signal: AbortSignal.timeout(TIMEOUT_MS), headers: { accept: 'text/plain' } });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const length = Number(res.headers.get('content-length') ?? 0);
      if (length > MAX_BYTES) throw new Error(`metrics body of ${length} bytes is over the ${MAX_BYTES} byte limit`);
      const text = await res.text();
      if (text.length > MAX_BYTES) throw new Error(`metrics body over the ${MAX_BYTES} byte limit`);
      const hits = sumSamples(text, ind.hits);
      const total = sumSamples(text, ind.total);
      if (hits === null || total === null) throw new Error(`no series matching ${hits === null ? ind.hits : ind.total}`);
      const cur = { at: Date.now(), hits, total };
      // Counters of another URL or selector are not the ones last read: a first scrape, not a delta.
      const source = JSON.stringify([ind.url, ind.hits, ind.total]);
      const prev = this.last.get(slo.name);
      const deltas = scrapeDelta(prev?.source === source ? prev.sample : null, cur);
      this.last.set(slo.name, { source, sample: cur });
      if (deltas.length > 0) this.store.append(slo.name, deltas);
      if (this.lastError.delete(slo.name)) this.logger.info('cache metrics scrape recovered', { slo: slo.name, url: ind.url });
    } catch (err) {
      // fetch() says only "fetch failed"; the cause (ECONNREFUSED, a timeout) is what an operator needs.
      const cause = err instanceof Error && err.cause !== undefined ? `: ${errorMessage(err.cause)}` : '';
      const message = `${errorMessage(err)}${cause}`;
      if (this.lastError.get(slo.name) !== message) this.logger.warn('cache metrics scrape failed', { slo: slo.name, url: ind.url, err: message });
      this.lastError.set(slo.name, message);
    } finally {
      this.inFlight.delete(slo.name);
    }
  }
}
