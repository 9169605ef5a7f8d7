/**
 * Bugs a review of the change set 134e6da..5b4db21 found in its own new code
 * (redirect headers across hops, formatMs, Accept, excludeStatus, the worker
 * bundle). Each test failed before its fix; the comment above it says what
 * should happen and what happened instead.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { workerBundle } from '../common/worker.ts';
import { redirectHop } from './redirect.ts';
import type { ChainStart, RedirectHop } from './redirect.ts';
import { formatMs } from './summary.ts';
import { wantsOpenMetrics } from '../service/telemetry/exposition.ts';
import { formatConfigIssue, loadConfigText } from '../service/config/index.ts';

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
      ? redirectHop(from.origin, from.options, first, 302, location, from.userInfoAuth)
      : redirectHop(from.origin, { path: '/start', method: 'GET', headers: from.headers, body: null }, first, 302, location);
  if (typeof r === 'string') throw new Error(r);
  return r;
}

describe('redirects across several hops, as Go’s http.Client follows them', () => {
  const first: ChainStart = { hostname: 'a.example', setsReferer: false };

  it('does not send the explicit Host again to a scheme-less Location after an absolute one dropped it, as Go does not', () => {
    // Go (client.go, Client.do): `if req.Host != "" && req.Host != req.URL.Host { if loc is not absolute
    // { host = req.Host } }`, where req is the hop that got the redirect, not the chain's first request: once
    // an absolute Location dropped the custom Host, the hops after it have none to keep. (A review read it as
    // the first request's Host; Go's source says the previous hop's.)
    const hop1 = next({ origin: 'http://a.example', headers: ['host', 'custom.example'] }, first, 'http://a.example/a');
    expect(headerMap(hop1).host).toBeUndefined();
    const hop2 = next(hop1, first, '/b');
    expect(headerMap(hop2).host).toBeUndefined();
    // A relative Location straight after the first request keeps it.
    expect(headerMap(next({ origin: 'http://a.example', headers: ['host', 'custom.example'] }, first, '/b')).host).toBe('custom.example');
  });

  it('answers a Location’s user-info with basic auth on that hop only, not on a later absolute hop without it', () => {
    // Go's send() sets Authorization from req.URL.User on the hop's own (forked) request; later hops copy the
    // FIRST request's headers (makeHeadersCopier), which carry none, and `http://a.example/y` has no user-info:
    // Go sends no Authorization there. burnwatch added the Basic header to the hop's header list, and the next
    // hop inherited it (same host, so "trusted"): the credentials go out on a request Go sends without them.
    const hop1 = next({ origin: 'http://a.example', headers: [] }, first, 'http://u:p@a.example/x');
    expect(headerMap(hop1).authorization).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
    const hop2 = next(hop1, first, 'http://a.example/y');
    expect(headerMap(hop2).authorization).toBeUndefined();
  });
});

describe('formatMs cuts as k6 cuts (toFixedNoTrailingZerosTrunc)', () => {
  it('never shows a value just under a limit as the limit', () => {
    // formatMs's own doc: "cut, not rounded ... so a passing p(95)<1000 ... never reads as its limit".
    // k6: Math.trunc(100 * 999.9999999999) / 100 = 999.99 → "999.99ms". burnwatch read n·100 to 12
    // significant digits first (toPrecision(12)), which rounded 99999.99999999 up to 100000: "1000ms".
    expect(formatMs(999.9999999999)).toBe('999.99ms');
    expect(formatMs(0.9999999999996)).not.toBe('1000µs');
  });
});

describe('/metrics content negotiation (wantsOpenMetrics)', () => {
  it('lets an explicit text/plain;q=0 override the */* wildcard', () => {
    // RFC 9110 §12.5.1: the most specific media range decides a type's q, so `text/plain;q=0` makes the text
    // format not acceptable even with `*/*` (which then stands only for other types); OpenMetrics at q=0.5 is
    // the one acceptable format. wantsOpenMetrics took the max over text/plain, text/* and */*: text = 1 > 0.5,
    // so it answered with the text format the client said it cannot take.
    expect(wantsOpenMetrics('application/openmetrics-text;version=1.0.0;q=0.5, text/plain;q=0, */*;q=1')).toBe(true);
  });
});

describe('SLO errorRate excludeStatus', () => {
  it('refuses to exclude a status the probe expects, whose responses are ok and cannot be told from other ok ones', () => {
    // slos/spec.ts: excludeStatus are "HTTP statuses counted apart: neither good nor bad". A probe that accepts
    // 429 (expect status [200, 429]) records its 429s as `ok`; an interval's stats do not say which ok
    // responses were 429s, so ingestion subtracted min(#429, #http_error) and the 50 ok-429s cancelled
    // 10 × 500 (an SLI of 100 %). The config now refuses the combination, naming the request.
    const r = loadConfigText(`apiVersion: burnwatch/v1
kind: Probe
metadata: { name: p }
spec:
  target: http://127.0.0.1:9
  scenario: { executor: constant-vus, vus: 1, duration: 1s }
  requests: [{ name: get, url: /, expect: { status: [200, 429] } }]
---
apiVersion: burnwatch/v1
kind: SLO
metadata: { name: s }
spec: { probe: p, indicator: { errorRate: { excludeStatus: [503, 429] } }, objective: 99 }
`);
    expect(r.ok ? [] : r.errors.map(formatConfigIssue)).toEqual([
      '<config>:12:66 spec.indicator.errorRate.excludeStatus[1]: 429 is a status request "get" of probe "p" expects (its expect.status): those responses are ok, not errors, so excludeStatus cannot take them out of the bad events; remove 429 from excludeStatus or from the request\'s expected statuses',
    ]);
  });
});

describe('worker bundle (common/worker.ts)', () => {
  it('the load worker’s bundle does not import zod, as the CHANGELOG says', () => {
    // CHANGELOG (Unreleased, Changed): "The load worker's modules import `common/` files directly, so zod is
    // not loaded in it." probes/load-worker.ts still imported '../common/index.ts', which re-exports
    // common/schema.ts: the bundle started with `import { z } from "zod"`, so every load worker loaded zod.
    const dir = mkdtempSync(join(tmpdir(), 'review-j-bundle-'));
    dirs.push(dir);
    const bundle = workerBundle(new URL('./load-worker.ts', import.meta.url), dir);
    expect('url' in bundle).toBe(true);
    const [file] = readdirSync(dir);
    const code = readFileSync(join(dir, file!), 'utf8');
    expect(code.match(/^import .* from "zod";$/m)?.[0] ?? null).toBeNull();
  });
});
