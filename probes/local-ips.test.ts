import { afterEach, describe, expect, it } from 'vitest';
import { parseLocalIps } from './local-ips.ts';
import type { LocalIpPool } from './local-ips.ts';
import { probeSpecSchema } from './spec.ts';
import { startRun } from './run.ts';
import { iterations, probe, testServer } from './test-support.ts';
import type { TestServer } from './test-support.ts';

const pool = (v: string | string[]): LocalIpPool => {
  const p = parseLocalIps(v);
  if (typeof p === 'string') throw new Error(p);
  return p;
};
const first = (p: LocalIpPool, n: number): string[] => Array.from({ length: n }, (_, i) => p.at(i));

describe('localIPs is read as k6 reads it (lib/types/ipblock.go)', () => {
  it('IPs, ranges and CIDRs, in order, wrapping around', () => {
    const p = pool('127.0.0.2, 10.0.0.254-10.0.1.1,192.168.7.0/30');
    // A /30 leaves out its network and broadcast addresses, as k6's IPv4 CIDRs larger than two addresses do.
    expect(p.size).toBe(1n + 4n + 2n);
    expect(first(p, 9)).toEqual(['127.0.0.2', '10.0.0.254', '10.0.0.255', '10.0.1.0', '10.0.1.1', '192.168.7.1', '192.168.7.2', '127.0.0.2', '10.0.0.254']);
    expect(first(pool('10.1.1.0/31'), 2)).toEqual(['10.1.1.0', '10.1.1.1']);
    expect(first(pool(['127.0.0.5', '127.0.0.6']), 3)).toEqual(['127.0.0.5', '127.0.0.6', '127.0.0.5']);
  });

  it('IPv6: addresses, ranges and CIDRs (all of a v6 network), written out in full; an IPv4-mapped address is its IPv4 one (Go: To4)', () => {
    const p = pool('fd00::1-fd00::2, ::ffff:10.0.0.1, fd00:1::/127');
    expect(p.size).toBe(5n);
    expect(first(p, 5)).toEqual(['fd00:0:0:0:0:0:0:1', 'fd00:0:0:0:0:0:0:2', '10.0.0.1', 'fd00:1:0:0:0:0:0:0', 'fd00:1:0:0:0:0:0:1']);
    expect(pool('2001:db8::/64').size).toBe(1n << 64n);
    expect(pool('2001:db8::/64').at(Number.MAX_SAFE_INTEGER)).toBe('2001:db8:0:0:1f:ffff:ffff:ffff');
  });

  it('says what is wrong, as validation', () => {
    const problems = (localIPs: unknown): string[] => {
      const r = probeSpecSchema.safeParse({ target: 'http://127.0.0.1:1', scenario: iterations(1), requests: [{ name: 'a', url: '/' }], localIPs });
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(problems('10.0.0.300')).toEqual(['localIPs: "10.0.0.300" is not a valid IP, IP range or CIDR']);
    expect(problems('10.0.0.5-10.0.0.1')).toEqual(['localIPs: "10.0.0.5-10.0.0.1" ends before it starts']);
    expect(problems('10.0.0.1-fd00::1')).toEqual(['localIPs: "10.0.0.1-fd00::1" mixes IPv4 and IPv6']);
    expect(problems('10.0.0.0/33')).toEqual(['localIPs: "10.0.0.0/33" is not a valid CIDR (e.g. 10.0.0.0/24, fd00::/120)']);
    expect(problems('127.0.0.2,,127.0.0.3')).toEqual(['localIPs: expected IPs, ranges (10.0.0.10-10.0.0.25) or CIDRs (10.0.0.0/24), separated by commas, with none empty']);
    expect(problems('fe80::1%eth0')).toEqual(['localIPs: "fe80::1%eth0": an IPv6 zone (%…) is not supported']);
    expect(problems(42)).toEqual(['localIPs: expected IPs, ranges or CIDRs: a comma-separated string or a list']);
    expect(problems('127.0.0.2-127.0.0.4, ::1')).toEqual([]);
  });
});

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('localIPs in a run', () => {
  it('spreads the connections over the addresses (Linux: all of 127.0.0.0/8 is this machine’s)', async () => {
    const from = new Map<string, number>();
    server = await testServer((req, res) => {
      const a = req.socket.remoteAddress!.replace(/^::ffff:/, '');
      from.set(a, (from.get(a) ?? 0) + 1);
      res.end('ok');
    });
    const summary = await startRun(
      probe({ target: server.url, localIPs: '127.0.0.2-127.0.0.4', noConnectionReuse: true, scenario: iterations(30, 3), requests: [{ name: 'get', url: '/' }] }),
      { threads: 1 },
    ).done;
    expect(summary.outcomes.ok).toBe(30);
    // A connection per request (noConnectionReuse): each address opens a third of them.
    expect(Object.fromEntries([...from].sort())).toEqual({ '127.0.0.2': 10, '127.0.0.3': 10, '127.0.0.4': 10 });
  });

  it('kept-alive connections keep their address: 3 VUs, 3 addresses, one each', async () => {
    const sockets = new Map<string, Set<number>>();
    server = await testServer((req, res) => {
      const a = req.socket.remoteAddress!.replace(/^::ffff:/, '');
      if (!sockets.has(a)) sockets.set(a, new Set());
      sockets.get(a)!.add(req.socket.remotePort!);
      res.end('ok');
    });
    const summary = await startRun(probe({ target: server.url, localIPs: ['127.0.0.2', '127.0.0.3', '127.0.0.4'], scenario: iterations(60, 3), requests: [{ name: 'get', url: '/' }] }), { threads: 1 }).done;
    expect(summary.outcomes.ok).toBe(60);
    expect([...sockets.keys()].sort()).toEqual(['127.0.0.2', '127.0.0.3', '127.0.0.4']);
    for (const ports of sockets.values()) expect(ports.size).toBe(1);
  });

  it('an address this machine does not have is a connect_error that says so', async () => {
    server = await testServer();
    // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never a local address.
    const summary = await startRun(probe({ target: server.url, localIPs: '192.0.2.1', scenario: iterations(2), requests: [{ name: 'get', url: '/' }] }), { threads: 1 }).done;
    expect(summary.outcomes.connect_error).toBe(2);
    expect(server.hits).toBe(0);
    expect(summary.errors[0]?.message).toBe('EADDRNOTAVAIL: localIPs: 192.0.2.1 is not an address of this machine (localIPs binds to addresses the OS already has)');
  });

  it('an IPv4 address for an IPv6 target is a connect_error that names the mismatch', async () => {
    const { createServer } = await import('node:http');
    const v6 = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => v6.listen(0, '::1', resolve));
    try {
      const port = (v6.address() as { port: number }).port;
      const summary = await startRun(probe({ target: `http://[::1]:${port}`, localIPs: '127.0.0.2', scenario: iterations(1), requests: [{ name: 'get', url: '/' }] }), { threads: 1 }).done;
      expect(summary.outcomes.connect_error).toBe(1);
      expect(summary.errors[0]?.message).toBe("EINVAL: localIPs: 127.0.0.2 cannot reach the target's address family (an IPv4 local address for an IPv6 target, or the reverse)");
    } finally {
      v6.closeAllConnections();
      await new Promise<void>((resolve) => v6.close(() => resolve()));
    }
  });

  it('two worker threads number their connections as one run', async () => {
    const from = new Set<string>();
    server = await testServer((req, res) => {
      from.add(req.socket.remoteAddress!.replace(/^::ffff:/, ''));
      res.end('ok');
    });
    const summary = await startRun(
      probe({ target: server.url, localIPs: '127.0.0.2-127.0.0.5', noConnectionReuse: true, scenario: iterations(40, 4), requests: [{ name: 'get', url: '/' }] }),
      { threads: 2 },
    ).done;
    expect(summary.outcomes.ok).toBe(40);
    expect([...from].sort()).toEqual(['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5']);
  });
});
