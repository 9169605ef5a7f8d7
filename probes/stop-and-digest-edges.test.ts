/**
 * Edge cases of think time at a stop and of digest auth, found in review:
 * each test failed on the engine before its fix and states the behaviour
 * probes/README.md (and k6) promise.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { digestServer as startDigestServer } from './digest-test-server.ts';
import type { DigestServer, DigestServerOptions } from './digest-test-server.ts';
import { startRun } from './run.ts';
import type { RunSummary } from './summary.ts';
import { iterations, probe, testServer } from './test-support.ts';
import type { Handler, TestServer } from './test-support.ts';

const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(handler?: Handler): Promise<TestServer> {
  const s = await testServer(handler);
  servers.push(s);
  return s;
}

/** A digest-guarded server as these tests want it: user "ann", password "pw", realm "r" (or `realmFor`), qop auth, no opaque. */
async function digestServer(options: DigestServerOptions = {}): Promise<DigestServer> {
  const server = await startDigestServer({ password: 'pw', realmFor: () => 'r', opaque: undefined, qop: 'auth', ...options });
  servers.push(server);
  return server;
}

describe('think time ending the iteration, at a stop', () => {
  it('a ramped-down VU whose sleep gracefulRampDown cuts after the run began stopping ends the run then, not at gracefulStop', async () => {
    const server = await serve();
    const summary = await startRun(
      probe({
        target: server.url,
        requests: [{ name: 'get', url: '/' }],
        // The VU is ramped down at ~200–300 ms in its 3 s sleep (grace 1 s: cut at ~1.3 s); the stages end at 800 ms,
        // so the run is stopping (gracefulStop 4 s) when gracefulRampDown runs out and the sleep is interrupted.
        scenario: {
          executor: 'ramping-vus',
          startVUs: 1,
          gracefulRampDown: '1s',
          gracefulStop: '4s',
          stages: [
            { duration: '200ms', target: 1 },
            { duration: '100ms', target: 0 },
            { duration: '500ms', target: 0 },
          ],
        },
        sleep: '3s',
      }),
      { threads: 1 },
    ).done;
    expect(server.hits).toBe(1);
    expect(summary.interruptedIterations).toBe(1);
    // Nothing runs after ~1.3 s: the run should end then (it idled on until gracefulStop's 4.8 s).
    expect(summary.durationMs).toBeLessThan(2_500);
  });
  it('the summary’s interrupted warning does not say a sleep-cut iteration is missing from the metrics: its request is in them', async () => {
    const server = await serve();
    const summary = await startRun(
      probe({ target: server.url, requests: [{ name: 'get', url: '/' }], scenario: { executor: 'constant-vus', vus: 1, duration: '300ms', gracefulStop: '100ms' }, sleep: '2s' }),
      { threads: 1 },
    ).done;
    expect(summary.interruptedIterations).toBe(1);
    expect(summary.metrics.http_reqs!.values.count).toBe(1);
    const warning = summary.warnings.find((w) => w.includes('interrupted'));
    expect(warning).toBeDefined();
    expect(warning).not.toMatch(/they are not in the metrics/);
  });
});

/** One iteration of GET /a with auth: digest as ann:pw against `url`, on one thread. */
function digestIteration(url: string): Promise<RunSummary> {
  return startRun(
    probe({ target: url.replace('http://', 'http://ann:pw@'), auth: 'digest', scenario: iterations(1), requests: [{ name: 'a', url: '/a' }] }),
    { threads: 1 },
  ).done;
}

describe('auth: digest, answers sent again and sent ahead', () => {
  it('a digest answer sent again after its kept-alive connection died is still the hop’s own: a redirect to another port of the host gets no Authorization', async () => {
    const otherSeen: string[] = [];
    const other = await serve((req, res) => {
      otherSeen.push(`${req.url} ${req.headers.authorization ?? '-'}`);
      res.end('ok');
    });
    let dropped = false;
    const { url, seen } = await digestServer({
      // The answer meets a connection the server closes as it arrives (RFC 9112 §9.3.1.1): sent again, as Go sends a GET again.
      before: (req) => {
        if (req.headers.authorization === undefined || dropped) return false;
        dropped = true;
        req.socket.destroy();
        return true;
      },
      redirects: { '/a': `${other.url}/c` },
    });
    const summary = await digestIteration(url);
    expect(dropped).toBe(true);
    expect(summary.retries).toEqual({ a: 1 });
    expect(seen.map((s) => `${s.url} ${s.status}`)).toEqual(['/a 401', '/a 302']);
    expect(summary.outcomes.ok).toBe(1);
    // The digest answer is for 127.0.0.1:<digest port>'s challenge; the other port never asked for one (see digest-run.test.ts).
    expect(otherSeen).toEqual(['/c -']);
  });

  it('a server with one-time nonces (stale=true on reuse) is answered on every hop of a chain back to the origin, as k6 answers each hop’s 401', async () => {
    const { url, seen } = await digestServer({
      singleUse: true,
      redirects: { '/a': '/b', '/b': '/c' },
    });
    const summary = await digestIteration(url);
    expect(summary.errors).toEqual([]);
    expect(summary.outcomes.ok).toBe(1);
    expect(seen.at(-1)).toMatchObject({ url: '/c', status: 200 });
  });

  it('a redirect back to the origin into another protection space (realm) is answered with that realm’s challenge, not refused', async () => {
    const { url, seen } = await digestServer({
      realmFor: (u) => (u.startsWith('/admin') ? 'admin' : 'r'),
      redirects: { '/a': '/admin/x' },
    });
    const summary = await digestIteration(url);
    expect(summary.errors).toEqual([]);
    expect(summary.outcomes.ok).toBe(1);
    expect(seen.at(-1)).toMatchObject({ url: '/admin/x', status: 200 });
  });
});
