/**
 * The `Probe` kind: wire schema (zod, strict) and the model it maps to.
 * Executor names, options and defaults follow k6
 * (https://grafana.com/docs/k6/latest/using-k6/scenarios/executors/).
 */
import { z } from 'zod';
import { durationMs, formatDuration, labels, percentRatio, positiveDurationMs } from '../common/index.ts';
import { DEFAULT_DNS, DNS_POLICIES, DNS_SELECTS, parseDnsTtl } from './dns.ts';
import type { DnsConfig } from './dns.ts';
import { expectProblems } from './expect.ts';
import { REDIRECT_STATUSES } from './redirect.ts';
import { hostsProblems } from './hosts.ts';
import { parseLocalIps } from './local-ips.ts';
import { tlsAuthProblems } from './tls-auth.ts';
import { tlsOptionsProblems } from './tls-options.ts';
import { trendStatProblem } from './trend-stats.ts';
import { jsonBodyProblems, templateLiterals, templatePieces, templateProblem } from './template.ts';

const HOUR_MS = 3_600_000;
/**
 * Think time after a request (k6 scripts' `sleep()`): a duration, or
 * `{ min, max }` for a uniformly random one; at most 1 h. Parsed to
 * `{ minMs, maxMs }` (equal for a fixed sleep).
 */
const sleepSchema = z
  .union([durationMs, z.strictObject({ min: durationMs, max: durationMs })], { error: 'expected a duration (1s) or { min, max } durations' })
  .transform((v, ctx) => {
    const s = typeof v === 'number' ? { minMs: v, maxMs: v } : { minMs: v.min, maxMs: v.max };
    if (s.minMs > s.maxMs) ctx.addIssue({ code: 'custom', message: `min (${formatDuration(s.minMs)}) is above max (${formatDuration(s.maxMs)})` });
    else if (s.maxMs > HOUR_MS) ctx.addIssue({ code: 'custom', message: 'expected a sleep of at most 1h' });
    return s;
  });

/** A request timeout: latencies are recorded up to 1 h (the histograms' top), so a longer one could not be measured. */
const timeoutMs = positiveDurationMs.refine((ms) => ms <= HOUR_MS, { message: 'expected a timeout of at most 1h (latencies are recorded up to 1 hour)' });

const vuCount = z.number({ error: 'expected a whole number of VUs, 1 or more' }).int().positive();
const stage = z.strictObject({
  duration: durationMs,
  target: z.number({ error: 'expected a target number' }).nonnegative(),
});

const common = {
  startTime: durationMs.default(0),
  gracefulStop: durationMs.default(30_000),
  tags: labels.default({}),
};

/**
 * k6 rejects an arrival-rate scenario whose maxVUs is below its
 * preAllocatedVUs, rather than raising it silently; preAllocatedVUs may be
 * 0 (VUs start as arrivals need them) when maxVUs gives at least one.
 */
function maxVusAtLeastPreallocated(s: { preAllocatedVUs: number; maxVUs?: number | undefined }, ctx: z.RefinementCtx): void {
  if (s.maxVUs !== undefined && s.maxVUs < s.preAllocatedVUs) {
    ctx.addIssue({ code: 'custom', path: ['maxVUs'], message: `maxVUs (${s.maxVUs}) can't be less than preAllocatedVUs (${s.preAllocatedVUs})` });
  } else if (s.preAllocatedVUs === 0 && !s.maxVUs) {
    ctx.addIssue({ code: 'custom', path: ['maxVUs'], message: 'with preAllocatedVUs 0, give maxVUs (at least 1): the VUs arrivals may use' });
  }
}

/** preAllocatedVUs: whole, 0 allowed (k6). */
const preAllocatedVus = z.number({ error: 'expected a whole number of VUs, 0 or more' }).int().nonnegative();

