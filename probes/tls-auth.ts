/**
 * TLS client certificates (k6's `tlsAuth`) and extra trusted CAs
 * (`tlsCACerts`).
 *
 * - Validation of the shape (host names, a domain in two entries, an entry
 *   for none of the probe's https hosts) is the schema's, with the other
 *   probe problems (`tlsAuthProblems`).
 * - A file's path is relative to the probe file (`withTlsPathsFrom`, applied
 *   by the config loader), as an SLO's window-set file is.
 * - The files are read once, by `startRun` before any worker starts
 *   (`readTlsMaterial`): an unreadable file, text that is not PEM, a key that
 *   is not the certificate's or cannot be decrypted fail the run there
 *   (`PROBE_TLS_AUTH_INVALID`, `burnwatch run` exits 104). A scheduled probe
 *   reads them at each run, so a rotated certificate is picked up.
 * - The workers get the PEM text (structured-clonable) and build one
 *   `SecureContext` per certificate (`TlsContexts`), shared by the pools of
 *   the origins it applies to: a connection only does its handshake. The
 *   contexts also carry `tlsVersion` / `tlsCipherSuites` (tls-options.ts).
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { isIP } from 'node:net';
import { createSecureContext, rootCertificates } from 'node:tls';
import type { SecureContext, SecureContextOptions } from 'node:tls';
import { BurnwatchError, errorMessage } from '../common/errors.ts';
import type { Probe } from './spec.ts';

/** What the workers get: PEM text, read and checked on the main thread. */
export interface TlsMaterial {
  auth: { domains: string[]; cert: string; key: string; passphrase?: string }[];
  /** Extra CA certificates (PEM), trusted beside Node's roots. */
  ca?: string;
}

/** A host as `domains` are matched: lower case, no trailing dot, an IPv6 address without brackets. */
export function normalHost(host: string): string {
  return host.toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
}

/** One label of a host name (lower case), as `tlsAuth` domains and `hosts` keys take them. */
export const LABEL = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/;

/** Why `domain` is not a `domains` entry (a host name, an IP address, or `*.` and a host name), or undefined. */
export function domainProblem(domain: string): string | undefined {
  const d = normalHost(domain);
  if (isIP(d) !== 0) return undefined;
  const labels = (d.startsWith('*.') ? d.slice(2) : d).split('.');
  if (d.length > 0 && d.length <= 253 && labels.every((l) => LABEL.test(l))) return undefined;
  return `"${domain}" is not a host name: expected a name as in the URL, with no scheme, port or path (api.internal), an IP address, or a wildcard for one label (*.internal)`;
}

/**
 * The `tlsAuth` entry whose certificate a connection to `host` presents, or
 * -1: as k6 meant `domains` (Go's `NameToCertificate`): the host itself (any
 * case), else `*.` and the host's parent (a wildcard stands for one
 * leftmost label: `*.example.com` covers `a.example.com`, not
 * `example.com` or `a.b.example.com`). A name is in at most one entry
 * (validation).
 */
export function clientCertIndex(host: string, entries: readonly { domains: readonly string[] }[]): number {
  const h = normalHost(host);
  const find = (name: string): number => entries.findIndex((e) => e.domains.some((d) => normalHost(d) === name));
  const exact = find(h);
  if (exact >= 0 || isIP(h) !== 0) return exact;
  const dot = h.indexOf('.');
  return dot > 0 ? find(`*${h.slice(dot)}`) : -1;
}

/**
 * The probe's own origins (target and absolute http(s) request URLs), read
 * from the raw spec (validation runs even when other fields are invalid);
 * redirects may add others during the run. Also `hosts`' checks.
 */
