import { describe, expect, it } from 'vitest';
import { buildRequest, compileRequests, USER_AGENT, weightedPicker } from './requests.ts';
import { startRun } from './run.ts';
import { probe, testServer } from './test-support.ts';

const ctx = { vu: 1, iter: 0, seq: 0 };

function counts(weights: number[], picks: number): number[] {
  const pick = weightedPicker(weights);
  const c = weights.map(() => 0);
  for (let i = 0; i < picks; i++) c[pick()]!++;
  return c;
}

describe('the weighted mix', () => {
  it('gives each request its share exactly over whole rounds, interleaved, with fractional weights too', () => {
    expect(counts([2, 1], 3000)).toEqual([2000, 1000]);
    expect(counts([0.1, 0.2, 0.7], 10_000)).toEqual([1000, 2000, 7000]);
    expect(counts([5], 7)).toEqual([7]);
    const pick = weightedPicker([2, 1]);
    expect([pick(), pick(), pick(), pick(), pick(), pick()]).toEqual([0, 1, 0, 0, 1, 0]);
  });

  it('keeps the shares of weights whose sum is beyond the largest number', () => {
    // The sum overflowed to Infinity: every pick after the first subtracted Infinity from the first request alone (999:1).
    expect(counts([1e308, 1e308], 1000)).toEqual([500, 500]);
    expect(counts([1.5e308, 0.75e308, 0.75e308], 1000)).toEqual([500, 250, 250]);
  });
});

describe('compiled requests', () => {
  const spec = (requests: unknown[]): ReturnType<typeof probe> =>
    probe({ target: 'http://127.0.0.1:9/base/', scenario: { executor: 'shared-iterations' }, requests });

  it('sends a JSON body as application/json unless a content-type is given, a string body with none, and a user-agent', () => {
    const [json, typed, text] = compileRequests(
      spec([
        { name: 'j', method: 'POST', url: '/x', body: { s: 'é"\\{{pick "\\"" x}}' } },
        { name: 't', method: 'POST', url: '/x', headers: { 'Content-Type': 'application/vnd+json' }, body: { a: 1 } },
        { name: 's', method: 'POST', url: '/x?u={{userId 1 9}}', body: 'héllo {{seq}}' },
      ]),
    );
    const headersOf = (h: unknown): string[] => h as string[];
    const j = buildRequest(json!, ctx).options;
    expect(headersOf(j.headers)).toEqual(['content-type', 'application/json', 'user-agent', USER_AGENT]);
    expect(JSON.parse(j.body as string)).toMatchObject({ s: expect.stringMatching(/^é"\\("|x)$/) as unknown });
    const t = buildRequest(typed!, ctx);
    expect(t.options).toBe(typed!.staticOptions);
    expect(headersOf(t.options.headers)).toEqual(['Content-Type', 'application/vnd+json', 'user-agent', USER_AGENT]);
    expect(t.options.body).toEqual(Buffer.from('{"a":1}'));
    const s = buildRequest(text!, ctx);
    expect(s.path).toMatch(/^\/base\/x\?u=u-[1-9]$/);
    expect(headersOf(s.options.headers)).toEqual(['user-agent', USER_AGENT]);
    expect(s.options.body).toBe('héllo 0');
  });
});

describe('userAgent', () => {
  it("k6's option replaces burnwatch's user-agent on every request that sets none; an empty one sends none, as k6's does", () => {
    const build = (extra: Record<string, unknown>, headers: Record<string, string> = {}): string[] =>
      buildRequest(compileRequests(probe({ target: 'http://127.0.0.1:9', scenario: { executor: 'constant-vus', vus: 1, duration: '1s' }, requests: [{ name: 'a', url: '/', headers }], ...extra }))[0]!, ctx).options
        .headers as string[];
    expect(build({ userAgent: 'mobile-app/5.2 (iOS 18)' })).toEqual(['user-agent', 'mobile-app/5.2 (iOS 18)']);
    expect(build({ userAgent: 'mobile-app/5.2' }, { 'User-Agent': 'own/1' })).toEqual(['User-Agent', 'own/1']);
    expect(build({ userAgent: '' })).toEqual([]);
    expect(build({})).toEqual(['user-agent', USER_AGENT]);
    expect(() => build({ userAgent: 'a\r\nX-Injected: 1' })).toThrow(/userAgent[\s\S]*no control characters/);
    // Literal, as k6's: braces are text, not a template (an unterminated one made every worker fail).
    expect(build({ userAgent: 'bot-{{vu}}' })).toEqual(['user-agent', 'bot-{{vu}}']);
    expect(build({ userAgent: 'Mozilla/5.0 {{' })).toEqual(['user-agent', 'Mozilla/5.0 {{']);
  });
});

describe('credentials in a URL', () => {
  it('become basic auth, as Go’s client (k6) sends them, unless the request sets its own Authorization', () => {
    const [fromTarget, absolute, own] = compileRequests(
      probe({
        target: 'http://bot:p%40ss@127.0.0.1:9/base',
        scenario: { executor: 'shared-iterations', vus: 1, iterations: 1 },
        requests: [
          { name: 'a', url: '/x' },
          { name: 'b', url: 'http://svc:t0ken@127.0.0.1:10/y' },
          { name: 'c', url: '/z', headers: { Authorization: 'Bearer abc' } },
        ],
      }),
    );
    expect(fromTarget!.origin).toBe('http://127.0.0.1:9');
    expect(fromTarget!.staticHeaders).toContain(`Basic ${Buffer.from('bot:p@ss').toString('base64')}`);
    expect(absolute!.origin).toBe('http://127.0.0.1:10');
    expect(absolute!.staticHeaders).toContain(`Basic ${Buffer.from('svc:t0ken').toString('base64')}`);
    expect(own!.staticHeaders!.filter((h) => /^(Basic|Bearer) /.test(h))).toEqual(['Bearer abc']);
  });

  it('a "%" that starts no escape in the user-info is sent as written, not a crash of the worker (Go refuses such a URL)', () => {
    const [r] = compileRequests(probe({ target: 'http://us%zz:100%@127.0.0.1:9', scenario: { executor: 'shared-iterations', vus: 1, iterations: 1 }, requests: [{ name: 'a', url: '/x' }] }));
    expect(r!.staticHeaders).toContain(`Basic ${Buffer.from('us%zz:100%').toString('base64')}`);
  });

  it('reach the target as basic auth in a run, and the summary shows the target without them', async () => {
    const seen: (string | undefined)[] = [];
    const server = await testServer((req, res) => {
      seen.push(req.headers.authorization);
      res.end('ok');
    });
    try {
      const target = server.url.replace('http://', 'http://bot:hunter22@');
      const summary = await startRun(probe({ target, scenario: { executor: 'shared-iterations', vus: 1, iterations: 2 }, requests: [{ name: 'a', url: '/x' }] })).done;
      expect(summary.outcomes.ok).toBe(2);
      expect(seen).toEqual([`Basic ${Buffer.from('bot:hunter22').toString('base64')}`, `Basic ${Buffer.from('bot:hunter22').toString('base64')}`]);
      expect(summary.target).toBe(server.url.replace('http://', 'http://[redacted]@'));
    } finally {
      await server.close();
    }
  });
});