const constantArrivalRate = z
  .strictObject({
    executor: z.literal('constant-arrival-rate'),
    rate: z.number({ error: 'expected a rate greater than 0 (iterations per timeUnit)' }).positive(),
    timeUnit: positiveDurationMs.default(1_000),
    duration: positiveDurationMs,
    preAllocatedVUs: preAllocatedVus,
    maxVUs: vuCount.optional(),
    ...common,
  })
  .superRefine(maxVusAtLeastPreallocated)
  .transform((s) => ({ ...s, maxVUs: s.maxVUs ?? s.preAllocatedVUs }));

const rampingArrivalRate = z
  .strictObject({
    executor: z.literal('ramping-arrival-rate'),
    startRate: z.number().nonnegative().default(0),
    timeUnit: positiveDurationMs.default(1_000),
    stages: z.array(stage).min(1, { message: 'expected at least one stage' }),
    preAllocatedVUs: preAllocatedVus,
    maxVUs: vuCount.optional(),
    ...common,
  })
  .superRefine((s, ctx) => {
    if (s.stages.reduce((sum, st) => sum + st.duration, 0) <= 0) {
      ctx.addIssue({ code: 'custom', path: ['stages'], message: 'the stages last 0s in total; expected at least one stage with a duration' });
    }
  })
  .superRefine(maxVusAtLeastPreallocated)
  .transform((s) => ({ ...s, maxVUs: s.maxVUs ?? s.preAllocatedVUs }));

const constantVus = z.strictObject({
  executor: z.literal('constant-vus'),
  vus: vuCount.default(1),
  duration: positiveDurationMs,
  ...common,
});

const rampingVus = z
  .strictObject({
    executor: z.literal('ramping-vus'),
    startVUs: z.number().int().nonnegative().default(1),
    stages: z.array(stage).min(1, { message: 'expected at least one stage' }),
    gracefulRampDown: durationMs.default(30_000),
    ...common,
  })
  .superRefine((s, ctx) => {
    s.stages.forEach((st, i) => {
      if (!Number.isInteger(st.target)) {
        ctx.addIssue({ code: 'custom', path: ['stages', i, 'target'], message: `a ramping-vus target is a number of VUs and must be whole, got ${st.target}` });
      }
    });
    if (s.stages.reduce((sum, st) => sum + st.duration, 0) <= 0) {
      ctx.addIssue({ code: 'custom', path: ['stages'], message: 'the stages last 0s in total; expected at least one stage with a duration' });
    }
    if (s.startVUs === 0 && s.stages.every((st) => st.target === 0)) {
      ctx.addIssue({ code: 'custom', path: ['stages'], message: "either startVUs or one of the stages' targets must be greater than 0 (k6's rule): this scenario would run no VU" });
    }
  });

const sharedIterations = z
  .strictObject({
    executor: z.literal('shared-iterations'),
    vus: vuCount.default(1),
    iterations: z.number().int().positive().default(1),
    maxDuration: positiveDurationMs.default(600_000),
    ...common,
  })
  .superRefine((s, ctx) => {
    // k6's rule: a VU with no iteration to share would only idle.
    if (s.iterations < s.vus) {
      ctx.addIssue({ code: 'custom', path: ['iterations'], message: `the number of iterations (${s.iterations}) can't be less than the number of VUs (${s.vus})` });
    }
  });

const perVuIterations = z.strictObject({
  executor: z.literal('per-vu-iterations'),
  vus: vuCount.default(1),
  iterations: z.number().int().positive().default(1),
  maxDuration: positiveDurationMs.default(600_000),
  ...common,
});

export const EXECUTORS = [
  'constant-arrival-rate',
  'ramping-arrival-rate',
  'constant-vus',
  'ramping-vus',
  'shared-iterations',
  'per-vu-iterations',
] as const;

export const scenarioSchema = z.discriminatedUnion(
  'executor',
  [constantArrivalRate, rampingArrivalRate, constantVus, rampingVus, sharedIterations, perVuIterations],
  { error: `expected executor to be one of ${EXECUTORS.join(', ')}` },
);

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;

