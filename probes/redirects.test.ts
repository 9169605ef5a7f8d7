import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { redirectHop } from './redirect.ts';
import type { RedirectHop } from './redirect.ts';
import { probeSpecSchema } from './spec.ts';
import { startRun } from './run.ts';
import { formatSummary } from './summary.ts';
import { iterations, probe, testServer } from './test-support.ts';
import type { Handler, TestServer } from './test-support.ts';

const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** A TCP server answering each request head with `answer(path, head)` as written (for heads node:http would not send); records the paths. */
async function rawServer(answer: (path: string, head: string) => string): Promise<{ url: string; seen: string[] }> {
  const seen: string[] = [];
  const server = createTcpServer((socket) => {
    let buffered = '';
    socket.on('data', (d) => {
      buffered += d.toString('latin1');
      for (let end = buffered.indexOf('\r\n\r\n'); end !== -1; end = buffered.indexOf('\r\n\r\n')) {
        const head = buffered.slice(0, end);
        const path = head.split(' ')[1]!;
        buffered = buffered.slice(end + 4);
        seen.push(path);
        socket.write(answer(path, head), 'latin1');
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push({ close: () => new Promise<void>((resolve) => server.close(() => resolve())) });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

async function serve(handler: Handler): Promise<TestServer> {
  const s = await testServer(handler);
  servers.push(s);
  return s;
}

/** Redirects `from` to /hang, which never answers. */
const redirectsToHang =
  (from: string): Handler =>
  (req, res) => {
    if (req.url !== from) return;
    res.statusCode = 302;
    res.setHeader('location', '/hang');
    res.end();
  };


interface Seen {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
}

/** A server that redirects by a table (path → [status, location]), answers 200 elsewhere, and records what it got. */
async function redirector(table: Record<string, [number, string]>, delayMs = 0): Promise<{ server: TestServer; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = await serve((req, res) => {
    seen.push({ method: req.method!, url: req.url!, headers: req.headers });
    setTimeout(() => {
      const hop = table[req.url!];
      if (hop) {
        res.statusCode = hop[0];
        res.setHeader('location', hop[1]);
        res.end('moved');
      } else res.end('{"ok":true}');
    }, delayMs);
  });
  return { server, seen };
}

describe('redirects are followed as k6 follows them (up to maxRedirects, 10 by default)', () => {
  it('follows a redirect: one request whose latency, bytes and status are those of the whole chain', async () => {
    const { server, seen } = await redirector({ '/old': [302, '/new'] }, 30);
    const summary = await startRun(probe({ target: server.url, scenario: iterations(3), requests: [{ name: 'old', url: '/old' }] })).done;
    expect(seen.map((s) => s.url)).toEqual(['/old', '/new', '/old', '/new', '/old', '/new']);
    expect(summary.outcomes.ok).toBe(3);
    expect(summary.metrics.http_reqs!.values.count).toBe(3);
    // Both hops wait 30 ms: the request took at least 60; the server time is the last hop's.
    expect(summary.metrics.http_req_duration!.values.min).toBeGreaterThanOrEqual(60);
    expect(summary.metrics.http_req_waiting!.values.min).toBeGreaterThanOrEqual(29);
    expect(summary.metrics.http_req_waiting!.values.max).toBeLessThan(59);
    expect(summary.redirects).toEqual({ old: 3 });
    expect(formatSummary(summary)).toContain('redirects followed: old=3 (each chain is one request, its latency to the final response)');
    expect(summary.warnings.filter((w) => /redirect/.test(w))).toEqual([]);
    // Both responses' bytes: "moved" (5) and '{"ok":true}' (11) bodies, each with headers.
    expect(summary.metrics.data_received!.values.count).toBeGreaterThan(3 * (5 + 11 + 2 * 60));
  });

  it('follows a chain in the open model too, latency from the scheduled start to the final response', async () => {
    const { server, seen } = await redirector({ '/a': [301, '/b'], '/b': [308, '/c'] });
    const summary = await startRun(
      probe({ target: server.url, scenario: { executor: 'constant-arrival-rate', rate: 50, duration: '1s', preAllocatedVUs: 2 }, requests: [{ name: 'a', url: '/a' }] }),
    ).done;
    expect(summary.outcomes.ok).toBe(50);
    expect(seen.filter((s) => s.url === '/c')).toHaveLength(50);
    expect(summary.redirects).toEqual({ a: 100 });
  });

  it('301/302/303 turn a POST into a GET without its body; 307/308 repeat the method and body (as Go and browsers do)', async () => {
    const bodies: string[] = [];
    const hops: Record<string, [number, string]> = { '/303': [303, '/done'], '/302': [302, '/done'], '/307': [307, '/done'], '/308': [308, '/done'] };
    const withBody = await serve((req, res) => {
      bodies.push(`${req.method} ${req.url} ${req.headers['content-type'] ?? '-'} ${req.headers['content-length'] ?? '-'}`);
      const hop = hops[req.url!];
      if (hop) {
        res.statusCode = hop[0];
        res.setHeader('location', hop[1]);
      }
      res.end();
    });
    for (const code of ['303', '302', '307', '308']) {
      const summary = await startRun(
        probe({ target: withBody.url, scenario: iterations(1), requests: [{ name: `p${code}`, method: 'POST', url: `/${code}`, body: { a: 1 } }] }),
      ).done;
      expect(summary.outcomes.ok).toBe(1);
    }
    expect(bodies).toEqual([
      'POST /303 application/json 7',
      'GET /done - -',
      'POST /302 application/json 7',
      'GET /done - -',
      'POST /307 application/json 7',
      'POST /done application/json 7',
      'POST /308 application/json 7',
      'POST /done application/json 7',
    ]);
  });

  it('keeps credentials on the same host and drops them on the way to another host', async () => {
    const other = await redirector({});
    const { server, seen } = await redirector({ '/same': [302, '/here'], '/away': [302, `http://localhost:${other.server.port}/there`] });
    const headers = { authorization: 'Bearer s3cret', cookie: 'a=1', 'x-trace': 't' };
    const summary = await startRun(
      probe({ target: server.url, scenario: iterations(2), requests: [{ name: 'same', url: '/same', headers }, { name: 'away', url: '/away', headers }] }),
    ).done;
    expect(summary.outcomes.ok).toBe(2);
    const here = seen.find((s) => s.url === '/here')!;
    expect(here.headers).toMatchObject({ authorization: 'Bearer s3cret', cookie: 'a=1', 'x-trace': 't' });
    const there = other.seen.find((s) => s.url === '/there')!;
    expect(there.headers.authorization).toBeUndefined();
    expect(there.headers.cookie).toBeUndefined();
    expect(there.headers['x-trace']).toBe('t');
    expect(there.headers.host).toBe(`localhost:${other.server.port}`);
  });

  it('stops after the limit and returns the redirect, with a warning; redirects: 0 does not follow and does not warn', async () => {
    const { server, seen } = await redirector({ '/loop': [302, '/loop'] });
    const limited = await startRun(probe({ target: server.url, scenario: iterations(2), requests: [{ name: 'loop', url: '/loop', redirects: 2 }] })).done;
    expect(seen).toHaveLength(6);
    expect(limited.outcomes.ok).toBe(2);
    expect(limited.metrics.http_reqs!.values.count).toBe(2);
    expect(limited.warnings.find((w) => /redirect/.test(w))).toMatch(/2 requests to loop stopped after 2 redirects and got the redirect \(HTTP 302\)/);

    seen.length = 0;
    const probeWide = await startRun(probe({ target: server.url, maxRedirects: 1, scenario: iterations(1), requests: [{ name: 'loop', url: '/loop' }] })).done;
    expect(seen).toHaveLength(2);
    expect(probeWide.redirects).toEqual({ loop: 1 });

    seen.length = 0;
    const asserted = await startRun(
      probe({ target: server.url, scenario: iterations(1), requests: [{ name: 'loop', url: '/loop', redirects: 0, expect: { status: [302] } }] }),
    ).done;
    expect(seen).toHaveLength(1);
    expect(asserted.outcomes.ok).toBe(1);
    expect(asserted.redirects).toEqual({});
    expect(asserted.warnings.filter((w) => /redirect/.test(w))).toEqual([]);
  });

  it('the default limit is k6’s 10', async () => {
    const { server, seen } = await redirector({ '/loop': [307, '/loop'] });
    const summary = await startRun(probe({ target: server.url, scenario: iterations(1), requests: [{ name: 'loop', url: '/loop' }] })).done;
    expect(seen).toHaveLength(11);
    expect(summary.warnings.find((w) => /redirect/.test(w))).toMatch(/stopped after 10 redirects/);
  });

  it('a redirect without a Location is the response; an unusable Location is an http_error that names it', async () => {
    const noLocation = await serve((_req, res) => {
      res.statusCode = 302;
      res.end();
    });
    const kept = await startRun(probe({ target: noLocation.url, scenario: iterations(1), requests: [{ name: 'bare', url: '/x' }] })).done;
    expect(kept.outcomes.ok).toBe(1);
    expect(kept.redirects).toEqual({});
    const bad = await serve((req, res) => {
      res.statusCode = 301;
      res.setHeader('location', req.url === '/ftp' ? 'ftp://127.0.0.1/file' : 'http://[::1');
      res.end();
    });
    const summary = await startRun(probe({ target: bad.url, scenario: iterations(2), requests: [{ name: 'bad', url: '/x' }, { name: 'ftp', url: '/ftp' }] })).done;
    expect(summary.outcomes.http_error).toBe(2);
    const messages = summary.errors.map((e) => e.message).sort();
    expect(messages).toEqual([
      'HTTP 301 redirects to "ftp://127.0.0.1/file", which is not an http(s) URL',
      'HTTP 301 redirects to "http://[::1", which is not a valid URL',
    ]);
  });

  it('an empty Location is no Location (as in Go): the redirect is the response', async () => {
    const raw = await rawServer((path) => (path === '/x' ? 'HTTP/1.1 302 Found\r\nLocation: \r\nContent-Length: 0\r\n\r\n' : 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'));
    const summary = await startRun(probe({ target: raw.url, scenario: iterations(1), requests: [{ name: 'x', url: '/x' }] })).done;
    expect(raw.seen).toEqual(['/x']);
    expect(summary.outcomes.ok).toBe(1);
    expect(summary.redirects).toEqual({});
    expect(summary.warnings.filter((w) => /redirect/.test(w))).toEqual([]);
  });

  it('a Location is read as Go reads it: raw bytes and backslashes percent-encoded, control characters refused', async () => {
    const locations: Record<string, string> = { '/latin1': '/caf\xe9', '/utf8': '/caf\xc3\xa9', '/backslash': '\\\\evil.example/x', '/tab': '/x\ty' };
    const raw = await rawServer((path) =>
      locations[path] !== undefined ? `HTTP/1.1 302 Found\r\nLocation: ${locations[path]}\r\nContent-Length: 0\r\n\r\n` : 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n',
    );
    const summary = await startRun(
      probe({ target: raw.url, scenario: iterations(4), requests: Object.keys(locations).map((path) => ({ name: path.slice(1), url: path })) }),
    ).done;
    expect(raw.seen).toEqual(['/latin1', '/caf%E9', '/utf8', '/caf%C3%A9', '/backslash', '/%5C%5Cevil.example/x', '/tab']);
    expect(summary.outcomes).toMatchObject({ ok: 3, http_error: 1 });
    expect(summary.errors.map((e) => e.message)).toEqual(['HTTP 302 redirects to "/x\ty", which is not a valid URL']);
  });

  it('sends a Referer on each hop, as Go does, but not from https to http and not over one the request sets', async () => {
    const { server, seen } = await redirector({ '/a?q=1': [302, '/b'], '/a': [302, '/b'] });
    await startRun(
      probe({ target: server.url, scenario: iterations(2), requests: [{ name: 'a', url: '/a?q=1' }, { name: 'own', url: '/a', headers: { referer: 'https://app.example/' } }] }),
    ).done;
    expect(seen.filter((s) => s.url === '/b').map((s) => s.headers.referer)).toEqual([`${server.url}/a?q=1`, 'https://app.example/']);
    const hop = (location: string, headers: string[] = []): unknown => {
      const h = redirectHop('https://secure.example', { path: '/a', method: 'GET', headers }, { hostname: 'secure.example', setsReferer: headers.length > 0 }, 302, location);
      return typeof h === 'string' ? h : h.options.headers;
    };
    expect(hop('http://plain.example/b')).toEqual([]);
    expect(hop('/b')).toEqual(['referer', 'https://secure.example/a']);
    // Go copies the request's own referer to every hop (https → http too); a chain's second hop replaces the first's.
    expect(hop('http://plain.example/b', ['Referer', 'https://app.example/'])).toEqual(['Referer', 'https://app.example/']);
    const second = redirectHop('http://a.example', { path: '/2', method: 'GET', headers: ['referer', 'http://a.example/1'] }, { hostname: 'a.example', setsReferer: false }, 302, '/3');
    expect(typeof second !== 'string' && second.options.headers).toEqual(['referer', 'http://a.example/2']);
  });

  it('an interrupted chain adds nothing to the metrics but the bytes its hops wrote and read (k6 counts an interrupted iteration’s data), not even its redirects', async () => {
    const server = await serve(redirectsToHang('/a'));
    const summary = await startRun(
      probe({ target: server.url, timeout: '30s', scenario: { executor: 'constant-vus', vus: 2, duration: '300ms', gracefulStop: '200ms' }, requests: [{ name: 'a', url: '/a' }] }),
    ).done;
    expect(summary.interruptedIterations).toBe(2);
    expect(summary.metrics.http_reqs!.values.count).toBe(0);
    expect(summary.redirects).toEqual({});
    // Each chain: the redirect's response read, and both hops' requests written.
    expect(summary.metrics.data_received!.values.count).toBeGreaterThan(2 * 'HTTP/1.1 302 Found\r\n'.length);
    expect(summary.metrics.data_sent!.values.count).toBeGreaterThan(2 * 2 * 'GET /a HTTP/1.1\r\n'.length);
  });

  it('the request timeout covers the whole chain', async () => {
    const server = await serve(redirectsToHang('/old'));
    const summary = await startRun(probe({ target: server.url, timeout: '300ms', scenario: iterations(1), requests: [{ name: 'old', url: '/old' }] })).done;
    expect(summary.outcomes.timeout).toBe(1);
    expect(summary.metrics.http_req_duration!.values.max).toBeGreaterThanOrEqual(290);
    expect(summary.metrics.http_req_duration!.values.max).toBeLessThan(1000);
  });
});

describe('cookies a redirect sets go on to the next hops of its chain, as k6 sends them (its jar is reset every iteration)', () => {
  /** Answers by `route(path)`: [status, set-cookie values, location]; 200 elsewhere. Records "path cookie" per request. */
  async function cookieServer(route: (path: string) => [number, string[], string] | undefined): Promise<{ server: TestServer; seen: string[] }> {
    const seen: string[] = [];
    const server = await serve((req, res) => {
      seen.push(`${req.url} ${req.headers.cookie ?? '-'}`);
      const hop = route(req.url!);
      if (hop) {
        res.statusCode = hop[0];
        if (hop[1].length > 0) res.setHeader('set-cookie', hop[1]);
        res.setHeader('location', hop[2]);
      }
      res.end();
    });
    return { server, seen };
  }

  it('a login answered 303 with Set-Cookie: the page it leads to gets the cookie; the next iteration starts without it', async () => {
    const seen: string[] = [];
    const server = await serve((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers.cookie ?? '-'}`);
      if (req.url === '/login') {
        res.statusCode = 303;
        res.setHeader('set-cookie', [`session=s${seen.length}; Path=/; HttpOnly; SameSite=Lax`]);
        res.setHeader('location', '/home');
      } else if (req.headers.cookie !== `session=s${seen.length - 1}`) res.statusCode = 401;
      res.end();
    });
    const summary = await startRun(
      probe({ target: server.url, scenario: iterations(2), requests: [{ name: 'login', method: 'POST', url: '/login', body: { user: 'a' } }] }),
    ).done;
    expect(seen).toEqual(['POST /login -', 'GET /home session=s1', 'POST /login -', 'GET /home session=s3']);
    expect(summary.outcomes).toMatchObject({ ok: 2, http_error: 0 });
  });

  it('sends a cookie only under its Path, and not after a later hop deletes it (Max-Age=0)', async () => {
    const { server, seen } = await cookieServer((path) => {
      if (path === '/start') return [302, ['app=1; Path=/app', 'other=1; Path=/other', 'gone=1', 'root=1; Path=/'], '/step/1'];
      if (path === '/step/1') return [302, ['gone=; Max-Age=0; Path=/'], '/app/home'];
      return undefined;
    });
    const summary = await startRun(probe({ target: server.url, scenario: iterations(1), requests: [{ name: 'start', url: '/start' }] })).done;
    expect(summary.outcomes.ok).toBe(1);
    expect(seen).toEqual(['/start -', '/step/1 gone=1; root=1', '/app/home app=1; root=1']);
  });

  it('sends a host’s cookies to that host on another port (cookies do not depend on the port), not to another host', async () => {
    // b, reached as 127.0.0.1 or as localhost; its /other-host sends the chain back to a.
    let aUrl = '';
    const bSeen: string[] = [];
    const b = await serve((req, res) => {
      bSeen.push(`${req.headers.host!.split(':')[0]} ${req.url} ${req.headers.cookie ?? '-'}`);
      if (req.url === '/other-host') res.writeHead(302, { 'set-cookie': 'b=1', location: `${aUrl}/back` });
      res.end();
    });
    const { server: a, seen } = await cookieServer((path) => {
      if (path === '/to-port') return [302, ['sid=1'], `http://127.0.0.1:${b.port}/same-host`];
      if (path === '/to-name') return [302, ['sid=2', 'dom=1; Domain=localhost'], `http://localhost:${b.port}/other-host`];
      return undefined;
    });
    aUrl = a.url;
    const summary = await startRun(
      probe({
        target: a.url,
        scenario: iterations(2),
        requests: [
          { name: 'port', url: '/to-port' },
          { name: 'name', url: '/to-name', headers: { cookie: 'own=1' } },
        ],
      }),
    ).done;
    expect(summary.outcomes.ok).toBe(2);
    // 127.0.0.1 may not set a cookie for localhost, and localhost's b=1 is not 127.0.0.1's.
    expect(bSeen).toEqual(['127.0.0.1 /same-host sid=1', 'localhost /other-host -']);
    // The request's own cookie, once not sent on to another host, is not sent again; the jar's goes by its own domain.
    expect(seen).toEqual(['/to-port -', '/to-name own=1', '/back sid=2']);
  });

  it('the request’s own Cookie header goes on, without a cookie of a name the redirect sets, followed by the jar’s', async () => {
    const { server, seen } = await cookieServer((path) => (path === '/login' ? [302, ['session=new', 'csrf=t1'], '/home'] : undefined));
    const summary = await startRun(
      probe({ target: server.url, scenario: iterations(1), requests: [{ name: 'login', url: '/login', headers: { Cookie: 'theme=dark; session=old' } }] }),
    ).done;
    expect(summary.outcomes.ok).toBe(1);
    expect(seen).toEqual(['/login theme=dark; session=old', '/home theme=dark; session=new; csrf=t1']);
  });

  it('drops a Set-Cookie whose value Go refuses (here a byte beyond ASCII) and sends the others, a value with a space quoted', async () => {
    const cookies: string[] = [];
    const raw = await rawServer((path, head) => {
      cookies.push(`${path} ${/\r\ncookie: ([^\r]*)/i.exec(head)?.[1] ?? '-'}`);
      return path === '/x'
        ? 'HTTP/1.1 302 Found\r\nSet-Cookie: bad=caf\xe9\r\nSet-Cookie: spaced=a b\r\nSet-Cookie: ok=1\r\nLocation: /y\r\nContent-Length: 0\r\n\r\n'
        : 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n';
    });
    const summary = await startRun(probe({ target: raw.url, scenario: iterations(1), requests: [{ name: 'x', url: '/x' }] })).done;
    expect(summary.outcomes.ok).toBe(1);
    expect(cookies).toEqual(['/x -', '/y spaced="a b"; ok=1']);
  });
});

describe('redirect options are validated', () => {
  const base = {
    target: 'http://127.0.0.1:8081',
    scenario: { executor: 'constant-arrival-rate', rate: 10, duration: '10s', preAllocatedVUs: 5 },
  };
  const problems = (spec: Record<string, unknown>): string[] => {
    const r = probeSpecSchema.safeParse({ ...base, ...spec });
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('accepts counts and rejects anything else', () => {
    expect(problems({ maxRedirects: 0, requests: [{ name: 'a', url: '/x', redirects: 3 }] })).toEqual([]);
    expect(probeSpecSchema.parse({ ...base, requests: [{ name: 'a', url: '/x' }] }).maxRedirects).toBe(10);
    expect(problems({ maxRedirects: -1, requests: [{ name: 'a', url: '/x', redirects: 1.5 }] })).toEqual([
      'requests.0.redirects: expected a whole number of redirects, 0 or more (0: do not follow)',
      'maxRedirects: expected a whole number of redirects, 0 or more (0: do not follow)',
    ]);
  });

  it('reports the expect.status and duplicate-name problems in the same pass as the others', () => {
    const found = problems({
      maxRedirects: 2,
      requests: [
        { name: 'a', url: '/x', redirects: -1 },
        { name: 'b', url: '/y', expect: { status: [301] } },
        { name: 'b', url: '/z', timeout: 'soon' },
      ],
    });
    expect(found.filter((line) => line.startsWith('requests.2.timeout: '))).toHaveLength(1);
    expect(found.filter((line) => !line.startsWith('requests.2.timeout: ')).sort()).toEqual([
      'requests.0.redirects: expected a whole number of redirects, 0 or more (0: do not follow)',
      'requests.1.expect.status: a redirect (HTTP 301) is followed, so its status is never the response’s; to assert the redirect itself, set redirects: 0 on this request',
      'requests.2.name: duplicate request name "b" (also requests[1]); names tag the metrics and must be unique',
    ]);
  });

  it('an expected status that only a redirect has cannot be seen while redirects are followed', () => {
    expect(problems({ requests: [{ name: 'a', url: '/x', expect: { status: [301, 308] } }] })).toEqual([
      'requests.0.expect.status: a redirect (HTTP 301, 308) is followed, so its status is never the response’s; to assert the redirect itself, set redirects: 0 on this request',
    ]);
    expect(problems({ maxRedirects: 0, requests: [{ name: 'a', url: '/x', expect: { status: [301] } }] })).toEqual([]);
    expect(problems({ requests: [{ name: 'a', url: '/x', redirects: 0, expect: { status: [301] } }] })).toEqual([]);
    // A redirect among other statuses may be what the chain ends with (after the limit, or without a Location).
    expect(problems({ requests: [{ name: 'a', url: '/x', expect: { status: [200, 302] } }] })).toEqual([]);
  });
});

describe('redirectHop', () => {
  const hop = (status: number, location: string, over: Record<string, unknown> = {}, origin = 'http://api.example:8080'): RedirectHop => {
    const r = redirectHop(
      origin,
      { path: '/v1/old?x=1', method: 'POST', headers: ['authorization', 'a', 'content-type', 'text/plain', 'x-id', '7'], body: 'hello', ...over },
      { hostname: 'api.example', setsReferer: true },
      status,
      location,
    );
    if (typeof r === 'string') throw new Error(r);
    return r;
  };

  it('resolves relative, protocol-relative and absolute Locations against the URL that answered, without a fragment', () => {
    expect(hop(307, 'new').options.path).toBe('/v1/new');
    expect(hop(307, '../up?y=2#frag').options.path).toBe('/up?y=2');
    expect(hop(307, '//cdn.api.example/x')).toMatchObject({ origin: 'http://cdn.api.example', options: { path: '/x' } });
    expect(hop(307, 'https://api.example/s').origin).toBe('https://api.example');
  });

  it('percent-encodes a Location sent as UTF-8 bytes', () => {
    expect(hop(302, Buffer.from('/caf\u00e9 x', 'utf8').toString('latin1')).options.path).toBe('/caf%C3%A9%20x');
  });

  it('a HEAD stays a HEAD on 301/302/303; a GET drops nothing but the body headers', () => {
    expect(hop(301, '/n', { method: 'HEAD', body: null }).options.method).toBe('HEAD');
    const h = hop(303, '/n');
    expect(h.options).toMatchObject({ method: 'GET', body: null, headers: ['authorization', 'a', 'x-id', '7'] });
    expect(hop(308, '/n').options).toMatchObject({ method: 'POST', body: 'hello', headers: ['authorization', 'a', 'content-type', 'text/plain', 'x-id', '7'] });
  });

  it('credentials go on to the same host and its subdomains only; an explicit host header only within the origin', () => {
    expect(hop(307, 'http://eu.api.example/x').options.headers).toContain('authorization');
    expect(hop(307, 'http://api.example:9090/x').options.headers).toContain('authorization');
    expect(hop(307, 'http://evil-api.example/x').options.headers).not.toContain('authorization');
    expect(hop(307, '/x', { headers: ['host', 'api.example:8080'] }).options.headers).toEqual(['host', 'api.example:8080']);
    expect(hop(307, 'http://eu.api.example/x', { headers: ['Host', 'api.example:8080'] }).options.headers).toEqual([]);
  });
});

describe('redirects and the maxRps cap', () => {
  it('stops an arrival-rate run whose redirects push the requests sent above maxRps, and says why', async () => {
    const { server, seen } = await redirector({ '/loop': [302, '/loop'] });
    const summary = await startRun(
      probe({ target: server.url, scenario: { executor: 'constant-arrival-rate', rate: 20, duration: '5s', preAllocatedVUs: 2 }, requests: [{ name: 'loop', url: '/loop' }] }),
      { maxRps: 40 },
    ).done;
    expect(summary.status).toBe('aborted');
    expect(summary.stopReason).toMatch(/^redirects raised the requests sent to [\d,]+\/s, above maxRps \(40\/s\): [\d,]+ redirects sent beside [\d,]+ iterations in 1s/);
    expect(summary.durationMs).toBeLessThan(4000);
    // 220 requests a second while it ran: at most the first intervals and gracefulStop's chains.
    expect(seen.length).toBeLessThan(20 * 11 * 3);
  });

  it('lets redirects through while the requests sent stay within maxRps, whenever their chains end', async () => {
    // Exactly at the cap (10 iterations and 10 redirects a second), hops slow enough that chains end
    // across interval boundaries and after the scenario's end (a short last interval).
    const { server, seen } = await redirector({ '/a': [302, '/b'] }, 60);
    const summary = await startRun(
      probe({ target: server.url, scenario: { executor: 'constant-arrival-rate', rate: 10, duration: '3s', preAllocatedVUs: 2 }, requests: [{ name: 'a', url: '/a' }] }),
      { maxRps: 20 },
    ).done;
    expect(summary.stopReason).toBe('completed');
    expect(summary.status).toBe('passed');
    expect(summary.outcomes.ok).toBe(30);
    expect(seen).toHaveLength(60);
  });

  it('stops a slow redirect loop while its chains are still running (hops count when they are sent)', async () => {
    const { server } = await redirector({ '/loop': [302, '/loop'] }, 300);
    const summary = await startRun(
      probe({ target: server.url, timeout: '5s', scenario: { executor: 'constant-arrival-rate', rate: 5, duration: '4s', preAllocatedVUs: 20 }, requests: [{ name: 'loop', url: '/loop' }] }),
      { maxRps: 8 },
    ).done;
    expect(summary.status).toBe('aborted');
    expect(summary.stopReason).toMatch(/^redirects raised the requests sent to [\d,]+\/s, above maxRps \(8\/s\)/);
    // Stopped at the end of the first second; gracefulStop lets the chains in flight finish.
    expect(summary.metrics.iterations!.values.count).toBeLessThanOrEqual(6);
  });

  it('names the share of maxRps a segment stops at', async () => {
    const { server } = await redirector({ '/loop': [302, '/loop'] });
    const summary = await startRun(
      probe({ target: server.url, scenario: { executor: 'constant-arrival-rate', rate: 20, duration: '3s', preAllocatedVUs: 2 }, requests: [{ name: 'loop', url: '/loop' }] }),
      { maxRps: 40, segment: { index: 0, count: 2 } },
    ).done;
    expect(summary.stopReason).toMatch(/above this segment’s share of maxRps \(20\/s of 40\/s\): [\d,]+ redirects sent beside [\d,]+ iterations in 1s/);
  });
});
