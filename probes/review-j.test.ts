/**
 * review-j: failing tests for bugs left by the change set 134e6da..5b4db21.
 * Each test fails on the current code; the comment above it says what should
 * happen and what happens instead.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { workerBundle } from '../common/worker.ts';
import type { IntervalSnapshot, RequestIntervalStats } from './results.ts';
import { redirectHop } from './redirect.ts';
import type { ChainStart, RedirectHop } from './redirect.ts';
import { formatMs } from './summary.ts';
import { wantsOpenMetrics } from '../service/telemetry/exposition.ts';
import { ingestSnapshot } from '../slos/ingest.ts';
import { sloSpecSchema, toSlo } from '../slos/spec.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** The hop's headers as a name (lower case) → value map. */
function headerMap(h: RedirectHop): Record<string, string> {
  const list = (h.options.headers ?? []) as string[];
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < list.length; i += 2) out[list[i]!.toLowerCase()] = list[i + 1]!;
  return out;
}

function next(from: RedirectHop | { origin: string; headers: string[] }, first: ChainStart, location: string): RedirectHop {
  const r =
    'options' in from
      ? redirectHop(from.origin, from.options, first, 302, location)
      : redirectHop(from.origin, { path: '/start', method: 'GET', headers: from.headers, body: null }, first, 302, location);
  if (typeof r === 'string') throw new Error(r);
  return r;
}

describe('redirects across several hops, as Go’s http.Client follows them', () => {
  const first: ChainStart = { hostname: 'a.example', setsReferer: false };

  it('sends the request’s explicit Host again to a later scheme-less Location after an absolute one dropped it', () => {
    // Go (client.go, Client.do): for every redirect, `host = ireq.Host` when that redirect's Location is
    // not absolute — ireq is the chain's FIRST request, so the custom Host comes back on any later relative
    // hop. probes/README.md: "an explicit `host` goes on only to a `Location` without a scheme (`/next`), as in Go".
    // burnwatch filters each hop's headers from the previous hop's, so once an absolute Location dropped the
    // Host, the relative `/b` after it goes out without it (Host: a.example instead of custom.example).
    const hop1 = next({ origin: 'http://a.example', headers: ['host', 'custom.example'] }, first, 'http://a.example/a');
    expect(headerMap(hop1).host).toBeUndefined();
    const hop2 = next(hop1, first, '/b');
    expect(headerMap(hop2).host).toBe('custom.example');
  });

  it('answers a Location’s user-info with basic auth on that hop only, not on a later absolute hop without it', () => {
    // Go's send() sets Authorization from req.URL.User on the hop's own (forked) request; later hops copy the
    // FIRST request's headers (makeHeadersCopier), which carry none, and `http://a.example/y` has no user-info:
    // Go sends no Authorization there. burnwatch adds the Basic header to the hop's header list, and the next
    // hop inherits it (same host, so "trusted"): the credentials go out on a request Go sends without them.
    const hop1 = next({ origin: 'http://a.example', headers: [] }, first, 'http://u:p@a.example/x');
    expect(headerMap(hop1).authorization).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
    const hop2 = next(hop1, first, 'http://a.example/y');
    expect(headerMap(hop2).authorization).toBeUndefined();
  });
});

describe('formatMs cuts as k6 cuts (toFixedNoTrailingZerosTrunc)', () => {
  it('never shows a value just under a limit as the limit', () => {
    // formatMs's own doc: "cut, not rounded ... so a passing p(95)<1000 ... never reads as its limit".
    // k6: Math.trunc(100 * 999.9999999999) / 100 = 999.99 → "999.99ms". burnwatch reads n·100 to 12
    // significant digits first (toPrecision(12)), which rounds 99999.99999999 up to 100000: "1000ms".
    expect(formatMs(999.9999999999)).toBe('999.99ms');
    expect(formatMs(0.9999999999996)).not.toBe('1000µs');
  });
});

describe('/metrics content negotiation (wantsOpenMetrics)', () => {
  it('lets an explicit text/plain;q=0 override the */* wildcard', () => {
    // RFC 9110 §12.5.1: the most specific media range decides a type's q, so `text/plain;q=0` makes the text
    // format not acceptable even with `*/*` (which then stands only for other types); OpenMetrics at q=0.5 is
    // the one acceptable format. wantsOpenMetrics takes the max over text/plain, text/* and */*: text = 1 > 0.5,
    // so it answers with the text format the client said it cannot take.
    expect(wantsOpenMetrics('application/openmetrics-text;version=1.0.0;q=0.5, text/plain;q=0, */*;q=1')).toBe(true);
  });
});

function stats(outcomes: Partial<RequestIntervalStats['outcomes']>, statuses: Record<string, number>): RequestIntervalStats {
  return {
    request: 'a',
    outcomes: { ok: 0, http_error: 0, assertion_failed: 0, timeout: 0, connect_error: 0, reset: 0, ...outcomes },
    statuses,
    latencyUs: '',
    waitingUs: '',
    within: {},
    headers: {},
    dataReceived: 0,
    dataSent: 0,
  };
}

describe('SLO errorRate excludeStatus', () => {
  it('does not let excluded responses the probe accepts cancel other http_errors', () => {
    // slos/spec.ts: excludeStatus are "HTTP statuses counted apart: neither good nor bad". A probe that accepts
    // 429 (expect status [200, 429]) records its 429s as `ok`, with status 429. 10 × 500 are http_errors and
    // must stay bad events. slos/ingest.ts subtracts min(#429, #http_error) from the bad count whatever the
    // 429s' outcome: the 50 ok-429s cancel the 10 × 500, bad = 0 (good 150 of 150: an SLI of 100 %).
    const t = Date.UTC(2025, 0, 6, 12, 0, 30);
    const slo = toSlo('s', sloSpecSchema.parse({ probe: 'p', indicator: { errorRate: { excludeStatus: [429] } }, objective: 99 }));
    const snap: IntervalSnapshot = {
      runId: 'r1',
      probe: 'p',
      start: t,
      end: t + 1000,
      requests: [stats({ ok: 150, http_error: 10 }, { '200': 100, '429': 50, '500': 10 })],
      iterations: 0,
      droppedIterations: 0,
      vus: 1,
      vusMax: 1,
      vusBusy: 1,
      samples: [],
    };
    const [d] = ingestSnapshot(slo, snap);
    expect(d!.total - d!.good).toBe(10);
  });
});

describe('worker bundle (common/worker.ts)', () => {
  it('the load worker’s bundle does not import zod, as the CHANGELOG says', () => {
    // CHANGELOG (Unreleased, Changed): "The load worker's modules import `common/` files directly, so zod is
    // not loaded in it." probes/load-worker.ts still imports '../common/index.ts', which re-exports
    // common/schema.ts: the bundle starts with `import { z } from "zod"`, so every load worker loads zod.
    const dir = mkdtempSync(join(tmpdir(), 'review-j-bundle-'));
    dirs.push(dir);
    const bundle = workerBundle(new URL('./load-worker.ts', import.meta.url), dir);
    expect('url' in bundle).toBe(true);
    const [file] = readdirSync(dir);
    const code = readFileSync(join(dir, file!), 'utf8');
    expect(code.match(/^import .* from "zod";$/m)?.[0] ?? null).toBeNull();
  });
});
