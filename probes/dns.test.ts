import type { LookupAddress } from 'node:dns';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionPool } from './connection-pool.ts';
import { byPolicy, DnsResolver, parseDnsTtl } from './dns.ts';
import { startRun } from './run.ts';
import { probeSpecSchema } from './spec.ts';
import { probe, testServer, until } from './test-support.ts';
import type { DnsConfig } from './dns.ts';

const v4 = (address: string): LookupAddress => ({ address, family: 4 });
const v6 = (address: string): LookupAddress => ({ address, family: 6 });
const ALL = [v6('::1'), v4('10.0.0.1'), v4('10.0.0.2'), v6('fd00::2'), v4('10.0.0.3')];

/** A resolver over a fixed answer; `calls` counts the lookups it made. */
function resolver(config: Partial<DnsConfig>, answer: LookupAddress[] = ALL, clock = { t: 0 }) {
  const state = { calls: 0 };
  const r = new DnsResolver(
    { ttlMs: 300_000, select: 'first', policy: 'preferIPv4', ...config },
    async () => {
      state.calls++;
      await new Promise((resolve) => setImmediate(resolve));
      return answer;
    },
    () => clock.t,
  );
  return { r, state, clock };
}

describe('dns policy', () => {
  it("keeps k6's addresses per policy, in the resolver's order", () => {
    expect(byPolicy(ALL, 'preferIPv4').map((a) => a.address)).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3']);
    expect(byPolicy(ALL, 'preferIPv6').map((a) => a.address)).toEqual(['::1', 'fd00::2']);
    expect(byPolicy(ALL, 'onlyIPv4').map((a) => a.address)).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3']);
    expect(byPolicy(ALL, 'onlyIPv6').map((a) => a.address)).toEqual(['::1', 'fd00::2']);
    expect(byPolicy(ALL, 'any')).toEqual(ALL);
  });

  it('falls back to the other family when the preferred one has no address, and only-policies do not', () => {
    expect(byPolicy([v6('::1')], 'preferIPv4')).toEqual([v6('::1')]);
    expect(byPolicy([v4('10.0.0.1')], 'preferIPv6')).toEqual([v4('10.0.0.1')]);
    expect(byPolicy([v6('::1')], 'onlyIPv4')).toEqual([]);
  });
});

