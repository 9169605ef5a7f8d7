/**
 * A probe's requests compiled once per run: templates, pre-built header
 * lists and bodies, expectations, and a frozen dispatch-options object for
 * requests with nothing templated (those allocate nothing of their own per
 * send). Also the weighted mix: smooth weighted round-robin (nginx's), so
 * the mix is exact over any stretch of iterations, not just on average.
 */
import type { Dispatcher } from 'undici';
import { compileExpect } from './expect.ts';
import type { CompiledExpect } from './expect.ts';
import type { ChainStart } from './redirect.ts';
import { compileJsonBody, compileTemplate } from './template.ts';
import type { CompiledTemplate, TemplateContext } from './template.ts';
import type { ProbeSpec } from './spec.ts';

export const USER_AGENT = 'burnwatch/0.1';

/**
 * undici closes the connection after every HEAD (and sends `connection:
 * close`), for servers that wrongly send a body with it; that would give each
 * HEAD a new TCP connect, counted in its latency. A VU keeps its connection,
 * as k6's does; a server that does send a body then fails the next request
 * on that connection, visibly.
 */
const KEEP_ALIVE: Partial<Record<string, { reset: false }>> = { HEAD: { reset: false } };
/** `noConnectionReuse`: undici sends `connection: close` and closes the connection after the response. */
const NO_REUSE: { reset: true } = { reset: true };

export interface CompiledRequest {
  index: number;
  name: string;
  method: Dispatcher.HttpMethod;
  /** `http://host:port` the request goes to (one undici Pool per origin). */
  origin: string;
  /** Where its redirect chains start (`hostname`, whether it sets its own `referer`). */
  chain: ChainStart;
  path: CompiledTemplate;
  /** Header names and templates, in order; static values have `isStatic`. */
  headers: { name: string; value: CompiledTemplate }[];
  /** Flat [name, value, ...] when no header is templated. */
  staticHeaders: string[] | undefined;
  body: CompiledTemplate | undefined;
  /** The body, encoded once, when it is not templated. */
  staticBody: Buffer | undefined;
  /**
   * Everything static: the options object is reused for every send (undici
   * does not mutate it). undici's own header/body timers are off
   * (`headersTimeout: 0, bodyTimeout: 0`, ~15 % of its per-request CPU): the
   * engine's sweep enforces the whole-request timeout, and a request that
   * never reached a connection is bounded by the connect timeout.
   */
  staticOptions: Dispatcher.DispatchOptions | undefined;
  timeoutMs: number;
  /** undici's `reset` for its sends: `true` with noConnectionReuse (no keep-alive), `false` for HEAD (see KEEP_ALIVE), else unset. */
  reset: { reset: boolean } | undefined;
  /** Think time after it, ms (the request's `sleep`, else the probe's; 0 and 0: none); drawn uniformly from [min, max]. */
  sleepMinMs: number;
  sleepMaxMs: number;
  /** Redirects to follow (the request's `redirects`, else the probe's `maxRedirects`). */
  maxRedirects: number;
  /** `auth: digest`: the URL's credentials, answered to a 401's Digest challenge from the request's origin (digest.ts); undefined: basic, or none. */
  digest: Credentials | undefined;
  /**
   * Its `Connection` header lists `close`, or noConnectionReuse: undici then closes an HTTP/1.1
   * connection after the response; over HTTP/2, where the header is not
   * sent, the engine retires the connection after it, as Go's client
   * (k6) stops reusing it (`doNotReuse`).
   */
  closesConnection: boolean;
  expect: CompiledExpect;
}

/**
 * The request's path (and query) relative to the origin, joining the
 * target's base path, and the `Authorization` the URL's user-info asks for
 * (`https://user:pass@host`: basic auth, as Go's client and so k6 send it).
 */
