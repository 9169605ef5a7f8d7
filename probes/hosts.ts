/**
 * k6's `hosts` option: connect to another address for a host name (or a
 * host and port), as an /etc/hosts entry would, while the URL, the Host
 * header, TLS SNI and the certificate check keep the name — to load a
 * canary, or one node behind a load balancer, with the real name.
 *
 * - Keys: `host`, `host:port`, `*.domain` or `*.domain:port` (any case, a
 *   trailing dot ignored); an IPv4 address is a host too. `*.example.com`
 *   covers every name under example.com (`a.example.com`,
 *   `a.b.example.com`), not `example.com` itself: k6's suffix match.
 * - Values: an IP address (IPv4, or IPv6 with or without brackets), or
 *   `ip:port` (`[v6]:port`). Never a host name: k6 parses the value as an
 *   IP address and looks nothing up.
 * - Which entry a connection to host H on port P takes, as k6's dialer:
 *   `H:P`, else the most specific `*.…:P` covering H, else `H`, else the
 *   most specific `*.…` covering H. The entry's port, if it gives one,
 *   replaces P; else P (the URL's, 80/443 by default) is kept.
 *
 * Validation is the schema's (`hostsProblems`); the workers compile the
 * entries once (`compileHosts`) and look an origin up when its pool is
 * built (`mappedAddress`): per origin, never per request.
 */
import { isIP } from 'node:net';
import { LABEL, normalHost, probeOrigins } from './tls-auth.ts';

/** Where a mapped origin's connections go: an IP address (IPv6 without brackets) and a port. */
export interface DialAddress {
  host: string;
  port: number;
}

/** A parsed value: the address, and its port if it gives one. */
interface Mapped {
  host: string;
  port?: number;
}

const PORT = /^[0-9]{1,5}$/;

function portProblem(port: string): string | undefined {
  if (!PORT.test(port)) return `"${port}" is not a port`;
  const n = Number(port);
  return n >= 1 && n <= 65_535 ? undefined : `port ${port} is out of range (1–65535)`;
}