export function probeOrigins(probe: { target: unknown; requests: unknown }): URL[] {
  const target = typeof probe.target === 'string' && URL.canParse(probe.target) ? new URL(probe.target) : undefined;
  const urls = Array.isArray(probe.requests)
    ? probe.requests.map((r: { url?: unknown } | null) => (typeof r?.url === 'string' && /^https?:\/\//.test(r.url) && URL.canParse(r.url) ? new URL(r.url) : target))
    : [];
  return [target, ...urls].filter((u): u is URL => u !== undefined && (u.protocol === 'http:' || u.protocol === 'https:'));
}

/** The origins a parsed probe's requests go to (the target's for a path): what the engine opens pools for, before redirects. */
export function requestOrigins(probe: Pick<Probe, 'target' | 'requests'>): string[] {
  const target = new URL(probe.target).origin;
  return [...new Set(probe.requests.map((r) => (/^https?:\/\//.test(r.url) && URL.canParse(r.url) ? new URL(r.url).origin : target)))];
}

/**
 * The schema's checks of `tlsAuth` beyond its shape, on the raw spec: bad
 * host names, a name in two entries (k6 lets the later one win, silently),
 * and an entry that applies to none of the probe's https hosts. The last is
 * an error, not a warning: its certificate would never be sent, and a
 * misspelt domain otherwise shows up only as every request failing its
 * handshake. (A host reached only through a redirect cannot be checked
 * before the run: list it in the entry of a probe host it shares the
 * certificate with.)
 */
export function tlsAuthProblems(p: { target: unknown; requests: unknown; tlsAuth?: unknown }): { path: (string | number)[]; message: string }[] {
  const out: { path: (string | number)[]; message: string }[] = [];
  if (!Array.isArray(p.tlsAuth)) return out;
  const entries = (p.tlsAuth as { domains?: unknown }[]).map((e) => (Array.isArray(e?.domains) ? (e.domains as unknown[]).filter((d): d is string => typeof d === 'string') : []));
  const origins = probeOrigins(p);
  const https = [...new Set(origins.filter((u) => u.protocol === 'https:').map((u) => u.hostname))];
  const firstEntry = new Map<string, number>();
  entries.forEach((domains, i) => {
    domains.forEach((d, j) => {
      const problem = domainProblem(d);
      if (problem !== undefined) out.push({ path: ['tlsAuth', i, 'domains', j], message: problem });
    });
  });
  entries.forEach((domains, i) => {
    domains.forEach((d, j) => {
      if (domainProblem(d) !== undefined) return;
      const first = firstEntry.get(normalHost(d));
      if (first !== undefined && first !== i) out.push({ path: ['tlsAuth', i, 'domains', j], message: `"${d}" is also in tlsAuth[${first}]: a host presents one certificate; list it once` });
      else firstEntry.set(normalHost(d), i);
    });
  });
  entries.forEach((domains, i) => {
    if (domains.length === 0 || domains.some((d) => domainProblem(d) !== undefined)) return;
    const own = [{ domains }];
    if (https.some((h) => clientCertIndex(h, own) === 0)) return;
    const plain = origins.some((u) => u.protocol === 'http:' && clientCertIndex(u.hostname, own) === 0);
    out.push({
      path: ['tlsAuth', i, 'domains'],
      message: plain
        ? `${domains.join(', ')} ${domains.length === 1 ? 'is' : 'are'} reached over http://: a client certificate is sent only over https`
        : `${domains.join(', ')} matches none of the probe’s https hosts (${https.length > 0 ? https.join(', ') : 'it has none'}): the certificate would never be sent`,
    });
  });
  return out;
}

const BEGIN = '-----BEGIN';

/** A `tlsAuth` / `tlsCACerts` value: PEM text stays as it is, a relative path is made absolute against `baseDir`. */
const fromDir = (value: string, baseDir: string): string => (value.includes(BEGIN) || isAbsolute(value) ? value : resolve(baseDir, value));

/**
 * The probe with its `tlsAuth` and `tlsCACerts` file paths made absolute
 * against `baseDir` (the probe file's folder), so a probe reads the same
 * files from any working directory. The same object when it has none.
 */
export function withTlsPathsFrom<P extends Pick<Probe, 'tlsAuth' | 'tlsCACerts'>>(probe: P, baseDir: string): P {
  if (probe.tlsAuth.length === 0 && probe.tlsCACerts === undefined) return probe;
  return {
    ...probe,
    tlsAuth: probe.tlsAuth.map((entry) => ({ ...entry, cert: fromDir(entry.cert, baseDir), key: fromDir(entry.key, baseDir) })),
    ...(probe.tlsCACerts !== undefined ? { tlsCACerts: fromDir(probe.tlsCACerts, baseDir) } : {}),
  };
}

function fail(path: string, message: string): never {
  throw new BurnwatchError('PROBE_TLS_AUTH_INVALID', `${path}: ${message}`);
}

/** PEM text as given, or a file's; `label` names it in messages (the file, or "the PEM text"). */
function readPem(path: string, value: string): { text: string; label: string } {
  if (value.includes(BEGIN)) return { text: value, label: 'the PEM text' };
  let text: string;
  try {
    text = readFileSync(value, 'utf8');
  } catch (err) {
    return fail(path, `cannot read ${value}: ${errorMessage(err)} (give a PEM file's path, relative to the probe file, or the PEM text itself)`);
  }
  if (!text.includes(BEGIN)) fail(path, `${value} is not PEM (no "${BEGIN} …" block); convert a DER file with openssl (openssl x509 -inform der -in FILE)`);
  return { text, label: value };
}

function certificates(path: string, pem: { text: string; label: string }): X509Certificate {
  if (!/-----BEGIN (TRUSTED )?CERTIFICATE-----/.test(pem.text)) fail(path, `${pem.label} holds no certificate ("${BEGIN} CERTIFICATE-----")`);
  try {
    return new X509Certificate(pem.text);
  } catch (err) {
    return fail(path, `${pem.label} is not a valid certificate: ${errorMessage(err)}`);
  }
}

/**
 * Reads and checks the probe's `tlsAuth` certificates and keys and its
 * `tlsCACerts`, once, at the start of a run. Throws a `BurnwatchError`
 * (`PROBE_TLS_AUTH_INVALID`) naming the key path and the file.
 */
export function readTlsMaterial(probe: Probe): TlsMaterial | undefined {
  if (probe.tlsAuth.length === 0 && probe.tlsCACerts === undefined) return undefined;
  const material: TlsMaterial = { auth: [] };
  probe.tlsAuth.forEach((entry, i) => {
    const at = `tlsAuth[${i}]`;
    const cert = readPem(`${at}.cert`, entry.cert);
    const x509 = certificates(`${at}.cert`, cert);
    const key = readPem(`${at}.key`, entry.key);
    if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key.text)) fail(`${at}.key`, `${key.label} holds no private key ("${BEGIN} PRIVATE KEY-----")`);
    const encrypted = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(key.text);
    if (encrypted && entry.password === undefined) fail(`${at}.key`, `${key.label} is encrypted: give its password (password: \${TLS_KEY_PASSWORD})`);
    let privateKey: ReturnType<typeof createPrivateKey>;
    try {
      privateKey = createPrivateKey({ key: key.text, ...(entry.password !== undefined ? { passphrase: entry.password } : {}) });
    } catch (err) {
      return fail(encrypted ? `${at}.password` : `${at}.key`, `cannot ${encrypted ? 'decrypt' : 'read the private key in'} ${key.label}: ${errorMessage(err)}`);
    }
    if (!x509.checkPrivateKey(privateKey)) fail(`${at}.key`, `${key.label} is not the private key of the certificate in ${cert.label} (${x509.subject.replace(/\n/g, ', ')})`);
    if (Date.parse(x509.validTo) < Date.now()) fail(`${at}.cert`, `the certificate in ${cert.label} expired on ${x509.validTo}: a server would refuse it`);
    const auth = { domains: entry.domains, cert: cert.text, key: key.text, ...(entry.password !== undefined ? { passphrase: entry.password } : {}) };
    try {
      // What each worker will build: any other problem OpenSSL has with them shows here, once.
      createSecureContext({ cert: auth.cert, key: auth.key, ...(auth.passphrase !== undefined ? { passphrase: auth.passphrase } : {}) });
    } catch (err) {
      fail(at, `${cert.label} and ${key.label}: ${errorMessage(err)}`);
    }
    material.auth.push(auth);
  });
  if (probe.tlsCACerts !== undefined) {
    const ca = readPem('tlsCACerts', probe.tlsCACerts);
    certificates('tlsCACerts', ca);
    try {
      createSecureContext({ ca: ca.text });
    } catch (err) {
      fail('tlsCACerts', `${ca.label}: ${errorMessage(err)}`);
    }
    material.ca = ca.text;
  }
  return material;
}

/** `tlsVersion` / `tlsCipherSuites` as context options (tls-options.ts `tlsConnectOptions`). */
export type TlsConnectOptions = Pick<SecureContextOptions, 'minVersion' | 'maxVersion' | 'ciphers'>;

/**
 * A worker's TLS contexts: one per client certificate (plus one for hosts
 * without one when `tlsCACerts`, `tlsVersion` or `tlsCipherSuites` is set),
 * built on the first pool that needs it and shared by every origin it
 * applies to; each carries the probe's versions and cipher suites.
 * undefined: Node's default (no client certificate, Node's roots, TLS 1.2
 * to 1.3, Node's suites).
 */
export class TlsContexts {
  private readonly built = new Map<number, SecureContext>();
  private readonly ca: string[] | undefined;

  constructor(
    private readonly material: TlsMaterial | undefined,
    private readonly options?: TlsConnectOptions,
  ) {
    this.ca = material?.ca !== undefined ? [...rootCertificates, material.ca] : undefined;
  }

  /** The context for connections to `origin` (http: none). */
  forOrigin(origin: string): SecureContext | undefined {
    if (!origin.startsWith('https:')) return undefined;
    const m = this.material;
    const index = m ? clientCertIndex(new URL(origin).hostname, m.auth) : -1;
    if (index < 0 && this.ca === undefined && this.options === undefined) return undefined;
    let context = this.built.get(index);
    if (!context) {
      const auth = m?.auth[index];
      context = createSecureContext({
        ...this.options,
        ...(this.ca ? { ca: this.ca } : {}),
        ...(auth ? { cert: auth.cert, key: auth.key, ...(auth.passphrase !== undefined ? { passphrase: auth.passphrase } : {}) } : {}),
      });
      this.built.set(index, context);
    }
    return context;
  }
}
