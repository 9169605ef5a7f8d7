import { afterEach, describe, expect, it } from 'vitest';
import { startRun } from './run.ts';
import { probeSpecSchema } from './spec.ts';
import { probe, testServer } from './test-support.ts';
import type { TestServer } from './test-support.ts';

const base = {
  target: 'http://127.0.0.1:8081',
  scenario: { executor: 'constant-arrival-rate', rate: 10, duration: '10s', preAllocatedVUs: 5 },
  requests: [{ name: 'a', url: '/v1/x' }],
};

function problems(patch: Record<string, unknown>): { path: string; message: string }[] {
  const r = probeSpecSchema.safeParse({ ...base, ...patch });
  return r.success ? [] : r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}

describe('probe spec validation', () => {
  it('accepts a valid probe and fills k6 defaults', () => {
    const p = probeSpecSchema.parse(base);
    expect(p.scenario).toMatchObject({ timeUnit: 1000, gracefulStop: 30_000, startTime: 0, maxVUs: 5 });
    expect(p.autoAbort).toEqual({ errorRate: 0.5, for: 30_000 });
    expect(p.requests[0]).toMatchObject({ method: 'GET', weight: 1 });
  });

  it('rejects a header value undici would refuse to send (a control character, a line break, a character beyond one byte)', () => {
    const found = problems({ requests: [{ name: 'a', url: '/x', headers: { 'x-ok': 'a\tb é', 'x-bell': 'a\u0007b', 'x-split': 'a\r\nx-injected: 1', 'x-euro': '{{pick 1€ 2€}}' } }] });
    expect(found).toEqual([
      { path: 'requests.0.headers.x-bell', message: 'the value contains the control character U+0007, which HTTP does not allow in a header' },
      { path: 'requests.0.headers.x-split', message: 'the value contains the control character U+000D, which HTTP does not allow in a header' },
      { path: 'requests.0.headers.x-euro', message: 'the value contains U+20AC ("€"), outside the bytes an HTTP header can carry; percent-encode it' },
    ]);
  });

  it('checks a header value and a URL on what their escapes decode to: an escaped CR LF in a quoted pick item cannot split the request', () => {
    const found = problems({
      requests: [{ name: 'a', url: '/x?q={{pick "a\\nb" c}}', headers: { 'x-split': '{{pick ok "a\\r\\nx-injected: 1"}}', 'x-bell': '{{pick "\\u0007"}}', 'x-ok': '{{pick "\\t\\u00e9\\"" x}}' } }],
    });
    expect(found).toEqual([
      { path: 'requests.0.url', message: 'the URL contains the control character U+000A; percent-encode it' },
      { path: 'requests.0.headers.x-split', message: 'the value contains the control character U+000D, which HTTP does not allow in a header' },
      { path: 'requests.0.headers.x-bell', message: 'the value contains the control character U+0007, which HTTP does not allow in a header' },
    ]);
  });

  it('rejects a URL with a character a request line cannot carry (a space, a control character, beyond one byte)', () => {
    const urls = [
      '/a b',
      '/a\tb',
      '/€',
      '/x?u={{pick a b}}&s=1 2',
      '/ok/%C3%A9?x=%20&u={{userId 1 9}}',
      '/x?q={{pick "a b" c}}',
      "/x?q={{pick 'd\te' f}}",
      '/ok/é',
      '/x?q={{pick ä b}}',
      '/x\u007f',
      '/x?a=1#frag',
      'http://127.0.0.1:8081/x#top',
    ];
    const found = urls.map((url) => problems({ requests: [{ name: 'a', url }] }).map((p) => p.message));
    const fragment = 'the URL contains "#": a fragment is never sent to a server; remove it, or percent-encode it as %23 if it is part of a value';
    expect(found).toEqual([
      ['the URL contains a space; percent-encode it as %20'],
      ['the URL contains the control character U+0009; percent-encode it'],
      ['the URL contains U+20AC ("€"), which a request line cannot carry as it is; percent-encode it as UTF-8: %E2%82%AC'],
      ['the URL contains a space; percent-encode it as %20'],
      [],
      ['the URL contains a space; percent-encode it as %20'],
      ['the URL contains the control character U+0009; percent-encode it'],
      ['the URL contains U+00E9 ("é"), which a request line cannot carry as it is; percent-encode it as UTF-8: %C3%A9'],
      ['the URL contains U+00E4 ("ä"), which a request line cannot carry as it is; percent-encode it as UTF-8: %C3%A4'],
      ['the URL contains the control character U+007F; percent-encode it'],
      [fragment],
      [fragment],
    ]);
  });

  it('rejects a "%" in the URL\'s text or a pick item that is not followed by two hex digits (it went out raw: "GET /x?q=100%")', () => {
    const percent = 'the URL contains "%" not followed by two hex digits';
    const advice = 'write %25 for a literal percent sign';
    const urls = [
      '/x?q={{pick a 100%}}',
      '/x/100%',
      '/x?q=%zz',
      '/x?q=%4',
      'http://127.0.0.1:8081/x/%g1',
      '/x?v=%{{randInt 10 99}}',
      '/x?v=%4{{randInt 1 9}}',
      '/x?v={{pick %4}}1',
      '/x?q={{pick "\\u0025"}}',
      `/${'a'.repeat(40)}%zz/b/c`,
      '/x?v=%z{{randInt 1 9}}',
      // Well-formed escapes, in either case, in the text and in pick items.
      '/ok/%C3%a9?x=%20&p=%25&q={{pick %41 b%2F}}',
      '/x?v=%41{{randInt 1 9}}',
    ];
    const found = urls.map((url) => problems({ requests: [{ name: 'a', url }] }).map((p) => p.message));
    expect(found).toEqual([
      [`${percent} (in the {{pick}} item "100%"); ${advice}`],
      [`${percent} ("/x/100%"); ${advice}`],
      [`${percent} ("/x?q=%zz"); ${advice}`],
      [`${percent} ("/x?q=%4"); ${advice}`],
      [`${percent} ("http://127.0.0.1:8081/x/%g1"); ${advice}`],
      [`${percent} ("/x?v=%"); ${advice}; a tag's output cannot complete an escape: write all of it in the text, or none (e.g. %{{pick 41 42}} → {{pick %41 %42}})`],
      [`${percent} ("/x?v=%4"); ${advice}; a tag's output cannot complete an escape: write all of it in the text, or none (e.g. %{{pick 41 42}} → {{pick %41 %42}})`],
      [`${percent} (in the {{pick}} item "%4"); ${advice}`],
      [`${percent} (in the {{pick}} item "%"); ${advice}`],
      [`${percent} ("…${'a'.repeat(20)}%zz…"); ${advice}`],
      [`${percent} ("/x?v=%z"); ${advice}`],
      [],
      [],
    ]);
  });

  it('says what a zero rate or VU count lacks: 0 is a whole number, and a number', () => {
    expect(problems({ scenario: { executor: 'constant-arrival-rate', rate: 0, duration: '10s', preAllocatedVUs: -1 } }).map((p) => p.message)).toEqual([
      'expected a rate greater than 0 (iterations per timeUnit)',
      'expected a whole number of VUs, 0 or more',
    ]);
    expect(problems({ scenario: { executor: 'constant-vus', vus: 0, duration: '10s' } }).map((p) => p.message)).toEqual(['expected a whole number of VUs, 1 or more']);
  });

  it('bounds timeouts and threshold windows at 1h: latency is recorded up to 1 h, and a window keeps every interval of it', () => {
    expect(problems({ timeout: '2h', requests: [{ name: 'a', url: '/x', timeout: '61m' }], thresholds: { http_req_duration: [{ threshold: 'p(95)<500', window: '90m' }] } })).toEqual([
      { path: 'requests.0.timeout', message: 'expected a timeout of at most 1h (latencies are recorded up to 1 hour)' },
      { path: 'thresholds.http_req_duration.0.window', message: 'expected a window of at most 1h (the run keeps every interval of it; for longer spans use an SLO)' },
      { path: 'timeout', message: 'expected a timeout of at most 1h (latencies are recorded up to 1 hour)' },
    ]);
    expect(problems({ timeout: '1h', requests: [{ name: 'a', url: '/x', timeout: '60m' }], thresholds: { http_req_duration: [{ threshold: 'p(95)<500', window: '1h' }] } })).toEqual([]);
  });

  it('checks a request\'s URL, headers, body and expect even when another of its fields is wrong or unknown', () => {
    for (const extra of [{ timeot: 5 }, { timeout: 5 }]) {
      const found = problems({ requests: [{ name: 'a', url: '/x?q=é', ...extra }] });
      expect(found).toHaveLength(2);
      expect(found.map((p) => p.message)).toContainEqual(expect.stringMatching(/percent-encode it as UTF-8: %C3%A9/));
    }
  });

  it('reports an invalid template in a URL, a header and a body leaf at its key path', () => {
    const found = problems({
      requests: [
        {
          name: 'a',
          method: 'POST',
          url: '/v1/x?u={{usrId 1 5}}',
          headers: { 'x-id': '{{uuid 3}}' },
          body: { events: [{ n: '{{randInt 3 1}}' }] },
        },
      ],
    });
    expect(found).toEqual([
      { path: 'requests.0.url', message: expect.stringMatching(/unknown generator "usrId" \(did you mean "userId"\?\)/) as unknown },
      { path: 'requests.0.headers.x-id', message: expect.stringMatching(/\{\{uuid\}\} takes 0 arguments/) as unknown },
      { path: 'requests.0.body.events.0.n', message: expect.stringMatching(/MIN must not be greater than MAX/) as unknown },
    ]);
  });

  it('rejects a URL that is neither a path nor an absolute http URL, and a templated origin', () => {
    expect(problems({ requests: [{ name: 'a', url: 'v1/x' }] })[0]?.message).toMatch(/neither a path starting with "\/"/);
    expect(problems({ requests: [{ name: 'a', url: 'http://host-{{randInt 1 2}}:80/x' }] })[0]?.message).toMatch(/cannot be templated/);
    expect(problems({ requests: [{ name: 'a', url: 'http://127.0.0.1:9/x?{{uuid}}' }] })).toEqual([]);
    // An origin that only the URL parser rejects: caught here, not by the load worker at run time.
    expect(problems({ requests: [{ name: 'a', url: 'http://127.0.0.1:99999/x' }] })).toEqual([
      { path: 'requests.0.url', message: '"http://127.0.0.1:99999" is not a valid origin (Invalid URL); expected scheme://host[:port] with a port of at most 65535' },
    ]);
    expect(problems({ requests: [{ name: 'a', url: 'http://[::1/x' }] })[0]?.message).toMatch(/"http:\/\/\[::1" is not a valid origin/);
  });

  it('a weight of 0 or less is rejected with a message that says what a weight must be', () => {
    // zod's "Too small: expected number to be >0" read "expected a number at least 0" once formatted, for a weight of 0.
    for (const weight of [0, -1]) {
      expect(problems({ requests: [{ name: 'a', url: '/x', weight }] })).toEqual([
        { path: 'requests.0.weight', message: 'expected a weight greater than 0 (the request\'s share of the mix); to send none of a request, remove it' },
      ]);
    }
    expect(problems({ requests: [{ name: 'a', url: '/x', weight: 0.001 }] })).toEqual([]);
  });

  it('rejects a body on GET, duplicate request names, bad JSON paths and regexes', () => {
    expect(problems({ requests: [{ name: 'a', url: '/x', body: 'x' }] })[0]?.message).toMatch(/GET request cannot have a body/);
    expect(
      problems({
        requests: [
          { name: 'a', url: '/x' },
          { name: 'a', url: '/y' },
        ],
      })[0],
    ).toEqual({ path: 'requests.1.name', message: expect.stringMatching(/duplicate request name "a"/) as unknown });
    expect(problems({ requests: [{ name: 'a', url: '/x', expect: { json: { '$.a..b': 1 } } }] })[0]?.message).toMatch(/is not a JSON path/);
    expect(problems({ requests: [{ name: 'a', url: '/x', expect: { headers: { 'x-cache': { matches: '(' } } } }] })[0]?.message).toMatch(/not a valid regular expression/);
    // `exists: no` is the string "no" in YAML 1.2: it must not silently mean "exists".
    for (const exists of ['no', 'false', 0]) {
      expect(problems({ requests: [{ name: 'a', url: '/x', expect: { json: { '$.a': { exists } } } }] })).toEqual([
        { path: 'requests.0.expect.json.$.a.exists', message: `expected true or false, got ${JSON.stringify(exists)}` },
      ]);
    }
    expect(problems({ requests: [{ name: 'a', url: '/x', expect: { json: { '$.a': { exists: false } } } }] })).toEqual([]);
  });

  it('rejects what k6 rejects: fewer shared iterations than VUs, maxVUs below preAllocatedVUs', () => {
    expect(problems({ scenario: { executor: 'shared-iterations', vus: 3, iterations: 2 } })[0]).toEqual({
      path: 'scenario.iterations',
      message: expect.stringMatching(/the number of iterations \(2\) can't be less than the number of VUs \(3\)/) as unknown,
    });
    expect(problems({ scenario: { executor: 'constant-arrival-rate', rate: 10, duration: '1s', preAllocatedVUs: 5, maxVUs: 2 } })[0]).toEqual({
      path: 'scenario.maxVUs',
      message: expect.stringMatching(/maxVUs \(2\) can't be less than preAllocatedVUs \(5\)/) as unknown,
    });
    expect(problems({ scenario: { executor: 'ramping-arrival-rate', preAllocatedVUs: 5, maxVUs: 4, stages: [{ duration: '1s', target: 5 }] } })[0]?.path).toBe(
      'scenario.maxVUs',
    );
    expect(problems({ scenario: { executor: 'ramping-vus', startVUs: 0, stages: [{ duration: '1s', target: 0 }] } })[0]).toEqual({
      path: 'scenario.stages',
      message: "either startVUs or one of the stages' targets must be greater than 0 (k6's rule): this scenario would run no VU",
    });
  });

  it('accepts preAllocatedVUs: 0 with maxVUs, as k6 does, but not a scenario with no VU at all', () => {
    expect(problems({ scenario: { executor: 'constant-arrival-rate', rate: 10, duration: '1s', preAllocatedVUs: 0, maxVUs: 5 } })).toEqual([]);
    expect(problems({ scenario: { executor: 'ramping-arrival-rate', preAllocatedVUs: 0, maxVUs: 2, stages: [{ duration: '1s', target: 5 }] } })).toEqual([]);
    expect(problems({ scenario: { executor: 'constant-arrival-rate', rate: 10, duration: '1s', preAllocatedVUs: 0 } })).toEqual([
      { path: 'scenario.maxVUs', message: 'with preAllocatedVUs 0, give maxVUs (at least 1): the VUs arrivals may use' },
    ]);
    expect(problems({ scenario: { executor: 'constant-arrival-rate', rate: 10, duration: '1s', preAllocatedVUs: -1, maxVUs: 2 } })[0]?.path).toBe('scenario.preAllocatedVUs');
  });

  it('rejects fractional ramping-vus targets and stages that last 0s in total', () => {
    expect(problems({ scenario: { executor: 'ramping-vus', stages: [{ duration: '1s', target: 2.5 }] } })[0]).toEqual({
      path: 'scenario.stages.0.target',
      message: expect.stringMatching(/must be whole, got 2.5/) as unknown,
    });
    expect(problems({ scenario: { executor: 'ramping-arrival-rate', preAllocatedVUs: 1, stages: [{ duration: '0s', target: 5 }] } })[0]?.message).toMatch(
      /last 0s in total/,
    );
  });
});

describe('request headers the HTTP client refuses', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const headerProblems = (headers: Record<string, string>, method = 'POST'): { path: string; message: string }[] =>
    problems({ requests: [{ name: 'a', method, url: '/x', headers, ...(method === 'POST' ? { body: 'abc' } : {}) }] });

  it('rejects, whatever their case, the header names undici refuses to send, saying why', () => {
    expect(headerProblems({ Expect: '100-continue', 'KEEP-ALIVE': 'timeout=5', 'transfer-encoding': 'chunked', Upgrade: 'websocket', 'Content-Length': '3' })).toEqual([
      { path: 'requests.0.headers.Expect', message: 'expect is not supported by the HTTP client (undici), which would refuse to send the request; remove it' },
      { path: 'requests.0.headers.KEEP-ALIVE', message: 'keep-alive is managed by the HTTP client (connections are kept alive; "connection: close" ends one after its response); remove it' },
      { path: 'requests.0.headers.transfer-encoding', message: 'transfer-encoding is set by the HTTP client from the body; remove it' },
      { path: 'requests.0.headers.Upgrade', message: 'upgrade (switching protocols, e.g. to WebSocket) is not supported by the HTTP client; remove it' },
      { path: 'requests.0.headers.Content-Length', message: 'content-length is set by the HTTP client from the body; remove it' },
    ]);
    expect(headerProblems({ 'content-length': '0' }, 'GET')).toEqual([
      { path: 'requests.0.headers.content-length', message: 'content-length is set by the HTTP client from the body; remove it' },
    ]);
  });

  it('rejects a connection value that is not a list of tokens, a templated one, and a host given twice', () => {
    expect(headerProblems({ Connection: 'keep-alive,' }, 'GET')).toEqual([
      { path: 'requests.0.headers.Connection', message: 'connection must be a comma-separated list of tokens, such as "close" or "keep-alive", got "keep-alive,"' },
    ]);
    expect(headerProblems({ connection: 'a b' }, 'GET')[0]?.message).toMatch(/^connection must be a comma-separated list of tokens/);
    expect(headerProblems({ connection: '' }, 'GET')[0]?.message).toMatch(/^connection must be a comma-separated list of tokens/);
    expect(headerProblems({ connection: '{{pick close keep-alive}}' }, 'GET')).toEqual([
      { path: 'requests.0.headers.connection', message: 'connection cannot be templated; write it out ("close" ends the connection after each response, otherwise it is kept alive)' },
    ]);
    expect(headerProblems({ Host: 'a.test', host: 'b.test' }, 'GET')).toEqual([
      { path: 'requests.0.headers.host', message: 'host is given twice ("Host" and "host"); give it once' },
    ]);
  });

  it('sends every request whose headers validation accepts (the target gets each one)', async () => {
    server = await testServer();
    const accepted: [string, Record<string, string>][] = [
      ['GET', { Connection: 'close' }],
      ['GET', { connection: 'keep-alive, x-trace' }],
      ['GET', { CONNECTION: 'Upgrade' }],
      ['GET', { Host: 'example.test' }],
      ['GET', { host: '{{pick a.test b.test}}' }],
      ['POST', { 'Content-Type': 'text/plain', TE: 'trailers', 'Proxy-Connection': 'keep-alive' }],
      ['POST', { 'x-a': 'a', 'X-A': 'b' }],
    ];
    const requests = accepted.map(([method, headers], i) => ({ name: `r${i}`, method, url: '/x', headers, ...(method === 'POST' ? { body: 'abc' } : {}) }));
    const spec = { target: server.url, scenario: { executor: 'shared-iterations', vus: 1, iterations: 2 * requests.length, maxDuration: '5s' }, requests };
    expect(problems(spec)).toEqual([]);
    const summary = await startRun(probe(spec), { threads: 1 }).done;
    // The mix is exact: each request twice.
    expect({ outcomes: summary.outcomes, errors: summary.errors, hits: server.hits }).toMatchObject({ outcomes: { ok: 2 * requests.length }, errors: [], hits: 2 * requests.length });
  });
});