function splitUrl(target: string, url: string): { origin: string; pathTemplate: string; credentials: Credentials | undefined } {
  if (url.startsWith('/')) {
    const t = new URL(target);
    const base = t.pathname.replace(/\/+$/, '');
    return { origin: t.origin, pathTemplate: `${base}${url}`, credentials: urlCredentials(t) };
  }
  const m = /^(https?:\/\/[^/?#]*)(.*)$/.exec(url)!;
  const u = new URL(m[1]!);
  const rest = m[2] ?? '';
  return { origin: u.origin, pathTemplate: rest.startsWith('/') ? rest : `/${rest}`, credentials: urlCredentials(u) };
}

/** A URL's user name and password, percent-decoded. */
export interface Credentials {
  username: string;
  password: string;
}

/** The user-info of a URL (percent-decoded, as Go decodes it); `undefined` without. */
function urlCredentials(u: URL): Credentials | undefined {
  if (u.username === '' && u.password === '') return undefined;
  return { username: decoded(u.username), password: decoded(u.password) };
}

/** `Basic …` for a URL with user-info (percent-decoded, as Go decodes it); `undefined` without. */
export function basicAuth(u: URL): string | undefined {
  const c = urlCredentials(u);
  return c && basicOf(c);
}

function basicOf(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}

/** Percent-decoded, or as written when a `%` starts no escape (`100%`). */
function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Compiles every request of a probe (the spec is already validated). */
export function compileRequests(probe: ProbeSpec): CompiledRequest[] {
  return probe.requests.map((r, index) => {
    const { origin, pathTemplate, credentials } = splitUrl(probe.target, r.url);
    const path = compileTemplate(pathTemplate);
    const headerEntries = Object.entries(r.headers);
    const lower = new Set(headerEntries.map(([k]) => k.toLowerCase()));
    // Validation makes sure a digest request has credentials and no Authorization of its own.
    const digest = (r.auth ?? probe.auth) === 'digest' && credentials ? credentials : undefined;
    // Go's client: the URL's credentials unless the request sets its own Authorization.
    if (credentials !== undefined && !digest && !lower.has('authorization')) headerEntries.push(['authorization', basicOf(credentials)]);
    let body: CompiledTemplate | undefined;
    if (r.body !== undefined) {
      if (typeof r.body === 'string') body = compileTemplate(r.body);
      else {
        body = compileJsonBody(r.body);
        if (!lower.has('content-type')) headerEntries.push(['content-type', 'application/json']);
      }
    }
    const headers = headerEntries.map(([name, value]) => ({ name, value: compileTemplate(value) }));
    // Literal, as k6's userAgent is: not a template.
    const userAgent = probe.userAgent ?? USER_AGENT;
    if (!lower.has('user-agent') && userAgent !== '') headers.push({ name: 'user-agent', value: { isStatic: true, text: userAgent, render: () => userAgent } });
    const staticHeaders = headers.every((h) => h.value.isStatic) ? headers.flatMap((h) => [h.name, h.value.text]) : undefined;
    const staticBody = body?.isStatic ? Buffer.from(body.text) : undefined;
    const timeoutMs = r.timeout ?? probe.timeout;
    const reset = probe.noConnectionReuse || probe.noVUConnectionReuse ? NO_REUSE : KEEP_ALIVE[r.method];
    const staticOptions: Dispatcher.DispatchOptions | undefined =
      path.isStatic && staticHeaders && (!body || staticBody)
        ? Object.freeze({
            path: path.text,
            method: r.method,
            headers: staticHeaders,
            body: staticBody ?? null,
            headersTimeout: 0,
            bodyTimeout: 0,
            ...reset,
          })
        : undefined;
    return {
      index,
      name: r.name,
      method: r.method,
      origin,
      chain: { hostname: new URL(origin).hostname, setsReferer: lower.has('referer') },
      path,
      headers,
      staticHeaders,
      body,
      staticBody,
      staticOptions,
      timeoutMs,
      reset,
      sleepMinMs: (r.sleep ?? probe.sleep)?.minMs ?? 0,
      sleepMaxMs: (r.sleep ?? probe.sleep)?.maxMs ?? 0,
      maxRedirects: r.redirects ?? probe.maxRedirects,
      digest,
      // Validation keeps `connection` a written-out list of tokens.
      closesConnection: reset === NO_REUSE || headerEntries.some(([k, v]) => k.toLowerCase() === 'connection' && v.split(',').some((t) => t.trim().toLowerCase() === 'close')),
      expect: compileExpect(r.expect),
    };
  });
}

/** A built request: what to dispatch, and its path. */
export interface BuiltRequest {
  options: Dispatcher.DispatchOptions;
  path: string;
}

/**
 * Builds the dispatch options of one send. Static requests return their
 * frozen options; `extraHeader` (a traceparent) forces a copy.
 */
export function buildRequest(req: CompiledRequest, ctx: TemplateContext, extraHeader?: [string, string]): BuiltRequest {
  if (req.staticOptions && !extraHeader) {
    return { options: req.staticOptions, path: req.path.text };
  }
  const path = req.path.render(ctx);
  let headers: string[];
  if (req.staticHeaders) headers = extraHeader ? [...req.staticHeaders, extraHeader[0], extraHeader[1]] : req.staticHeaders;
  else {
    headers = [];
    for (const h of req.headers) {
      headers.push(h.name);
      if (h.value.isStatic) headers.push(h.value.text);
      else headers.push(h.value.render(ctx));
    }
    if (extraHeader) headers.push(extraHeader[0], extraHeader[1]);
  }
  const body = req.staticBody ?? req.body?.render(ctx) ?? null;
  return {
    options: { path, method: req.method, headers, body, headersTimeout: 0, bodyTimeout: 0, ...req.reset },
    path,
  };
}

/**
 * Smooth weighted round-robin: over any `sum(weights)` consecutive picks,
 * request i is picked in proportion to its weight, interleaved.
 *
 * @example
 * const pick = weightedPicker([2, 1]); [pick(), pick(), pick()] // [0, 1, 0]
 */
export function weightedPicker(given: readonly number[]): () => number {
  const n = given.length;
  if (n === 1) return () => 0;
  // Weights whose sum overflows (two of 1e308) are scaled to the largest, once: shares are relative.
  const max = Math.max(...given);
  const weights = Number.isFinite(given.reduce((a, b) => a + b, 0)) ? given : given.map((w) => w / max);
  const total = weights.reduce((a, b) => a + b, 0);
  const current = new Float64Array(n);
  return () => {
    let best = 0;
    for (let i = 0; i < n; i++) {
      current[i]! += weights[i]!;
      if (current[i]! > current[best]!) best = i;
    }
    current[best]! -= total;
    return best;
  };
}
