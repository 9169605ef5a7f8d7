/**
 * The API endpoints over real HTTP on 127.0.0.1 (ephemeral ports):
 * assignment, caching, flags, events, results and CRUD.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { twoProportionZTest } from './analytics.ts';
import { assignVariant, evaluateFlag } from './assignment.ts';
import { compileExperiment, compileFlag, flagFromBody, newExperiment } from './model.ts';
import type { Experiment } from './model.ts';
import { defaultSeed } from './seed.ts';
import { startDemoTarget } from './server.ts';
import type { DemoTarget, DemoTargetOptions } from './server.ts';

type Json = Record<string, unknown>;

interface Reply<T> {
  status: number;
  headers: Headers;
  json: T;
  text: string;
}

const started: DemoTarget[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((t) => t.close()));
});

async function start(options: DemoTargetOptions = {}): Promise<DemoTarget> {
  const target = await startDemoTarget({ port: 0, defaultMetrics: false, resultsQueryMs: { min: 0, max: 1 }, ...options });
  started.push(target);
  return target;
}

async function call<T = Json>(target: DemoTarget, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply<T>> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    init.headers = { 'content-type': 'application/json', ...headers };
  }
  const res = await fetch(`${target.url}${path}`, init);
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json: json as T, text };
}

const seed = defaultSeed();
const seedExperiment = (id: string) => compileExperiment(newExperiment(seed.experiments.find((e) => e.id === id)!, new Date()));
const USERS = Array.from({ length: 20 }, (_, i) => `u-${i * 7919}`);

describe('GET /v1/assignments/get_variant', () => {
  it('gives each user the same variant on every call and after a restart, matching the in-process assignment', async () => {
    const fetchAll = async (target: DemoTarget) => {
      const out: string[] = [];
      for (const user of USERS) {
        const r = await call<{ experiment: string; user: string; variant: string }>(target, 'GET', `/v1/assignments/get_variant?experiment=exp-3&user=${user}`);
        expect(r.status).toBe(200);
        expect(r.json).toMatchObject({ experiment: 'exp-3', user });
        out.push(r.json.variant);
      }
      return out;
    };
    const first = await start();
    const a = await fetchAll(first);
    expect(await fetchAll(first)).toEqual(a);
    await first.close();
    const second = await start();
    expect(await fetchAll(second)).toEqual(a);
    const expected = seedExperiment('exp-3');
    expect(a).toEqual(USERS.map((u) => assignVariant(expected, u)));
    expect(new Set(a).size).toBeGreaterThan(1);
  });

  it('answers 400 naming the missing parameter', async () => {
    const target = await start();
    const r = await call(target, 'GET', '/v1/assignments/get_variant?experiment=exp-1');
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ error: 'missing_parameter', message: 'query parameter "user" is required, e.g. ?experiment=exp-1&user=u-42' });
    const other = await call(target, 'GET', '/v1/assignments/get_variant?user=u-1');
    expect(other.status).toBe(400);
    expect(String(other.json.message)).toContain('"experiment"');
  });

  it('answers 404 for an unknown experiment', async () => {
    const target = await start();
    const r = await call(target, 'GET', '/v1/assignments/get_variant?experiment=exp-999&user=u-1');
    expect(r.status).toBe(404);
    expect(r.json).toEqual({ error: 'experiment_not_found', message: 'no experiment "exp-999"' });
  });
});

describe('config cache', () => {
  const path = '/v1/assignments/get_variant?experiment=exp-1&user=u-1';

  it('answers the first read of an experiment with X-Cache MISS and the next with HIT', async () => {
    const target = await start();
    expect((await call(target, 'GET', path)).headers.get('x-cache')).toBe('MISS');
    expect((await call(target, 'GET', path)).headers.get('x-cache')).toBe('HIT');
    expect((await call(target, 'GET', '/v1/assignments/get_variant?experiment=exp-1&user=u-2')).headers.get('x-cache')).toBe('HIT');
  });

  it('misses every time while the cacheEnabled fault is false, and hits again once it is back', async () => {
    const target = await start();
    await call(target, 'GET', path);
    target.setFaults({ cacheEnabled: false });
    for (let i = 0; i < 3; i++) expect((await call(target, 'GET', path)).headers.get('x-cache')).toBe('MISS');
    target.setFaults({ cacheEnabled: true });
    expect((await call(target, 'GET', path)).headers.get('x-cache')).toBe('HIT');
  });

  it('expires entries after cacheTtlMs', async () => {
    const target = await start({ cacheTtlMs: 300 });
    await call(target, 'GET', path);
    expect((await call(target, 'GET', path)).headers.get('x-cache')).toBe('HIT');
    await new Promise((r) => setTimeout(r, 400));
    expect((await call(target, 'GET', path)).headers.get('x-cache')).toBe('MISS');
  });

  it('is invalidated by PUT on an experiment, so the next read misses and sees the new variants', async () => {
    const target = await start();
    await call(target, 'GET', path);
    const put = await call<Experiment>(target, 'PUT', '/v1/experiments/exp-1', {
      variants: [
        { name: 'control', weight: 1 },
        { name: 'new-arm', weight: 1_000_000 },
      ],
    });
    expect(put.status).toBe(200);
    const after = await call<Json>(target, 'GET', path);
    expect(after.headers.get('x-cache')).toBe('MISS');
    expect(after.json.variant).toBe(assignVariant(compileExperiment(put.json), 'u-1'));
    expect(after.json.variant).toBe('new-arm');
  });

  it('is invalidated by PUT on a flag', async () => {
    const target = await start();
    const evalPath = '/v1/flags/flag-1/evaluate?user=internal-1';
    await call(target, 'GET', evalPath);
    expect((await call(target, 'GET', evalPath)).headers.get('x-cache')).toBe('HIT');
    expect((await call(target, 'PUT', '/v1/flags/flag-1', { enabled: false })).status).toBe(200);
    const after = await call<Json>(target, 'GET', evalPath);
    expect(after.headers.get('x-cache')).toBe('MISS');
    expect(after.json).toMatchObject({ enabled: false, reason: 'disabled' });
  });
});

describe('GET /v1/flags/:key/evaluate', () => {
  it('applies the seeded targeting rules: internal users on, the blocked user off, listed countries at the rule rollout', async () => {
    const target = await start();
    const internal = await call(target, 'GET', '/v1/flags/flag-1/evaluate?user=internal-42');
    expect(internal.json).toEqual({ flag: 'flag-1', user: 'internal-42', enabled: true, variation: 'on', reason: 'rule_match', ruleIndex: 0 });
    const blocked = await call(target, 'GET', '/v1/flags/flag-1/evaluate?user=u-blocked&country=DE');
    expect(blocked.json).toMatchObject({ enabled: false, variation: 'off', reason: 'rule_match', ruleIndex: 1 });
    const flag = compileFlag(flagFromBody('flag-1', seed.flags['flag-1']!, undefined, new Date()));
    for (const user of USERS.slice(0, 10)) {
      const r = await call<Json>(target, 'GET', `/v1/flags/flag-1/evaluate?user=${user}&country=DE`);
      expect(r.json).toEqual({ flag: 'flag-1', user, ...evaluateFlag(flag, user, (n) => (n === 'country' ? 'DE' : undefined)) });
      expect(r.json.ruleIndex).toBe(2);
    }
  });

  it('rolls a new flag out to the configured share of users', async () => {
    const target = await start();
    const created = await call(target, 'PUT', '/v1/flags/half', { rollout: 50 });
    expect(created.status).toBe(201);
    let on = 0;
    for (let i = 0; i < 200; i++) {
      const r = await call<Json>(target, 'GET', `/v1/flags/half/evaluate?user=user-${i}`);
      expect(r.json.reason).toBe('rollout');
      if (r.json.enabled === true) on++;
    }
    // 200 users at 50 %: anything outside 70..130 would be a 4-sigma event.
    expect(on).toBeGreaterThan(70);
    expect(on).toBeLessThan(130);
  });

  it('serves the off variation for a switched-off flag and 404 for an unknown one', async () => {
    const target = await start();
    expect((await call(target, 'GET', '/v1/flags/flag-10/evaluate?user=internal-1')).json).toMatchObject({ enabled: false, reason: 'disabled' });
    expect((await call(target, 'GET', '/v1/flags/flag-404/evaluate?user=u-1')).status).toBe(404);
    expect((await call(target, 'GET', '/v1/flags/flag-1/evaluate')).status).toBe(400);
  });

  it('creates, reads and updates flags with PUT and GET /v1/flags/:key', async () => {
    const target = await start();
    const body = { rules: [{ attribute: 'plan', operator: 'in', values: ['pro'] }], rollout: 0, onVariation: 'new', offVariation: 'old' };
    expect((await call(target, 'PUT', '/v1/flags/pricing', body)).status).toBe(201);
    expect((await call(target, 'GET', '/v1/flags/pricing')).json).toMatchObject({ key: 'pricing', version: 1, rollout: 0 });
    expect((await call(target, 'GET', '/v1/flags/pricing/evaluate?user=u-1&plan=pro')).json).toMatchObject({ enabled: true, variation: 'new' });
    expect((await call(target, 'GET', '/v1/flags/pricing/evaluate?user=u-1&plan=free')).json).toMatchObject({ enabled: false, variation: 'old' });
    const updated = await call(target, 'PUT', '/v1/flags/pricing', { ...body, rollout: 100 });
    expect(updated.status).toBe(200);
    expect(updated.json).toMatchObject({ version: 2, rollout: 100 });
    const bad = await call(target, 'PUT', '/v1/flags/pricing', { rollout: 'all' });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toBe('invalid_body');
    expect(String(bad.json.message)).toContain('rollout: ');
    expect((await call(target, 'GET', '/v1/flags/nope')).status).toBe(404);
  });
});

describe('POST /v1/events', () => {
  const event = (i: number) => ({ type: 'exposure', user: `u-${i}`, experiment: 'exp-1' });

  it('accepts a valid batch with 202 and the count', async () => {
    const target = await start();
    const r = await call(target, 'POST', '/v1/events', [event(1), event(2), { type: 'conversion', user: 'u-1', experiment: 'exp-1', value: 3 }]);
    expect(r.status).toBe(202);
    expect(r.json).toEqual({ accepted: 3 });
  });

  it('answers 400 for malformed JSON', async () => {
    const target = await start();
    const r = await call(target, 'POST', '/v1/events', '[{"type":');
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ error: 'invalid_json' });
  });

  it('answers 400 naming the index and the reason of an invalid event', async () => {
    const target = await start();
    const r = await call(target, 'POST', '/v1/events', [event(1), { type: 'exposure', user: 'u-2', experiment: 'exp-1', value: 'high' }]);
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ error: 'invalid_event', message: 'events[1]: value: expected a finite number, got "high"' });
  });

  it('answers 413 for a body larger than maxBodyBytes', async () => {
    const target = await start({ maxBodyBytes: 1_024 });
    const r = await call(target, 'POST', '/v1/events', JSON.stringify(Array.from({ length: 100 }, (_, i) => event(i))));
    expect(r.status).toBe(413);
    expect(r.json.error).toBe('body_too_large');
    expect(String(r.json.message)).toContain('the limit is 1024 bytes');
    // The target is still healthy for the next client.
    expect((await call(target, 'GET', '/healthz')).status).toBe(200);
  });

  it('answers 413 for a streamed body without Content-Length as soon as it passes the limit', async () => {
    const target = await start({ maxBodyBytes: 1_024 });
    const chunk = new TextEncoder().encode(' '.repeat(512));
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 8; i++) controller.enqueue(chunk);
        controller.close();
      },
    });
    const res = await fetch(`${target.url}/v1/events`, { method: 'POST', body, duplex: 'half' });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: 'body_too_large' });
  });

  it('answers 413 for a batch with more than maxBatchEvents events', async () => {
    const target = await start({ maxBatchEvents: 5 });
    const r = await call(target, 'POST', '/v1/events', Array.from({ length: 6 }, (_, i) => event(i)));
    expect(r.status).toBe(413);
    expect(r.json).toEqual({ error: 'batch_too_large', message: 'a batch holds at most 5 events, got 6' });
  });

  it('answers 503 with Retry-After when the queue cannot take the whole batch', async () => {
    const target = await start({ eventQueueCapacity: 10, drainIntervalMs: 60_000 });
    expect((await call(target, 'POST', '/v1/events', Array.from({ length: 8 }, (_, i) => event(i)))).status).toBe(202);
    const full = await call(target, 'POST', '/v1/events', Array.from({ length: 3 }, (_, i) => event(i)));
    expect(full.status).toBe(503);
    expect(full.headers.get('retry-after')).toBe('1');
    expect(full.json).toMatchObject({ error: 'queue_full' });
    target.flushEvents();
    expect((await call(target, 'POST', '/v1/events', Array.from({ length: 3 }, (_, i) => event(i)))).status).toBe(202);
  });
});

describe('GET /v1/experiments/:id/results', () => {
  function events(variant: string, exposures: number, conversions: number, value: number) {
    const out: Json[] = [];
    for (let i = 0; i < exposures; i++) out.push({ type: 'exposure', user: `${variant}-${i}`, experiment: 'exp-2', variant });
    for (let i = 0; i < conversions; i++) out.push({ type: 'conversion', user: `${variant}-${i}`, experiment: 'exp-2', variant, value, ts: Date.now() });
    return out;
  }

  it('computes exposures, conversion rates, mean values and the p-value vs control from ingested events', async () => {
    const target = await start({ drainIntervalMs: 60_000 });
    expect((await call(target, 'POST', '/v1/events', [...events('control', 100, 10, 5), ...events('treatment', 100, 20, 7)])).status).toBe(202);
    expect(target.flushEvents()).toBe(230);
    const r = await call<{ variants: Json[]; totalExposures: number }>(target, 'GET', '/v1/experiments/exp-2/results');
    expect(r.status).toBe(200);
    expect(r.json.totalExposures).toBe(200);
    const [control, treatment] = r.json.variants;
    expect(control).toMatchObject({ variant: 'control', control: true, exposures: 100, conversions: 10, conversionRate: 0.1, meanValue: 5, pValue: null });
    expect(treatment).toMatchObject({ variant: 'treatment', control: false, exposures: 100, conversions: 20, conversionRate: 0.2, meanValue: 7 });
    expect(treatment!.pValue).toBeCloseTo(twoProportionZTest(10, 100, 20, 100)!.pValue, 12);
    // Pooled rate 0.15, z = 0.1 / sqrt(0.15 · 0.85 · 0.02) ≈ 1.980, two-sided p ≈ 0.0477.
    expect(treatment!.pValue).toBeCloseTo(0.0477, 3);
  });

  it('aggregates in the background without an explicit flush, deriving the variant when an event has none', async () => {
    const target = await start({ drainIntervalMs: 10 });
    const users = ['a', 'b', 'c', 'd', 'e', 'f'];
    await call(target, 'POST', '/v1/events', users.map((user) => ({ type: 'exposure', user, experiment: 'exp-3' })));
    let total = 0;
    let variants: Json[] = [];
    for (let i = 0; i < 50 && total < users.length; i++) {
      await new Promise((r) => setTimeout(r, 10));
      const r = await call<{ totalExposures: number; variants: Json[] }>(target, 'GET', '/v1/experiments/exp-3/results');
      total = r.json.totalExposures;
      variants = r.json.variants;
    }
    expect(total).toBe(users.length);
    const exp = seedExperiment('exp-3');
    for (const row of variants) {
      expect(row.exposures).toBe(users.filter((u) => assignVariant(exp, u) === row.variant).length);
    }
  });

  it('answers 404 for an unknown experiment', async () => {
    const target = await start();
    expect((await call(target, 'GET', '/v1/experiments/nope/results')).json).toMatchObject({ error: 'experiment_not_found' });
  });
});

describe('CRUD on /v1/experiments', () => {
  const body = { id: 'exp-new', name: 'New checkout', variants: [{ name: 'control', weight: 1 }, { name: 'b', weight: 1 }] };

  it('creates, reads, lists, replaces and deletes an experiment', async () => {
    const target = await start({ seed: defaultSeed(3, 0) });
    const created = await call<Experiment>(target, 'POST', '/v1/experiments', body);
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe('/v1/experiments/exp-new');
    expect(created.json).toMatchObject({ id: 'exp-new', name: 'New checkout', control: 'control', version: 1 });

    expect((await call(target, 'GET', '/v1/experiments/exp-new')).json).toEqual(created.json);
    const list = await call<{ count: number; experiments: Experiment[] }>(target, 'GET', '/v1/experiments');
    expect(list.json.count).toBe(4);
    expect(list.json.experiments.map((e) => e.id)).toContain('exp-new');

    const replaced = await call<Experiment>(target, 'PUT', '/v1/experiments/exp-new', { ...body, name: 'Renamed', control: 'b' });
    expect(replaced.status).toBe(200);
    expect(replaced.json).toMatchObject({ name: 'Renamed', control: 'b', version: 2, createdAt: created.json.createdAt });
    expect((await call(target, 'GET', '/v1/experiments/exp-new')).json).toMatchObject({ version: 2 });

    const deleted = await call(target, 'DELETE', '/v1/experiments/exp-new');
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    expect((await call(target, 'GET', '/v1/experiments/exp-new')).status).toBe(404);
    expect((await call(target, 'GET', '/v1/assignments/get_variant?experiment=exp-new&user=u-1')).status).toBe(404);
    expect((await call(target, 'DELETE', '/v1/experiments/exp-new')).status).toBe(404);
  });

  it('answers 409 when the id already exists', async () => {
    const target = await start();
    const r = await call(target, 'POST', '/v1/experiments', { ...body, id: 'exp-1' });
    expect(r.status).toBe(409);
    expect(r.json).toMatchObject({ error: 'experiment_exists' });
  });

  it('answers 400 with the key path of every problem in the body', async () => {
    const target = await start();
    const r = await call<Json>(target, 'POST', '/v1/experiments', { id: 'exp-bad', variants: [{ name: 'a', weight: -1 }, { name: 'a', weight: 1 }] });
    expect(r.status).toBe(400);
    expect(r.json.error).toBe('invalid_body');
    expect(r.json.message).toContain('variants[0].weight: expected a weight greater than 0');
    expect(r.json.message).toContain('variants[1].name: duplicate variant name "a"');
  });

  it('answers 404 to PUT on an experiment that does not exist', async () => {
    const target = await start();
    expect((await call(target, 'PUT', '/v1/experiments/ghost', body)).status).toBe(404);
  });
});
