import { describe, expect, it } from 'vitest';
import { OUTCOMES } from '../common/index.ts';
import type { Outcome } from '../common/index.ts';
import { compileExpect } from './expect.ts';
import { EMPTY_SPARSE, IntervalRecorder } from './histogram.ts';
import { Agg } from './metrics.ts';
import type { WorkerPartial, WorkerRequestPartial } from './protocol.ts';
import { probeSpecSchema } from './spec.ts';
import { summaryMetrics } from './summary.ts';
import { probe as probeModel } from './test-support.ts';
import { canonicalKey, compileThresholds, holds, observe, parseMetricKey, parseThreshold, rawThresholdProblems, thresholdProblems } from './thresholds.ts';

const spec = (thresholds: Record<string, unknown>) =>
  probeSpecSchema.parse({
    target: 'http://127.0.0.1:1',
    scenario: { executor: 'constant-arrival-rate', rate: 10, duration: '1s', preAllocatedVUs: 1 },
    requests: [
      { name: 'get_variant', url: '/a', tags: { team: 'exp' } },
      { name: 'evaluate', url: '/b', expect: { status: [200, 404] } },
    ],
    thresholds,
  });

describe('threshold grammar', () => {
  it.each([
    ['p(95)<500', { aggregation: 'percentile', percentile: 95, operator: '<', value: 500 }],
    ['p(99.9) <= 1000', { aggregation: 'percentile', percentile: 99.9, operator: '<=', value: 1000 }],
    [' avg < 200 ', { aggregation: 'avg', operator: '<', value: 200 }],
    ['med>=1.5', { aggregation: 'med', operator: '>=', value: 1.5 }],
    ['rate<0.01', { aggregation: 'rate', operator: '<', value: 0.01 }],
    ['count==0', { aggregation: 'count', operator: '==', value: 0 }],
    ['count===0', { aggregation: 'count', operator: '==', value: 0 }],
    ['value!=3', { aggregation: 'value', operator: '!=', value: 3 }],
    ['max>1e3', { aggregation: 'max', operator: '>', value: 1000 }],
  ])('parses %s', (text, expected) => {
    expect(parseThreshold(text)).toMatchObject(expected);
  });

  it.each([
    ['p95<500', /did you mean p\(95\)\?/],
    ['p(101)<5', /percentile must be a number from 0 to 100/],
    ['p<5', /p needs a percentile in parentheses/],
    ['p(95)', /no comparison after p\(95\)/],
    ['p(95)<', /no value after "<"/],
    ['p(95)<500ms', /write 500 instead of 500ms/],
    ['p(95)<1.5s', /write 1500 instead of 1.5s/],
    ['rate<1%', /write 0.01 instead of 1%/],
    ['avg=200', /write "==" /],
    ['average<200', /unknown aggregation "average"/],
    ['avg(5)<200', /avg takes no argument/],
    ['p(95)<fast', /"fast" is not a number/],
    ['', /empty/],
  ])('rejects %j with a clear error', (text, message) => {
    expect(() => parseThreshold(text)).toThrow(message);
  });

  it('parses metric keys with tag filters', () => {
    expect(parseMetricKey('http_req_duration{request:get_variant}')).toEqual({ metric: 'http_req_duration', tags: [['request', 'get_variant']] });
    expect(parseMetricKey('http_reqs{ status: 500 , request:"evaluate" }')).toEqual({
      metric: 'http_reqs',
      tags: [
        ['status', '500'],
        ['request', 'evaluate'],
      ],
    });
    expect(() => parseMetricKey('http_req_durations')).toThrow(/unknown metric "http_req_durations" \(did you mean http_req_duration\?\)/);
    expect(() => parseMetricKey('latency')).toThrow(/did you mean http_req_duration/);
    expect(() => parseMetricKey('constructor')).toThrow(/^unknown metric "constructor"; expected one of http_reqs, /);
    // As k6 reads them: quoted tag names, and unquoted values with inner spaces.
    expect(parseMetricKey('http_reqs{"request":evaluate, tier:gold plan}')).toEqual({
      metric: 'http_reqs',
      tags: [
        ['request', 'evaluate'],
        ['tier', 'gold plan'],
      ],
    });
    expect(parseThreshold('count<+5')).toMatchObject({ operator: '<', value: 5 });
    expect(() => parseMetricKey('http_reqs{}')).toThrow(/tag filter is empty/);
    expect(() => parseMetricKey('http_reqs{status}')).toThrow(/expected key:value pairs/);
  });

  it('spells equal sub-metrics one way, so differently written keys share one summary entry', () => {
    const keys = compileThresholds(
      spec({
        'http_req_duration {request:get_variant}': ['p(95)<500'],
        'http_req_duration{ request: "get_variant" }': ['p(99)<900'],
        'http_reqs{status:500, request:evaluate}': ['count<1'],
        'http_reqs{team:"exp"}': ['count<1'],
      }),
    ).map((t) => t.key);
    expect(keys).toEqual(['http_req_duration{request:get_variant}', 'http_req_duration{request:get_variant}', 'http_reqs{request:evaluate,status:500}', 'http_reqs{team:exp}']);
    for (const [tags, spelled] of [
      [[['tier', 'gold plan']], 'http_reqs{tier:"gold plan"}'],
      [[['tier', 'say "hi"']], `http_reqs{tier:'say "hi"'}`],
      [[['status', '200'], ['method', 'GET']], 'http_reqs{method:GET,status:200}'],
    ] as [[string, string][], string][]) {
      expect(canonicalKey({ metric: 'http_reqs', tags })).toBe(spelled);
      expect(canonicalKey(parseMetricKey(spelled))).toBe(spelled);
    }
  });

  it('thresholdProblems names the key path and explains each problem', () => {
    const problems = thresholdProblems(
      spec({
        http_req_duration: ['p(95)<500', 'rate<0.1'],
        'http_req_duration{request:get_varient}': ['p(95)<500'],
        'http_req_duration{status:500}': ['p(95)<500'],
        'http_req_duration{status:500,expected_response:true}': ['p(95)<500'],
        'http_req_waiting{team:exp}': ['p(99)<100'],
        'http_req_waiting{status:200}': ['p(99)<100'],
        'http_req_waiting{expected_response:true}': ['p(99)<100'],
        'iterations{request:evaluate}': ['count>1'],
        http_req_failed: [{ threshold: 'p(90)<1', abortOnFail: true }],
        'http_reqs{region:eu}': ['count>0'],
        'http_reqs{status:500,outcome:timeout}': ['count<1'],
        'http_reqs{status:0}': ['count<1'],
        'http_req_duration{status:0}': ['p(95)<500'],
        vus: ['value<10'],
        http_req_timing: ['p(95)<1'],
      }),
    );
    const byPath = Object.fromEntries(problems.map((p) => [p.path.join('/'), p.message]));
    expect(byPath['thresholds/http_req_duration/1']).toMatch(/rate is not available on http_req_duration \(a trend\); use avg, min, max, med, p\(N\)/);
    expect(byPath['thresholds/http_req_duration{request:get_varient}']).toMatch(/no request named "get_varient"; the probe's requests: get_variant, evaluate/);
    expect(byPath['thresholds/http_req_duration{status:500}']).toBeUndefined();
    expect(byPath['thresholds/http_req_duration{status:500,expected_response:true}']).toMatch(/status and expected_response cannot be combined in one filter/);
    expect(byPath['thresholds/http_req_waiting{status:200}']).toBeUndefined();
    expect(byPath['thresholds/http_req_waiting{expected_response:true}']).toMatch(/http_req_waiting cannot be filtered by expected_response; use status:N, or http_req_duration\{expected_response:true\}/);
    expect(byPath['thresholds/iterations{request:evaluate}']).toMatch(/iterations has no tags to filter by/);
    expect(byPath['thresholds/http_req_failed/0/threshold']).toMatch(/p\(90\) is not available on http_req_failed \(a rate\); use rate/);
    // k6's status of a request without a response: the error points to the outcome, which says why.
    expect(byPath['thresholds/http_reqs{status:0}']).toMatch(/status:0 \(k6’s status of a request without a response\) is not kept; count those by their outcome, e\.g\. http_reqs\{outcome:timeout\} \(or connect_error, reset\)/);
    expect(byPath['thresholds/http_req_duration{status:0}']).toMatch(/e\.g\. http_reqs\{outcome:timeout\}/);
    expect(byPath['thresholds/http_reqs{region:eu}']).toMatch(/unknown tag "region" for http_reqs; it can be filtered by .*team.*request.*status/);
    expect(byPath['thresholds/http_reqs{status:500,outcome:timeout}']).toMatch(/status and outcome cannot be combined/);
    expect(byPath['thresholds/http_req_timing']).toMatch(/unknown metric "http_req_timing"/);
    expect(byPath['thresholds/http_req_waiting{team:exp}']).toBeUndefined();
    expect(byPath['thresholds/vus']).toBeUndefined();
    expect(problems).toHaveLength(11);
  });

  it('rawThresholdProblems still reports every other problem when the schema rejects one key or entry', () => {
    // http_req_duration is a string, not a list, and http_reqs[1] a number: the schema reports those;
    // every other problem of the same thresholds comes in the same pass.
    const problems = rawThresholdProblems({
      target: 'http://127.0.0.1:1',
      requests: [{ name: 'a', url: '/' }],
      scenario: { executor: 'constant-vus' },
      thresholds: {
        http_req_duration: 'p(95)<500',
        latency: 'p95<5',
        'http_req_duration{request:b}': ['p(95)<5'],
        http_req_failed: ['p(95)<5', 'rate<1%'],
        http_reqs: ['count<1', 5, 'avg<1'],
        vus: ['value<=3'],
      },
    });
    const byPath = Object.fromEntries(problems.map((p) => [p.path.join('/'), p.message]));
    expect(byPath['thresholds/latency']).toMatch(/unknown metric "latency" \(did you mean http_req_duration\?\)/);
    expect(byPath['thresholds/http_req_duration{request:b}']).toMatch(/no request named "b"/);
    expect(byPath['thresholds/http_req_failed/0']).toMatch(/p\(95\) is not available on http_req_failed/);
    expect(byPath['thresholds/http_req_failed/1']).toMatch(/rates are fractions/);
    expect(byPath['thresholds/http_reqs/2']).toMatch(/avg is not available on http_reqs/);
    expect(problems).toHaveLength(5);
  });

  it('rejects a window shorter than the snapshot interval', () => {
    expect(thresholdProblems(spec({ http_req_duration: [{ threshold: 'p(99)<100', window: '500ms' }] }))[0]?.message).toMatch(/shorter than the 1s snapshot interval/);
  });
});

/** A worker partial with given latencies (ms) and statuses per request. */
function fakePartial(requests: { ms: number[]; status?: number; outcome?: Outcome }[]): WorkerPartial {
  const accepted = [compileExpect({ headers: {}, json: {} }), compileExpect({ status: [200, 404], headers: {}, json: {} })];
  const reqs: WorkerRequestPartial[] = requests.map((r, i) => {
    const h = new IntervalRecorder();
    const e = new IntervalRecorder();
    for (const ms of r.ms) h.record(ms * 1000);
    const status = r.status ?? 200;
    const ok = accepted[i]!.acceptedStatus[status] === 1;
    if (ok) for (const ms of r.ms) e.record(ms * 1000);
    const outcomes = OUTCOMES.map((o) => (o === (r.outcome ?? (ok ? 'ok' : 'http_error')) ? r.ms.length : 0));
    return {
      outcomes,
      statuses: { [status]: r.ms.length },
      expected: ok ? r.ms.length : 0,
      latency: h.toSparse(),
      waiting: h.toSparse(),
      expectedLatency: e.toSparse(),
      byStatus: r.ms.length > 0 ? { [status]: { latency: h.toSparse(), waiting: h.toSparse() } } : {},
      within: [],
      headers: {},
      received: 100 * r.ms.length,
      sent: 50 * r.ms.length,
      redirects: 0,
      redirectLimited: 0,
      retries: 0,
      challenges: 0,
      h2: 0,
    };
  });
  return {
    worker: 0,
    index: 0,
    end: 0,
    requests: reqs,
    timings: [],
    iteration: EMPTY_SPARSE,
    lag: EMPTY_SPARSE,
    iterations: 0,
    started: 0,
    redirectsSent: 0,
    challengesSent: 0,
    dropped: 3,
    interrupted: 0,
    vus: 4,
    vusMax: 10,
    busy: 2,
    inFlight: 0,
    samples: [],
    errors: [],
  };
}

describe('threshold evaluation', () => {
  const probe = spec({
    http_req_duration: ['p(95)<500', 'avg<100', 'max<=900'],
    'http_req_duration{request:evaluate}': ['p(50)<30'],
    'http_req_duration{expected_response:true}': ['p(99)<200'],
    'http_req_duration{team:exp}': ['med<60'],
    'http_req_duration{status:503}': ['p(50)<500'],
    'http_req_duration{status:404,request:evaluate}': ['max<25'],
    'http_req_duration{status:500}': ['p(99)<1'],
    'http_req_waiting{status:503}': ['min>800'],
    http_req_failed: ['rate<0.2'],
    'http_req_failed{request:evaluate}': ['rate==0'],
    'http_reqs{status:404}': ['count==10'],
    http_reqs: ['rate>=100'],
    dropped_iterations: ['count<1'],
    vus: ['max<5'],
  });
  const agg = new Agg(2, 0, [compileExpect({ headers: {}, json: {} }).acceptedStatus, compileExpect({ status: [200, 404], headers: {}, json: {} }).acceptedStatus]);
  // get_variant: 90 × 50 ms ok, 10 × 900 ms HTTP 503; evaluate: 10 × 20 ms 404 (accepted).
  agg.addInterval(
    [
      fakePartial([{ ms: Array<number>(90).fill(50) }, { ms: Array<number>(10).fill(20), status: 404 }]),
      fakePartial([{ ms: Array<number>(10).fill(900), status: 503 }, { ms: [] }]),
    ],
    0,
    1000,
  );

  const results = Object.fromEntries(
    compileThresholds(probe).map((t) => {
      const v = observe(t, agg);
      return [`${t.key} ${t.expr.source}`, { value: v, ok: v === undefined || holds(t.expr.operator, v, t.expr.value) }];
    }),
  );

  it('reads trend aggregations in milliseconds from the merged histograms', () => {
    expect(results['http_req_duration p(95)<500']!.value).toBeCloseTo(900, -1);
    expect(results['http_req_duration p(95)<500']!.ok).toBe(false);
    expect(results['http_req_duration avg<100']!.value).toBeCloseTo((90 * 50 + 10 * 900 + 10 * 20) / 110, 0);
    // 10 samples of exactly 900 ms: the max is their bucket's highest equivalent value (900.095 ms, within
    // 0.1 % and never below the exact max), so max<=900 fails — conservatively, as k6 on exact samples would not.
    expect(results['http_req_duration max<=900']!.value).toBeGreaterThanOrEqual(900);
    expect(results['http_req_duration max<=900']!.value).toBeLessThanOrEqual(900 * (1 + 2 ** -10));
    expect(results['http_req_duration max<=900']!.ok).toBe(false);
  });

  it('filters by request, static tags and expected_response', () => {
    expect(results['http_req_duration{request:evaluate} p(50)<30']).toEqual({ value: expect.closeTo(20, 1) as unknown, ok: true });
    expect(results['http_req_duration{expected_response:true} p(99)<200']!.value).toBeCloseTo(50, 0);
    expect(results['http_req_duration{team:exp} med<60']!.value).toBeCloseTo(50, 0);
  });

  it('filters latency and waiting time by status, alone or with a request', () => {
    expect(results['http_req_duration{status:503} p(50)<500']).toEqual({ value: expect.closeTo(900, -1) as unknown, ok: false });
    expect(results['http_req_duration{request:evaluate,status:404} max<25']).toEqual({ value: expect.closeTo(20, 1) as unknown, ok: true });
    expect(results['http_req_waiting{status:503} min>800']).toEqual({ value: expect.closeTo(900, -1) as unknown, ok: true });
    // No response with that status: no data, so the threshold holds (as in k6).
    expect(results['http_req_duration{status:500} p(99)<1']).toEqual({ value: undefined, ok: true });
  });

  it('counts failures by status expectations, statuses and rates per second', () => {
    expect(results['http_req_failed rate<0.2']!.value).toBeCloseTo(10 / 110, 6);
    expect(results['http_req_failed{request:evaluate} rate==0']!.ok).toBe(true);
    expect(results['http_reqs{status:404} count==10']!.ok).toBe(true);
    expect(results['http_reqs rate>=100']!.value).toBeCloseTo(110, 6);
    expect(results['dropped_iterations count<1']).toEqual({ value: 6, ok: false });
    expect(results['vus max<5']).toEqual({ value: 8, ok: false });
  });
});

describe('checks', () => {
  it('is the share of requests that met all their expectations: a status outside expect.status, a timeout or a refused connection fails it', () => {
    const agg = new Agg(2, 0, [compileExpect({ headers: {}, json: {} }).acceptedStatus, compileExpect({ status: [200, 404], headers: {}, json: {} }).acceptedStatus]);
    // get_variant: 3 ok, 1 HTTP 503; evaluate: 1 assertion failure, 1 timeout, 1 refused connection, 1 ok.
    agg.addInterval(
      [
        fakePartial([{ ms: [10, 10, 10] }, { ms: [10], outcome: 'assertion_failed' }]),
        fakePartial([{ ms: [30], status: 503 }, { ms: [1000], outcome: 'timeout' }]),
        fakePartial([{ ms: [] }, { ms: [1], outcome: 'connect_error' }]),
        fakePartial([{ ms: [] }, { ms: [10] }]),
      ],
      0,
      1000,
    );
    expect(agg.rate('checks')).toEqual({ pass: 4, total: 8 });
    expect(agg.rate('checks', { requests: [true, false] })).toEqual({ pass: 3, total: 4 });
    // Every response a 500: checks has data and rate>0.99 fails (k6: a status check fails).
    const failing = new Agg(2, 0, [compileExpect({ headers: {}, json: {} }).acceptedStatus, compileExpect({ status: [200, 404], headers: {}, json: {} }).acceptedStatus]);
    failing.addInterval([fakePartial([{ ms: [5, 5], status: 500 }, { ms: [] }])], 0, 1000);
    const [t] = compileThresholds(spec({ checks: ['rate>0.99'] }));
    expect(observe(t!, failing)).toBe(0);
  });

  it('is in the summary when a request states an expectation, a status list alone included', () => {
    const agg = new Agg(1, 0, [compileExpect({ status: [200], headers: {}, json: {} }).acceptedStatus]);
    const keys = (expect?: Record<string, unknown>): string[] =>
      Object.keys(summaryMetrics(agg, probeModel({ target: 'http://127.0.0.1:1', scenario: { executor: 'constant-vus', vus: 1, duration: '1s' }, requests: [{ name: 'a', url: '/', ...(expect ? { expect } : {}) }] }), []));
    expect(keys({ status: [200] })).toContain('checks');
    expect(keys({ json: { '$.ok': true } })).toContain('checks');
    expect(keys()).not.toContain('checks');
  });
});