describe('DnsResolver', () => {
  it('first: always the first address', async () => {
    const { r } = resolver({ select: 'first' });
    const got = [await r.resolve('api.test'), await r.resolve('api.test'), await r.resolve('api.test')];
    expect(got.map((a) => a.address)).toEqual(['10.0.0.1', '10.0.0.1', '10.0.0.1']);
  });

  it('roundRobin: each new connection the next address, per host', async () => {
    const { r } = resolver({ select: 'roundRobin', policy: 'any' });
    const got: string[] = [];
    for (let i = 0; i < 6; i++) got.push((await r.resolve('api.test')).address);
    expect(got).toEqual(['::1', '10.0.0.1', '10.0.0.2', 'fd00::2', '10.0.0.3', '::1']);
    expect((await r.resolve('other.test')).address).toBe('::1');
  });

  it('random: spreads connections over every address of the policy', async () => {
    const { r } = resolver({ select: 'random' });
    const seen = new Map<string, number>();
    for (let i = 0; i < 300; i++) {
      const a = (await r.resolve('api.test')).address;
      seen.set(a, (seen.get(a) ?? 0) + 1);
    }
    expect([...seen.keys()].sort()).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3']);
    for (const n of seen.values()) expect(n).toBeGreaterThan(50);
  });

  it('looks a host up once per ttl, and concurrent connections share one lookup', async () => {
    const { r, state, clock } = resolver({ ttlMs: 1_000 });
    await Promise.all(Array.from({ length: 20 }, () => r.resolve('api.test')));
    expect(state.calls).toBe(1);
    clock.t = 999;
    await r.resolve('api.test');
    expect(state.calls).toBe(1);
    clock.t = 1_000;
    await r.resolve('api.test');
    expect(state.calls).toBe(2);
  });

  it('ttl 0 looks up for every new connection after the answer; inf never again', async () => {
    const zero = resolver({ ttlMs: 0 });
    await Promise.all([zero.r.resolve('api.test'), zero.r.resolve('api.test')]);
    await zero.r.resolve('api.test');
    await zero.r.resolve('api.test');
    expect(zero.state.calls).toBe(3);
    const inf = resolver({ ttlMs: Infinity });
    await inf.r.resolve('api.test');
    inf.clock.t = 1e12;
    await inf.r.resolve('api.test');
    expect(inf.state.calls).toBe(1);
  });

  it('fails a connection whose host has no address the policy allows, naming what it has, as a lookup failure (ENOTFOUND)', async () => {
    const { r } = resolver({ policy: 'onlyIPv6' }, [v4('10.0.0.1')]);
    await expect(r.resolve('api.test')).rejects.toMatchObject({
      code: 'ENOTFOUND',
      message: 'dns: api.test has no IPv6 address (dns policy onlyIPv6; it resolves to 10.0.0.1)',
    });
  });

  it('does not keep a failed lookup: the next connection asks again', async () => {
    let calls = 0;
    const r = new DnsResolver({ ttlMs: 300_000, select: 'first', policy: 'any' }, () => {
      calls++;
      if (calls === 1) return Promise.reject(Object.assign(new Error('getaddrinfo EAI_AGAIN api.test'), { code: 'EAI_AGAIN' }));
      return Promise.resolve([v4('10.0.0.1')]);
    });
    await expect(r.resolve('api.test')).rejects.toMatchObject({ code: 'EAI_AGAIN' });
    expect((await r.resolve('api.test')).address).toBe('10.0.0.1');
    expect(calls).toBe(2);
  });

  it("serves Node's lookup option: one address, or a list of one when asked for all (autoSelectFamily)", async () => {
    const { r } = resolver({ select: 'first', policy: 'onlyIPv6' });
    const one = await new Promise((resolve) => r.lookup('api.test', {}, (err, address, family) => resolve({ err, address, family })));
    expect(one).toEqual({ err: null, address: '::1', family: 6 });
    const all = await new Promise((resolve) => r.lookup('api.test', { all: true }, (err, addresses) => resolve({ err, addresses })));
    expect(all).toEqual({ err: null, addresses: [{ address: '::1', family: 6 }] });
  });

  it('resolves with the system resolver by default (/etc/hosts: localhost)', async () => {
    const r = new DnsResolver({ ttlMs: 0, select: 'first', policy: 'onlyIPv4' });
    expect(await r.resolve('localhost')).toEqual({ address: '127.0.0.1', family: 4 });
    await expect(r.resolve('no-such-host.invalid')).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });
});

describe('the dns probe key', () => {
  const base = { target: 'http://api.test', scenario: { executor: 'constant-vus', vus: 1, duration: '1s' }, requests: [{ name: 'a', url: '/' }] };
  it("defaults to k6's ttl=5m,select=random,policy=preferIPv4 and reads ttl as k6 does", () => {
    expect(probe(base).dns).toEqual({ ttlMs: 300_000, select: 'random', policy: 'preferIPv4' });
    expect(probe({ ...base, dns: { ttl: 'inf', select: 'roundRobin' } }).dns).toEqual({ ttlMs: Infinity, select: 'roundRobin', policy: 'preferIPv4' });
    expect(probe({ ...base, dns: { ttl: 0, policy: 'any' } }).dns).toEqual({ ttlMs: 0, select: 'random', policy: 'any' });
  });

  it('says what each field takes', () => {
    const r = probeSpecSchema.safeParse({ ...base, dns: { ttl: 'x', select: 'rr', policy: 'ipv4' } });
    expect(r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      'dns.ttl: "x" is not a dns ttl: expected a duration (30s, 5m), 0 (no cache: a lookup per new connection) or inf (for the whole run)',
      'dns.select: expected one of first, random, roundRobin',
      'dns.policy: expected one of preferIPv4, preferIPv6, onlyIPv4, onlyIPv6, any',
    ]);
  });
});