const expectSchema = z.strictObject({
  /** Accepted status codes; default 200–399. */
  status: z.array(z.number().int().min(100).max(599)).min(1).optional(),
  /** Header name → exact value, or `{ matches: regex }`, or `{ present: bool }`. */
  headers: z
    .record(z.string(), z.union([z.string(), z.strictObject({ matches: z.string() }), z.strictObject({ present: z.boolean() })]))
    .default({}),
  /** JSON path (`$.a.b[0]`) → expected value, or `{ exists: bool }`. */
  json: z.record(z.string(), z.unknown()).default({}),
});

/** An HTTP token (RFC 9110 §5.6.2): a header name, or an item of a `connection` value. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Request header names (lower case) undici refuses to send (lib/core/request.js
 * processHeader): every request would fail "not sent" and the target see none.
 * `content-length` it accepts only as digits that match the body (and drops
 * without one): the client sets it.
 */
const REFUSED_HEADERS: Readonly<Record<string, string>> = {
  expect: 'expect is not supported by the HTTP client (undici), which would refuse to send the request; remove it',
  'keep-alive': 'keep-alive is managed by the HTTP client (connections are kept alive; "connection: close" ends one after its response); remove it',
  'transfer-encoding': 'transfer-encoding is set by the HTTP client from the body; remove it',
  upgrade: 'upgrade (switching protocols, e.g. to WebSocket) is not supported by the HTTP client; remove it',
  'content-length': 'content-length is set by the HTTP client from the body; remove it',
};


/**
 * Why undici would refuse a request header, by its rules (names
 * case-insensitive), or `undefined`; `seen` maps the lower-case names of
 * the request's earlier headers to their spelling, for `host`, which
 * undici refuses twice.
 */
function refusedHeaderProblem(name: string, value: string, seen: Map<string, string>): string | undefined {
  const lower = name.toLowerCase();
  const refused = REFUSED_HEADERS[lower];
  if (refused !== undefined) return refused;
  if (lower === 'host' && seen.has(lower)) return `host is given twice ("${seen.get(lower)!}" and "${name}"); give it once`;
  if (lower === 'connection') {
    if (value.includes('{{')) return 'connection cannot be templated; write it out ("close" ends the connection after each response, otherwise it is kept alive)';
    if (!value.split(',').every((t) => TOKEN.test(t.trim()))) {
      return `connection must be a comma-separated list of tokens, such as "close" or "keep-alive", got ${JSON.stringify(value)}`;
    }
  }
  return undefined;
}
/**
 * What a request line cannot carry as it is: spaces, control characters and
 * anything beyond ASCII (undici would send U+0080–U+00FF as raw bytes, which
 * servers reject or misread; k6 percent-encodes them as UTF-8).
 */
const URL_FORBIDDEN = /[^\x21-\x7e]/u;

/**
 * A `%` that does not start a percent-encoding (RFC 3986 §2.1). undici sends
 * it raw; k6 (Go's url.Parse) refuses it in the path ("invalid URL escape"),
 * and a server that decodes the URL refuses the request (the demo target:
 * 400 in the query, 404 in the path).
 */
const BAD_PERCENT = /%(?![0-9A-Fa-f]{2})/;

/**
 * Why a URL template's `%` is not a percent-encoding, or `undefined`. Each
 * literal run and each `pick` item must be well-formed on its own: a tag's
 * output never completes an escape begun in the text (`%{{randInt 10 99}}`
 * is an error), as no generator is known to render exactly two hex digits.
 */
function badPercentProblem(url: string): string | undefined {
  for (const piece of templatePieces(url)) {
    const m = BAD_PERCENT.exec(piece.text);
    if (!m) continue;
    const t = piece.text;
    const shown = t.length <= 40 ? t : `${m.index > 20 ? '…' : ''}${t.slice(Math.max(0, m.index - 20), m.index + 3)}${m.index + 3 < t.length ? '…' : ''}`;
    const where = piece.item ? `in the {{pick}} item ${JSON.stringify(shown)}` : JSON.stringify(shown);
    const tagAfter =
      piece.beforeTag && /^[0-9A-Fa-f]?$/.test(t.slice(m.index + 1))
        ? "; a tag's output cannot complete an escape: write all of it in the text, or none (e.g. %{{pick 41 42}} → {{pick %41 %42}})"
        : '';
    return `the URL contains "%" not followed by two hex digits (${where}); write %25 for a literal percent sign${tagAfter}`;
  }
  return undefined;
}