/** A key split into its host (normalised) and port, or why it is not one. */
function parseKey(key: string): { host: string; port?: number } | string {
  const bad = `"${key}" is not a host: expected a name as in the URL, with no scheme or path, optionally with a port (api.internal, api.internal:443), or a wildcard for the names under a domain (*.internal)`;
  if (/[/@?#\s]/.test(key)) return bad;
  if (key.startsWith('[') || (key.match(/:/g)?.length ?? 0) > 1) return `"${key}" is an IPv6 address: hosts keys are host names or IPv4 addresses (as k6's)`;
  const colon = key.lastIndexOf(':');
  const hostPart = colon >= 0 ? key.slice(0, colon) : key;
  let port: number | undefined;
  if (colon >= 0) {
    const problem = portProblem(key.slice(colon + 1));
    if (problem) return `"${key}": ${problem}`;
    port = Number(key.slice(colon + 1));
  }
  const host = normalHost(hostPart);
  if (isIP(host) === 4) return port === undefined ? { host } : { host, port };
  if (host === '*' || (host.startsWith('*') && !host.startsWith('*.'))) {
    return `"${key}": a wildcard stands for the names under a domain: write *.domain (*.example.com covers a.example.com and a.b.example.com)`;
  }
  const labels = (host.startsWith('*.') ? host.slice(2) : host).split('.');
  if (host.length === 0 || host.length > 253 || !labels.every((l) => LABEL.test(l))) return bad;
  return port === undefined ? { host } : { host, port };
}

/** A value as an address (and port), or why it is not one. */
function parseValue(value: string): Mapped | string {
  const v = value.trim();
  if (isIP(v) !== 0) return { host: v };
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(v);
  const plain = bracketed ? undefined : /^([^:]+):([^:]*)$/.exec(v);
  const address = bracketed?.[1] ?? plain?.[1];
  const port = bracketed ? bracketed[2] : plain?.[2];
  if (address === undefined || isIP(address) === 0) {
    const host = address ?? v;
    const labels = host.toLowerCase().split('.');
    // A name, as opposed to a mistyped address (10.0.0.300): valid labels, the last not all digits.
    const name = labels.every((l) => LABEL.test(l)) && /[a-z_-]/.test(labels[labels.length - 1]!);
    return name
      ? `"${value}" is a host name: a hosts entry maps to an IP address, which is not looked up (as k6's); give the address, or address:port (10.0.0.5, 10.0.0.5:8443)`
      : `"${value}" is not an IP address: expected an address, or address:port (10.0.0.5, 10.0.0.5:8443, [2001:db8::5]:443)`;
  }
  if (port === undefined) return { host: address };
  const problem = portProblem(port);
  if (problem) return `"${value}": ${problem}`;
  return { host: address, port: Number(port) };
}

/** Compiled entries: normalised key (`host` or `host:port`) → address. */
export type HostsTable = ReadonlyMap<string, Mapped>;

/** The probe's `hosts`, compiled once per worker (the schema has checked them; an entry that does not parse is skipped). */
export function compileHosts(hosts: Readonly<Record<string, string>> | undefined): HostsTable {
  const table = new Map<string, Mapped>();
  for (const [key, value] of Object.entries(hosts ?? {})) {
    const k = parseKey(key);
    const v = parseValue(value);
    if (typeof k === 'string' || typeof v === 'string') continue;
    table.set(k.port === undefined ? k.host : `${k.host}:${k.port}`, v);
  }
  return table;
}

/** The entry that applies to `host` (normalised) on `port`, and its key, or undefined (order: see the module comment). */
function lookup(table: HostsTable, host: string, port: number): { key: string; to: Mapped } | undefined {
  const find = (suffix: string): { key: string; to: Mapped } | undefined => {
    const to = table.get(suffix);
    return to ? { key: suffix, to } : undefined;
  };
  const wildcards = (withPort: string): { key: string; to: Mapped } | undefined => {
    if (isIP(host) !== 0) return undefined;
    // The most specific first: *.b.example.com, then *.example.com, then *.com.
    for (let dot = host.indexOf('.'); dot >= 0; dot = host.indexOf('.', dot + 1)) {
      const hit = find(`*${host.slice(dot)}${withPort}`);
      if (hit) return hit;
    }
    return undefined;
  };
  return find(`${host}:${port}`) ?? wildcards(`:${port}`) ?? find(host) ?? wildcards('');
}

/** The default port of an http(s) URL when it gives none. */
function portOf(url: URL): number {
  return url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
}

/** Where connections to `origin` go under `table`, or undefined: its own host, looked up in DNS as usual. */
export function mappedAddress(table: HostsTable, origin: string): DialAddress | undefined {
  if (table.size === 0) return undefined;
  const url = new URL(origin);
  const port = portOf(url);
  const hit = lookup(table, normalHost(url.hostname), port);
  return hit ? { host: hit.to.host, port: hit.to.port ?? port } : undefined;
}

/**
 * The schema's checks of `hosts` beyond its shape, on the raw spec: keys
 * that are not hosts, values that are not IP addresses (a host name is
 * refused: k6 would not look it up either), a key given twice in another
 * case, and an entry that applies to none of the probe's origins. The last
 * is an error, as for `tlsAuth`: a misspelt name would otherwise send the
 * whole load to the real host, the one the test meant to spare. (A host
 * reached only through a redirect cannot be checked before the run: map it
 * with a wildcard that also covers a probe host.)
 */
export function hostsProblems(p: { target: unknown; requests: unknown; hosts?: unknown }): { path: (string | number)[]; message: string }[] {
  const out: { path: (string | number)[]; message: string }[] = [];
  if (typeof p.hosts !== 'object' || p.hosts === null || Array.isArray(p.hosts)) return out;
  const origins = probeOrigins(p);
  const seen = new Map<string, string>();
  const table = new Map<string, Mapped>();
  const keys: { key: string; normal: string }[] = [];
  for (const [key, value] of Object.entries(p.hosts as Record<string, unknown>)) {
    const k = parseKey(key);
    if (typeof k === 'string') {
      out.push({ path: ['hosts', key], message: k });
      continue;
    }
    if (typeof value === 'string') {
      const v = parseValue(value);
      if (typeof v === 'string') out.push({ path: ['hosts', key], message: v });
    }
    const normal = k.port === undefined ? k.host : `${k.host}:${k.port}`;
    const first = seen.get(normal);
    if (first !== undefined) {
      out.push({ path: ['hosts', key], message: `"${key}" is also given as "${first}" (host names are not case-sensitive); give it once` });
      continue;
    }
    seen.set(normal, key);
    table.set(normal, { host: '' });
    keys.push({ key, normal });
  }
  const winner = new Map(origins.map((u) => [`${u.hostname}:${portOf(u)}`, lookup(table, normalHost(u.hostname), portOf(u))?.key]));
  const used = new Set(winner.values());
  for (const { key, normal } of keys) {
    if (used.has(normal)) continue;
    const alone = new Map([[normal, { host: '' }]]);
    const covered = origins.filter((u) => lookup(alone, normalHost(u.hostname), portOf(u)) !== undefined).map((u) => `${u.hostname}:${portOf(u)}`);
    out.push({
      path: ['hosts', key],
      message:
        covered.length > 0
          ? `"${key}" applies to none of the probe’s hosts: ${[...new Set(covered)].map((o) => `${o} takes "${seen.get(winner.get(o)!)}"`).join(', ')} (host:port before host, an exact name before a wildcard); remove it`
          : `"${key}" matches none of the probe’s hosts (${winner.size > 0 ? [...winner.keys()].join(', ') : 'it has none'}): the entry would never be used, and a misspelt name sends the load to the real host; a port in the key must be the URL’s (80 or 443 when it gives none)`,
    });
  }
  return out;
}
