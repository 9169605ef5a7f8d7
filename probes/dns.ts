/**
 * k6's `dns` option: how a new connection finds its address.
 *
 * - `ttl`: how long a host's resolved addresses are kept (`5m` by default,
 *   `0` looks up on every new connection, `inf` keeps them for the run).
 *   The records' own TTL is not read, as in k6.
 * - `policy`: which addresses are used — `preferIPv4` (the default: IPv4
 *   when there is one, else IPv6), `preferIPv6`, `onlyIPv4`, `onlyIPv6`,
 *   `any` (all, in the resolver's order).
 * - `select`: which of them a new connection takes — `random` (the default,
 *   so the connections of a run spread over a name's addresses, as k6's
 *   do), `first`, or `roundRobin`.
 *
 * Names are looked up with the system resolver (`dns.lookup`: /etc/hosts,
 * then DNS, as Go's resolver in k6 does). Only new connections look up:
 * keep-alive connections keep their address, as in k6. Each worker thread
 * has its own cache and round-robin position. A host mapped by `hosts`, and
 * an IP address, are never looked up.
 */
import { lookup as systemLookup } from 'node:dns';
import type { LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { parseDuration } from '../common/duration.ts';

export const DNS_SELECTS = ['first', 'random', 'roundRobin'] as const;
export const DNS_POLICIES = ['preferIPv4', 'preferIPv6', 'onlyIPv4', 'onlyIPv6', 'any'] as const;

export interface DnsConfig {
  /** ms; `Infinity` for `inf`, 0 for no cache. */
  ttlMs: number;
  select: (typeof DNS_SELECTS)[number];
  policy: (typeof DNS_POLICIES)[number];
}

/** k6's default, `ttl=5m,select=random,policy=preferIPv4`. */
export const DEFAULT_DNS: DnsConfig = { ttlMs: 300_000, select: 'random', policy: 'preferIPv4' };

/** Every address of a host, in the resolver's order. */
export type ResolveAll = (host: string) => Promise<LookupAddress[]>;

const resolveWithSystem: ResolveAll = (host) =>
  new Promise((resolve, reject) => {
    systemLookup(host, { all: true, order: 'verbatim' }, (err, addresses) => (err ? reject(err) : resolve(addresses)));
  });

/** The addresses `policy` lets a connection use, in order; empty when it lets none. */
export function byPolicy(addresses: readonly LookupAddress[], policy: DnsConfig['policy']): LookupAddress[] {
  const v4 = addresses.filter((a) => a.family === 4);
  const v6 = addresses.filter((a) => a.family === 6);
  switch (policy) {
    case 'preferIPv4':
      return v4.length > 0 ? v4 : v6;
    case 'preferIPv6':
      return v6.length > 0 ? v6 : v4;
    case 'onlyIPv4':
      return v4;
    case 'onlyIPv6':
      return v6;
    case 'any':
      return [...addresses];
  }
}

/** The error a connection fails with when the policy leaves no address: its `code` makes it a `connect_error`, as a name that does not resolve is. */
function noAddress(host: string, policy: DnsConfig['policy'], all: readonly LookupAddress[]): NodeJS.ErrnoException {
  const what = policy === 'onlyIPv6' ? 'IPv6 address' : policy === 'onlyIPv4' ? 'IPv4 address' : 'address';
  const err: NodeJS.ErrnoException & { hostname?: string } = new Error(`dns: ${host} has no ${what} (dns policy ${policy}; it resolves to ${all.map((a) => a.address).join(', ') || 'nothing'})`);
  err.code = 'ENOTFOUND';
  err.hostname = host;
  return err;
}

interface Entry {
  /** The policy's addresses, or the lookup still running. */
  addresses: LookupAddress[] | Promise<LookupAddress[]>;
  /** When the addresses go stale: `ttl` after the answer came (never while it is awaited, so concurrent connections share one lookup). */
  expires: number;
  /** roundRobin: the next address's place. */
  next: number;
}

/**
 * One worker's resolver: `lookup` is Node's `net.connect` option and is
 * handed to every connection pool of the run.
 */
export class DnsResolver {
  private readonly cache = new Map<string, Entry>();

  constructor(
    private readonly config: DnsConfig = DEFAULT_DNS,
    private readonly resolveAll: ResolveAll = resolveWithSystem,
    private readonly now: () => number = () => performance.now(),
    private readonly random: () => number = Math.random,
  ) {}

  /** The address a new connection to `host` uses. */
  async resolve(host: string): Promise<LookupAddress> {
    const entry = this.entry(host);
    const addresses = await entry.addresses;
    const { select } = this.config;
    const i = select === 'first' ? 0 : select === 'random' ? Math.floor(this.random() * addresses.length) : entry.next++ % addresses.length;
    return addresses[i]!;
  }

  private entry(host: string): Entry {
    const cached = this.cache.get(host);
    if (cached && cached.expires > this.now()) return cached;
    const { policy, ttlMs } = this.config;
    const pending = this.resolveAll(host).then((all) => {
      const usable = byPolicy(all, policy);
      if (usable.length === 0) throw noAddress(host, policy, all);
      return usable;
    });
    const entry: Entry = { addresses: pending, expires: Infinity, next: cached?.next ?? 0 };
    this.cache.set(host, entry);
    pending.then(
      (usable) => {
        entry.addresses = usable;
        entry.expires = this.now() + ttlMs;
      },
      // A failed lookup is not kept: the next connection asks again.
      () => {
        if (this.cache.get(host) === entry) this.cache.delete(host);
      },
    );
    return entry;
  }

  /** Node's `lookup` option (`net.connect`, `tls.connect`): one address, or a list of one when asked for `all`. */
  readonly lookup: LookupFunction = (host, options, callback) => {
    this.resolve(host).then(
      (a) => (options.all ? (callback as unknown as (err: null, addresses: LookupAddress[]) => void)(null, [a]) : callback(null, a.address, a.family)),
      (err: NodeJS.ErrnoException) => callback(err, '', 0),
    );
  };
}

/** `ttl` as written in a probe (`5m`, `inf`, `0`, a number of ms as k6 takes it) → ms, or why it is not one. */
export function parseDnsTtl(value: string | number): number | string {
  const bad = `"${value}" is not a dns ttl: expected a duration (30s, 5m), 0 (no cache: a lookup per new connection) or inf (for the whole run)`;
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : bad;
  const text = value.trim();
  if (text === 'inf') return Infinity;
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  try {
    return parseDuration(text);
  } catch {
    return bad;
  }
}
