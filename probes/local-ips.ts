/**
 * k6's `localIPs`: the local addresses a run's connections are made from,
 * written as k6 writes them — a comma-separated list (or a YAML list) of
 * IPs, ranges (`10.0.0.10-10.0.0.25`) and CIDRs (`fd00::/120`). As in k6
 * (lib/types/ipblock.go), an IPv4 CIDR larger than a /31 leaves out its
 * network and broadcast addresses, and the n-th address of the pool is
 * taken modulo its size. Pure.
 *
 * k6 gives VU n the pool's address n-1; here a VU's requests go on the
 * worker's shared connections, so the address is the connection's:
 * connection n of the run (numbered as VUs are, across worker threads)
 * binds address n-1, which spreads the load over the addresses as k6's VUs
 * do. The addresses must belong to this machine (nothing is configured on
 * the OS); one that does not fails the connect (`EADDRNOTAVAIL`).
 */
import { isIP } from 'node:net';

/** A run's local addresses. */
export interface LocalIpPool {
  /** How many addresses. */
  readonly size: bigint;
  /** The address at `index` (taken modulo `size`), in the form Node's `localAddress` takes. */
  at(index: number): string;
}

interface Block {
  first: bigint;
  count: bigint;
  v6: boolean;
}

/** The 32- or 128-bit number of an address. */
function toBig(ip: string): bigint {
  if (isIP(ip) === 4) return ip.split('.').reduce((n, part) => (n << 8n) | BigInt(Number(part)), 0n);
  // IPv6: expand `::` (and a trailing dotted IPv4 part) into 8 groups.
  let text = ip;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = toBig(dotted[1]!);
    text = `${text.slice(0, -dotted[1]!.length)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((n, g) => (n << 16n) | BigInt(parseInt(g, 16)), 0n);
}

function fromBig(n: bigint, v6: boolean): string {
  if (!v6) return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 0xffn)).join('.');
  const groups: string[] = [];
  for (let s = 112n; s >= 0n; s -= 16n) groups.push(((n >> s) & 0xffffn).toString(16));
  return groups.join(':');
}

/** An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`, however written) is its IPv4 address, as Go's To4 reads it. */
function unmapped(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  const n = toBig(ip);
  return n >> 32n === 0xffffn ? fromBig(n & 0xffffffffn, false) : ip;
}

function block(entry: string): Block | string {
  const s = entry.trim();
  if (s.includes('%')) return `"${s}": an IPv6 zone (%…) is not supported`;
  if (s.includes('-')) {
    // Go's SplitN(s, "-", 2): a second "-" stays in the last part, which then is no IP.
    const at = s.indexOf('-');
    const a = unmapped(s.slice(0, at).trim());
    const b = unmapped(s.slice(at + 1).trim());
    const fa = isIP(a);
    const fb = isIP(b);
    if (fa === 0 || fb === 0) return `"${s}" is not a valid IP range (first-last, e.g. 10.0.0.10-10.0.0.25)`;
    if (fa !== fb) return `"${s}" mixes IPv4 and IPv6`;
    const first = toBig(a);
    const count = toBig(b) - first + 1n;
    if (count <= 0n) return `"${s}" ends before it starts`;
    return { first, count, v6: fa === 6 };
  }
  if (s.includes('/')) {
    const at = s.indexOf('/');
    const addr = s.slice(0, at);
    const bitsText = s.slice(at + 1);
    const family = isIP(addr);
    const max = family === 6 ? 128 : 32;
    const bits = Number(bitsText);
    if (family === 0 || !/^\d{1,3}$/.test(bitsText) || bits > max) return `"${s}" is not a valid CIDR (e.g. 10.0.0.0/24, fd00::/120)`;
    const size = 1n << BigInt(max - bits);
    let first = toBig(addr) & ~(size - 1n) & ((1n << BigInt(max)) - 1n);
    let count = size;
    // As k6: an IPv4 network larger than two addresses leaves out its network and broadcast addresses.
    if (family === 4 && count > 2n) {
      first += 1n;
      count -= 2n;
    }
    return { first, count, v6: family === 6 };
  }
  const ip = unmapped(s);
  const family = isIP(ip);
  if (family === 0) return `"${s}" is not a valid IP, IP range or CIDR`;
  return { first: toBig(ip), count: 1n, v6: family === 6 };
}

/** Parses `localIPs`; a string says what is wrong. */
export function parseLocalIps(value: string | readonly string[]): LocalIpPool | string {
  const entries = (typeof value === 'string' ? value.split(',') : value.flatMap((v) => v.split(','))).map((e) => e.trim());
  if (entries.length === 0 || entries.some((e) => e === '')) return 'expected IPs, ranges (10.0.0.10-10.0.0.25) or CIDRs (10.0.0.0/24), separated by commas, with none empty';
  const blocks: Block[] = [];
  for (const e of entries) {
    const b = block(e);
    if (typeof b === 'string') return b;
    blocks.push(b);
  }
  const size = blocks.reduce((n, b) => n + b.count, 0n);
  return {
    size,
    at(index: number): string {
      let i = BigInt(index) % size;
      for (const b of blocks) {
        if (i < b.count) return fromBig(b.first + i, b.v6);
        i -= b.count;
      }
      throw new Error('unreachable: index below the pool size');
    },
  };
}