describe('dns ttl', () => {
  it("reads k6's forms: a duration, 0, inf, and a bare number as ms", () => {
    expect(parseDnsTtl('5m')).toBe(300_000);
    expect(parseDnsTtl('1m30s')).toBe(90_000);
    expect(parseDnsTtl('0')).toBe(0);
    expect(parseDnsTtl(0)).toBe(0);
    expect(parseDnsTtl('inf')).toBe(Infinity);
    expect(parseDnsTtl('3000')).toBe(3000);
    expect(parseDnsTtl(250)).toBe(250);
  });

  it('says what a ttl must be', () => {
    expect(parseDnsTtl('forever')).toBe('"forever" is not a dns ttl: expected a duration (30s, 5m), 0 (no cache: a lookup per new connection) or inf (for the whole run)');
    expect(parseDnsTtl(-1)).toMatch(/^"-1" is not a dns ttl/);
  });
});

/** Three HTTP servers on one port, at 127.0.0.1, .2 and .3 (all loopback): each counts the connections it accepted. */
async function threeAddresses(): Promise<{ port: number; connections: Map<string, number>; close: () => Promise<void> }> {
  const connections = new Map<string, number>();
  const servers: Server[] = [];
  let port = 0;
  for (const address of ['127.0.0.1', '127.0.0.2', '127.0.0.3']) {
    const server = createServer((_req, res) => res.end('ok'));
    server.on('connection', () => connections.set(address, (connections.get(address) ?? 0) + 1));
    await new Promise<void>((resolve) => server.listen(port, address, resolve));
    port = (server.address() as AddressInfo).port;
    servers.push(server);
  }
  return {
    port,
    connections,
    close: async () => {
      for (const s of servers) {
        s.closeAllConnections();
        await new Promise((resolve) => s.close(resolve));
      }
    },
  };
}

describe('dns in the connection pool and in runs', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  it("spreads a pool's connections over a name's addresses (select), pre-opened ones too, with one lookup per ttl", async () => {
    const s = await threeAddresses();
    cleanup.push(() => s.close());
    let lookups = 0;
    const answer = (): Promise<LookupAddress[]> => {
      lookups++;
      return Promise.resolve([v4('127.0.0.1'), v4('127.0.0.2'), v4('127.0.0.3')]);
    };
    const dns = new DnsResolver({ ttlMs: 300_000, select: 'roundRobin', policy: 'preferIPv4' }, answer);
    const pool = new ConnectionPool(`http://rr.test:${s.port}`, { connections: 6, connectTimeout: 2_000, lookup: dns.lookup });
    cleanup.push(async () => pool.destroy());
    expect(await pool.preconnect(6)).toBe(6);
    await until(() => [...s.connections.values()].reduce((a, b) => a + b, 0) === 6);
    expect(Object.fromEntries(s.connections)).toEqual({ '127.0.0.1': 2, '127.0.0.2': 2, '127.0.0.3': 2 });
    expect(lookups).toBe(1);
  });

  it('a run goes by the probe’s dns: localhost with policy onlyIPv6 is a connect_error that says why; the default policy reaches it', async () => {
    const server = await testServer();
    cleanup.push(() => server.close());
    const target = `http://localhost:${server.port}`;
    const scenario = { executor: 'shared-iterations', vus: 1, iterations: 2, maxDuration: '10s' };
    const refused = await startRun(probe({ target, scenario, requests: [{ name: 'get', url: '/' }], dns: { policy: 'onlyIPv6', ttl: 0 } }), { threads: 1 }).done;
    expect(refused.outcomes).toMatchObject({ ok: 0, connect_error: 2 });
    expect(refused.errors[0]!.message).toBe('ENOTFOUND: dns: localhost has no IPv6 address (dns policy onlyIPv6; it resolves to 127.0.0.1)');
    expect(server.hits).toBe(0);
    const reached = await startRun(probe({ target, scenario, requests: [{ name: 'get', url: '/' }] }), { threads: 1 }).done;
    expect(reached.outcomes).toMatchObject({ ok: 2, connect_error: 0 });
  });
});