/** `%C3%A9` for "é". */
const utf8PercentEncoded = (ch: string): string => [...Buffer.from(ch, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');

/** `U+0007` for a character. */
const codePoint = (ch: string): string => `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

/** What undici refuses in a header value: control characters other than tab, DEL, and anything beyond one byte. */
const HEADER_VALUE_FORBIDDEN = /[^\t\x20-\x7e\x80-\xff]/u;

const WEIGHT = "expected a weight greater than 0 (the request's share of the mix); to send none of a request, remove it";

const REDIRECT_COUNT = 'expected a whole number of redirects, 0 or more (0: do not follow)';
/** A redirect limit: k6's `maxRedirects` option and per-request `redirects` param. */
const redirectCount = z.number({ error: REDIRECT_COUNT }).int({ error: REDIRECT_COUNT }).min(0, { error: REDIRECT_COUNT });

/**
 * The fields the request checks below read: they also run when another
 * field of the request is invalid or unknown (a bad `timeout` or a typo
 * such as `timeot` must not hide a bad URL template), as long as these parsed.
 */
const REQUEST_CHECK_READS = new Set(['url', 'headers', 'body', 'method', 'expect']);

export const AUTH_KINDS = ['basic', 'digest'] as const;
const authSchema = z.string().transform((v, ctx) => {
  if ((AUTH_KINDS as readonly string[]).includes(v)) return v as (typeof AUTH_KINDS)[number];
  ctx.addIssue({
    code: 'custom',
    message: v === 'ntlm' ? 'auth: ntlm (k6’s NTLM) is not supported; burnwatch sends basic and digest' : `expected one of ${AUTH_KINDS.join(', ')}`,
  });
  return z.NEVER;
});

const requestSchema = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9_.-]+$/, { message: 'expected a request name of letters, digits, "_", "-" or "."' }),
    weight: z
      .number({ error: WEIGHT })
      .positive({ error: WEIGHT })
      .default(1),
    method: z.enum(HTTP_METHODS, { error: `expected method to be one of ${HTTP_METHODS.join(', ')}` }).default('GET'),
    /** A path relative to `target` (`/v1/...`, templated) or an absolute http(s) URL whose origin is not templated. */
    url: z.string().min(1),
    /** Header values are templated. */
    headers: z.record(z.string(), z.string()).default({}),
    /** A string (templated) or any JSON value (string leaves templated, sent as application/json). */
    body: z.unknown().optional(),
    timeout: timeoutMs.optional(),
    /** Think time after this request (replaces the probe's `sleep`). */
    sleep: sleepSchema.optional(),
    /** Redirects to follow for this request (k6's `redirects` param); default: the probe's `maxRedirects`. */
    redirects: redirectCount.optional(),
    /** How the URL's credentials are sent (k6's `auth` param); default: the probe's `auth`. */
    auth: authSchema.optional(),
    expect: expectSchema.default({ headers: {}, json: {} }),
    tags: labels.default({}),
  })
  .superRefine((r, ctx) => {
    const add = (path: (string | number)[], message: string): void => ctx.addIssue({ code: 'custom', path, message });
    const urlProblem = templateProblem(r.url);
    if (urlProblem) add(['url'], urlProblem);
    else if (!r.url.startsWith('/')) {
      const m = /^(https?):\/\/([^/?#]*)/.exec(r.url);
      if (!m) add(['url'], `"${r.url}" is neither a path starting with "/" (relative to target) nor an absolute http(s) URL`);
      else if (m[2]!.includes('{{')) add(['url'], 'the scheme, host and port of an absolute URL cannot be templated; template the path or query instead');
      else {
        try {
          new URL(m[0]);
        } catch (err) {
          add(['url'], `"${m[0]}" is not a valid origin (${(err as Error).message}); expected scheme://host[:port] with a port of at most 65535`);
        }
      }
    }
    const literals = urlProblem ? '' : templateLiterals(r.url);
    const badInUrl = URL_FORBIDDEN.exec(literals);
    if (badInUrl) {
      const ch = badInUrl[0];
      add(
        ['url'],
        ch === ' '
          ? 'the URL contains a space; percent-encode it as %20'
          : ch.codePointAt(0)! > 0x7f
            ? `the URL contains ${codePoint(ch)} ("${ch}"), which a request line cannot carry as it is; percent-encode it as UTF-8: ${utf8PercentEncoded(ch)}`
            : `the URL contains the control character ${codePoint(ch)}; percent-encode it`,
      );
    }
    if (literals.includes('#')) {
      add(['url'], 'the URL contains "#": a fragment is never sent to a server; remove it, or percent-encode it as %23 if it is part of a value');
    }
    const percent = urlProblem ? undefined : badPercentProblem(r.url);
    if (percent) add(['url'], percent);
    const seenHeaders = new Map<string, string>();
    for (const [name, value] of Object.entries(r.headers)) {
      if (!TOKEN.test(name)) add(['headers', name], `"${name}" is not a valid HTTP header name`);
      const refused = refusedHeaderProblem(name, value, seenHeaders);
      if (refused) add(['headers', name], refused);
      seenHeaders.set(name.toLowerCase(), name);
      const p = templateProblem(value);
      if (p) add(['headers', name], p);
      // Generators add only printable ASCII and `pick`'s items, whose escapes ("\r\n") decode to any character, so
      // the value as written and its literals (the items decoded) cover every value it can produce; undici would
      // refuse the request at send time.
      const bad = (HEADER_VALUE_FORBIDDEN.exec(value) ?? (p ? null : HEADER_VALUE_FORBIDDEN.exec(templateLiterals(value))))?.[0];
      if (bad) {
        add(
          ['headers', name],
          bad.codePointAt(0)! > 0xff
            ? `the value contains ${codePoint(bad)} ("${bad}"), outside the bytes an HTTP header can carry; percent-encode it`
            : `the value contains the control character ${codePoint(bad)}, which HTTP does not allow in a header`,
        );
      }
    }
    if (r.body !== undefined) {
      for (const p of jsonBodyProblems(r.body)) add(['body', ...p.path], p.message);
      if (r.method === 'GET' || r.method === 'HEAD') add(['body'], `a ${r.method} request cannot have a body`);
    }
    for (const p of expectProblems(r.expect)) add(['expect', ...p.path], p.message);
  }, { when: (payload) => payload.issues.every((i) => i.code === 'unrecognized_keys' || ((i.path?.length ?? 0) > 0 && !REQUEST_CHECK_READS.has(String(i.path![0])))) });

