/**
 * localIPs edge cases found in review (through a SOCKS5 proxy, --segment,
 * IPv4-mapped addresses, k6's parsing): each test failed before its fix
 * and states what probes/README.md (Go / k6 semantics) claims.
 * Everything on loopback (127.0.0.0/8, ::1), a few seconds at most.
 */
import { createServer as createNetServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parseLocalIps } from './local-ips.ts';
import { startRun } from './run.ts';
import type { RunSummary } from './summary.ts';
import { iterations, probe, testServer } from './test-support.ts';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** A listener on 127.0.0.1 standing in for a SOCKS5 proxy; counts the connections it accepts. */
async function listener(): Promise<{ port: number; connections: () => number }> {
  let connections = 0;
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return { port: (server.address() as AddressInfo).port, connections: () => connections };
}

/** A target on 127.0.0.1 that records the (IPv4) address each request came from. */
async function addressRecorder(): Promise<{ url: string; from: Map<string, number> }> {
  const from = new Map<string, number>();
  const server = await testServer((req, res) => {
    const a = req.socket.remoteAddress!.replace(/^::ffff:/, '');
    from.set(a, (from.get(a) ?? 0) + 1);
    res.end('ok');
  });
  cleanup.push(() => server.close());
  return { url: server.url, from };
}

function runThroughSocks(localIPs: string, proxyPort: number): Promise<RunSummary> {
  return startRun(probe({ target: 'http://api.test:8080', localIPs, scenario: iterations(2), requests: [{ name: 'get', url: '/x' }] }), {
    threads: 1,
    env: { HTTP_PROXY: `socks5://127.0.0.1:${proxyPort}` },
  }).done;
}

describe('localIPs on connections to a SOCKS5 proxy (README: each new socket, "to the target, the hosts address or the proxy", binds the next address)', () => {
  it('a local address of the other family than the proxy’s is a connect_error "EINVAL: localIPs: …" as it is for a target, not a reset', async () => {
    const proxy = await listener();
    // ::1 is this machine's, but an IPv4 proxy cannot be reached from it.
    const summary = await runThroughSocks('::1', proxy.port);
    expect(proxy.connections()).toBe(0);
    expect(summary.outcomes).toMatchObject({ connect_error: 2, reset: 0 });
    expect(summary.errors[0]?.message).toMatch(/^EINVAL: localIPs: /);
  });

  it('an address this machine does not have is the documented "EADDRNOTAVAIL: localIPs: 192.0.2.1 is not an address of this machine …"', async () => {
    const proxy = await listener();
    const summary = await runThroughSocks('192.0.2.1', proxy.port);
    expect(summary.outcomes.connect_error).toBe(2);
    expect(summary.errors[0]?.message).toBe('EADDRNOTAVAIL: localIPs: 192.0.2.1 is not an address of this machine (localIPs binds to addresses the OS already has)');
  });
});

describe('localIPs as k6 hands them out and reads them (js/runner.go newVU, lib/types/ipblock.go)', () => {
  it('--segment 2/2 with two addresses binds both: k6 numbers localIPs by the instance’s own VUs (idLocal), not by the run’s', async () => {
    const target = await addressRecorder();
    const summary = await startRun(
      probe({ target: target.url, localIPs: '127.0.0.2-127.0.0.3', noConnectionReuse: true, scenario: iterations(20, 4), requests: [{ name: 'get', url: '/' }] }),
      { threads: 1, segment: { index: 1, count: 2 } },
    ).done;
    expect(summary.outcomes.ok).toBeGreaterThan(0);
    expect([...target.from.keys()].sort()).toEqual(['127.0.0.2', '127.0.0.3']);
  });

  it('an IPv4-mapped IPv6 address is its IPv4 address (Go’s To4): ::ffff:127.0.0.2 binds 127.0.0.2, and ::ffff:127.0.0.2-127.0.0.3 is an IPv4 range', async () => {
    const target = await addressRecorder();
    const summary = await startRun(probe({ target: target.url, localIPs: '::ffff:127.0.0.2', scenario: iterations(2), requests: [{ name: 'get', url: '/' }] }), { threads: 1 }).done;
    expect(summary.errors).toEqual([]);
    expect(summary.outcomes.ok).toBe(2);
    expect([...target.from.keys()]).toEqual(['127.0.0.2']);
    const range = parseLocalIps('::ffff:127.0.0.2-127.0.0.3');
    expect(typeof range === 'string' ? range : [range.size, range.at(0), range.at(1)]).toEqual([2n, '127.0.0.2', '127.0.0.3']);
  });

  it('an entry with a second "-" or "/" is invalid (k6: SplitN then ParseIP, ParseCIDR), not silently cut to its first two parts', () => {
    for (const entry of ['10.0.0.1-10.0.0.2-10.0.0.9', '10.0.0.0/24/8', '127.0.0.2, 10.0.0.0/30/1']) {
      const pool = parseLocalIps(entry);
      expect(typeof pool === 'string' ? 'invalid' : `a pool of ${pool.size} from ${pool.at(0)}`, entry).toBe('invalid');
    }
  });
});
