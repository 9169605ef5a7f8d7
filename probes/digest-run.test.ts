import { afterEach, describe, expect, it } from 'vitest';
import { digestParams as params, digestServer as startDigestServer } from './digest-test-server.ts';
import type { DigestServerOptions } from './digest-test-server.ts';
import { probeSpecSchema } from './spec.ts';
import { startRun } from './run.ts';
import { formatSummary } from './summary.ts';
import { iterations, probe, testServer } from './test-support.ts';

const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** A digest-guarded server (user "ann", password "s3cr:et", realm "api@test", opaque "op42"), closed after the test. */
async function digestServer(options: DigestServerOptions = {}): Promise<{ server: { url: string }; seen: { method: string; url: string; authorization: string | undefined; status: number }[] }> {
  const server = await startDigestServer(options);
  servers.push(server);
  return { server, seen: server.seen };
}

const withCredentials = (url: string, user = 'ann', pass = 's3cr%3Aet'): string => url.replace('http://', `http://${user}:${pass}@`);

describe('auth: digest (k6’s digest auth)', () => {
  it('answers the 401 challenge: the request goes twice, the first without credentials, and is one ok request in the metrics', async () => {
    const { server, seen } = await digestServer({ qop: 'auth' });
    const summary = await startRun(probe({ target: withCredentials(server.url), auth: 'digest', scenario: iterations(3), requests: [{ name: 'get', url: '/v1/flags?user=1' }] })).done;
    expect(summary.outcomes).toMatchObject({ ok: 3, http_error: 0 });
    expect(seen.map((s) => s.status)).toEqual([401, 200, 401, 200, 401, 200]);
    // No basic credentials go out first (k6 removes the URL's user-info before the first send).
    expect(seen.filter((s) => s.status === 401).map((s) => s.authorization)).toEqual([undefined, undefined, undefined]);
    const answer = params(seen[1]!.authorization!);
    expect([answer.get('qop'), answer.get('nc'), answer.get('uri'), answer.get('opaque')]).toEqual(['auth', '00000001', '/v1/flags?user=1', 'op42']);
    expect(summary.metrics.http_reqs!.values.count).toBe(3);
    expect(summary.metrics.http_req_failed!.values.rate).toBe(0);
    expect(summary.challenges).toEqual({ get: 3 });
    expect(formatSummary(summary)).toContain('digest challenges answered: get=3 (auth: digest; each one a second request to the target');
    // Both responses' bytes count: the 401's "unauthorized" and the 200's body.
    expect(summary.metrics.data_received!.values.count).toBeGreaterThan(3 * ('unauthorized'.length + '{"ok":true}'.length));
  });

  it('hashes the body with qop auth-int, answers SHA-256 and MD5-sess challenges, and RFC 2069 ones without qop', async () => {
    for (const [algorithm, qop] of [
      ['MD5', 'auth-int'],
      ['SHA-256', 'auth'],
      ['MD5-sess', 'auth'],
      ['MD5', undefined],
    ] as const) {
      const { server, seen } = await digestServer({ algorithm, ...(qop !== undefined ? { qop } : {}) });
      const summary = await startRun(
        probe({
          target: server.url,
          scenario: iterations(2),
          requests: [{ name: 'post', method: 'POST', url: `${withCredentials(server.url)}/events`, auth: 'digest', body: { user: '{{randInt 1 9}}' } }],
        }),
      ).done;
      expect([algorithm, qop, summary.outcomes.ok, seen.map((s) => s.status)]).toEqual([algorithm, qop, 2, [401, 200, 401, 200]]);
    }
  });

  it('answers a stale nonce once more (stale=true: the credentials were right)', async () => {
    const { server, seen } = await digestServer({ qop: 'auth', staleOnce: true });
    const summary = await startRun(probe({ target: withCredentials(server.url), auth: 'digest', scenario: iterations(1), requests: [{ name: 'get', url: '/' }] })).done;
    expect(summary.outcomes.ok).toBe(1);
    expect(seen.map((s) => s.status)).toEqual([401, 401, 200]);
    expect(summary.challenges).toEqual({ get: 2 });
  });

  it('a wrong password is an http_error that says the credentials were refused, after one answer', async () => {
    const { server, seen } = await digestServer({ qop: 'auth' });
    const summary = await startRun(probe({ target: withCredentials(server.url, 'ann', 'wrong'), auth: 'digest', scenario: iterations(2), requests: [{ name: 'get', url: '/' }] })).done;
    expect(summary.outcomes).toMatchObject({ ok: 0, http_error: 2 });
    expect(seen.map((s) => s.status)).toEqual([401, 401, 401, 401]);
    expect(summary.errors).toEqual([expect.objectContaining({ outcome: 'http_error', message: 'HTTP 401 (the server refused the digest credentials)', count: 2 })]);
    expect(summary.metrics.http_reqs!.values.count).toBe(2);
  });

  it('a 401 without a Digest challenge stands, saying what the server offers', async () => {
    const { server, seen } = await digestServer({ challenge: 'Basic realm="api", Bearer' });
    const summary = await startRun(probe({ target: withCredentials(server.url), auth: 'digest', scenario: iterations(1), requests: [{ name: 'get', url: '/' }] })).done;
    expect(seen).toHaveLength(1);
    expect(summary.errors[0]).toMatchObject({ outcome: 'http_error', message: 'HTTP 401 (auth: digest, but it offers no Digest challenge (WWW-Authenticate: Basic, Bearer))' });
    expect(summary.challenges).toEqual({});
  });

  it('a target that needs no auth is asked once', async () => {
    const open = await testServer();
    servers.push(open);
    const summary = await startRun(probe({ target: withCredentials(open.url), auth: 'digest', scenario: iterations(2), requests: [{ name: 'get', url: '/' }] })).done;
    expect(summary.outcomes.ok).toBe(2);
    expect(open.hits).toBe(2);
    expect(summary.challenges).toEqual({});
  });

  it('a redirect back to the origin answers the known challenge at once (next nonce count); a redirect elsewhere gets no Authorization', async () => {
    const otherSeen: string[] = [];
    const other = await testServer((req, res) => {
      otherSeen.push(`${req.url} ${req.headers.authorization ?? '-'}`);
      res.end('ok');
    });
    servers.push(other);
    // The same host (127.0.0.1), another port: Go would carry a request's own Authorization there; the digest answer is the hop's.
    const { server, seen } = await digestServer({ qop: 'auth', redirects: { '/a': '/b', '/b': `${other.url}/c` } });
    const summary = await startRun(probe({ target: withCredentials(server.url), auth: 'digest', scenario: iterations(1), requests: [{ name: 'a', url: '/a' }] })).done;
    expect(seen.map((s) => `${s.url} ${s.status}`)).toEqual(['/a 401', '/a 302', '/b 302']);
    expect(params(seen[2]!.authorization!).get('nc')).toBe('00000002');
    expect(otherSeen).toEqual(['/c -']);
    expect(summary.outcomes.ok).toBe(1);
    expect(summary.redirects).toEqual({ a: 2 });
    expect(summary.challenges).toEqual({ a: 1 });
  });

  it('counts each answer to a challenge against maxRps, as redirects count, and says what to do', async () => {
    const { server } = await digestServer({ qop: 'auth' });
    const summary = await startRun(
      probe({ target: withCredentials(server.url), auth: 'digest', scenario: { executor: 'constant-arrival-rate', rate: 30, duration: '4s', preAllocatedVUs: 4 }, requests: [{ name: 'get', url: '/' }] }),
      { maxRps: 40 },
    ).done;
    expect(summary.status).toBe('aborted');
    expect(summary.stopReason).toMatch(
      /^digest challenges raised the requests sent to [\d,]+\/s, above maxRps \(40\/s\): [\d,]+ digest answers sent beside [\d,]+ iterations in 1s\. With auth: digest sends two requests per iteration \(the challenge, then the answer\): lower the rate, or raise maxRps$/,
    );
    expect(summary.durationMs).toBeLessThan(3500);
  });

  it('is refused at validation without credentials in the URL, with its own Authorization, and for ntlm', () => {
    const problems = (spec: Record<string, unknown>): string[] => {
      const r = probeSpecSchema.safeParse({ target: 'http://127.0.0.1:1', scenario: iterations(1), ...spec });
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(problems({ auth: 'digest', requests: [{ name: 'a', url: '/' }] })).toEqual([
      'requests.0.url: auth: digest takes the user name and password from the URL, and the target has none: write them as http://user:password@127.0.0.1:1 in target (from ${VAR}s, percent-encoded)',
    ]);
    expect(problems({ requests: [{ name: 'a', url: 'http://127.0.0.1:2/x', auth: 'digest' }] })).toEqual([
      'requests.0.auth: auth: digest takes the user name and password from the URL, and this URL has none: write them as http://user:password@127.0.0.1:2 (from ${VAR}s, percent-encoded)',
    ]);
    expect(problems({ target: 'http://u:p@127.0.0.1:1', auth: 'digest', requests: [{ name: 'a', url: '/', headers: { Authorization: 'x' } }] })).toEqual([
      'requests.0.url: auth: digest computes the Authorization header; remove the request’s own',
    ]);
    expect(problems({ auth: 'ntlm', requests: [{ name: 'a', url: '/' }] })).toEqual(['auth: auth: ntlm (k6’s NTLM) is not supported; burnwatch sends basic and digest']);
    expect(problems({ requests: [{ name: 'a', url: '/', auth: 'bearer' }] })).toEqual(['requests.0.auth: expected one of basic, digest']);
    // basic stays the default: the URL's credentials go with every request.
    expect(problems({ target: 'http://u:p@127.0.0.1:1', requests: [{ name: 'a', url: '/', auth: 'basic' }] })).toEqual([]);
  });
});