const thresholdEntry = z.union([
  z.string(),
  z.strictObject({
    threshold: z.string(),
    abortOnFail: z.boolean().default(false),
    delayAbortEval: durationMs.default(0),
    /**
     * burnwatch extension: evaluate over every sliding window of this length
     * (ending at each interval boundary) instead of the whole run; fails when
     * any window fails. With abortOnFail it stops the run at the first bad
     * window (breakpoint tests).
     */
    window: positiveDurationMs.refine((ms) => ms <= HOUR_MS, { message: 'expected a window of at most 1h (the run keeps every interval of it; for longer spans use an SLO)' }).optional(),
  }),
]);

/** A probe's `thresholds`: metric key → expressions (checked further by thresholds.ts). */
export const thresholdsSchema = z.record(z.string(), z.array(thresholdEntry));

export const probeSpecSchema = z.strictObject({
  description: z.string().optional(),
  /** Cron expression (node-cron, 5 or 6 fields); omitted = on demand only. */
  schedule: z.string().optional(),
  /** Random delay added to each scheduled start, to spread probes that share a schedule. */
  jitter: durationMs.default(0),
  target: z.url({ protocol: /^https?$/, error: 'expected an absolute http(s) URL such as http://127.0.0.1:8081' }),
  scenario: scenarioSchema,
  requests: z.array(requestSchema).min(1, { message: 'expected at least one request' }),
  thresholds: thresholdsSchema.default({}),
  /**
   * k6's option: redirects (301, 302, 303, 307, 308 with a Location) to
   * follow per request, 0 = none; a request's `redirects` overrides it. The
   * chain is one request: latency to the final response, its status.
   */
  maxRedirects: redirectCount.default(10),
  /** Default per-request timeout. */
  timeout: timeoutMs.default(10_000),
  /**
   * k6's `auth` param, for every request (a request's `auth` overrides it):
   * how credentials in a URL (`https://user:pass@host`) are sent. `basic`:
   * as `Authorization: Basic`, with every request. `digest`: the request
   * goes without them, and a 401 with a Digest challenge is answered by
   * sending it again with `Authorization: Digest` (digest.ts). NTLM is not
   * supported.
   */
  auth: authSchema.default('basic'),
  /** k6's option: the User-Agent of requests that set none (default burnwatch's); empty: none sent, as in k6. */
  userAgent: z
    .string()
    .refine((v) => !HEADER_VALUE_FORBIDDEN.test(v), { message: 'expected a header value: no control characters, nothing beyond U+00FF' })
    .optional(),
  /**
   * Think time (k6 scripts' `sleep()` after a request): a VU pauses this
   * long after each response, the pause being part of its iteration (as in
   * k6: `iteration_duration` holds it, and an open-model VU is busy).
   */
  sleep: sleepSchema.optional(),
  /** k6's option: an iteration shorter than this is padded to it (the VU waits). */
  minIterationDuration: durationMs.refine((ms) => ms <= HOUR_MS, { message: 'expected at most 1h' }).optional(),
  /**
   * A response body larger than this is not read to the end: the request is
   * cut off (its connection closed) and counted as `assertion_failed`, so a
   * runaway body cannot eat the generator's memory or bandwidth. Bodies are
   * only kept (up to this size) when `expect.json` needs them; otherwise
   * bytes are counted and dropped. A compressed body is decoded for
   * `expect.json` up to this size too (larger: `assertion_failed`). The
   * response headers are read up to this size (at least 16 KiB); a larger
   * header block is an `http_error` (no status could be read).
   */
  maxResponseBytes: z.number().int().positive().default(1_048_576),
  /** k6's option: accept any TLS certificate (self-signed, expired, another host's). For staging targets only. */
  insecureSkipTLSVerify: z.boolean().default(false),
  /**
   * k6's options: no keep-alive. Every request (redirect hops too) opens its
   * own connection and sends `Connection: close`, so each one pays and
   * measures the connect and TLS handshake. An iteration is one request
   * here, so `noVUConnectionReuse` (no reuse across a VU's iterations) is
   * the same, but for a redirect chain's hops, which k6 lets share one.
   */
  noConnectionReuse: z.boolean().default(false),
  noVUConnectionReuse: z.boolean().default(false),
  /**
   * k6's option: TLS client certificates (mTLS). Each entry's certificate is
   * presented to the https hosts in its `domains` (the host itself, or `*.`
   * for one leftmost label), redirect targets included. `cert` and `key` are
   * PEM text (from `${VAR}`) or a PEM file's path; `password` decrypts an
   * encrypted key. Read and checked at the start of each run (tls-auth.ts).
   */
  tlsAuth: z
    .array(
      z.strictObject({
        domains: z.array(z.string()).min(1, { message: 'expected at least one domain: the hosts the certificate is presented to' }),
        cert: z.string().min(1, { message: 'expected the client certificate: a PEM file’s path or the PEM text' }),
        key: z.string().min(1, { message: 'expected the certificate’s private key: a PEM file’s path or the PEM text' }),
        password: z.string().optional(),
      }),
    )
    .default([]),
  /** burnwatch: CA certificates (a PEM file's path or the PEM text) trusted beside Node's roots, for a target with an internal CA. */
  tlsCACerts: z.string().min(1, { message: 'expected a PEM file’s path or the PEM text' }).optional(),
  /**
   * k6's option: the TLS versions https connections may use, `tls1.0` to
   * `tls1.3`: one name (that version only) or `{ min, max }` (an omitted
   * min is tls1.2, max tls1.3: the default). See tls-options.ts.
   */
  tlsVersion: z
    .union([z.string(), z.strictObject({ min: z.string().optional(), max: z.string().optional() })], {
      error: 'expected a TLS version (tls1.0, tls1.1, tls1.2, tls1.3) or { min, max } of them',
    })
    .optional(),
  /**
   * k6's option: the cipher suites TLS 1.0–1.2 connections may use, by
   * Go's (IANA's) names (`TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`). TLS 1.3
   * suites are not restricted (as in k6). See tls-options.ts.
   */
  tlsCipherSuites: z
    .array(z.string({ error: 'expected a cipher suite name, such as TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256' }))
    .min(1, { message: 'expected at least one cipher suite; to allow every suite, leave tlsCipherSuites out' })
    .optional(),
  /**
   * k6's option: connect to another address for a host (`host`,
   * `host:port`, `*.domain`) — an IP address, or `ip:port` — while the URL,
   * Host header, SNI and certificate check keep the name (a canary, one
   * node behind the load balancer). Redirect targets included. See hosts.ts.
   */
  hosts: z
    .record(z.string(), z.string({ error: 'expected an IP address, or address:port, as a string (one address per host)' }), {
      error: 'expected a map of host (or host:port, *.domain) to an IP address, e.g. { "api.example.com": "10.0.0.5" }',
    })
    .default({}),
  /**
   * k6's option: the trend values the end-of-run table shows, in order
   * (`avg`, `min`, `med`, `max`, `count`, `p(N)`); `--summary-trend-stats`
   * overrides it. The summary's values keep the default set. See trend-stats.ts.
   */
  summaryTrendStats: z
    .array(
      z.string().superRefine((stat, ctx) => {
        const problem = trendStatProblem(stat);
        if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
      }),
    )
    .min(1, { message: 'expected at least one trend stat, e.g. [avg, p(95), p(99.99)]' })
    .optional(),
  /**
   * k6's option: how a new connection finds its address — `ttl` of the
   * resolved addresses (`5m`, `0`, `inf`), `select` (`random`, `first`,
   * `roundRobin`) and `policy` (`preferIPv4`, `preferIPv6`, `onlyIPv4`,
   * `onlyIPv6`, `any`); k6's defaults. See dns.ts.
   */
  dns: z
    .strictObject({
      ttl: z
        .union([z.string(), z.number()], { error: 'expected a duration (30s, 5m), 0 or inf' })
        .default('5m')
        .transform((value, ctx) => {
          const ms = parseDnsTtl(value);
          if (typeof ms === 'string') {
            ctx.addIssue({ code: 'custom', message: ms });
            return z.NEVER;
          }
          return ms;
        }),
      select: z.enum(DNS_SELECTS, { error: `expected one of ${DNS_SELECTS.join(', ')}` }).default('random'),
      policy: z.enum(DNS_POLICIES, { error: `expected one of ${DNS_POLICIES.join(', ')}` }).default('preferIPv4'),
    })
    .transform((d): DnsConfig => ({ ttlMs: d.ttl, select: d.select, policy: d.policy }))
    .default(DEFAULT_DNS),
  /**
   * k6's `localIPs`: the local addresses connections are made from — IPs,
   * ranges (`10.0.0.10-10.0.0.25`) and CIDRs, comma-separated or a list;
   * connection n of the process binds the n-th (local-ips.ts). They must be
   * this machine's addresses.
   */
  localIPs: z
    .union([z.string(), z.array(z.string())], { error: 'expected IPs, ranges or CIDRs: a comma-separated string or a list' })
    .superRefine((v, ctx) => {
      const pool = parseLocalIps(v);
      if (typeof pool === 'string') ctx.addIssue({ code: 'custom', message: pool });
    })
    .optional(),
  /**
   * HTTP/2 over TLS: an https connection offers `h2` and `http/1.1` by ALPN
   * and speaks HTTP/2 when the server picks it, as k6 (Go's client) does;
   * plain http stays HTTP/1.1 (no h2c). `false` keeps every request on
   * HTTP/1.1, as k6's `GODEBUG=http2client=0` does.
   */
  http2: z.boolean().default(true),
  /** Stop hammering a failing target: abort when the error rate stays above `errorRate` for `for`. */
  autoAbort: z
    .strictObject({ errorRate: percentRatio, for: positiveDurationMs })
    .default({ errorRate: 0.5, for: 30_000 }),
  tags: labels.default({}),
}).superRefine(
  (p, ctx) => {
    // Also runs when other fields are invalid (every problem in one pass), so each value read is checked here.
    for (const problem of [...tlsAuthProblems(p), ...tlsOptionsProblems(p), ...hostsProblems(p)]) ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
    const requests: unknown = p.requests;
    if (!Array.isArray(requests)) return;
    const validCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
    const seen = new Map<string, number>();
    requests.forEach((r: Partial<ProbeRequestWire> | undefined, i) => {
      if (typeof r !== 'object' || r === null) return;
      if (typeof r.name === 'string') {
        const first = seen.get(r.name);
        if (first !== undefined) {
          ctx.addIssue({ code: 'custom', path: ['requests', i, 'name'], message: `duplicate request name "${r.name}" (also requests[${first}]); names tag the metrics and must be unique` });
        } else seen.set(r.name, i);
      }
      if ((r.auth ?? p.auth) === 'digest' && typeof r.url === 'string') {
        const problem = digestProblem(r.url, p.target, r.headers);
        if (problem) ctx.addIssue({ code: 'custom', path: ['requests', i, r.auth !== undefined ? 'auth' : 'url'], message: problem });
      }
      const statuses: unknown = r.expect?.status;
      const limit = r.redirects === undefined ? p.maxRedirects : r.redirects;
      if (!Array.isArray(statuses) || statuses.length === 0 || !validCount(limit) || limit === 0) return;
      if (statuses.every((code) => REDIRECT_STATUSES.includes(code as number))) {
        ctx.addIssue({
          code: 'custom',
          path: ['requests', i, 'expect', 'status'],
          message: `a redirect (HTTP ${statuses.join(', ')}) is followed, so its status is never the response’s; to assert the redirect itself, set redirects: 0 on this request`,
        });
      }
    });
  },
  { when: () => true },
);

/** Why a request cannot use `auth: digest`: no credentials in its URL (or the target's, for a path), or its own Authorization. */
function digestProblem(url: string, target: unknown, headers: unknown): string | undefined {
  let u: URL;
  try {
    const m = /^(https?:\/\/[^/?#]*)/.exec(url);
    if (m) u = new URL(m[1]!);
    else if (url.startsWith('/') && typeof target === 'string') u = new URL(target);
    else return undefined;
  } catch {
    return undefined; // the URL's own check reports it
  }
  if (u.username === '' && u.password === '') {
    return `auth: digest takes the user name and password from the URL, and ${url.startsWith('/') ? 'the target' : 'this URL'} has none: write them as ${u.protocol}//user:password@${u.host}${url.startsWith('/') ? ' in target' : ''} (from \${VAR}s, percent-encoded)`;
  }
  if (typeof headers === 'object' && headers !== null && Object.keys(headers).some((k) => k.toLowerCase() === 'authorization')) {
    return 'auth: digest computes the Authorization header; remove the request’s own';
  }
  return undefined;
}

type ProbeRequestWire = z.output<typeof requestSchema>;

export type ProbeSpec = z.output<typeof probeSpecSchema>;
export type Scenario = z.output<typeof scenarioSchema>;
export type ProbeRequest = ProbeSpec['requests'][number];
export type ThresholdEntry = z.output<typeof thresholdEntry>;

/** A probe as the rest of burnwatch sees it. */
export interface Probe extends ProbeSpec {
  name: string;
}
